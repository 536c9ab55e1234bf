package upstream

import (
	"context"
	"math/rand/v2"
	"time"
)

// Schedule is when a kiosk's background work (trust-list sync, entry
// upload) talks to the server. Thousands of kiosks run it at once, so every
// wait is random: a fleet that boots together, or comes back after an
// outage together, must not arrive together. The fleet simulation runs this
// same code on a virtual clock.
type Schedule struct {
	// FirstMax: the first call waits a random time up to this (0-10 min
	// for the trust list), so a fleet booting at once is spread out.
	FirstMax time.Duration
	// Every is the wait after a success, give or take Jitter.
	Every  time.Duration
	Jitter time.Duration
	// After a failure: full jitter, a random wait up to Base·2^attempt,
	// capped at Cap; never sooner than the server's Retry-After.
	Base, Cap time.Duration
}

// Plan is one kiosk's place in a Schedule.
type Plan struct {
	s        Schedule
	r        *rand.Rand
	failures int
}

// NewPlan starts a plan; r is the kiosk's own randomness.
func NewPlan(s Schedule, r *rand.Rand) *Plan {
	return &Plan{s: s, r: r}
}

// First is the wait before the first call.
func (p *Plan) First() time.Duration {
	return p.uniform(p.s.FirstMax)
}

// Succeeded is the wait after a call that worked.
func (p *Plan) Succeeded() time.Duration {
	p.failures = 0
	d := p.s.Every
	if p.s.Jitter > 0 {
		d += p.uniform(2*p.s.Jitter) - p.s.Jitter
	}
	return max(d, time.Second)
}

// Failed is the wait after a call that failed; retryAfter is what the
// server asked for (0 when it did not).
func (p *Plan) Failed(retryAfter time.Duration) time.Duration {
	ceiling := p.s.Cap
	if p.failures < 40 { // 2^40 of anything is past any cap
		ceiling = min(p.s.Base<<p.failures, p.s.Cap)
	}
	p.failures++
	return max(p.uniform(ceiling), retryAfter, time.Second)
}

// Failures counts the failures since the last success.
func (p *Plan) Failures() int { return p.failures }

func (p *Plan) uniform(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(p.r.Int64N(int64(d)))
}

// The schedules munjigi uses.
var (
	// TrustSchedule: the first fetch 0-10 min after start, then daily give
	// or take an hour; on failure from 30 s up to an hour.
	TrustSchedule = Schedule{FirstMax: 10 * time.Minute, Every: 24 * time.Hour, Jitter: time.Hour, Base: 30 * time.Second, Cap: time.Hour}
	// UploadSchedule: entries go up every 30 min give or take 5; nothing
	// at the door waits on them.
	UploadSchedule = Schedule{FirstMax: 30 * time.Minute, Every: 30 * time.Minute, Jitter: 5 * time.Minute, Base: 30 * time.Second, Cap: time.Hour}
)

// runPlan runs attempt on the plan's schedule until ctx ends: first after
// wait, then after each attempt as the plan says.
func runPlan(ctx context.Context, p *Plan, wait time.Duration, attempt func(context.Context) error) {
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := attempt(ctx); err != nil {
			wait = p.Failed(RetryAfter(err))
		} else {
			wait = p.Succeeded()
		}
	}
}
