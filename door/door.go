// Package door is the running door: it opens the entry log, the trust
// list in force and the authority's client, owns every background loop
// (retention, trust-list sync, upload), and is where a scan comes in
// (Handle) and where a decision goes out (Announce). The kiosk's screen
// and the headless door are two faces of one Door, so they decide, record
// and announce the same way.
//
// The path of one scan: scanner → Door.Handle → gate (verify, venue rules,
// re-use, record) → the screen or the headless line → Door.Announce (bell,
// hooks, log).
package door

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"munjigi/config"
	"munjigi/gate"
	"munjigi/internal/words"
	"munjigi/policy"
	"munjigi/scanner"
	"munjigi/store"
	"munjigi/upstream"
	"munjigi/verify"
)

// Options are what a Door is opened with besides its configuration.
type Options struct {
	Config *config.Config
	// TrustFiles are trusted besides the configured ones (--trust).
	TrustFiles []string
	// DemoTrust trusts the demo signer too.
	DemoTrust bool
	// Now is the door's clock (nil: time.Now); Pinned trusts it as it is
	// (a replay with --at).
	Now    func() time.Time
	Pinned bool
	// Log hears what the door does (nil: nothing).
	Log *slog.Logger
	// Notice is where a person reads what happened at start (standard
	// error, before a screen takes the terminal); nil: nowhere.
	Notice io.Writer
	// Lang is the language of the notices (zero: the configuration's).
	Lang words.Lang
	// Bell is where the terminal bell rings after a decision; nil: no
	// bell.
	Bell io.Writer
	// NoReports does not serve reports to other munjigi commands (a door
	// on a temporary database, like the demo's).
	NoReports bool
}

// Door is an open door.
type Door struct {
	cfg   *config.Config
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	db    *store.DB // nil when no database could be had: every outcome says NOT LOGGED
	gate  *gate.Gate
	trust *Trust
	hooks gate.Hooks
	// start is what the door says first: the log was interrupted, or it
	// cannot be written (in English: it is recorded).
	start []string
	// dbProblem is why there is no writable log, for doctor and the log.
	dbProblem string

	// With an upstream server configured:
	client   *upstream.Client
	tokens   *upstream.Tokens
	syncer   *upstream.Syncer
	uploader *upstream.Uploader
	rand     *rand.Rand
	reports  *reportServer
	profile  *policy.Profile // the venue's rules at start; nil for none

	mu     sync.Mutex
	keyErr error // the trust-list key is not known yet
}

// Open opens the door: the database (checked in a child first; a damaged
// file is moved aside, a file in use is refused, a read-only one is read),
// the trust in force, the venue's rules, the gate, and with an upstream
// server its client, token checker, syncer and uploader. Nothing runs in
// the background until Run.
func Open(o Options) (*Door, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Notice == nil {
		o.Notice = io.Discard
	}
	cfg := o.Config
	d := &Door{cfg: cfg, opts: o, log: o.Log, now: o.Now,
		hooks: gate.Hooks{Pass: cfg.Hooks.Pass, Fail: cfg.Hooks.Fail, Manual: cfg.Hooks.Manual}}
	db, notes, err := openStore(cfg.Store.Path, o.Now(), o.Log)
	if err != nil {
		return nil, err
	}
	d.db = db
	if o.Lang == "" {
		o.Lang, _ = words.Parse(cfg.Language)
	}
	for _, n := range notes {
		d.start = append(d.start, n.In(words.English))
		fmt.Fprintf(o.Notice, "munjigi: %s\n", n.In(o.Lang))
	}
	if db == nil || db.ReadOnly() {
		d.dbProblem = strings.Join(d.start, "; ")
	}
	fail := func(err error) (*Door, error) {
		if db != nil {
			db.Close()
		}
		return nil, err
	}
	decider, err := cfg.Decider(nil, nil)
	if err != nil {
		return fail(words.New(words.PolicyBad, err))
	}
	d.trust = newTrust(cfg, o.TrustFiles, o.DemoTrust, o.Now)
	initial, err := d.trust.initial(db)
	if err != nil {
		return fail(err)
	}
	gcfg := gate.Config{
		Verifier: verify.New(initial, o.Now), Decider: decider, DB: db, Now: o.Now, ClockConfirmed: o.Pinned,
		ReuseWindow: cfg.Gate.ReuseWindow, Location: cfg.Location, TokenBudget: cfg.Upstream.TokenBudget,
	}
	if cfg.Upstream.URL != "" {
		if err := d.openUpstream(); err != nil {
			return fail(err)
		}
		gcfg.Tokens = d.tokens
	}
	if d.gate, err = gate.New(gcfg); err != nil {
		return fail(err)
	}
	d.trust.attach(d.gate, o.Pinned)
	if d.syncer != nil { // with a pinned key; else once the server hands it over
		if _, err := d.syncer.Load(); err != nil {
			fmt.Fprintf(o.Notice, "munjigi: %s\n", words.Tell(o.Lang, words.StoredListBad, err))
			d.log.Warn("stored trust list refused", "err", err)
		}
	}
	if db != nil && !db.ReadOnly() && !o.NoReports {
		if d.reports, err = listenReports(d); err != nil {
			// Reports then need the door stopped: a nuisance, not a
			// reason to keep the door shut.
			d.log.Warn("reports socket", "err", err)
		}
	}
	in := d.trust.InForce()
	d.log.Info("started", "config", cfg.File, "db", cfg.Store.Path, "signers", in.Trust.Signers(), "shcIssuers", in.Trust.SHCIssuers(),
		"policy", cfg.Policy.Profile, "scanner", cfg.Scanner.Source, "upstream", cfg.Upstream.URL, "clock", d.gate.ClockState().Code)
	return d, nil
}

// openUpstream builds the client, the token checker, the syncer and the
// uploader. A server that cannot be reached never keeps the door shut:
// without the trust-list key the door decides signed passes with what it
// has and says the key is not yet known.
func (d *Door) openUpstream() error {
	u := d.cfg.Upstream
	kiosk := u.KioskID
	if kiosk == "" {
		kiosk, _ = os.Hostname()
	}
	onTime := func(at, heard time.Time) {
		if d.opts.Pinned || d.gate == nil {
			return
		}
		before := d.gate.ClockState()
		d.gate.Heard(gate.Evidence{At: at, Heard: heard})
		if after := d.gate.ClockState(); after != before {
			d.log.Warn("clock", "trusted", after.Trusted, "code", after.Code, "reason", after.Reason)
		}
	}
	c, err := upstream.New(upstream.Config{URL: u.URL, Credential: u.Credential, Kiosk: kiosk, CAFile: u.CAFile, Now: d.now, OnTime: onTime})
	if err != nil {
		return err
	}
	d.client = c
	if d.tokens, err = upstream.NewTokens(c, upstream.TokenConfig{Budget: u.TokenBudget, Patterns: u.TokenPatterns}); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	if d.db != nil && !d.db.ReadOnly() {
		d.uploader = upstream.NewUploader(c, d.db, kiosk, r)
		up := upstream.UploadSchedule
		up.FirstMax, up.Every, up.Jitter = u.UploadEvery, u.UploadEvery, u.UploadEvery/6
		d.uploader.SetSchedule(up)
		d.uploader.Log = d.log
	}
	d.rand = r
	if d.db == nil {
		return nil // nowhere to keep a list: the files decide
	}
	if u.TrustKey == "" {
		// A server on this machine hands over its own key. It answers in
		// a moment when it is up, and the stored list is then in force
		// from the first scan; when it is down, asking again is Run's
		// work: a server that is down never keeps the door shut.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		pem, err := c.TrustKey(ctx)
		cancel()
		var key *ecdsa.PublicKey
		if err == nil {
			key, err = upstream.ParseKey(string(pem))
		}
		if err != nil {
			d.keyErr = errKeyNotYet
			d.log.Warn("trust-list key", "err", err)
			return nil
		}
		d.newSyncer(key)
		return nil
	}
	key, err := upstream.ParseKey(u.TrustKey)
	if err != nil {
		return err // config.Check read it: the file changed since
	}
	d.newSyncer(key)
	return nil
}

// errKeyNotYet: the trust-list key comes from the server, which has not
// been asked yet.
var errKeyNotYet = errors.New("the trust-list key is not known yet")

func (d *Door) newSyncer(key *ecdsa.PublicKey) {
	plan := upstream.TrustSchedule
	plan.FirstMax = d.cfg.Upstream.FirstSyncMax
	s := upstream.NewSyncer(d.client, key, d.db, d.trust, d.now, d.rand)
	s.SetSchedule(plan)
	s.Log = d.log
	d.mu.Lock()
	d.syncer, d.keyErr = s, nil
	d.mu.Unlock()
}

// fetchKey asks a server on this machine for its trust-list key until it
// answers, backing off, then loads the stored list and syncs (issue 14:
// the door starts whatever the server does).
func (d *Door) fetchKey(ctx context.Context) {
	plan := upstream.NewPlan(upstream.Schedule{Base: 2 * time.Second, Cap: 5 * time.Minute}, d.rand)
	for {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		pem, err := d.client.TrustKey(cctx)
		cancel()
		var key *ecdsa.PublicKey
		if err == nil {
			key, err = upstream.ParseKey(string(pem))
		}
		if err == nil {
			d.newSyncer(key)
			if _, err := d.syncer.Load(); err != nil {
				d.log.Warn("stored trust list refused", "err", err)
			}
			d.syncer.Run(ctx)
			return
		}
		d.mu.Lock()
		d.keyErr = fmt.Errorf("the trust-list key of %s is not known yet: %w", d.cfg.Upstream.URL, err)
		d.mu.Unlock()
		d.log.Warn("trust-list key", "err", err)
		t := time.NewTimer(plan.Failed(0))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Run does the door's background work until ctx ends, and returns only
// when all of it has stopped: the retention purge, and with an upstream
// server the trust-list sync and the upload (the server's time arrives
// with its replies). Close the door after Run returns.
func (d *Door) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { d.purge(ctx); return nil })
	switch {
	case d.syncer != nil:
		g.Go(func() error { d.syncer.Run(ctx); return nil })
	case d.client != nil && d.db != nil && !d.db.ReadOnly():
		g.Go(func() error { d.fetchKey(ctx); return nil })
	}
	if d.uploader != nil {
		g.Go(func() error { d.uploader.Run(ctx); return nil })
	}
	if d.reports != nil {
		g.Go(func() error { return d.reports.serve(ctx) })
	}
	return g.Wait()
}

// purge keeps the log within its retention: at start and hourly, in small
// batches with pauses, so the door never waits on it.
func (d *Door) purge(ctx context.Context) {
	if d.db == nil || d.db.ReadOnly() {
		return
	}
	retention := time.Duration(d.cfg.Store.RetentionDays) * 24 * time.Hour
	pause := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
			return true
		}
	}
	for {
		if n, err := d.gate.Purge(retention, pause); err != nil {
			d.log.Warn("purge", "err", err, "purged", n)
		} else if n > 0 {
			d.log.Info("purge", "purged", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// Close closes the door, the database last. Call it after Run returned.
func (d *Door) Close() error {
	d.log.Info("stopped")
	if d.reports != nil {
		d.reports.close()
	}
	if d.db == nil {
		return nil
	}
	return d.db.Close()
}

// Start records and returns what the door must say first: a gap in the
// log (the database was damaged and moved aside), or that it cannot be
// written. nil when there is nothing to say.
func (d *Door) Start() *gate.Outcome {
	if len(d.start) == 0 {
		return nil
	}
	o := d.gate.Gap(strings.Join(d.start, "; "))
	d.start = nil
	return &o
}

// Handle decides a scan (or records a misread) and returns once the
// outcome is recorded: the one entry for a scan.
func (d *Door) Handle(s scanner.Scan) gate.Outcome {
	if s.Err != nil {
		return d.gate.Misread(s.Err.Error())
	}
	return d.gate.Decide(s.Payload, s.At)
}

// Manual records a check by hand; pending is the verdict it settles.
func (d *Door) Manual(c gate.Check, pending *gate.Outcome, staff string) gate.Outcome {
	return d.gate.Manual(c, pending, staff)
}

// Unresolved records that staff left a verdict that waited for them; it
// is logged, with no bell and no hook (nobody was decided).
func (d *Door) Unresolved(pending gate.Outcome) gate.Outcome {
	o := d.gate.Unresolved(pending)
	d.logOutcome(o)
	return o
}

// ClockState says whether the door's clock is trusted.
func (d *Door) ClockState() gate.Clock { return d.gate.ClockState() }

// Announce is what happens after a decision is shown: the bell, the
// hooks, the log. The kiosk and the headless door both call it.
func (d *Door) Announce(o gate.Outcome) {
	if d.opts.Bell != nil && d.cfg.Sound.Bell {
		bell(d.opts.Bell, o.Verdict)
	}
	d.hooks.Run(o)
	d.logOutcome(o)
}

// logOutcome records a decision in the log: what it was, never whom.
func (d *Door) logOutcome(o gate.Outcome) {
	level := slog.LevelInfo
	if !o.Logged && o.Method != gate.MethodGap {
		level = slog.LevelError
	}
	d.log.Log(context.Background(), level, "decision", "seq", o.Seq, "verdict", o.Verdict, "method", o.Method,
		"format", o.Format, "type", o.Type, "reason", gate.KnownReason(o.Reason), "clockTrusted", o.ClockTrusted,
		"logged", o.Logged, "logError", o.Log, "resolves", o.Resolves)
}

// bell rings the terminal bell once for a pass, twice for a manual check
// and three times for a fail.
func bell(w io.Writer, v verify.Verdict) {
	n := map[verify.Verdict]int{verify.Pass: 1, verify.Manual: 2, verify.Fail: 3}[v]
	io.WriteString(w, strings.Repeat("\a", n))
}

// DB is the entry log (nil when the door has none): the screen reads the
// day's counts and the latest entries from it once, at start.
func (d *Door) DB() *store.DB { return d.db }

// Trust is the owner of the trust list in force.
func (d *Door) Trust() *Trust { return d.trust }

// Profile is the venue's rule profile the door started with (the
// screen names it and words its rules); nil when the venue has none.
func (d *Door) Profile() *policy.Profile { return d.profile }

// Now is the door's clock.
func (d *Door) Now() time.Time { return d.now() }

// Config is the door's configuration.
func (d *Door) Config() *config.Config { return d.cfg }

// Status is what may change while the door runs.
type Status struct {
	InForce InForce
	// Upstream is the zero value when no server is configured.
	Upstream UpstreamStatus
}

// UpstreamStatus is what the door knows of the authority's server.
type UpstreamStatus struct {
	Configured  bool
	Asked       bool // a call has been made since start
	Online      bool // the last call worked
	BreakerOpen bool // token scans go to a manual check without a call
	KeyUnknown  bool // the trust-list key could not be had: no sync
}

// Status says how the door stands; it does not block.
func (d *Door) Status() Status {
	s := Status{InForce: d.trust.InForce()}
	if d.client != nil {
		h := d.client.Health()
		d.mu.Lock()
		keyUnknown := d.keyErr != nil
		d.mu.Unlock()
		s.Upstream = UpstreamStatus{Configured: true, Asked: h.Asked, Online: h.LastErr == nil && !h.LastOK.IsZero(),
			BreakerOpen: d.tokens.Open(), KeyUnknown: keyUnknown}
	}
	return s
}

var _ gate.Tokens = (*upstream.Tokens)(nil)
