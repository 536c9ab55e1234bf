package verify

import (
	"fmt"
	"testing"
	"time"
)

// parseTimeCases are spellings of instants found in the EU test data and
// trust lists. The expected instants are written in UTC, so an offset that
// was read wrong, or ignored, shows as a different instant.
var parseTimeCases = []struct {
	name string
	in   string
	want time.Time
}{
	{"RFC 3339 Z", "2021-05-03T18:00:00Z", time.Date(2021, 5, 3, 18, 0, 0, 0, time.UTC)},
	{"offset", "2021-04-24T00:00:00+02:00", time.Date(2021, 4, 23, 22, 0, 0, 0, time.UTC)},
	{"negative offset", "2021-04-24T00:00:00-05:30", time.Date(2021, 4, 24, 5, 30, 0, 0, time.UTC)},
	{"no zone is UTC", "2021-05-14T17:46:48", time.Date(2021, 5, 14, 17, 46, 48, 0, time.UTC)},
	{"9 fraction digits", "2021-05-18T16:46:12.971336500Z", time.Date(2021, 5, 18, 16, 46, 12, 971336500, time.UTC)},
	{"3 fraction digits and offset", "2021-05-21T12:33:43.120+02:00", time.Date(2021, 5, 21, 10, 33, 43, 120000000, time.UTC)},
	{"6 fraction digits, no zone", "2021-05-26T17:54:18.376733", time.Date(2021, 5, 26, 17, 54, 18, 376733000, time.UTC)},
	{"offset without colon", "2021-06-09T15:15:34+0200", time.Date(2021, 6, 9, 13, 15, 34, 0, time.UTC)},
	{"offset hours only", "2021-06-09T15:15:34+02", time.Date(2021, 6, 9, 13, 15, 34, 0, time.UTC)},
	{"7 fraction digits", "2021-06-09T18:33:10.0361019+03:00", time.Date(2021, 6, 9, 15, 33, 10, 36101900, time.UTC)},
	{"date only is midnight UTC", "2021-06-08", time.Date(2021, 6, 8, 0, 0, 0, 0, time.UTC)},
	{"space for T", "2021-06-08 12:00:00Z", time.Date(2021, 6, 8, 12, 0, 0, 0, time.UTC)},
	{"lowercase t and z", "2021-06-08t12:00:00z", time.Date(2021, 6, 8, 12, 0, 0, 0, time.UTC)},
	{"minutes with offset", "2021-06-08T12:30+02:00", time.Date(2021, 6, 8, 10, 30, 0, 0, time.UTC)},
	{"minutes, no zone", "2021-06-08T12:30", time.Date(2021, 6, 8, 12, 30, 0, 0, time.UTC)},
	{"surrounding spaces", "  2021-06-08T12:00:00Z\n", time.Date(2021, 6, 8, 12, 0, 0, 0, time.UTC)},
	{"leap day", "2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
}

var parseTimeInvalid = []string{
	"",
	"yesterday",
	"2021-13-01T00:00:00Z",
	"2021-02-30",
	"2023-02-29",
	"12:00",
	"2021-06-08T25:00:00Z",
	"2021-06-08T12:00:00Zjunk",
	"2021-06-08T12:00:00 +02:00",
	"2021/06/08",
	"08.06.2021",
	"2021-06-08X12:00:00Z",
}

func TestParseTime(t *testing.T) {
	for _, tc := range parseTimeCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTime(tc.in)
			if err != nil {
				t.Fatalf("ParseTime(%q): %v", tc.in, err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("ParseTime(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseTimeInvalid(t *testing.T) {
	for _, in := range parseTimeInvalid {
		t.Run(in, func(t *testing.T) {
			got, err := ParseTime(in)
			if err == nil {
				t.Fatalf("ParseTime(%q) = %v, want an error", in, got)
			}
			// A failed parse must not hand back an instant a caller could
			// use by mistake.
			if !got.IsZero() {
				t.Errorf("ParseTime(%q) returned %v with its error, want the zero time", in, got)
			}
		})
	}
}

// FuzzParseTime: ParseTime reads text from files and command lines, so it
// must not panic, and an instant it reads must survive being written as
// RFC 3339 and read again.
func FuzzParseTime(f *testing.F) {
	for _, tc := range parseTimeCases {
		f.Add(tc.in)
	}
	for _, in := range parseTimeInvalid {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseTime(in)
		if err != nil {
			return
		}
		if y := got.UTC().Year(); y < 0 || y > 9999 {
			return // RFC 3339 has four-digit years only
		}
		s := got.UTC().Format(time.RFC3339Nano)
		back, err := ParseTime(s)
		if err != nil {
			t.Fatalf("ParseTime(%q) = %v, but ParseTime(%q): %v", in, got, s, err)
		}
		if !back.Equal(got) {
			t.Fatalf("ParseTime(%q) = %v, but ParseTime(%q) = %v", in, got, s, back)
		}
	})
}

func ExampleParseTime() {
	for _, s := range []string{"2021-06-09T15:15:34+0200", "2021-06-08", "2021-06-08 12:00:00z"} {
		t, err := ParseTime(s)
		fmt.Println(t.UTC().Format(time.RFC3339), err)
	}
	// Output:
	// 2021-06-09T13:15:34Z <nil>
	// 2021-06-08T00:00:00Z <nil>
	// 2021-06-08T12:00:00Z <nil>
}
