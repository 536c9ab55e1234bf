package cli

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/verify"
)

// lineCase is one input to eachLine and what fn must be given.
type lineCase struct {
	name  string
	input string
	want  []string // a line, or "TOO LONG <size>"
}

// eachLineLimit is the line limit of the table: small, so lines over it
// are cheap to write.
const eachLineLimit = 16

var eachLineCases = []lineCase{
	{"lines", "a\nb\n", []string{"a", "b"}},
	{"no final line ending", "a\nb", []string{"a", "b"}},
	{"CRLF", "a\r\nb\r\n", []string{"a", "b"}},
	{"empty lines are skipped", "\n\na\n\r\n\nb\n\n", []string{"a", "b"}},
	{"a byte-order mark", "\xef\xbb\xbfa\nb\n", []string{"a", "b"}},
	{"a byte-order mark later is kept", "a\n\xef\xbb\xbfb\n", []string{"a", "\xef\xbb\xbfb"}},
	{"at the limit", strings.Repeat("x", 16) + "\r\nb\n", []string{strings.Repeat("x", 16), "b"}},
	{"one over", strings.Repeat("x", 17) + "\nb\n", []string{"TOO LONG 18", "b"}},
	{"one over, at the end", "a\n" + strings.Repeat("x", 17), []string{"a", "TOO LONG 17"}},
	{"longer than the read buffer", "a\n" + strings.Repeat("x", 300<<10) + "\r\nb\n", []string{"a", fmt.Sprintf("TOO LONG %d", 300<<10+2), "b"}},
	{"nothing", "", nil},
}

// collectLines runs eachLine over input as the verify command does.
func collectLines(t testing.TB, input string, limit int) []string {
	var got []string
	err := eachLine(strings.NewReader(input), limit, func(line []byte, size int) error {
		if line == nil {
			got = append(got, fmt.Sprintf("TOO LONG %d", size))
		} else {
			got = append(got, string(line))
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestEachLine(t *testing.T) {
	for _, c := range eachLineCases {
		t.Run(c.name, func(t *testing.T) {
			if got := collectLines(t, c.input, eachLineLimit); strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// FuzzEachLine holds eachLine to the obvious reading: split at line feeds,
// trim carriage returns, skip empty lines, refuse long ones.
func FuzzEachLine(f *testing.F) {
	for _, c := range eachLineCases {
		if len(c.input) < 1<<10 {
			f.Add(c.input)
		}
	}
	f.Fuzz(func(t *testing.T, input string) {
		var want []string
		body := strings.TrimPrefix(input, "\xef\xbb\xbf")
		for i, seg := range strings.Split(body, "\n") {
			raw := len(seg)
			if i < strings.Count(body, "\n") {
				raw++ // its line feed
			}
			switch line := strings.TrimRight(seg, "\r"); {
			case len(line) > eachLineLimit:
				want = append(want, fmt.Sprintf("TOO LONG %d", raw))
			case line != "":
				want = append(want, line)
			}
		}
		if got := collectLines(t, input, eachLineLimit); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

// TestBatchKeepsOrder: answers come out in the order the payloads went in,
// however the workers finish; the payloads marked in sequence are decided
// one at a time, in their order; the exit status sees every verdict.
func TestBatchKeepsOrder(t *testing.T) {
	for _, workers := range []int{1, 2, 8} {
		for _, n := range []int{0, 1, groupSize - 1, groupSize, 1000} {
			t.Run(fmt.Sprintf("%d workers, %d payloads", workers, n), func(t *testing.T) {
				var inSeq, lastSeq atomic.Int64
				lastSeq.Store(-1)
				decide := func(p []byte) verify.Result {
					var i int
					fmt.Sscanf(string(p), "%d", &i)
					if bytes.HasSuffix(p, []byte("seq")) {
						if inSeq.Add(1) != 1 {
							t.Errorf("payload %d: two in-sequence payloads decided at once", i)
						}
						if prev := lastSeq.Swap(int64(i)); prev >= int64(i) {
							t.Errorf("in-sequence payload %d decided after %d", i, prev)
						}
						defer inSeq.Add(-1)
					}
					// Scramble the order in which the workers finish.
					time.Sleep(time.Duration(i*7919%13) * 10 * time.Microsecond)
					v := verify.Pass
					if bytes.HasSuffix(p, []byte("no")) {
						v = verify.Fail
					}
					return verify.Result{Verdict: v, Detail: string(p)}
				}
				var out bytes.Buffer
				b := newBatch(&out, decide, func(p []byte) bool { return bytes.HasSuffix(p, []byte("seq")) }, workers)
				var want []string
				wantPass := true
				for i := range n {
					p := fmt.Sprint(i)
					switch {
					case i%97 == 5:
						p += " no"
						wantPass = false
					case i%10 == 3:
						p += " seq"
					}
					if i%101 == 7 {
						// A line too long to keep has its place too.
						if err := b.submit(nil, 99999); err != nil {
							t.Fatal(err)
						}
						want = append(want, "the scan is 99999 bytes, more than any pass holds")
						wantPass = false
					}
					if err := b.submit([]byte(p), len(p)); err != nil {
						t.Fatal(err)
					}
					want = append(want, p)
				}
				allPass, err := b.finish()
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				sc := bufio.NewScanner(&out)
				for sc.Scan() {
					var r verify.Result
					if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
						t.Fatalf("%v: %s", err, sc.Bytes())
					}
					got = append(got, r.Detail)
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("answers out of order or missing: %d answers for %d payloads", len(got), len(want))
				}
				if allPass != wantPass {
					t.Errorf("all passed: %v, want %v", allPass, wantPass)
				}
			})
		}
	}
}

// bigHealthCard is a demo health card too large for one QR, split in parts.
func bigHealthCard(t *testing.T, at time.Time, parts int) []string {
	t.Helper()
	noise := make([]byte, 600)
	rand.Read(noise)
	jws, err := demo.SHCSigner().Sign(demo.HealthCard{
		IssuedAt: at.Add(-48 * time.Hour), Rid: "big", Family: "Lee", Given: []string{base64.RawURLEncoding.EncodeToString(noise)}, BirthDate: "1951-01-20",
		Shots: []demo.Shot{{CVX: "207", Date: "2021-01-01"}, {CVX: "207", Date: "2021-01-29"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return demo.ChunkQRs(jws, parts)
}

// verifyInput is a day at a busy door and then some: rounds of every demo
// pass, split health cards in and out of order among the others, a card's
// part read twice, damaged and unknown codes, a line too long, CRLF.
func verifyInput(t *testing.T, at time.Time, rounds int) []string {
	t.Helper()
	passes, err := demo.Passes(at)
	if err != nil {
		t.Fatal(err)
	}
	var in []string
	for i := range rounds {
		for _, p := range passes {
			in = append(in, p.Payload)
		}
		card := bigHealthCard(t, at, 2+i%3)
		switch i % 4 {
		case 0:
			in = append(in, card...)
		case 1:
			in = append(in, card[len(card)-1])
			in = append(in, card[:len(card)-1]...)
		case 2:
			in = append(in, card[0], card[0])
			in = append(in, card[1:]...)
		default:
			in = append(in, card[1], passes[0].Payload)
			in = append(in, card[0])
			in = append(in, card[2:]...)
		}
		in = append(in, "HC1:NCF", "https://example.com/menu", strings.Repeat("9", maxLine+1), passes[1].Payload+"\r")
	}
	return in
}

// inputRounds is how many rounds of verifyInput the tests decide: fewer
// with -short (CI's 32-bit run, whose P-256 has no assembly).
func inputRounds() int {
	if testing.Short() {
		return 24
	}
	return 240
}

// runVerify runs the verify command in this process, with GOMAXPROCS
// set to procs (the number of workers deciding).
func runVerify(t *testing.T, procs int, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	var out, errb bytes.Buffer
	t.Setenv("MUNJIGI_CONFIG", "none")
	code = Run(append([]string{"verify"}, args...), IO{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

// TestVerifyMatchesOneByOne: 'munjigi verify' on every core answers
// exactly, byte for byte, what a Verifier deciding the lines one after
// another answers; split health cards included, whose parts depend on
// each other.
func TestVerifyMatchesOneByOne(t *testing.T) {
	at := time.Now().UTC().Truncate(time.Second)
	in := verifyInput(t, at, inputRounds())

	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	v := verify.New(demo.Trust(at), func() time.Time { return at })
	var counts = map[verify.Reason]int{}
	for _, line := range in {
		line = strings.TrimRight(line, "\r")
		r := verify.TooLarge(len(line) + 1)
		if len(line) <= maxLine {
			r = v.Verify([]byte(line))
		}
		counts[r.Reason]++
		enc.Encode(r)
	}
	// The input holds what it says it does.
	for _, reason := range []verify.Reason{verify.ReasonOK, verify.ReasonIncomplete, verify.ReasonTooLarge, verify.ReasonExpired, verify.ReasonRevoked, verify.ReasonUnknownSigner} {
		if counts[reason] == 0 {
			t.Fatalf("the input has no %s answer: %v", reason, counts)
		}
	}

	for _, procs := range []int{1, 2, 8} {
		code, got, stderr := runVerify(t, procs, strings.Join(in, "\n")+"\n", "--demo", "--at", at.Format(time.RFC3339))
		if code != ExitNotPass {
			t.Errorf("%d workers: exit %d, want 1: %s", procs, code, stderr)
		}
		if got != want.String() {
			gl, wl := strings.Split(got, "\n"), strings.Split(want.String(), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("%d workers: line %d of %d differs:\n got %s\nwant %s", procs, i+1, len(wl), gl[i], wl[i])
				}
			}
			t.Fatalf("%d workers: %d lines, want %d", procs, len(gl), len(wl))
		}
	}
}

// TestVerifyPolicyOnEveryCore: with the venue's rules, the answers on
// eight workers are the answers on one.
func TestVerifyPolicyOnEveryCore(t *testing.T) {
	at := time.Now().UTC().Truncate(time.Second)
	stdin := strings.Join(verifyInput(t, at, inputRounds()/4), "\n")
	args := []string{"--demo", "--at", at.Format(time.RFC3339), "--policy", demo.Profile, "--venue", demo.VenueType}
	_, one, stderr := runVerify(t, 1, stdin, args...)
	if !strings.Contains(one, `"rule-failed"`) || !strings.Contains(one, `"rule-manual"`) {
		t.Fatalf("the rules judged nothing: %s\n%s", stderr, one[:min(len(one), 2000)])
	}
	if _, eight, _ := runVerify(t, 8, stdin, args...); eight != one {
		t.Errorf("eight workers answered otherwise than one")
	}
}

// failingWriter accepts n bytes, then fails, as a closed pipe does.
type failingWriter struct{ n int }

var errClosed = errors.New("closed")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errClosed
	}
	w.n -= len(p)
	return len(p), nil
}

// endless repeats a line for ever: input that only a failure can stop.
type endless struct {
	line []byte
	off  int
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], e.line[e.off:])
		n += c
		e.off = (e.off + c) % len(e.line)
	}
	return n, nil
}

// TestVerifyStopsWhenOutputFails: when standard output fails, verify stops
// reading and says so with exit status 2, however much input is left.
func TestVerifyStopsWhenOutputFails(t *testing.T) {
	at := time.Now().UTC()
	passes, err := demo.Passes(at)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 100, 300 << 10} {
		var errb bytes.Buffer
		t.Setenv("MUNJIGI_CONFIG", "none")
		code := Run([]string{"verify", "--demo"}, IO{In: &endless{line: []byte(passes[0].Payload + "\n")}, Out: &failingWriter{n: n}, Err: &errb})
		if code != ExitUsage || !strings.Contains(errb.String(), "writing standard output: closed") {
			t.Errorf("output failing after %d bytes: exit %d, %q", n, code, errb.String())
		}
	}
}

// BenchmarkVerifyCommand is 'munjigi verify' in this process on 2,000
// genuine demo passes (the four that pass, repeated), with everything a
// whole process does but start: reading lines, deciding on every core,
// the JSON lines. It reports the time and allocations per pass; the
// whole-process comparison with the library pipeline is e2e's
// BenchmarkVerifyBatch.
func BenchmarkVerifyCommand(b *testing.B) {
	at := time.Now().UTC().Truncate(time.Second)
	passes, err := demo.Passes(at)
	if err != nil {
		b.Fatal(err)
	}
	var in strings.Builder
	n := 0
	for n < 2000 {
		for _, p := range passes {
			if p.Verify == verify.Pass && strings.HasPrefix(p.Payload, verify.PrefixDCC) {
				in.WriteString(p.Payload + "\n")
				n++
			}
		}
	}
	b.Setenv("MUNJIGI_CONFIG", "none")
	args := []string{"verify", "--demo", "--at", at.Format(time.RFC3339)}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs, bytes0 := ms.Mallocs, ms.TotalAlloc
	for b.Loop() {
		var errb strings.Builder
		if code := Run(args, IO{In: strings.NewReader(in.String()), Out: io.Discard, Err: &errb}); code != ExitOK {
			b.Fatalf("exit %d: %s", code, errb.String())
		}
	}
	runtime.ReadMemStats(&ms)
	passesRun := float64(b.N * n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/passesRun, "ns/pass")
	b.ReportMetric(float64(ms.Mallocs-mallocs)/passesRun, "allocs/pass")
	b.ReportMetric(float64(ms.TotalAlloc-bytes0)/passesRun, "B/pass")
}
