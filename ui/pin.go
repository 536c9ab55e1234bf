package ui

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// The staff PIN: asked before a check by hand is recorded and before the
// kiosk quits, when kiosk PINs are configured. The PIN's owner is recorded
// with the check.

func (m *Model) pinPage(room int) *page {
	what := m.t.QuitTitle
	if m.choice != "quit" {
		what = m.t.Options[options[m.choice].Reason]
	}
	build := func(spaced bool) func() *page {
		return func() *page {
			p := newPage(m.st.Plain, m.w)
			p.add(m.st.Title.Render(clip(what, p.room())))
			if spaced {
				p.blank()
			}
			p.add(clip(m.t.PINPrompt, p.room()))
			if spaced {
				p.blank()
			}
			box := m.st.PIN
			if !spaced {
				box = box.BorderTop(false).BorderBottom(false)
			}
			for _, l := range strings.Split(box.Render(strings.Repeat("●", len(m.pin))), "\n") {
				p.add(l)
			}
			if m.note != "" {
				if spaced {
					p.blank()
				}
				p.add(m.st.Error.Render(clip(m.note, p.room())))
			}
			return p
		}
	}
	return firstFit(room, build(true), build(false))
}

func (m *Model) pinKey(k tea.KeyMsg) tea.Cmd {
	switch {
	case k.Type == tea.KeyEsc:
		m.pin, m.choice, m.note = nil, "", ""
		m.screen = m.back
		if m.screen == verdictScreen && m.waiting == nil {
			m.screen = readyScreen // the verdict it was for has gone
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
		m.choice, m.note = "", ""
		if choice == "quit" {
			return tea.Sequence(m.leave(), tea.Quit)
		}
		return m.record(choice, staff)
	case k.Type == tea.KeyRunes && len(m.pin) < 12:
		m.pin = append(m.pin, k.Runes...)
	}
	return nil
}
