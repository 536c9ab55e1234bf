package verify

import (
	"fmt"
	"strings"
	"time"
)

// timeLayouts are the spellings of an instant found in pass ecosystems'
// data: RFC 3339, offsets without a colon, no zone at all (read as UTC),
// minutes without seconds, and a bare date (midnight UTC). Fractional
// seconds of any length are accepted after the seconds by time.Parse.
var timeLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	time.DateOnly,
}

// ParseTime reads an instant given by a person or a test file. A space may
// stand for the T, and t and z may be lowercase.
func ParseTime(s string) (time.Time, error) {
	in := strings.TrimSpace(s)
	if len(in) > 10 && (in[10] == ' ' || in[10] == 't') {
		in = in[:10] + "T" + in[11:]
	}
	if strings.HasSuffix(in, "z") {
		in = in[:len(in)-1] + "Z"
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, in); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time like 2021-06-01T12:00:00+02:00", s)
}
