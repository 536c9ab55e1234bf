package door

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"munjigi/internal/words"
	"munjigi/store"
)

// TestStatsLanguage: a day's stats in English (the codes, as before) and
// in Korean (their names), the counts in one column whatever the width
// of the names (Hangul is two cells a syllable); a code munjigi does not
// know is written as it is.
func TestStatsLanguage(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "munjigi.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seoul, _ := time.LoadLocation("Asia/Seoul")
	noon := time.Date(2026, 11, 20, 12, 5, 0, 0, seoul)
	for i, e := range []store.Entry{
		{Verdict: "pass", Method: "qr", Reason: "ok"},
		{Verdict: "pass", Method: "manual-sticker"},
		{Verdict: "fail", Method: "qr", Reason: "expired"},
		{Verdict: "manual", Method: "qr", Reason: "misread"},
		{Verdict: "pass", Method: "a-new-method"},
	} {
		e.At, e.ClockTrusted = noon.Add(time.Duration(i)*time.Minute), true
		if _, err := db.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		lang words.Lang
		want []string
	}{
		{words.English, []string{"2026-11-20: 4 visitors\n", "  12:00      4\n", "  fail                 1\n", "  pass                 3\n", "  manual-sticker       1\n", "  qr                   2\n", "  a-new-method         1\n", "  misreads             1\n"}},
		{words.Korean, []string{"2026-11-20: 방문 4명\n", "  12:00      4\n", "  입장 불가            1\n", "  통과                 3\n", "  스티커               1\n", "  QR                   2\n", "  a-new-method         1\n", "  잘못 읽힘            1\n"}},
	} {
		var b bytes.Buffer
		if err := stats(db, seoul, noon, c.lang, &b); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: no %q in:\n%s", c.lang, w, b.String())
			}
		}
	}
}

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
