package policy

import (
	"fmt"
	"strings"
	"testing"

	"munjigi/verify"
)

// TestNoPassContentInRuleOutcomes: whatever a verified pass holds, and
// wherever, the venue rules' verdicts say it in the profile's words: the
// detail, the rule outcomes and the manual check never quote the pass. The
// canaries (a name and a birth date) go in every field the rules read, as
// values that meet the rule and as values that break it or make it fail
// to evaluate, under every shipped profile, in both languages.
func TestNoPassContentInRuleOutcomes(t *testing.T) {
	const name, dob = "ZZCANARY", "1901-02-03"
	values := []any{name, dob, name + "-" + dob, int64(1901), []any{name}, map[string]any{name: dob}, nil}
	var passes []verify.Result
	for _, base := range []func() verify.Result{
		func() verify.Result { return vacc(pfizer, 2, 2, "2021-07-10") },
		func() verify.Result { return test(pcr, negative, "2022-01-10T09:00:00+09:00") },
		func() verify.Result { return recov("2021-12-20", "2022-01-10", "2022-06-18") },
	} {
		for _, v := range values {
			for _, f := range []string{"tg", "mp", "dn", "sd", "dt", "tt", "tr", "sc", "fr", "df", "du", "co", "ci"} {
				p := base()
				p.Facts.Entry[f] = v
				passes = append(passes, p)
			}
			for _, f := range []string{"dob", "nam", "ver"} {
				p := base()
				p.Facts.Payload[f] = v
				passes = append(passes, p)
			}
			p := base()
			p.Issuer = fmt.Sprint(v)
			passes = append(passes, p)
		}
	}
	outcomes := map[verify.Reason]int{}
	for _, profile := range Names() {
		p, err := Builtin(profile)
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range []string{"en", "ko"} {
			for _, venue := range []string{"gym", "restaurant"} {
				d := NewDecider(p, Options{Location: seoul, Country: "KR", VenueType: venue, ValueSets: BuiltinValueSets(), Lang: lang})
				for i, pass := range passes {
					got := d.Decide(pass, kst("2022-01-11 12:00"))
					outcomes[got.Reason]++
					texts := []string{got.Detail, got.Check}
					for _, r := range got.Rules {
						texts = append(texts, r.ID, r.Description)
					}
					for _, s := range texts {
						if strings.Contains(s, name) || strings.Contains(s, dob) || strings.Contains(s, "1901") {
							t.Errorf("%s/%s/%s pass %d: %q quotes the pass", profile, lang, venue, i, s)
						}
					}
				}
			}
		}
	}
	for _, r := range []verify.Reason{verify.ReasonOK, verify.ReasonRuleFailed, verify.ReasonRuleManual} {
		if outcomes[r] == 0 {
			t.Errorf("no canary pass was decided %s: %v", r, outcomes)
		}
	}
	t.Logf("outcomes: %v", outcomes)
}
