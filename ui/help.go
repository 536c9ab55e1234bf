package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// The help screen: the key map, generated from the bindings themselves
// (keys.go), with a line for each on what it does.

func (m *Model) helpPage(room int) *page {
	build := func(long, spaced bool) func() *page {
		return func() *page {
			p := newPage(m.st.Plain, m.w)
			w := p.room()
			p.add(m.st.Title.Render(clip(m.t.HelpTitle, w)))
			if spaced {
				p.blank()
			}
			width := 0
			var all []struct{ key, desc string }
			for _, col := range m.keys.FullHelp() {
				for _, b := range col {
					h := b.Help()
					desc := h.Desc
					if long {
						desc += ": " + m.keys.long[h.Key]
					}
					all = append(all, struct{ key, desc string }{h.Key, desc})
					width = max(width, ansi.StringWidth(h.Key))
				}
			}
			var rows []string
			room := max(w-width-3, 1)
			for _, r := range all {
				if long && ansi.StringWidth(r.desc) > room {
					return nil // cut, the long lines say less than the short ones
				}
				pad := strings.Repeat(" ", width-ansi.StringWidth(r.key)+3)
				rows = append(rows, m.st.Bold.Render(r.key)+pad+clip(r.desc, room))
			}
			return p.group(rows)
		}
	}
	return firstFit(room, build(true, true), build(true, false), build(false, false))
}
