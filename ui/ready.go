package ui

import (
	"fmt"
	"strings"

	"munjigi/scanner"
	"munjigi/verify"
)

// The ready screen: where the venue is and what rules it applies, the big
// box that asks for a pass (or says the scanner is unplugged, or that a
// pass is being read), and the keys.

func (m *Model) readyPage(room int) *page {
	t := m.t
	var title, hint string
	box := m.st.Box
	switch {
	case m.scanner.kind == scanner.Disconnected:
		// Staff look at the big box, not at the status line.
		title, hint, box = t.ScannerGone, t.ScannerHint, m.st.BoxWarn
		if t.Lang == "en" && m.scanner.detail != "" {
			hint += " (" + m.scanner.detail + ")"
		}
	case m.reading:
		title, hint = t.Reading, t.ReadingHint
	case m.busy:
		title, hint = t.Checking, t.ScanHint
	default:
		title, hint = t.ScanPrompt, t.ScanHint
	}
	build := func(spaced bool, padX, padY int) func() *page {
		return func() *page {
			p := newPage(m.st.Plain, m.w)
			p.text(m.venueLine(), m.st.Plain)
			if spaced {
				p.blank()
			}
			inner := max(p.room()-2-2*padX, 1)
			var words []string
			for _, l := range wrapText(title, inner) {
				words = append(words, m.st.Bold.Render(l))
			}
			b := box.Padding(padY, padX).Render(strings.Join(words, "\n"))
			p.add(strings.Split(b, "\n")...)
			if spaced {
				p.blank()
			}
			p.text(hint, m.st.Dim)
			if m.note != "" {
				p.text(m.note, m.st.Bold)
			}
			if !m.clock.Trusted && m.clock.Code != "" {
				// Staff should know why passes that time decides go to them.
				p.text(fmt.Sprintf(t.ClockWarning, t.ClockWhy[m.clock.Code]), m.st.Bold)
			}
			if spaced {
				p.blank()
			}
			h := m.help
			h.Width = p.room()
			p.add(h.ShortHelpView(m.keys.ShortHelp()))
			return p
		}
	}
	return firstFit(room, build(true, 4, 1), build(false, 4, 1), build(false, 2, 0), build(false, 1, 0))
}

// venueLine names the venue and its rules, in the screen's language.
func (m *Model) venueLine() string {
	rules := m.t.Policy + ": " + m.cfg.Policy.name(m.t)
	name := verify.Sanitize(m.cfg.Venue.Name, 40)
	if name == "" {
		return rules
	}
	return m.t.Venue + ": " + name + " · " + rules
}
