package shots

import (
	"fmt"
	"strings"
	"testing"
)

var nameCases = []struct {
	name string
	want Picture
	err  string
}{
	{"verdict-pass-ko-80x24", Picture{Screen: "verdict-pass", Lang: "ko", Width: 80, Height: 24}, ""},
	{"ready-en-57x17", Picture{Screen: "ready", Lang: "en", Width: 57, Height: 17}, ""},
	{"verdict-manual-signer-ko-120x40", Picture{Screen: "verdict-manual-signer", Lang: "ko", Width: 120, Height: 40}, ""},
	{"ready", Picture{}, "not SCREEN-LANG-WxH"},
	{"ready-80x24", Picture{}, "not SCREEN-LANG-WxH"},
	{"-ko-80x24", Picture{}, "not SCREEN-LANG-WxH"},
	{"ready-ko-80", Picture{}, "not a terminal size"},
	{"ready-ko-0x24", Picture{}, "not a terminal size"},
	{"ready-ko-80x-1", Picture{}, "not a terminal size"},
	{"ready-ko-axb", Picture{}, "not a terminal size"},
}

// TestParseName reads ui's frame names, and refuses others saying why.
func TestParseName(t *testing.T) {
	for _, c := range nameCases {
		got, err := ParseName(c.name)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %+v, %v; want an error saying %q", c.name, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want || got.Name() != c.name {
			t.Errorf("%s: %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
}

// FuzzParseName: a name read is the name written.
func FuzzParseName(f *testing.F) {
	for _, c := range nameCases {
		f.Add(c.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		p, err := ParseName(name)
		if err != nil {
			return
		}
		if again, err := ParseName(p.Name()); err != nil || again != p {
			t.Fatalf("%q read as %+v, written %q, read back %+v, %v", name, p, p.Name(), again, err)
		}
	})
}

// TestPicturesList: the README's pictures are the six states the issue
// asks for, and more, in both languages at 80x24, plus the 7-inch
// screen and the block letters, each a frame ui's tests name, once.
func TestPicturesList(t *testing.T) {
	seen := map[string]bool{}
	at80 := map[string]map[string]bool{}
	for _, p := range Pictures {
		if seen[p.Name()] {
			t.Errorf("%s twice", p.Name())
		}
		seen[p.Name()] = true
		if q, err := ParseName(p.Name()); err != nil || q.Screen != p.Screen || q.Lang != p.Lang {
			t.Errorf("%s reads back as %+v, %v", p.Name(), q, err)
		}
		if p.Width == 80 && p.Height == 24 {
			if at80[p.Screen] == nil {
				at80[p.Screen] = map[string]bool{}
			}
			at80[p.Screen][p.Lang] = true
		}
	}
	for _, s := range []string{"ready", "verdict-pass", "verdict-fail-expired", "verdict-manual-signer", "manual", "stats"} {
		if !at80[s]["ko"] || !at80[s]["en"] {
			t.Errorf("%s is not pictured in both languages at 80x24", s)
		}
	}
	for _, name := range []string{"verdict-manual-signer-ko-57x17", "verdict-pass-ko-120x40"} {
		if !seen[name] {
			t.Errorf("no picture of %s", name)
		}
	}
}

// TestMarkdown: one caption for a screen at a size, its languages side by
// side after it; each picture's title is its alt text.
func TestMarkdown(t *testing.T) {
	ps := []Picture{
		{"verdict-pass", "ko", 80, 24, "PASS"},
		{"verdict-pass", "en", 80, 24, "PASS"},
		{"verdict-pass", "ko", 120, 40, "PASS in block letters"},
	}
	want := "**PASS** (80x24)\n\n" +
		"![munjigi: PASS (Korean, 80x24)](docs/screens/verdict-pass-ko-80x24.png) " +
		"![munjigi: PASS (English, 80x24)](docs/screens/verdict-pass-en-80x24.png)\n\n" +
		"**PASS in block letters** (120x40)\n\n" +
		"![munjigi: PASS in block letters (Korean, 120x40)](docs/screens/verdict-pass-ko-120x40.png)\n"
	if got := Markdown(ps); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := Markdown(nil); got != "" {
		t.Errorf("no pictures: %q", got)
	}
}

// A picture is drawn from ui's golden frame and checked against it.
func ExamplePicture_Check() {
	p, _ := ParseName("verdict-pass-ko-80x24")
	p.Caption = "PASS"
	frame := []byte(strings.Repeat("\x1b[48;5;28m"+strings.Repeat(" ", 80)+"\x1b[0m\n", 24))
	font, _ := ParseFont(strings.NewReader(""))
	pic, _ := p.Draw(frame, font)
	fmt.Println(p.File(), p.Check(pic, frame, font))
	frame[20] = 'x' // the screen changes
	fmt.Println(p.Check(pic, frame, font))
	// Output:
	// docs/screens/verdict-pass-ko-80x24.png <nil>
	// shots: the picture is stale: docs/screens/verdict-pass-ko-80x24.png was drawn from another ui/testdata/ansi/verdict-pass-ko-80x24.ansi than the golden frame there now
}
