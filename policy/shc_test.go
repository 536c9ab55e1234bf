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
