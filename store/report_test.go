package store

import (
	"fmt"
	"testing"
	"time"
)

func TestLatestAndDay(t *testing.T) {
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	db := openTemp(t, Options{NoSync: true})
	// 2022-01-01 in Seoul starts at 2021-12-31T15:00Z.
	times := []struct {
		at      string
		verdict string
		method  string
	}{
		{"2021-12-31T14:59:00Z", "pass", "qr"},             // the day before, 23:59 in Seoul
		{"2021-12-31T15:00:00Z", "pass", "qr"},             // 00:00
		{"2022-01-01T03:10:00Z", "fail", "qr"},             // 12:10
		{"2022-01-01T03:20:00Z", "pass", "manual-sticker"}, // 12:20
		{"2022-01-01T03:30:00Z", "manual", "gap"},          // not a visitor
		{"2022-01-01T09:00:00Z", "manual", "qr"},           // 18:00
		{"2022-01-01T15:00:00Z", "pass", "qr"},             // the next day
	}
	for _, c := range times {
		at, _ := time.Parse(time.RFC3339, c.at)
		e := entry(at)
		e.Verdict, e.Method = c.verdict, c.method
		if _, err := db.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	latest, err := db.Latest(3)
	if err != nil || len(latest) != 3 || latest[0].Seq != 7 || latest[2].Seq != 5 {
		t.Fatalf("Latest(3): %v %+v", err, latest)
	}
	if all, _ := db.Latest(100); len(all) != 7 {
		t.Errorf("Latest(100) has %d", len(all))
	}
	d, err := db.DayOf(time.Date(2022, 1, 1, 20, 0, 0, 0, seoul))
	if err != nil {
		t.Fatal(err)
	}
	if d.Total != 4 || d.Hours[0] != 1 || d.Hours[12] != 2 || d.Hours[18] != 1 {
		t.Errorf("day: total %d, hours %v", d.Total, d.Hours)
	}
	if d.Verdicts["pass"] != 2 || d.Verdicts["fail"] != 1 || d.Verdicts["manual"] != 1 || d.Methods["manual-sticker"] != 1 || d.Methods["gap"] != 0 {
		t.Errorf("day: %v %v", d.Verdicts, d.Methods)
	}
	if empty, err := db.DayOf(time.Date(2023, 5, 5, 0, 0, 0, 0, seoul)); err != nil || empty.Total != 0 {
		t.Errorf("a day with nothing: %v %+v", err, empty)
	}
}

// TestDayCountsVisitors: a visitor who waited on an amber screen and was
// then checked by hand is one visitor, counted by how they were settled;
// misreads and the first part of a split card are no visitors. The
// resolution may be read before or after the entry it settles (DayOf reads
// backwards, a replay forwards).
func TestDayCountsVisitors(t *testing.T) {
	start := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return start.Add(12*time.Hour + time.Duration(min)*time.Minute) }
	entries := []Entry{
		{Seq: 1, At: at(0), Verdict: "manual", Method: "qr", Reason: "unknown-signer"},                 // waits on amber
		{Seq: 2, At: at(1), Verdict: "pass", Method: "manual-sticker", Reason: "sticker", Resolves: 1}, // settled by hand
		{Seq: 3, At: at(2), Verdict: "manual", Method: "qr", Reason: "misread"},                        // no visitor
		{Seq: 4, At: at(3), Verdict: "manual", Method: "qr", Reason: "incomplete"},                     // no visitor yet
		{Seq: 5, At: at(4), Verdict: "pass", Method: "qr", Reason: "ok"},
		{Seq: 6, At: at(5), Verdict: "manual", Method: "qr", Reason: "reused"},
		{Seq: 7, At: at(6), Verdict: "manual", Method: "unresolved", Resolves: 6},  // staff moved on
		{Seq: 8, At: at(7), Verdict: "fail", Method: "override", Reason: "denied"}, // a visitor without a phone, turned away
		{Seq: 9, At: at(8), Verdict: "manual", Method: "qr", Reason: "clock-untrusted"},
		{Seq: 10, At: at(9), Verdict: "fail", Method: "override", Reason: "denied", Resolves: 9},
		{Seq: 11, At: at(10), Verdict: "pass", Method: "exemption", Reason: "exempt-minor", Resolves: 99}, // its visitor was yesterday
	}
	want := map[string]int{"total": 5, "pass": 2, "fail": 2, "manual": 1,
		"qr": 1, "manual-sticker": 1, "unresolved": 1, "override": 2, "misreads": 1}
	check := func(t *testing.T, d Day) {
		t.Helper()
		got := map[string]int{"total": d.Total, "misreads": d.Misreads}
		for k, v := range d.Verdicts {
			got[k] += v
		}
		for k, v := range d.Methods {
			got[k] += v
		}
		for k, v := range got {
			if v == 0 {
				delete(got, k)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("day counts %v, want %v", got, want)
		}
		if d.Hours[12] != 5 {
			t.Errorf("hours %v", d.Hours)
		}
	}
	t.Run("forwards", func(t *testing.T) {
		d := Day{Start: start}
		for _, e := range entries {
			d.Count(e)
		}
		check(t, d)
	})
	t.Run("backwards", func(t *testing.T) {
		d := Day{Start: start}
		for i := len(entries) - 1; i >= 0; i-- {
			d.Count(entries[i])
		}
		check(t, d)
	})
	t.Run("from the file", func(t *testing.T) {
		db := openTemp(t, Options{NoSync: true})
		for _, e := range entries {
			if _, err := db.Append(e); err != nil {
				t.Fatal(err)
			}
		}
		d, err := db.DayOf(start.Add(13 * time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		check(t, d)
	})
}
