package policy

import (
	"testing"

	"munjigi/verify"
)

// BenchmarkDecide is one full policy decision on a vaccination pass: the
// five rules the Korean profile applies to one (the disease, the product,
// the series, its start and its end). Compare it with verify's
// BenchmarkVerifyES256 (about 100 µs here): the goal is that the policy
// does not double the cost of a decision, so well under that.
//
//	go test ./policy ./verify -run '^$' -bench 'Decide|VerifyES256/munjigi' -benchmem
func BenchmarkDecide(b *testing.B) {
	p, err := Builtin("kr-2021-vaccine-pass")
	if err != nil {
		b.Fatal(err)
	}
	d := NewDecider(p, Options{Location: seoul, Country: "KR", VenueType: "restaurant", ValueSets: BuiltinValueSets(), Lang: "ko"})
	pass := vacc(pfizer, 2, 2, "2021-07-10")
	at := kst("2021-09-01 12:00")
	applied := 0
	for _, r := range p.Rules {
		if r.Type != TypeManual && r.appliesTo(verify.Vaccination, at) {
			applied++
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if d.Decide(pass, at).Verdict != verify.Pass {
			b.Fatal("the benchmark pass does not pass")
		}
	}
	b.ReportMetric(float64(applied), "rules") // after the loop: it resets reported metrics

}
