package ui

import (
	"fmt"
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"munjigi/gate"
)

// The manual check: staff say how they checked a visitor, on a verdict
// that waits for them (it settles that verdict: one visitor, one count)
// or after m (a visitor without a phone pass).

// manualPage lists the checks.
func (m *Model) manualPage(room int) *page {
	build := func(spaced bool, cols int, short bool) func() *page {
		return func() *page {
			p := newPage(m.st.Plain, m.w)
			p.add(m.st.Title.Render(clip(m.t.ManualTitle, p.room())))
			if spaced {
				p.blank()
			}
			if m.waiting != nil {
				p.text(fmt.Sprintf(m.t.ManualFor, m.reasonText(m.waiting)), m.st.Plain)
			} else {
				p.text(m.t.ManualAny, m.st.Plain)
			}
			if spaced {
				p.blank()
			}
			p.add(clip(m.t.ChooseCheck, p.room()))
			opts, ok := m.options(m.st.Plain, cols, short, p.room())
			if !ok && cols < 4 {
				return nil
			}
			p.group(opts)
			if spaced {
				p.blank()
				p.add(m.st.Dim.Render(clip("esc "+m.t.KeyBack, p.room())))
			}
			return p
		}
	}
	return firstFit(room, build(true, 1, false), build(false, 1, false), build(false, 2, false),
		build(false, 2, true), build(false, 4, true))
}

// offered are the option keys this venue offers, in order.
func (m *Model) offered() []string {
	var keys []string
	for _, k := range optionKeys {
		if options[k] == gate.CheckSoloDiner && !m.diningAlone() {
			continue
		}
		keys = append(keys, k)
	}
	return keys
}

// options lays the options out in cols columns (down, then across), in
// full words or short ones, each line at most w cells; it reports false
// when a line had to be cut.
func (m *Model) options(st lipgloss.Style, cols int, short bool, w int) ([]string, bool) {
	words := m.t.Options
	if short {
		words = m.t.OptionsShort
	}
	var cells []string
	for _, k := range m.offered() {
		cells = append(cells, k+"  "+words[options[k].Reason])
	}
	rows := (len(cells) + cols - 1) / cols
	widths := make([]int, cols)
	for i, c := range cells {
		widths[i/rows] = max(widths[i/rows], ansi.StringWidth(c))
	}
	lines := make([]string, rows)
	whole := true
	for r := range rows {
		var b strings.Builder
		for c := range cols {
			i := c*rows + r
			if i >= len(cells) {
				break
			}
			if c > 0 {
				b.WriteString("   ")
			}
			b.WriteString(cells[i])
			if c < cols-1 && i+rows < len(cells) {
				b.WriteString(strings.Repeat(" ", widths[c]-ansi.StringWidth(cells[i])))
			}
		}
		whole = whole && ansi.StringWidth(b.String()) <= w
		lines[r] = st.Render(clip(b.String(), w))
	}
	return lines, whole
}

// choose acts on an option key: on a verdict that waits for staff, or on
// the manual screen.
func (m *Model) choose(k string) tea.Cmd {
	if m.screen != manualScreen && (m.screen != verdictScreen || m.waiting == nil) {
		return nil
	}
	if !slices.Contains(m.offered(), k) {
		return nil
	}
	if len(m.cfg.StaffPINs) > 0 {
		m.back = m.screen
		m.choice, m.pin, m.note = k, nil, ""
		m.screen = pinScreen
		return nil
	}
	return m.record(k, "")
}

// diningAlone: the solo-diner allowance is for restaurants and cafés.
func (m *Model) diningAlone() bool {
	return slices.Contains([]string{"restaurant", "cafe"}, m.cfg.Venue.Type)
}

// record records a check by hand, off the screen's goroutine; it settles
// the waiting verdict, when there is one.
func (m *Model) record(choice, staff string) tea.Cmd {
	c, ok := options[choice]
	if !ok {
		return nil
	}
	door := m.cfg.Door
	pending := m.waiting
	m.stopWaiting()
	return func() tea.Msg {
		return decidedMsg{o: door.Manual(c, pending, staff), settles: pending}
	}
}
