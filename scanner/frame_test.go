package scanner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// chunks is a reader that returns its reads one by one, as a device does.
type chunks []string

func (c *chunks) Read(p []byte) (int, error) {
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, (*c)[0])
	if n < len((*c)[0]) {
		(*c)[0] = (*c)[0][n:]
	} else {
		*c = (*c)[1:]
	}
	return n, nil
}

// split frames reads with a Framer through bufio.Scanner; a dropped line
// reads as "drop:N".
func split(t testing.TB, reads []string, end Terminator, max int) []string {
	f := &Framer{Max: max, End: end}
	r := chunks(append([]string(nil), reads...))
	sc := bufio.NewScanner(&r)
	sc.Buffer(make([]byte, 16), 64+max)
	sc.Split(f.Split)
	var out []string
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			out = append(out, fmt.Sprintf("drop:%d", f.Dropped()))
			continue
		}
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%q: %v", reads, err)
	}
	return out
}

var framingCases = []struct {
	name  string
	reads []string
	end   Terminator
	max   int
	want  []string
}{
	{"LF", []string{"a\nb\n"}, Line, 0, []string{"a", "b"}},
	{"CR", []string{"a\rb\r"}, Line, 0, []string{"a", "b"}},
	{"CRLF", []string{"a\r\nb\r\n"}, Line, 0, []string{"a", "b"}},
	{"CRLF split between reads", []string{"a\r", "\nb\r", "\n"}, Line, 0, []string{"a", "b"}},
	{"empty lines skipped", []string{"\n\r\n\ra\n\n\nb\r\r"}, Line, 0, []string{"a", "b"}},
	{"last scan without an end", []string{"a\nb"}, Line, 0, []string{"a", "b"}},
	{"one byte a read", []string{"H", "C", "1", ":", "X", "\r", "\n", "Y", "\n"}, Line, 0, []string{"HC1:X", "Y"}},
	{"GS and other controls are data", []string{"]C1\x1d01\x03\x1a\x1c\x1b[A\x7f\n"}, Line, 0, []string{"]C1\x1d01\x03\x1a\x1c\x1b[A\x7f"}},
	{"too long in one read", []string{"abcdefghij\nok\n"}, Line, 8, []string{"drop:10", "ok"}},
	{"too long across reads", []string{"abcdef", "ghij", "klm\r\nok\r\n"}, Line, 8, []string{"drop:13", "ok"}},
	{"exactly the cap", []string{"abcdefgh\n"}, Line, 8, []string{"abcdefgh"}},
	{"too long at the end", []string{"abcdefghijk"}, Line, 8, []string{"drop:11"}},
	{"NUL", []string{"a\r\nb\x00c\x00\x00"}, NUL, 0, []string{"a\r\nb", "c"}},
	{"NUL across reads", []string{"ab", "c\x00d", "\x00"}, NUL, 0, []string{"abc", "d"}},
	{"gap: only the end ends it", []string{"a\nb", "\rc"}, Gap, 0, []string{"a\nb\rc"}},
}

func TestFramer(t *testing.T) {
	for _, c := range framingCases {
		t.Run(c.name, func(t *testing.T) {
			got := split(t, c.reads, c.end, c.max)
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("%q: got %q, want %q", c.reads, got, c.want)
			}
		})
	}
}

// reference frames data the slow, obvious way: the oracle for fuzzing.
func reference(data []byte, end Terminator, max int) []string {
	var out []string
	var line []byte
	flush := func() {
		switch {
		case len(line) > max:
			out = append(out, fmt.Sprintf("drop:%d", len(line)))
		case len(line) > 0:
			out = append(out, string(line))
		}
		line = nil
	}
	for i := 0; i < len(data); i++ {
		b := data[i]
		switch {
		case end == Line && b == '\r':
			flush()
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
		case end == Line && b == '\n', end == NUL && b == 0:
			flush()
		default:
			line = append(line, b)
		}
	}
	flush()
	return out
}

// FuzzFramer checks the framer against the reference however the bytes
// are cut into reads.
func FuzzFramer(f *testing.F) {
	for _, c := range framingCases {
		f.Add([]byte(strings.Join(c.reads, "")), uint8(c.end), uint8(c.max), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, end, max, cut uint8) {
		e := Terminator(end % 3)
		m := int(max%32) + 1
		step := int(cut%7) + 1
		var reads []string
		for i := 0; i < len(data); i += step {
			reads = append(reads, string(data[i:min(i+step, len(data))]))
		}
		got := split(t, reads, e, m)
		want := reference(data, e, m)
		if strings.Join(got, "\x00|") != strings.Join(want, "\x00|") {
			t.Fatalf("%q cut every %d (%v, max %d):\n got %q\nwant %q", data, step, e, m, got, want)
		}
	})
}

// Framing with time: what a silence does to a half-read line.
func TestFrameSilence(t *testing.T) {
	cases := []struct {
		name  string
		end   Terminator
		reads []string // a silence longer than the gap after each
		want  []string // payloads, or "err:" and the error's sentinel
	}{
		{"half a line then silence is dropped, the next scan is whole", Line, []string{"HC1:ABC", "DEF\n"}, []string{"err:incomplete", "DEF"}},
		{"a long line then silence, then a scan", Line, []string{strings.Repeat("x", 20000), "ok\r\n"}, []string{"err:too long", "ok"}},
		{"a line ended before the silence", Line, []string{"a\r", "\nb\n"}, []string{"a", "b"}},
		{"gap mode: silence ends the scan", Gap, []string{"HC1:ABC", "DEF"}, []string{"HC1:ABC", "DEF"}},
		{"NUL mode: half a code dropped", NUL, []string{"abc", "def\x00"}, []string{"err:incomplete", "def"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := make(chan chunk)
			out := make(chan Scan, 16)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error)
			gap := 20 * time.Millisecond
			go func() { done <- frame(ctx, in, out, "test", Options{End: c.end, Gap: gap}) }()
			for _, r := range c.reads {
				in <- chunk{data: []byte(r), at: time.Now()}
				time.Sleep(3 * gap)
			}
			close(in)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			close(out)
			var got []string
			for s := range out {
				switch {
				case errors.Is(s.Err, ErrIncomplete):
					got = append(got, "err:incomplete")
				case errors.Is(s.Err, ErrTooLong):
					got = append(got, "err:too long")
				case s.Err != nil:
					got = append(got, "err:"+s.Err.Error())
				default:
					got = append(got, string(s.Payload))
				}
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func ExampleFramer() {
	// A scanner that ends codes with CRLF, one that sends CR, and a read
	// far too long to be a pass: each scan comes out whole, the long one
	// as an empty token, and the next scan is unharmed.
	input := "HC1:NCFOXN\r\nshc:/5676\r" + strings.Repeat("A", 9000) + "\nHC1:6BFOX\n"
	f := &Framer{}
	sc := bufio.NewScanner(strings.NewReader(input))
	sc.Split(f.Split)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			fmt.Printf("dropped %d bytes\n", f.Dropped())
			continue
		}
		fmt.Printf("scan %q\n", sc.Text())
	}
	// Output:
	// scan "HC1:NCFOXN"
	// scan "shc:/5676"
	// dropped 9000 bytes
	// scan "HC1:6BFOX"
}
