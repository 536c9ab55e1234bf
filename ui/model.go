// Package ui is the kiosk's screen: a Bubble Tea program that shows the
// person at the door what to do, from a metre away, in Korean or English.
// It shows and asks; deciding and recording is the door's (package gate
// behind the Door interface), so the kiosk and the headless mode behave
// the same. The decision step returns codes; this package words every one
// of them in both languages (text.go).
//
// One root model (this file) owns the state, the window size and the
// keys every screen shares; each screen is a file (ready, verdict, manual,
// pin, stats, log, help, quit, status) that draws a page of the model and
// handles its own keys. Every call to the door runs in a tea.Cmd and comes
// back as a message: Update never waits on a verification, a disk or a
// clock.
package ui

import (
	"errors"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"

	"munjigi/gate"
	"munjigi/scanner"
	"munjigi/store"
	"munjigi/verify"
)

// Door is what the screen needs of the running door: it decides and
// records; the screen shows and asks.
type Door interface {
	// Handle decides a scan (or records a misread) and returns when the
	// outcome is recorded.
	Handle(s scanner.Scan) gate.Outcome
	// Manual records a check by hand; pending is the verdict it settles,
	// nil when staff opened the check themselves.
	Manual(c gate.Check, pending *gate.Outcome, staff string) gate.Outcome
	// Unresolved records that staff left a waiting verdict unsettled.
	Unresolved(pending gate.Outcome) gate.Outcome
	ClockState() gate.Clock
}

// History is what the screen reads of the entry log when it starts (a
// *store.DB).
type History interface {
	Latest(n int) ([]store.Entry, error)
	DayOf(t time.Time) (store.Day, error)
}

type screen int

const (
	readyScreen screen = iota
	verdictScreen
	manualScreen
	pinScreen
	statsScreen
	logScreen
	helpScreen
	quitScreen
)

// options are the checks by hand, by the key that chooses each.
var options = func() map[string]gate.Check {
	o := map[string]gate.Check{}
	for i, c := range gate.Checks {
		o[optionKeys[i]] = c
	}
	return o
}()

// queued is a scan waiting for its turn.
type queued struct {
	payload []byte
	misread error
	at      time.Time // when it arrived
}

// Model is the kiosk screen's state.
type Model struct {
	cfg  Config
	t    *Text
	st   *Styles
	keys keyMap
	help help.Model
	w, h int
	now  time.Time

	screen screen
	back   screen // where Esc returns to from help, stats, log, quit, PIN

	queue []queued
	busy  bool          // a decision is being made
	held  *scanner.Scan // the demo's scripted scan, held while a verdict waits

	shown   *gate.Outcome // the verdict on screen
	shownN  int           // counts verdicts, so an old timer cannot end a new one
	holder  verify.Holder // whose verdict it is: a check by hand keeps its visitor's
	waiting *gate.Outcome // the verdict that waits for staff; nil when none does
	choice  string        // the option waiting for the PIN; "quit" to quit
	pin     []rune
	note    string // one line for staff: "wrong PIN", "scan again"

	reading  bool // a scanner has started typing a pass
	readingN int

	scanner     scannerState
	clock       gate.Clock
	day         store.Day
	recent      []time.Time     // new visitors in the last minute
	latency     []time.Duration // scan to verdict, the last 1,000
	log         []store.Entry   // newest first
	historyNote string          // why the history could not be read (English, for the English screen)
	upstream    UpstreamStatus
}

type scannerState struct {
	kind   scanner.Kind // Connected or Disconnected; Read: the keyboard
	detail string       // the source, or why it went (English: shown on the English screen only)
}

const keepLog = 100

// New builds the screen. It reads the day's counts and the latest entries
// from History once, here, before the program runs.
func New(cfg Config) *Model {
	cfg.Timing.defaults()
	t := texts[cfg.Lang]
	if t == nil {
		t = &korean
	}
	m := &Model{cfg: cfg, t: t, st: NewStyles(cfg.Renderer), w: 80, h: 24}
	m.setLang(t)
	m.now = cfg.Timing.Now()
	m.clock = gate.Clock{Trusted: true}
	if cfg.Plugged {
		m.scanner.kind = scanner.Disconnected // until it says otherwise
	}
	loc := cfg.Timing.Location
	m.day = store.Day{Start: midnight(m.now.In(loc))}
	if cfg.History != nil {
		if d, err := cfg.History.DayOf(m.now.In(loc)); err == nil {
			m.day = d
		} else {
			m.historyNote = err.Error()
		}
		if l, err := cfg.History.Latest(keepLog); err == nil {
			m.log = l
		}
	}
	if cfg.Start != nil {
		m.show(*cfg.Start)
	}
	return m
}

func (m *Model) setLang(t *Text) {
	m.t = t
	m.keys = newKeys(t)
	m.help = help.New()
	m.help.Styles = m.st.Help
	m.help.ShortSeparator = " · "
}

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// Messages.
type (
	scanMsg    scanner.Scan
	scansEnded struct{}
	decidedMsg struct {
		o       gate.Outcome
		arrived time.Time // when the scan arrived; zero for a check by hand
		// left is the verdict that waited for staff and was recorded as
		// unsettled before this scan was decided: a new visitor came.
		left *gate.Outcome
		// quiet: the outcome is counted, not shown (Esc left a verdict
		// unsettled).
		quiet bool
		// settles is the verdict a check by hand settled: its visitor.
		settles *gate.Outcome
	}
	holdOver    int // a verdict's hold ended
	readingOver int // a "reading…" came to nothing
	tickMsg     time.Time
	clockMsg    gate.Clock
	statusMsg   Status
)

// Init starts the clock tick and, when there is one, the scanner.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.tick(), m.readClock()}
	if m.cfg.Scans != nil {
		cmds = append(cmds, m.nextScan())
	}
	if m.screen == verdictScreen && m.waiting == nil {
		cmds = append(cmds, m.holdTimer())
	}
	return tea.Batch(cmds...)
}

func (m *Model) tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// readClock asks the door about the clock, off the screen's goroutine: it
// waits while a scan is being decided.
func (m *Model) readClock() tea.Cmd {
	door := m.cfg.Door
	return func() tea.Msg { return clockMsg(door.ClockState()) }
}

func (m *Model) nextScan() tea.Cmd {
	ch := m.cfg.Scans
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return scansEnded{}
		}
		return scanMsg(s)
	}
}

// Update handles one message. It never blocks: the door's work runs in
// commands.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = max(msg.Width, 1), max(msg.Height, 1)
		return m, nil
	case tickMsg:
		m.now = m.cfg.Timing.Now()
		if d := midnight(m.now.In(m.cfg.Timing.Location)); !d.Equal(m.day.Start) {
			m.day = store.Day{Start: d} // a new day
		}
		cmds := []tea.Cmd{m.tick()}
		if time.Time(msg).Second()%10 == 0 {
			cmds = append(cmds, m.readClock())
		}
		if f := m.cfg.StatusNow; f != nil {
			cmds = append(cmds, func() tea.Msg { return statusMsg(f()) })
		}
		return m, tea.Batch(cmds...)
	case clockMsg:
		m.clock = gate.Clock(msg)
		return m, nil
	case statusMsg:
		m.cfg.Trust, m.upstream = msg.Trust, msg.Upstream
		return m, nil
	case scanMsg:
		return m, m.scanned(scanner.Scan(msg))
	case scansEnded:
		m.scanner = scannerState{kind: scanner.Disconnected, detail: "ended"}
		m.reading = false
		return m, nil
	case decidedMsg:
		return m, m.decided(msg)
	case holdOver:
		// A verdict that waits for staff stays: the visitor is still there.
		if int(msg) == m.shownN && m.screen == verdictScreen && m.waiting == nil {
			m.screen, m.note = readyScreen, ""
		}
		return m, nil
	case readingOver:
		if int(msg) == m.readingN {
			m.reading = false
		}
		return m, nil
	case tea.KeyMsg:
		// Only a person's keys get here: the keyboard source held back
		// every key a scanner typed.
		return m, m.handleKey(msg)
	}
	return m, nil
}

// scanned takes what the scanner source reports.
func (m *Model) scanned(s scanner.Scan) tea.Cmd {
	switch s.Kind {
	case scanner.Connected:
		m.scanner = scannerState{kind: scanner.Connected, detail: verify.Sanitize(s.Source, 80)}
		return m.nextScan()
	case scanner.Disconnected:
		m.scanner = scannerState{kind: scanner.Disconnected, detail: verify.Sanitize(errString(s.Err), 200)}
		m.reading = false
		return m.nextScan()
	case scanner.Reading:
		m.reading = true
		m.readingN++
		n := m.readingN
		return tea.Batch(m.nextScan(), tea.Tick(m.cfg.Timing.Reading, func(time.Time) tea.Msg { return readingOver(n) }))
	case scanner.Ignored:
		// Keys that were neither a scan nor a person's: nothing to
		// decide or record; staff are told when they typed too fast.
		m.reading = false
		switch {
		case errors.Is(s.Err, scanner.ErrKeysTooClose):
			m.note = m.t.OneKeyAtATime
		case errors.Is(s.Err, scanner.ErrTooSlow):
			m.note = m.t.ScannerTooSlow
		}
		return m.nextScan()
	}
	if m.cfg.Demo && m.waiting != nil {
		// The demo's rush waits for staff, as a queue at a door does: its
		// next scan is held, and the scripted scanner with it.
		m.held = &s
		return nil
	}
	m.enqueue(s.Payload, s.Err, time.Now())
	return tea.Batch(m.nextScan(), m.startNext())
}

// release lets the demo's held scan through, once no verdict waits.
func (m *Model) release() tea.Cmd {
	if m.held == nil || m.waiting != nil {
		return nil
	}
	s := *m.held
	m.held = nil
	m.enqueue(s.Payload, s.Err, time.Now())
	return tea.Batch(m.nextScan(), m.startNext())
}

func (m *Model) enqueue(payload []byte, misread error, at time.Time) {
	m.reading = false // the burst has arrived
	m.queue = append(m.queue, queued{payload: payload, misread: misread, at: at})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// startNext decides the next waiting scan, one at a time, in order. A
// scan (not a misread: that is nobody new) while a verdict waits for
// staff means the next visitor is at the scanner: the waiting verdict is
// recorded as unsettled first, in the same command, so the log keeps the
// order things happened in.
func (m *Model) startNext() tea.Cmd {
	if m.busy || len(m.queue) == 0 {
		return nil
	}
	q := m.queue[0]
	m.queue = m.queue[1:]
	m.busy = true
	var left *gate.Outcome
	if q.misread == nil && m.waiting != nil {
		left = m.waiting
		m.stopWaiting()
	}
	door := m.cfg.Door
	return func() tea.Msg {
		d := decidedMsg{arrived: q.at}
		if left != nil {
			u := door.Unresolved(*left)
			d.left = &u
		}
		d.o = door.Handle(scanner.Scan{Payload: q.payload, Err: q.misread, At: q.at})
		return d
	}
}

// stopWaiting forgets the waiting verdict and any check begun for it.
func (m *Model) stopWaiting() {
	m.waiting = nil
	m.choice, m.pin = "", nil
	switch m.screen {
	case manualScreen, pinScreen:
		m.screen = verdictScreen // until the next verdict replaces it
	}
	if m.back == manualScreen || m.back == pinScreen {
		m.back = readyScreen
	}
}

// leave records the waiting verdict as unsettled (Esc): the visitor went
// without staff saying how they checked.
func (m *Model) leave() tea.Cmd {
	if m.waiting == nil {
		return nil
	}
	p := *m.waiting
	m.stopWaiting()
	door := m.cfg.Door
	return func() tea.Msg { return decidedMsg{o: door.Unresolved(p), quiet: true} }
}

// decided shows a decision and counts it.
func (m *Model) decided(d decidedMsg) tea.Cmd {
	if !d.arrived.IsZero() {
		m.busy = false
		m.latency = append(m.latency, time.Since(d.arrived))
		if len(m.latency) > 1000 {
			m.latency = m.latency[len(m.latency)-1000:]
		}
	}
	if d.left != nil {
		m.count(*d.left)
	}
	o := d.o
	m.count(o)
	var cmds []tea.Cmd
	switch {
	case d.quiet:
		if m.screen == verdictScreen {
			m.screen = readyScreen
		}
		m.note = m.t.Unsettled
		cmds = append(cmds, m.release())
	case o.Reason == verify.ReasonMisread && m.waiting != nil:
		// A misread is nobody new: the waiting verdict stays, and says so.
		m.note = m.t.Misread
		if cue := m.cfg.Cue; cue != nil {
			cmds = append(cmds, func() tea.Msg { cue(o); return nil })
		}
	default:
		m.show(o)
		if d.settles != nil && o.Holder == (verify.Holder{}) {
			m.holder = d.settles.Holder
		}
		if d.left != nil {
			m.note = m.t.Unsettled
		}
		if m.waiting == nil {
			cmds = append(cmds, m.holdTimer(), m.release())
		}
		if cue := m.cfg.Cue; cue != nil {
			cmds = append(cmds, func() tea.Msg { cue(o); return nil })
		}
	}
	cmds = append(cmds, m.startNext())
	return tea.Batch(cmds...)
}

func (m *Model) show(o gate.Outcome) {
	m.shown = &o
	m.shownN++
	m.holder = o.Holder
	m.screen = verdictScreen
	m.note = ""
	m.waiting = nil
	m.choice, m.pin = "", nil
	if o.Waiting() {
		m.waiting = m.shown
	}
}

func (m *Model) holdTimer() tea.Cmd {
	hold := m.cfg.Timing.Hold
	if m.shown != nil && m.shown.Verdict == verify.Fail {
		hold = m.cfg.Timing.FailHold
	}
	n := m.shownN
	return tea.Tick(hold, func(time.Time) tea.Msg { return holdOver(n) })
}

// count adds a decision to today's figures and the log.
func (m *Model) count(o gate.Outcome) {
	e := o.Entry(nil)
	if d := midnight(o.At.In(m.cfg.Timing.Location)); !d.Equal(m.day.Start) && o.At.After(m.day.Start) {
		m.day = store.Day{Start: d}
	}
	m.day.Count(e)
	m.log = append([]store.Entry{e}, m.log...)
	if len(m.log) > keepLog {
		m.log = m.log[:keepLog]
	}
	if newVisitor(o) {
		now := time.Now()
		m.recent = append(m.recent, now)
		for len(m.recent) > 0 && now.Sub(m.recent[0]) > time.Minute {
			m.recent = m.recent[1:]
		}
	}
	m.now = m.cfg.Timing.Now()
}

// newVisitor: the outcome is a visitor the door had not seen, not how
// one was settled, a misread, a part of a split card or a gap (the day's
// counts say the same: store.Day).
func newVisitor(o gate.Outcome) bool {
	return o.Resolves == 0 && o.Method != gate.MethodGap && o.Method != gate.MethodUnresolved &&
		o.Reason != verify.ReasonMisread && o.Reason != verify.ReasonIncomplete
}

// View draws the screen: exactly the terminal's height in lines, none
// wider than its width; the page above the status lines painted edge to
// edge.
func (m *Model) View() string {
	status := m.statusLines()
	if len(status) >= m.h {
		status = status[:max(m.h-1, 0)]
	}
	room := m.h - len(status)
	var p *page
	switch m.screen {
	case verdictScreen:
		p = m.verdictPage(room)
	case manualScreen:
		p = m.manualPage(room)
	case pinScreen:
		p = m.pinPage(room)
	case statsScreen:
		p = m.statsPage(room)
	case logScreen:
		p = m.logPage(room)
	case helpScreen:
		p = m.helpPage(room)
	case quitScreen:
		p = m.quitPage(room)
	default:
		p = m.readyPage(room)
	}
	lines := append(p.render(room), status...)
	return joinLines(fitLines(lines, m.w, m.h))
}

func joinLines(lines []string) string {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	b := make([]byte, 0, n)
	for i, l := range lines {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, l...)
	}
	return string(b)
}

// firstFit returns the first page that fits in h lines, trying builds from
// the richest layout to the leanest; the leanest when none fits. A build
// returns nil for a layout that cannot be drawn at this size at all.
func firstFit(h int, builds ...func() *page) *page {
	var last *page
	for _, b := range builds {
		p := b()
		if p == nil {
			continue
		}
		if p.height() <= h {
			return p
		}
		last = p
	}
	return last
}
