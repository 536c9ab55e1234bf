package certlogic

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func mustJSON(t testing.TB, s string) any {
	t.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

// TestParseDateTime covers every format the specification lists for
// plusTime, the millisecond truncation and the zone forms.
func TestParseDateTime(t *testing.T) {
	utc := func(y, mo, d, h, mi, s, ms int) time.Time {
		return time.Date(y, time.Month(mo), d, h, mi, s, ms*1e6, time.UTC)
	}
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2021", utc(2021, 12, 31, 0, 0, 0, 0)},
		{"2021-02", utc(2021, 2, 28, 0, 0, 0, 0)},
		{"2020-02", utc(2020, 2, 29, 0, 0, 0, 0)},
		{"2021-06-01", utc(2021, 6, 1, 0, 0, 0, 0)},
		{"2021-06-01T12:34:56", utc(2021, 6, 1, 12, 34, 56, 0)},
		{"2021-06-01T12:34:56Z", utc(2021, 6, 1, 12, 34, 56, 0)},
		{"2021-06-01T12:34:56+2", utc(2021, 6, 1, 10, 34, 56, 0)},
		{"2021-06-01T12:34:56+02", utc(2021, 6, 1, 10, 34, 56, 0)},
		{"2021-06-01T12:34:56+230", utc(2021, 6, 1, 10, 4, 56, 0)},
		{"2021-06-01T12:34:56+0230", utc(2021, 6, 1, 10, 4, 56, 0)},
		{"2021-06-01T12:34:56+123", utc(2021, 6, 1, 11, 11, 56, 0)}, // hmm: 1 hour 23 minutes
		{"2021-06-01T12:34:56+2:30", utc(2021, 6, 1, 10, 4, 56, 0)},
		{"2021-06-01T12:34:56-02:30", utc(2021, 6, 1, 15, 4, 56, 0)},
		{"2021-06-01T12:34:56.1", utc(2021, 6, 1, 12, 34, 56, 100)},
		{"2021-06-01T12:34:56.1Z", utc(2021, 6, 1, 12, 34, 56, 100)},
		{"2021-06-01T12:34:56.123456789+09:00", utc(2021, 6, 1, 3, 34, 56, 123)},
		{"2021-06-01T12:34:56.9999+00:00", utc(2021, 6, 1, 12, 34, 56, 999)}, // truncated, not rounded
		{"2021-06-01T00:00:00.5-1", utc(2021, 6, 1, 1, 0, 0, 500)},
	} {
		got, err := ParseDateTime(tc.in)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseDateTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "21", "2021-13", "2021-00", "2021-02-30", "2021-06-01T", "2021-06-01 12:00:00",
		"2021-06-01T24:00:00", "2021-06-01T12:60:00", "2021-06-01T12:00:00.", "2021-06-01T12:00:00+", "2021-06-01T12:00:00+12345",
		"2021-06-01T12:00:00+02:", "2021-06-01T12:00:00+02:3", "2021-06-01T12:00:00z", "yesterday", "2021-06-01T12:00:00+02:60"} {
		if got, err := ParseDateTime(bad); err == nil {
			t.Errorf("ParseDateTime(%q) = %v, want an error", bad, got)
		} else if !errors.Is(err, ErrEvaluation) {
			t.Errorf("ParseDateTime(%q): %v does not wrap ErrEvaluation", bad, err)
		}
	}
}

// TestPlusTimeLeapDays is the specification's leap-day table.
func TestPlusTimeLeapDays(t *testing.T) {
	for _, tc := range []struct {
		unit string
		want string
	}{
		{"day", "2020-03-01T00:00:00.000Z"},
		{"month", "2020-03-29T00:00:00.000Z"},
		{"year", "2021-03-01T00:00:00.000Z"},
	} {
		got, err := Evaluate(mustJSON(t, `{"plusTime": ["2020-02-29", 1, "`+tc.unit+`"]}`), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !Equal(got, tc.want) {
			t.Errorf("2020-02-29 plus 1 %s = %v, want %s", tc.unit, got, tc.want)
		}
	}
}

func TestDateOfBirth(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2004", "2004-12-31"},
		{"2004-02", "2004-02-29"},
		{"2003-02", "2003-02-28"},
		{"2004-04", "2004-04-30"},
		{"2004-01-15", "2004-01-15"},
	} {
		got, err := DateOfBirth(tc.in)
		if err != nil || got.Format(time.DateOnly) != tc.want {
			t.Errorf("DateOfBirth(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "04", "2004-13", "2004-1", "2004-01-32", "2004-01-15T00:00:00Z", "abcd"} {
		if _, err := DateOfBirth(bad); err == nil {
			t.Errorf("DateOfBirth(%q): want an error", bad)
		}
	}
}

// TestEvaluationErrors: a valid expression meeting data of the wrong type
// is an error, never a silent answer.
func TestEvaluationErrors(t *testing.T) {
	for _, tc := range []struct{ expr, data string }{
		{`{"<": [{"var": "x"}, 2]}`, `{"x": "1"}`},
		{`{"<": [{"var": "x"}, 2]}`, `{}`},
		{`{"+": [{"var": "x"}, 2]}`, `{"x": 1.5}`},
		{`{"after": [{"var": "x"}, {"plusTime": ["2021-01-01", 0, "day"]}]}`, `{"x": "2021-01-02"}`},
		{`{"in": ["a", {"var": "x"}]}`, `{"x": "abc"}`},
		{`{"plusTime": [{"var": "x"}, 1, "day"]}`, `{"x": 20210101}`},
		{`{"plusTime": [{"var": "x"}, 1, "day"]}`, `{"x": "2021-02-30"}`},
		{`{"dccDateOfBirth": [{"var": "x"}]}`, `{}`},
		{`{"extractFromUVCI": [{"var": "x"}, 1]}`, `{"x": 7}`},
		{`{"reduce": [{"var": "x"}, 1, 0]}`, `{"x": "abc"}`},
		{`{"if": [{"plusTime": ["2021-01-01", 0, "day"]}, 1, 2]}`, `{}`},
		{`{"!": [{"plusTime": ["2021-01-01", 0, "day"]}]}`, `{}`},
		{`{"and": [true, {"plusTime": ["2021-01-01", 0, "day"]}]}`, `{}`},
	} {
		got, err := Evaluate(mustJSON(t, tc.expr), mustJSON(t, tc.data))
		if !errors.Is(err, ErrEvaluation) {
			t.Errorf("%s on %s = %v, %v; want an evaluation error", tc.expr, tc.data, got, err)
		}
	}
}

// TestLazyEvaluation: if and and evaluate only what they need, so a rule can
// guard an operation that would fail on missing data.
func TestLazyEvaluation(t *testing.T) {
	for _, tc := range []struct{ expr, data, want string }{
		{`{"if": [{"var": "v"}, {"plusTime": [{"var": "v.0.dt"}, 0, "day"]}, "none"]}`, `{}`, `"none"`},
		{`{"and": [{"var": "v"}, {"plusTime": [{"var": "v.0.dt"}, 0, "day"]}]}`, `{}`, `null`},
		{`{"and": [0, {"<": ["a", 1]}]}`, `{}`, `0`},
	} {
		got, err := Evaluate(mustJSON(t, tc.expr), mustJSON(t, tc.data))
		if err != nil || !Equal(got, mustJSON(t, tc.want)) {
			t.Errorf("%s = %v, %v; want %s", tc.expr, got, err, tc.want)
		}
	}
}

// TestDataNumberTypes: data from a scanned pass carries CBOR integers as
// int64 and may carry floats; CertLogic's integers are JavaScript numbers.
func TestDataNumberTypes(t *testing.T) {
	expr := mustJSON(t, `{"and": [{">=": [{"var": "dn"}, {"var": "sd"}]}, {"===": [{"var": "dn"}, 2]}, {"in": [{"var": "dn"}, [1, 2]]}]}`)
	for _, data := range []map[string]any{
		{"dn": int64(2), "sd": int64(2)},
		{"dn": 2.0, "sd": int64(2)},
		{"dn": json.Number("2"), "sd": 2},
	} {
		if got, err := Evaluate(expr, data); err != nil || got != true {
			t.Errorf("data %v: %v, %v; want true", data, got, err)
		}
	}
}

func TestCompileRejectsInvalid(t *testing.T) {
	for _, s := range []string{`null`, `3.5`, `{}`, `{"var": 1}`, `{"if": [true, 1]}`, `{"plusTime": ["2021", "1", "day"]}`,
		`{"plusTime": ["2021", 1, "week"]}`, `{"and": [true]}`, `{"===": [1, 2, 3]}`, `{"<": [1]}`, `{"!": [1, 2]}`,
		`{"or": [true, false]}`, `{"var": "a..b"}`, `{"extractFromUVCI": ["x", "1"]}`, `{"dccDateOfBirth": []}`, `[1, {"x": []}]`} {
		_, err := Compile(mustJSON(t, s))
		var invalid *InvalidError
		if !errors.As(err, &invalid) || len(invalid.Issues) == 0 {
			t.Errorf("Compile(%s) = %v, want an InvalidError", s, err)
		}
		if err != nil && !strings.Contains(err.Error(), "certlogic: invalid expression") {
			t.Errorf("error %q does not say what it is", err)
		}
	}
}

func TestExtractFromUVCI(t *testing.T) {
	for _, tc := range []struct {
		uvci  string
		index int
		want  string
		ok    bool
	}{
		{"URN:UVCI:01:NL:187/37512422923", 0, "01", true},
		{"URN:UVCI:01:NL:187/37512422923", 3, "37512422923", true},
		{"URN:UVCI:01:NL:187/37512422923", 4, "", false},
		{"a::c/#/f", 5, "f", true},
		{"a::c/#/f", 1, "", true},
		{"", 0, "", true},
		{"", 1, "", false},
		{"x", -1, "", false},
	} {
		got, ok := ExtractFromUVCI(tc.uvci, tc.index)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ExtractFromUVCI(%q, %d) = %q, %v; want %q, %v", tc.uvci, tc.index, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzEvaluate: any JSON expression and data either fail validation, or
// evaluate to a value or an evaluation error; nothing panics.
func FuzzEvaluate(f *testing.F) {
	for _, s := range []string{
		`{"plusTime": [{"var": "x"}, 14, "day"]}`,
		`{"and": [{"var": "a"}, {"<": [{"var": "b"}, 3, {"var": "c"}]}]}`,
		`{"reduce": [{"var": "x"}, {"+": [{"var": "accumulator"}, {"var": "current"}]}, 0]}`,
		`{"extractFromUVCI": [{"var": "u"}, 2]}`,
		`{"after": [{"dccDateOfBirth": [{"var": "dob"}]}, {"plusTime": ["2022-01-01T00:00:00Z", -18, "year"]}]}`,
		`{"if": [{"in": [{"var": "x"}, ["a", "b"]]}, 1, {"!": [{"var": "y"}]}]}`,
	} {
		f.Add(s, `{"x": "2021-06-01", "a": 1, "b": 2, "c": 4, "u": "URN:UVCI:01:AT:X#1", "dob": "2004-02", "y": []}`)
	}
	f.Fuzz(func(t *testing.T, exprJSON, dataJSON string) {
		expr, err1 := decodeJSON([]byte(exprJSON))
		data, err2 := decodeJSON([]byte(dataJSON))
		if err1 != nil || err2 != nil {
			return
		}
		e, err := Compile(expr)
		if err != nil {
			return
		}
		if _, err := e.Evaluate(data); err != nil && !errors.Is(err, ErrEvaluation) {
			t.Fatalf("Evaluate: an error that is not an evaluation error: %v", err)
		}
	})
}
