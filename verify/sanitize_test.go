package verify

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// sanitizeCases are texts a pass may carry, honest and hostile. The hostile
// ones are what an issuer, or anyone who can make a QR code, could put in a
// name to reach the terminal or the log behind the kiosk.
var sanitizeCases = []struct {
	name string
	in   string
	max  int
	want string
}{
	{"plain ASCII", "JOHN DOE", MaxDisplay, "JOHN DOE"},
	{"Hangul", "홍길동", MaxDisplay, "홍길동"},
	{"Latin with diacritics", "Gößinger-Müller", MaxDisplay, "Gößinger-Müller"},
	// Without its ESC the rest of a CSI sequence is inert text.
	{"clear screen", "\x1b[2JBob", MaxDisplay, "[2JBob"},
	// OSC 52 writes the clipboard of the terminal showing the log.
	{"OSC 52", "A\x1b]52;c;ZXZpbA==\x07B", MaxDisplay, "A]52;c;ZXZpbA==B"},
	// U+009B is the one-character CSI of 8-bit terminals.
	{"C1 CSI", "a\u009b31mb", MaxDisplay, "a31mb"},
	// U+0085 (NEL) is a line break, so it folds like one.
	{"C1 NEL", "a\u0085b", MaxDisplay, "a b"},
	{"DEL", "a\x7fb", MaxDisplay, "ab"},
	{"NUL and BEL", "a\x00b\x07c", MaxDisplay, "abc"},
	{"invalid UTF-8", "a\xff\xfeb", MaxDisplay, "a\uFFFD\uFFFDb"},
	{"truncated UTF-8", "a\xea\xb0", MaxDisplay, "a\uFFFD\uFFFD"},
	// A surrogate encoded in UTF-8 is invalid UTF-8: one U+FFFD per byte.
	{"encoded surrogate", "a\xed\xa0\x80b", MaxDisplay, "a\uFFFD\uFFFD\uFFFDb"},
	{"U+FFFD kept", "a\uFFFDb", MaxDisplay, "a\uFFFDb"},
	// Bidi overrides make a log line read differently from its bytes.
	{"RLO", "KIM\u202eGNOH", MaxDisplay, "KIMGNOH"},
	{"bidi isolates", "\u2066x\u2067y\u2068z\u2069", MaxDisplay, "xyz"},
	{"bidi marks", "a\u200eb\u200fc\u061cd", MaxDisplay, "abcd"},
	{"zero width space", "zero\u200bwidth", MaxDisplay, "zerowidth"},
	{"BOM", "\ufeffJOHN", MaxDisplay, "JOHN"},
	{"interlinear annotation", "a\ufff9b\ufffbc", MaxDisplay, "abc"},
	{"private use", "a\ue000b", MaxDisplay, "ab"},
	{"tabs and newlines", "JOHN\t\n  DOE\r\n", MaxDisplay, "JOHN DOE"},
	{"no-break space", "JOHN\u00a0\u00a0DOE", MaxDisplay, "JOHN DOE"},
	{"leading and trailing spaces", "   JOHN   ", MaxDisplay, "JOHN"},
	{"spaces around a dropped control", "JOHN \x1b DOE", MaxDisplay, "JOHN DOE"},
	{"only controls", "\x1b\x07\u202e", MaxDisplay, ""},
	{"empty", "", MaxDisplay, ""},
	// A name long enough to scroll a log away is cut, and says so.
	{"5000 runes", strings.Repeat("가", 5000), MaxDisplay, strings.Repeat("가", MaxDisplay-1) + "…"},
	{"exactly max", "abc", 3, "abc"},
	{"one over max", "abcd", 3, "ab…"},
	// Dropped characters take no room.
	{"controls do not count", "ab\x1b\x1bc", 3, "abc"},
	{"max 1", "ab", 1, "…"},
	{"max 0", "abc", 0, ""},
	{"max 0 empty", "", 0, ""},
}

// checkSanitized asserts what Sanitize promises of any output, whatever the
// input: text a terminal shows as text, on one line, within max runes.
func checkSanitized(t *testing.T, in string, max int, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("Sanitize(%q, %d) = %q: not valid UTF-8", in, max, out)
	}
	for _, r := range out {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Co, unicode.Cs) {
			t.Errorf("Sanitize(%q, %d) = %q holds %U", in, max, out, r)
		}
		if unicode.IsSpace(r) && r != ' ' {
			t.Errorf("Sanitize(%q, %d) = %q holds the space %U, want only U+0020", in, max, out, r)
		}
	}
	if n := utf8.RuneCountInString(out); n > max {
		t.Errorf("Sanitize(%q, %d) = %q has %d runes", in, max, out, n)
	}
	if strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, "  ") {
		t.Errorf("Sanitize(%q, %d) = %q: spaces not trimmed and folded", in, max, out)
	}
}

func TestSanitize(t *testing.T) {
	for _, tc := range sanitizeCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Sanitize(tc.in, tc.max)
			if got != tc.want {
				t.Errorf("Sanitize(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
			checkSanitized(t, tc.in, tc.max, got)
		})
	}
}

// TestSanitizeTrailingSpaceAtLimit: trailing whitespace is trimmed from every
// result, so it should not count against max either. Padding from a fixed-
// width field ("DOE   ") must not cost the last letter and add an ellipsis
// that says something was cut.
func TestSanitizeTrailingSpaceAtLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc ", 3, "abc"},
		{"abc\t\n", 3, "abc"},
		{"JOHN DOE   ", 8, "JOHN DOE"},
	} {
		if got := Sanitize(tc.in, tc.max); got != tc.want {
			t.Errorf("Sanitize(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// FuzzSanitize checks the promises that hold for every input, and that
// Sanitize is idempotent: the log and the screen may each sanitise again.
func FuzzSanitize(f *testing.F) {
	for _, tc := range sanitizeCases {
		f.Add(tc.in, uint8(tc.max))
	}
	f.Fuzz(func(t *testing.T, in string, m uint8) {
		max := int(m)
		out := Sanitize(in, max)
		checkSanitized(t, in, max, out)
		if again := Sanitize(out, max); again != out {
			t.Errorf("Sanitize(Sanitize(%q, %d)) = %q, want %q unchanged", in, max, again, out)
		}
		// Plain letters and digits that fit are a name as it is: nothing
		// may be lost.
		if len(in) <= max && strings.Trim(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == "" {
			if out != in {
				t.Errorf("Sanitize(%q, %d) = %q, want the input unchanged", in, max, out)
			}
		}
	})
}

func ExampleSanitize() {
	// A name that tries to clear the screen and reverse the line.
	fmt.Println(Sanitize("KIM\x1b[2J\u202eGNOH", MaxDisplay))
	fmt.Println(Sanitize(strings.Repeat("가", 10), 5))
	// Output:
	// KIM[2JGNOH
	// 가가가가…
}

var maskNameCases = []struct {
	name                                       string
	surname, forename, surnameStd, forenameStd string
	want                                       string
}{
	{"Korean, three characters", "홍", "길동", "HONG", "GILDONG", "홍*동"},
	{"Korean, two characters", "홍", "길", "HONG", "GIL", "홍*"},
	{"Korean, four characters", "남궁", "민수", "NAMGUNG", "MINSU", "남*수"},
	{"Korean, one character", "홍", "", "HONG", "", "홍"},
	{"Korean with a space", "홍", "길 동", "HONG", "GIL<DONG", "홍*동"},
	{"Japanese", "山田", "太郎", "YAMADA", "TARO", "山*郎"},
	{"Chinese", "王", "小明", "WANG", "XIAOMING", "王*明"},
	{"Latin", "Doe", "John", "DOE", "JOHN", "JOHN D***"},
	// The ICAO spelling wins over the native one, and < separates words.
	{"ICAO separators", "Musterfrau-Gößinger", "Gabriele", "MUSTERFRAU<GOESSINGER", "GABRIELE", "GABRIELE M***"},
	{"ICAO double forename", "Doe", "Mary Ann", "DOE", "MARY<<ANN", "MARY ANN D***"},
	{"only surname", "Doe", "", "DOE", "", "D***"},
	{"only forename", "", "John", "", "JOHN", "JOHN"},
	{"no ICAO spelling", "Doe", "John", "", "", "John D***"},
	// Each part falls back to its native spelling: staff need a forename.
	{"ICAO surname only", "Doe", "John", "DOE", "", "John D***"},
	{"ICAO forename only", "Doe", "John", "", "JOHN", "JOHN D***"},
	{"long Korean name, fixed mask", "김", strings.Repeat("가", 60), "", "", "김*가"},
	{"separators only", "", "", "<<<", "<", ""},
	{"empty", "", "", "", "", ""},
	// Sanitised before masking: the override is gone, the name is Korean.
	{"Korean with bidi override", "홍\u202e", "길동", "", "", "홍*동"},
	{"escape in ICAO forename", "Doe", "John", "DOE", "\x1b[2JJOHN", "[2JJOHN D***"},
	{"escape in native names", "\x1b]52;c;ZXZpbA==\x07Doe", "John\x1b[31m", "", "", "John[31m ]***"},
	{"long forename cut", "Doe", "", "DOE", strings.Repeat("A", 40), strings.Repeat("A", 31) + "…"},
}

func TestMaskName(t *testing.T) {
	for _, tc := range maskNameCases {
		t.Run(tc.name, func(t *testing.T) {
			got := maskName(tc.surname, tc.forename, tc.surnameStd, tc.forenameStd)
			if got != tc.want {
				t.Errorf("maskName(%q, %q, %q, %q) = %q, want %q",
					tc.surname, tc.forename, tc.surnameStd, tc.forenameStd, got, tc.want)
			}
			checkSanitized(t, tc.surname+tc.forename, 32, got)
		})
	}
}

// FuzzMaskName: whatever the pass says its holder is called, the mask is
// safe to show and short.
func FuzzMaskName(f *testing.F) {
	for _, tc := range maskNameCases {
		f.Add(tc.surname, tc.forename, tc.surnameStd, tc.forenameStd)
	}
	f.Fuzz(func(t *testing.T, sn, fn, snStd, fnStd string) {
		got := maskName(sn, fn, snStd, fnStd)
		checkSanitized(t, sn+"|"+fn+"|"+snStd+"|"+fnStd, 32, got)
	})
}

func TestBirthYear(t *testing.T) {
	for _, tc := range []struct {
		dob  string
		want int
	}{
		{"1998-02-26", 1998},
		{"1950", 1950},
		{"1901-08", 1901},
		{"2021-01-01T00:00:00Z", 2021}, // a date-time some issuers write
		{"", 0},
		{"abc", 0},
		{"195", 0},
		{"19x0", 0},
		{"1998/02", 0},
		{"19980226", 0},
		{" 1998", 0},
		{"١٩٩٨", 0}, // Arabic-Indic digits are not a DCC date
	} {
		if got := birthYear(tc.dob); got != tc.want {
			t.Errorf("birthYear(%q) = %d, want %d", tc.dob, got, tc.want)
		}
	}
}
