package scanner

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// press is one key event for the wedge; tick asks it to settle.
type press struct {
	at    time.Duration
	key   string // the screen's name of the key
	text  string
	enter bool
	tick  bool
}

// burst is a scanner typing s, a key every 2 ms from at, then Enter.
func burst(at time.Duration, s string, enter bool) []press {
	var out []press
	for i, r := range s {
		out = append(out, press{at: at + time.Duration(i)*2*time.Millisecond, key: string(r), text: string(r)})
	}
	if enter {
		out = append(out, press{at: at + time.Duration(len(s))*2*time.Millisecond, key: "enter", enter: true})
	}
	return out
}

func TestWedge(t *testing.T) {
	pass := "HC1:NCFOXN%TS3DH0RGPJB/IB-OM7533SR7694RI3XH82"
	cases := []struct {
		name     string
		max      int
		presses  []press
		released string   // the keys the screen gets, space-separated
		scans    []string // payloads, or "err:too long"
	}{
		{"a scanner's burst is a scan, not keys", 0, burst(0, pass, true), "", []string{pass}},
		{"a person's key is released after a pause", 0, []press{{at: 0, key: "q", text: "q"}, {at: 30 * time.Millisecond, tick: true}}, "q", nil},
		{"a key is held until the pause", 0, []press{{at: 0, key: "q", text: "q"}, {at: 10 * time.Millisecond, tick: true}}, "", nil},
		{"a person typing a PIN", 0, []press{
			{at: 0, key: "1", text: "1"}, {at: 150 * time.Millisecond, key: "2", text: "2"},
			{at: 300 * time.Millisecond, key: "3", text: "3"}, {at: 420 * time.Millisecond, key: "enter", enter: true},
		}, "1 2 3 enter", nil},
		{"Enter alone", 0, []press{{at: 0, key: "enter", enter: true}}, "enter", nil},
		{"two keys at once are still a person", 0, []press{{at: 0, key: "a", text: "a"}, {at: time.Millisecond, key: "b", text: "b"}, {at: 2 * time.Millisecond, key: "enter", enter: true}}, "a b enter", nil},
		{"a held key's auto-repeat is a person", 0, []press{
			{at: 0, key: "j", text: "j"}, {at: 33 * time.Millisecond, key: "j", text: "j"}, {at: 66 * time.Millisecond, key: "j", text: "j"},
			{at: 99 * time.Millisecond, key: "j", text: "j"}, {at: 132 * time.Millisecond, key: "j", text: "j"}, {at: 165 * time.Millisecond, key: "j", text: "j"},
			{at: 198 * time.Millisecond, key: "j", text: "j"}, {at: 231 * time.Millisecond, key: "j", text: "j"}, {at: 264 * time.Millisecond, key: "j", text: "j"},
			{at: 300 * time.Millisecond, tick: true},
		}, "j j j j j j j j j", nil},
		{"control keys inside a burst are data", 0, burst(0, "HC1:AB\x03CD\x1aEF\x1c\x1bGH", true), "", []string{"HC1:AB\x03CD\x1aEF\x1c\x1bGH"}},
		{"a scanner with no suffix ends at the pause", 0, append(burst(0, pass, false), press{at: time.Second, tick: true}), "", []string{pass}},
		{"a person's key, then a scan", 0, append([]press{{at: 0, key: "s", text: "s"}}, burst(500*time.Millisecond, pass, true)...), "s", []string{pass}},
		{"a scan, then a person's key", 0, append(burst(0, pass, true), press{at: time.Second, key: "l", text: "l"}, press{at: 1100 * time.Millisecond, tick: true}), "l", []string{pass}},
		{"the terminal delivered the burst at once", 0, []press{{at: 0, key: "runes", text: pass}, {at: time.Millisecond, key: "enter", enter: true}}, "", []string{pass}},
		{"an arrow inside a burst spoils the code", 0, append(burst(0, "HC1:ABCD", false), press{at: 16 * time.Millisecond, key: "up"}, press{at: 18 * time.Millisecond, key: "enter", enter: true}), "", []string{"HC1:ABCD\uFFFD"}},
		{"an over-long burst is dropped", 16, burst(0, strings.Repeat("A", 40), true), "", []string{"err:too long"}},
		{"and the next scan is whole", 16, append(burst(0, strings.Repeat("A", 40), true), burst(time.Second, "HC1:XYZ012", true)...), "", []string{"err:too long", "HC1:XYZ012"}},
	}
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := &Wedge[string]{Max: c.max}
			var released []string
			var scans []string
			take := func(rel []string, s *Scan) {
				released = append(released, rel...)
				switch {
				case s == nil:
				case errors.Is(s.Err, ErrTooLong):
					scans = append(scans, "err:too long")
				case s.Err != nil:
					t.Errorf("scan error %v", s.Err)
				default:
					scans = append(scans, string(s.Payload))
				}
			}
			for _, p := range c.presses {
				if p.tick {
					take(w.Tick(t0.Add(p.at)))
					continue
				}
				take(w.Key(p.key, p.text, p.enter, t0.Add(p.at)))
			}
			if got := strings.Join(released, " "); got != c.released {
				t.Errorf("released %q, want %q", got, c.released)
			}
			if strings.Join(scans, "|") != strings.Join(c.scans, "|") {
				t.Errorf("scans %q, want %q", scans, c.scans)
			}
		})
	}
}

func TestWedgeDue(t *testing.T) {
	w := &Wedge[string]{}
	if _, ok := w.Due(); ok {
		t.Error("an empty wedge is due")
	}
	t0 := time.Now()
	w.Key("x", "x", false, t0)
	if at, ok := w.Due(); !ok || !at.Equal(t0.Add(25*time.Millisecond)) {
		t.Errorf("due %v %v, want 25 ms after the key", at, ok)
	}
}
