// Package ui is the kiosk's screen: a Bubble Tea program that shows the
// person at the door what to do, from a metre away, in Korean or English.
// It shows and asks; deciding and recording is the decision step's (package
// gate), so the kiosk and the headless mode behave the same. Every call to
// the decision step runs in a tea.Cmd and comes back as a message: Update
// never waits on a verification, a disk or a clock.
package ui

import (
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"munjigi/gate"
	"munjigi/scanner"
	"munjigi/store"
	"munjigi/verify"
)

// Door is what the screen needs of the running door (a *door.Door): it
// decides and records; the screen shows and asks.
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

// TrustStatus is what the status line says of the trust list.
type TrustStatus struct {
	Keys      int       // signing keys and issuers held
	IssuedAt  time.Time // zero when the list carries no date
	ExpiresAt time.Time
	// StaleAfter is the age at which a list is shown as stale; 0 means
	// 48 hours.
	StaleAfter time.Duration
}

// UpstreamStatus is what the status line says of the authority's server.
type UpstreamStatus struct {
	Configured  bool
	Asked       bool // a call has been made since start
	Online      bool // the last call worked
	BreakerOpen bool // token scans go to a manual check without a call
}

// Status is what may change while the kiosk runs, read once a second.
type Status struct {
	Trust    TrustStatus
	Upstream UpstreamStatus
}

// Config is what the screen is given.
type Config struct {
	Door    Door
	History History // nil: stats and log start empty
	// Scans come from a serial scanner or another source; nil when the
	// only scanner is the keyboard (a wedge).
	Scans <-chan scanner.Scan
	// Lang is "ko" or "en".
	Lang      string
	VenueName string
	VenueType string // restaurants and cafés get the dining-alone option
	Policy    string // the rule profile's name, "" for none
	Trust     TrustStatus
	// StatusNow, when set, is read once a second (off the screen's
	// goroutine) for the trust list and the server; it must not block.
	StatusNow func() Status
	// Demo quits on q; the kiosk asks first (a visitor may touch the
	// keyboard), and for a staff PIN when there are any.
	Demo bool
	// StaffPINs maps a PIN to a staff id, recorded with each manual check.
	// Empty: no PIN is asked.
	StaffPINs map[string]string
	// Hold is how long a verdict stays on screen (0: 4 s); FailHold the
	// same for a fail (0: 8 s). A manual verdict stays until staff act.
	Hold, FailHold time.Duration
	// Now is the kiosk's clock, for what the screen says of time.
	Now      func() time.Time
	Location *time.Location
	// Cue is run, off the screen's goroutine, after each decision: the
	// bell and the hooks.
	Cue func(gate.Outcome)
	// Wedge tunes the keyboard-scanner detector; zero values are its
	// defaults. KeyClock times key presses (nil: time.Now).
	Wedge    scanner.Wedge[tea.KeyMsg]
	KeyClock func() time.Time
	// DedupeWindow makes a keyboard scanner's double read one scan (a
	// serial source does its own).
	DedupeWindow time.Duration
	// Start is shown first, when set: a gap in the log, say.
	Start *gate.Outcome
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
var options = map[string]gate.Check{
	"1": gate.CheckSticker,
	"2": gate.CheckSMS,
	"3": gate.CheckPaper,
	"4": gate.CheckMinor,
	"5": gate.CheckRecovered,
	"6": gate.CheckMedical,
	"7": gate.CheckSoloDiner,
	"0": gate.CheckDenied,
}

// optionKeys are the options in the order the screen lists them.
var optionKeys = []string{"1", "2", "3", "4", "5", "6", "7", "0"}

// pending is a scan waiting for its turn.
type pending struct {
	payload []byte
	misread error
	at      time.Time // when it arrived
}

// Model is the kiosk screen's state.
type Model struct {
	cfg  Config
	t    *Text
	keys keyMap
	w, h int
	now  time.Time

	screen screen
	back   screen // where Esc returns from help, stats and log

	queue []pending
	busy  bool // a decision is being made

	shown     *gate.Outcome // the verdict on screen
	shownN    int           // counts verdicts, so an old timer cannot end a new one
	manualFor *gate.Outcome // the verdict a manual check resolves; nil when opened by key
	choice    string        // the option waiting for the PIN; "quit" to quit
	pin       []rune
	note      string // one line for staff: "wrong PIN"

	scanner     scannerState
	clock       gate.Clock
	day         store.Day
	recent      []time.Time     // decisions in the last minute
	latency     []time.Duration // scan to verdict, the last 1,000
	log         []store.Entry   // newest first
	historyNote string          // why the history could not be read
	upstream    UpstreamStatus

	wedge  scanner.Wedge[tea.KeyMsg]
	dedupe scanner.Deduper
}

type scannerState struct {
	kind   scanner.Kind // Connected or Disconnected; Read: the keyboard
	detail string
}

const keepLog = 100

// New builds the screen. It reads the day's counts and the latest entries
// from History once, here, before the program runs.
func New(cfg Config) *Model {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.KeyClock == nil {
		cfg.KeyClock = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Hold <= 0 {
		cfg.Hold = 4 * time.Second
	}
	if cfg.FailHold <= 0 {
		cfg.FailHold = 8 * time.Second
	}
	t := texts[cfg.Lang]
	if t == nil {
		t = &korean
	}
	m := &Model{cfg: cfg, t: t, keys: newKeys(t), w: 80, h: 24, wedge: cfg.Wedge, dedupe: scanner.Deduper{Window: cfg.DedupeWindow}}
	m.now = cfg.Now()
	m.clock = gate.Clock{Trusted: true}
	if cfg.Scans != nil {
		m.scanner.kind = scanner.Disconnected // until it says otherwise
	}
	m.day = store.Day{Start: midnight(m.now.In(cfg.Location))}
	if cfg.History != nil {
		if d, err := cfg.History.DayOf(m.now.In(cfg.Location)); err == nil {
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

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// Messages.
type (
	scanMsg    scanner.Scan
	scansEnded struct{}
	decidedMsg struct {
		o       gate.Outcome
		arrived time.Time // when the scan arrived; zero for a manual check
	}
	holdOver  int // a verdict's hold ended
	wedgeDue  struct{}
	tickMsg   time.Time
	clockMsg  gate.Clock
	statusMsg Status
)

// Init starts the clock tick and, when there is one, the scanner.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.tick(), m.readClock()}
	if m.cfg.Scans != nil {
		cmds = append(cmds, m.nextScan())
	}
	if m.screen == verdictScreen {
		cmds = append(cmds, m.holdTimer())
	}
	return tea.Batch(cmds...)
}

func (m *Model) tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// readClock asks the decision step about the clock, off the screen's
// goroutine: it waits while a scan is being decided.
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
		m.w, m.h = msg.Width, msg.Height
		return m, nil
	case tickMsg:
		m.now = m.cfg.Now()
		if d := midnight(m.now.In(m.cfg.Location)); !d.Equal(m.day.Start) {
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
		s := scanner.Scan(msg)
		switch s.Kind {
		case scanner.Connected:
			m.scanner = scannerState{kind: scanner.Connected, detail: strings.TrimPrefix(s.Source, "serial:")}
		case scanner.Disconnected:
			m.scanner = scannerState{kind: scanner.Disconnected, detail: verify.Sanitize(errString(s.Err), 200)}
		default:
			m.queue = append(m.queue, pending{payload: s.Payload, misread: s.Err, at: time.Now()})
		}
		return m, tea.Batch(m.nextScan(), m.startNext())
	case scansEnded:
		m.scanner = scannerState{kind: scanner.Disconnected, detail: "ended"}
		return m, nil
	case decidedMsg:
		return m, m.decided(msg)
	case holdOver:
		// A manual verdict waits for staff: the visitor is still there.
		if int(msg) == m.shownN && m.screen == verdictScreen && m.manualFor == nil {
			m.screen = readyScreen
		}
		return m, nil
	case wedgeDue:
		rel, scan := m.wedge.Tick(m.cfg.KeyClock())
		return m, m.afterWedge(rel, scan)
	case tea.KeyMsg:
		if msg.Paste {
			// A paste is a scan typed all at once.
			p := strings.TrimSpace(string(msg.Runes))
			if p == "" {
				return m, nil
			}
			m.queue = append(m.queue, pending{payload: []byte(p), at: time.Now()})
			return m, m.startNext()
		}
		rel, scan := m.wedge.Key(msg, keyText(msg), isEnter(msg), m.cfg.KeyClock())
		return m, m.afterWedge(rel, scan)
	}
	return m, nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// keyText is what a key types, as a scanner's byte: its characters, or a
// control character for a control key.
func keyText(k tea.KeyMsg) string {
	switch {
	case k.Type == tea.KeyRunes:
		if k.Alt {
			return "\x1b" + string(k.Runes)
		}
		return string(k.Runes)
	case k.Type == tea.KeySpace:
		return " "
	case k.Type >= 0 && k.Type < 0x20, k.Type == tea.KeyBackspace:
		return string(rune(k.Type))
	}
	return "" // arrows, function keys: nothing a code holds
}

// isEnter: CR, or LF from a scanner set to send it.
func isEnter(k tea.KeyMsg) bool {
	return k.Type == tea.KeyEnter || k.Type == tea.KeyCtrlJ
}

// afterWedge acts on what the wedge released: a person's keys, a scan.
func (m *Model) afterWedge(release []tea.KeyMsg, scan *scanner.Scan) tea.Cmd {
	var cmds []tea.Cmd
	for _, k := range release {
		cmds = append(cmds, m.handleKey(k))
	}
	if scan != nil && m.dedupe.Fresh(*scan) {
		m.queue = append(m.queue, pending{payload: scan.Payload, misread: scan.Err, at: time.Now()})
		cmds = append(cmds, m.startNext())
	}
	if due, ok := m.wedge.Due(); ok {
		cmds = append(cmds, tea.Tick(max(due.Sub(m.cfg.KeyClock()), time.Millisecond), func(time.Time) tea.Msg { return wedgeDue{} }))
	}
	return tea.Batch(cmds...)
}

// startNext decides the next waiting scan, one at a time, in order.
func (m *Model) startNext() tea.Cmd {
	if m.busy || len(m.queue) == 0 {
		return nil
	}
	p := m.queue[0]
	m.queue = m.queue[1:]
	m.busy = true
	door := m.cfg.Door
	return func() tea.Msg {
		o := door.Handle(scanner.Scan{Payload: p.payload, Err: p.misread, At: p.at})
		return decidedMsg{o: o, arrived: p.at}
	}
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
	o := d.o
	m.count(o)
	m.show(o)
	cmds := []tea.Cmd{m.startNext()}
	if !o.Waiting() {
		cmds = append(cmds, m.holdTimer())
	}
	if cue := m.cfg.Cue; cue != nil {
		cmds = append(cmds, func() tea.Msg { cue(o); return nil })
	}
	return tea.Batch(cmds...)
}

func (m *Model) show(o gate.Outcome) {
	m.shown = &o
	m.shownN++
	m.screen = verdictScreen
	m.note = ""
	m.manualFor = nil
	if o.Waiting() {
		m.manualFor = m.shown
	}
}

func (m *Model) holdTimer() tea.Cmd {
	hold := m.cfg.Hold
	if m.shown != nil && m.shown.Verdict == verify.Fail {
		hold = m.cfg.FailHold
	}
	n := m.shownN
	return tea.Tick(hold, func(time.Time) tea.Msg { return holdOver(n) })
}

// count adds a decision to today's figures and the log.
func (m *Model) count(o gate.Outcome) {
	e := o.Entry(nil)
	if d := midnight(o.At.In(m.cfg.Location)); !d.Equal(m.day.Start) && o.At.After(m.day.Start) {
		m.day = store.Day{Start: d}
	}
	m.day.Count(e)
	m.log = append([]store.Entry{e}, m.log...)
	if len(m.log) > keepLog {
		m.log = m.log[:keepLog]
	}
	now := time.Now()
	m.recent = append(m.recent, now)
	for len(m.recent) > 0 && now.Sub(m.recent[0]) > time.Minute {
		m.recent = m.recent[1:]
	}
	m.now = m.cfg.Now()
}

// handleKey acts on a person's key.
func (m *Model) handleKey(k tea.KeyMsg) tea.Cmd {
	s := k.String()
	switch m.screen {
	case pinScreen:
		switch {
		case k.Type == tea.KeyEsc:
			m.pin, m.choice = nil, ""
			m.screen = readyScreen
			if m.manualFor != nil {
				m.screen = verdictScreen
			}
		case k.Type == tea.KeyBackspace:
			if len(m.pin) > 0 {
				m.pin = m.pin[:len(m.pin)-1]
			}
		case isEnter(k):
			staff, ok := m.cfg.StaffPINs[string(m.pin)]
			m.pin = nil
			if !ok {
				m.note = m.t.PINWrong
				return nil
			}
			choice := m.choice
			m.choice = ""
			if choice == "quit" {
				return tea.Quit
			}
			return m.record(choice, staff)
		case k.Type == tea.KeyRunes && len(m.pin) < 12:
			m.pin = append(m.pin, k.Runes...)
		}
		return nil
	case quitScreen:
		switch s {
		case "y", "Y":
			if len(m.cfg.StaffPINs) > 0 {
				m.choice, m.pin, m.note = "quit", nil, ""
				m.screen = pinScreen
				return nil
			}
			return tea.Quit
		case "n", "N", "esc":
			m.screen = m.back
		}
		return nil
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		if m.cfg.Demo {
			return tea.Quit
		}
		m.back = m.restScreen()
		m.screen = quitScreen
	case key.Matches(k, m.keys.Help):
		m.back, m.screen = m.restScreen(), helpScreen
	case key.Matches(k, m.keys.Stats):
		m.back, m.screen = m.restScreen(), statsScreen
	case key.Matches(k, m.keys.Log):
		m.back, m.screen = m.restScreen(), logScreen
	case key.Matches(k, m.keys.Lang):
		if m.t.Lang == "ko" {
			m.t = &english
		} else {
			m.t = &korean
		}
		m.keys = newKeys(m.t)
	case key.Matches(k, m.keys.Back):
		if m.screen == helpScreen || m.screen == statsScreen || m.screen == logScreen {
			m.screen = m.back
		} else {
			m.screen, m.manualFor = readyScreen, nil
		}
	case key.Matches(k, m.keys.Manual):
		if m.screen != verdictScreen || m.manualFor == nil {
			m.manualFor = nil
		}
		m.screen, m.note = manualScreen, ""
	case key.Matches(k, m.keys.Options):
		if m.screen != manualScreen && (m.screen != verdictScreen || m.manualFor == nil) {
			return nil
		}
		if s == "7" && !m.diningAlone() {
			return nil
		}
		if len(m.cfg.StaffPINs) > 0 {
			m.choice, m.pin, m.note = s, nil, ""
			m.screen = pinScreen
			return nil
		}
		return m.record(s, "")
	}
	return nil
}

// restScreen is where to come back to: the screen itself, unless it is
// one of those that come and go.
func (m *Model) restScreen() screen {
	switch m.screen {
	case helpScreen, statsScreen, logScreen, quitScreen:
		return m.back
	case verdictScreen:
		if m.manualFor == nil {
			return readyScreen // its hold would end it anyway
		}
	}
	return m.screen
}

// diningAlone: the solo-diner allowance is for restaurants and cafés.
func (m *Model) diningAlone() bool {
	return slices.Contains([]string{"restaurant", "cafe"}, m.cfg.VenueType)
}

// record records a manual check, off the screen's goroutine.
func (m *Model) record(choice, staff string) tea.Cmd {
	c, ok := options[choice]
	if !ok {
		return nil
	}
	door := m.cfg.Door
	pending := m.manualFor
	m.manualFor = nil
	return func() tea.Msg {
		return decidedMsg{o: door.Manual(c, pending, staff)}
	}
}
