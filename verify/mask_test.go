package verify

import (
	"strings"
	"testing"
)

var maskFullNameCases = []struct{ name, want string }{
	{"홍길동", "홍*동"},
	{"남궁민수", "남*수"},
	{"홍 길동", "홍*동"},
	{"山田太郎", "山*郎"},
	{"王小明", "王*明"},
	{"やまだ", "や*だ"},
	{"John Doe", "John D***"},
	{"Mary Ann Doe", "Mary Ann D***"},
	{"Madonna", "M***"},
	{"Ng", "N***"},
	{"  John   Doe  ", "John D***"},
	{"John\x1b[2J Doe", "John[2J D***"},
	{"Лев Толстой", "Лев Т***"},
	{"", ""},
	{strings.Repeat("가", 100), "가*가"},
}

// TestMaskFullName is issue 14 item 12: the server masked Korean names
// only; single-word and non-Hangul CJK names went out whole.
func TestMaskFullName(t *testing.T) {
	for _, tc := range maskFullNameCases {
		got := MaskFullName(tc.name)
		if got != tc.want {
			t.Errorf("MaskFullName(%q) = %q, want %q", tc.name, got, tc.want)
		}
		checkSanitized(t, tc.name, 32, got)
	}
}

// FuzzMaskFullName: whatever name is asked for, the mask is safe to show,
// short, and never the whole name when the name has more than one letter.
func FuzzMaskFullName(f *testing.F) {
	for _, tc := range maskFullNameCases {
		f.Add(tc.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := MaskFullName(name)
		checkSanitized(t, name, 32, got)
		if clean := Sanitize(name, MaxDisplay); len([]rune(clean)) > 1 && got == clean {
			t.Errorf("MaskFullName(%q) = %q: not masked", name, got)
		}
	})
}
