package shots

import (
	"errors"
	"image"
	"image/color"
	"strings"
	"testing"
)

// testFont has a few of Unifont's glyphs: a narrow letter, a wide Hangul
// syllable, and ✓, which Unifont draws 16 pixels wide for a one-cell rune.
const testFontHex = `# a few glyphs of GNU Unifont (SIL OFL 1.1, see GLYPHS-LICENSE)
0041:0000000018242442427E424242420000
2713:0000000000000000000000040008001040204040208021001200140008000000
AC00:00000000001000101F9000900090009E01100110021004101810001000100000
`

func testFont(t testing.TB) *Font {
	t.Helper()
	f, err := ParseFont(strings.NewReader(testFontHex))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var (
	green = Xterm256(28)
	white = Xterm256(231)
	red   = Xterm256(160)
)

// glyphAt is a want function: the glyph of r drawn from cell x0, fg on bg.
func glyphAt(t testing.TB, r rune, x0 int, fg, bg color.RGBA) func(x, y int) color.RGBA {
	g, ok := testFont(t).Glyph(r)
	if !ok {
		t.Fatalf("the test font has no %q", r)
	}
	return func(x, y int) color.RGBA {
		if g.Set(x-x0*CellWidth, y) {
			return fg
		}
		return bg
	}
}

// renderCases: frames of a few cells and the colour every pixel must be,
// worked out from the glyphs' bits, not from the renderer.
func renderCases(t testing.TB) []struct {
	name  string
	frame string
	w, h  int
	want  func(x, y int) color.RGBA
} {
	a := glyphAt(t, 'A', 0, white, green)
	return []struct {
		name  string
		frame string
		w, h  int
		want  func(x, y int) color.RGBA
	}{
		{"an unstyled space is the terminal's own background", " ", 1, 1,
			func(x, y int) color.RGBA { return DefaultBackground }},
		{"a line shorter than the terminal: the rest is the terminal's background", "\x1b[48;5;28m \x1b[0m\n", 3, 1,
			func(x, y int) color.RGBA {
				if x < CellWidth {
					return green
				}
				return DefaultBackground
			}},
		{"a background edge to edge", "\x1b[48;5;28m  \x1b[0m\n\x1b[48;5;28m  \x1b[0m\n", 2, 2,
			func(x, y int) color.RGBA { return green }},
		{"a glyph in its foreground", "\x1b[38;5;231;48;5;28mA\x1b[0m", 1, 1, a},
		{"an unstyled glyph in the terminal's foreground", "A", 1, 1, glyphAt(t, 'A', 0, DefaultForeground, DefaultBackground)},
		{"a wide rune spans two cells", "\x1b[38;5;231;48;5;28m가\x1b[0m", 2, 1, glyphAt(t, '가', 0, white, green)},
		{"after a wide rune, the next cell", "가A", 3, 1, func(x, y int) color.RGBA {
			if x < 2*CellWidth {
				return glyphAt(t, '가', 0, DefaultForeground, DefaultBackground)(x, y)
			}
			return glyphAt(t, 'A', 2, DefaultForeground, DefaultBackground)(x, y)
		}},
		{"reverse video swaps the colours", "\x1b[7mA\x1b[0m", 1, 1, glyphAt(t, 'A', 0, DefaultBackground, DefaultForeground)},
		{"blinking is drawn lit", "\x1b[5;38;5;231;48;5;28mA\x1b[0m", 1, 1, a},
		{"bold: the glyph again one pixel to the right", "\x1b[1;38;5;231;48;5;28mA\x1b[0m", 1, 1,
			func(x, y int) color.RGBA {
				if a(x, y) == white || (x > 0 && a(x-1, y) == white) {
					return white
				}
				return green
			}},
		{"a full block fills its cell", "\x1b[38;5;231;48;5;28m█\x1b[0m", 1, 1,
			func(x, y int) color.RGBA { return white }},
		{"an upper half block", "\x1b[38;5;231;48;5;28m▀\x1b[0m", 1, 1,
			func(x, y int) color.RGBA {
				if y < CellHeight/2 {
					return white
				}
				return green
			}},
		{"a lower half block", "\x1b[38;5;231;48;5;28m▄\x1b[0m", 1, 1,
			func(x, y int) color.RGBA {
				if y >= CellHeight/2 {
					return white
				}
				return green
			}},
		{"a right half block", "\x1b[38;5;231;48;5;28m▐\x1b[0m", 1, 1,
			func(x, y int) color.RGBA {
				if x >= CellWidth/2 {
					return white
				}
				return green
			}},
		{"a quadrant ▚", "\x1b[38;5;231;48;5;28m▚\x1b[0m", 1, 1,
			func(x, y int) color.RGBA {
				if (x < CellWidth/2) == (y < CellHeight/2) {
					return white
				}
				return green
			}},
		{"a wide glyph in one cell is squeezed into it, nothing spills", "\x1b[38;5;231;48;5;28m✓\x1b[48;5;160m \x1b[0m", 2, 1,
			func(x, y int) color.RGBA {
				if x >= CellWidth {
					return red
				}
				g, _ := testFont(t).Glyph('✓')
				if g.Set(2*x, y) || g.Set(2*x+1, y) {
					return white
				}
				return green
			}},
		{"a basic colour", "\x1b[41m \x1b[0m", 1, 1, func(x, y int) color.RGBA { return Xterm256(1) }},
		{"a true colour", "\x1b[48;2;1;2;3m \x1b[0m", 1, 1, func(x, y int) color.RGBA { return color.RGBA{1, 2, 3, 0xff} }},
	}
}

// TestRender draws each frame and compares every pixel with the colour it
// must be.
func TestRender(t *testing.T) {
	font := testFont(t)
	for _, c := range renderCases(t) {
		t.Run(c.name, func(t *testing.T) {
			img, err := Render(c.frame, c.w, c.h, font)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := img.Bounds(), image.Rect(0, 0, c.w*CellWidth, c.h*CellHeight); got != want {
				t.Fatalf("the picture is %v, want %v", got, want)
			}
			bad := 0
			for y := range img.Bounds().Dy() {
				for x := range img.Bounds().Dx() {
					got, want := img.At(x, y).(color.RGBA), c.want(x, y)
					if got != want {
						if bad < 4 {
							t.Errorf("pixel %d,%d is %v, want %v", x, y, got, want)
						}
						bad++
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d pixels wrong", bad)
			}
		})
	}
}

// TestRenderRefuses: bad input gets an error that says what is wrong, never
// a picture of part of a frame or a blank for a rune.
func TestRenderRefuses(t *testing.T) {
	font := testFont(t)
	for _, c := range []struct {
		name  string
		frame string
		w, h  int
		err   error
		says  string
	}{
		{"a rune the font lacks", "AZ", 2, 1, ErrNoGlyph, "U+005A"},
		{"a combining mark", "A\u0301", 2, 1, ErrNoGlyph, "U+0301"},
		{"a tab", "\t", 1, 1, ErrNoGlyph, "U+0009"},
		{"more lines than the size", "A\nA\n", 1, 1, ErrFrame, "2 lines, not 1"},
		{"fewer lines than the size", "A\n", 1, 2, ErrFrame, "1 lines, not 2"},
		{"a line wider than the size", "AA", 1, 1, ErrFrame, "2 cells wide"},
		{"a wide rune past the edge", "가", 1, 1, ErrFrame, "2 cells wide"},
		{"no size", "", 0, 0, ErrFrame, "0x0"},
		{"a size no terminal has", "", 100000, 100000, ErrFrame, "not a terminal size"},
	} {
		_, err := Render(c.frame, c.w, c.h, font)
		if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want %v saying %q", c.name, err, c.err, c.says)
		}
	}
}

// TestRenderPalette: a picture's palette holds the colours it uses, each
// once, in the order first used, so the same frame makes the same file.
func TestRenderPalette(t *testing.T) {
	img, err := Render("\x1b[38;5;231;48;5;28mA\x1b[48;5;160m \x1b[0m A", 4, 1, testFont(t))
	if err != nil {
		t.Fatal(err)
	}
	want := color.Palette{white, green, red, DefaultForeground, DefaultBackground}
	if len(img.Palette) != len(want) {
		t.Fatalf("palette %v, want %v", img.Palette, want)
	}
	for i := range want {
		if img.Palette[i] != want[i] {
			t.Fatalf("palette %v, want %v", img.Palette, want)
		}
	}
}

// FuzzRender: any bytes as a frame, at a small size, draw a picture of that
// size or give an error; nothing panics.
func FuzzRender(f *testing.F) {
	for _, c := range renderCases(f) {
		f.Add(c.frame, uint8(c.w), uint8(c.h))
	}
	f.Add("\x1b[1;7m가\x1b[0m\x1b]8;;x\x07l\x1b[2J", uint8(4), uint8(1))
	font := testFont(f)
	f.Fuzz(func(t *testing.T, frame string, w, h uint8) {
		img, err := Render(frame, int(w%40), int(h%12), font)
		if err != nil {
			return
		}
		if got, want := img.Bounds(), image.Rect(0, 0, int(w%40)*CellWidth, int(h%12)*CellHeight); got != want {
			t.Fatalf("the picture is %v, want %v", got, want)
		}
		for _, px := range img.Pix {
			if int(px) >= len(img.Palette) {
				t.Fatalf("pixel index %d, palette of %d", px, len(img.Palette))
			}
		}
	})
}

// TestXterm256: the colours xterm shows for the indexes, as its
// documentation's table has them.
func TestXterm256(t *testing.T) {
	for _, c := range []struct {
		i    uint8
		want color.RGBA
	}{
		{0, color.RGBA{0, 0, 0, 255}},
		{1, color.RGBA{0xcd, 0, 0, 255}},
		{15, color.RGBA{0xff, 0xff, 0xff, 255}},
		{16, color.RGBA{0, 0, 0, 255}},
		{25, color.RGBA{0x00, 0x5f, 0xaf, 255}},  // SCAN AGAIN's blue
		{28, color.RGBA{0x00, 0x87, 0x00, 255}},  // PASS's green
		{160, color.RGBA{0xd7, 0x00, 0x00, 255}}, // NO ENTRY's red
		{214, color.RGBA{0xff, 0xaf, 0x00, 255}}, // CHECK BY HAND's amber
		{231, color.RGBA{0xff, 0xff, 0xff, 255}},
		{232, color.RGBA{0x08, 0x08, 0x08, 255}},
		{245, color.RGBA{0x8a, 0x8a, 0x8a, 255}}, // the status lines' grey
		{255, color.RGBA{0xee, 0xee, 0xee, 255}},
	} {
		if got := Xterm256(c.i); got != c.want {
			t.Errorf("colour %d is %v, want %v", c.i, got, c.want)
		}
	}
}

// BenchmarkRender: the largest picture in the README, 120x40 cells, drawn
// and encoded; the PNG's size is reported beside the time.
func BenchmarkRender(b *testing.B) {
	font := loadFont(b, glyphsFile)
	p, err := ParseName("verdict-pass-ko-120x40")
	if err != nil {
		b.Fatal(err)
	}
	frame := readFile(b, root+"/"+p.Frame())
	var size int
	for b.Loop() {
		pic, err := p.Draw(frame, font)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pic)
	}
	b.ReportMetric(float64(size), "B/png")
}
