package ui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// page is one screen's body, built line by line and painted whole: every
// line is padded to the terminal's width and every blank line drawn, all
// in the page's base style. On a verdict screen the base carries the
// verdict's background, and every word is rendered with a style built on
// it, so no cell above the status lines is left in the terminal's own
// background (lipgloss.Place pads with unstyled spaces between styled
// words: that left a black box behind the verdict).
type page struct {
	base      lipgloss.Style
	pre, post string // the base style's sequences around a text
	w         int
	lines     []string
}

func newPage(base lipgloss.Style, w int) *page {
	// A style without width or padding renders a line as its sequences
	// around the text: taken once, they paint blanks of any width without
	// a render each (a frame has hundreds).
	pre, post, _ := strings.Cut(base.Render("\x00"), "\x00")
	return &page{base: base, pre: pre, post: post, w: w}
}

// add adds lines, each centred on its own. A line must be styled with the
// page's base (or a style built on it) and fit the width.
func (p *page) add(lines ...string) *page {
	p.lines = append(p.lines, lines...)
	return p
}

// blank adds an empty line.
func (p *page) blank() *page { return p.add("") }

// text adds plain text in style st (built on the base), wrapped to the
// page's width less a margin.
func (p *page) text(s string, st lipgloss.Style) *page {
	for _, l := range wrapText(s, p.room()) {
		p.add(st.Render(l))
	}
	return p
}

// group adds lines that align on their left edge, as one block centred:
// a list reads down its left side.
func (p *page) group(lines []string) *page {
	width := 0
	for _, l := range lines {
		width = max(width, ansi.StringWidth(l))
	}
	for _, l := range lines {
		p.add(l + p.pad(width-ansi.StringWidth(l)))
	}
	return p
}

// room is the width a line of text may take: the screen less a margin.
func (p *page) room() int { return max(p.w-2, 1) }

func (p *page) pad(n int) string {
	if n <= 0 {
		return ""
	}
	return p.pre + strings.Repeat(" ", n) + p.post
}

// height is how many lines the page has.
func (p *page) height() int { return len(p.lines) }

// render paints the page into exactly h lines of exactly w cells, centred
// both ways. A page taller than h loses its last lines: the screens build
// one that fits, this is only the guard.
func (p *page) render(h int) []string {
	lines := p.lines
	if len(lines) > h {
		lines = lines[:h]
	}
	out := make([]string, 0, h)
	top := (h - len(lines)) / 2
	blank := p.pad(p.w)
	for range top {
		out = append(out, blank)
	}
	for _, l := range lines {
		out = append(out, p.centre(l))
	}
	for len(out) < h {
		out = append(out, blank)
	}
	return out
}

func (p *page) centre(l string) string {
	n := ansi.StringWidth(l)
	if n > p.w {
		// Plain text is cut before it is styled (clip); this catches a
		// styled line that is still too wide, and keeps its colour.
		return ansi.Truncate(l, p.w, "")
	}
	left := (p.w - n) / 2
	return p.pad(left) + l + p.pad(p.w-n-left)
}

// wrapText breaks plain text into lines of at most w cells: at spaces
// where it can, inside a word where it must (Hangul is two cells wide).
func wrapText(s string, w int) []string {
	if w < 1 {
		return nil
	}
	if ansi.StringWidth(s) <= w {
		return []string{s}
	}
	var out []string
	for _, l := range strings.Split(ansi.Wrap(s, w, ""), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, clip(l, w))
		}
	}
	return out
}

// clip cuts plain text to w cells, with an ellipsis when it cut.
func clip(s string, w int) string {
	if w < 1 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// fitLines makes sure of exactly h lines none wider than w.
func fitLines(lines []string, w, h int) []string {
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "")
		}
	}
	return lines
}
