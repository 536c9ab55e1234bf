package shots

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/cellbuf"
)

// Errors of drawing a frame.
var (
	// ErrNoGlyph: the frame has a rune the font does not draw.
	ErrNoGlyph = errors.New("shots: no glyph")
	// ErrFrame: the frame is not the size it says, or not a frame at all.
	ErrFrame = errors.New("shots: not a frame of that size")
)

// maxCells bounds a frame (211x62 is the largest terminal the ui is tested
// at), so a mistaken size cannot ask for a picture of gigabytes.
const maxCells = 400 * 200

// Render draws a frame of w x h terminal cells, as a terminal with font
// would show it: each cell's background edge to edge, its rune in its
// foreground, bold as xterm draws it for a font without a bold face (the
// glyph again one pixel to the right), reverse video swapped, blinking
// drawn lit. Block elements (█ ▀ ▄ ...) are drawn as solid blocks, not
// from the font, so the big symbols and letters have no seams. A wide
// rune (Hangul) spans two cells; a glyph wider than its cells (Unifont's
// ✓ and ✗ are 16 pixels, one cell in a terminal) is squeezed into them.
//
// The frame must be exactly h lines (a final newline aside), none wider
// than w cells; a rune the font lacks is an error naming it, never a
// blank or a box in its place.
func Render(frame string, w, h int, font *Font) (*image.Paletted, error) {
	if w <= 0 || h <= 0 || w*h > maxCells {
		return nil, fmt.Errorf("%w: %dx%d is not a terminal size", ErrFrame, w, h)
	}
	if err := checkSize(frame, w, h); err != nil {
		return nil, err
	}
	buf := cellbuf.NewBuffer(w, h)
	cellbuf.SetContent(buf, frame)

	img := &canvas{img: image.NewPaletted(image.Rect(0, 0, w*CellWidth, h*CellHeight), nil), index: map[color.RGBA]uint8{}}
	for y := range h {
		for x := 0; x < w; x++ {
			c := buf.Cell(x, y)
			if c == nil {
				c = &cellbuf.BlankCell
			}
			if c.Width == 0 && c.Rune == 0 {
				continue // the right half of a wide rune, drawn with its left
			}
			if err := img.cell(x, y, c, font); err != nil {
				return nil, err
			}
		}
	}
	if img.full {
		return nil, fmt.Errorf("%w: more than 256 colours", ErrFrame)
	}
	return img.img, nil
}

// checkSize holds a frame to its stated size: cellbuf would cut a larger
// one silently, and a picture of part of a screen is a wrong picture.
func checkSize(frame string, w, h int) error {
	lines := strings.Split(strings.TrimSuffix(frame, "\n"), "\n")
	if len(lines) != h {
		return fmt.Errorf("%w: %d lines, not %d", ErrFrame, len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			return fmt.Errorf("%w: line %d is %d cells wide, not %d", ErrFrame, i+1, n, w)
		}
	}
	return nil
}

// canvas is the picture being drawn, with its palette in the order the
// colours are first used (so the same frame always makes the same file).
type canvas struct {
	img   *image.Paletted
	index map[color.RGBA]uint8
	full  bool
}

func (cv *canvas) colour(c color.RGBA) uint8 {
	if i, ok := cv.index[c]; ok {
		return i
	}
	if len(cv.img.Palette) == 256 {
		cv.full = true
		return 0
	}
	i := uint8(len(cv.img.Palette))
	cv.img.Palette = append(cv.img.Palette, c)
	cv.index[c] = i
	return i
}

func (cv *canvas) cell(x, y int, c *cellbuf.Cell, font *Font) error {
	fg := resolve(c.Style.Fg, DefaultForeground)
	bg := resolve(c.Style.Bg, DefaultBackground)
	if c.Style.Attrs.Contains(cellbuf.ReverseAttr) {
		fg, bg = bg, fg
	}
	fi, bi := cv.colour(fg), cv.colour(bg)
	span := max(c.Width, 1) * CellWidth
	x0, y0 := x*CellWidth, y*CellHeight
	b := cv.img.Bounds()
	pixel := func(px, py int, i uint8) {
		if p := image.Pt(x0+px, y0+py); p.In(b) {
			cv.img.SetColorIndex(p.X, p.Y, i)
		}
	}
	for py := range CellHeight {
		for px := range span {
			pixel(px, py, bi)
		}
	}
	if len(c.Comb) > 0 {
		return fmt.Errorf("%w: U+%04X with the combining U+%04X at %d,%d (combining marks are not drawn)", ErrNoGlyph, c.Rune, c.Comb[0], x, y)
	}
	if c.Rune == ' ' || c.Rune == 0 {
		return nil
	}
	if fill, ok := block(c.Rune); ok {
		for py := range CellHeight {
			for px := range span {
				if fill(px*CellWidth/span, py) {
					pixel(px, py, fi)
				}
			}
		}
		return nil
	}
	g, ok := font.Glyph(c.Rune)
	if !ok {
		return fmt.Errorf("%w: U+%04X %q at %d,%d", ErrNoGlyph, c.Rune, c.Rune, x, y)
	}
	bold := c.Style.Attrs.Contains(cellbuf.BoldAttr)
	squeeze := g.Width() > span
	for py := range CellHeight {
		for px := range span {
			lit := g.Set(px, py)
			if squeeze {
				lit = g.Set(2*px, py) || g.Set(2*px+1, py)
			}
			if lit {
				pixel(px, py, fi)
				if bold && px+1 < span {
					pixel(px+1, py, fi)
				}
			}
		}
	}
	return nil
}

// block returns, for the block elements U+2580-U+259F (all but the three
// shades, which the font draws), whether the pixel at x (0-7), y (0-15)
// of a cell is filled.
func block(r rune) (func(x, y int) bool, bool) {
	const w, h = CellWidth, CellHeight
	quad := func(ul, ur, ll, lr bool) func(x, y int) bool {
		return func(x, y int) bool {
			left, top := x < w/2, y < h/2
			return top && left && ul || top && !left && ur || !top && left && ll || !top && !left && lr
		}
	}
	switch {
	case r == 0x2580: // ▀
		return func(_, y int) bool { return y < h/2 }, true
	case r >= 0x2581 && r <= 0x2588: // ▁ to █: the lower n eighths
		n := int(r - 0x2580)
		return func(_, y int) bool { return y >= h-n*h/8 }, true
	case r >= 0x2589 && r <= 0x258F: // ▉ to ▏: the left 7 to 1 eighths
		n := int(0x2590 - r)
		return func(x, _ int) bool { return x < n*w/8 }, true
	case r == 0x2590: // ▐
		return func(x, _ int) bool { return x >= w/2 }, true
	case r == 0x2594: // ▔
		return func(_, y int) bool { return y < h/8 }, true
	case r == 0x2595: // ▕
		return func(x, _ int) bool { return x >= w-w/8 }, true
	case r >= 0x2596 && r <= 0x259F:
		q := [...][4]bool{ // upper left, upper right, lower left, lower right
			{false, false, true, false}, // ▖
			{false, false, false, true}, // ▗
			{true, false, false, false}, // ▘
			{true, false, true, true},   // ▙
			{true, false, false, true},  // ▚
			{true, true, true, false},   // ▛
			{true, true, false, true},   // ▜
			{false, true, false, false}, // ▝
			{false, true, true, false},  // ▞
			{false, true, true, true},   // ▟
		}[r-0x2596]
		return quad(q[0], q[1], q[2], q[3]), true
	}
	return nil, false
}
