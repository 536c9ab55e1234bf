package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"munjigi/demo"
)

// TestReports fills a log through the headless door on three pinned clocks
// and reads it back the three ways a person asks: export (csv and jsonl,
// with --since and --until), lookup, and stats.
func TestReports(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "munjigi.db")
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	lunch := time.Date(2026, 11, 20, 12, 5, 0, 0, seoul)
	dinner := time.Date(2026, 11, 20, 18, 30, 0, 0, seoul)
	nextDay := time.Date(2026, 11, 21, 9, 0, 0, 0, seoul)
	const validUVCI = "URN:UVCI:01:KR:MUNJIGI/DEMO/0001#A" // the 'vaccinated, 2 of 2 doses' pass

	type decision struct {
		Seq     uint64 `json:"seq"`
		Verdict string `json:"verdict"`
		Reason  string `json:"reason"`
		Logged  bool   `json:"logged"`
	}
	door := func(at time.Time, labels ...string) []decision {
		t.Helper()
		all, err := demo.Passes(at)
		if err != nil {
			t.Fatal(err)
		}
		var in []string
		for _, l := range labels {
			in = append(in, sample(t, all, l).Payload)
		}
		o := munjigi(t, []byte(strings.Join(in, "\n")+"\n"), "run", "--headless", "--demo", "--db", path, "--at", at.Format(time.RFC3339))
		if o.code != 0 {
			t.Fatalf("run at %s: exit %d: %s", at, o.code, o.stderr)
		}
		var out []decision
		for _, line := range bytes.Split(bytes.TrimSpace(o.stdout), []byte("\n")) {
			var d decision
			if err := json.Unmarshal(line, &d); err != nil || !d.Logged {
				t.Fatalf("run at %s: %q: %v", at, line, err)
			}
			out = append(out, d)
		}
		if len(out) != len(labels) {
			t.Fatalf("run at %s: %d decisions for %d scans", at, len(out), len(labels))
		}
		return out
	}
	first := door(lunch, validLabel, "expired certificate", validLabel, "first dose only")
	if got := first[2].Verdict + "/" + first[2].Reason; got != "manual/reused" {
		t.Errorf("the same pass again at lunch: %s, want manual/reused", got)
	}
	door(dinner, validLabel, "revoked certificate")
	door(nextDay, "negative PCR test")

	type rec struct {
		Seq          uint64    `json:"seq"`
		At           time.Time `json:"at"`
		ClockTrusted bool      `json:"clockTrusted"`
		Verdict      string    `json:"verdict"`
		Method       string    `json:"method"`
		Reason       string    `json:"reason"`
	}
	jsonl := func(args ...string) []rec {
		t.Helper()
		o := munjigi(t, nil, append([]string{"export", "--db", path, "--format", "jsonl"}, args...)...)
		if o.code != 0 {
			t.Fatalf("export %v: exit %d: %s", args, o.code, o.stderr)
		}
		var out []rec
		for _, line := range bytes.Split(bytes.TrimSpace(o.stdout), []byte("\n")) {
			var r rec
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatalf("export line %q: %v", line, err)
			}
			out = append(out, r)
		}
		return out
	}
	all := jsonl()
	if len(all) != 7 {
		t.Fatalf("export has %d entries, want 7: %+v", len(all), all)
	}
	for i, r := range all {
		if r.Seq != uint64(i+1) || !r.ClockTrusted {
			t.Errorf("entry %d: seq %d, clock trusted %v", i, r.Seq, r.ClockTrusted)
		}
	}
	if !all[0].At.Equal(lunch) || !all[6].At.Equal(nextDay) {
		t.Errorf("times: first %s, last %s", all[0].At, all[6].At)
	}
	// --since is inclusive, --until exclusive: dinner alone.
	window := jsonl("--since", dinner.Format(time.RFC3339), "--until", nextDay.Format(time.RFC3339))
	if len(window) != 2 || window[0].Seq != 5 || window[1].Reason != "revoked" {
		t.Errorf("dinner window: %+v", window)
	}
	if r := jsonl("--since", "2026-11-21"); len(r) != 1 || r[0].Seq != 7 {
		t.Errorf("--since a date: %+v", r)
	}

	o := munjigi(t, nil, "export", "--db", path)
	rows, err := csv.NewReader(bytes.NewReader(o.stdout)).ReadAll()
	if err != nil || o.code != 0 {
		t.Fatalf("csv export: exit %d, %v: %s", o.code, err, o.stderr)
	}
	if len(rows) != 8 || rows[0][0] != "seq" || rows[5][0] != "5" || rows[5][3] != "pass" {
		t.Errorf("csv export:\n%s", o.stdout)
	}

	// The tracer's question: was this pass here? Three times: lunch,
	// again at lunch (re-used), dinner.
	l := munjigi(t, nil, "lookup", validUVCI, "--db", path)
	if l.code != 0 || bytes.Count(l.stdout, []byte("\n")) != 3 || !bytes.Contains(l.stdout, []byte("2026-11-20T12:05:00+09:00  seq 3  manual  qr reused")) {
		t.Errorf("lookup: exit %d:\n%s%s", l.code, l.stdout, l.stderr)
	}
	// Flags in any order.
	if l2 := munjigi(t, nil, "lookup", "--db", path, validUVCI); l2.code != 0 || !bytes.Equal(l2.stdout, l.stdout) {
		t.Errorf("lookup --db F ID: exit %d:\n%s%s", l2.code, l2.stdout, l2.stderr)
	}
	if l := munjigi(t, nil, "lookup", "URN:UVCI:01:KR:NEVER/HERE", "--db", path); l.code != exitNotPass || !bytes.Contains(l.stdout, []byte("not seen here")) {
		t.Errorf("lookup of a stranger: exit %d: %s", l.code, l.stdout)
	}

	s := munjigi(t, nil, "stats", "--day", "2026-11-20", "--db", path, "--lang", "en")
	want := []string{"2026-11-20: 6 visitors", "12:00      4", "18:00      2", "pass                 2", "fail                 2", "manual               2", "qr                   6"}
	for _, w := range want {
		if !bytes.Contains(s.stdout, []byte(w)) {
			t.Errorf("stats lacks %q:\n%s%s", w, s.stdout, s.stderr)
		}
	}
	// In the venue's language (the default, Korean), the counts in the
	// same column.
	s = munjigi(t, nil, "stats", "--day", "2026-11-20", "--db", path)
	for _, w := range []string{"2026-11-20: 방문 6명", "12:00      4", "통과                 2", "입장 불가            2", "직원 확인            2", "QR                   6"} {
		if !bytes.Contains(s.stdout, []byte(w)) {
			t.Errorf("stats lacks %q:\n%s%s", w, s.stdout, s.stderr)
		}
	}
	if s := munjigi(t, nil, "stats", "--day", "2026-11-22", "--db", path, "--lang", "en"); !bytes.Contains(s.stdout, []byte("0 visitors")) {
		t.Errorf("stats of an empty day:\n%s", s.stdout)
	}
	if s := munjigi(t, nil, "stats", "--day", "yesterday", "--db", path); s.code != exitUsage {
		t.Errorf("stats --day yesterday: exit %d", s.code)
	}
}

// TestReportsSpeakVenueTime: dates on the command line are the venue's,
// and exported times carry its offset: an 08:00 visit in Seoul (23:00 the
// day before in UTC) is in that day's stats and that day's export (issue
// 14, item 19).
func TestReportsSpeakVenueTime(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "munjigi.db")
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	morning := time.Date(2026, 11, 30, 8, 0, 0, 0, seoul)
	all, err := demo.Passes(morning)
	if err != nil {
		t.Fatal(err)
	}
	o := munjigi(t, []byte(sample(t, all, validLabel).Payload+"\n"), "run", "--headless", "--demo", "--db", path,
		"--at", morning.Format(time.RFC3339), "--venue", "gym")
	if o.code != 0 {
		t.Fatalf("run: exit %d: %s", o.code, o.stderr)
	}
	if !bytes.Contains(o.stdout, []byte(`"at":"2026-11-30T08:00:00+09:00"`)) {
		t.Errorf("the headless line is not in venue time: %s", o.stdout)
	}
	if s := munjigi(t, nil, "stats", "--day", "2026-11-30", "--db", path, "--lang", "en"); !bytes.Contains(s.stdout, []byte("2026-11-30: 1 visitors")) {
		t.Errorf("stats of the day: %s%s", s.stdout, s.stderr)
	}
	e := munjigi(t, nil, "export", "--db", path, "--since", "2026-11-30", "--until", "2026-12-01")
	rows, err := csv.NewReader(bytes.NewReader(e.stdout)).ReadAll()
	if err != nil || e.code != 0 || len(rows) != 2 {
		t.Fatalf("export of the day: exit %d, %v:\n%s%s", e.code, err, e.stdout, e.stderr)
	}
	if rows[1][1] != "2026-11-30T08:00:00+09:00" {
		t.Errorf("the csv's at is %q, want the venue's time", rows[1][1])
	}
	if e := munjigi(t, nil, "export", "--db", path, "--since", "2026-11-29", "--until", "2026-11-30"); bytes.Count(e.stdout, []byte("\n")) != 1 {
		t.Errorf("the day before holds the visit:\n%s", e.stdout)
	}
}
