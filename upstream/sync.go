package upstream

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"munjigi/internal/spool"
	"munjigi/store"
)

// Syncer keeps the trust list fresh: from the server on its schedule, on
// demand, or from a file (a USB stick, for a venue with no network). A new
// list is checked whole (signature, version, dates, content), handed to
// the Holder to put in force, and stored only once it is in force;
// anything wrong with it leaves the last good list in force. The Holder,
// not the syncer, knows which list is in force.
type Syncer struct {
	c      *Client // nil: imports only
	key    *ecdsa.PublicKey
	db     *store.DB
	holder Holder
	now    func() time.Time
	plan   *Plan

	mu    sync.Mutex
	state SyncState

	// Log, when set, hears each attempt's outcome.
	Log *slog.Logger
}

// Holder owns the trust list in force.
type Holder interface {
	// Apply puts a checked list in force, or says why it cannot (the
	// list in force then stays, and nothing says otherwise).
	Apply(b *Bundle) error
	// Version is the signed list's version in force; 0 for none.
	Version() int64
}

// SyncState is how syncing goes: not which list is in force (the Holder
// knows that), but what the server last said.
type SyncState struct {
	ETag    string
	Fetched time.Time // the last time the server confirmed the list in force (200 or 304)
	LastErr error     // the last attempt's error; nil when it worked
}

// listMeta is what the store keeps beside the signed list.
type listMeta struct {
	Format  string    `json:"format"` // "jws"
	Version int64     `json:"version"`
	ETag    string    `json:"etag,omitempty"`
	Fetched time.Time `json:"fetched,omitzero"`
}

// NewSyncer builds a syncer that hands checked lists to h.
func NewSyncer(c *Client, key *ecdsa.PublicKey, db *store.DB, h Holder, now func() time.Time, r *rand.Rand) *Syncer {
	if now == nil {
		now = time.Now
	}
	return &Syncer{c: c, key: key, db: db, holder: h, now: now, plan: NewPlan(TrustSchedule, r)}
}

// SetSchedule replaces the schedule (the first fetch's spread is
// configurable); call it before Run.
func (s *Syncer) SetSchedule(sch Schedule) {
	s.plan.s = sch
}

// Load puts the stored list in force, if there is one signed by the key.
func (s *Syncer) Load() (*Bundle, error) {
	signed, meta, err := s.db.TrustList()
	if err != nil || signed == nil {
		return nil, err
	}
	var m listMeta
	if json.Unmarshal(meta, &m) != nil || m.Format != "jws" {
		return nil, nil // not a signed list (an older kiosk's): the files and the server provide
	}
	b, err := OpenStored(signed, s.key)
	if err != nil {
		return nil, fmt.Errorf("the stored trust list: %w", err)
	}
	if err := s.holder.Apply(b); err != nil {
		return nil, fmt.Errorf("the stored trust list (version %d) cannot be put in force: %w", b.Version, err)
	}
	s.mu.Lock()
	s.state.ETag, s.state.Fetched = m.ETag, m.Fetched
	s.mu.Unlock()
	return b, nil
}

// State says how syncing goes.
func (s *Syncer) State() SyncState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Sync asks the server once. changed says a new list is in force.
func (s *Syncer) Sync(ctx context.Context) (changed bool, err error) {
	defer func() { s.setErr(err) }()
	if s.c == nil {
		return false, fmt.Errorf("upstream: no server configured")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute) // a big list over a slow line
	defer cancel()
	h := http.Header{"Accept": {MediaTrustList}}
	if etag := s.State().ETag; etag != "" && s.holder.Version() > 0 {
		h.Set("If-None-Match", etag)
	}
	resp, err := s.c.stream(ctx, "GET", PathTrustList, h)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		s.mu.Lock()
		s.state.Fetched = s.now()
		s.mu.Unlock()
		return false, nil
	}
	if resp.ContentLength > MaxTrustList {
		return false, fmt.Errorf("%w: the server sends %d bytes, over the %d MiB cap", ErrList, resp.ContentLength, MaxTrustList>>20)
	}
	etag := resp.Header.Get("ETag")
	_, err = s.install(resp.Body, resp.ContentLength, etag)
	if errors.Is(err, ErrSame) {
		s.mu.Lock()
		s.state.Fetched, s.state.ETag = s.now(), etag
		s.mu.Unlock()
		return false, nil
	}
	return err == nil, err
}

// Import installs a signed list from a file, with the same checks, and
// returns it as put in force (the holder may have added to its Trust).
func (s *Syncer) Import(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	if st.Size() > MaxTrustList {
		return nil, fmt.Errorf("%w: %s is %d bytes, over the %d MiB cap", ErrList, path, st.Size(), MaxTrustList>>20)
	}
	return s.install(f, st.Size(), "")
}

// install reads a signed list from r (size bytes, when known: else 0 or
// less) and checks it as it comes (see readSigned: a bogus list is
// refused early, or costs a bounded spool, never its size in memory),
// parses it once its signature holds, puts it in force and only then
// stores it: a list that cannot be put in force is never recorded as in
// force.
//
// A genuine list costs, one after the other: nothing of it while it is
// read (a big one goes to the spool's file); its decoded payload while it
// is parsed; its signed text twice while the store writes it (the slice
// handed to bbolt, and bbolt's page buffer it is copied into at commit).
// For a list of 10,000 document signers (16 MiB signed) the process peaks
// at ~52 MiB RSS, ~42 over idle (BenchmarkPeakRSS).
func (s *Syncer) install(r io.Reader, size int64, etag string) (*Bundle, error) {
	now := s.now()
	sp := &spool.Spool{Dir: filepath.Dir(s.db.Path()), Expect: size, Memory: spoolMemory, What: "the trust list"}
	defer sp.Close()
	text, err := readSigned(r, s.key, sp)
	if err != nil {
		return nil, err
	}
	b, err := s.openSpooled(sp, text, now)
	if err != nil {
		return nil, err
	}
	if err := s.holder.Apply(b); err != nil {
		return nil, fmt.Errorf("%w: version %d cannot be put in force: %v", ErrList, b.Version, err)
	}
	signed, err := sp.Bytes()
	if err != nil {
		return nil, fmt.Errorf("storing the trust list: %w", err)
	}
	meta, _ := json.Marshal(listMeta{Format: "jws", Version: b.Version, ETag: etag, Fetched: now})
	if err := s.db.SaveTrustList(signed, meta); err != nil {
		// It is in force; the next start finds the old one and syncs.
		return nil, fmt.Errorf("storing the trust list: %w", err)
	}
	s.mu.Lock()
	s.state.ETag, s.state.Fetched = etag, now
	s.mu.Unlock()
	return b, nil
}

// openSpooled decodes and reads a checked list's payload. The payload is
// garbage once parsed. A list spooled to a file is a MiB or more (a
// national one, 16), and the Go heap would keep the pages of the payload
// and of the parse's garbage while the store's two copies of the signed
// text come on top (66 MiB peak instead of 52 for 10,000 signers), so
// they are returned to the system first: a forced collection, once a day
// at most.
func (s *Syncer) openSpooled(sp *spool.Spool, text signedText, now time.Time) (*Bundle, error) {
	payload, err := text.payload(sp)
	if err != nil {
		return nil, err
	}
	b, err := parse(payload, now, s.holder.Version(), true)
	if sp.Spooled() {
		debug.FreeOSMemory() // payload is no longer live here
	}
	return b, err
}

func (s *Syncer) setErr(err error) {
	s.mu.Lock()
	s.state.LastErr = err
	s.mu.Unlock()
	if s.Log == nil {
		return
	}
	if err != nil {
		s.Log.Warn("trust list sync", "err", err, "inForce", s.holder.Version())
	} else {
		s.Log.Info("trust list sync", "inForce", s.holder.Version())
	}
}

// Run syncs on the schedule until ctx ends: the first time at a random
// moment of the first minutes, then daily with jitter, backing off with
// full jitter after failures.
func (s *Syncer) Run(ctx context.Context) {
	runPlan(ctx, s.plan, firstSync(s.plan, s.holder.Version() != 0), func(ctx context.Context) error {
		_, err := s.Sync(ctx)
		return err
	})
}

// firstSync is the wait before a kiosk's first fetch: a random moment of
// the plan's first minutes, or none with nothing signed in force yet.
func firstSync(p *Plan, haveList bool) time.Duration {
	if !haveList {
		// Nothing signed in force yet (a new kiosk): at once. Jitter is
		// for kiosks that have a list to keep them going; a fleet with
		// none is a CDN's load (docs/national.md), not a reason for a
		// door to wait.
		return 0
	}
	return p.First()
}
