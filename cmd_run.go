package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"munjigi/demo"
	"munjigi/gate"
	"munjigi/scanner"
	"munjigi/store"
	"munjigi/upstream"
	"munjigi/verify"
)

func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("run", stderr)
	headless := fs.Bool("headless", false, "run the door without a screen: scans in, one JSON line per decision out")
	sf := scannerFlags(fs)
	dbPath := fs.String("db", "", "the database `FILE` (config store.path)")
	var trustFiles listFlag
	fs.Var(&trustFiles, "trust", "trust `FILE` as verify does; repeat to add more")
	useDemo := fs.Bool("demo", false, "trust the demo signer too")
	profile := fs.String("policy", "", "the venue rule profile `NAME`, or none (config policy.profile)")
	at := fs.String("at", "", "pin the clock to `TIME` (RFC 3339): for tests and replays")
	configPath := fs.String("config", "", "read settings from `FILE` (default ./config.yaml, then /etc/munjigi/config.yaml, when there is one)")
	venue := fs.String("venue", "", "the venue `TYPE` the rules see (config venue.type)")
	lang := fs.String("lang", "", "the kiosk's language, ko or en (config language)")
	upstreamURL := fs.String("upstream", "", "the authority's server `URL`: tokens, trust-list sync, upload (config upstream.url)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: munjigi [run] [--port DEVICE|auto] [--db FILE] [--trust FILE]... [--policy NAME] [--lang ko|en]
       munjigi run --headless [--scanner stdin|serial|file] [--port DEVICE|auto] [--baud N]
                            [--file PATH] [--db FILE] [--trust FILE]... [--policy NAME] [--at TIME]

The kiosk: the screen at the door, reading a keyboard scanner (or a serial
one with --port), in Korean or English, from config.yaml when there is one.

--headless: the door without a screen, for unattended gates and scripting:
reads scans (from standard input, one per line, by default; from a serial
scanner with --port; from a file or named pipe with --file), decides each as
the kiosk does (verify, venue rules, re-use), records it, and prints one JSON
line per decision once the entry is durable. A serial scanner may be
unplugged and plugged back in. SIGTERM finishes the scan in hand and exits.

`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	usageErr := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "munjigi run: "+format+"\n", args...)
		return exitUsage
	}
	cfg, err := loadConfig(findConfig(*configPath))
	if err != nil {
		return usageErr("%v", err)
	}
	fs.Visit(func(f *flag.Flag) {
		sf.apply(cfg, f)
		switch f.Name {
		case "db":
			cfg.Store.Path = *dbPath
		case "policy":
			cfg.Policy.Profile = *profile
		case "venue":
			cfg.Venue.Type = *venue
		case "lang":
			cfg.Language = *lang
		case "upstream":
			cfg.Upstream.URL = *upstreamURL
		}
	})
	if err := cfg.check(); err != nil {
		return usageErr("%v", err)
	}
	now, pinned := time.Now, false
	if *at != "" {
		t, err := verify.ParseTime(*at)
		if err != nil {
			return usageErr("--at: %v", err)
		}
		now, pinned = func() time.Time { return t }, true
	}
	if !*headless && !isTerminal(stdout) {
		return usageErr("the kiosk needs a terminal; use --headless to read scans from a script")
	}
	logger, logFile, err := openLog(cfg, stderr)
	if err != nil {
		return usageErr("%v", err)
	}
	defer logFile.Close()
	// Before the screen takes the terminal, messages go to stderr; after,
	// only the screen speaks (and the log file).
	d, err := openDoor(cfg, doorOptions{trustFiles: trustFiles, demoTrust: *useDemo, now: now, pinned: pinned, log: logger}, stderr)
	if err != nil {
		logger.Error("not started", "err", err)
		return usageErr("%v", err)
	}
	defer d.close()
	if *headless {
		return runHeadless(d, stdin, stdout, stderr)
	}
	return runKiosk(d, kioskOptions{}, stdin, stdout)
}

// door is the decision step with everything it stands on, as the kiosk
// and the headless mode both build it.
type door struct {
	cfg   *config
	opts  doorOptions
	db    *store.DB
	gate  *gate.Gate
	mu    sync.Mutex
	trust *verify.Trust // the trust in force; swapped when a list arrives
	gap   string        // the log was interrupted: say so first
	hooks gate.Hooks
	now   func() time.Time
	log   *slog.Logger

	// With an upstream server configured:
	client   *upstream.Client
	tokens   *upstream.Tokens
	syncer   *upstream.Syncer
	uploader *upstream.Uploader
}

type doorOptions struct {
	log        *slog.Logger // nil: no log
	trustFiles []string
	demoTrust  bool
	now        func() time.Time
	pinned     bool // the clock is pinned (--at): trust it
}

// openDoor opens the database (checked in a child first), loads the trust
// list and the rules, and builds the gate; with an upstream server, its
// token checker, trust-list syncer and uploader too (not yet running: see
// door.start).
func openDoor(cfg *config, o doorOptions, stderr io.Writer) (*door, error) {
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	db, gap, err := openStore(cfg.Store.Path, o.now(), stderr)
	if err != nil {
		return nil, err
	}
	if gap != "" {
		o.log.Error("database moved aside", "note", gap)
	}
	d := &door{cfg: cfg, opts: o, log: o.log, db: db, gap: gap, now: o.now,
		hooks: gate.Hooks{Pass: cfg.Hooks.Pass, Fail: cfg.Hooks.Fail, Manual: cfg.Hooks.Manual}}
	fail := func(err error) (*door, error) {
		db.Close()
		return nil, err
	}
	trust := verify.NewTrust()
	if list, meta, err := db.TrustList(); err == nil && list != nil && !bytes.Contains(meta, []byte(`"jws"`)) {
		// A list installed as plain JSON by an older kiosk; a signed one
		// is read by the syncer, which checks its signature.
		if err := trust.AddList(list); err != nil {
			fmt.Fprintf(stderr, "munjigi: the stored trust list cannot be read: %v\n", err)
		}
	}
	if err := d.addLocalTrust(trust); err != nil {
		return fail(err)
	}
	decider, err := cfg.decider()
	if err != nil {
		return fail(fmt.Errorf("policy: %w", err))
	}
	gcfg := gate.Config{
		Verifier: verify.New(trust, o.now), Decider: decider, DB: db, Now: o.now, ClockConfirmed: o.pinned,
		ReuseWindow: cfg.Gate.ReuseWindow, Location: cfg.location,
	}
	if cfg.Upstream.URL != "" {
		if err := d.openUpstream(stderr); err != nil {
			return fail(err)
		}
		gcfg.Tokens = d.tokens
	}
	if d.gate, err = gate.New(gcfg); err != nil {
		return fail(err)
	}
	d.trust = trust
	if d.syncer != nil {
		if _, err := d.syncer.Load(); err != nil {
			fmt.Fprintf(stderr, "munjigi: %v; the next sync replaces it\n", err)
			d.log.Warn("stored trust list refused", "err", err)
		}
	}
	t := d.trustNow()
	d.log.Info("started", "config", cfg.file, "db", cfg.Store.Path, "signers", t.Signers(), "shcIssuers", t.SHCIssuers(),
		"policy", cfg.Policy.Profile, "scanner", cfg.Scanner.Source, "upstream", cfg.Upstream.URL, "clock", d.gate.ClockState().Reason)
	return d, nil
}

// close ends the door: the database last, after whatever uses it.
func (d *door) close() {
	d.log.Info("stopped")
	d.db.Close()
}

// logDecision records a decision in the log: what it was, never whom.
func (d *door) logDecision(o gate.Outcome) {
	level := slog.LevelInfo
	if !o.Logged && o.Method != gate.MethodGap {
		level = slog.LevelError
	}
	d.log.Log(context.Background(), level, "decision", "seq", o.Seq, "verdict", o.Verdict, "method", o.Method, "format", o.Format,
		"type", o.Type, "reason", o.Reason, "clockTrusted", o.ClockTrusted, "logged", o.Logged, "logError", o.Log)
}

// addLocalTrust adds what the kiosk trusts besides the synced list: the
// configured files, --trust, the demo signer.
func (d *door) addLocalTrust(t *verify.Trust) error {
	for _, f := range append(d.cfg.Trust.Files, d.opts.trustFiles...) {
		if err := t.AddFile(f); err != nil {
			return fmt.Errorf("trust: %w", err)
		}
	}
	if d.opts.demoTrust {
		if err := t.AddList(demo.TrustList(d.now())); err != nil {
			return fmt.Errorf("demo trust list: %w", err)
		}
	}
	return nil
}

// openUpstream builds the client, the token checker, the syncer and the
// uploader.
func (d *door) openUpstream(stderr io.Writer) error {
	u := d.cfg.Upstream
	kiosk := u.KioskID
	if kiosk == "" {
		kiosk, _ = os.Hostname()
	}
	c, err := upstream.New(upstream.Config{URL: u.URL, Credential: u.Credential, Kiosk: kiosk, CAFile: u.CAFile, Now: d.now})
	if err != nil {
		return err
	}
	d.client = c
	if d.tokens, err = upstream.NewTokens(c, upstream.TokenConfig{Budget: u.TokenBudget, Patterns: u.TokenPatterns}); err != nil {
		return err
	}
	key, err := d.trustKey()
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	plan := upstream.TrustSchedule
	plan.FirstMax = u.FirstSyncMax
	d.syncer = upstream.NewSyncer(c, key, d.db, d.applyList, d.now, r)
	d.syncer.SetSchedule(plan)
	d.syncer.Log = d.log
	d.uploader = upstream.NewUploader(c, d.db, kiosk, r)
	up := upstream.UploadSchedule
	up.FirstMax, up.Every, up.Jitter = u.UploadEvery, u.UploadEvery, u.UploadEvery/6
	d.uploader.SetSchedule(up)
	d.uploader.Log = d.log
	return nil
}

// trustKey is the pinned key; a server on this machine may hand over its
// own (there is nobody in between to pin against).
func (d *door) trustKey() (*ecdsa.PublicKey, error) {
	if d.cfg.Upstream.TrustKey != "" {
		return upstream.ParseKey(d.cfg.Upstream.TrustKey)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	pem, err := d.client.TrustKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("the trust-list key of %s: %w (pin it: upstream.trust_key)", d.cfg.Upstream.URL, err)
	}
	return upstream.ParseKey(string(pem))
}

// applyList puts a checked trust list in force: its keys with the local
// ones, its rules and value sets with the venue's.
func (d *door) applyList(b *upstream.Bundle) {
	t := b.Trust
	if err := d.addLocalTrust(t); err != nil {
		return // the files were read at start; one gone now keeps the old trust
	}
	decider, err := d.cfg.deciderWith(b.Rules, b.ValueSets)
	if err != nil {
		return
	}
	if d.gate != nil {
		d.gate.SetTrust(verify.New(t, d.now), decider)
		// The list was signed at issuedAt: that time has passed.
		if !d.opts.pinned {
			d.gate.AtLeast(b.IssuedAt)
		}
	}
	d.mu.Lock()
	d.trust = t
	d.mu.Unlock()
}

// start runs the background work until ctx ends: the purge, and with an
// upstream server the trust-list sync, the upload and the clock check.
func (d *door) start(ctx context.Context) {
	go purgeLoop(ctx, d.gate, time.Duration(d.cfg.Store.RetentionDays)*24*time.Hour, d.log)
	if d.client == nil {
		return
	}
	go d.syncer.Run(ctx)
	go d.uploader.Run(ctx)
}

// trustNow is the trust in force.
func (d *door) trustNow() *verify.Trust {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.trust
}

// runHeadless is the door without a screen.
func runHeadless(d *door, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, g := d.cfg, d.gate
	if clock := g.ClockState(); !clock.Trusted {
		fmt.Fprintf(stderr, "munjigi run: %s: passes that time decides get a manual check\n", clock.Reason)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// stdout carries JSON, so the bell goes to stderr, and only when a
	// person can hear it there.
	ring := cfg.Sound.Bell && isTerminal(stderr)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	emit := func(o gate.Outcome) bool {
		if err := enc.Encode(o.Line(cfg.location)); err != nil {
			fmt.Fprintf(stderr, "munjigi run: %v\n", err)
			return false
		}
		if ring {
			bell(stderr, o.Verdict)
		}
		d.hooks.Run(o)
		d.logDecision(o)
		return true
	}
	if d.gap != "" && !emit(g.Gap(d.gap)) {
		return exitUsage
	}

	d.start(ctx)

	for s := range cfg.source(stdin, d.now).Scans(ctx) {
		var o gate.Outcome
		switch {
		case s.Kind != scanner.Read:
			// The scanner came or went: the door says so; nobody was
			// decided.
			if s.Err != nil {
				fmt.Fprintf(stderr, "munjigi run: %v; waiting for it\n", s.Err)
				d.log.Warn("scanner disconnected", "err", s.Err)
			} else {
				fmt.Fprintf(stderr, "munjigi run: scanner connected: %s\n", s.Source)
				d.log.Info("scanner connected", "source", s.Source)
			}
			continue
		case s.Err != nil:
			// Not a scan: still a moment at the door, recorded as such.
			o = g.Misread(s.Err.Error())
		default:
			o = g.Decide(s.Payload, s.At)
		}
		if !emit(o) {
			return exitUsage
		}
		// A signal is seen between scans: the one in hand is finished
		// and recorded first.
		if ctx.Err() != nil {
			break
		}
	}
	return exitOK
}

// scannerOverrides are the scanner's command-line flags.
type scannerOverrides struct {
	source, port, file *string
	baud               *int
}

func scannerFlags(fs *flag.FlagSet) scannerOverrides {
	return scannerOverrides{
		source: fs.String("scanner", "", "where scans come from: stdin, serial or file (config scanner.source)"),
		port:   fs.String("port", "", "the serial scanner's `DEVICE`, or auto (config scanner.port)"),
		baud:   fs.Int("baud", 0, "the serial scanner's baud `RATE` (config scanner.baud)"),
		file:   fs.String("file", "", "the `FILE` or named pipe to read scans from (config scanner.file)"),
	}
}

// apply sets the configuration from a flag given on the command line.
func (o scannerOverrides) apply(cfg *config, f *flag.Flag) {
	switch f.Name {
	case "scanner":
		cfg.Scanner.Source = *o.source
	case "port":
		cfg.Scanner.Port = *o.port
		if *o.source == "" {
			cfg.Scanner.Source = "serial" // --port alone says it
		}
	case "baud":
		cfg.Scanner.Baud = *o.baud
	case "file":
		cfg.Scanner.File = *o.file
		if *o.source == "" {
			cfg.Scanner.Source = "file"
		}
	}
}

// bell rings the terminal bell once for a pass, twice for a manual check
// and three times for a fail.
func bell(w io.Writer, v verify.Verdict) {
	n := map[verify.Verdict]int{verify.Pass: 1, verify.Manual: 2, verify.Fail: 3}[v]
	io.WriteString(w, strings.Repeat("\a", n))
}

// isTerminal reports whether f is a terminal: a character device that
// answers a terminal's ioctl (/dev/null is a character device too).
func isTerminal(file any) bool {
	f, ok := file.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	_, err = unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// purgeLoop keeps the log within its retention: at start and hourly, in
// small batches with pauses, so the door never waits on it.
func purgeLoop(ctx context.Context, g *gate.Gate, retention time.Duration, log *slog.Logger) {
	pause := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
			return true
		}
	}
	for {
		if n, err := g.Purge(retention, pause); err != nil {
			log.Warn("purge", "err", err, "purged", n)
		} else if n > 0 {
			log.Info("purge", "purged", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// checkTimeout bounds the integrity check of the database before start: a
// 28-day log checks in well under a second, and a damaged file can make the
// check loop. Scanning must resume within 15 s of a start.
const checkTimeout = 8 * time.Second

// openStore opens the database after checking it in a child process: a
// damaged file can crash the process that reads it, and the door must not
// be that process. A damaged file is moved aside and a fresh one started;
// the note returned says so, for the log and the screen.
func openStore(path string, now time.Time, stderr io.Writer) (*store.DB, string, error) {
	var gap string
	if _, err := os.Stat(path); err == nil {
		if err := checkInChild(path); err != nil {
			aside, merr := store.MoveAside(path, now)
			if merr != nil {
				return nil, "", merr
			}
			gap = fmt.Sprintf("the database was damaged (%v) and was moved aside to %s; a fresh log starts here", err, aside)
			fmt.Fprintf(stderr, "munjigi: %s\n", gap)
		}
	}
	db, err := store.Open(path, store.Options{})
	if errors.Is(err, store.ErrDamaged) {
		// The check passed but opening did not: the file changed, or the
		// check missed it. Move it aside all the same.
		aside, merr := store.MoveAside(path, now)
		if merr != nil {
			return nil, "", merr
		}
		gap = fmt.Sprintf("the database could not be opened (%v) and was moved aside to %s; a fresh log starts here", err, aside)
		fmt.Fprintf(stderr, "munjigi: %s\n", gap)
		db, err = store.Open(path, store.Options{})
	}
	return db, gap, err
}

// checkInChild runs 'munjigi db check FILE' and reports whether the file
// is sound. A crash or a hang of the child is a damaged file.
func checkInChild(path string) error {
	exe, err := os.Executable()
	if err != nil {
		return store.Check(path) // nowhere to run a child: check here
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, exe, "db", "check", path).CombinedOutput()
	if ctx.Err() != nil {
		return fmt.Errorf("the check did not finish in %s", checkTimeout)
	}
	if err != nil {
		// The check's own verdict is its first line; anything else is a
		// crash, whose trace helps nobody at the door.
		first, _, _ := strings.Cut(string(out), "\n")
		if strings.HasPrefix(first, "damaged: ") {
			return errors.New(verify.Sanitize(strings.TrimPrefix(first, "damaged: "), 200))
		}
		return fmt.Errorf("the check crashed (%v)", err)
	}
	return nil
}

// The screen's door.
func (d *door) Handle(s scanner.Scan) gate.Outcome {
	if s.Err != nil {
		return d.gate.Misread(s.Err.Error())
	}
	return d.gate.Decide(s.Payload, s.At)
}

func (d *door) Manual(c gate.Check, pending *gate.Outcome, staff string) gate.Outcome {
	return d.gate.Manual(c, pending, staff)
}

func (d *door) Unresolved(pending gate.Outcome) gate.Outcome { return d.gate.Unresolved(pending) }

func (d *door) ClockState() gate.Clock { return d.gate.ClockState() }
