package door

import "testing"

// TestCSVCell: a field a spreadsheet would read as a formula is kept as
// text (issue 14, item 15).
func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "",
		"ok":                         "ok",
		"manual-sticker":             "manual-sticker",
		`=HYPERLINK("http://x","y")`: `'=HYPERLINK("http://x","y")`,
		"+1":                         "'+1",
		"-1+1":                       "'-1+1",
		"@SUM(A1)":                   "'@SUM(A1)",
		"\tx":                        "'\tx",
		"\rx":                        "'\rx",
	} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}
