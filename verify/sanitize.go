package verify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxDisplay is the most runes of pass text shown in one field.
const MaxDisplay = 64

// Sanitize makes text from a pass safe to put on a terminal or in a log
// line: invalid UTF-8 becomes U+FFFD, control characters (C0, DEL, C1, and
// with them every escape sequence's introducer), bidirectional overrides and
// other invisible format characters are dropped, runs of white space fold
// into one space, leading and trailing space go, and the result is cut to
// max runes, the last of them an ellipsis when something was cut. A name
// never carries a control character, so nothing a person needs is lost.
func Sanitize(s string, max int) string {
	if max <= 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(min(len(s), 4*max))
	n := 0         // runes written
	space := false // a space is owed before the next rune
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			r = '\uFFFD'
		case unicode.IsSpace(r):
			space = n > 0
			continue
		case unicode.IsControl(r), unicode.In(r, unicode.Cf, unicode.Co, unicode.Cs):
			// Cf holds the bidi controls (U+202A-U+202E, U+2066-U+2069,
			// U+200E/F, U+061C) and the zero-width characters.
			continue
		}
		need := 1
		if space {
			need = 2
		}
		if n+need > max {
			out := b.String()
			if n == max {
				_, last := utf8.DecodeLastRuneInString(out)
				out = out[:len(out)-last]
			}
			return out + "…"
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		n += need
	}
	return b.String()
}

// maskName turns a holder's name into what the door may show: enough for
// staff to match it against an ID card, not enough to read it aloud. Korean,
// Chinese and Japanese names (family name first, no spaces) keep their first
// and last character around one star: 홍길동 → 홍*동, 남궁민수 → 남*수,
// 홍길 → 홍*. Other names keep the forename and the surname's initial:
// JOHN D***. Star counts are fixed, so the mask does not tell the length of
// what it hides.
func maskName(surname, forename, surnameStd, forenameStd string) string {
	const maxMasked = 32
	surname = Sanitize(surname, MaxDisplay)
	forename = Sanitize(forename, MaxDisplay)
	if full := strings.ReplaceAll(surname+forename, " ", ""); full != "" && isCJK(full) {
		return maskCJK(full)
	}
	// The ICAO transliteration is plain A-Z, what a passport's machine zone
	// shows and any console can draw; each part falls back to the native
	// spelling when the pass has no transliteration of it.
	fn, sn := std(forenameStd), std(surnameStd)
	if fn == "" {
		fn = forename
	}
	if sn == "" {
		sn = surname
	}
	var out string
	switch {
	case fn != "" && sn != "":
		r, _ := utf8.DecodeRuneInString(sn)
		out = fn + " " + string(r) + "***"
	case fn != "":
		out = fn
	case sn != "":
		r, _ := utf8.DecodeRuneInString(sn)
		out = string(r) + "***"
	}
	return Sanitize(out, maxMasked)
}

// maskCJK masks a Korean, Chinese or Japanese name (family name first, no
// spaces): its first and last character around one star.
func maskCJK(full string) string {
	r := []rune(full)
	switch len(r) {
	case 0, 1:
		return full
	case 2:
		return string(r[0]) + "*"
	default:
		return string(r[0]) + "*" + string(r[len(r)-1])
	}
}

// std turns an ICAO 9303 transliteration into display text: < separates
// words, and Sanitize folds the runs of spaces that leaves.
func std(s string) string {
	return Sanitize(strings.ReplaceAll(s, "<", " "), MaxDisplay)
}

// isCJK reports whether s is written in Hangul, Han or Kana.
func isCJK(s string) bool {
	for _, r := range s {
		if !unicode.In(r, unicode.Hangul, unicode.Han, unicode.Hiragana, unicode.Katakana) {
			return false
		}
	}
	return true
}

// birthYear reads the year from a DCC date of birth (YYYY, YYYY-MM or
// YYYY-MM-DD); 0 when there is none.
func birthYear(dob string) int {
	if len(dob) < 4 {
		return 0
	}
	y := 0
	for i := 0; i < 4; i++ {
		if !isDigit(dob[i]) {
			return 0
		}
		y = y*10 + int(dob[i]-'0')
	}
	if len(dob) > 4 && dob[4] != '-' {
		return 0
	}
	return y
}
