package gate

import (
	"fmt"

	"munjigi/verify"
)

// A Check is one way staff settle a visitor by hand: how they checked and
// whether the visitor went in. Its reason is a code the screen words.
type Check struct {
	Method   Method
	Admitted bool
	Reason   verify.Reason
}

// The checks by hand a door offers.
var (
	CheckSticker   = Check{MethodManualSticker, true, "sticker"}
	CheckSMS       = Check{MethodManualSMS, true, "sms"}
	CheckPaper     = Check{MethodManualPaper, true, "paper"}
	CheckMinor     = Check{MethodExemption, true, "exempt-minor"}
	CheckRecovered = Check{MethodExemption, true, "exempt-recovered"}
	CheckMedical   = Check{MethodExemption, true, "exempt-medical"}
	// CheckSoloDiner is the Korean rules' allowance at restaurants and
	// cafés: one unvaccinated person may dine alone.
	CheckSoloDiner = Check{MethodExemption, true, "solo-diner"}
	CheckDenied    = Check{MethodOverride, false, "denied"}
)

// Checks lists every check by hand, in the order a screen offers them.
var Checks = []Check{CheckSticker, CheckSMS, CheckPaper, CheckMinor, CheckRecovered, CheckMedical, CheckSoloDiner, CheckDenied}

// Manual records a check by hand. pending, when not nil, is the verdict
// that waited for staff: the check settles it (one visitor, one count).
// staff is who checked (may be empty).
func (g *Gate) Manual(c Check, pending *Outcome, staff string) Outcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Now()
	clock := g.clockState(now)
	v := verify.Fail
	if c.Admitted {
		v = verify.Pass
	}
	o := Outcome{At: now, Method: c.Method, ClockTrusted: clock.Trusted, Clock: clock.Code, Staff: staff}
	o.Verdict, o.Reason, o.Detail = v, c.Reason, fmt.Sprintf("checked by hand (%s)", c.Method)
	if pending != nil {
		o.Resolves = pending.Seq
		// The visitor is the pass's: what kind of pass they showed stays
		// with them.
		o.Format, o.Type = pending.Format, pending.Type
	}
	g.record(&o, nil)
	return o
}

// Unresolved records that staff left a verdict that waited for them (Esc,
// or the next visitor's scan): the visitor's entry says it was never
// settled, rather than nothing being said at all.
func (g *Gate) Unresolved(pending Outcome) Outcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Now()
	clock := g.clockState(now)
	o := Outcome{At: now, Method: MethodUnresolved, ClockTrusted: clock.Trusted, Clock: clock.Code, Resolves: pending.Seq}
	o.Verdict, o.Reason, o.Detail = verify.Manual, pending.Reason, "left unsettled by staff"
	o.Format, o.Type = pending.Format, pending.Type
	g.record(&o, nil)
	return o
}
