package door

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"munjigi/config"
	"munjigi/demo"
	"munjigi/gate"
	"munjigi/internal/words"
	"munjigi/store"
	"munjigi/upstream"
	"munjigi/verify"
)

// Trust owns the trust list in force: what the gate verifies with, and
// what the status line, 'munjigi doctor' and 'munjigi trust show' report.
// A new list (sync, import) is checked by the syncer, applied here (its
// keys with the local files', its rules with the venue's), and only once
// the gate uses it is it in force; a list that fails to apply leaves the
// old one in force and nothing says otherwise.
type Trust struct {
	cfg   *config.Config
	files []string // trust files besides the list: configured and --trust
	demo  bool
	now   func() time.Time

	gate   *gate.Gate // nil for readers (doctor, trust show)
	pinned bool

	mu      sync.Mutex
	inForce InForce
}

// InForce is the trust in force.
type InForce struct {
	Trust *verify.Trust // every key trusted: the signed list's and the files'
	// Signed is the signed list in force; Version 0 when none.
	Signed ListInfo
	// Files are the trust files read besides the list.
	Files []string
}

// ListInfo describes a signed trust list.
type ListInfo struct {
	Version   int64
	IssuedAt  time.Time
	ExpiresAt time.Time
	Signers   int // its document signer keys
	Issuers   int // its SMART Health Card issuers
	Revoked   int
	Rules     int
	ValueSets int
}

// IssuedAt and ExpiresAt are the dates of what is in force: the signed
// list's, else the files' (zero when undated).
func (in InForce) IssuedAt() time.Time {
	if in.Signed.Version > 0 {
		return in.Signed.IssuedAt
	}
	return in.Trust.IssuedAt
}

// ExpiresAt: see IssuedAt.
func (in InForce) ExpiresAt() time.Time {
	if in.Signed.Version > 0 {
		return in.Signed.ExpiresAt
	}
	return in.Trust.ExpiresAt
}

// Keys is the number of signing keys and issuers trusted.
func (in InForce) Keys() int { return in.Trust.Signers() + in.Trust.SHCIssuers() }

var _ upstream.Holder = (*Trust)(nil)

func newTrust(cfg *config.Config, extra []string, demoTrust bool, now func() time.Time) *Trust {
	return &Trust{cfg: cfg, files: append(append([]string(nil), cfg.Trust.Files...), extra...), demo: demoTrust, now: now}
}

// NewReader is the trust owner of a command that reports what a door
// trusts (doctor, trust show): it reads the files and the stored list as
// the door would, and puts nothing in force anywhere.
func NewReader(cfg *config.Config, db *store.DB) (*Trust, error) {
	t := newTrust(cfg, nil, false, time.Now)
	_, err := t.initial(db)
	return t, err
}

// initial reads the trust a door starts with: the local files (and the
// demo signer), and a list stored unsigned by an older kiosk. A signed
// list joins once the syncer has checked it (Apply).
func (t *Trust) initial(db *store.DB) (*verify.Trust, error) {
	tr := verify.NewTrust()
	if err := t.addLocal(tr); err != nil {
		return nil, err
	}
	// A signed list is the syncer's to read (it checks the signature);
	// only a plain one an older kiosk stored is read here. The metadata
	// says which, without copying a national list to find out.
	if db != nil {
		if meta, err := db.TrustListMeta(); err == nil && !bytes.Contains(meta, []byte(`"jws"`)) {
			if list, _, err := db.TrustList(); err == nil && list != nil {
				if err := tr.AddList(list); err != nil {
					return nil, fmt.Errorf("the stored trust list cannot be read: %w", err)
				}
			}
		}
	}
	t.mu.Lock()
	t.inForce = InForce{Trust: tr, Files: t.files}
	t.mu.Unlock()
	return tr, nil
}

// addLocal adds what the kiosk trusts besides the signed list to tr: the
// files (read again each time, so a list applied later sees them as they
// are), and the demo signer when asked.
func (t *Trust) addLocal(tr *verify.Trust) error {
	for _, f := range t.files {
		if err := AddTrustFile(tr, f); err != nil {
			return words.New(words.TrustFilesBad, err)
		}
	}
	if t.demo {
		if err := tr.AddList(demo.TrustList(t.now())); err != nil {
			return fmt.Errorf("demo trust list: %w", err)
		}
	}
	return nil
}

// AddTrustFile reads a trust file (a munjigi trust list, PEM or DER
// certificates) into tr, refusing one over the cap before reading it.
func AddTrustFile(tr *verify.Trust, path string) error {
	data, err := readTrustFile(path)
	if err != nil {
		return err
	}
	return tr.AddSource(path, data)
}

// readTrustFile reads a trust file, refusing one over the cap before
// reading it.
func readTrustFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case st.IsDir():
		return nil, words.New(words.TrustFileDir, path)
	case st.Size() > verify.MaxTrustFile:
		return nil, words.Wrap(verify.ErrTrust, words.TrustFileTooBig, path, int(st.Size()>>20), verify.MaxTrustFile>>20)
	case st.Size() == 0:
		return nil, words.New(words.TrustFileEmpty, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, verify.MaxTrustFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > verify.MaxTrustFile {
		return nil, words.Wrap(verify.ErrTrust, words.TrustFileGrew, path, verify.MaxTrustFile>>20)
	}
	return data, nil
}

// attach makes the trust the gate's: lists applied from now on are put in
// force there.
func (t *Trust) attach(g *gate.Gate, pinned bool) {
	t.mu.Lock()
	t.gate, t.pinned = g, pinned
	t.mu.Unlock()
}

// Apply puts a checked signed list in force: its keys with the local
// files', its rules and value sets with the venue's. If anything of it
// cannot be had (a trust file gone, a venue rule that no longer reads),
// the list in force stays and the error says why.
func (t *Trust) Apply(b *upstream.Bundle) error {
	info := ListInfo{
		Version: b.Version, IssuedAt: b.IssuedAt, ExpiresAt: b.ExpiresAt,
		Signers: b.Trust.Signers(), Issuers: b.Trust.SHCIssuers(), Revoked: b.Trust.Revoked(),
		Rules: len(b.Rules), ValueSets: len(b.ValueSets),
	}
	tr := b.Trust
	if err := t.addLocal(tr); err != nil {
		return err
	}
	decider, err := t.cfg.Decider(b.Rules, b.ValueSets)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gate != nil {
		t.gate.SetTrust(verify.New(tr, t.now), decider)
		// The list was signed at issuedAt: that time has passed.
		if !t.pinned {
			t.gate.AtLeast(b.IssuedAt)
		}
	}
	t.inForce = InForce{Trust: tr, Files: t.files, Signed: info}
	return nil
}

// Version is the signed list's version in force; 0 for none.
func (t *Trust) Version() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.inForce.Signed.Version
}

// InForce is the trust in force now.
func (t *Trust) InForce() InForce {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.inForce
}

// ReadTrust is what a door on db would have in force: the files, and the
// stored signed list checked with the authority's key (pinned, or asked of
// a server on this machine). For commands that report (doctor, trust
// show) without a door running.
func ReadTrust(cfg *config.Config, db *store.DB) (InForce, upstream.SyncState, error) {
	t, err := NewReader(cfg, db)
	if err != nil {
		return InForce{}, upstream.SyncState{}, err
	}
	key, err := TrustKey(cfg)
	if err != nil && cfg.Upstream.TrustKey == "" && config.Loopback(cfg.Upstream.URL) {
		// A server on this machine that does not answer: the door starts
		// without its list, and so does this report.
		err = nil
	}
	if err != nil || key == nil {
		return t.InForce(), upstream.SyncState{}, err
	}
	s := upstream.NewSyncer(nil, key, db, t, time.Now, nil)
	if _, err := s.Load(); err != nil {
		return t.InForce(), s.State(), err
	}
	return t.InForce(), s.State(), nil
}

// TrustKey is the authority's trust-list key: pinned (upstream.trust_key),
// or handed over by a server on this machine. nil without a server.
func TrustKey(cfg *config.Config) (*ecdsa.PublicKey, error) {
	u := cfg.Upstream
	switch {
	case u.TrustKey != "":
		return upstream.ParseKey(u.TrustKey)
	case u.URL == "":
		return nil, nil
	case !config.Loopback(u.URL):
		return nil, fmt.Errorf("no trust-list key to check the list with: pin it (upstream.trust_key, or --key)")
	}
	c, err := upstream.New(upstream.Config{URL: u.URL, Credential: u.Credential, Kiosk: u.KioskID, CAFile: u.CAFile})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	pem, err := c.TrustKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("the trust-list key of %s: %w", u.URL, err)
	}
	return upstream.ParseKey(string(pem))
}

// DescribeTrust writes what is trusted, for a person: the signed list in
// force (fresh, stale or expired at now) and each trust file.
func DescribeTrust(w io.Writer, cfg *config.Config, in InForce, st upstream.SyncState, now time.Time) error {
	loc := cfg.Location
	if b := in.Signed; b.Version == 0 {
		fmt.Fprintln(w, "signed trust list: none installed")
	} else {
		fmt.Fprintf(w, "signed trust list: version %d, issued %s, expires %s (%s)\n", b.Version,
			b.IssuedAt.In(loc).Format("2006-01-02 15:04"), b.ExpiresAt.In(loc).Format("2006-01-02 15:04"), Freshness(in, cfg.Upstream.StaleAfter, now))
		fmt.Fprintf(w, "  %d document signer keys, %d SMART Health Card issuers, %d revoked passes, %d rules, %d value sets\n",
			b.Signers, b.Issuers, b.Revoked, b.Rules, b.ValueSets)
		if !st.Fetched.IsZero() {
			fmt.Fprintf(w, "  last confirmed by the server %s\n", st.Fetched.In(loc).Format("2006-01-02 15:04"))
		}
	}
	for _, f := range in.Files {
		t := verify.NewTrust()
		if err := AddTrustFile(t, f); err != nil {
			fmt.Fprintf(w, "file %s: %v\n", f, err)
			continue
		}
		fmt.Fprintf(w, "file %s: %d document signer keys, %d SMART Health Card issuers\n", f, t.Signers(), t.SHCIssuers())
	}
	return nil
}

// Freshness says how the trust in force stands at now: "none", "fresh",
// "stale" (older than staleAfter), "EXPIRED" or "undated".
func Freshness(in InForce, staleAfter time.Duration, now time.Time) string {
	issued, expires := in.IssuedAt(), in.ExpiresAt()
	switch {
	case in.Keys() == 0:
		return "none"
	case !expires.IsZero() && !now.Before(expires):
		return "EXPIRED"
	case issued.IsZero():
		return "undated"
	case now.Sub(issued) > staleAfter:
		return "stale"
	}
	return "fresh"
}
