// Package shots draws pictures of the kiosk's screens for the README: the
// colour frames ui's golden tests keep (ui/testdata/ansi, escape sequences
// at 256 colours) read back into terminal cells and drawn cell by cell
// with a bitmap font that has Hangul, into small palette PNGs in
// docs/screens.
//
// The pictures are generated and checked by one command, its test:
// 'go test ./internal/shots -update' draws them again; plain 'go test'
// (CI's 'go test ./...') fails when a picture is stale: drawn from a frame
// that has changed since (each PNG carries its frame's SHA-256), by
// another version of the renderer, or with other pixels than the frame
// draws now. The font is a subset of GNU Unifont kept beside this file
// (glyphs.hex, SIL OFL 1.1: GLYPHS-LICENSE), so the pictures are the same
// wherever they are drawn and the check needs nothing installed.
package shots

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// RendererVersion names this way of drawing; a change to how a frame is
// drawn bumps it, so every picture is drawn again.
const RendererVersion = "munjigi-shots 1"

// Where the frames and the pictures are, from the repository's root.
const (
	FrameDir   = "ui/testdata/ansi"
	PictureDir = "docs/screens"
)

// ErrStale: a picture that is not what its frame draws now.
var ErrStale = errors.New("shots: the picture is stale")

// Picture is one picture of a screen: a frame ui's tests draw, in a
// language, at a terminal size.
type Picture struct {
	Screen  string // ui's name for the screen: "verdict-pass"
	Lang    string // "ko" or "en"
	Width   int    // terminal cells
	Height  int    // terminal lines
	Caption string // what it shows, in English
}

// Pictures are the pictures in the README: each state a person at the
// door sees, in both languages at 80x24, then the 7-inch screen of a
// Raspberry Pi (57x17) and a large terminal's block letters (120x40).
var Pictures = func() []Picture {
	var ps []Picture
	for _, s := range []struct{ screen, caption string }{
		{"ready", "Ready: scan your pass"},
		{"verdict-pass", "PASS"},
		{"verdict-fail-expired", "NO ENTRY: the pass has expired"},
		{"verdict-manual-signer", "CHECK BY HAND: a signer not on the trust list"},
		{"verdict-misread", "SCAN AGAIN: the scanner misread"},
		{"manual", "Manual check: a visitor without a phone pass"},
		{"stats", "Stats: today's visitors"},
	} {
		for _, lang := range []string{"ko", "en"} {
			ps = append(ps, Picture{s.screen, lang, 80, 24, s.caption})
		}
	}
	return append(ps,
		Picture{"verdict-manual-signer", "ko", 57, 17, "CHECK BY HAND on a 7-inch screen"},
		Picture{"verdict-pass", "ko", 120, 40, "PASS in block letters on a large terminal"},
	)
}()

// Name is the frame's name in ui's tests: "verdict-pass-ko-80x24".
func (p Picture) Name() string {
	return fmt.Sprintf("%s-%s-%dx%d", p.Screen, p.Lang, p.Width, p.Height)
}

// Frame is the frame's path from the repository's root.
func (p Picture) Frame() string { return path.Join(FrameDir, p.Name()+".ansi") }

// File is the picture's path from the repository's root.
func (p Picture) File() string { return path.Join(PictureDir, p.Name()+".png") }

var languages = map[string]string{"ko": "Korean", "en": "English"}

// Title is the picture's title, in its PNG and as the README's alt text.
func (p Picture) Title() string {
	lang := languages[p.Lang]
	if lang == "" {
		lang = p.Lang
	}
	return fmt.Sprintf("munjigi: %s (%s, %dx%d)", p.Caption, lang, p.Width, p.Height)
}

// ParseName reads a frame's name ("verdict-pass-ko-80x24") back into a
// Picture without a caption.
func ParseName(name string) (Picture, error) {
	var p Picture
	rest, size, ok := cutLast(name, "-")
	if !ok {
		return p, fmt.Errorf("shots: %q is not SCREEN-LANG-WxH", name)
	}
	ws, hs, ok := strings.Cut(size, "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return p, fmt.Errorf("shots: %q: %q is not a terminal size WxH", name, size)
	}
	screen, lang, ok := cutLast(rest, "-")
	if !ok || screen == "" || lang == "" {
		return p, fmt.Errorf("shots: %q is not SCREEN-LANG-WxH", name)
	}
	return Picture{Screen: screen, Lang: lang, Width: w, Height: h}, nil
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// Meta is what the picture of frame must say about itself.
func (p Picture) Meta(frame []byte) Meta {
	sum := sha256.Sum256(frame)
	return Meta{Title: p.Title(), Source: p.Frame(), SourceSHA256: hex.EncodeToString(sum[:]), Renderer: RendererVersion}
}

// Draw draws the picture of frame (the bytes of p.Frame()) as a PNG.
func (p Picture) Draw(frame []byte, font *Font) ([]byte, error) {
	img, err := Render(string(frame), p.Width, p.Height, font)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Frame(), err)
	}
	return Encode(img, p.Meta(frame))
}

// Check tells whether pic (the bytes of p.File()) is the picture frame
// draws now: an error wrapping ErrStale says how it is not.
func (p Picture) Check(pic, frame []byte, font *Font) error {
	stale := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s "+format, append([]any{ErrStale, p.File()}, a...)...)
	}
	got, err := ReadMeta(pic)
	if err != nil {
		return stale("cannot be read: %w", err)
	}
	want := p.Meta(frame)
	switch {
	case got.Source != want.Source:
		return stale("was drawn from %q, not %s", got.Source, want.Source)
	case got.SourceSHA256 != want.SourceSHA256:
		return stale("was drawn from another %s than the golden frame there now", want.Source)
	case got.Renderer != want.Renderer:
		return stale("was drawn by %q, not %q", got.Renderer, want.Renderer)
	case got.Title != want.Title:
		return stale("is titled %q, not %q", got.Title, want.Title)
	}
	have, err := Decode(pic)
	if err != nil {
		return stale("cannot be read: %w", err)
	}
	img, err := Render(string(frame), p.Width, p.Height, font)
	if err != nil {
		return fmt.Errorf("%s: %w", p.Frame(), err)
	}
	if n, at := Diff(img, have); n > 0 {
		return stale("has %d pixels other than %s draws (the first at %d,%d)", n, p.Frame(), at.X, at.Y)
	}
	return nil
}

// Markdown is the README's pictures of ps: a caption for each screen at a
// size, then its pictures side by side (one language after the other,
// each at its own size: a narrow page wraps them rather than shrinking
// the font's pixels).
func Markdown(ps []Picture) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 && sameRow(ps[i-1], p) {
			b.WriteString(" ")
		} else {
			if i > 0 {
				b.WriteString("\n\n")
			}
			fmt.Fprintf(&b, "**%s** (%dx%d)\n\n", p.Caption, p.Width, p.Height)
		}
		fmt.Fprintf(&b, "![%s](%s)", p.Title(), p.File())
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

func sameRow(a, b Picture) bool {
	return a.Screen == b.Screen && a.Width == b.Width && a.Height == b.Height && a.Caption == b.Caption
}
