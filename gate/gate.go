// Package gate is the decision step between the scanner and the screen:
// it takes a scan, verifies it, applies the venue's rules, checks whether
// the same pass was just admitted, records the entry, and returns the
// outcome. It knows nothing of terminals: the kiosk and the headless mode
// both use it, so they decide the same way.
//
// It is its own package because it is where the parts meet and where the
// door's own rules live: the clock's trust, re-use, and "nothing shown as
// accepted that was not recorded".
package gate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"munjigi/policy"
	"munjigi/store"
	"munjigi/verify"
)

// Methods of entry, as the log records them.
const (
	MethodQR            = "qr"
	MethodManualSticker = "manual-sticker"
	MethodManualSMS     = "manual-sms"
	MethodManualPaper   = "manual-paper"
	MethodExemption     = "exemption"
	MethodOverride      = "override"
	MethodGap           = "gap" // not a visitor: the log was interrupted
)

// Defaults.
const (
	DefaultReuseWindow = 2 * time.Hour
	// clockTolerance is how far the clock may step back before it is
	// distrusted: NTP corrects small drifts both ways.
	clockTolerance = 2 * time.Minute
	// maxClockJump is how far past the last trusted time the clock may be
	// found on start: a kiosk is not switched off for longer than a season.
	maxClockJump = 120 * 24 * time.Hour
	// hwmEvery is how often the clock's high-water mark is written.
	hwmEvery = time.Minute
)

// MinClock is the earliest time a kiosk's clock can honestly show: a board
// without a battery boots in 1970 or at its image's date.
var MinClock = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Config is what a Gate needs.
type Config struct {
	Verifier *verify.Verifier
	Decider  *policy.Decider // nil: no venue rules, the pass itself decides
	DB       *store.DB       // nil: nothing is logged (every outcome says so)
	Now      func() time.Time
	// ClockConfirmed trusts Now as it is: a pinned replay time, or a time
	// a person or the authority's server confirmed.
	ClockConfirmed bool
	ReuseWindow    time.Duration // 0 means DefaultReuseWindow
	Location       *time.Location
	// Tokens checks one-time tokens with the authority (package
	// upstream); nil: a token is not a pass munjigi reads.
	Tokens Tokens
}

// Tokens is what the gate needs of the authority: to tell a token from a
// pass, and to check one within its budget.
type Tokens interface {
	Match(payload []byte) bool
	Check(ctx context.Context, payload []byte) verify.Result
}

// Gate decides scans one at a time. It is safe for concurrent use; scans
// are serialised, as they are at a door.
type Gate struct {
	cfg Config
	mu  sync.Mutex

	hwm      time.Time // the latest trusted time seen
	hwmSaved time.Time
	// skew is the authority's clock minus the kiosk's, once its server
	// has answered: the one outside opinion a kiosk without a clock
	// battery gets.
	skew      time.Duration
	skewKnown bool
}

// New returns a Gate; it reads the clock's high-water mark from the
// database.
func New(cfg Config) (*Gate, error) {
	if cfg.Verifier == nil || cfg.Now == nil {
		return nil, errors.New("gate: a Verifier and a clock are required")
	}
	if cfg.ReuseWindow == 0 {
		cfg.ReuseWindow = DefaultReuseWindow
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	g := &Gate{cfg: cfg}
	if cfg.DB != nil {
		hwm, err := cfg.DB.ClockHighWater()
		if err != nil {
			return nil, fmt.Errorf("gate: %w", err)
		}
		g.hwm, g.hwmSaved = hwm, hwm
	}
	return g, nil
}

// Outcome is a decision at the door.
type Outcome struct {
	verify.Result
	Seq          uint64    // the entry's sequence number, when it was logged
	At           time.Time // when it was decided, by the kiosk's clock
	Method       string
	Logged       bool   // the entry is durable
	LogError     string // why it is not, for the screen
	ClockTrusted bool
	ReusedAt     time.Time // when the pass was last admitted, for a re-use
}

// Clock is what the kiosk knows about its clock.
type Clock struct {
	Trusted bool
	Reason  string // why not, for a person
}

// ClockState judges the clock at now. It must be called with g.mu held.
func (g *Gate) clockState(now time.Time) Clock {
	switch {
	case g.cfg.ClockConfirmed:
		return Clock{Trusted: true}
	case g.skewKnown && g.skew.Abs() > clockTolerance:
		return Clock{Reason: "the clock is " + g.skew.Abs().Round(time.Minute).String() + " off the authority's server"}
	case g.skewKnown:
		return Clock{Trusted: true} // the server agrees: whatever the clock did before
	case now.Before(MinClock):
		return Clock{Reason: "the clock is not set (it says " + now.Format(time.DateOnly) + ")"}
	case !g.hwm.IsZero() && now.Before(g.hwm.Add(-clockTolerance)):
		return Clock{Reason: "the clock went back (it says " + now.In(g.cfg.Location).Format("2006-01-02 15:04") +
			"; it had reached " + g.hwm.In(g.cfg.Location).Format("2006-01-02 15:04") + ")"}
	case !g.hwm.IsZero() && now.After(g.hwm.Add(maxClockJump)):
		return Clock{Reason: "the clock jumped ahead (to " + now.Format(time.DateOnly) + ", from " + g.hwm.Format(time.DateOnly) + "): it needs confirming"}
	}
	return Clock{Trusted: true}
}

// ClockState says whether the kiosk's clock can be trusted now.
func (g *Gate) ClockState() Clock {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.clockState(g.cfg.Now())
}

// ConfirmClock trusts the clock from now on: a person or the authority's
// server vouched for it. The high-water mark moves to now.
func (g *Gate) ConfirmClock() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Now()
	g.hwm = now
	if g.cfg.DB == nil {
		return nil
	}
	// A confirmed time may be earlier than a wrong one seen before.
	return g.cfg.DB.SetClock(now)
}

// Scan decides one scanned payload and records it. The outcome is returned
// only after the entry is durable, or with Logged false and the reason.
func (g *Gate) Scan(payload []byte) Outcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Now()
	clock := g.clockState(now)
	var res verify.Result
	token := g.cfg.Tokens != nil && g.cfg.Tokens.Match(payload)
	if token {
		// The authority decides a token, by its own clock and rules; the
		// check never outlasts its budget.
		res = g.cfg.Tokens.Check(context.Background(), payload)
	} else {
		res = g.cfg.Verifier.Verify(payload)
		if g.cfg.Decider != nil {
			res = g.cfg.Decider.Decide(res, now)
		}
	}
	o := Outcome{Result: res, At: now, Method: MethodQR, ClockTrusted: clock.Trusted}
	if !clock.Trusted && !token {
		distrustTime(&o.Result, clock.Reason)
	}
	var hash []byte
	if g.cfg.DB != nil && res.PassID != "" {
		hash = g.cfg.DB.HashPassID(res.PassID)
		if o.Verdict == verify.Pass {
			g.checkReuse(&o, hash, now)
		}
	}
	g.record(&o, store.Entry{PassHash: hash})
	if clock.Trusted {
		g.advanceClock(now)
	}
	return o
}

// ServerSkew takes the authority's clock minus the kiosk's, as its server's
// replies show it. A kiosk clock within the tolerance of it is trusted (and
// its high-water mark reset to it, as a person confirming would); one
// further off is not, whatever it did before.
func (g *Gate) ServerSkew(skew time.Duration) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.skew, g.skewKnown = skew, true
	if skew.Abs() > clockTolerance {
		return nil
	}
	now := g.cfg.Now()
	g.hwm, g.hwmSaved = now, now
	if g.cfg.DB == nil {
		return nil
	}
	return g.cfg.DB.SetClock(now)
}

// SetTrust puts a new verifier and decider in force (a new trust list and
// its rules): scans before it use the old ones, scans after it the new.
func (g *Gate) SetTrust(v *verify.Verifier, d *policy.Decider) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cfg.Verifier, g.cfg.Decider = v, d
}

// Record records a result decided before the gate saw a payload: a read
// the scanner could not frame, say.
func (g *Gate) Record(res verify.Result) Outcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Now()
	o := Outcome{Result: res, At: now, Method: MethodQR, ClockTrusted: g.clockState(now).Trusted}
	g.record(&o, store.Entry{})
	return o
}

// distrustTime turns a decision that rests on the time into a manual check
// when the clock cannot be trusted: a pass could be expired, a failure for
// expiry could be wrong.
func distrustTime(r *verify.Result, why string) {
	switch r.Reason {
	case verify.ReasonOK, verify.ReasonExpired, verify.ReasonNotYetValid, verify.ReasonSignerWindow,
		verify.ReasonRuleFailed, verify.ReasonRuleManual:
		r.Verdict, r.Reason = verify.Manual, verify.ReasonClockUntrusted
		r.Detail = why + ": check the pass by hand"
	}
}

// checkReuse turns a pass admitted within the re-use window into a manual
// check: a shared pass shows up as the same pass twice.
func (g *Gate) checkReuse(o *Outcome, hash []byte, now time.Time) {
	_, at, ok, err := g.cfg.DB.LastAdmitted(hash)
	if err != nil || !ok || at.After(now) || now.Sub(at) >= g.cfg.ReuseWindow {
		return
	}
	o.ReusedAt = at
	o.Verdict, o.Reason = verify.Manual, verify.ReasonReused
	o.Detail = "already entered at " + at.In(g.cfg.Location).Format("15:04") + " with this pass: check it is theirs"
}

// record writes the entry for o, filling in what o says.
func (g *Gate) record(o *Outcome, e store.Entry) {
	if g.cfg.DB == nil {
		o.LogError = "not logged: no database"
		return
	}
	e.At, e.ClockTrusted, e.Verdict, e.Method = o.At, o.ClockTrusted, string(o.Verdict), o.Method
	e.Format, e.Type, e.Reason = string(o.Format), string(o.Type), string(o.Reason)
	e.Admitted = o.Verdict == verify.Pass
	seq, err := g.cfg.DB.Append(e)
	if err != nil {
		o.LogError = "not logged: " + logProblem(err)
		return
	}
	o.Seq, o.Logged = seq, true
}

// logProblem says why an entry was not written, for the person at the door.
func logProblem(err error) string {
	if errors.Is(err, store.ErrFull) {
		return "the disk is full"
	}
	return "the database cannot be written (" + err.Error() + ")"
}

// advanceClock raises the high-water mark, writing it now and then.
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

// Manual records a manual check: how staff checked the visitor, whether
// they were admitted, who checked (may be empty), and why.
func (g *Gate) Manual(method string, admitted bool, staff, reason string) Outcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Now()
	clock := g.clockState(now)
	v := verify.Fail
	if admitted {
		v = verify.Pass
	}
	o := Outcome{At: now, Method: method, ClockTrusted: clock.Trusted}
	o.Verdict, o.Reason, o.Detail = v, verify.Reason(reason), "checked by hand ("+method+")"
	g.record(&o, store.Entry{Staff: staff})
	return o
}

// Gap records that the log was interrupted, with what happened: the door
// shows it and a tracer reading the export sees it.
func (g *Gate) Gap(note string) Outcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Now()
	o := Outcome{At: now, Method: MethodGap, ClockTrusted: g.clockState(now).Trusted}
	o.Verdict, o.Reason, o.Detail = verify.Manual, "log-gap", note
	g.record(&o, store.Entry{Note: note})
	return o
}

// Purge deletes entries older than the retention period, a small batch at
// a time so scans are never held up, and only while the clock is trusted:
// a clock that jumped ahead would otherwise erase the log. It returns how
// many it deleted, or why it did nothing.
func (g *Gate) Purge(retention time.Duration, pause func() bool) (int, error) {
	if g.cfg.DB == nil {
		return 0, nil
	}
	total := 0
	for {
		g.mu.Lock()
		now := g.cfg.Now()
		clock := g.clockState(now)
		g.mu.Unlock()
		if !clock.Trusted {
			return total, fmt.Errorf("gate: not purging: %s", clock.Reason)
		}
		// Between batches the lock is free: a scan goes first.
		n, more, err := g.cfg.DB.Purge(now.Add(-retention))
		total += n
		if err != nil || !more || !pause() {
			return total, err
		}
	}
}
