package policy

import (
	"strings"
	"testing"
	"time"

	"munjigi/verify"
)

var seoul = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		// The test must not depend on the machine's zone database.
		return time.FixedZone("KST", 9*3600)
	}
	return loc
}()

// kst is a wall-clock time at a Korean door.
func kst(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, seoul)
	if err != nil {
		panic(err)
	}
	return t
}

// passOf is a verified pass of type t with entry e, as verify hands it on.
func passOf(t verify.Type, dob string, e map[string]any) verify.Result {
	e["tg"] = "840539006"
	payload := map[string]any{"ver": "1.3.0", "nam": map[string]any{"fnt": "HONG"}, "dob": dob, string(t): []any{e}}
	return verify.Result{Format: verify.FormatDCC, Verdict: verify.Pass, Reason: verify.ReasonOK, Type: t,
		Issuer: "KR", Facts: &verify.Facts{Type: t, Payload: payload, Entry: e}}
}

func vacc(mp string, dn, sd int64, dt string) verify.Result {
	return passOf(verify.Vaccination, "1985-03-01", map[string]any{"mp": mp, "dn": dn, "sd": sd, "dt": dt})
}

func vaccBorn(dob string, dn, sd int64, dt string) verify.Result {
	return passOf(verify.Vaccination, dob, map[string]any{"mp": pfizer, "dn": dn, "sd": sd, "dt": dt})
}

func test(tt, tr, sc string) verify.Result {
	return passOf(verify.Test, "1985-03-01", map[string]any{"tt": tt, "tr": tr, "sc": sc})
}

func testBorn(dob, tt, tr, sc string) verify.Result {
	return passOf(verify.Test, dob, map[string]any{"tt": tt, "tr": tr, "sc": sc})
}

func recov(fr, df, du string) verify.Result {
	return passOf(verify.Recovery, "1985-03-01", map[string]any{"fr": fr, "df": df, "du": du})
}

const (
	pfizer   = "EU/1/20/1528"
	janssen  = "EU/1/20/1525"
	sputnik  = "Sputnik-V"
	pcr      = "LP6464-4"
	rat      = "LP217198-3"
	negative = "260415000"
	positive = "260373001"
)

type profileCase struct {
	name   string
	pass   verify.Result
	at     time.Time
	venue  string
	want   verify.Verdict
	rule   string // a rule that must be reported, "" for none
	check  string // the manual check asked for
	reason verify.Reason
}

func runProfileCases(t *testing.T, profile string, cases []profileCase) {
	t.Helper()
	p, err := Builtin(profile)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			venue := c.venue
			if venue == "" {
				venue = "gym"
			}
			d := NewDecider(p, Options{Location: seoul, Country: "KR", VenueType: venue, ValueSets: BuiltinValueSets(), Lang: "en"})
			got := d.Decide(c.pass, c.at)
			if got.Verdict != c.want {
				t.Fatalf("verdict %s (%s: %s; rules %+v), want %s", got.Verdict, got.Reason, got.Detail, got.Rules, c.want)
			}
			if got.Policy != profile {
				t.Errorf("policy %q, want %q", got.Policy, profile)
			}
			if c.rule != "" && !hasRule(got.Rules, c.rule) {
				t.Errorf("rules %+v do not name %s", got.Rules, c.rule)
			}
			if c.want == verify.Pass && (len(got.Rules) > 0 || got.Reason != verify.ReasonOK) {
				t.Errorf("a pass with rules %+v, reason %s", got.Rules, got.Reason)
			}
			if got.Check != c.check {
				t.Errorf("check %q, want %q", got.Check, c.check)
			}
			if c.reason != "" && got.Reason != c.reason {
				t.Errorf("reason %s, want %s", got.Reason, c.reason)
			}
			if c.want != verify.Pass && got.Detail == "" {
				t.Error("no detail for a person")
			}
		})
	}
}

func hasRule(rules []verify.RuleOutcome, id string) bool {
	for _, r := range rules {
		if r.ID == id {
			return true
		}
	}
	return false
}

// TestKoreanVaccinePass is the KDCA profile at its edges, on a Korean wall
// clock: pass dates are local days.
func TestKoreanVaccinePass(t *testing.T) {
	second := vacc(pfizer, 2, 2, "2021-07-10")
	runProfileCases(t, "kr-2021-vaccine-pass", []profileCase{
		// 14 days after the second dose, counted in local days.
		{name: "day 13 after the second dose", pass: second, at: kst("2021-07-23 23:59"), want: verify.Fail, rule: "VR-KR-0003", reason: verify.ReasonRuleFailed},
		{name: "day 14 after the second dose, just after local midnight", pass: second, at: kst("2021-07-24 00:01"), want: verify.Pass},
		// Second dose 2021-07-10: valid through 2022-01-06.
		{name: "last valid day", pass: second, at: kst("2022-01-06 23:59"), want: verify.Pass},
		{name: "the day after: a previously infected holder may be exempt", pass: second, at: kst("2022-01-07 00:01"),
			want: verify.Manual, rule: "VR-KR-0004", check: "exemption", reason: verify.ReasonRuleManual},
		// Janssen: the first dose completes the primary series.
		{name: "single Janssen dose, day 13", pass: vacc(janssen, 1, 1, "2021-08-01"), at: kst("2021-08-14 12:00"), want: verify.Fail, rule: "VR-KR-0003"},
		{name: "single Janssen dose, day 14", pass: vacc(janssen, 1, 1, "2021-08-01"), at: kst("2021-08-15 12:00"), want: verify.Pass},
		{name: "Janssen booster counts from its day", pass: vacc(janssen, 2, 2, "2021-12-01"), at: kst("2021-12-01 09:00"), want: verify.Pass},
		// A booster counts from the day of the shot and has no 180-day end.
		{name: "booster, the day before", pass: vacc(pfizer, 3, 3, "2022-01-10"), at: kst("2022-01-09 23:59"), want: verify.Fail, rule: "VR-KR-0003"},
		{name: "booster, the day of", pass: vacc(pfizer, 3, 3, "2022-01-10"), at: kst("2022-01-10 00:01"), want: verify.Pass},
		{name: "booster as 3 of 2", pass: vacc(pfizer, 3, 2, "2022-01-10"), at: kst("2022-01-10 12:00"), want: verify.Pass},
		{name: "booster a year later", pass: vacc(pfizer, 3, 3, "2022-01-10"), at: kst("2023-01-10 12:00"), want: verify.Pass},
		// Incomplete series, unrecognised vaccine.
		{name: "first of two doses at a gym", pass: vacc(pfizer, 1, 2, "2021-12-01"), at: kst("2022-01-10 12:00"), want: verify.Fail, rule: "VR-KR-0002"},
		{name: "first of two doses at a restaurant: may dine alone", pass: vacc(pfizer, 1, 2, "2021-12-01"), at: kst("2022-01-10 12:00"),
			venue: "restaurant", want: verify.Manual, rule: "VR-KR-0002", check: "solo-diner"},
		{name: "vaccine Korea does not recognise", pass: vacc(sputnik, 2, 2, "2021-12-01"), at: kst("2022-01-10 12:00"), want: verify.Fail, rule: "VR-KR-0001"},
		// PCR for 48 hours from sampling, an instant with a zone.
		{name: "PCR at 47h59m", pass: test(pcr, negative, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-12 08:59"), want: verify.Pass},
		{name: "PCR at 48h01m", pass: test(pcr, negative, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-12 09:01"), want: verify.Fail, rule: "TR-KR-0003"},
		{name: "PCR at 48h01m at a café: may sit alone", pass: test(pcr, negative, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-12 09:01"),
			venue: "cafe", want: verify.Manual, check: "solo-diner"},
		{name: "PCR sampled in UTC, 47h in", pass: test(pcr, negative, "2022-01-10T00:00:00Z"), at: kst("2022-01-12 08:00"), want: verify.Pass},
		{name: "rapid antigen test does not count", pass: test(rat, negative, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-10 12:00"), want: verify.Fail, rule: "TR-KR-0001"},
		{name: "positive PCR, even at a restaurant", pass: test(pcr, positive, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-10 12:00"),
			venue: "restaurant", want: verify.Fail, rule: "TR-KR-0002"},
		// 18 and under are exempt: the 19th birthday ends it.
		{name: "18 and under with one dose", pass: vaccBorn("2003-01-15", 1, 2, "2021-12-01"), at: kst("2022-01-14 23:59"), want: verify.Pass},
		{name: "19th birthday today", pass: vaccBorn("2003-01-15", 1, 2, "2021-12-01"), at: kst("2022-01-15 00:01"), want: verify.Fail, rule: "VR-KR-0002"},
		// A year alone counts as its last day, the holder's benefit: born on
		// 2003-12-31 at the latest, 19 on 2022-12-31.
		{name: "born 2003 (year only), 2022-12-30", pass: vaccBorn("2003", 1, 2, "2021-12-01"), at: kst("2022-12-30 23:59"), want: verify.Pass},
		{name: "born 2003 (year only), 2022-12-31", pass: vaccBorn("2003", 1, 2, "2021-12-01"), at: kst("2022-12-31 00:01"), want: verify.Fail, rule: "VR-KR-0002"},
		{name: "positive test of a minor", pass: testBorn("2010-05-05", pcr, positive, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-10 12:00"), want: verify.Fail, rule: "TR-KR-0002"},
		// Recovery within its window.
		{name: "recovery a day before its window", pass: recov("2021-12-20", "2022-01-10", "2022-06-18"), at: kst("2022-01-09 23:59"), want: verify.Fail, rule: "RR-KR-0001"},
		{name: "recovery on its first day", pass: recov("2021-12-20", "2022-01-10", "2022-06-18"), at: kst("2022-01-10 00:01"), want: verify.Pass},
		{name: "recovery on its last day", pass: recov("2021-12-20", "2022-01-10", "2022-06-18"), at: kst("2022-06-18 23:59"), want: verify.Pass},
		{name: "recovery a day after", pass: recov("2021-12-20", "2022-01-10", "2022-06-18"), at: kst("2022-06-19 00:01"), want: verify.Fail, rule: "RR-KR-0001"},
	})
}

func TestEU3G(t *testing.T) {
	runProfileCases(t, "eu-3g", []profileCase{
		{name: "primary series, day 270", pass: vacc(pfizer, 2, 2, "2021-07-10"), at: kst("2022-04-06 12:00"), want: verify.Pass},
		{name: "primary series, day 271", pass: vacc(pfizer, 2, 2, "2021-07-10"), at: kst("2022-04-07 12:00"), want: verify.Fail, rule: "VR-EU3G-0004"},
		{name: "Covishield is not EU-authorised", pass: vacc("Covishield", 2, 2, "2021-07-10"), at: kst("2021-09-01 12:00"), want: verify.Fail, rule: "VR-EU3G-0001"},
		{name: "PCR at 71h", pass: test(pcr, negative, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-13 08:00"), want: verify.Pass},
		{name: "PCR at 73h", pass: test(pcr, negative, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-13 10:00"), want: verify.Fail, rule: "TR-EU3G-0003"},
		{name: "rapid test at 23h", pass: test(rat, negative, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-11 08:00"), want: verify.Pass},
		{name: "rapid test at 25h", pass: test(rat, negative, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-11 10:00"), want: verify.Fail, rule: "TR-EU3G-0003"},
		{name: "recovery within 180 days of the positive test", pass: recov("2021-12-20", "2021-12-31", "2022-06-18"), at: kst("2022-06-17 12:00"), want: verify.Pass},
		{name: "recovery past 180 days of the positive test", pass: recov("2021-12-20", "2021-12-31", "2022-07-30"), at: kst("2022-06-19 12:00"), want: verify.Fail, rule: "RR-EU3G-0001"},
	})
}

func TestEU2G(t *testing.T) {
	runProfileCases(t, "eu-2g", []profileCase{
		{name: "vaccinated", pass: vacc(pfizer, 2, 2, "2021-07-10"), at: kst("2021-09-01 12:00"), want: verify.Pass},
		{name: "recovered", pass: recov("2021-12-20", "2021-12-31", "2022-06-18"), at: kst("2022-01-10 12:00"), want: verify.Pass},
		{name: "tested only", pass: test(pcr, negative, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-10 12:00"), want: verify.Fail, rule: "TR-EU2G-0001"},
	})
}

func TestEU2GPlus(t *testing.T) {
	runProfileCases(t, "eu-2g-plus", []profileCase{
		{name: "booster alone", pass: vacc(pfizer, 3, 3, "2021-12-01"), at: kst("2022-01-10 12:00"), want: verify.Pass},
		{name: "primary series needs a test too", pass: vacc(pfizer, 2, 2, "2021-12-01"), at: kst("2022-01-10 12:00"),
			want: verify.Manual, rule: "VR-EU2GP-0005", check: "second-document"},
		{name: "recovery needs a test too", pass: recov("2021-12-20", "2021-12-31", "2022-06-18"), at: kst("2022-01-10 12:00"),
			want: verify.Manual, rule: "RR-EU2GP-0002", check: "second-document"},
		{name: "negative test needs a vaccination or recovery proof", pass: test(pcr, negative, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-10 12:00"),
			want: verify.Manual, rule: "TR-EU2GP-0004", check: "second-document"},
		{name: "positive test", pass: test(pcr, positive, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-10 12:00"), want: verify.Fail, rule: "TR-EU2GP-0002"},
		{name: "expired primary series is not half of anything", pass: vacc(pfizer, 2, 2, "2021-01-10"), at: kst("2022-01-10 12:00"), want: verify.Fail, rule: "VR-EU2GP-0004"},
	})
}

func TestBoosterOnly(t *testing.T) {
	runProfileCases(t, "booster-only", []profileCase{
		{name: "booster", pass: vacc(pfizer, 3, 3, "2021-12-01"), at: kst("2022-01-10 12:00"), want: verify.Pass},
		{name: "primary series", pass: vacc(pfizer, 2, 2, "2021-12-01"), at: kst("2022-01-10 12:00"), want: verify.Fail, rule: "VR-BO-0005"},
		{name: "test", pass: test(pcr, negative, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-10 12:00"), want: verify.Fail, rule: "TR-BO-0001"},
		{name: "recovery", pass: recov("2021-12-20", "2021-12-31", "2022-06-18"), at: kst("2022-01-10 12:00"), want: verify.Fail, rule: "RR-BO-0001"},
	})
}

func TestTestOnly(t *testing.T) {
	runProfileCases(t, "test-only", []profileCase{
		{name: "negative PCR", pass: test(pcr, negative, "2022-01-10T09:00:00+09:00"), at: kst("2022-01-10 12:00"), want: verify.Pass},
		{name: "vaccination", pass: vacc(pfizer, 3, 3, "2021-12-01"), at: kst("2022-01-10 12:00"), want: verify.Fail, rule: "VR-TO-0001"},
		{name: "recovery", pass: recov("2021-12-20", "2021-12-31", "2022-06-18"), at: kst("2022-01-10 12:00"), want: verify.Fail, rule: "RR-TO-0001"},
	})
}

// TestKoreanDescriptions: a Korean kiosk shows the reason in Korean.
func TestKoreanDescriptions(t *testing.T) {
	p, err := Builtin("kr-2021-vaccine-pass")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecider(p, Options{Location: seoul, VenueType: "gym", ValueSets: BuiltinValueSets(), Lang: "ko"})
	got := d.Decide(vacc(pfizer, 1, 2, "2021-12-01"), kst("2022-01-10 12:00"))
	if !strings.Contains(got.Detail, "기본접종") {
		t.Errorf("detail %q is not the Korean description", got.Detail)
	}
	for _, p := range Names() {
		prof, err := Builtin(p)
		if err != nil {
			t.Fatal(err)
		}
		if prof.Title("ko") == "" || prof.Title("en") == "" {
			t.Errorf("%s: a short title in Korean and English is required", p)
		}
		for _, r := range prof.Rules {
			if r.Description["ko"] == "" || r.Description["en"] == "" {
				t.Errorf("%s %s: a description in Korean and English is required", p, r.ID)
			}
		}
	}
}

// TestNotAPassIsLeftAlone: the rules judge only passes verify accepted.
func TestNotAPassIsLeftAlone(t *testing.T) {
	p, _ := Builtin(DefaultProfile)
	d := NewDecider(p, Options{ValueSets: BuiltinValueSets()})
	in := vacc(pfizer, 2, 2, "2021-07-10")
	in.Verdict, in.Reason = verify.Fail, verify.ReasonSignature
	if got := d.Decide(in, kst("2021-09-01 12:00")); got.Verdict != verify.Fail || got.Reason != verify.ReasonSignature || got.Policy != "" {
		t.Errorf("a forged pass came out %s %s (policy %q)", got.Verdict, got.Reason, got.Policy)
	}
}
