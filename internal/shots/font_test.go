package shots

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var fontCases = []struct {
	name string
	hex  string
	err  string // "" for a font that reads
}{
	{"a narrow glyph", "0041:0000000018242442427E424242420000\n", ""},
	{"a wide glyph", "AC00:00000000001000101F9000900090009E01100110021004101810001000100000\n", ""},
	{"lower-case hex, a five-digit code point", "1f600:0000000018242442427e424242420000\n", ""},
	{"comments and blank lines", "# a header\n\n0041:0000000018242442427E424242420000\n   \n", ""},
	{"no colon", "0041 0000000018242442427E424242420000\n", "no ':'"},
	{"a code point too short", "41:0000000018242442427E424242420000\n", "not 4 to 6 hex digits"},
	{"a code point past Unicode", "110000:0000000018242442427E424242420000\n", "up to 10FFFF"},
	{"a code point not hex", "00G1:0000000018242442427E424242420000\n", "not 4 to 6"},
	{"a bitmap too short", "0041:0000000018242442427E4242424200\n", "30 hex digits"},
	{"a bitmap of another height", "0041:0000000018242442427E42424242000000000000\n", "40 hex digits"},
	{"a bitmap not hex", "0041:00000000182424424Z7E424242420000\n", "row 8 is not hex"},
	{"the line of the mistake", "0041:0000000018242442427E424242420000\n\nzzz\n", "line 3"},
}

// TestParseFont reads fonts and refuses what is not one, saying where.
func TestParseFont(t *testing.T) {
	for _, c := range fontCases {
		f, err := ParseFont(strings.NewReader(c.hex))
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.err != "" && (!errors.Is(err, ErrFont) || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: %v, want %v saying %q", c.name, err, ErrFont, c.err)
		case c.err == "" && f.Len() != 1:
			t.Errorf("%s: %d glyphs, want 1", c.name, f.Len())
		}
	}
}

// TestGlyphBits: a glyph's pixels are its rows' bits, leftmost first, for
// narrow and wide glyphs alike ('A' and '가' of Unifont, row by row).
func TestGlyphBits(t *testing.T) {
	f := testFont(t)
	for _, c := range []struct {
		r    rune
		wide bool
		row  int
		want string
	}{
		{'A', false, 4, "...##..."},
		{'A', false, 6, "..#..#.."},
		{'A', false, 9, ".######."},
		{'A', false, 11, ".#....#."},
		{'가', true, 4, "...######..#...."},
		{'가', true, 7, "........#..####."},
		{'가', true, 12, "...##......#...."},
	} {
		g, ok := f.Glyph(c.r)
		if !ok || g.Wide != c.wide {
			t.Fatalf("%q: %v, wide %v", c.r, ok, g.Wide)
		}
		var b strings.Builder
		for x := range g.Width() {
			if g.Set(x, c.row) {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		if b.String() != c.want {
			t.Errorf("%q row %d: %s, want %s", c.r, c.row, b.String(), c.want)
		}
	}
	if g, _ := f.Glyph('A'); g.Set(-1, 0) || g.Set(8, 4) || g.Set(3, 16) {
		t.Error("a pixel outside the glyph is set")
	}
}

// TestFontRoundTrip: a written font reads back the same, glyphs in code
// point order after the header.
func TestFontRoundTrip(t *testing.T) {
	f := testFont(t)
	var b bytes.Buffer
	if err := f.WriteTo(&b, "two\nlines"); err != nil {
		t.Fatal(err)
	}
	want := "# two\n# lines\n" + strings.Join(slices.DeleteFunc(strings.Split(testFontHex, "\n"), func(l string) bool {
		return l == "" || strings.HasPrefix(l, "#")
	}), "\n") + "\n"
	if b.String() != want {
		t.Fatalf("written:\n%s\nwant:\n%s", b.String(), want)
	}
	g, err := ParseFont(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f, g) {
		t.Fatal("the font read back differs")
	}
}

// TestSubset: a glyph comes from the first font that has it (the subset
// kept in the repository before the full font), and what none has is
// listed once, in order.
func TestSubset(t *testing.T) {
	kept, _ := ParseFont(strings.NewReader("0041:FF000000000000000000000000000000\n"))
	full := testFont(t)
	sub, missing := Subset([]rune{'가', 'A', 'Z', 'A', 'Y', 'Z'}, kept, nil, full)
	if got, _ := sub.Glyph('A'); got.Rows[0] != 0xFF00 {
		t.Errorf("A came from the full font, not the kept one: %x", got.Rows)
	}
	if _, ok := sub.Glyph('가'); !ok {
		t.Error("가 is not taken from the full font")
	}
	if sub.Len() != 2 {
		t.Errorf("%d glyphs, want 2", sub.Len())
	}
	if !slices.Equal(missing, []rune{'Y', 'Z'}) {
		t.Errorf("missing %q, want \"YZ\"", missing)
	}
}

// TestGlyphsFile: the subset kept in the repository reads, and draws
// every rune of every picture's frame (TestPictures draws them; this says
// which glyph is missing first).
func TestGlyphsFile(t *testing.T) {
	font := loadFont(t, glyphsFile)
	if font.Len() < 100 {
		t.Fatalf("%s has %d glyphs", glyphsFile, font.Len())
	}
	for _, r := range "통과입장불가직원확인다시스캔ABCabc0123456789·…─│╭╮╯╰✓✗↻●" {
		if _, ok := font.Glyph(r); !ok {
			t.Errorf("%s has no %q", glyphsFile, r)
		}
	}
}

// FuzzParseFont: any bytes read as a font or are refused; a font read
// writes and reads back the same.
func FuzzParseFont(f *testing.F) {
	for _, c := range fontCases {
		f.Add(c.hex)
	}
	f.Fuzz(func(t *testing.T, hex string) {
		font, err := ParseFont(strings.NewReader(hex))
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := font.WriteTo(&b, ""); err != nil {
			t.Fatal(err)
		}
		again, err := ParseFont(&b)
		if err != nil {
			t.Fatalf("a written font does not read: %v\n%s", err, b.String())
		}
		if !reflect.DeepEqual(font, again) {
			t.Fatal("the font read back differs")
		}
	})
}
