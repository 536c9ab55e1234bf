package scanner

import (
	"errors"
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
