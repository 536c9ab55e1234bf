package shots

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// A terminal cell in the font: Unifont's glyphs are 8 pixels wide (16 for
// a wide rune, two cells) and 16 high.
const (
	CellWidth  = 8
	CellHeight = 16
)

// ErrFont: a font file that cannot be read as Unifont's .hex format.
var ErrFont = errors.New("shots: not a .hex font")

// Glyph is one rune's bitmap: 16 rows, the leftmost pixel in the row's top
// bit. Wide is a 16-pixel glyph; a narrow one uses the top 8 bits.
type Glyph struct {
	Rows [CellHeight]uint16
	Wide bool
}

// Width in pixels.
func (g Glyph) Width() int {
	if g.Wide {
		return 2 * CellWidth
	}
	return CellWidth
}

// Set reports whether the pixel at x (from the left), y is drawn.
func (g Glyph) Set(x, y int) bool {
	if x < 0 || x >= g.Width() || y < 0 || y >= CellHeight {
		return false
	}
	return g.Rows[y]&(1<<(15-x)) != 0
}

// Font is a bitmap font in GNU Unifont's .hex format: one glyph a line,
// "XXXX:" and the rows as 32 hex digits (8x16) or 64 (16x16). A bitmap
// font draws the same pixels wherever it runs (no rasteriser, no
// hinting, no anti-aliasing to differ between machines), which is what
// makes the pictures reproducible.
type Font struct {
	glyphs map[rune]Glyph
}

// ParseFont reads a .hex font. Blank lines and lines starting with '#'
// (the subset's licence header) are skipped; anything else that is not a
// glyph is an error naming its line.
func ParseFont(r io.Reader) (*Font, error) {
	f := &Font{glyphs: map[rune]Glyph{}}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, g, err := parseGlyph(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrFont, n, err)
		}
		f.glyphs[r] = g
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: line %d: %w", ErrFont, n+1, err)
	}
	return f, nil
}

func parseGlyph(line string) (rune, Glyph, error) {
	var g Glyph
	code, bits, ok := strings.Cut(line, ":")
	if !ok {
		return 0, g, errors.New("no ':' between the code point and the bitmap")
	}
	cp, err := strconv.ParseUint(code, 16, 32)
	if err != nil || len(code) < 4 || len(code) > 6 || cp > 0x10FFFF {
		return 0, g, fmt.Errorf("code point %q is not 4 to 6 hex digits up to 10FFFF", code)
	}
	digits := len(bits) / CellHeight // per row: 2 (narrow) or 4 (wide)
	switch len(bits) {
	case 32, 64:
	default:
		return 0, g, fmt.Errorf("U+%04X: %d hex digits, not 32 (8x16) or 64 (16x16)", cp, len(bits))
	}
	g.Wide = digits == 4
	for y := range CellHeight {
		v, err := strconv.ParseUint(bits[y*digits:(y+1)*digits], 16, 16)
		if err != nil {
			return 0, g, fmt.Errorf("U+%04X: row %d is not hex", cp, y)
		}
		if !g.Wide {
			v <<= 8
		}
		g.Rows[y] = uint16(v)
	}
	return rune(cp), g, nil
}

// Glyph returns r's glyph, if the font has one.
func (f *Font) Glyph(r rune) (Glyph, bool) {
	g, ok := f.glyphs[r]
	return g, ok
}

// Len is how many glyphs the font has.
func (f *Font) Len() int { return len(f.glyphs) }

// Subset is a font with the glyphs of used, each taken from the first font
// of from that has it; missing lists the runes none has. The subset kept
// in the repository is refreshed with itself first and the full font
// second, so a glyph it has never changes with the full font's version
// (and no picture changes with it).
func Subset(used []rune, from ...*Font) (sub *Font, missing []rune) {
	sub = &Font{glyphs: map[rune]Glyph{}}
	for _, r := range used {
		found := false
		for _, f := range from {
			if f == nil {
				continue
			}
			if g, ok := f.glyphs[r]; ok {
				sub.glyphs[r] = g
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, r)
		}
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	return sub, missing
}

// WriteTo writes the font in .hex format, glyphs in code point order, after
// header (each of its lines written as a '#' comment).
func (f *Font) WriteTo(w io.Writer, header string) error {
	bw := bufio.NewWriter(w)
	for l := range strings.Lines(header) {
		fmt.Fprintf(bw, "# %s\n", strings.TrimRight(l, "\n"))
	}
	runes := make([]rune, 0, len(f.glyphs))
	for r := range f.glyphs {
		runes = append(runes, r)
	}
	slices.Sort(runes)
	for _, r := range runes {
		g := f.glyphs[r]
		fmt.Fprintf(bw, "%04X:", r)
		for _, row := range g.Rows {
			if g.Wide {
				fmt.Fprintf(bw, "%04X", row)
			} else {
				fmt.Fprintf(bw, "%02X", row>>8)
			}
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("shots: writing the font: %w", err)
	}
	return nil
}
