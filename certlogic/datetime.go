package certlogic

import (
	"strconv"
	"strings"
	"time"
)

// ParseDateTime reads a date or date-time in the forms plusTime allows:
// YYYY and YYYY-MM (as dccDateOfBirth reads them), YYYY-MM-DD (midnight),
// and YYYY-MM-DDThh:mm:ss with optional fraction (any length, truncated to
// milliseconds) and optional zone (Z, or ±h, ±hh, ±hmm, ±hhmm, ±h:mm,
// ±hh:mm; none means Z). The result is in UTC.
func ParseDateTime(s string) (time.Time, error) {
	switch len(s) {
	case 4, 7:
		return DateOfBirth(s)
	case 10:
		return parseDate(s)
	}
	if len(s) < 19 || s[10] != 'T' {
		return time.Time{}, badDate(s)
	}
	d, err := parseDate(s[:10])
	if err != nil {
		return time.Time{}, err
	}
	hh, ok1 := digits(s[11:13])
	mm, ok2 := digits(s[14:16])
	ss, ok3 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || s[13] != ':' || s[16] != ':' || hh > 23 || mm > 59 || ss > 59 {
		return time.Time{}, badDate(s)
	}
	rest := s[19:]
	ms := 0
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 {
			return time.Time{}, badDate(s)
		}
		frac := (rest[1:n] + "00")[:3] // milliseconds: later digits are dropped, not rounded
		ms, _ = strconv.Atoi(frac)
		rest = rest[n:]
	}
	offset, ok := parseOffset(rest)
	if !ok {
		return time.Time{}, badDate(s)
	}
	t := d.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute +
		time.Duration(ss)*time.Second + time.Duration(ms)*time.Millisecond)
	return t.Add(-time.Duration(offset) * time.Second), nil
}

// parseOffset reads a zone: "" or "Z" (UTC), or a sign and then h, hh,
// hmm, hhmm, h:mm or hh:mm. It returns the offset in seconds east of UTC.
func parseOffset(z string) (int, bool) {
	if z == "" || z == "Z" {
		return 0, true
	}
	if z[0] != '+' && z[0] != '-' {
		return 0, false
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	h, m := z[1:], ""
	if before, after, colon := strings.Cut(h, ":"); colon {
		h, m = before, after
		if len(m) != 2 {
			return 0, false
		}
	} else if len(h) > 2 {
		// Three or four digits: the last two are the minutes.
		h, m = h[:len(h)-2], h[len(h)-2:]
	}
	hours, ok := digits(h)
	if !ok || len(h) > 2 {
		return 0, false
	}
	minutes := 0
	if m != "" {
		if minutes, ok = digits(m); !ok || minutes > 59 {
			return 0, false
		}
	}
	return sign * (hours*3600 + minutes*60), true
}

// DateOfBirth is dccDateOfBirth: the last instant-at-midnight consistent
// with a DCC date of birth. YYYY is YYYY-12-31, YYYY-MM the month's last day,
// YYYY-MM-DD itself; all at 00:00:00.000Z.
func DateOfBirth(s string) (time.Time, error) {
	switch len(s) {
	case 4:
		y, ok := digits(s)
		if !ok {
			return time.Time{}, badDate(s)
		}
		return time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC), nil
	case 7:
		y, ok1 := digits(s[:4])
		m, ok2 := digits(s[5:])
		if !ok1 || !ok2 || s[4] != '-' || m < 1 || m > 12 {
			return time.Time{}, badDate(s)
		}
		// Day 0 of the next month is this month's last day.
		return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC), nil
	case 10:
		return parseDate(s)
	}
	return time.Time{}, badDate(s)
}

func parseDate(s string) (time.Time, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, badDate(s)
	}
	y, ok1 := digits(s[:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return time.Time{}, badDate(s)
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func badDate(s string) error {
	return evalErr("not an allowed date or date-time format: %.40q", s)
}
