package policy

import (
	"slices"
	"time"

	"munjigi/verify"
)

// Options are what a venue's rules know besides the pass.
type Options struct {
	// Location is the venue's time zone. Pass dates (a vaccination date, a
	// recovery window) are days without a zone, read as local days: the
	// rules see the kiosk's wall-clock time as external.localClock.
	Location  *time.Location
	Country   string    // the venue's country code, external.countryCode
	VenueType string    // e.g. "restaurant", "cafe", "gym": external.venue.type
	ValueSets ValueSets // external.valueSets
	Lang      string    // the language of the reasons the kiosk shows
}

// Decider applies a profile's rules to verified passes. It is safe for
// concurrent use.
type Decider struct {
	profile *Profile
	opts    Options
	static  map[string]any // the parts of external that do not change per scan
}

// NewDecider prepares p for deciding with o.
func NewDecider(p *Profile, o Options) *Decider {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Lang == "" {
		o.Lang = "en"
	}
	return &Decider{profile: p, opts: o, static: map[string]any{
		"valueSets":   o.ValueSets.data(),
		"countryCode": o.Country,
		"venue":       map[string]any{"type": o.VenueType, "country": o.Country},
	}}
}

// Profile returns the profile the Decider applies.
func (d *Decider) Profile() *Profile { return d.profile }

// localClockLayout writes a wall-clock time as if it were UTC: CertLogic
// reads a zone-less date as UTC midnight, so comparing it with the local
// wall clock written this way compares local days.
const localClockLayout = "2006-01-02T15:04:05Z"

// Data is the CertLogic data context for res at now: {payload, external}.
func (d *Decider) Data(res verify.Result, now time.Time) map[string]any {
	ext := make(map[string]any, len(d.static)+6)
	for k, v := range d.static {
		ext[k] = v
	}
	local := now.In(d.opts.Location)
	ext["validationClock"] = local.Format(time.RFC3339)
	ext["localClock"] = local.Format(localClockLayout)
	ext["issuerCountryCode"] = res.Issuer
	if !res.IssuedAt.IsZero() {
		ext["iat"] = res.IssuedAt.Format(time.RFC3339)
	}
	if !res.ExpiresAt.IsZero() {
		ext["exp"] = res.ExpiresAt.Format(time.RFC3339)
	}
	var payload any
	if res.Facts != nil {
		payload = res.Facts.Payload
	}
	return map[string]any{"payload": payload, "external": ext}
}

// Decide applies the rules to a verified pass. A pass verify did not accept
// is returned as it is: the rules judge only genuine, valid passes.
//
// Every applicable Acceptance and Invalidation rule must evaluate to true.
// When some do not, a Manual rule that excuses all of them and whose logic
// holds makes the verdict a manual check; otherwise it is a fail with the
// first failed rule's description. A rule that cannot be evaluated makes
// the verdict a manual check: a broken rule must not turn people away.
func (d *Decider) Decide(res verify.Result, now time.Time) verify.Result {
	if res.Verdict != verify.Pass {
		return res
	}
	res.Policy = d.profile.Name
	data := d.Data(res, now)
	var failed, errored []*Rule
	for _, r := range d.profile.Rules {
		if r.Type == TypeManual || !r.appliesTo(res.Type, now) {
			continue
		}
		v, err := r.Logic.Evaluate(data)
		switch {
		case err != nil:
			errored = append(errored, r)
			res.Rules = append(res.Rules, verify.RuleOutcome{ID: r.ID, Outcome: "error", Description: r.Describe(d.opts.Lang)})
		case v != true:
			failed = append(failed, r)
			res.Rules = append(res.Rules, verify.RuleOutcome{ID: r.ID, Outcome: "failed", Description: r.Describe(d.opts.Lang)})
		}
	}
	switch {
	case len(failed) > 0:
		if m := d.manualFor(failed, res.Type, now, data); m != nil {
			for i := range res.Rules {
				if res.Rules[i].Outcome == "failed" {
					res.Rules[i].Outcome = "excused"
				}
			}
			res.Verdict, res.Reason, res.Detail, res.Check = verify.Manual, verify.ReasonRuleManual, m.Describe(d.opts.Lang), m.Check
			return res
		}
		res.Verdict, res.Reason, res.Detail = verify.Fail, verify.ReasonRuleFailed, failed[0].Describe(d.opts.Lang)
	case len(errored) > 0:
		res.Verdict, res.Reason = verify.Manual, verify.ReasonRuleError
		res.Detail = "a venue rule (" + errored[0].ID + ") could not judge this pass: check it by hand"
	}
	return res
}

// manualFor finds the Manual rule that excuses every failed rule and holds.
func (d *Decider) manualFor(failed []*Rule, t verify.Type, now time.Time, data map[string]any) *Rule {
	for _, m := range d.profile.Rules {
		if m.Type != TypeManual || !m.appliesTo(t, now) {
			continue
		}
		if !slices.ContainsFunc(failed, func(r *Rule) bool { return !m.excuses(r.ID) }) {
			if v, err := m.Logic.Evaluate(data); err == nil && v == true {
				return m
			}
		}
	}
	return nil
}
