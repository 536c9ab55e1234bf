package upstream

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"time"

	"munjigi/store"
)

// Syncer keeps the trust list fresh: from the server on its schedule, on
// demand, or from a file (a USB stick, for a venue with no network). A new
// list is checked whole (signature, version, dates, content) before it is
// stored, in one transaction, and put in force; anything wrong with it
// leaves the last good list in force.
type Syncer struct {
	c     *Client // nil: imports only
	key   *ecdsa.PublicKey
	db    *store.DB
	apply func(*Bundle)
	now   func() time.Time
	plan  *Plan
	kick  chan struct{}

	mu      sync.Mutex
	inForce TrustState

	// Log, when set, hears each attempt's outcome.
	Log *slog.Logger
}

// TrustState is the list in force.
type TrustState struct {
	Version   int64
	IssuedAt  time.Time
	ExpiresAt time.Time
	ETag      string
	Fetched   time.Time // the last time the server confirmed it (200 or 304)
	LastErr   error     // the last attempt's error; nil when it worked
}

// listMeta is what the store keeps beside the signed list.
type listMeta struct {
	Format  string    `json:"format"` // "jws"
	Version int64     `json:"version"`
	ETag    string    `json:"etag,omitempty"`
	Fetched time.Time `json:"fetched,omitzero"`
}

// NewSyncer builds a syncer. apply puts a checked list in force (it swaps
// the gate's trust); it is called from Load, Sync and Import.
func NewSyncer(c *Client, key *ecdsa.PublicKey, db *store.DB, apply func(*Bundle), now func() time.Time, r *rand.Rand) *Syncer {
	if now == nil {
		now = time.Now
	}
	return &Syncer{c: c, key: key, db: db, apply: apply, now: now, plan: NewPlan(TrustSchedule, r), kick: make(chan struct{}, 1)}
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
	s.mu.Lock()
	s.inForce = TrustState{Version: b.Version, IssuedAt: b.IssuedAt, ExpiresAt: b.ExpiresAt, ETag: m.ETag, Fetched: m.Fetched}
	s.mu.Unlock()
	s.apply(b)
	return b, nil
}

// State says which list is in force and how the last attempt went.
func (s *Syncer) State() TrustState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inForce
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
	if etag := s.State().ETag; etag != "" {
		h.Set("If-None-Match", etag)
	}
	r, err := s.c.do(ctx, "GET", PathTrustList, nil, h, MaxTrustList)
	if err != nil {
		return false, err
	}
	if r.code == http.StatusNotModified {
		s.mu.Lock()
		s.inForce.Fetched = s.now()
		s.mu.Unlock()
		return false, nil
	}
	err = s.install(r.body, r.header.Get("ETag"))
	if errors.Is(err, ErrSame) {
		s.mu.Lock()
		s.inForce.Fetched, s.inForce.ETag = s.now(), r.header.Get("ETag")
		s.mu.Unlock()
		return false, nil
	}
	return err == nil, err
}

// Import installs a signed list from a file, with the same checks.
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
	if st.Size() > MaxTrustList {
		return nil, fmt.Errorf("%w: %s is %d bytes, over the %d MiB cap", ErrList, path, st.Size(), MaxTrustList>>20)
	}
	signed, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := s.install(signed, ""); err != nil {
		return nil, err
	}
	return OpenStored(signed, s.key)
}

// install checks a list, stores it and puts it in force.
func (s *Syncer) install(signed []byte, etag string) error {
	now := s.now()
	b, err := Open(signed, s.key, now, s.State().Version)
	if err != nil {
		return err
	}
	meta, _ := json.Marshal(listMeta{Format: "jws", Version: b.Version, ETag: etag, Fetched: now})
	if err := s.db.SaveTrustList(signed, meta); err != nil {
		return fmt.Errorf("storing the trust list: %w", err)
	}
	s.mu.Lock()
	s.inForce = TrustState{Version: b.Version, IssuedAt: b.IssuedAt, ExpiresAt: b.ExpiresAt, ETag: etag, Fetched: now}
	s.mu.Unlock()
	s.apply(b)
	return nil
}

func (s *Syncer) setErr(err error) {
	s.mu.Lock()
	s.inForce.LastErr = err
	st := s.inForce
	s.mu.Unlock()
	if s.Log == nil {
		return
	}
	if err != nil {
		s.Log.Warn("trust list sync", "err", err, "inForce", st.Version)
	} else {
		s.Log.Info("trust list sync", "inForce", st.Version, "issuedAt", st.IssuedAt, "expiresAt", st.ExpiresAt)
	}
}

// Kick asks for a sync now ('munjigi trust sync' against a running kiosk
// has no way in yet; the kiosk's own start and schedule use it).
func (s *Syncer) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run syncs on the schedule until ctx ends: the first time at a random
// moment of the first minutes, then daily with jitter, backing off with
// full jitter after failures.
func (s *Syncer) Run(ctx context.Context) {
	runPlan(ctx, s.plan, firstSync(s.plan, s.State().Version != 0), s.kick, func(ctx context.Context) error {
		_, err := s.Sync(ctx)
		return err
	})
}

// firstSync is the wait before a kiosk's first fetch: a random moment of
// the plan's first minutes, or, with nothing signed in force yet (a new
// kiosk), of the first minute, still spread.
func firstSync(p *Plan, haveList bool) time.Duration {
	wait := p.First()
	if !haveList {
		wait = min(wait, p.uniform(time.Minute))
	}
	return wait
}
