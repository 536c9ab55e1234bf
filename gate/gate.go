// Package gate is the decision step between the scanner and the screen:
// it takes a scan, verifies it, applies the venue's rules, checks whether
// the same pass was just admitted, records the entry, and returns the
// outcome. It knows nothing of terminals: the kiosk and the headless door
// both use it, so they decide the same way. It returns codes (verdict
// reasons, clock states, log failures, methods), never sentences for a
// person: the screen words them in the venue's language.
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
	"syscall"
	"time"

	"munjigi/policy"
	"munjigi/store"
	"munjigi/verify"
)

// DefaultReuseWindow is how long an admitted pass is remembered: the same
// pass again within it is checked by hand.
const DefaultReuseWindow = 2 * time.Hour

// ReasonLogGap is the reason of a gap entry: the log was interrupted.
const ReasonLogGap verify.Reason = "log-gap"

// writeReserve is the part of a token's budget kept for writing its
// entry: the visitor's wait is the check and the write together.
const writeReserve = 200 * time.Millisecond

// Config is what a Gate needs.
type Config struct {
	Verifier *verify.Verifier
	Decider  *policy.Decider // nil: no venue rules, the pass itself decides
	DB       *store.DB       // nil: nothing is logged (every outcome says so)
	Now      func() time.Time
	// ClockConfirmed trusts Now as it is: a pinned replay time.
	ClockConfirmed bool
	ReuseWindow    time.Duration // 0 means DefaultReuseWindow
	Location       *time.Location
	// Tokens checks one-time tokens with the authority (package
	// upstream); nil: a token is not a pass munjigi reads.
	Tokens Tokens
	// TokenBudget is the visitor's longest wait for a token scan, from
	// the scan to the recorded verdict (0: 1.5 s).
	TokenBudget time.Duration
}

// Tokens is what the gate needs of the authority: to tell a token from a
// pass, and to check one by a deadline.
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
	evidence Evidence // the authority's last word on the time
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
	if cfg.TokenBudget <= 0 {
		cfg.TokenBudget = 1500 * time.Millisecond
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

// Decide decides one scanned payload that arrived at arrived (zero: now)
// and records it. The outcome is returned only after the entry is
// durable, or with Logged false and the reason. A token scan's whole
// answer, write included, is due within the token budget from arrival.
func (g *Gate) Decide(payload []byte, arrived time.Time) Outcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Now()
	clock := g.clockState(now)
	var res verify.Result
	var deadline time.Time
	token := g.cfg.Tokens != nil && g.cfg.Tokens.Match(payload)
	if token {
		// The authority decides a token, by its own clock and rules,
		// inside the visitor's budget less the time the write needs.
		start := arrived
		if start.IsZero() || start.After(time.Now()) {
			start = time.Now()
		}
		deadline = start.Add(g.cfg.TokenBudget)
		ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(-writeReserve))
		res = g.cfg.Tokens.Check(ctx, payload)
		cancel()
	} else {
		res = g.cfg.Verifier.Verify(payload)
		if g.cfg.Decider != nil {
			res = g.cfg.Decider.Decide(res, now)
		}
	}
	o := Outcome{Result: res, At: now, Method: MethodQR, ClockTrusted: clock.Trusted, Clock: clock.Code, Deadline: deadline}
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
	g.record(&o, hash)
	if clock.Trusted {
		g.advanceClock(now)
	}
	return o
}

// SetTrust puts a new verifier and decider in force (a new trust list and
// its rules): scans before it use the old ones, scans after it the new.
func (g *Gate) SetTrust(v *verify.Verifier, d *policy.Decider) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cfg.Verifier, g.cfg.Decider = v, d
}

// Misread records a read the scanner could not frame (cut off, far too
// long): the visitor is asked to scan again.
func (g *Gate) Misread(why string) Outcome {
	return g.recordResult(verify.Misread(why))
}

// recordResult records a result decided before the gate saw a payload.
func (g *Gate) recordResult(res verify.Result) Outcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Now()
	clock := g.clockState(now)
	o := Outcome{Result: res, At: now, Method: MethodQR, ClockTrusted: clock.Trusted, Clock: clock.Code}
	g.record(&o, nil)
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

// record writes the entry for o, filling in what o says. It must be called
// with g.mu held.
func (g *Gate) record(o *Outcome, passHash []byte) {
	if g.cfg.DB == nil {
		o.Log, o.LogDetail = LogNoDatabase, "no database"
		return
	}
	seq, err := g.cfg.DB.Append(o.Entry(passHash))
	if err != nil {
		o.Log, o.LogDetail = logCode(err), err.Error()
		return
	}
	o.Seq, o.Logged = seq, true
}

// logCode names why a write failed.
func logCode(err error) LogCode {
	switch {
	case errors.Is(err, store.ErrFull):
		return LogFull
	case errors.Is(err, store.ErrReadOnly), errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return LogReadOnly
	}
	return LogFailed
}

// Gap records that the log was interrupted, with what happened: the door
// shows it and a tracer reading the export sees it.
func (g *Gate) Gap(note string) Outcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Now()
	clock := g.clockState(now)
	o := Outcome{At: now, Method: MethodGap, ClockTrusted: clock.Trusted, Clock: clock.Code, Note: note}
	o.Verdict, o.Reason, o.Detail = verify.Manual, ReasonLogGap, note
	g.record(&o, nil)
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
