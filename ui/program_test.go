package ui

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"munjigi/gate"
	"munjigi/scanner"
	"munjigi/verify"
)

// screenOutput collects what a running program draws, and tells a waiting
// test when a text appears.
type screenOutput struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	wake chan struct{}
}

func newScreenOutput() *screenOutput { return &screenOutput{wake: make(chan struct{}, 1)} }

func (o *screenOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.buf.Write(p)
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

// waitFor waits until the output since mark holds text; it returns the
// new mark.
func (o *screenOutput) waitFor(t testing.TB, mark int, text string, within time.Duration) int {
	t.Helper()
	deadline := time.After(within)
	for {
		o.mu.Lock()
		out := o.buf.Bytes()[mark:]
		i := bytes.Index(out, []byte(text))
		o.mu.Unlock()
		if i >= 0 {
			return mark + i + len(text)
		}
		select {
		case <-o.wake:
		case <-deadline:
			t.Fatalf("%q never appeared on the screen", text)
		}
	}
}

func (o *screenOutput) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Len()
}

// run starts the screen as a real Bubble Tea program, its input a pipe the
// test types into (as a terminal would deliver a keyboard's bytes).
func run(t testing.TB, m *Model) (p *tea.Program, typed io.Writer, out *screenOutput, done chan tea.Model) {
	t.Helper()
	r, w := io.Pipe()
	out = newScreenOutput()
	p = tea.NewProgram(m, tea.WithInput(r), tea.WithOutput(out), tea.WithoutSignalHandler())
	done = make(chan tea.Model, 1)
	go func() {
		final, err := p.Run()
		if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
			t.Errorf("program: %v", err)
		}
		done <- final
	}()
	p.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
	t.Cleanup(func() {
		p.Kill()
		w.Close()
	})
	return p, w, out, done
}

// slowDoor is the real door behind a verification that takes up to 10 s:
// standing in for a verifier stuck on a slow disk or CPU, which cannot be
// made to happen here on demand.
type slowDoor struct {
	*testDoor
	release chan struct{}
}

func (d slowDoor) Handle(s scanner.Scan) gate.Outcome {
	select {
	case <-d.release:
	case <-time.After(10 * time.Second):
	}
	return d.testDoor.Handle(s)
}

// TestNeverBlocks: while a scan takes 10 s to verify, the screen still
// answers keys.
func TestNeverBlocks(t *testing.T) {
	d := newTestDoor(t)
	slow := slowDoor{d, make(chan struct{})}
	cfg := d.config("en")
	cfg.Door = slow
	scans := make(chan scanner.Scan, 1)
	cfg.Scans = scans
	p, typed, out, _ := run(t, New(cfg))
	mark := out.waitFor(t, 0, "Scan your pass", 5*time.Second)
	started := time.Now()
	scans <- scanner.Scan{Payload: d.payload(t, validLabel), At: time.Now()}
	mark = out.waitFor(t, mark, "Checking…", 2*time.Second)
	io.WriteString(typed, "?")
	mark = out.waitFor(t, mark, "Keys", 2*time.Second)
	io.WriteString(typed, "\x1b") // Esc: back
	out.waitFor(t, mark, "Scan your pass", 2*time.Second)
	if waited := time.Since(started); waited > 5*time.Second {
		t.Fatalf("the keys took %v to answer", waited)
	}
	close(slow.release)
	out.waitFor(t, mark, "PASS", 5*time.Second)
	p.Quit()
}

// TestKeyboardScanner: a wedge scanner's burst is a scan even when it is
// full of letters that are staff keys (a SMART Health Card starts "shc:/"
// and s is the stats key); a double read is one scan; a person's s still
// opens the stats.
func TestKeyboardScanner(t *testing.T) {
	d := newTestDoor(t)
	cfg := d.config("en")
	cfg.DedupeWindow = 3 * time.Second
	_, typed, out, done := run(t, New(cfg))
	mark := out.waitFor(t, 0, "Scan your pass", 5*time.Second)
	shc := string(d.payload(t, "SMART Health Card, booster")) + "\r"
	io.WriteString(typed, shc)
	mark = out.waitFor(t, mark, "PASS", 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	io.WriteString(typed, shc) // a double read: one scan
	time.Sleep(100 * time.Millisecond)
	io.WriteString(typed, "s")
	mark = out.waitFor(t, mark, "by hour", 5*time.Second)
	// A paste is a scan too.
	io.WriteString(typed, "\x1b[200~"+string(d.payload(t, "expired certificate"))+"\x1b[201~")
	out.waitFor(t, mark, "NO ENTRY", 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	io.WriteString(typed, "q") // the kiosk asks first
	out.waitFor(t, mark, "Quit?", 5*time.Second)
	io.WriteString(typed, "y")
	select {
	case final := <-done:
		m := final.(*Model)
		if len(m.log) != 2 || m.log[1].Method != "qr" || m.log[1].Verdict != "pass" || m.log[0].Reason != "expired" {
			t.Errorf("the log: %+v", m.log)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("y did not quit")
	}
}

// TestScansInOrder: scans from a serial scanner are decided one at a
// time, in the order they came.
func TestScansInOrder(t *testing.T) {
	d := newTestDoor(t)
	cfg := d.config("en")
	scans := make(chan scanner.Scan)
	cfg.Scans = scans
	p, _, out, done := run(t, New(cfg))
	out.waitFor(t, 0, "Scanner OFF", 5*time.Second)
	scans <- scanner.Scan{Kind: scanner.Connected, Source: "serial:/dev/ttyACM0"}
	out.waitFor(t, 0, "Scanner on", 5*time.Second)
	labels := []string{validLabel, "expired certificate", "negative PCR test", "altered after signing", "recovered"}
	for _, l := range labels {
		scans <- scanner.Scan{Payload: d.payload(t, l), At: time.Now()}
	}
	scans <- scanner.Scan{Err: scanner.ErrIncomplete, At: time.Now()}
	out.waitFor(t, 0, "Today 3 pass · 2 no · 0 hand", 5*time.Second) // a misread is no visitor
	p.Quit()
	m := (<-done).(*Model)
	var got []string
	for _, e := range m.log {
		got = append([]string{e.Reason}, got...)
	}
	want := []string{"ok", "expired", "ok", "bad-signature", "ok", "misread"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decided %v, want %v", got, want)
	}
	if n, _ := d.db.Count(); n != 6 {
		t.Errorf("%d entries recorded, want 6", n)
	}
}

func TestManualCheck(t *testing.T) {
	for _, c := range []struct {
		name   string
		pins   map[string]string
		keys   []string
		method gate.Method
		staff  string
		pass   bool
	}{
		{"sticker, no PIN", nil, []string{"1"}, gate.MethodManualSticker, "", true},
		{"solo diner", nil, []string{"7"}, gate.MethodExemption, "", true},
		{"deny", nil, []string{"0"}, gate.MethodOverride, "", false},
		{"SMS with a PIN", map[string]string{"2468": "kim"}, []string{"2", "1", "3", "5", "7", "enter", "2", "4", "6", "8", "enter"}, gate.MethodManualSMS, "kim", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := newTestDoor(t)
			cfg := d.config("en")
			cfg.StaffPINs = c.pins
			m := New(cfg)
			decide(t, m, d, "first dose only")
			if m.screen != verdictScreen || m.manualFor == nil {
				t.Fatalf("a manual verdict does not offer the check: screen %d", m.screen)
			}
			m.Update(holdOver(m.shownN))
			if m.screen != verdictScreen {
				t.Fatal("a manual verdict left the screen before staff acted")
			}
			var cmd tea.Cmd
			for _, k := range c.keys {
				cmd = m.handleKey(keyMsg(k))
			}
			if cmd == nil {
				t.Fatalf("no record after %v (note %q)", c.keys, m.note)
			}
			m.Update(cmd())
			if !strings.Contains(m.View(), map[bool]string{true: "PASS", false: "NO ENTRY"}[c.pass]) {
				t.Errorf("after the check:\n%s", m.View())
			}
			last, _ := d.db.Latest(1)
			if len(last) != 1 || last[0].Method != string(c.method) || last[0].Staff != c.staff || last[0].Admitted != c.pass {
				t.Errorf("recorded %+v", last)
			}
		})
	}
}

// TestDiningAloneWhereItApplies: the solo-diner allowance is offered at
// restaurants and cafés only.
func TestDiningAloneWhereItApplies(t *testing.T) {
	d := newTestDoor(t)
	cfg := d.config("en")
	cfg.VenueType = "gym"
	m := New(cfg)
	press(m, "m")
	if strings.Contains(m.View(), "dining alone") {
		t.Errorf("offered at a gym:\n%s", m.View())
	}
	if cmd := press(m, "7"); cmd != nil {
		t.Error("7 records at a gym")
	}
	cfg.VenueType = "cafe"
	m = New(cfg)
	press(m, "m")
	if !strings.Contains(m.View(), "7  dining alone") {
		t.Errorf("not offered at a café:\n%s", m.View())
	}
}

func TestWrongPIN(t *testing.T) {
	d := newTestDoor(t)
	cfg := d.config("en")
	cfg.StaffPINs = map[string]string{"2468": "kim"}
	m := New(cfg)
	press(m, "q")
	press(m, "y")
	for _, k := range []string{"1", "1", "1", "1", "enter"} {
		if cmd := press(m, k); cmd != nil {
			t.Fatal("a wrong PIN did something")
		}
	}
	if !strings.Contains(m.View(), "wrong PIN") {
		t.Errorf("no word of a wrong PIN:\n%s", m.View())
	}
	for _, k := range []string{"2", "4", "6", "8"} {
		press(m, k)
	}
	cmd := press(m, "enter")
	if cmd == nil {
		t.Fatal("the right PIN does not quit")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("the right PIN does not quit")
	}
	if n, _ := d.db.Count(); n != 0 {
		t.Errorf("quitting recorded %d entries", n)
	}
}

func TestDemoQuitsAtOnce(t *testing.T) {
	d := newTestDoor(t)
	cfg := d.config("ko")
	cfg.Demo = true
	m := New(cfg)
	if cmd := press(m, "q"); cmd == nil {
		t.Fatal("q does not quit the demo")
	} else if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q does not quit the demo")
	}
	cfg.Demo = false
	m = New(cfg)
	if cmd := press(m, "q"); cmd != nil || m.screen != quitScreen {
		t.Fatal("q quits the kiosk without asking")
	}
	press(m, "n")
	if m.screen != readyScreen {
		t.Errorf("n leaves screen %d", m.screen)
	}
}

func TestHold(t *testing.T) {
	d := newTestDoor(t)
	m := New(d.config("en"))
	decide(t, m, d, validLabel)
	first := m.shownN
	decide(t, m, d, "expired certificate")
	m.Update(holdOver(first)) // the first verdict's timer: too late
	if m.screen != verdictScreen {
		t.Fatal("an old verdict's timer ended the new verdict")
	}
	m.Update(holdOver(m.shownN))
	if m.screen != readyScreen {
		t.Fatal("the verdict outstayed its hold")
	}
	if m.cfg.FailHold <= m.cfg.Hold {
		t.Errorf("a fail stays %v, a pass %v", m.cfg.FailHold, m.cfg.Hold)
	}
}

func TestMidnight(t *testing.T) {
	d := newTestDoor(t)
	m := New(d.config("en"))
	decide(t, m, d, validLabel)
	d.now = time.Date(2026, 11, 21, 0, 0, 1, 0, seoul)
	m.Update(tickMsg(d.now))
	if m.day.Total != 0 || !strings.Contains(m.View(), "Today 0 pass") {
		t.Errorf("yesterday's counts stayed: %+v", m.day)
	}
}

// TestStartsFromHistory: a restarted kiosk shows the day so far.
func TestStartsFromHistory(t *testing.T) {
	d := newTestDoor(t)
	for _, l := range []string{validLabel, "expired certificate"} {
		d.Scan(d.payload(t, l))
	}
	m := New(d.config("en"))
	if !strings.Contains(m.View(), "Today 1 pass · 1 no · 0 hand") || len(m.log) != 2 {
		t.Errorf("the day so far is not shown:\n%s", m.View())
	}
}

// TestColours: pass, fail and manual fill the screen in green, red and
// amber.
func TestColours(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	for label, bg := range map[string]string{validLabel: "48;5;28", "expired certificate": "48;5;160", "first dose only": "48;5;214"} {
		d := newTestDoor(t)
		m := New(d.config("en"))
		decide(t, m, d, label)
		view := m.View()
		lines := strings.Split(view, "\n")
		colored := 0
		for _, l := range lines {
			if strings.Contains(l, bg) {
				colored++
			}
		}
		if colored < len(lines)-2 { // all but the status lines
			t.Errorf("%s: %d of %d lines in %s", label, colored, len(lines), bg)
		}
	}
}

// TestTexts: both languages say everything.
func TestTexts(t *testing.T) {
	ko, en := reflect.ValueOf(korean), reflect.ValueOf(english)
	for i := range ko.NumField() {
		name := ko.Type().Field(i).Name
		k, e := ko.Field(i), en.Field(i)
		switch k.Kind() {
		case reflect.String:
			if k.String() == "" || e.String() == "" {
				t.Errorf("%s is empty in a language", name)
			}
		case reflect.Map:
			if k.Len() != e.Len() {
				t.Errorf("%s: %d in Korean, %d in English", name, k.Len(), e.Len())
			}
			for _, key := range k.MapKeys() {
				if !e.MapIndex(key).IsValid() || e.MapIndex(key).String() == "" || k.MapIndex(key).String() == "" {
					t.Errorf("%s[%v] is missing in a language", name, key)
				}
			}
		case reflect.Array:
			for j := range k.Len() {
				if k.Index(j).String() == "" || e.Index(j).String() == "" {
					t.Errorf("%s[%d] is empty", name, j)
				}
			}
		}
	}
	for _, r := range []verify.Reason{verify.ReasonOK, verify.ReasonExpired, verify.ReasonMisread, verify.ReasonReused, verify.ReasonClockUntrusted, verify.ReasonIncomplete, verify.ReasonRuleManual} {
		if korean.Reasons[r] == "" {
			t.Errorf("no words for %s", r)
		}
	}
	for k := range options {
		if korean.Options[k] == "" || english.Options[k] == "" {
			t.Errorf("option %s has no words", k)
		}
	}
}

// TestHistoryUnreadable: a log that cannot be read at start leaves the
// counts to this run, and the stats screen says so.
func TestHistoryUnreadable(t *testing.T) {
	d := newTestDoor(t)
	cfg := d.config("en")
	d.db.Close() // what a failing card looks like from here
	m := New(cfg)
	press(m, "s")
	if v := m.View(); !strings.Contains(v, "database not open") {
		t.Errorf("the stats screen does not say the history is missing:\n%s", v)
	}
}
