package ui

import (
	"strings"
	"unicode/utf8"
)

// Block letters: the verdict word drawn big, to be read from a metre away
// on a large terminal. The glyphs are pixel grids drawn for munjigi (a
// 5x7 capital for each Latin letter the verdict words use, a 12x13 grid
// for each Hangul syllable), '#' for ink. A pixel is drawn k columns wide
// and k half-rows tall with the half blocks ▀ ▄ █: a terminal cell is
// about twice as tall as it is wide, so the pixels come out square at
// every scale.
//
// Only the words the screen shows big have glyphs; a word with a letter
// missing is shown as plain text (bigText says so), never half drawn.

// glyphsLatin are 5 pixels wide and 7 tall.
var glyphsLatin = map[rune][]string{
	'A': {".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"},
	'B': {"####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."},
	'C': {".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."},
	'D': {"####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."},
	'E': {"#####", "#....", "#....", "####.", "#....", "#....", "#####"},
	'G': {".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"},
	'H': {"#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"},
	'I': {".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."},
	'K': {"#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"},
	'L': {"#....", "#....", "#....", "#....", "#....", "#....", "#####"},
	'N': {"#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"},
	'O': {".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."},
	'P': {"####.", "#...#", "#...#", "####.", "#....", "#....", "#...."},
	'R': {"####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"},
	'S': {".####", "#....", "#....", ".###.", "....#", "....#", "####."},
	'T': {"#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."},
	'Y': {"#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."},
}

// glyphsHangul are 12 pixels wide and 13 tall: the syllables of 통과,
// 입장 불가, 직원 확인 and 다시 스캔.
var glyphsHangul = map[rune][]string{
	'통': {
		"..##########",
		"..#.........",
		"..#.........",
		"..##########",
		"..#.........",
		"..##########",
		".....##.....",
		"############",
		"............",
		"....####....",
		"...#....#...",
		"...#....#...",
		"....####....",
	},
	'과': {
		"..........#.",
		".######...#.",
		"......#...#.",
		"......#...#.",
		"......#...#.",
		"..........##",
		"....#.....#.",
		"....#.....#.",
		"#########.#.",
		"..........#.",
		"..........#.",
		"..........#.",
		"..........#.",
	},
	'입': {
		"..####....#.",
		".#....#...#.",
		".#....#...#.",
		".#....#...#.",
		"..####....#.",
		"..........#.",
		"............",
		"..#......#..",
		"..#......#..",
		"..########..",
		"..#......#..",
		"..#......#..",
		"..########..",
	},
	'장': {
		".........#..",
		".#######.#..",
		"....#....#..",
		"...#.#...###",
		"..#...#..#..",
		".#.....#.#..",
		".........#..",
		"....####....",
		"...#....#...",
		"...#....#...",
		"...#....#...",
		"....####....",
		"............",
	},
	'불': {
		"..#......#..",
		"..#......#..",
		"..########..",
		"..#......#..",
		"..########..",
		"............",
		"############",
		".....##.....",
		"..########..",
		".........#..",
		"..########..",
		"..#.........",
		"..########..",
	},
	'가': {
		".........#..",
		".######..#..",
		"......#..#..",
		"......#..#..",
		"......#..#..",
		".....#...###",
		".....#...#..",
		"....#....#..",
		"...#.....#..",
		"..#......#..",
		".#.......#..",
		".........#..",
		".........#..",
	},
	'직': {
		".........#..",
		".#######.#..",
		"....#....#..",
		"...#.#...#..",
		"..#...#..#..",
		".#.....#.#..",
		".........#..",
		"............",
		"..########..",
		".........#..",
		".........#..",
		".........#..",
		".........#..",
	},
	'원': {
		"...####...#.",
		"..#....#..#.",
		"..#....#..#.",
		"...####...#.",
		"..........#.",
		"#########.#.",
		"....#..####.",
		"....#.....#.",
		"..........#.",
		"..#.........",
		"..#.........",
		"..#.........",
		"..#########.",
	},
	'확': {
		"....##....#.",
		".########.#.",
		"..........#.",
		"...####...#.",
		"..#....#..##",
		"...####...#.",
		"....#.....#.",
		"#########.#.",
		"............",
		"..########..",
		".........#..",
		".........#..",
		".........#..",
	},
	'인': {
		"..####....#.",
		".#....#...#.",
		".#....#...#.",
		".#....#...#.",
		"..####....#.",
		"..........#.",
		"..........#.",
		"..........#.",
		"..#.........",
		"..#.........",
		"..#.........",
		"..#.........",
		"..#########.",
	},
	'다': {
		".........#..",
		".######..#..",
		".#.......#..",
		".#.......#..",
		".#.......#..",
		".#.......###",
		".#.......#..",
		".#.......#..",
		".#######.#..",
		".........#..",
		".........#..",
		".........#..",
		".........#..",
	},
	'시': {
		".........#..",
		"....#....#..",
		"....#....#..",
		"....#....#..",
		"...#.#...#..",
		"...#.#...#..",
		"..#...#..#..",
		"..#...#..#..",
		".#.....#.#..",
		"#.......##..",
		".........#..",
		".........#..",
		".........#..",
	},
	'스': {
		"............",
		".....##.....",
		".....##.....",
		"....#..#....",
		"....#..#....",
		"...#....#...",
		"..#......#..",
		".#........#.",
		"............",
		"............",
		"############",
		"............",
		"............",
	},
	'캔': {
		"........#.#.",
		".######.#.#.",
		"......#.#.#.",
		"......#.###.",
		".######.#.#.",
		"......#.#.#.",
		"......#.#.#.",
		"........#.#.",
		"............",
		"..#.........",
		"..#.........",
		"..#.........",
		"..#########.",
	}}

// font is one script's glyphs, with the spacing that suits them.
type font struct {
	glyphs     map[rune][]string
	height     int
	gap, space int // pixels between letters; the width of a space
	minScale   int // thinner than this does not read as letters
}

var (
	fontLatin  = font{glyphs: glyphsLatin, height: 7, gap: 1, space: 3, minScale: 2}
	fontHangul = font{glyphs: glyphsHangul, height: 13, gap: 1, space: 5, minScale: 1}
)

// fontFor is the font that draws every letter of s, if one does.
func fontFor(s string) (font, bool) {
	for _, f := range []font{fontLatin, fontHangul} {
		ok := s != ""
		for _, r := range s {
			if _, has := f.glyphs[r]; !has && r != ' ' {
				ok = false
				break
			}
		}
		if ok {
			return f, true
		}
	}
	return font{}, false
}

// bitmap lays s out in f: rows of pixels.
func (f font) bitmap(s string) []string {
	rows := make([]strings.Builder, f.height)
	first := true
	for _, r := range s {
		if r == ' ' {
			for i := range rows {
				rows[i].WriteString(strings.Repeat(".", f.space))
			}
			first = true
			continue
		}
		g := f.glyphs[r]
		for i := range rows {
			if !first {
				rows[i].WriteString(strings.Repeat(".", f.gap))
			}
			rows[i].WriteString(g[i])
		}
		first = false
	}
	out := make([]string, len(rows))
	for i := range rows {
		out[i] = rows[i].String()
	}
	return out
}

// draw renders a bitmap at scale k: each pixel k columns by k half-rows.
func draw(bm []string, k int) []string {
	if len(bm) == 0 {
		return nil
	}
	// Scale to half-rows, then pair them into cells.
	var half []string
	for _, row := range bm {
		var b strings.Builder
		for _, c := range row {
			b.WriteString(strings.Repeat(string(c), k))
		}
		for range k {
			half = append(half, b.String())
		}
	}
	if len(half)%2 == 1 {
		half = append(half, strings.Repeat(".", len(half[0])))
	}
	var out []string
	for i := 0; i < len(half); i += 2 {
		var b strings.Builder
		for c := range len(half[i]) {
			top, bottom := half[i][c] == '#', half[i+1][c] == '#'
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
		out = append(out, b.String())
	}
	return out
}

// bigText draws word as large as fits in w columns by h rows: on one line,
// or on two split at a space, at the largest scale its font reads at. It
// reports false when the word has a letter without a glyph or does not
// fit at all: the caller shows it as plain text.
func bigText(word string, w, h int) ([]string, bool) {
	f, ok := fontFor(word)
	if !ok {
		return nil, false
	}
	var splits [][]string
	splits = append(splits, []string{word})
	if strings.Contains(strings.TrimSpace(word), " ") {
		// Two lines, split at the space nearest the middle (the first, on
		// a tie: CHECK / BY HAND).
		n := utf8.RuneCountInString(word)
		best := -1
		for j := range word {
			if word[j] != ' ' || j == 0 {
				continue
			}
			if best < 0 || abs(utf8.RuneCountInString(word[:j])*2-n) < abs(utf8.RuneCountInString(word[:best])*2-n) {
				best = j
			}
		}
		splits = append(splits, []string{word[:best], word[best+1:]})
	}
	for k := 4; k >= f.minScale; k-- {
		for _, lines := range splits {
			// The size is known before drawing: pixels times the scale.
			rows, fits := len(lines)-1, true
			var bms [][]string
			for _, l := range lines {
				bm := f.bitmap(l)
				rows += (len(bm)*k + 1) / 2
				fits = fits && len(bm[0])*k <= w
				bms = append(bms, bm)
			}
			if !fits || rows > h {
				continue
			}
			var out []string
			for i, bm := range bms {
				if i > 0 {
					out = append(out, "")
				}
				out = append(out, draw(bm, k)...)
			}
			return out, true
		}
	}
	return nil, false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
