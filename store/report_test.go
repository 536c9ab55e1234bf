package store

import (
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
