package ui

import (
	"strings"
	"testing"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"munjigi/gate"
	"munjigi/verify"
)

// TestGlyphs: every glyph is a whole grid of its font's size, with ink.
func TestGlyphs(t *testing.T) {
	for name, f := range map[string]font{"latin": fontLatin, "hangul": fontHangul} {
		width := -1
		for r, g := range f.glyphs {
			if len(g) != f.height {
				t.Errorf("%s %q: %d rows, want %d", name, r, len(g), f.height)
			}
			for _, row := range g {
				if width < 0 {
					width = len(row)
				}
				if len(row) != width || strings.Trim(row, ".#") != "" {
					t.Errorf("%s %q: row %q", name, r, row)
				}
			}
			if !strings.Contains(strings.Join(g, ""), "#") {
				t.Errorf("%s %q has no ink", name, r)
			}
		}
	}
}

// TestBigWords: the words of the four verdicts a visitor must read from a
// metre away draw big in both languages on a large terminal; a word with
// a letter the fonts do not have is left to plain text.
func TestBigWords(t *testing.T) {
	for _, tx := range []*Text{&korean, &english} {
		for _, w := range []string{tx.Pass, tx.Fail, tx.Manual, tx.Again} {
			rows, ok := bigText(w, 116, 20)
			if !ok {
				t.Errorf("%s: %q cannot be drawn big at 120x40", tx.Lang, w)
				continue
			}
			if len(rows) < 7 {
				t.Errorf("%s: %q is only %d rows tall", tx.Lang, w, len(rows))
			}
		}
	}
	if _, ok := bigText("LOG GAP?", 200, 60); ok {
		t.Error("a word with a letter without a glyph was drawn")
	}
	if _, ok := bigText("PASS", 9, 60); ok {
		t.Error("a word too wide for the room was drawn")
	}
}

// bigTextCases seed the fuzz target below.
var bigTextCases = []struct {
	word string
	w, h int
}{
	{"PASS", 120, 40}, {"NO ENTRY", 57, 17}, {"CHECK BY HAND", 80, 20}, {"통과", 40, 12},
	{"입장 불가", 211, 62}, {"직원 확인", 1, 1}, {"다시 스캔", 60, 9}, {" ", 10, 10}, {"", 10, 10}, {"A B C D", 30, 30},
}

// FuzzBigText: whatever the word and the room, block letters never take
// more than the room.
func FuzzBigText(f *testing.F) {
	for _, c := range bigTextCases {
		f.Add(c.word, c.w, c.h)
	}
	f.Fuzz(func(t *testing.T, word string, w, h int) {
		w, h = w%300, h%100
		rows, ok := bigText(word, w, h)
		if !ok {
			return
		}
		if len(rows) > h {
			t.Fatalf("%q in %dx%d: %d rows", word, w, h, len(rows))
		}
		for _, r := range rows {
			if ansi.StringWidth(r) > w {
				t.Fatalf("%q in %dx%d: a row %d wide", word, w, h, ansi.StringWidth(r))
			}
		}
	})
}

// wrapCases seed the fuzz target below.
var wrapCases = []struct {
	text string
	w    int
}{
	{"방역패스 미적용: 식당·카페는 미접종자 1명 단독 이용이 가능합니다. 직원이 확인하세요.", 40},
	{"the signature does not match: altered or forged", 10},
	{"가나다라마바사아자차카타파하", 3},
	{"", 5}, {"x", 0}, {"  spaced   out  ", 4}, {"\uFFFD\uFFFD", 1},
}

// FuzzWrapText: wrapped text never exceeds its width, and drops nothing
// but spaces when nothing had to be cut inside a word.
func FuzzWrapText(f *testing.F) {
	for _, c := range wrapCases {
		f.Add(c.text, c.w)
	}
	f.Fuzz(func(t *testing.T, text string, w int) {
		if !utf8.ValidString(text) || strings.ContainsFunc(text, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return // the screen shows only sanitized text
		}
		w %= 200
		for _, l := range wrapText(text, w) {
			if ansi.StringWidth(l) > w {
				t.Fatalf("%q at %d: a line %d wide: %q", text, w, ansi.StringWidth(l), l)
			}
		}
		if c := clip(text, w); ansi.StringWidth(c) > max(w, 0) {
			t.Fatalf("clip(%q, %d) is %d wide", text, w, ansi.StringWidth(c))
		}
	})
}

// FuzzVerdictScreen: whatever name a pass carries, whatever the size, a
// verdict screen is the terminal's size, shows no control character, and
// shows the verdict's word and every option.
func FuzzVerdictScreen(f *testing.F) {
	for _, c := range []struct {
		name string
		w, h int
	}{
		{"홍*동", 80, 24}, {"\x1b[2J\x1b]52;c;Zm9v\x07EVIL\u202e", 40, 12}, {strings.Repeat("W", 5000), 57, 17},
		{strings.Repeat("가", 300), 211, 62}, {"\xff\xfe", 120, 40},
	} {
		f.Add(c.name, c.w, c.h)
	}
	d := newTestDoor(f)
	amber := d.Scan(d.payload(f, "first dose only"))
	f.Fuzz(func(t *testing.T, name string, w, h int) {
		w, h = 40+abs(w)%200, 12+abs(h)%60
		m := New(d.config("ko"))
		o := amber
		o.Holder = verify.Holder{Name: verify.Sanitize(name, verify.MaxDisplay), BirthYear: 1999}
		m.Update(decidedMsg{o: o})
		m.Update(tea.WindowSizeMsg{Width: w, Height: h})
		view := m.View()
		lines := strings.Split(view, "\n")
		if len(lines) != h {
			t.Fatalf("%dx%d: %d lines", w, h, len(lines))
		}
		for _, l := range lines {
			if ansi.StringWidth(l) > w {
				t.Fatalf("%dx%d: a line %d wide", w, h, ansi.StringWidth(l))
			}
		}
		if strings.ContainsAny(view, "\x1b\x07\u202e") || strings.ContainsRune(view, 0x9b) {
			t.Fatalf("a control character on the screen: %q", view)
		}
		for _, k := range m.offered() {
			if !strings.Contains(view, k+"  ") {
				t.Fatalf("%dx%d: option %s does not show:\n%s", w, h, k, view)
			}
		}
		if o.Method != gate.MethodQR || m.waiting == nil {
			t.Fatal("the amber verdict does not wait")
		}
	})
}
