package scanner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDeduper(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	type read struct {
		payload string
		after   time.Duration // since t0
		err     bool
		want    bool // fresh
	}
	cases := []struct {
		name   string
		window time.Duration
		reads  []read
	}{
		{"a double read is one scan", 3 * time.Second, []read{{"A", 0, false, true}, {"A", 80 * time.Millisecond, false, false}}},
		{"three times in 3 s is one scan", 3 * time.Second, []read{{"A", 0, false, true}, {"A", 1400 * time.Millisecond, false, false}, {"A", 2900 * time.Millisecond, false, false}}},
		{"held under the scanner stays one scan", 3 * time.Second, []read{{"A", 0, false, true}, {"A", 2 * time.Second, false, false}, {"A", 4 * time.Second, false, false}, {"A", 6 * time.Second, false, false}}},
		{"after the window it is a new scan", 3 * time.Second, []read{{"A", 0, false, true}, {"A", 3100 * time.Millisecond, false, true}}},
		{"two people, one after the other", 3 * time.Second, []read{{"A", 0, false, true}, {"B", 500 * time.Millisecond, false, true}, {"A", time.Second, false, false}, {"B", 1200 * time.Millisecond, false, false}}},
		{"errors always pass", 3 * time.Second, []read{{"", 0, true, true}, {"", 10 * time.Millisecond, true, true}}},
		{"window 0 keeps everything", 0, []read{{"A", 0, false, true}, {"A", 0, false, true}}},
		{"a clock stepping back is not a double read", 3 * time.Second, []read{{"A", 10 * time.Second, false, true}, {"A", 0, false, true}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &Deduper{Window: c.window}
			for i, r := range c.reads {
				s := Scan{Payload: []byte(r.payload), At: t0.Add(r.after)}
				if r.err {
					s.Err = errors.New("bad read")
				}
				if got := d.Fresh(s); got != r.want {
					t.Errorf("read %d (%s at +%v): fresh %v, want %v", i, r.payload, r.after, got, r.want)
				}
			}
		})
	}
}

// fixed is a source that sends its scans and ends.
type fixed []Scan

func (f fixed) Scans(ctx context.Context) <-chan Scan {
	out := make(chan Scan)
	go func() {
		defer close(out)
		for _, s := range f {
			select {
			case out <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// TestDedupeAnswersReading: a keyboard announces a scan (Reading) before
// it ends; when the scan turns out to be a double read, the announcement
// still gets its answer (Ignored), or the screen would say "reading…"
// for ever. A source that does not announce gets nothing in its place.
func TestDedupeAnswersReading(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	a := Scan{Kind: Read, Payload: []byte("A"), At: t0}
	a2 := Scan{Kind: Read, Payload: []byte("A"), At: t0.Add(time.Second)}
	reading := Scan{Kind: Reading, At: t0}
	cases := []struct {
		name string
		in   fixed
		want string
	}{
		{"announced", fixed{reading, a, reading, a2}, "reading read:A reading ignored:double"},
		{"not announced", fixed{a, a2}, "read:A"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for s := range Dedupe(c.in, 3*time.Second).Scans(context.Background()) {
				switch {
				case s.Kind == Read:
					got = append(got, "read:"+string(s.Payload))
				case s.Kind == Ignored && errors.Is(s.Err, ErrDoubleRead):
					got = append(got, "ignored:double")
				default:
					got = append(got, s.Kind.String())
				}
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), c.want)
			}
		})
	}
}
