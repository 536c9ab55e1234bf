package verify

import (
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// The schema's patterns are matched by hand: a regexp per field cost more
// than the rest of the validation together. schema_test.go checks each
// matcher against the schema's pattern, compiled, on tables and by fuzzing.
//
//	ver      ^\d+.\d+.\d+$
//	dob      1.0.x (19|20)\d{2}-\d{2}-\d{2} (unanchored)
//	         1.1.0 ^(19|20)\d\d(-\d\d){0,2}$
//	         1.3.0 ^((19|20)\d\d(-\d\d){0,2}){0,1}$
//	fnt, gnt ^[A-Z<]*$
//	co       [A-Z]{1,10} (unanchored: one capital letter anywhere)

// dobRule is the date-of-birth pattern of a release.
type dobRule uint8

const (
	dobFullDateWithin dobRule = iota // 1.0.x
	dobPartialDate                   // 1.1.0: 1979, 1979-04 or 1979-04-14
	dobPartialOrEmpty                // 1.3.0: the same, or "" for unknown
)

func (r dobRule) match(s string) bool {
	switch r {
	case dobFullDateWithin:
		for i := 0; i+10 <= len(s); i++ {
			if isPartialDate(s[i : i+10]) {
				return true
			}
		}
		return false
	case dobPartialOrEmpty:
		if s == "" {
			return true
		}
	}
	return isPartialDate(s)
}

// isPartialDate matches ^(19|20)\d\d(-\d\d){0,2}$.
func isPartialDate(s string) bool {
	if len(s) != 4 && len(s) != 7 && len(s) != 10 || s[:2] != "19" && s[:2] != "20" {
		return false
	}
	for i := 2; i < len(s); i++ {
		if (i == 4 || i == 7) != (s[i] == '-') || s[i] != '-' && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isStdName matches ^[A-Z<]*$.
func isStdName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '<' && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// hasCapital matches [A-Z]{1,10}, unanchored.
func hasCapital(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// isVersionLike matches ^\d+.\d+.\d+$, where each . is any character but a
// newline: three runs of ASCII digits with one character between each.
func isVersionLike(s string) bool {
	if _, _, _, ok := parseVersion(s); ok {
		return true // the usual case: real dots
	}
	if len(s) > 64 {
		return false
	}
	// Digits may stand for the dots too ("12345" matches): try every pair
	// of places for the two separators.
	r := []rune(s)
	fits := func(a, b int) bool {
		for i, c := range r {
			if i == a || i == b {
				if c == '\n' {
					return false
				}
			} else if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	for a := 1; a < len(r); a++ {
		for b := a + 2; b < len(r)-1; b++ {
			if fits(a, b) {
				return true
			}
		}
	}
	return false
}

// schemaRules are the constraints that changed between releases.
type schemaRules struct {
	maxLen     int  // names, issuer, certificate id, testing centre
	nmMaxLen   int  // test name; 0 = unbounded
	maxDose    int  // 0 = unbounded
	oneEntry   bool // v, t and r hold at most one item (1.3.0)
	tcRequired bool // the testing centre (until 1.3.0)
	drAllowed  bool // the test entry's result date (until 1.2.0)
	fntOrGnt   bool // a name needs fnt or gnt (1.3.2), not fnt alone
	dob        dobRule
}

func rulesFor(major, minor, patch int) schemaRules {
	v := major*1_000_000 + minor*1_000 + patch
	r := schemaRules{maxLen: 80, nmMaxLen: 80, oneEntry: true, dob: dobPartialOrEmpty}
	if v < 1_003_000 {
		r = schemaRules{maxLen: 50, maxDose: 9, tcRequired: true, dob: dobPartialDate}
	}
	if v < 1_001_000 {
		r.dob = dobFullDateWithin
	}
	r.drAllowed = v < 1_002_000
	r.fntOrGnt = v >= 1_003_002
	return r
}

// Facts are what a pass says, in the terms of the EU DCC: the venue rules
// read them the same way whatever the pass's format. For a DCC they are the
// DCC itself; for a SMART Health Card, its FHIR facts put in DCC fields.
type Facts struct {
	Version string
	Type    Type
	// Surname, Forename and their ICAO 9303 transliterations, as issued:
	// personal data, unsanitised. Show them only through Holder.
	Surname, Forename, SurnameStd, ForenameStd string
	DateOfBirth                                string
	// Entry is the single v, t or r entry; Payload the whole DCC as JSON
	// data (maps, strings, int64, float64), what CertLogic rules read.
	Entry   map[string]any
	Payload map[string]any
}

// UVCI is the entry's unique certificate identifier.
func (d *Facts) UVCI() string {
	s, _ := d.Entry["ci"].(string)
	return s
}

// schemaError is a schema violation, worded for a person: the field and
// the rule it breaks, never the value (it may be a name or a birth date).
type schemaError struct{ path, msg string }

func (e *schemaError) Error() string { return e.path + ": " + e.msg }

func schemaErr(path, format string, args ...any) error {
	return &schemaError{path, fmt.Sprintf(format, args...)}
}

// readDCC extracts what the door needs from a decoded payload. It fails only
// when the payload is not shaped like a DCC at all; validateDCC judges the
// details.
func readDCC(p map[string]any) *Facts {
	d := &Facts{Payload: p}
	d.Version, _ = p["ver"].(string)
	d.DateOfBirth, _ = p["dob"].(string)
	if nam, ok := p["nam"].(map[string]any); ok {
		d.Surname, _ = nam["fn"].(string)
		d.Forename, _ = nam["gn"].(string)
		d.SurnameStd, _ = nam["fnt"].(string)
		d.ForenameStd, _ = nam["gnt"].(string)
	}
	for _, t := range []Type{Vaccination, Test, Recovery} {
		if arr, ok := p[string(t)].([]any); ok && len(arr) > 0 {
			if e, ok := arr[0].(map[string]any); ok && d.Type == "" {
				d.Type, d.Entry = t, e
			}
		}
	}
	return d
}

// validateDCC checks a payload against the DCC schema of its version, plus
// the rule every release states in prose and 1.3.0 in the schema: exactly
// one of v, t and r.
func validateDCC(p map[string]any) error {
	ver, ok := p["ver"]
	if !ok {
		return schemaErr("ver", "missing")
	}
	vs, ok := ver.(string)
	if !ok {
		return schemaErr("ver", "is %s, want a string", kind(ver))
	}
	if !isVersionLike(vs) {
		return schemaErr("ver", "is not a version like 1.3.0")
	}
	// A version the pattern allows but that has no real dots is judged by
	// the newest rules.
	major, minor, patch, ok := parseVersion(vs)
	if !ok {
		major, minor, patch = 1<<20, 0, 0
	}
	r := rulesFor(major, minor, patch)

	nam, ok := p["nam"]
	if !ok {
		return schemaErr("nam", "missing")
	}
	if err := validateName(nam, r); err != nil {
		return err
	}
	dob, ok := p["dob"]
	if !ok {
		return schemaErr("dob", "missing")
	}
	if err := validateDOB(dob, r); err != nil {
		return err
	}

	groups := 0
	for _, g := range []struct {
		key   string
		check func(map[string]any, schemaRules, string) error
	}{{"v", validateVaccination}, {"t", validateTest}, {"r", validateRecovery}} {
		raw, ok := p[g.key]
		if !ok {
			continue
		}
		groups++
		arr, ok := raw.([]any)
		if !ok {
			return schemaErr(g.key, "is %s, want an array", kind(raw))
		}
		if len(arr) == 0 {
			return schemaErr(g.key, "is empty")
		}
		if r.oneEntry && len(arr) > 1 {
			return schemaErr(g.key, "holds %d entries; a certificate holds one", len(arr))
		}
		for i, item := range arr {
			path := g.key + "[0]" // the one entry: built without formatting
			if i > 0 {
				path = fmt.Sprintf("%s[%d]", g.key, i)
			}
			e, ok := item.(map[string]any)
			if !ok {
				return schemaErr(path, "is %s, want an object", kind(item))
			}
			if err := g.check(e, r, path); err != nil {
				return err
			}
		}
	}
	if groups != 1 {
		return schemaErr("v/t/r", "the certificate holds %d of vaccination, test and recovery; it must hold exactly one", groups)
	}
	return nil
}

func validateName(v any, r schemaRules) error {
	nam, ok := v.(map[string]any)
	if !ok {
		return schemaErr("nam", "is %s, want an object", kind(v))
	}
	for _, k := range []string{"fn", "gn", "fnt", "gnt"} {
		f, present := nam[k]
		if !present {
			continue
		}
		s, ok := f.(string)
		if !ok {
			return schemaErr("nam."+k, "is %s, want a string", kind(f))
		}
		if n := utf8.RuneCountInString(s); n > r.maxLen {
			return schemaErr("nam."+k, "is longer than %d characters", r.maxLen)
		}
		if (k == "fnt" || k == "gnt") && !isStdName(s) {
			return schemaErr("nam."+k, "may hold only A-Z and <")
		}
	}
	_, fnt := nam["fnt"]
	_, gnt := nam["gnt"]
	switch {
	case r.fntOrGnt && !fnt && !gnt:
		return schemaErr("nam", "needs fnt or gnt")
	case !r.fntOrGnt && !fnt:
		return schemaErr("nam.fnt", "missing")
	}
	return nil
}

func validateDOB(v any, r schemaRules) error {
	s, ok := v.(string)
	if !ok {
		return schemaErr("dob", "is %s, want a string", kind(v))
	}
	if !r.dob.match(s) {
		return schemaErr("dob", "is not a date of birth like 1979-04-14, 1979-04 or 1979")
	}
	return nil
}

// field checks one property of an entry: whether it must be there, and what
// it must look like.
type field struct {
	key      string
	required bool
	check    func(s string, r schemaRules) string // "" when fine
}

func anyString(string, schemaRules) string { return "" }

func maxLen(s string, r schemaRules) string {
	if n := utf8.RuneCountInString(s); n > r.maxLen {
		return fmt.Sprintf("is longer than %d characters", r.maxLen)
	}
	return ""
}

func country(s string, _ schemaRules) string {
	// Value sets narrow the country further; that is policy.
	if !hasCapital(s) {
		return "is not a country code"
	}
	return ""
}

// date is the schema's "date" format, read as issuers write it: a complete
// date, or a date-time (several issued vaccination dates as 2021-03-18T22:54:00+02:00,
// which JSON Schema 2020-12, where format is an annotation, lets through).
func date(s string, _ schemaRules) string {
	if !isDate(s) && !isDateTime(s) {
		return "is not a date like 2021-05-30"
	}
	return ""
}

func dateTime(s string, _ schemaRules) string {
	if !isDateTime(s) {
		return "is not a date and time like 2021-05-30T10:12:22Z"
	}
	return ""
}

func validateEntry(e map[string]any, r schemaRules, path string, fields []field) error {
	for _, f := range fields {
		v, present := e[f.key]
		if !present {
			if f.required {
				return schemaErr(path+"."+f.key, "missing")
			}
			continue
		}
		s, ok := v.(string)
		if !ok {
			return schemaErr(path+"."+f.key, "is %s, want a string", kind(v))
		}
		if msg := f.check(s, r); msg != "" {
			return schemaErr(path+"."+f.key, "%s", msg)
		}
	}
	return nil
}

func validateDose(e map[string]any, r schemaRules, path string, key string) error {
	v, present := e[key]
	if !present {
		return schemaErr(path+"."+key, "missing")
	}
	n, ok := integer(v)
	if !ok {
		return schemaErr(path+"."+key, "is %s, want a whole number", kind(v))
	}
	if n < 1 || r.maxDose > 0 && n > int64(r.maxDose) {
		if r.maxDose > 0 {
			return schemaErr(path+"."+key, "is %d, want 1 to %d", n, r.maxDose)
		}
		return schemaErr(path+"."+key, "is %d, want 1 or more", n)
	}
	return nil
}

var vaccinationFields = []field{
	{"tg", true, anyString}, {"vp", true, anyString}, {"mp", true, anyString}, {"ma", true, anyString},
	{"dt", true, date}, {"co", true, country}, {"is", true, maxLen}, {"ci", true, maxLen},
}

func validateVaccination(e map[string]any, r schemaRules, path string) error {
	if err := validateEntry(e, r, path, vaccinationFields); err != nil {
		return err
	}
	if err := validateDose(e, r, path, "dn"); err != nil {
		return err
	}
	return validateDose(e, r, path, "sd")
}

func validateTest(e map[string]any, r schemaRules, path string) error {
	nm := func(s string, r schemaRules) string {
		if n := utf8.RuneCountInString(s); r.nmMaxLen > 0 && n > r.nmMaxLen {
			return fmt.Sprintf("is longer than %d characters", r.nmMaxLen)
		}
		return ""
	}
	fields := []field{
		{"tg", true, anyString}, {"tt", true, anyString}, {"nm", false, nm}, {"ma", false, anyString},
		{"sc", true, dateTime}, {"tr", true, anyString}, {"tc", r.tcRequired, maxLen},
		{"co", true, country}, {"is", true, maxLen}, {"ci", true, maxLen},
	}
	if r.drAllowed {
		fields = append(fields, field{"dr", false, dateTime})
	}
	return validateEntry(e, r, path, fields)
}

var recoveryFields = []field{
	{"tg", true, anyString}, {"fr", true, date}, {"co", true, country}, {"is", true, maxLen},
	{"df", true, date}, {"du", true, date}, {"ci", true, maxLen},
}

func validateRecovery(e map[string]any, r schemaRules, path string) error {
	return validateEntry(e, r, path, recoveryFields)
}

// integer accepts what JSON Schema calls an integer: a whole number,
// whether CBOR carried it as an integer or a float.
func integer(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case uint64:
		return int64(min(n, math.MaxInt64)), true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	}
	return 0, false
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case int64, uint64, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case []byte:
		return "bytes"
	}
	return fmt.Sprintf("a %T", v)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseVersion reads a semantic version "major.minor.patch". The schema's
// pattern ^\d+.\d+.\d+$ leaves the dots unescaped; a version munjigi can
// act on has real dots.
func parseVersion(s string) (major, minor, patch int, ok bool) {
	var n [3]int
	part, digits := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && digits > 0 && part < 2:
			part, digits = part+1, 0
		case isDigit(c) && digits < 6:
			n[part] = n[part]*10 + int(c-'0')
			digits++
		default:
			return 0, 0, 0, false
		}
	}
	if part != 2 || digits == 0 {
		return 0, 0, 0, false
	}
	return n[0], n[1], n[2], true
}

// isDate is JSON Schema's "date" format: an RFC 3339 full-date.
func isDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// isDateTime is JSON Schema's "date-time" format: an RFC 3339 date-time,
// with T and Z in either case and fraction digits up to the 64-byte bound
// that keeps a hostile string from costing more.
func isDateTime(s string) bool {
	if len(s) < 20 || len(s) > 64 {
		return false
	}
	b := []byte(s)
	if b[10] == 't' {
		b[10] = 'T'
	}
	if c := b[len(b)-1]; c == 'z' {
		b[len(b)-1] = 'Z'
	}
	_, err := time.Parse(time.RFC3339Nano, string(b))
	return err == nil
}
