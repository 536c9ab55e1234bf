package gate

import (
	"fmt"
	"time"
)

// ClockCode says why the kiosk's clock is not trusted; "" when it is.
type ClockCode string

// Why a clock is distrusted. Each is a rule that always applies: no reply
// from anyone overrides one.
const (
	ClockOK ClockCode = ""
	// ClockNotSet: before MinClock, as a board without a battery boots.
	ClockNotSet ClockCode = "not-set"
	// ClockBehind: behind the log's high-water mark, the latest time the
	// kiosk has trusted (or the authority's signed list proved).
	ClockBehind ClockCode = "went-back"
	// ClockAhead: further past the high-water mark than a kiosk is ever
	// switched off for.
	ClockAhead ClockCode = "jumped-ahead"
	// ClockOffServer: fresh, authenticated word from the authority's
	// server says another time.
	ClockOffServer ClockCode = "off-server"
)

// ClockCodes lists every distrust code, for those who word them.
var ClockCodes = []ClockCode{ClockNotSet, ClockBehind, ClockAhead, ClockOffServer}

// Clock rules.
const (
	// clockTolerance is how far the clock may differ from what it is held
	// to: NTP corrects small drifts both ways.
	clockTolerance = 2 * time.Minute
	// maxClockJump is how far past the last trusted time the clock may be
	// found: a kiosk is not switched off for longer than a season.
	maxClockJump = 120 * 24 * time.Hour
	// EvidenceFresh is how long the server's word on the time counts
	// after it was heard: the kiosk's clock may step at any moment after.
	EvidenceFresh = 10 * time.Minute
	// hwmEvery is how often the clock's high-water mark is written.
	hwmEvery = time.Minute
)

// MinClock is the earliest time a kiosk's clock can honestly show: a board
// without a battery boots in 1970 or at its image's date.
var MinClock = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Clock is what the kiosk knows about its clock.
type Clock struct {
	Trusted bool
	Code    ClockCode
	Reason  string // in English, for logs
}

// Evidence is the authority's word on the time: a reply whose origin is
// proven (a TLS-verified 2xx reply). At is the server's time; Heard is
// the kiosk's clock reading when the reply came (taken from the same
// clock the gate uses, so with time.Now it carries the monotonic reading
// that makes its age immune to steps of the wall clock).
type Evidence struct {
	At    time.Time
	Heard time.Time
}

// estimate is the authority's time now, by the evidence, and whether the
// evidence is fresh enough to count.
func (e Evidence) estimate(now time.Time) (time.Time, bool) {
	if e.At.IsZero() {
		return time.Time{}, false
	}
	age := now.Sub(e.Heard)
	if age < 0 || age > EvidenceFresh {
		return time.Time{}, false
	}
	return e.At.Add(age), true
}

// clockState judges the clock at now. It must be called with g.mu held.
// The hard rules come first and always apply.
func (g *Gate) clockState(now time.Time) Clock {
	if g.cfg.ClockConfirmed {
		return Clock{Trusted: true}
	}
	loc := g.cfg.Location
	switch {
	case now.Before(MinClock):
		return Clock{Code: ClockNotSet, Reason: "the clock is not set (it says " + now.Format(time.DateOnly) + ")"}
	case !g.hwm.IsZero() && now.Before(g.hwm.Add(-clockTolerance)):
		return Clock{Code: ClockBehind, Reason: "the clock went back (it says " + now.In(loc).Format("2006-01-02 15:04") +
			"; it had reached " + g.hwm.In(loc).Format("2006-01-02 15:04") + ")"}
	case !g.hwm.IsZero() && now.After(g.hwm.Add(maxClockJump)):
		return Clock{Code: ClockAhead, Reason: "the clock jumped ahead (to " + now.Format(time.DateOnly) + ", from " +
			g.hwm.Format(time.DateOnly) + "): it needs the authority's server to confirm it"}
	}
	if est, ok := g.evidence.estimate(now); ok {
		if off := now.Sub(est); off.Abs() > clockTolerance {
			return Clock{Code: ClockOffServer, Reason: fmt.Sprintf("the clock is %s %s the authority's server",
				off.Abs().Round(time.Minute), map[bool]string{true: "ahead of", false: "behind"}[off > 0])}
		}
	}
	return Clock{Trusted: true}
}

// ClockState says whether the kiosk's clock can be trusted now.
func (g *Gate) ClockState() Clock {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.clockState(g.cfg.Now())
}

// Heard takes the authority's word on the time, from a reply whose origin
// is proven. While it is fresh, a clock that disagrees with it is not
// trusted. A clock that agrees with it and is not behind the high-water
// mark raises the mark to the server's time (a kiosk back from a long
// switch-off); nothing lowers the mark.
func (g *Gate) Heard(e Evidence) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.evidence = e
	now := g.cfg.Now()
	est, ok := e.estimate(now)
	if !ok || now.Sub(est).Abs() > clockTolerance || now.Before(MinClock) {
		return nil
	}
	if !g.hwm.IsZero() && now.Before(g.hwm.Add(-clockTolerance)) {
		return nil // behind what was trusted before: nobody's word lowers it
	}
	return g.raise(est)
}

// AtLeast takes a time the authority proved has passed (a signed trust
// list's issue time): the high-water mark rises to it, so a clock behind
// it is not trusted.
func (g *Gate) AtLeast(t time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.raise(t)
}

// raise moves the high-water mark up to t, and writes it. It must be
// called with g.mu held.
func (g *Gate) raise(t time.Time) error {
	if !t.After(g.hwm) {
		return nil
	}
	g.hwm = t
	if g.cfg.DB == nil {
		return nil
	}
	if err := g.cfg.DB.AdvanceClock(t); err != nil {
		return fmt.Errorf("gate: %w", err)
	}
	g.hwmSaved = t
	return nil
}

// advanceClock raises the high-water mark as trusted time passes, writing
// it now and then. It must be called with g.mu held.
func (g *Gate) advanceClock(now time.Time) {
	if now.After(g.hwm) {
		g.hwm = now
	}
	if g.cfg.DB != nil && g.hwm.Sub(g.hwmSaved) >= hwmEvery {
		if g.cfg.DB.AdvanceClock(g.hwm) == nil {
			g.hwmSaved = g.hwm
		}
	}
}
