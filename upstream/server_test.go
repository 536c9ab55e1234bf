package upstream_test

// The kiosk's side against the authority's real server (package
// authority, on its bbolt store), over loopback HTTP. These are external
// tests: the server imports this package's protocol types.

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"munjigi/authority"
	"munjigi/demo"
	"munjigi/store"
	"munjigi/upstream"
	"munjigi/verify"
)

// mintCredential is the test servers' minting credential.
const mintCredential = "upstream-test-minting-credential"

// refServer is the authority's server on loopback, counting the calls it
// gets by path.
type refServer struct {
	*authority.Server
	dir   string
	http  *httptest.Server
	mu    sync.Mutex
	calls map[string]int
	codes map[int]int
	now   atomic.Pointer[time.Time]
}

func newRefServer(t testing.TB) *refServer {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "list"), 0o700)
	if err := os.WriteFile(filepath.Join(dir, "list", "trust.json"), demo.TrustList(time.Now()), 0o600); err != nil {
		t.Fatal(err)
	}
	rs := &refServer{dir: dir, calls: map[string]int{}, codes: map[int]int{}}
	now := time.Now()
	rs.now.Store(&now)
	srv, err := authority.Open(authority.Config{DataDir: dir, MintCredential: mintCredential, MaintainEvery: -1,
		Now: func() time.Time { return *rs.now.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	rs.Server = srv
	h := srv.Handler()
	rs.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: 200}
		h.ServeHTTP(rec, r)
		rs.mu.Lock()
		rs.calls[r.URL.Path]++
		rs.codes[rec.code]++
		rs.mu.Unlock()
	}))
	t.Cleanup(func() { rs.http.Close(); srv.Close() })
	return rs
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) { s.code = code; s.ResponseWriter.WriteHeader(code) }

func (rs *refServer) count(path string) int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.calls[path]
}

func (rs *refServer) advance(d time.Duration) {
	n := rs.now.Load().Add(d)
	rs.now.Store(&n)
}

func (rs *refServer) client(t testing.TB) *upstream.Client {
	t.Helper()
	c, err := upstream.New(upstream.Config{URL: rs.http.URL, Kiosk: "kiosk-1"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (rs *refServer) mint(t testing.TB, req upstream.MintRequest) string {
	t.Helper()
	m, err := authority.Mint(context.Background(), rs.http.URL, mintCredential, req)
	if err != nil {
		t.Fatal(err)
	}
	return m.Token
}

func tokens(t testing.TB, c *upstream.Client, cfg upstream.TokenConfig) *upstream.Tokens {
	t.Helper()
	if cfg.Patterns == nil {
		cfg.Patterns = []string{upstream.DefaultTokenPattern}
	}
	tk, err := upstream.NewTokens(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func openStore(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "munjigi.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestTokenCheck(t *testing.T) {
	rs := newRefServer(t)
	tk := tokens(t, rs.client(t), upstream.TokenConfig{})
	tok := rs.mint(t, upstream.MintRequest{Name: "홍길동", BirthYear: 1985})
	if !tk.Match([]byte(tok)) || tk.Match([]byte("HC1:NCF")) || tk.Match([]byte(tok+"X")) {
		t.Fatal("the token pattern matches the wrong things")
	}
	r := tk.Check(context.Background(), []byte(tok))
	if r.Verdict != verify.Pass || r.Format != verify.FormatToken || r.Holder.Name != "홍*동" || r.Holder.BirthYear != 1985 || r.Type != verify.Vaccination {
		t.Errorf("first check: %+v", r)
	}
	if r := tk.Check(context.Background(), []byte(tok)); r.Verdict != verify.Fail || r.Reason != verify.ReasonTokenUsed {
		t.Errorf("second check: %s %s", r.Verdict, r.Reason)
	}
	if r := tk.Check(context.Background(), []byte("MJT1:AAAAAAAAAAAAAAAAAAAAAAAAAA")); r.Reason != verify.ReasonTokenInvalid {
		t.Errorf("an unknown token: %s %s", r.Verdict, r.Reason)
	}
	late := rs.mint(t, upstream.MintRequest{})
	rs.advance(2 * time.Minute)
	if r := tk.Check(context.Background(), []byte(late)); r.Reason != verify.ReasonTokenInvalid {
		t.Errorf("an expired token: %s %s", r.Verdict, r.Reason)
	}
}

// TestTokenOnce is RELIABILITY row 16's second half: one token sent by 50
// goroutines at once; the server sees one check.
func TestTokenOnce(t *testing.T) {
	rs := newRefServer(t)
	const callers = 50
	// "At once" is made to hold on a loaded machine too: the one call is
	// held until every caller has set out to check, so none can come
	// after it has ended (which would be a second check, of a used token).
	var setOut sync.WaitGroup
	setOut.Add(callers)
	held := &holdingTransport{rt: http.DefaultTransport, hold: func() { setOut.Wait(); time.Sleep(50 * time.Millisecond) }}
	c, err := upstream.New(upstream.Config{URL: rs.http.URL, Kiosk: "kiosk-1", Transport: held})
	if err != nil {
		t.Fatal(err)
	}
	tk := tokens(t, c, upstream.TokenConfig{})
	tok := rs.mint(t, upstream.MintRequest{})
	var wg sync.WaitGroup
	results := make([]verify.Result, callers)
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			setOut.Done()
			results[i] = tk.Check(context.Background(), []byte(tok))
		}()
	}
	close(start)
	wg.Wait()
	if n := rs.count(upstream.PathTokenVerify); n != 1 {
		t.Errorf("the server saw %d checks of one token", n)
	}
	for i, r := range results {
		if r.Verdict != verify.Pass {
			t.Errorf("goroutine %d: %s %s", i, r.Verdict, r.Reason)
		}
	}
}

// holdingTransport holds each request until hold returns.
type holdingTransport struct {
	rt   http.RoundTripper
	hold func()
}

func (h *holdingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h.hold()
	return h.rt.RoundTrip(r)
}

const ruleJSON = `{"Identifier":"VR-KR-0099","Type":"Acceptance","Country":"KR","Version":"1.0.0","SchemaVersion":"1.0.0","Engine":"CERTLOGIC","EngineVersion":"0.7.5","CertificateType":"Vaccination","Description":[{"lang":"en","desc":"At most 2 doses."}],"ValidFrom":"2021-01-01T00:00:00Z","ValidTo":"2030-01-01T00:00:00Z","AffectedFields":["v.0.dn"],"Logic":{"<=":[{"var":"payload.v.0.dn"},2]}}`

// TestTrustSync: a 200, then 304s; a change on the server is a new
// version; a list signed by another key, or an older one, leaves the list
// in force; a restart reads the stored list back.
func TestTrustSync(t *testing.T) {
	rs := newRefServer(t)
	db := openStore(t)
	h := &holder{}
	s := upstream.NewSyncer(rs.client(t), rs.PublicKey(), db, h, time.Now, rand.New(rand.NewPCG(1, 1)))
	if changed, err := s.Sync(context.Background()); err != nil || !changed {
		t.Fatalf("first sync: %v %v", changed, err)
	}
	for range 3 {
		if changed, err := s.Sync(context.Background()); err != nil || changed {
			t.Fatalf("an unchanged list: %v %v", changed, err)
		}
	}
	rs.mu.Lock()
	notModified := rs.codes[http.StatusNotModified]
	rs.mu.Unlock()
	if notModified != 3 {
		t.Errorf("%d replies were 304, want 3", notModified)
	}
	// The authority adds a rule: a new version.
	os.WriteFile(filepath.Join(rs.dir, "list", "rules", "VR-KR-0099.json"), []byte(ruleJSON), 0o600)
	if changed, err := s.Sync(context.Background()); err != nil || !changed {
		t.Fatalf("after a change: %v %v", changed, err)
	}
	if h.Version() != 2 || len(h.applied) != 2 {
		t.Fatalf("in force: %d, applied %v", h.Version(), h.applied)
	}

	// A server with another key (a man in the middle, or a mistake),
	// whose versions have climbed past ours: signed again at half their
	// validity, three times.
	impostor := newRefServer(t)
	for range 4 {
		impostor.advance(4 * 24 * time.Hour)
		resp, err := http.Get(impostor.http.URL + upstream.PathTrustList)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	bad := upstream.NewSyncer(impostor.client(t), rs.PublicKey(), db, h, time.Now, rand.New(rand.NewPCG(1, 1)))
	bad.Load()
	if _, err := bad.Sync(context.Background()); !errors.Is(err, upstream.ErrList) {
		t.Fatalf("a list signed by another key: %v", err)
	}
	// A restart reads the list in force back, signature checked.
	restarted := &holder{}
	again := upstream.NewSyncer(nil, rs.PublicKey(), db, restarted, time.Now, rand.New(rand.NewPCG(1, 1)))
	if _, err := again.Load(); err != nil || restarted.last == nil || restarted.Version() != 2 || len(restarted.last.Rules) != 1 {
		t.Fatalf("after the refusals and a restart: %v, %+v", err, restarted.last)
	}
}

// holder keeps the list in force, as the door does; fail makes Apply
// refuse.
type holder struct {
	mu      sync.Mutex
	applied []int64
	last    *upstream.Bundle
	fail    error
}

func (h *holder) Apply(b *upstream.Bundle) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return h.fail
	}
	h.applied, h.last = append(h.applied, b.Version), b
	return nil
}

func (h *holder) Version() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		return 0
	}
	return h.last.Version
}

// TestListThatFailsToApply: a list that checks out but cannot be put in
// force (say a venue's rule file no longer reads) is not recorded, and the
// list in force stays in force (issue 12, item 2).
func TestListThatFailsToApply(t *testing.T) {
	rs := newRefServer(t)
	db := openStore(t)
	h := &holder{}
	s := upstream.NewSyncer(rs.client(t), rs.PublicKey(), db, h, time.Now, rand.New(rand.NewPCG(1, 1)))
	if _, err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	stored, _, _ := db.TrustList()
	os.MkdirAll(filepath.Join(rs.dir, "list", "rules"), 0o700)
	os.WriteFile(filepath.Join(rs.dir, "list", "rules", "VR-KR-0099.json"), []byte(ruleJSON), 0o600)
	h.mu.Lock()
	h.fail = errors.New("the venue's rules no longer read")
	h.mu.Unlock()
	if changed, err := s.Sync(context.Background()); err == nil || changed {
		t.Fatalf("a list that cannot be applied: changed %v, err %v", changed, err)
	}
	if h.Version() != 1 {
		t.Errorf("version %d in force, want 1", h.Version())
	}
	if now, _, _ := db.TrustList(); !bytes.Equal(now, stored) {
		t.Error("the list that failed to apply was stored as the list in force")
	}
	// A restart finds the list that was in force.
	restarted := &holder{}
	if _, err := upstream.NewSyncer(nil, rs.PublicKey(), db, restarted, time.Now, nil).Load(); err != nil || restarted.Version() != 1 {
		t.Errorf("after a restart: version %d (%v)", restarted.Version(), err)
	}
}

// TestTLS: the kiosk trusts the server's certificate through the
// configured CA file, and refuses it without.
func TestTLS(t *testing.T) {
	rs := newRefServer(t)
	tlsSrv := httptest.NewTLSServer(rs.Handler())
	defer tlsSrv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	writeCert(t, caFile, tlsSrv)

	with, err := upstream.New(upstream.Config{URL: tlsSrv.URL, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := with.TrustKey(context.Background()); err != nil {
		t.Errorf("with the CA file: %v", err)
	}
	without, _ := upstream.New(upstream.Config{URL: tlsSrv.URL})
	if _, err := without.TrustKey(context.Background()); err == nil {
		t.Error("a certificate the system does not trust was taken")
	}
	if _, err := upstream.New(upstream.Config{URL: tlsSrv.URL, CAFile: filepath.Join(t.TempDir(), "none.pem")}); err == nil {
		t.Error("a missing CA file went unnoticed")
	}
}

// TestCredentials: a server with credentials serves only the kiosks it
// knows, and knows them by their credential.
func TestCredentials(t *testing.T) {
	srv, err := authority.Open(authority.Config{DataDir: t.TempDir(), Credentials: map[string]string{"s3cret-credential-1": "kiosk-7"}, MaintainEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	db := openStore(t)
	fill(t, db, 3)
	for _, c := range []struct {
		cred string
		ok   bool
	}{{"", false}, {"wrong", false}, {"s3cret-credential-1", true}} {
		cl, _ := upstream.New(upstream.Config{URL: hs.URL, Credential: c.cred, Kiosk: "claims-to-be-kiosk-9"})
		_, err := upstream.NewUploader(cl, db, "kiosk-9", nil).UploadOnce(context.Background())
		if (err == nil) != c.ok {
			t.Errorf("credential %q: %v", c.cred, err)
		}
	}
	got, _ := srv.Received(context.Background())
	if got["kiosk-7"] != 3 || len(got) != 1 {
		t.Errorf("the server filed the entries as %v, want under kiosk-7 only", got)
	}
}

func writeCert(t *testing.T, path string, s *httptest.Server) {
	t.Helper()
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(path, pemCert, 0o600); err != nil {
		t.Fatal(err)
	}
}
