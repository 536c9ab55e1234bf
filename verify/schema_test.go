package verify

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// The payloads below are built from the Go types the CBOR decoder produces
// for a DCC (map[string]any, []any, string, int64, float64), so
// validateDCC sees them exactly as it would after a scan. Each constructor
// returns fresh maps: a mutation never leaks into another case.

func dccName() map[string]any {
	return map[string]any{"fn": "Musterfrau", "gn": "Erika", "fnt": "MUSTERFRAU", "gnt": "ERIKA"}
}

func dccVaccinationEntry() map[string]any {
	return map[string]any{
		"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215",
		"dn": int64(2), "sd": int64(2), "dt": "2021-05-29", "co": "AT",
		"is": "Ministry of Health, Austria", "ci": "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B",
	}
}

func dccTestEntry() map[string]any {
	return map[string]any{
		"tg": "840539006", "tt": "LP6464-4", "nm": "Roche LightCycler qPCR", "ma": "1232",
		"sc": "2021-05-30T10:12:22Z", "tr": "260415000", "tc": "Testing centre Vienna 1",
		"co": "AT", "is": "Ministry of Health, Austria", "ci": "URN:UVCI:01:AT:71EE2559DE38C6BF7304FB65A1A451EC#3",
	}
}

func dccRecoveryEntry() map[string]any {
	return map[string]any{
		"tg": "840539006", "fr": "2021-02-20", "co": "AT", "is": "Ministry of Health, Austria",
		"df": "2021-04-04", "du": "2021-10-04", "ci": "URN:UVCI:01:AT:858CC18CFCF5965EF82F60E493349AA5#K",
	}
}

// dccPayload is a valid payload of the given version holding one entry of
// group ("v", "t" or "r").
func dccPayload(ver, group string) map[string]any {
	entry := map[string]func() map[string]any{"v": dccVaccinationEntry, "t": dccTestEntry, "r": dccRecoveryEntry}[group]
	return map[string]any{
		"ver": ver,
		"nam": dccName(),
		"dob": "1964-08-12",
		group: []any{entry()},
	}
}

// Mutations, named for what they do to the payload.

func setKey(k string, v any) func(map[string]any) { return func(p map[string]any) { p[k] = v } }
func delKey(k string) func(map[string]any)        { return func(p map[string]any) { delete(p, k) } }

func setName(k string, v any) func(map[string]any) {
	return func(p map[string]any) { p["nam"].(map[string]any)[k] = v }
}

func delName(keys ...string) func(map[string]any) {
	return func(p map[string]any) {
		for _, k := range keys {
			delete(p["nam"].(map[string]any), k)
		}
	}
}

// dccEntry is the payload's first entry, whichever group holds it.
func dccEntry(p map[string]any) map[string]any {
	for _, g := range []string{"v", "t", "r"} {
		if arr, ok := p[g].([]any); ok {
			return arr[0].(map[string]any)
		}
	}
	panic("payload holds no entry")
}

func setField(k string, v any) func(map[string]any) {
	return func(p map[string]any) { dccEntry(p)[k] = v }
}

func delField(k string) func(map[string]any) {
	return func(p map[string]any) { delete(dccEntry(p), k) }
}

// twoEntries makes the group hold two entries, the second changed by mod.
func twoEntries(group string, mod func(map[string]any)) func(map[string]any) {
	return func(p map[string]any) {
		arr := p[group].([]any)
		second := map[string]any{}
		for k, v := range arr[0].(map[string]any) {
			second[k] = v
		}
		if mod != nil {
			mod(second)
		}
		p[group] = append(arr, second)
	}
}

func both(muts ...func(map[string]any)) func(map[string]any) {
	return func(p map[string]any) {
		for _, m := range muts {
			m(p)
		}
	}
}

var (
	hangul30 = strings.Repeat("홍", 30) // 90 bytes: counted in runes, fits 50
	hangul60 = strings.Repeat("홍", 60)
	runes81  = strings.Repeat("가", 81)
	upper81  = strings.Repeat("A", 81)
	runes51  = strings.Repeat("x", 51)
)

var validateDCCCases = []struct {
	name   string
	group  string
	ver    string
	mutate func(map[string]any)
	want   string // a fragment of the error; "" when the payload is valid
}{
	// ver
	{"ver missing", "v", "1.3.0", delKey("ver"), "ver: missing"},
	{"ver a number", "v", "1.3.0", setKey("ver", int64(1)), "ver: is a number, want a string"},
	{"ver 1.3", "v", "1.3", nil, `ver: is not a version like 1.3.0`},
	{"ver with prefix", "v", "v1.3.0", nil, "ver:"},
	{"ver with suffix", "v", "1.3.0-rc1", nil, "ver:"},
	// The schema's pattern leaves its dots unescaped, so this is a valid
	// ver; it names no release, and is judged by the newest rules.
	{"ver without dots", "v", "1x3x0", nil, ""},
	{"ver without dots, newest rules", "v", "1x2x1", twoEntries("v", nil), "v: holds 2 entries"},
	{"future version", "v", "2.0.0", nil, ""},
	{"future version, newest rules: one entry", "v", "2.0.0", twoEntries("v", nil), "v: holds 2 entries"},
	{"future version, newest rules: gnt alone", "v", "2.0.0", delName("fnt"), ""},
	{"future version, newest rules: 80 runes", "v", "2.0.0", setName("fn", hangul60), ""},

	// nam
	{"nam missing", "v", "1.3.0", delKey("nam"), "nam: missing"},
	{"nam a string", "v", "1.3.0", setKey("nam", "Erika Musterfrau"), "nam: is a string, want an object"},
	{"fn a number", "v", "1.3.0", setName("fn", int64(1)), "nam.fn: is a number, want a string"},
	{"fnt lowercase", "v", "1.3.0", setName("fnt", "Doe"), "nam.fnt: may hold only A-Z and <"},
	{"gnt lowercase", "v", "1.3.0", setName("gnt", "ERIKa"), "nam.gnt: may hold only A-Z and <"},
	{"fnt with a space", "v", "1.3.0", setName("fnt", "MUSTER FRAU"), "nam.fnt:"},
	{"fnt with ICAO separators", "v", "1.3.0", setName("fnt", "MUSTERFRAU<GOESSINGER"), ""},
	{"fnt empty", "v", "1.3.0", setName("fnt", ""), ""},
	{"name of 60 runes under 1.2.1", "v", "1.2.1", setName("fn", hangul60), "nam.fn: is longer than 50 characters"},
	{"name of 60 runes under 1.3.0", "v", "1.3.0", setName("fn", hangul60), ""},
	{"name of 30 runes, 90 bytes, under 1.2.1", "v", "1.2.1", setName("gn", hangul30), ""},
	{"name of 81 runes under 1.3.0", "v", "1.3.0", setName("gn", runes81), "nam.gn: is longer than 80 characters"},
	{"gnt of 81 under 1.3.0", "v", "1.3.0", setName("gnt", upper81), "nam.gnt: is longer than 80 characters"},
	{"no fnt under 1.3.0", "v", "1.3.0", delName("fnt"), "nam.fnt: missing"},
	{"no fnt under 1.3.1", "v", "1.3.1", delName("fnt"), "nam.fnt: missing"},
	{"gnt alone under 1.3.2", "v", "1.3.2", delName("fnt"), ""},
	{"fnt alone under 1.3.2", "v", "1.3.2", delName("gnt"), ""},
	{"neither fnt nor gnt under 1.3.2", "v", "1.3.2", delName("fnt", "gnt"), "nam: needs fnt or gnt"},

	// dob: 1.0.x has an unanchored full-date pattern and no format check.
	{"dob missing", "v", "1.3.0", delKey("dob"), "dob: missing"},
	{"dob a number", "v", "1.3.0", setKey("dob", int64(1964)), "dob: is a number, want a string"},
	{"dob full date under 1.0.0", "v", "1.0.0", setKey("dob", "1998-02-26"), ""},
	{"dob year and month under 1.0.0", "v", "1.0.0", setKey("dob", "1998-02"), "dob:"},
	{"dob year under 1.0.0", "v", "1.0.0", setKey("dob", "1998"), "dob:"},
	{"dob empty under 1.0.0", "v", "1.0.0", setKey("dob", ""), "dob:"},
	{"dob inside text under 1.0.0", "v", "1.0.0", setKey("dob", "born 1998-02-26!"), ""},
	{"dob month 13 under 1.0.0", "v", "1.0.0", setKey("dob", "1998-13-45"), ""},
	{"dob year under 1.1.0", "v", "1.1.0", setKey("dob", "1998"), ""},
	{"dob year and month under 1.1.0", "v", "1.1.0", setKey("dob", "1998-02"), ""},
	{"dob full date under 1.1.0", "v", "1.1.0", setKey("dob", "1998-02-26"), ""},
	{"dob empty under 1.1.0", "v", "1.1.0", setKey("dob", ""), "dob:"},
	{"dob inside text under 1.1.0", "v", "1.1.0", setKey("dob", "1998-02-26T00:00"), "dob:"},
	{"dob year under 1.2.1", "v", "1.2.1", setKey("dob", "1998"), ""},
	{"dob empty under 1.3.0", "v", "1.3.0", setKey("dob", ""), ""},
	{"dob 1815 under 1.1.0", "v", "1.1.0", setKey("dob", "1815-08-24"), "dob:"},
	{"dob 1815 under 1.3.0", "v", "1.3.0", setKey("dob", "1815-08-24"), "dob:"},
	{"dob 2100 under 1.3.0", "v", "1.3.0", setKey("dob", "2100-01-01"), "dob:"},
	{"dob with a trailing space under 1.3.0", "v", "1.3.0", setKey("dob", "1998-02-26 "), "dob:"},

	// Exactly one of v, t and r.
	{"v and t", "v", "1.3.0", setKey("t", []any{dccTestEntry()}), "v/t/r: the certificate holds 2"},
	{"v, t and r", "v", "1.3.0", both(setKey("t", []any{dccTestEntry()}), setKey("r", []any{dccRecoveryEntry()})), "holds 3"},
	{"none of v, t, r", "v", "1.3.0", delKey("v"), "v/t/r: the certificate holds 0"},
	{"v and t under 1.2.1", "t", "1.2.1", setKey("v", []any{dccVaccinationEntry()}), "holds 2"},
	{"v an object", "v", "1.3.0", setKey("v", dccVaccinationEntry()), "v: is an object, want an array"},
	{"v null", "v", "1.3.0", setKey("v", nil), "v: is null, want an array"},
	{"v empty", "v", "1.3.0", setKey("v", []any{}), "v: is empty"},
	{"v entry a string", "v", "1.3.0", setKey("v", []any{"vaccinated"}), "v[0]: is a string, want an object"},
	{"two v entries under 1.3.0", "v", "1.3.0", twoEntries("v", nil), "v: holds 2 entries"},
	{"two v entries under 1.2.1", "v", "1.2.1", twoEntries("v", nil), ""},
	{"two v entries under 1.2.1, second invalid", "v", "1.2.1", twoEntries("v", func(e map[string]any) { delete(e, "dn") }), "v[1].dn: missing"},
	{"two t entries under 1.3.0", "t", "1.3.0", twoEntries("t", nil), "t: holds 2 entries"},
	{"two r entries under 1.0.0", "r", "1.0.0", twoEntries("r", nil), ""},

	// Vaccination.
	{"dn 0", "v", "1.3.0", setField("dn", int64(0)), "v[0].dn: is 0, want 1 or more"},
	{"dn 0 under 1.2.1", "v", "1.2.1", setField("dn", int64(0)), "v[0].dn: is 0, want 1 to 9"},
	{"dn negative", "v", "1.3.0", setField("dn", int64(-1)), "v[0].dn: is -1"},
	{"dn 9 under 1.2.1", "v", "1.2.1", setField("dn", int64(9)), ""},
	{"dn 10 under 1.2.1", "v", "1.2.1", setField("dn", int64(10)), "v[0].dn: is 10, want 1 to 9"},
	{"dn 10 under 1.3.0", "v", "1.3.0", setField("dn", int64(10)), ""},
	{"dn as float 2.0", "v", "1.3.0", setField("dn", float64(2)), ""},
	{"dn 1.5", "v", "1.3.0", setField("dn", 1.5), "v[0].dn: is a number, want a whole number"},
	{"dn as float 10.0 under 1.2.1", "v", "1.2.1", setField("dn", float64(10)), "v[0].dn: is 10, want 1 to 9"},
	{"dn as string", "v", "1.3.0", setField("dn", "2"), "v[0].dn: is a string, want a whole number"},
	{"dn missing", "v", "1.3.0", delField("dn"), "v[0].dn: missing"},
	{"sd 10 under 1.2.1", "v", "1.2.1", setField("sd", int64(10)), "v[0].sd: is 10, want 1 to 9"},
	{"sd as uint64", "v", "1.3.0", setField("sd", uint64(3)), ""},
	{"sd missing", "v", "1.3.0", delField("sd"), "v[0].sd: missing"},
	{"dt 2021-02-30", "v", "1.3.0", setField("dt", "2021-02-30"), "v[0].dt:"},
	{"dt as a date-time", "v", "1.3.0", setField("dt", "2021-03-18T22:54:00+02:00"), ""},
	{"dt day first", "v", "1.3.0", setField("dt", "29.05.2021"), "v[0].dt:"},
	{"dt with a trailing space", "v", "1.3.0", setField("dt", "2021-05-29 "), "v[0].dt:"},
	{"dt a number", "v", "1.3.0", setField("dt", int64(20210529)), "v[0].dt: is a number, want a string"},
	{"co lowercase", "v", "1.3.0", setField("co", "kr"), "v[0].co: is not a country code"},
	{"co KR", "v", "1.3.0", setField("co", "KR"), ""},
	{"co empty", "v", "1.3.0", setField("co", ""), "v[0].co:"},
	{"ma missing", "v", "1.3.0", delField("ma"), "v[0].ma: missing"},
	{"tg missing", "v", "1.3.0", delField("tg"), "v[0].tg: missing"},
	{"ci missing", "v", "1.3.0", delField("ci"), "v[0].ci: missing"},
	{"is of 81 runes", "v", "1.3.0", setField("is", runes81), "v[0].is: is longer than 80 characters"},
	{"ci of 51 under 1.2.1", "v", "1.2.1", setField("ci", runes51), "v[0].ci: is longer than 50 characters"},
	{"ci of 51 under 1.3.0", "v", "1.3.0", setField("ci", runes51), ""},
	{"unknown field", "v", "1.3.0", setField("xx", "ignored"), ""},

	// Test.
	{"sc a date", "t", "1.3.0", setField("sc", "2021-05-30"), "t[0].sc:"},
	{"sc without a zone", "t", "1.3.0", setField("sc", "2021-05-30T10:12:22"), "t[0].sc:"},
	{"sc offset without colon", "t", "1.3.0", setField("sc", "2021-05-30T10:12:22+0200"), "t[0].sc:"},
	{"sc lowercase t and z", "t", "1.3.0", setField("sc", "2021-05-30t10:12:22z"), ""},
	{"sc with nanoseconds and offset", "t", "1.3.0", setField("sc", "2021-05-30T10:12:22.123456789+02:00"), ""},
	{"sc missing", "t", "1.3.0", delField("sc"), "t[0].sc: missing"},
	{"tr missing", "t", "1.3.0", delField("tr"), "t[0].tr: missing"},
	{"tc missing under 1.2.1", "t", "1.2.1", delField("tc"), "t[0].tc: missing"},
	{"tc missing under 1.3.0", "t", "1.3.0", delField("tc"), ""},
	{"tc of 51 under 1.2.1", "t", "1.2.1", setField("tc", runes51), "t[0].tc: is longer than 50 characters"},
	{"ma missing from a test", "t", "1.3.0", delField("ma"), ""},
	{"nm of 81 under 1.3.0", "t", "1.3.0", setField("nm", runes81), "t[0].nm: is longer than 80 characters"},
	{"nm of 81 under 1.2.1", "t", "1.2.1", setField("nm", runes81), ""},
	{"dr under 1.0.0", "t", "1.0.0", setField("dr", "2021-05-30T12:00:00Z"), ""},
	{"dr not a date-time under 1.0.0", "t", "1.0.0", setField("dr", "tomorrow"), "t[0].dr:"},
	// dr left the schema in 1.2.0; later payloads may carry it unchecked.
	{"dr not a date-time under 1.3.0", "t", "1.3.0", setField("dr", "tomorrow"), ""},

	// Recovery.
	{"fr month 13", "r", "1.3.0", setField("fr", "2021-13-01"), "r[0].fr:"},
	{"df as a date-time", "r", "1.3.0", setField("df", "2021-04-04T00:00:00Z"), ""},
	{"du missing", "r", "1.3.0", delField("du"), "r[0].du: missing"},
	{"co empty in a recovery", "r", "1.3.0", setField("co", ""), "r[0].co:"},
}

func TestValidateDCC(t *testing.T) {
	for _, tc := range validateDCCCases {
		t.Run(tc.name, func(t *testing.T) {
			p := dccPayload(tc.ver, tc.group)
			if tc.mutate != nil {
				tc.mutate(p)
			}
			err := validateDCC(p)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("validateDCC = %v, want valid", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("validateDCC = nil, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("validateDCC = %q, want it to contain %q", err, tc.want)
			}
			// A schemaError names the field, which the door's detail shows.
			var se *schemaError
			if !errors.As(err, &se) || se.path == "" {
				t.Errorf("validateDCC = %#v, want a *schemaError with a path", err)
			}
		})
	}
}

// TestValidateDCCValid: the base payloads are valid under every release, so
// each case above fails for its mutation alone.
func TestValidateDCCValid(t *testing.T) {
	for _, ver := range []string{"1.0.0", "1.0.1", "1.1.0", "1.2.0", "1.2.1", "1.3.0", "1.3.1", "1.3.2", "2.0.0"} {
		for _, group := range []string{"v", "t", "r"} {
			if err := validateDCC(dccPayload(ver, group)); err != nil {
				t.Errorf("validateDCC(%s %s) = %v, want valid", ver, group, err)
			}
		}
	}
}

func TestRulesFor(t *testing.T) {
	upTo121 := func(dob dobRule, dr bool) schemaRules {
		return schemaRules{maxLen: 50, maxDose: 9, tcRequired: true, drAllowed: dr, dob: dob}
	}
	from130 := func(fntOrGnt bool) schemaRules {
		return schemaRules{maxLen: 80, nmMaxLen: 80, oneEntry: true, fntOrGnt: fntOrGnt, dob: dobPartialOrEmpty}
	}
	for _, tc := range []struct {
		major, minor, patch int
		want                schemaRules
	}{
		{1, 0, 0, upTo121(dobFullDateWithin, true)},
		{1, 0, 5, upTo121(dobFullDateWithin, true)},
		{1, 1, 0, upTo121(dobPartialDate, true)},
		{1, 2, 0, upTo121(dobPartialDate, false)},
		{1, 2, 1, upTo121(dobPartialDate, false)},
		{1, 3, 0, from130(false)},
		{1, 3, 1, from130(false)},
		{1, 3, 2, from130(true)},
		{1, 4, 0, from130(true)},
		{2, 0, 0, from130(true)},
		{1 << 20, 0, 0, from130(true)}, // what an unreadable ver is judged by
	} {
		if got := rulesFor(tc.major, tc.minor, tc.patch); got != tc.want {
			t.Errorf("rulesFor(%d, %d, %d) = %+v, want %+v", tc.major, tc.minor, tc.patch, got, tc.want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in                  string
		major, minor, patch int
		ok                  bool
	}{
		{"1.3.0", 1, 3, 0, true},
		{"1.0.1", 1, 0, 1, true},
		{"10.20.30", 10, 20, 30, true},
		{"01.02.03", 1, 2, 3, true},
		{"999999.0.0", 999999, 0, 0, true},
		{"1234567.0.0", 0, 0, 0, false}, // too long to be a release
		{"1.3", 0, 0, 0, false},
		{"1.3.0.0", 0, 0, 0, false},
		{"1..0", 0, 0, 0, false},
		{"1.3.", 0, 0, 0, false},
		{"1x3x0", 0, 0, 0, false},
		{"1.x.0", 0, 0, 0, false},
		{"1.3.-1", 0, 0, 0, false},
		{"+1.3.0", 0, 0, 0, false},
		{" 1.3.0", 0, 0, 0, false},
		{"１.3.0", 0, 0, 0, false}, // a fullwidth digit
		{"", 0, 0, 0, false},
	} {
		major, minor, patch, ok := parseVersion(tc.in)
		if major != tc.major || minor != tc.minor || patch != tc.patch || ok != tc.ok {
			t.Errorf("parseVersion(%q) = %d, %d, %d, %v; want %d, %d, %d, %v",
				tc.in, major, minor, patch, ok, tc.major, tc.minor, tc.patch, tc.ok)
		}
	}
}

// The schema's patterns, verbatim, as the oracle for the hand-written
// matchers in schema.go. JSON Schema patterns are unanchored unless they say
// otherwise, as Go's regexp is.
var schemaPatterns = []struct {
	name    string
	pattern *regexp.Regexp
	match   func(string) bool
}{
	{"ver", regexp.MustCompile(`^\d+.\d+.\d+$`), isVersionLike},
	{"dob 1.0.0", regexp.MustCompile(`(19|20)\d{2}-\d{2}-\d{2}`), dobFullDateWithin.match},
	{"dob 1.1.0", regexp.MustCompile(`^(19|20)\d\d(-\d\d){0,2}$`), dobPartialDate.match},
	{"dob 1.3.0", regexp.MustCompile(`^((19|20)\d\d(-\d\d){0,2}){0,1}$`), dobPartialOrEmpty.match},
	{"fnt/gnt", regexp.MustCompile(`^[A-Z<]*$`), isStdName},
	{"country", regexp.MustCompile(`[A-Z]{1,10}`), hasCapital},
}

var patternSamples = []string{
	"", "1", "1.3.0", "1.3", "1.3.0.1", "10.20.30", "12345", "1x2y3", "1.2.3\n", "1\n2.3", "1€2€3", "a.b.c", " 1.2.3",
	"1998", "1998-02", "1998-02-26", "1815-08-24", "2099-12-31", "1998-2-26", "19980226", "1998-02-26x",
	"born 1998-02-26!", "1998-13-45", "2000-00", "20", "199", "1998-", "1998--2", "19\xff8",
	"MUSTERFRAU<GOESSINGER", "Doe", "DOE JOHN", "<<", "É", "AT", "at", "xKRx", "12", "kR",
}

func TestSchemaPatternMatchers(t *testing.T) {
	for _, p := range schemaPatterns {
		for _, s := range patternSamples {
			if got, want := p.match(s), p.pattern.MatchString(s); got != want {
				t.Errorf("%s: match(%q) = %v, the schema's pattern says %v", p.name, s, got, want)
			}
		}
	}
}

func FuzzSchemaPatternMatchers(f *testing.F) {
	for _, s := range patternSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range schemaPatterns {
			if len(s) > 64 && p.name == "ver" {
				continue // isVersionLike refuses over 64 bytes: no version is that long, and trying every split of one costs
			}
			if got, want := p.match(s), p.pattern.MatchString(s); got != want {
				t.Fatalf("%s: match(%q) = %v, the schema's pattern says %v", p.name, s, got, want)
			}
		}
	})
}
