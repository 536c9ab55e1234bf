package shots

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"strings"
)

// ErrPNG: bytes that are not a PNG this package can read.
var ErrPNG = errors.New("shots: not a PNG")

// Meta is what a picture says about itself, in PNG tEXt chunks: where it
// was drawn from and by what, so a stale picture can be told without
// drawing it again.
type Meta struct {
	Title        string // e.g. "munjigi: PASS (ko, 80x24)"
	Source       string // the frame's path in the repository
	SourceSHA256 string // hex SHA-256 of the frame's bytes
	Renderer     string // RendererVersion of the renderer that drew it
}

// The tEXt keywords, in the order they are written.
var metaKeys = []string{"Title", "Source", "Source-SHA256", "Renderer"}

func (m Meta) values() []string {
	return []string{m.Title, m.Source, m.SourceSHA256, m.Renderer}
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// Encode writes img as a PNG (palette images stay palette images, 4 bits
// a pixel for up to 16 colours) with m in tEXt chunks after the header.
func Encode(img image.Image, m Meta) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("shots: encoding the picture: %w", err)
	}
	raw := buf.Bytes()
	// The signature, then IHDR (4 length, 4 type, 13 data, 4 CRC): tEXt
	// goes right after it, before the pixels, where a reader looks first.
	const afterIHDR = 8 + 4 + 4 + 13 + 4
	var out bytes.Buffer
	out.Write(raw[:afterIHDR])
	for i, v := range m.values() {
		if strings.ContainsRune(v, 0) || !latin1(v) {
			return nil, fmt.Errorf("shots: %s %q cannot go in a PNG tEXt chunk (Latin-1, no NUL)", metaKeys[i], v)
		}
		writeChunk(&out, "tEXt", append(append([]byte(metaKeys[i]), 0), v...))
	}
	out.Write(raw[afterIHDR:])
	return out.Bytes(), nil
}

func latin1(s string) bool {
	for _, r := range s {
		if r > 0xFF {
			return false
		}
	}
	return true
}

func writeChunk(w *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	w.WriteString(typ)
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}

// ReadMeta reads the tEXt chunks Encode writes (others are ignored);
// chunks are checked against their CRCs.
func ReadMeta(b []byte) (Meta, error) {
	var m Meta
	if !bytes.HasPrefix(b, pngSignature) {
		return m, fmt.Errorf("%w: no PNG signature", ErrPNG)
	}
	fields := map[string]*string{"Title": &m.Title, "Source": &m.Source, "Source-SHA256": &m.SourceSHA256, "Renderer": &m.Renderer}
	rest := b[len(pngSignature):]
	for len(rest) > 0 {
		if len(rest) < 12 {
			return m, fmt.Errorf("%w: a chunk cut short", ErrPNG)
		}
		n := binary.BigEndian.Uint32(rest)
		if uint64(n) > uint64(len(rest)-12) {
			return m, fmt.Errorf("%w: a chunk of %d bytes in %d", ErrPNG, n, len(rest)-12)
		}
		typ, data := rest[4:8], rest[8:8+n]
		if crc32.ChecksumIEEE(rest[4:8+n]) != binary.BigEndian.Uint32(rest[8+n:]) {
			return m, fmt.Errorf("%w: the %q chunk's CRC is wrong", ErrPNG, typ)
		}
		rest = rest[12+n:]
		switch string(typ) {
		case "tEXt":
			k, v, ok := bytes.Cut(data, []byte{0})
			if p := fields[string(k)]; ok && p != nil {
				*p = string(v)
			}
		case "IEND":
			return m, nil
		}
	}
	return m, fmt.Errorf("%w: no IEND chunk", ErrPNG)
}

// Decode reads a PNG's pixels.
func Decode(b []byte) (image.Image, error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPNG, err)
	}
	return img, nil
}

// Diff compares two pictures pixel by pixel, by colour (not palette
// index, so a re-encoded picture of the same pixels is the same). It
// returns how many pixels differ and where the first is; a different size
// is reported as every pixel.
func Diff(a, b image.Image) (n int, first image.Point) {
	ra, rb := a.Bounds(), b.Bounds()
	if ra.Size() != rb.Size() {
		return max(ra.Dx()*ra.Dy(), rb.Dx()*rb.Dy(), 1), image.Point{}
	}
	for y := range ra.Dy() {
		for x := range ra.Dx() {
			if !sameColour(a.At(ra.Min.X+x, ra.Min.Y+y), b.At(rb.Min.X+x, rb.Min.Y+y)) {
				if n == 0 {
					first = image.Pt(x, y)
				}
				n++
			}
		}
	}
	return n, first
}

func sameColour(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}
