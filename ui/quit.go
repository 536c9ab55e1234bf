package ui

import (
	tea "github.com/charmbracelet/bubbletea"
)

// Quitting asks first (a visitor may touch the keyboard), then for a staff
// PIN when there are any. A verdict still waiting for staff is recorded as
// unsettled before the kiosk stops.

func (m *Model) quitPage(room int) *page {
	return firstFit(room, func() *page {
		p := newPage(m.st.Plain, m.w)
		return p.add(m.st.Title.Render(clip(m.t.QuitTitle, p.room()))).blank().text(m.t.QuitQuestion, m.st.Plain)
	}, func() *page {
		p := newPage(m.st.Plain, m.w)
		return p.text(m.t.QuitQuestion, m.st.Plain)
	})
}

func (m *Model) quitKey(k tea.KeyMsg) tea.Cmd {
	switch k.String() {
	case "y", "Y":
		if len(m.cfg.StaffPINs) > 0 {
			m.choice, m.pin, m.note = "quit", nil, ""
			m.screen = pinScreen
			return nil
		}
		return tea.Sequence(m.leave(), tea.Quit)
	case "n", "N", "esc":
		m.screen = m.back
	}
	return nil
}
