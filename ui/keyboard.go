package ui

// The keyboard as a scanner: a keyboard-wedge scanner types into the same
// keyboard staff use, and the screen tells the two apart by timing
// (scanner.Wedge). All of it is in this file, so that it can be replaced
// whole by a source that classifies the terminal's bytes before Bubble Tea
// sees them (then a key that reaches Update is a person's: handleKey).

import (
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"munjigi/scanner"
)

// Keyboard tunes the keyboard scanner.
type Keyboard struct {
	// Wedge tunes the burst detector; zero values are its defaults.
	Wedge scanner.Wedge[tea.KeyMsg]
	// KeyClock times key presses (nil: time.Now).
	KeyClock func() time.Time
	// DedupeWindow makes a keyboard scanner's double read one scan (a
	// serial source does its own).
	DedupeWindow time.Duration
}

type keyboard struct {
	wedge  scanner.Wedge[tea.KeyMsg]
	dedupe scanner.Deduper
	clock  func() time.Time
}

func newKeyboard(k Keyboard) keyboard {
	if k.KeyClock == nil {
		k.KeyClock = time.Now
	}
	return keyboard{wedge: k.Wedge, dedupe: scanner.Deduper{Window: k.DedupeWindow}, clock: k.KeyClock}
}

// wedgeDue says a held burst may have ended.
type wedgeDue struct{}

// keyboardMsg takes a key (or the wedge's timer) and passes on what it
// turns out to be: a person's keys, or a scan.
func (m *Model) keyboardMsg(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case wedgeDue:
		rel, scan := m.kb.wedge.Tick(m.kb.clock())
		return m.afterWedge(rel, scan)
	case tea.KeyMsg:
		if msg.Paste {
			// A paste is a scan typed all at once.
			p := strings.TrimSpace(string(msg.Runes))
			if p == "" {
				return nil
			}
			return m.keyboardScan(scanner.Scan{Payload: []byte(p), At: time.Now()})
		}
		rel, scan := m.kb.wedge.Key(msg, keyText(msg), isEnter(msg), m.kb.clock())
		return m.afterWedge(rel, scan)
	}
	return nil
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
	if scan != nil && m.kb.dedupe.Fresh(*scan) {
		cmds = append(cmds, m.keyboardScan(*scan))
	}
	if due, ok := m.kb.wedge.Due(); ok {
		cmds = append(cmds, tea.Tick(max(due.Sub(m.kb.clock()), time.Millisecond), func(time.Time) tea.Msg { return wedgeDue{} }))
	}
	return tea.Batch(cmds...)
}

// keyboardScan queues a scan the keyboard typed.
func (m *Model) keyboardScan(s scanner.Scan) tea.Cmd {
	m.enqueue(s.Payload, s.Err, time.Now())
	return m.startNext()
}
