package ui

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/cellbuf"
	"github.com/muesli/termenv"
)

// cells parses a frame's escape sequences into the terminal's cells, as a
// terminal would show them.
func cells(view string, w, h int) *cellbuf.Buffer {
	buf := cellbuf.NewBuffer(w, h)
	cellbuf.SetContent(buf, view)
	return buf
}

// bgOf is the background a style paints, as a parsed cell holds it.
func bgOf(st lipgloss.Style) any {
	return cells(st.Render(" "), 1, 1).Cell(0, 0).Style.Bg
}

// uncoloured lists the cells above the status lines whose background is
// not want, as "x,y" (at most a few, for the message), and how many.
func uncoloured(buf *cellbuf.Buffer, rows int, want any) ([]string, int) {
	var where []string
	n := 0
	for y := range rows {
		for x := range buf.Width() {
			c := buf.Cell(x, y)
			if c != nil && c.Width == 0 && x > 0 {
				continue // the right half of a wide (Hangul) cell
			}
			if c == nil || !reflect.DeepEqual(c.Style.Bg, want) {
				n++
				if len(where) < 8 {
					where = append(where, fmt.Sprintf("%d,%d", x, y))
				}
			}
		}
	}
	return where, n
}

// colourProfiles: 256 colours (xterm, fbterm, tmux) and 16 (the Linux
// console), forced whatever terminal runs the test.
var colourProfiles = map[string]termenv.Profile{"ansi256": termenv.ANSI256, "ansi": termenv.ANSI}

// TestColourEdgeToEdge: on every verdict screen, at every size, in both
// languages and both colour profiles, every cell above the status lines
// carries the verdict's background: the frame is read back cell by cell
// from its escape sequences, not as text.
func TestColourEdgeToEdge(t *testing.T) {
	for _, sc := range screens {
		if sc.verdict == notVerdict {
			continue
		}
		for pname, profile := range colourProfiles {
			for _, lang := range Languages() {
				r := renderer(profile)
				d := newTestDoor(t)
				cfg := d.config(lang)
				cfg.Renderer = r
				m := New(cfg)
				sc.build(t, m, d)
				want := bgOf(m.st.Tones[sc.verdict].Base)
				if want == nil {
					t.Fatalf("%s: the verdict's style paints no background", pname)
				}
				for _, size := range allSizes {
					m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
					view := m.View()
					status := len(m.statusLines())
					where, n := uncoloured(cells(view, size[0], size[1]), size[1]-status, want)
					if n > 0 {
						t.Errorf("%s %s %s %s: %d cells without the verdict's colour (at %s)", sc.name, lang, pname, sizeName(size), n, strings.Join(where, " "))
					}
				}
			}
		}
	}
}

// TestColourCheckCatchesABox: the check above finds the box a layout of
// styled words on unstyled padding leaves (what issue 13 measured: 63
// cells on PASS at 80x24), so a pass of that test means something.
func TestColourCheckCatchesABox(t *testing.T) {
	r := renderer(termenv.ANSI256)
	base := r.NewStyle().Background(green).Foreground(white)
	// A word rendered with the colour, centred by lipgloss with coloured
	// whitespace: the words' lines pad with plain spaces between them.
	block := lipgloss.JoinVertical(lipgloss.Center, base.Render("✓  PASS  ✓"), base.Render("vaccination certificate"))
	frame := r.Place(80, 22, lipgloss.Center, lipgloss.Center, block, lipgloss.WithWhitespaceBackground(green))
	_, n := uncoloured(cells(frame, 80, 22), 22, bgOf(base))
	if n == 0 {
		t.Fatal("the check finds no cell out of colour in a frame with a box")
	}
}

// TestColourGoldens keeps every screen as raw frames with their escape
// sequences (256 colours), for pictures of the screens: complete frames
// at a fixed colour profile (go test ./ui -update rewrites them).
func TestColourGoldens(t *testing.T) {
	for _, sc := range screens {
		for _, lang := range Languages() {
			for _, size := range goldenSizes {
				name := sc.name + "-" + lang + "-" + sizeName(size)
				_, view := build(t, sc, lang, size, renderer(termenv.ANSI256))
				golden(t, filepath.Join("ansi", name+".ansi"), view+"\n")
			}
		}
	}
}
