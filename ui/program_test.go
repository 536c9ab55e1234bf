package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/creack/pty"

	"munjigi/gate"
	"munjigi/scanner"
	"munjigi/store"
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
			o.mu.Lock()
			tail := o.buf.String()[max(o.buf.Len()-3000, mark):]
			o.mu.Unlock()
			t.Fatalf("%q never appeared on the screen; the last frames:\n%s", text, tail)
		}
	}
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
	p.Send(tea.WindowSizeMsg{Width: 90, Height: 28}) // below bigFrom: the verdict word is text
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
	release  chan struct{}
	returned *atomic.Bool
}

func (d slowDoor) Handle(s scanner.Scan) gate.Outcome {
	<-d.release
	defer d.returned.Store(true)
	return d.testDoor.Handle(s)
}

// TestNeverBlocks: while a scan is being decided (and it is held until
// the test lets it go), the screen still answers keys: the help opens and
// closes before the decision has returned.
func TestNeverBlocks(t *testing.T) {
	d := newTestDoor(t)
	slow := slowDoor{d, make(chan struct{}), new(atomic.Bool)}
	released := false
	t.Cleanup(func() {
		if !released {
			close(slow.release)
		}
	})
	cfg := d.config("en")
	cfg.Door = slow
	scans := make(chan scanner.Scan, 1)
	cfg.Scans = scans
	cfg.Plugged = true // a serial scanner
	p, typed, out, _ := run(t, New(cfg))
	scans <- scanner.Scan{Kind: scanner.Connected, Source: "serial:/dev/ttyACM0"}
	mark := out.waitFor(t, 0, "Scan your pass", 30*time.Second)
	scans <- scanner.Scan{Payload: d.payload(t, validLabel), At: time.Now()}
	mark = out.waitFor(t, mark, "Checking…", 30*time.Second)
	io.WriteString(typed, "?")
	mark = out.waitFor(t, mark, "Keys", 30*time.Second)
	io.WriteString(typed, "\x1b") // Esc: back
	out.waitFor(t, mark, "Checking…", 30*time.Second)
	if slow.returned.Load() {
		t.Fatal("the keys were answered only after the decision returned")
	}
	released = true
	close(slow.release)
	out.waitFor(t, mark, "PASS", 30*time.Second)
	p.Quit()
}

// TestKeyboardScanner: the screen over the real keyboard source, on a
// real pty: a keyboard scanner's burst is a scan even when it is full of
// letters that are staff keys (a SMART Health Card starts "shc:/" and s is
// the stats key); a double read is one scan; a person's s, alone, still
// opens the stats; a paste is a scan; q then y quit.
func TestKeyboardScanner(t *testing.T) {
	d := newTestDoor(t)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	restore, err := scanner.MakeRaw(tty)
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	kb, err := scanner.NewKeyboard(tty, scanner.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := d.config("en")
	cfg.Scans = scanner.Dedupe(kb, 10*time.Second).Scans(ctx) // a long window: this test's typist is slow
	out := newScreenOutput()
	p := tea.NewProgram(New(cfg), tea.WithInput(kb.Keys()), tea.WithOutput(out), tea.WithoutSignalHandler())
	done := make(chan tea.Model, 1)
	go func() {
		final, _ := p.Run()
		done <- final
	}()
	defer p.Kill()
	p.Send(tea.WindowSizeMsg{Width: 90, Height: 28})
	// A scanner types a key every 2 ms; a person one key, then waits.
	burst := func(s string) {
		for _, b := range []byte(s) {
			ptmx.Write([]byte{b})
			time.Sleep(2 * time.Millisecond)
		}
	}
	key := func(s string) {
		time.Sleep(300 * time.Millisecond)
		ptmx.Write([]byte(s))
		time.Sleep(300 * time.Millisecond)
	}
	mark := out.waitFor(t, 0, "Scan your pass", 5*time.Second)
	shc := string(d.payload(t, "SMART Health Card, booster")) + "\r"
	burst(shc)
	mark = out.waitFor(t, mark, "PASS", 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	burst(shc) // a double read: one scan
	key("s")
	mark = out.waitFor(t, mark, "visitors by hour", 10*time.Second)
	// A paste is a scan too.
	ptmx.Write([]byte("\x1b[200~" + string(d.payload(t, "expired certificate")) + "\x1b[201~"))
	mark = out.waitFor(t, mark, "NO ENTRY", 10*time.Second)
	key("q") // the kiosk asks first
	out.waitFor(t, mark, "Quit?", 10*time.Second)
	key("y")
	select {
	case final := <-done:
		m := final.(*Model)
		if len(m.log) != 2 || m.log[1].Method != "qr" || m.log[1].Verdict != "pass" || m.log[0].Reason != "expired" {
			t.Errorf("the log: %+v", m.log)
		}
	case <-time.After(10 * time.Second):
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
	cfg.Plugged = true // a serial scanner
	p, _, out, done := run(t, New(cfg))
	out.waitFor(t, 0, "SCANNER UNPLUGGED", 5*time.Second)
	scans <- scanner.Scan{Kind: scanner.Connected, Source: "serial:/dev/ttyACM0"}
	out.waitFor(t, 0, "Scanner connected", 5*time.Second)
	labels := []string{validLabel, "expired certificate", "negative PCR test", "altered after signing", "recovered"}
	for _, l := range labels {
		scans <- scanner.Scan{Payload: d.payload(t, l), At: time.Now()}
	}
	scans <- scanner.Scan{Err: scanner.ErrIncomplete, At: time.Now()}
	out.waitFor(t, 0, "Today 3 passed · 2 refused · 0 by hand", 5*time.Second) // a misread is no visitor
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

// TestMisreadSaysScanAgain: a read the serial scanner cut off asks for
// another scan, in blue, with no options for staff: nothing about the
// visitor is known, and there is nothing to settle.
func TestMisreadSaysScanAgain(t *testing.T) {
	d := newTestDoor(t)
	cfg := d.config("en")
	scans := make(chan scanner.Scan)
	cfg.Scans = scans
	cfg.Plugged = true // a serial scanner
	p, _, out, done := run(t, New(cfg))
	scans <- scanner.Scan{Kind: scanner.Connected, Source: "serial:/dev/ttyACM0"}
	mark := out.waitFor(t, 0, "Scanner connected", 5*time.Second)
	scans <- scanner.Scan{Err: scanner.ErrIncomplete, At: time.Now()}
	out.waitFor(t, mark, "SCAN AGAIN", 5*time.Second)
	p.Quit()
	m := (<-done).(*Model)
	if m.waiting != nil || strings.Contains(m.View(), "How did you check?") {
		t.Errorf("a misread offers staff the checks:\n%s", m.View())
	}
	if tn, _ := m.headline(m.shown); tn != toneAgain {
		t.Errorf("a misread is shown in tone %d", tn)
	}
}

// TestReading: the scanner's "reading" shows at once on the ready screen
// and over a verdict being held, until the scan arrives, and for no more
// than Timing.Reading when none does.
func TestReading(t *testing.T) {
	d := newTestDoor(t)
	cfg := d.config("en")
	cfg.Timing.Reading = 300 * time.Millisecond
	scans := make(chan scanner.Scan)
	cfg.Scans = scans
	cfg.Plugged = true // a serial scanner
	p, _, out, done := run(t, New(cfg))
	scans <- scanner.Scan{Kind: scanner.Connected, Source: "serial:/dev/ttyACM0"}
	mark := out.waitFor(t, 0, "Scan your pass", 5*time.Second)
	scans <- scanner.Scan{Kind: scanner.Reading}
	mark = out.waitFor(t, mark, "Hold your phone still", 5*time.Second)
	scans <- scanner.Scan{Payload: d.payload(t, validLabel), At: time.Now()}
	mark = out.waitFor(t, mark, "PASS", 5*time.Second)
	// Over the held verdict: the next visitor's phone is being read.
	scans <- scanner.Scan{Kind: scanner.Reading}
	mark = out.waitFor(t, mark, "Reading…", 5*time.Second)
	// Nothing came of it: the "reading" goes.
	time.Sleep(600 * time.Millisecond)
	p.Quit()
	m := (<-done).(*Model)
	if m.reading || strings.Contains(m.View(), "Reading…") {
		t.Errorf("a burst that came to nothing still reads:\n%s", m.View())
	}
}

// TestWaitingVerdicts: a verdict that waits for staff is never dropped. A
// check by hand settles it (one visitor); Esc, a new visitor's scan, a
// scan half way through a check, and quitting each record it as left
// unsettled; a misread leaves it waiting. Through a real program and the
// real decision step over a real database.
func TestWaitingVerdicts(t *testing.T) {
	amber := "signed by an unknown issuer"
	cases := []struct {
		name    string
		steps   func(t *testing.T, d *testDoor, scans chan<- scanner.Scan, typed io.Writer, out *screenOutput, mark int) int
		methods []string // the entries, oldest first
		day     map[string]int
	}{
		{"a check by hand settles it", func(t *testing.T, d *testDoor, scans chan<- scanner.Scan, typed io.Writer, out *screenOutput, mark int) int {
			io.WriteString(typed, "2")
			return out.waitFor(t, mark, "✓  PASS", 5*time.Second)
		}, []string{"qr", "manual-sms"}, map[string]int{"pass": 1}},
		{"m, then a choice, settles it", func(t *testing.T, d *testDoor, scans chan<- scanner.Scan, typed io.Writer, out *screenOutput, mark int) int {
			io.WriteString(typed, "m")
			mark = out.waitFor(t, mark, "Manual check", 5*time.Second)
			time.Sleep(50 * time.Millisecond)
			io.WriteString(typed, "0")
			return out.waitFor(t, mark, "NO ENTRY", 5*time.Second)
		}, []string{"qr", "override"}, map[string]int{"fail": 1}},
		{"Esc leaves it unsettled", func(t *testing.T, d *testDoor, scans chan<- scanner.Scan, typed io.Writer, out *screenOutput, mark int) int {
			io.WriteString(typed, "\x1b")
			return out.waitFor(t, mark, "recorded as not checked", 5*time.Second)
		}, []string{"qr", "unresolved"}, map[string]int{"manual": 1}},
		{"the next visitor's scan leaves it unsettled", func(t *testing.T, d *testDoor, scans chan<- scanner.Scan, typed io.Writer, out *screenOutput, mark int) int {
			scans <- scanner.Scan{Payload: d.payload(t, "recovered"), At: time.Now()}
			return out.waitFor(t, mark, "PASS", 5*time.Second)
		}, []string{"qr", "unresolved", "qr"}, map[string]int{"manual": 1, "pass": 1}},
		{"a scan half way through a check leaves it unsettled", func(t *testing.T, d *testDoor, scans chan<- scanner.Scan, typed io.Writer, out *screenOutput, mark int) int {
			io.WriteString(typed, "m")
			mark = out.waitFor(t, mark, "Manual check", 5*time.Second)
			scans <- scanner.Scan{Payload: d.payload(t, "expired certificate"), At: time.Now()}
			mark = out.waitFor(t, mark, "NO ENTRY", 5*time.Second)
			time.Sleep(50 * time.Millisecond)
			io.WriteString(typed, "1") // too late: that visitor has gone, and this is no amber screen
			time.Sleep(100 * time.Millisecond)
			return mark
		}, []string{"qr", "unresolved", "qr"}, map[string]int{"manual": 1, "fail": 1}},
		{"a misread leaves it waiting", func(t *testing.T, d *testDoor, scans chan<- scanner.Scan, typed io.Writer, out *screenOutput, mark int) int {
			scans <- scanner.Scan{Err: scanner.ErrIncomplete, At: time.Now()}
			mark = out.waitFor(t, mark, "The scanner misread", 5*time.Second)
			io.WriteString(typed, "1")
			return out.waitFor(t, mark, "✓  PASS", 5*time.Second)
		}, []string{"qr", "qr", "manual-sticker"}, map[string]int{"pass": 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newTestDoor(t)
			cfg := d.config("en")
			scans := make(chan scanner.Scan)
			cfg.Scans = scans
			cfg.Plugged = true // a serial scanner
			p, typed, out, done := run(t, New(cfg))
			scans <- scanner.Scan{Kind: scanner.Connected, Source: "serial:/dev/ttyACM0"}
			mark := out.waitFor(t, 0, "Scanner connected", 5*time.Second)
			scans <- scanner.Scan{Payload: d.payload(t, amber), At: time.Now()}
			mark = out.waitFor(t, mark, "How did you check?", 5*time.Second)
			c.steps(t, d, scans, typed, out, mark)
			p.Quit()
			m := (<-done).(*Model)
			entries, err := d.db.Latest(10)
			if err != nil {
				t.Fatal(err)
			}
			var methods []string
			for _, e := range entries {
				methods = append([]string{e.Method}, methods...)
			}
			if !reflect.DeepEqual(methods, c.methods) {
				t.Errorf("entries %v, want %v", methods, c.methods)
			}
			// A settlement names the verdict it settles.
			for _, e := range entries {
				if e.Method != "qr" && e.Resolves != entries[len(entries)-1].Seq {
					t.Errorf("%s settles %d, not the amber verdict %d", e.Method, e.Resolves, entries[len(entries)-1].Seq)
				}
			}
			day, err := d.db.DayOf(lunch)
			if err != nil {
				t.Fatal(err)
			}
			visitors := 0
			for _, n := range c.day {
				visitors += n
			}
			if day.Total != visitors || !sameCounts(day.Verdicts, c.day) {
				t.Errorf("the day: %d visitors %v, want %v", day.Total, day.Verdicts, c.day)
			}
			// The screen counts the same as the log.
			if m.day.Total != day.Total || !sameCounts(m.day.Verdicts, day.Verdicts) {
				t.Errorf("the screen counts %d %v, the log %d %v", m.day.Total, m.day.Verdicts, day.Total, day.Verdicts)
			}
		})
	}
}

func sameCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// TestQuitLeavesItUnsettled: quitting while a verdict waits records it.
func TestQuitLeavesItUnsettled(t *testing.T) {
	for _, pins := range []map[string]string{nil, {"2468": "kim"}} {
		d := newTestDoor(t)
		cfg := d.config("en")
		cfg.StaffPINs = pins
		p, typed, out, done := run(t, New(cfg))
		mark := out.waitFor(t, 0, "Scan your pass", 5*time.Second)
		p.Send(decidedMsg{o: d.Scan(d.payload(t, "first dose only")), arrived: time.Now()})
		mark = out.waitFor(t, mark, "How did you check?", 5*time.Second)
		io.WriteString(typed, "q")
		mark = out.waitFor(t, mark, "Quit?", 5*time.Second)
		io.WriteString(typed, "y")
		if pins != nil {
			out.waitFor(t, mark, "Staff PIN", 5*time.Second)
			time.Sleep(50 * time.Millisecond)
			io.WriteString(typed, "2468\r")
		}
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the kiosk did not quit")
		}
		last, _ := d.db.Latest(1)
		if len(last) != 1 || last[0].Method != string(gate.MethodUnresolved) {
			t.Errorf("pins %v: the last entry is %+v", pins, last)
		}
	}
}

// TestDemoWaitsForStaff: the demo's scripted scanner waits while an amber
// verdict waits for staff, so the amber screens wait as README says.
func TestDemoWaitsForStaff(t *testing.T) {
	d := newTestDoor(t)
	cfg := d.config("en")
	cfg.Demo = true
	scans := make(chan scanner.Scan)
	cfg.Scans = scans
	cfg.Plugged = true // a serial scanner
	p, typed, out, done := run(t, New(cfg))
	scans <- scanner.Scan{Kind: scanner.Connected, Source: "demo"}
	mark := out.waitFor(t, 0, "Scanner connected", 5*time.Second)
	scans <- scanner.Scan{Payload: d.payload(t, "first dose only"), At: time.Now()}
	mark = out.waitFor(t, mark, "How did you check?", 5*time.Second)
	// The rush's next visitor is taken, and held: the amber screen stays.
	scans <- scanner.Scan{Payload: d.payload(t, "recovered"), At: time.Now()}
	sent := make(chan struct{})
	go func() {
		scans <- scanner.Scan{Payload: d.payload(t, validLabel), At: time.Now()}
		close(sent)
	}()
	select {
	case <-sent:
		t.Fatal("the demo's scanner went on while a verdict waited for staff")
	case <-time.After(300 * time.Millisecond):
	}
	if n, _ := d.db.Count(); n != 1 {
		t.Fatalf("%d entries while the amber screen waits, want 1", n)
	}
	io.WriteString(typed, "7")
	out.waitFor(t, mark, "✓  PASS", 5*time.Second)
	select {
	case <-sent:
	case <-time.After(5 * time.Second):
		t.Fatal("the demo's scanner did not go on after staff chose")
	}
	out.waitFor(t, mark, "Today 3 passed", 5*time.Second)
	p.Quit()
	<-done
	entries, _ := d.db.Latest(10)
	var methods []string
	for _, e := range entries {
		methods = append([]string{e.Method}, methods...)
	}
	if want := []string{"qr", "exemption", "qr", "qr"}; !reflect.DeepEqual(methods, want) {
		t.Errorf("entries %v, want %v", methods, want)
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
			if m.screen != verdictScreen || m.waiting == nil {
				t.Fatalf("a manual verdict does not offer the check: screen %d", m.screen)
			}
			waited := *m.waiting
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
			view := m.View()
			if !strings.Contains(view, map[bool]string{true: "PASS", false: "NO ENTRY"}[c.pass]) || !strings.Contains(view, "LUCIA G***") {
				t.Errorf("after the check (the visitor's name stays):\n%s", view)
			}
			last, _ := d.db.Latest(1)
			if len(last) != 1 || last[0].Method != string(c.method) || last[0].Staff != c.staff || last[0].Admitted != c.pass || last[0].Resolves != waited.Seq {
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
	cfg.Venue.Type = "gym"
	m := New(cfg)
	press(m, "m")
	if strings.Contains(m.View(), "dining alone") {
		t.Errorf("offered at a gym:\n%s", m.View())
	}
	if cmd := m.handleKey(keyMsg("7")); cmd != nil {
		t.Error("7 records at a gym")
	}
	cfg.Venue.Type = "cafe"
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
		if cmd := m.handleKey(keyMsg(k)); cmd != nil {
			t.Fatal("a wrong PIN did something")
		}
	}
	if !strings.Contains(m.View(), "wrong PIN") {
		t.Errorf("no word of a wrong PIN:\n%s", m.View())
	}
	for _, k := range []string{"2", "4", "6", "8"} {
		press(m, k)
	}
	if !quits(m.handleKey(keyMsg("enter"))) {
		t.Error("the right PIN does not quit")
	}
	if n, _ := d.db.Count(); n != 0 {
		t.Errorf("quitting recorded %d entries", n)
	}
}

// quits reports whether a command, run as the program runs it, quits.
func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	switch msg := cmd().(type) {
	case tea.QuitMsg:
		return true
	case tea.BatchMsg:
		for _, c := range msg {
			if quits(c) {
				return true
			}
		}
	default:
		// tea.Sequence: its commands are a slice of the same type.
		v := reflect.ValueOf(msg)
		if v.Kind() == reflect.Slice {
			for i := range v.Len() {
				if c, ok := v.Index(i).Interface().(tea.Cmd); ok && quits(c) {
					return true
				}
			}
		}
	}
	return false
}

func TestDemoQuitsAtOnce(t *testing.T) {
	d := newTestDoor(t)
	cfg := d.config("ko")
	cfg.Demo = true
	m := New(cfg)
	if !quits(m.handleKey(keyMsg("q"))) {
		t.Fatal("q does not quit the demo")
	}
	cfg.Demo = false
	m = New(cfg)
	if cmd := m.handleKey(keyMsg("q")); cmd != nil || m.screen != quitScreen {
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
	if m.cfg.Timing.FailHold <= m.cfg.Timing.Hold {
		t.Errorf("a fail stays %v, a pass %v", m.cfg.Timing.FailHold, m.cfg.Timing.Hold)
	}
}

func TestMidnight(t *testing.T) {
	d := newTestDoor(t)
	m := New(d.config("en"))
	decide(t, m, d, validLabel)
	d.now = time.Date(2026, 11, 21, 0, 0, 1, 0, seoul)
	m.Update(tickMsg(d.now))
	if m.day.Total != 0 || !strings.Contains(m.View(), "Today 0 passed") {
		t.Errorf("yesterday's counts stayed: %+v", m.day)
	}
}

// TestStartsFromHistory: a restarted kiosk shows the day so far, with a
// settled visitor counted once.
func TestStartsFromHistory(t *testing.T) {
	d := newTestDoor(t)
	for _, l := range []string{validLabel, "expired certificate"} {
		d.Scan(d.payload(t, l))
	}
	amber := d.Scan(d.payload(t, "first dose only"))
	d.Manual(gate.CheckSoloDiner, &amber, "")
	m := New(d.config("en"))
	if v := m.View(); !strings.Contains(v, "Today 2 passed · 1 refused · 0 by hand") || len(m.log) != 4 {
		t.Errorf("the day so far is not shown:\n%s", v)
	}
}

// TestHistoryUnreadable: a log that cannot be read at start leaves the
// counts to this run, and the stats screen says so (in English with the
// error; in Korean in Korean words only).
func TestHistoryUnreadable(t *testing.T) {
	for lang, want := range map[string]string{"en": "database not open", "ko": korean.HistoryUnread} {
		d := newTestDoor(t)
		cfg := d.config(lang)
		d.db.Close() // what a failing card looks like from here
		m := New(cfg)
		press(m, "s")
		if v := m.View(); !strings.Contains(v, want) {
			t.Errorf("%s: the stats screen does not say the history is missing:\n%s", lang, v)
		}
	}
}

// TestLanguageSwitch: e switches every word, the rule's own words
// included: the decider wrote them in Korean, and the English screen
// shows the rule's English description, found by its id.
func TestLanguageSwitch(t *testing.T) {
	for _, c := range []struct {
		label, ko, en string
	}{
		{"positive PCR test", "음성 결과가 아닙니다.", "The test result is not negative."},
		{"first dose only", "방역패스 미적용", "Not covered by the vaccine pass"},
		{"primary series, 200 days ago", "기본접종 후 180일이 지났습니다.", "The primary series is past 180 days"},
	} {
		d := newTestDoor(t)
		m := New(d.config("ko"))
		m.Update(tea.WindowSizeMsg{Width: 211, Height: 62})
		decide(t, m, d, c.label)
		if v := m.View(); !strings.Contains(v, c.ko) {
			t.Errorf("%s: the Korean screen does not say %q:\n%s", c.label, c.ko, v)
		}
		press(m, "e")
		if v := m.View(); !strings.Contains(v, c.en) || strings.Contains(v, c.ko) {
			t.Errorf("%s: the English screen does not say %q alone:\n%s", c.label, c.en, v)
		}
	}
}

// TestStatsCountVisitors: the stats say how each visitor was settled,
// and keep misreads apart.
func TestStatsCountVisitors(t *testing.T) {
	d := newTestDoor(t)
	m := New(d.config("en"))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	decide(t, m, d, "first dose only")
	press(m, "7")
	decide(t, m, d, "signed by an unknown issuer")
	press(m, "esc")
	scanPayload(m, nil, scanner.ErrTooLong)
	press(m, "s")
	v := m.View()
	for _, want := range []string{"2 visitors: passed 1 · by hand 1", "how they were checked: exempt 1 · not checked 1", "misreads scanned again: 1", "in the last minute: 2"} {
		if !strings.Contains(v, want) {
			t.Errorf("the stats do not say %q:\n%s", want, v)
		}
	}
	if day := mustDay(t, d.db); m.day.Total != day.Total || m.day.Misreads != day.Misreads ||
		!sameCounts(m.day.Verdicts, day.Verdicts) || !sameCounts(m.day.Methods, day.Methods) {
		t.Errorf("the screen's day %+v, the log's %+v", m.day, day)
	}
}

func mustDay(t *testing.T, db *store.DB) store.Day {
	day, err := db.DayOf(lunch)
	if err != nil {
		t.Fatal(err)
	}
	return day
}
