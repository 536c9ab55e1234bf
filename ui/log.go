package ui

import (
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"munjigi/gate"
	"munjigi/verify"
)

// The log screen: the latest entries, newest first, with no personal
// data. The file is on an SD card anyone can pull: every field read back
// is cleaned before it is shown, and codes are worded, never shown raw.

func (m *Model) logPage(room int) *page {
	t := m.t
	p := newPage(m.st.Plain, m.w)
	w := p.room()
	p.add(m.st.Title.Render(clip(t.LogTitle, w)))
	if room > 6 {
		p.blank()
	}
	if len(m.log) == 0 {
		return p.text(t.NoEntries, m.st.Plain)
	}
	c := t.LogColumns
	rows := [][]string{{c[0], c[1], c[2], c[3], c[4]}}
	for _, e := range m.log[:min(len(m.log), max(room-p.height()-1, 0))] {
		when := e.At.In(m.cfg.Timing.Location).Format("15:04:05")
		if !e.ClockTrusted {
			when += "?"
		}
		method := t.Methods[gate.Method(e.Method)]
		if method == "" {
			method = "?"
		}
		verdict := verify.Verdict(e.Verdict)
		mark := map[verify.Verdict]string{verify.Pass: "✓", verify.Fail: "✗", verify.Manual: "!"}[verdict]
		word := t.Verdicts[verdict]
		if word == "" {
			mark, word = "?", "?"
		}
		reason := m.reasonWords(gate.Method(e.Method), verify.Reason(e.Reason))
		rows = append(rows, []string{when, mark + " " + word, method, t.Types[verify.Type(e.Type)], reason})
	}
	// Columns as wide as their widest cell; the reason takes the rest.
	// When the screen is narrow, the type goes, then the method.
	show := []int{0, 1, 2, 3, 4}
	widths := make([]int, 5)
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], ansi.StringWidth(cell))
		}
	}
	for _, drop := range []int{3, 2} {
		need := 0
		for _, i := range show[:len(show)-1] {
			need += widths[i] + 2
		}
		if need+12 <= w {
			break
		}
		show = slices.DeleteFunc(show, func(c int) bool { return c == drop })
	}
	var out []string
	for i, r := range rows {
		var b strings.Builder
		for j, col := range show {
			cell := r[col]
			if j < len(show)-1 {
				cell += strings.Repeat(" ", widths[col]-ansi.StringWidth(cell)+2)
			}
			b.WriteString(cell)
		}
		line := clip(strings.TrimRight(b.String(), " "), w)
		if i == 0 {
			line = m.st.Bold.Render(line)
		}
		out = append(out, line)
	}
	return p.group(out)
}
