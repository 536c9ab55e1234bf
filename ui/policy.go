package ui

import (
	"maps"
	"slices"
	"strings"

	"munjigi/policy"
	"munjigi/verify"
)

// Policy is the venue's rules as the screen words them, in every language
// it speaks: the decider writes a rule's description in the configured
// language only, and staff may switch the screen to the other.
type Policy struct {
	// ID is the profile's name ("kr-2021-vaccine-pass"); "" for none. It
	// is never shown: Names are.
	ID string
	// Names is the profile's short name by language ("ko", "en").
	Names map[string]string
	// VenueRules says the venue's own rules were added to the profile.
	VenueRules bool
	// Rules are the rules' descriptions, by rule id, then language.
	Rules map[string]map[string]string
}

// PolicyOf words a profile for the screen (nil: no rules): its short
// titles, and every rule's description in every language it has one in.
func PolicyOf(p *policy.Profile) Policy {
	if p == nil {
		return Policy{}
	}
	out := Policy{Names: map[string]string{}, Rules: map[string]map[string]string{}}
	out.ID, out.VenueRules = strings.CutSuffix(p.Name, "+venue")
	for _, l := range Languages() {
		if t := p.Title(l); t != "" {
			out.Names[l] = t
		}
	}
	for _, r := range p.Rules {
		words := map[string]string{}
		for l, d := range r.Description {
			if d != "" {
				words[l] = d
			}
		}
		out.Rules[r.ID] = words
	}
	return out
}

// name is the profile's name on a screen in t's language.
func (p Policy) name(t *Text) string {
	if p.ID == "" {
		return t.NoPolicy
	}
	n := p.Names[t.Lang]
	if n == "" {
		n = t.PolicyOwn // a title in another language is no title here
	}
	if p.VenueRules {
		n += t.PolicyPlus
	}
	return verify.Sanitize(n, 60)
}

// ruleWords is what a rule-failed or rule-manual outcome says, in lang:
// the rule's own description when the profile has one in lang. The rule
// is found by the id the result carries (a failed rule), or else by the
// description the decider wrote (a Manual rule, which the result names
// only by its words): matched exactly, in any language.
func (p Policy) ruleWords(o verify.Result, lang string) (string, bool) {
	if o.Reason == verify.ReasonRuleFailed {
		for _, r := range o.Rules {
			if r.Outcome == "failed" {
				if w := p.Rules[r.ID][lang]; w != "" {
					return w, true
				}
				break // the first failed rule is the one the detail names
			}
		}
	}
	if o.Detail == "" {
		return "", false
	}
	// In id order, so that two rules worded alike in one language but not
	// in another always give the same answer.
	for _, id := range slices.Sorted(maps.Keys(p.Rules)) {
		words := p.Rules[id]
		for _, d := range words {
			if d == o.Detail {
				w := words[lang]
				return w, w != ""
			}
		}
	}
	return "", false
}
