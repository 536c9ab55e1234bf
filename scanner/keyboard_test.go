package scanner

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
)

// in is one read from the keyboard: its bytes and when it arrived.
type in struct {
	at   time.Duration
	data string
}

// typing is a scanner (or a person) typing s, one key a read, a key
// every each from at, each gap jittered by ±jitter (a fraction), with a
// fixed seed so that a case is the same every run.
func typing(at time.Duration, s string, each time.Duration, jitter float64) []in {
	r := rand.New(rand.NewPCG(uint64(len(s)), uint64(each)))
	var out []in
	for _, ch := range s {
		out = append(out, in{at, string(ch)})
		g := float64(each)
		if jitter > 0 {
			g *= 1 - jitter + 2*jitter*r.Float64()
		}
		at += time.Duration(g)
	}
	return out
}

func join(parts ...[]in) []in {
	var out []in
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// dcc looks like a DCC as a scanner types it; any text would do, the
// classifier does not read what it types.
var dcc = "HC1:NCFOXN%TS3DH0RGPJB/IB-OM7533SR7694RI3XH82" + strings.Repeat("6BT-2KJBGD1:OBN+9RQB5KF", 20)

// run types the reads into a classifier and settles what is quiet at end.
// It returns what came out, in order: "reading", "scan:PAYLOAD",
// "misread:incomplete" or "misread:too long", "ignored:close",
// "ignored:slow", "ignored:other", and "key:BYTES" for a released key.
func run(t testing.TB, o KeyOptions, reads []in, end time.Duration) []string {
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	var got []string
	c := newClassifier(o, func(s Scan) { got = append(got, describe(s)) }, func(k []byte) { got = append(got, "key:"+string(k)) })
	for _, r := range reads {
		c.read([]byte(r.data), t0.Add(r.at))
	}
	c.advance(t0.Add(end))
	return got
}

func describe(s Scan) string {
	switch {
	case s.Kind == Reading:
		return "reading"
	case s.Kind == Ignored && errors.Is(s.Err, ErrKeysTooClose):
		return "ignored:close"
	case s.Kind == Ignored && errors.Is(s.Err, ErrTooSlow):
		return "ignored:slow"
	case s.Kind == Ignored:
		return "ignored:other"
	case errors.Is(s.Err, ErrIncomplete):
		return "misread:incomplete"
	case errors.Is(s.Err, ErrTooLong):
		return "misread:too long"
	case s.Err != nil:
		return "error:" + s.Err.Error()
	}
	return "scan:" + string(s.Payload)
}

const ms = time.Millisecond

var keyboardCases = []struct {
	name  string
	opts  KeyOptions
	reads []in
	end   time.Duration // settle what is quiet by then
	want  []string
}{
	// Scanners, at every speed a USB wedge types, with ±30% jitter.
	{"a DCC at 1 ms a key", KeyOptions{}, typing(0, dcc+"\r", ms, 0.3), 2 * time.Second, []string{"reading", "scan:" + dcc}},
	{"a DCC at 2 ms a key", KeyOptions{}, typing(0, dcc+"\r", 2*ms, 0.3), 3 * time.Second, []string{"reading", "scan:" + dcc}},
	{"a DCC at 6 ms a key", KeyOptions{}, typing(0, dcc+"\r", 6*ms, 0.3), 5 * time.Second, []string{"reading", "scan:" + dcc}},
	{"a DCC at 12 ms a key", KeyOptions{}, typing(0, dcc+"\r", 12*ms, 0.3), 9 * time.Second, []string{"reading", "scan:" + dcc}},
	{"a DCC at 35 ms a key", KeyOptions{}, typing(0, dcc+"\r", 35*ms, 0.3), 30 * time.Second, []string{"reading", "scan:" + dcc}},
	{"ended by LF", KeyOptions{}, typing(0, "HC1:ABCDEFGH\n", 4*ms, 0), time.Second, []string{"reading", "scan:HC1:ABCDEFGH"}},
	{"ended by CRLF: one scan", KeyOptions{}, typing(0, "HC1:ABCDEFGH\r\n", 4*ms, 0), time.Second, []string{"reading", "scan:HC1:ABCDEFGH"}},
	{"the terminal delivered the burst in one read", KeyOptions{}, []in{{0, dcc + "\r"}}, time.Second, []string{"reading", "scan:" + dcc}},
	{"a reader that fell behind after the first key", KeyOptions{}, []in{{0, "H"}, {90 * ms, "C1:ABCD"}, {92 * ms, "EFGH\r"}}, time.Second,
		[]string{"reading", "scan:HC1:ABCDEFGH"}},
	{"two scans 100 ms apart", KeyOptions{}, join(typing(0, "HC1:AAAAAAAA\r", 4*ms, 0), typing(152*ms, "HC1:BBBBBBBB\r", 4*ms, 0)), time.Second,
		[]string{"reading", "scan:HC1:AAAAAAAA", "reading", "scan:HC1:BBBBBBBB"}},
	{"control keys inside a burst are data", KeyOptions{}, typing(0, "HC1:AB\x03CD\x1aEF\x1c\x1bGH\r", 2*ms, 0), time.Second,
		[]string{"reading", "scan:HC1:AB\x03CD\x1aEF\x1c\x1bGH"}},
	// Nothing a scanner types is a command.
	{"QR m4 is a scan", KeyOptions{}, typing(0, "m4\r", 4*ms, 0), time.Second, []string{"reading", "scan:m4"}},
	{"QR m1 is a scan", KeyOptions{}, typing(0, "m1\r", 4*ms, 0), time.Second, []string{"reading", "scan:m1"}},
	{"QR qy is a scan", KeyOptions{}, typing(0, "qy\r", 4*ms, 0), time.Second, []string{"reading", "scan:qy"}},
	{"QR m is a scan", KeyOptions{}, typing(0, "m\r", 4*ms, 0), time.Second, []string{"scan:m"}},
	{"QR m4 from a scanner with no Enter is nothing", KeyOptions{}, typing(0, "m4", 4*ms, 0), time.Second, []string{"reading", "ignored:close"}},
	{"QR m4 just after a stray key is not a scan", KeyOptions{}, join([]in{{0, "s"}}, typing(100*ms, "m4\r", 4*ms, 0)), time.Second, []string{"reading", "ignored:close"}},
	// A person.
	{"m alone, then 4 alone", KeyOptions{}, []in{{0, "m"}, {300 * ms, "4"}}, time.Second, []string{"key:m", "key:4"}},
	{"a key waits for quiet after it", KeyOptions{}, []in{{0, "m"}}, 149 * ms, nil},
	{"and is released at the quiet", KeyOptions{}, []in{{0, "m"}}, 150 * ms, []string{"key:m"}},
	{"keys 100 ms apart are neither", KeyOptions{}, []in{{0, "m"}, {100 * ms, "4"}}, time.Second, []string{"ignored:close"}},
	{"a PIN typed a key at a time", KeyOptions{}, []in{{0, "1"}, {200 * ms, "2"}, {400 * ms, "3"}, {600 * ms, "4"}, {800 * ms, "\r"}}, 2 * time.Second,
		[]string{"key:1", "key:2", "key:3", "key:4", "key:\r"}},
	{"Enter alone", KeyOptions{}, []in{{0, "\r"}}, time.Second, []string{"key:\r"}},
	{"Enter alone from a terminal that sends CRLF", KeyOptions{}, []in{{0, "\r\n"}}, time.Second, []string{"key:\r"}},
	{"Enter, then a key too soon", KeyOptions{}, []in{{0, "\r"}, {100 * ms, "y"}}, time.Second, []string{"ignored:close", "ignored:close"}},
	{"Esc alone", KeyOptions{}, []in{{0, "\x1b"}}, time.Second, []string{"key:\x1b"}},
	{"an arrow alone", KeyOptions{}, []in{{0, "\x1b[A"}}, time.Second, []string{"key:\x1b[A"}},
	{"Alt-x alone", KeyOptions{}, []in{{0, "\x1bx"}}, time.Second, []string{"key:\x1bx"}},
	{"Hangul alone", KeyOptions{}, []in{{0, "한"}}, time.Second, []string{"key:한"}},
	{"two keys in one read are not alone", KeyOptions{}, []in{{0, "qy"}}, time.Second, []string{"reading", "ignored:close"}},
	{"two keys rolled over", KeyOptions{}, []in{{0, "m"}, {20 * ms, "4"}}, time.Second, []string{"reading", "ignored:close"}},
	{"a held key: the press, then its repeat", KeyOptions{}, join([]in{{0, "j"}}, typing(400*ms, strings.Repeat("j", 20), 33*ms, 0)), 2 * time.Second,
		[]string{"key:j", "reading", "ignored:close"}},
	{"a held key, then Enter", KeyOptions{}, join([]in{{0, "j"}}, typing(400*ms, strings.Repeat("j", 20), 33*ms, 0), []in{{1100 * ms, "\r"}}), 2 * time.Second,
		[]string{"key:j", "reading", "ignored:close"}},
	{"a key before a scan", KeyOptions{}, join([]in{{0, "s"}}, typing(100*ms, dcc+"\r", 6*ms, 0.3)), 5 * time.Second, []string{"reading", "scan:" + dcc}},
	{"a key after a scan", KeyOptions{}, join(typing(0, "HC1:ABCDEFGH\r", 4*ms, 0), []in{{400 * ms, "l"}}), time.Second, []string{"reading", "scan:HC1:ABCDEFGH", "key:l"}},
	{"a key too soon after a scan", KeyOptions{}, join(typing(0, "HC1:ABCDEFGH\r", 4*ms, 0), []in{{150 * ms, "l"}}), time.Second, []string{"reading", "scan:HC1:ABCDEFGH", "ignored:close"}},
	{"an Enter just after a scan's is nothing", KeyOptions{}, join(typing(0, "HC1:ABCDEFGH\r", 4*ms, 0), []in{{150 * ms, "\r"}}), time.Second, []string{"reading", "scan:HC1:ABCDEFGH"}},
	// Misreads.
	{"a burst without Enter is a misread", KeyOptions{}, typing(0, dcc[:100], 6*ms, 0.3), 2 * time.Second, []string{"reading", "misread:incomplete"}},
	{"a short burst without Enter is nothing", KeyOptions{}, typing(0, "HC1:", 6*ms, 0), time.Second, []string{"reading", "ignored:close"}},
	{"an over-long burst is dropped", KeyOptions{Max: 64}, typing(0, strings.Repeat("A", 100)+"\r", 2*ms, 0), time.Second, []string{"reading", "misread:too long"}},
	{"and the next scan is whole", KeyOptions{Max: 64}, join(typing(0, strings.Repeat("A", 100)+"\r", 2*ms, 0), typing(time.Second, "HC1:XYZ012\r", 2*ms, 0)), 2 * time.Second,
		[]string{"reading", "misread:too long", "reading", "scan:HC1:XYZ012"}},
	{"an over-long burst without Enter", KeyOptions{Max: 64}, typing(0, dcc[:100], 2*ms, 0), time.Second, []string{"reading", "misread:too long"}},
	// Scanners that pause, or are slow.
	{"a scanner that pauses inside a code", KeyOptions{}, join(typing(0, dcc[:100], 6*ms, 0), typing(700*ms, dcc[100:]+"\r", 6*ms, 0)), 5 * time.Second,
		[]string{"reading", "scan:" + dcc}},
	{"a scanner that pauses early in a code", KeyOptions{}, join(typing(0, dcc[:5], 6*ms, 0), typing(130*ms, dcc[5:]+"\r", 6*ms, 0)), 5 * time.Second,
		[]string{"reading", "scan:" + dcc}},
	{"a scanner slower than the gap", KeyOptions{}, typing(0, "HC1:ABCDEFGHIJKLMNOP\r", 80*ms, 0), 3 * time.Second, []string{"reading", "ignored:slow"}},
	{"takes a longer gap", KeyOptions{Gap: 120 * ms}, typing(0, "HC1:ABCDEFGHIJKLMNOP\r", 80*ms, 0), 3 * time.Second, []string{"reading", "scan:HC1:ABCDEFGHIJKLMNOP"}},
	{"a clock that steps back releases nothing", KeyOptions{}, []in{{time.Second, "m"}, {0, "4"}}, 3 * time.Second, []string{"reading", "ignored:close"}},
	// Pastes.
	{"a paste is a scan", KeyOptions{}, []in{{0, "\x1b[200~HC1:XYZ012\x1b[201~"}}, time.Second, []string{"reading", "scan:HC1:XYZ012"}},
	{"a paste split across reads", KeyOptions{}, []in{{0, "\x1b[200~HC1:X"}, {ms, "YZ\x1b[20"}, {2 * ms, "1~"}}, time.Second, []string{"reading", "scan:HC1:XYZ"}},
	{"a paste holding ESC", KeyOptions{}, []in{{0, "\x1b[200~A\x1b[2B\x1b\x1b[201~"}}, time.Second, []string{"reading", "scan:A\x1b[2B\x1b"}},
	{"a paste of a short text is a scan", KeyOptions{}, []in{{0, "\x1b[200~q\x1b[201~"}}, time.Second, []string{"reading", "scan:q"}},
	{"a paste with a newline", KeyOptions{}, []in{{0, "\x1b[200~HC1:XYZ\n\x1b[201~"}}, time.Second, []string{"reading", "scan:HC1:XYZ"}},
	{"an empty paste", KeyOptions{}, []in{{0, "\x1b[200~ \x1b[201~"}}, time.Second, []string{"reading", "ignored:other"}},
	{"a paste that never ends", KeyOptions{}, []in{{0, "\x1b[200~HC1:XYZ"}}, 2 * time.Second, []string{"reading", "misread:incomplete"}},
	{"a paste just after a key", KeyOptions{}, []in{{0, "m"}, {50 * ms, "\x1b[200~HC1:XYZ\x1b[201~"}}, time.Second, []string{"ignored:close", "reading", "scan:HC1:XYZ"}},
	{"an over-long paste", KeyOptions{Max: 64}, []in{{0, "\x1b[200~" + strings.Repeat("A", 100) + "\x1b[201~"}}, time.Second, []string{"reading", "misread:too long"}},
	{"keys after a paste", KeyOptions{}, []in{{0, "\x1b[200~HC1:XYZ\x1b[201~"}, {500 * ms, "l"}}, time.Second, []string{"reading", "scan:HC1:XYZ", "key:l"}},
}

func TestKeyboardClassifier(t *testing.T) {
	for _, c := range keyboardCases {
		t.Run(c.name, func(t *testing.T) {
			got := run(t, c.opts, c.reads, c.end)
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", c.want) {
				t.Errorf("got  %q\nwant %q", short(got), short(c.want))
			}
		})
	}
}

func short(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		if len(x) > 40 {
			x = x[:40] + fmt.Sprintf("…(%d)", len(x))
		}
		out[i] = x
	}
	return out
}

// TestKeyboardTooSlow: the slow scanner's report says what gap to set.
func TestKeyboardTooSlow(t *testing.T) {
	t0 := time.Now()
	var got Scan
	c := newClassifier(KeyOptions{}, func(s Scan) { got = s }, func([]byte) { t.Error("a key was released") })
	for i, r := range "HC1:ABCDEFGHIJKLMNOP\r" {
		c.read([]byte(string(r)), t0.Add(time.Duration(i)*80*ms))
	}
	want := "scanner: keys too slow for a scanner's burst and too fast for commands: 20 keys about 80ms apart, the slowest pause 80ms; a scanner this slow needs a gap of 120ms"
	if got.Kind != Ignored || got.Err == nil || got.Err.Error() != want {
		t.Errorf("got %v %v\nwant %s", got.Kind, got.Err, want)
	}
}

func TestKeyOptionsCheck(t *testing.T) {
	cases := []struct {
		o    KeyOptions
		want string // "" for no error, else a part of it
	}{
		{KeyOptions{}, ""},
		{KeyOptions{Gap: 100 * ms}, ""},
		{KeyOptions{Gap: 5 * ms}, "gap 5ms"},
		{KeyOptions{Gap: time.Second}, "gap 1s"},
		{KeyOptions{Quiet: 60 * ms}, "quiet 60ms"},                  // under twice the default gap
		{KeyOptions{Gap: 100 * ms, Quiet: 150 * ms}, "quiet 150ms"}, // under twice the gap
		{KeyOptions{Gap: 100 * ms, Quiet: 200 * ms}, ""},
		{KeyOptions{Quiet: 3 * time.Second}, "quiet 3s"},
		{KeyOptions{MinLen: 2}, "minimum length 2"},
		{KeyOptions{Max: 10}, "cap 10"},
	}
	for _, c := range cases {
		err := c.o.Check()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.o, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: error %v, want one about %q", c.o, err, c.want)
		}
	}
	// Whatever the gap, the default quiet is above it.
	for g := 10 * ms; g <= 250*ms; g += 10 * ms {
		if _, q, _, _ := (KeyOptions{Gap: g}).resolved(); q <= g || (KeyOptions{Gap: g}).Check() != nil {
			t.Errorf("gap %v: quiet %v", g, q)
		}
	}
}

func TestKeyLen(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{"a", 1}, {"ab", 1}, {"\r", 1}, {"\x03", 1}, {"한글", 3}, {"\xff", 1},
		{"\x1b", 1}, {"\x1b\x1b", 1}, {"\x1bx", 2}, {"\x1b한", 4},
		{"\x1b[A", 3}, {"\x1b[1;5C", 6}, {"\x1b[200~x", 6}, {"\x1b[", 2}, {"\x1b[12\x01", 4},
		{"\x1bOP", 3}, {"\x1bO", 2},
		{"\x1b]11;rgb:0000/0000/0000\x1b\\x", 25}, {"\x1b]11;x\x07y", 7}, {"\x1b]11;x\x1bq", 6},
		{"\x1b[" + strings.Repeat("1", 200), maxKey},
	}
	for _, c := range cases {
		if got := keyLen([]byte(c.in)); got != c.want {
			t.Errorf("keyLen(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

// encode writes reads as fuzz input: each read is the gap in ms since the
// previous one (2 bytes), its length (1 byte) and its bytes.
func encode(reads []in) []byte {
	var out []byte
	var prev time.Duration
	for _, r := range reads {
		g := max(0, (r.at-prev)/ms)
		prev = r.at
		for len(r.data) > 0 {
			n := min(len(r.data), 255)
			out = binary.BigEndian.AppendUint16(out, uint16(min(g, 65535)))
			out = append(out, byte(n))
			out = append(out, r.data[:n]...)
			r.data, g = r.data[n:], 0
		}
	}
	return out
}

func decode(b []byte) []in {
	var out []in
	var at time.Duration
	for len(b) >= 3 {
		at += time.Duration(binary.BigEndian.Uint16(b)) * ms
		n := min(int(b[2]), len(b)-3)
		if n > 0 { // a read returns a byte at least
			out = append(out, in{at, string(b[3 : 3+n])})
		}
		b = b[3+n:]
	}
	return out
}

// FuzzKeyboard: whatever the bytes and their timing, a key is released
// only when its read stood alone, with the keyboard quiet before and after
// it (so no byte of a burst ever is), every Reading is answered by exactly
// one Read or Ignored, and once everything is quiet nothing is left open.
func FuzzKeyboard(f *testing.F) {
	for _, c := range keyboardCases {
		f.Add(encode(c.reads))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		reads := decode(b)
		o := KeyOptions{Max: 256}
		gap, quiet, _, _ := o.resolved()
		t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
		type release struct {
			read int
			key  string
		}
		var released []release
		var events []Scan
		cur := 0
		c := newClassifier(o, func(s Scan) { events = append(events, s) }, func(k []byte) { released = append(released, release{cur, string(k)}) })
		for i, r := range reads {
			// What is released as a read arrives belongs to an earlier one.
			cur = i - 1
			c.advance(t0.Add(r.at))
			cur = i
			c.read([]byte(r.data), t0.Add(r.at))
		}
		cur = len(reads) - 1
		end := time.Hour
		if len(reads) > 0 {
			end += reads[len(reads)-1].at
		}
		c.advance(t0.Add(end))
		if _, open := c.deadline(); open {
			t.Fatal("something is still open after an hour of quiet")
		}
		for _, r := range released {
			if r.read < 0 {
				t.Fatalf("key %q released before any read", r.key)
			}
			// An LF just after a CR is part of the same Enter.
			if r.key == "\r" && reads[r.read].data == "\n" && r.read > 0 && reads[r.read-1].data == "\r" && reads[r.read].at-reads[r.read-1].at <= gap {
				r.read--
			}
			data, next := reads[r.read].data, r.read+1
			if data == "\r\n" {
				data = "\r"
			}
			if data == "\r" && next < len(reads) && reads[next].data == "\n" && reads[next].at-reads[r.read].at <= gap {
				next++
			}
			if r.key != data {
				t.Fatalf("released %q from the read %q: not a whole read", r.key, reads[r.read].data)
			}
			if r.read > 0 && reads[r.read].at-reads[r.read-1].at < quiet {
				t.Fatalf("released %q, %v after the read before it", r.key, reads[r.read].at-reads[r.read-1].at)
			}
			if next < len(reads) && reads[next].at-reads[r.read].at < quiet {
				t.Fatalf("released %q, %v before the read after it", r.key, reads[next].at-reads[r.read].at)
			}
		}
		reading := false
		for _, e := range events {
			switch e.Kind {
			case Reading:
				if reading {
					t.Fatal("Reading twice without an answer")
				}
				reading = true
			case Read, Ignored:
				reading = false
				if e.Kind == Read && (e.Payload == nil) == (e.Err == nil) {
					t.Fatalf("a read with payload %q and error %v", e.Payload, e.Err)
				}
				if e.Kind == Ignored && e.Err == nil {
					t.Fatal("Ignored without a reason")
				}
				if len(e.Payload) > o.Max {
					t.Fatalf("a scan of %d bytes, over the cap", len(e.Payload))
				}
			default:
				t.Fatalf("a %v report", e.Kind)
			}
		}
		if reading {
			t.Fatal("a Reading left unanswered")
		}
	})
}

// BenchmarkKeyboardClassifier: the cost per key of a scanner's burst, by
// its length. It must be flat: no work over the keys already held.
func BenchmarkKeyboardClassifier(b *testing.B) {
	for _, n := range []int{50, 500, 2000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			var scans int
			c := newClassifier(KeyOptions{}, func(s Scan) {
				if s.Kind == Read {
					scans++
				}
			}, func([]byte) { b.Fatal("a key was released") })
			keys := make([][]byte, n)
			for i := range keys {
				keys[i] = []byte{dcc[i%len(dcc)]}
			}
			enter := []byte{'\r'}
			at := time.Now()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			b.ResetTimer()
			for b.Loop() {
				for _, k := range keys {
					c.read(k, at)
					at = at.Add(2 * ms)
				}
				c.read(enter, at)
				at = at.Add(time.Second)
			}
			b.StopTimer()
			runtime.ReadMemStats(&m1)
			if scans != b.N {
				b.Fatalf("%d scans from %d bursts", scans, b.N)
			}
			keysTyped := float64(b.N) * float64(n+1)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/keysTyped, "ns/key")
			b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/keysTyped, "allocs/key")
		})
	}
}
