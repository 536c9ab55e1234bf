package shots

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func testImage(t testing.TB) *image.Paletted {
	t.Helper()
	img, err := Render("\x1b[38;5;231;48;5;28mA가\x1b[0m\n\x1b[7m ✓ \x1b[0m", 3, 2, testFont(t))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var testMeta = Meta{Title: "munjigi: PASS (Korean, 80x24)", Source: "ui/testdata/ansi/x.ansi", SourceSHA256: "ab12", Renderer: RendererVersion}

// TestEncode: a picture keeps its pixels and its palette (2 bits a pixel
// for 4 colours), and says what it is in tEXt chunks that a PNG
// reader reads and ReadMeta reads back.
func TestEncode(t *testing.T) {
	img := testImage(t)
	b, err := Encode(img, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadMeta(b)
	if err != nil || got != testMeta {
		t.Fatalf("meta %+v, %v; want %+v", got, err, testMeta)
	}
	back, err := png.Decode(bytes.NewReader(b)) // the standard reader checks every chunk's CRC
	if err != nil {
		t.Fatal(err)
	}
	if n, at := Diff(img, back); n != 0 {
		t.Fatalf("%d pixels differ after a round trip, the first at %v", n, at)
	}
	pal, ok := back.(*image.Paletted)
	if !ok {
		t.Fatalf("a %T, not a palette image", back)
	}
	if len(pal.Palette) != len(img.Palette) {
		t.Errorf("palette of %d, want %d", len(pal.Palette), len(img.Palette))
	}
	// IHDR: colour type 3 (palette), at the fewest bits for 4 colours.
	if depth, ctype := b[24], b[25]; len(img.Palette) != 4 || depth != 2 || ctype != 3 {
		t.Errorf("%d colours at bit depth %d, colour type %d; want 4 at 2, type 3", len(img.Palette), depth, ctype)
	}
	for _, k := range []string{"Title\x00munjigi", "Source-SHA256\x00ab12", "Renderer\x00" + RendererVersion} {
		if !bytes.Contains(b, []byte(k)) {
			t.Errorf("no tEXt %q", k)
		}
	}
}

// TestEncodeRefuses: text a tEXt chunk cannot hold is an error, not a
// garbled chunk.
func TestEncodeRefuses(t *testing.T) {
	for _, m := range []Meta{{Title: "통과"}, {Source: "a\x00b"}} {
		if _, err := Encode(testImage(t), m); err == nil {
			t.Errorf("%+v: encoded", m)
		}
	}
}

func readMetaCases(t testing.TB) []struct {
	name string
	b    []byte
	says string
} {
	good, err := Encode(testImage(t), testMeta)
	if err != nil {
		t.Fatal(err)
	}
	badCRC := bytes.Clone(good)
	i := bytes.Index(badCRC, []byte("ab12"))
	badCRC[i] = 'c'
	return []struct {
		name string
		b    []byte
		says string
	}{
		{"a picture", good, ""},
		{"empty", nil, "no PNG signature"},
		{"a GIF", []byte("GIF89a..."), "no PNG signature"},
		{"a changed tEXt", badCRC, "CRC is wrong"},
		{"cut in a chunk", good[:60], "a chunk of"},
		{"cut between chunks", good[:len(good)-12], "no IEND"},
		{"cut in a chunk's length", good[:len(good)-5], "cut short"},
	}
}

// TestReadMeta: damaged pictures are errors that say how.
func TestReadMeta(t *testing.T) {
	for _, c := range readMetaCases(t) {
		m, err := ReadMeta(c.b)
		if c.says == "" {
			if err != nil || m != testMeta {
				t.Errorf("%s: %+v, %v", c.name, m, err)
			}
			continue
		}
		if !errors.Is(err, ErrPNG) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want %v saying %q", c.name, err, ErrPNG, c.says)
		}
	}
}

// FuzzReadMeta: any bytes are read or refused; nothing panics.
func FuzzReadMeta(f *testing.F) {
	for _, c := range readMetaCases(f) {
		f.Add(c.b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ReadMeta(b)
	})
}

// TestDiff counts the pixels of another colour, by colour, not by index.
func TestDiff(t *testing.T) {
	a := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{green, white})
	b := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{white, green}) // the same pixels, indexes swapped
	b.Pix = []uint8{1, 1, 1, 1}
	if n, _ := Diff(a, b); n != 0 {
		t.Errorf("%d pixels differ between the same pixels", n)
	}
	b.Pix[3] = 0
	if n, at := Diff(a, b); n != 1 || at != image.Pt(1, 1) {
		t.Errorf("%d pixels differ, the first at %v; want 1 at 1,1", n, at)
	}
	if n, _ := Diff(a, image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{green})); n != 6 {
		t.Errorf("another size: %d pixels differ, want 6", n)
	}
}
