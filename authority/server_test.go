package authority

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"munjigi/demo"
	"munjigi/upstream"
)

const testMint = "authority-test-minting-credential"

// testServer is a server on loopback with a clock the test moves.
type testServer struct {
	*Server
	dir string
	url string
	now atomic.Pointer[time.Time]
}

// newServer starts a server on st (nil: bbolt in its data folder) with
// the demo signer's trust list.
func newServer(t testing.TB, cfg Config, st Store) *testServer {
	t.Helper()
	ts := &testServer{dir: cfg.DataDir}
	if ts.dir == "" {
		ts.dir = t.TempDir()
		os.MkdirAll(filepath.Join(ts.dir, "list"), 0o700)
		if err := os.WriteFile(filepath.Join(ts.dir, "list", "trust.json"), demo.TrustList(now0), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	now := now0
	ts.now.Store(&now)
	cfg.DataDir, cfg.Now, cfg.MaintainEvery = ts.dir, func() time.Time { return *ts.now.Load() }, -1
	var err error
	if st == nil {
		ts.Server, err = Open(cfg)
	} else {
		ts.Server, err = New(cfg, st)
	}
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(ts.Handler())
	ts.url = hs.URL
	t.Cleanup(func() { hs.Close(); ts.Close() })
	return ts
}

func (ts *testServer) advance(d time.Duration) {
	n := ts.now.Load().Add(d)
	ts.now.Store(&n)
}

// call makes a request and returns the reply, its body read.
func call(t testing.TB, method, url string, body any, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

func checkToken(t testing.TB, base, token string) upstream.TokenReply {
	t.Helper()
	resp, data := call(t, "POST", base+upstream.PathTokenVerify, upstream.TokenRequest{Token: token}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token check: %s %s", resp.Status, data)
	}
	var r upstream.TokenReply
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func mint(t testing.TB, base string, req upstream.MintRequest) string {
	t.Helper()
	m, err := Mint(context.Background(), base, testMint, req)
	if err != nil {
		t.Fatal(err)
	}
	return m.Token
}

// TestMint is issue 14 item 13: minting takes its own credential, and is
// off without one; a caller's loopback address proves nothing (a TLS proxy
// on the server's machine makes every caller local).
func TestMint(t *testing.T) {
	off := newServer(t, Config{}, nil)
	on := newServer(t, Config{MintCredential: testMint}, nil)
	target, _ := url.Parse(on.url)
	proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	defer proxy.Close()
	cases := []struct {
		name, base, cred string
		body             string
		want             int
	}{
		{"minting off", off.url, testMint, `{}`, http.StatusForbidden},
		{"minting off, no credential", off.url, "", `{}`, http.StatusForbidden},
		{"no credential", on.url, "", `{}`, http.StatusUnauthorized},
		{"a wrong credential", on.url, "guess", `{}`, http.StatusUnauthorized},
		{"behind a same-host proxy, no credential", proxy.URL, "", `{}`, http.StatusUnauthorized},
		{"the credential", on.url, testMint, `{}`, http.StatusOK},
		{"the credential, through the proxy", proxy.URL, testMint, `{"verdict":"fail"}`, http.StatusOK},
		{"a verdict that is none", on.url, testMint, `{"verdict":"maybe"}`, http.StatusBadRequest},
		{"a type that is none", on.url, testMint, `{"type":"x"}`, http.StatusBadRequest},
		{"not JSON", on.url, testMint, `{`, http.StatusBadRequest},
	}
	for _, c := range cases {
		h := map[string]string{}
		if c.cred != "" {
			h["Authorization"] = "Bearer " + c.cred
		}
		resp, data := call(t, "POST", c.base+upstream.PathTokenMint, c.body, h)
		if resp.StatusCode != c.want {
			t.Errorf("%s: %s %s, want %d", c.name, resp.Status, data, c.want)
		}
	}
}

// TestMintedNamesMasked is issue 14 item 12: the names a server returns,
// and keeps, are masked whatever their script.
func TestMintedNamesMasked(t *testing.T) {
	ts := newServer(t, Config{MintCredential: testMint}, nil)
	names := map[string]string{"山田太郎": "山*郎", "Madonna": "M***", "홍길동": "홍*동", "John Doe": "John D***", "": ""}
	for name, want := range names {
		r := checkToken(t, ts.url, mint(t, ts.url, upstream.MintRequest{Name: name, BirthYear: 1980}))
		if r.Verdict != "pass" || r.Holder.Name != want || r.Holder.BirthYear != 1980 {
			t.Errorf("%q came back as %+v, want %q", name, r, want)
		}
	}
	ts.Close()
	data, err := os.ReadFile(filepath.Join(ts.dir, "server.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, whole := range []string{"山田太郎", "Madonna", "홍길동", "John Doe"} {
		if bytes.Contains(data, []byte(whole)) {
			t.Errorf("the server's database holds %q whole", whole)
		}
	}
}

// TestEntriesInput: bad uploads get a clear answer and change nothing;
// words with control characters are cleaned and kept.
func TestEntriesInput(t *testing.T) {
	ts := newServer(t, Config{}, nil)
	at := now0.Format(time.RFC3339)
	cases := []struct {
		name, body string
		want       int
	}{
		{"not JSON", `{"entries": [`, http.StatusBadRequest},
		{"an epoch with a slash", `{"epoch":"a/b","entries":[]}`, http.StatusBadRequest},
		{"an epoch too long", `{"epoch":"` + strings.Repeat("a", 65) + `","entries":[]}`, http.StatusBadRequest},
		{"seq 0", `{"entries":[{"seq":0,"at":"` + at + `","verdict":"pass","method":"qr"}]}`, http.StatusBadRequest},
		{"no verdict", `{"entries":[{"seq":1,"at":"` + at + `","method":"qr"}]}`, http.StatusBadRequest},
		{"year 1", `{"entries":[{"seq":1,"at":"0001-01-01T00:00:00Z","verdict":"pass","method":"qr"}]}`, http.StatusBadRequest},
		{"a seq past int64", `{"entries":[{"seq":18446744073709551615,"at":"` + at + `","verdict":"pass","method":"qr"}]}`, http.StatusBadRequest},
		{"1001 entries", `{"entries":[` + strings.Repeat(`{"seq":1,"at":"`+at+`","verdict":"pass","method":"qr"},`, 1000) + `{"seq":1,"at":"` + at + `","verdict":"pass","method":"qr"}]}`, http.StatusRequestEntityTooLarge},
		{"5 MiB", `{"entries":[],"x":"` + strings.Repeat("x", 5<<20) + `"}`, http.StatusRequestEntityTooLarge},
		{"NUL and escapes in the words", `{"epoch":"e-1","entries":[{"seq":7,"at":"` + at + `","verdict":"pa\u0000ss","method":"qr\u001b[2J","reason":"` + strings.Repeat("r", 100) + `"}]}`, http.StatusOK},
	}
	for _, c := range cases {
		resp, data := call(t, "POST", ts.url+upstream.PathEntries, c.body, nil)
		if resp.StatusCode != c.want {
			t.Errorf("%s: %s %s, want %d", c.name, resp.Status, data, c.want)
		}
	}
	var got []Record
	ts.Store().Entries(context.Background(), Filter{}, func(r Record) error { got = append(got, r); return nil })
	if len(got) != 1 || got[0].Verdict != "pass" || got[0].Method != "qr[2J" || len(got[0].Reason) > 40*3 || got[0].Epoch != "e-1" || got[0].Kiosk != "anonymous" {
		t.Errorf("the server holds %+v", got)
	}
}

func getList(t testing.TB, base, etag string) (*http.Response, []byte) {
	t.Helper()
	h := map[string]string{}
	if etag != "" {
		h["If-None-Match"] = etag
	}
	return call(t, "GET", base+upstream.PathTrustList, nil, h)
}

// TestTrustListVersions: a version per change of the sources and at half
// the list's validity, the same content signed again; files older than
// the list's are not published (a server left behind in a rolling deploy
// does not undo a change); a restarted server serves the stored list.
func TestTrustListVersions(t *testing.T) {
	ts := newServer(t, Config{}, nil)
	open := func(signed []byte) *upstream.Bundle {
		t.Helper()
		b, err := upstream.Open(signed, ts.PublicKey(), *ts.now.Load(), 0)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	resp, v1 := getList(t, ts.url, "")
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || open(v1).Version != 1 || !strings.HasPrefix(etag, `"v1-`) {
		t.Fatalf("first: %s %s", resp.Status, etag)
	}
	if resp, _ := getList(t, ts.url, etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("with its ETag: %s", resp.Status)
	}
	rule := filepath.Join(ts.dir, "list", "rules", "VR-KR-0099.json")
	if err := os.WriteFile(rule, []byte(ruleJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, v2 := getList(t, ts.url, etag)
	if resp.StatusCode != http.StatusOK || open(v2).Version != 2 || len(open(v2).Rules) != 1 {
		t.Fatalf("after a rule was added: %s", resp.Status)
	}
	etag = resp.Header.Get("ETag")

	// Older files: the rule changed, but with a time before the list's.
	os.WriteFile(rule, []byte(strings.Replace(ruleJSON, "At most 2 doses", "At most 3 doses", 1)), 0o600)
	past := time.Now().Add(-time.Hour)
	for _, p := range []string{rule, filepath.Dir(rule), filepath.Dir(filepath.Dir(rule))} {
		os.Chtimes(p, past, past)
	}
	if resp, _ := getList(t, ts.url, etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("older files were published: %s %s", resp.Status, resp.Header.Get("ETag"))
	}

	ts.advance(4 * 24 * time.Hour) // past half of 7 days
	resp, v3 := getList(t, ts.url, etag)
	b3 := open(v3)
	if resp.StatusCode != http.StatusOK || b3.Version != 3 || len(b3.Rules) != 1 || b3.Rules[0].ID != "VR-KR-0099" || !b3.IssuedAt.Equal(ts.now.Load().Truncate(time.Second)) {
		t.Fatalf("at half the validity: %s version %d issued %v", resp.Status, b3.Version, b3.IssuedAt)
	}
	d2, _ := listDoc(v2)
	d3, _ := listDoc(v3)
	for k := range d2 {
		if k != "version" && k != "issuedAt" && k != "expiresAt" && !bytes.Equal(d2[k], d3[k]) {
			t.Errorf("signed again, %s changed", k)
		}
	}
	etag = resp.Header.Get("ETag")

	// A restart: the same bytes, the same ETag, not signed again.
	dir := ts.dir
	ts.Close()
	again := newServer(t, Config{DataDir: dir}, nil)
	again.now.Store(ts.now.Load())
	resp, v3again := getList(t, again.url, "")
	if resp.Header.Get("ETag") != etag || !bytes.Equal(v3, v3again) {
		t.Errorf("after a restart: %s, want %s", resp.Header.Get("ETag"), etag)
	}
}

const ruleJSON = `{"Identifier":"VR-KR-0099","Type":"Acceptance","Country":"KR","Version":"1.0.0","SchemaVersion":"1.0.0","Engine":"CERTLOGIC","EngineVersion":"0.7.5","CertificateType":"Vaccination","Description":[{"lang":"en","desc":"At most 2 doses."}],"ValidFrom":"2021-01-01T00:00:00Z","ValidTo":"2030-01-01T00:00:00Z","AffectedFields":["v.0.dn"],"Logic":{"<=":[{"var":"payload.v.0.dn"},2]}}`

// TestLegacyBolt: a data folder of the reference server as package
// upstream kept it (entries by kiosk and seq, an idempotency bucket, the
// list's version in meta) opens as it was: its entries kept under no
// epoch, its tokens good, its next list newer than the last it signed.
func TestLegacyBolt(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "list"), 0o700)
	os.WriteFile(filepath.Join(dir, "list", "trust.json"), demo.TrustList(now0), 0o600)
	db, err := bolt.Open(filepath.Join(dir, "server.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := json.Marshal(boltToken{Reply: upstream.TokenReply{Verdict: "pass", Reason: "ok"}, ExpiresAt: now0.Add(time.Minute)})
	err = db.Update(func(tx *bolt.Tx) error {
		tb, _ := tx.CreateBucket([]byte("tokens"))
		eb, _ := tx.CreateBucket([]byte("entries"))
		ib, _ := tx.CreateBucket([]byte("idempotency"))
		mb, _ := tx.CreateBucket([]byte("meta"))
		tb.Put([]byte("MJT1:OLD"), tok)
		for _, seq := range []uint64{1, 2, 256} { // 256: a zero byte inside the seq
			e, _ := json.Marshal(upstream.Entry{Seq: seq, At: now0, ClockTrusted: true, Verdict: "pass", Method: "qr"})
			eb.Put(binary.BigEndian.AppendUint64([]byte("kiosk-1\x00"), seq), e)
		}
		ib.Put([]byte("kiosk-1\x00kiosk-1:1-2:2"), []byte(`{"stored":[1,2]}`))
		return mb.Put([]byte("version"), binary.BigEndian.AppendUint64(nil, 41))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	ts := newServer(t, Config{DataDir: dir}, nil)
	if r := checkToken(t, ts.url, "MJT1:OLD"); r.Verdict != "pass" {
		t.Errorf("an old token: %+v", r)
	}
	if got := held(t, ts.Store(), Filter{}); strings.Join(got, " ") != "kiosk-1//1 kiosk-1//2 kiosk-1//256" {
		t.Errorf("the old entries: %v", got)
	}
	// An old kiosk's retry is a duplicate; a new log's seq 1 is new.
	up := func(epoch string) upstream.EntryReply {
		resp, data := call(t, "POST", ts.url+upstream.PathEntries, upstream.EntryBatch{Epoch: epoch, Entries: batch(1, 2)},
			map[string]string{upstream.HeaderKiosk: "kiosk-1"})
		var r upstream.EntryReply
		if resp.StatusCode != 200 || json.Unmarshal(data, &r) != nil {
			t.Fatalf("upload: %s %s", resp.Status, data)
		}
		return r
	}
	if r := up(""); len(r.Duplicate) != 2 || len(r.Stored) != 0 {
		t.Errorf("an old kiosk's retry: %+v", r)
	}
	if r := up("00112233445566778899aabbccddeeff"); len(r.Stored) != 2 {
		t.Errorf("a new log: %+v", r)
	}
	resp, signed := getList(t, ts.url, "")
	b, err := upstream.Open(signed, ts.PublicKey(), now0, 0)
	if resp.StatusCode != 200 || err != nil || b.Version != 42 {
		t.Errorf("the next list: %s %v version %d, want 42", resp.Status, err, b.Version)
	}
}

// spyStore is a real store that notes each call's deadline, and can be
// made to fail as a store that is down does.
type spyStore struct {
	Store
	mu        sync.Mutex
	calls     int
	deadlines []time.Duration // from the call to its deadline; -1: none
	down      error
}

func (s *spyStore) note(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	d := time.Duration(-1)
	if dl, ok := ctx.Deadline(); ok {
		d = time.Until(dl)
	}
	s.deadlines = append(s.deadlines, d)
	return s.down
}

func (s *spyStore) setDown(err error) {
	s.mu.Lock()
	s.down = err
	s.mu.Unlock()
}

func (s *spyStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// longest is the longest time a call was given, and whether every call
// had a deadline.
func (s *spyStore) longest() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var m time.Duration
	for _, d := range s.deadlines {
		if d < 0 {
			return 0, false
		}
		m = max(m, d)
	}
	return m, true
}

func (s *spyStore) MintToken(ctx context.Context, token string, t Token) error {
	if err := s.note(ctx); err != nil {
		return err
	}
	return s.Store.MintToken(ctx, token, t)
}

func (s *spyStore) ConsumeToken(ctx context.Context, token string, now time.Time) (upstream.TokenReply, TokenState, error) {
	if err := s.note(ctx); err != nil {
		return upstream.TokenReply{}, TokenUnknown, err
	}
	return s.Store.ConsumeToken(ctx, token, now)
}

func (s *spyStore) Ingest(ctx context.Context, kiosk, epoch string, entries []upstream.Entry, now time.Time) (upstream.EntryReply, error) {
	if err := s.note(ctx); err != nil {
		return upstream.EntryReply{}, err
	}
	return s.Store.Ingest(ctx, kiosk, epoch, entries, now)
}

func (s *spyStore) CurrentList(ctx context.Context, known int64) (*List, error) {
	if err := s.note(ctx); err != nil {
		return nil, err
	}
	return s.Store.CurrentList(ctx, known)
}

// TestStoreDown: a store that fails is a 503 with Retry-After; after three
// failures in a row the server stops calling it, and answers at once; the
// trust list in hand is still served; once the store is back, a trial call
// finds it and everything works again.
func TestStoreDown(t *testing.T) {
	spy := &spyStore{Store: openBolt(t)}
	ts := newServer(t, Config{MintCredential: testMint, ListPoll: time.Nanosecond}, spy)
	tok := mint(t, ts.url, upstream.MintRequest{})
	if resp, _ := getList(t, ts.url, ""); resp.StatusCode != 200 {
		t.Fatalf("the list: %s", resp.Status)
	}
	spy.setDown(errors.New("connection refused"))
	before, t0 := spy.count(), time.Now()
	for i := range 10 {
		resp, data := call(t, "POST", ts.url+upstream.PathTokenVerify, upstream.TokenRequest{Token: tok}, nil)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" {
			t.Fatalf("check %d with the store down: %s, Retry-After %q: %s", i, resp.Status, resp.Header.Get("Retry-After"), data)
		}
	}
	if n := spy.count() - before; n < 3 || n > trialsAllowed(t0) {
		t.Errorf("10 checks made %d store calls: want 3, then the breaker (and a trial a second: at most %d)", n, trialsAllowed(t0))
	}
	if resp, _ := getList(t, ts.url, ""); resp.StatusCode != 200 {
		t.Errorf("the list in hand, with the store down: %s", resp.Status)
	}
	spy.setDown(nil)
	deadline := time.Now().Add(10 * time.Second)
	var r upstream.TokenReply
	for time.Now().Before(deadline) {
		resp, data := call(t, "POST", ts.url+upstream.PathTokenVerify, upstream.TokenRequest{Token: tok}, nil)
		if resp.StatusCode == 200 {
			json.Unmarshal(data, &r)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r.Verdict != "pass" {
		t.Errorf("the store back: %+v", r)
	}
	if d, ok := spy.longest(); !ok || d > DefaultDBTimeout {
		t.Errorf("a store call was given %v (a deadline: %v), over %v", d, ok, DefaultDBTimeout)
	}
}

// TestWriteList: the list for object storage is the bytes the servers
// serve; before any, a clear error.
func TestWriteList(t *testing.T) {
	ts := newServer(t, Config{}, nil)
	var buf bytes.Buffer
	if _, err := WriteList(context.Background(), &buf, ts.Store()); err == nil || buf.Len() != 0 {
		t.Errorf("before any list: %v, %d bytes", err, buf.Len())
	}
	resp, served := getList(t, ts.url, "")
	l, err := WriteList(context.Background(), &buf, ts.Store())
	if err != nil || !bytes.Equal(buf.Bytes(), served) || l.ETag != resp.Header.Get("ETag") {
		t.Errorf("written %d bytes (%v), served %d; ETag %s, served %s", buf.Len(), err, len(served), l.ETag, resp.Header.Get("ETag"))
	}
}

// trialsAllowed is the most store calls a run of failing requests since t0
// may make: three to open the breaker, then a trial call each second.
func trialsAllowed(t0 time.Time) int { return 3 + int(time.Since(t0)/time.Second) }

// TestBoltFormat1: a file of format 1 (each list one JSON value, its JWS
// base64'd in it) opens as it was: its newest list served as the same
// bytes under the same ETag, and the next version newer.
func TestBoltFormat1(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "list"), 0o700)
	os.WriteFile(filepath.Join(dir, "list", "trust.json"), demo.TrustList(now0), 0o600)
	first := newServer(t, Config{DataDir: dir}, nil)
	resp, signed := getList(t, first.url, "")
	etag := resp.Header.Get("ETag")
	first.Close()

	// The same file, written back as format 1 kept it.
	db, err := bolt.Open(filepath.Join(dir, "server.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		var m boltListMeta
		k, v := tx.Bucket(boltListsMeta).Cursor().Last()
		json.Unmarshal(v, &m)
		old, _ := json.Marshal(boltLegacyList{List: *m.list(), Signed: tx.Bucket(boltListsSigned).Get(k)})
		lb, _ := tx.CreateBucket(boltLegacyLists)
		lb.Put(k, old)
		tx.DeleteBucket(boltListsMeta)
		tx.DeleteBucket(boltListsSigned)
		return tx.Bucket(boltMeta).Put(boltKeySchema, binary.BigEndian.AppendUint64(nil, 1))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	again := newServer(t, Config{DataDir: dir}, nil)
	resp, back := getList(t, again.url, "")
	if resp.Header.Get("ETag") != etag || !bytes.Equal(back, signed) {
		t.Fatalf("after the move: %s %s, want %s", resp.Status, resp.Header.Get("ETag"), etag)
	}
	os.WriteFile(filepath.Join(dir, "list", "rules", "VR-KR-0099.json"), []byte(ruleJSON), 0o600)
	resp, v2 := getList(t, again.url, etag)
	if b, err := upstream.Open(v2, again.PublicKey(), now0, 1); err != nil || b.Version != 2 {
		t.Fatalf("the next version: %s %v", resp.Status, err)
	}
	again.Close()
	db, _ = bolt.Open(filepath.Join(dir, "server.db"), 0o600, nil)
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(boltLegacyLists) != nil || !bytes.Equal(tx.Bucket(boltMeta).Get(boltKeySchema), binary.BigEndian.AppendUint64(nil, boltSchema)) {
			t.Errorf("the file is still format 1")
		}
		return nil
	})
}
