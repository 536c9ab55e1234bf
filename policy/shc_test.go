package policy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/verify"
)

// TestSHCUnderKoreanRules: a SMART Health Card is judged by the same rules
// as a DCC, through the facts verify reads from its FHIR bundle.
func TestSHCUnderKoreanRules(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss := demo.NewSHCIssuer("https://issuer.example", key)
	tr := verify.NewTrust()
	if err := tr.AddSHCIssuer(iss.Iss, iss.JWKS(), nil); err != nil {
		t.Fatal(err)
	}
	p, _ := Builtin("kr-2021-vaccine-pass")
	d := NewDecider(p, Options{Location: seoul, Country: "KR", VenueType: "gym", ValueSets: BuiltinValueSets(), Lang: "en"})
	person := func(c demo.HealthCard) demo.HealthCard {
		c.IssuedAt, c.Family, c.Given, c.BirthDate = kst("2021-06-01 09:00"), "Anyperson", []string{"John"}, "1980-01-01"
		return c
	}
	for _, tc := range []struct {
		name string
		card demo.HealthCard
		at   time.Time
		want verify.Verdict
		rule string
	}{
		{"two Pfizer doses, day 14", person(demo.HealthCard{Shots: []demo.Shot{{CVX: "208", Date: "2021-06-01"}, {CVX: "208", Date: "2021-07-10"}}}),
			kst("2021-07-24 09:00"), verify.Pass, ""},
		{"two Pfizer doses, day 13", person(demo.HealthCard{Shots: []demo.Shot{{CVX: "208", Date: "2021-06-01"}, {CVX: "208", Date: "2021-07-10"}}}),
			kst("2021-07-23 09:00"), verify.Fail, "VR-KR-0003"},
		{"one Janssen dose, day 14", person(demo.HealthCard{Shots: []demo.Shot{{CVX: "212", Date: "2021-07-10"}}}),
			kst("2021-07-24 09:00"), verify.Pass, ""},
		{"one Moderna dose", person(demo.HealthCard{Shots: []demo.Shot{{CVX: "207", Date: "2021-07-10"}}}),
			kst("2021-08-24 09:00"), verify.Fail, "VR-KR-0002"},
		{"a vaccine Korea does not recognise", person(demo.HealthCard{Shots: []demo.Shot{{CVX: "505", Date: "2021-06-01"}, {CVX: "505", Date: "2021-06-22"}}}),
			kst("2021-08-24 09:00"), verify.Fail, "VR-KR-0001"},
		{"negative PCR at 47h", person(demo.HealthCard{Tests: []demo.LabResult{{LOINC: "94500-6", Result: "260415000", Time: "2021-07-10T09:00:00+09:00"}}}),
			kst("2021-07-12 08:00"), verify.Pass, ""},
		{"negative PCR at 49h", person(demo.HealthCard{Tests: []demo.LabResult{{LOINC: "94500-6", Result: "260385009", Time: "2021-07-10T09:00:00+09:00"}}}),
			kst("2021-07-12 10:00"), verify.Fail, "TR-KR-0003"},
		{"positive PCR", person(demo.HealthCard{Tests: []demo.LabResult{{LOINC: "94500-6", Result: "10828004", Time: "2021-07-10T09:00:00+09:00"}}}),
			kst("2021-07-10 12:00"), verify.Fail, "TR-KR-0002"},
		{"antigen test", person(demo.HealthCard{Tests: []demo.LabResult{{LOINC: "94558-4", Result: "260415000", Time: "2021-07-10T09:00:00+09:00"}}}),
			kst("2021-07-10 12:00"), verify.Fail, "TR-KR-0001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jws, err := iss.Sign(tc.card)
			if err != nil {
				t.Fatal(err)
			}
			res := verify.New(tr, func() time.Time { return tc.at }).VerifyJWS(jws)
			if res.Verdict != verify.Pass {
				t.Fatalf("verify: %s %s", res.Reason, res.Detail)
			}
			got := d.Decide(res, tc.at)
			if got.Verdict != tc.want || tc.rule != "" && !hasRule(got.Rules, tc.rule) {
				t.Errorf("%s (%s; %+v), want %s naming %q", got.Verdict, got.Detail, got.Rules, tc.want, tc.rule)
			}
		})
	}
}

// TestSHCOnlyCovidDosesCount: a health card lists every immunization the
// issuer holds, so only COVID-19 vaccines are doses of a COVID-19 series,
// and the product and date come from those. Before, a flu shot and one
// Pfizer dose were a complete series and MMR, MMR, flu and one Pfizer dose
// a booster; and a flu shot after two Pfizer doses hid them.
func TestSHCOnlyCovidDosesCount(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss := demo.NewSHCIssuer("https://issuer.example", key)
	tr := verify.NewTrust()
	if err := tr.AddSHCIssuer(iss.Iss, iss.JWKS(), nil); err != nil {
		t.Fatal(err)
	}
	const (
		flu = "140" // CVX: influenza, seasonal, injectable, preservative free
		mmr = "03"  // CVX: measles, mumps and rubella
		bnt = "208" // CVX: Pfizer-BioNTech
	)
	shots := func(s ...string) []demo.Shot {
		// One shot a month from 2021-03-01, in the order given.
		var out []demo.Shot
		for i, cvx := range s {
			out = append(out, demo.Shot{CVX: cvx, Date: time.Date(2021, time.Month(3+i), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)})
		}
		return out
	}
	at := kst("2021-09-15 12:00") // past every shot above by 14 days or more
	for _, tc := range []struct {
		name    string
		shots   []demo.Shot
		profile string
		want    verify.Verdict
		rule    string
	}{
		{"flu then one Pfizer dose (KR)", shots(flu, bnt), "kr-2021-vaccine-pass", verify.Fail, "VR-KR-0002"},
		{"flu then one Pfizer dose (EU 3G)", shots(flu, bnt), "eu-3g", verify.Fail, "VR-EU3G-0002"},
		{"MMR, MMR, flu, one Pfizer dose (KR)", shots(mmr, mmr, flu, bnt), "kr-2021-vaccine-pass", verify.Fail, "VR-KR-0002"},
		{"MMR, MMR, flu, one Pfizer dose (EU 3G)", shots(mmr, mmr, flu, bnt), "eu-3g", verify.Fail, "VR-EU3G-0002"},
		{"MMR, MMR, flu, one Pfizer dose (booster only)", shots(mmr, mmr, flu, bnt), "booster-only", verify.Fail, "VR-BO-0002"},
		{"two Pfizer doses then flu (KR)", shots(bnt, bnt, flu), "kr-2021-vaccine-pass", verify.Pass, ""},
		{"two Pfizer doses then flu (EU 3G)", shots(bnt, bnt, flu), "eu-3g", verify.Pass, ""},
		{"flu only (KR)", shots(flu), "kr-2021-vaccine-pass", verify.Fail, "GR-KR-0001"},
		{"flu only (EU 3G)", shots(flu), "eu-3g", verify.Fail, "GR-EU3G-0001"},
		{"flu, two Pfizer doses, MMR (KR)", shots(flu, bnt, bnt, mmr), "kr-2021-vaccine-pass", verify.Pass, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jws, err := iss.Sign(demo.HealthCard{IssuedAt: kst("2021-08-01 09:00"), Family: "Anyperson", Given: []string{"John"}, BirthDate: "1980-01-01", Shots: tc.shots})
			if err != nil {
				t.Fatal(err)
			}
			res := verify.New(tr, func() time.Time { return at }).VerifyJWS(jws)
			if res.Verdict != verify.Pass {
				t.Fatalf("verify: %s %s", res.Reason, res.Detail)
			}
			p, err := Builtin(tc.profile)
			if err != nil {
				t.Fatal(err)
			}
			d := NewDecider(p, Options{Location: seoul, Country: "KR", VenueType: "gym", ValueSets: BuiltinValueSets(), Lang: "en"})
			got := d.Decide(res, at)
			if got.Verdict != tc.want || tc.rule != "" && !hasRule(got.Rules, tc.rule) {
				t.Errorf("%s (%s; %+v), want %s naming %q; facts %v", got.Verdict, got.Detail, got.Rules, tc.want, tc.rule, res.Facts.Entry)
			}
		})
	}
}
