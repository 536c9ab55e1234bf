package authority

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/gate"
	"munjigi/store"
	"munjigi/upstream"
	"munjigi/verify"
)

// TestPostgresSchema: servers starting at once on an empty database make
// the schema once; a database migrated by a newer munjigi is refused.
func TestPostgresSchema(t *testing.T) {
	url := sharedCluster(t).newDB(t)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	stores := make([]*Postgres, 4)
	errs := make([]error, 4)
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = OpenPostgres(ctx, url, StoreOptions{Now: func() time.Time { return now0 }})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("server %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	if v, err := stores[0].SchemaVersion(ctx); err != nil || v != len(pgMigrations) {
		t.Errorf("schema %d (%v), want %d", v, err, len(pgMigrations))
	}
	if _, err := stores[0].pool.Exec(ctx, "INSERT INTO munjigi_schema VALUES ($1)", len(pgMigrations)+1); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPostgres(ctx, url, StoreOptions{}); !errors.Is(err, ErrNewer) {
		t.Errorf("a newer schema: %v", err)
	}
}

// TestPostgresPartitions: a partition for each day of the retention and
// two ahead; an entry from a clock far ahead waits in the default
// partition and moves into its day's when that day's partition is made;
// the purge drops the days past the retention, whole.
func TestPostgresPartitions(t *testing.T) {
	url := sharedCluster(t).newDB(t)
	ctx := ctxT(t)
	st, err := OpenPostgres(ctx, url, StoreOptions{Now: func() time.Time { return now0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	day0 := day(now0)
	dayN := func(n int) time.Time { return day0.Add(time.Duration(n) * 24 * time.Hour) }
	days, err := st.Partitions(ctx)
	if err != nil || len(days) != 31 || !days[0].Equal(dayN(-28)) || !days[30].Equal(dayN(2)) {
		t.Fatalf("%d partitions from %v to %v (%v), want 28 days back to 2 ahead", len(days), days[0], days[len(days)-1], err)
	}
	where := func(seq int) string {
		var name string
		if err := st.pool.QueryRow(ctx, "SELECT tableoid::regclass::text FROM entries WHERE seq = $1", seq).Scan(&name); err != nil {
			t.Fatal(err)
		}
		return name
	}
	ahead := []upstream.Entry{{Seq: 1, At: now0.Add(5 * 24 * time.Hour), Verdict: "pass", Method: "qr"},
		{Seq: 2, At: now0.Add(-27 * 24 * time.Hour), Verdict: "pass", Method: "qr"}}
	if _, err := st.Ingest(ctx, "k", "e", ahead, now0); err != nil {
		t.Fatal(err)
	}
	if w := where(1); w != "entries_default" {
		t.Errorf("an entry five days ahead is in %s", w)
	}
	if w := where(2); w != partitionName(dayN(-27)) {
		t.Errorf("an entry 27 days back is in %s", w)
	}
	// Five days on.
	later := now0.Add(5 * 24 * time.Hour)
	p, err := st.Purge(ctx, later.Add(-DefaultRetention), later)
	if err != nil {
		t.Fatal(err)
	}
	if w := where(1); w != partitionName(dayN(5)) {
		t.Errorf("once its day has a partition, the entry from ahead is in %s", w)
	}
	days, _ = st.Partitions(ctx)
	if p.Partitions != 5 || !days[0].Equal(dayN(-23)) || !days[len(days)-1].Equal(dayN(7)) {
		t.Errorf("the purge dropped %d days; partitions from %v to %v, want from %v to %v", p.Partitions, days[0], days[len(days)-1], dayN(-23), dayN(7))
	}
	var n int
	st.pool.QueryRow(ctx, "SELECT count(*) FROM entries WHERE seq = 2").Scan(&n)
	if n != 0 {
		t.Error("the entry of a dropped day is still there")
	}
}

// TestPostgresDown: the database stops. Every request is answered 503
// with Retry-After, each store call within the 800 ms deadline (less than
// the kiosk's 1.5 s budget), then at once without a call while the
// breaker is open; the kiosk's own check says "check by hand" within its
// budget. The database starts again and the server finds it by itself.
// Then it freezes (SIGSTOP: it takes connections and says nothing): the
// same, bounded by the deadline.
func TestPostgresDown(t *testing.T) {
	c := ownCluster(t)
	url := c.newDB(t)
	st, err := OpenPostgres(ctxT(t), url, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	spy := &spyStore{Store: st}
	ts := newServer(t, Config{MintCredential: testMint}, spy)
	ts.now.Store(ptr(time.Now())) // the server's clock stands still: no token expires
	tok, tok2 := mint(t, ts.url, upstream.MintRequest{}), mint(t, ts.url, upstream.MintRequest{})
	kiosk, _ := upstream.New(upstream.Config{URL: ts.url, Kiosk: "door"})
	tk, _ := upstream.NewTokens(kiosk, upstream.TokenConfig{Patterns: []string{upstream.DefaultTokenPattern}})

	expect503 := func(what string) {
		t.Helper()
		resp, data := call(t, "POST", ts.url+upstream.PathTokenVerify, upstream.TokenRequest{Token: tok}, nil)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" {
			t.Fatalf("%s: %s, Retry-After %q: %s", what, resp.Status, resp.Header.Get("Retry-After"), data)
		}
	}
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	before, t0 := spy.count(), time.Now()
	for i := range 6 {
		expect503(fmt.Sprintf("check %d with the database stopped", i))
	}
	if n := spy.count() - before; n > trialsAllowed(t0) {
		t.Errorf("6 checks made %d store calls; after 3 the breaker answers (with a trial a second: at most %d)", n, trialsAllowed(t0))
	}
	if d, ok := spy.longest(); !ok || d > DefaultDBTimeout || DefaultDBTimeout >= upstream.DefaultBudget {
		t.Errorf("a store call was given %v (a deadline: %v): over %v, or the deadline is not within the kiosk's budget", d, ok, DefaultDBTimeout)
	}
	if r := tk.Check(context.Background(), []byte(tok)); r.Verdict != verify.Manual || r.Reason != verify.ReasonUpstreamDown {
		t.Errorf("the kiosk's verdict with the database stopped: %s %s", r.Verdict, r.Reason)
	}

	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	if r := waitFor(t, ts.url, tok, 20*time.Second); r.Verdict != "pass" {
		t.Errorf("the database back: %+v", r)
	}

	// Frozen: an unknown token, so that a statement the frozen database
	// runs when it thaws changes nothing.
	if err := c.signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	spy.mu.Lock()
	spy.deadlines = nil
	spy.mu.Unlock()
	for i := range 4 {
		resp, _ := call(t, "POST", ts.url+upstream.PathTokenVerify, upstream.TokenRequest{Token: "MJT1:UNKNOWNUNKNOWNUNKNOWNUNKN"}, nil)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" {
			t.Fatalf("check %d with the database frozen: %s", i, resp.Status)
		}
	}
	if d, ok := spy.longest(); !ok || d > DefaultDBTimeout {
		t.Errorf("with the database frozen a store call was given %v (a deadline: %v)", d, ok)
	}
	if err := c.signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if r := waitFor(t, ts.url, tok2, 20*time.Second); r.Verdict != "pass" {
		t.Errorf("the database thawed: %+v", r)
	}
}

func ptr[T any](v T) *T { return &v }

// waitFor checks a token until the server answers 200, and returns the
// answer.
func waitFor(t *testing.T, base, token string, limit time.Duration) upstream.TokenReply {
	t.Helper()
	var r upstream.TokenReply
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, data := call(t, "POST", base+upstream.PathTokenVerify, upstream.TokenRequest{Token: token}, nil)
		if resp.StatusCode == http.StatusOK {
			json.Unmarshal(data, &r)
			return r
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no answer within %v", limit)
	return r
}

// fleetDir is a data folder several server processes share: the list's
// sources and, made by the first to start, the signing key.
func fleetDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "list", "rules"), 0o700)
	if err := os.WriteFile(filepath.Join(dir, "list", "trust.json"), demo.TrustList(time.Now()), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startFleet starts n server processes on one new database, and returns
// them and the database's URL.
func startFleet(t testing.TB, n int) ([]*child, string) {
	t.Helper()
	// These tests are about what the servers agree on, not deadlines: on
	// a loaded machine a database call may take longer than the kiosk's
	// budget, and a 503 then would say nothing about agreement.
	t.Setenv(childTimeoutEnv, "10s")
	url := sharedCluster(t).newDB(t)
	dir := fleetDir(t)
	var servers []*child
	for range n {
		servers = append(servers, startServer(t, url, dir, testMint))
	}
	return servers, url
}

// TestThreeServers: three server processes on one database. Every token,
// checked at the same moment on all three, passes exactly once; all three
// serve the same signed list under the same ETag.
func TestThreeServers(t *testing.T) {
	servers, _ := startFleet(t, 3)
	const n = 30
	var toks []string
	for i := range n {
		toks = append(toks, mint(t, servers[i%3].URL, upstream.MintRequest{}))
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer hc.CloseIdleConnections()
	passes := 0
	for _, tok := range toks {
		var wg sync.WaitGroup
		verdicts := make([]string, 3)
		start := make(chan struct{})
		for i, s := range servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				resp, err := hc.Post(s.URL+upstream.PathTokenVerify, "application/json", jsonBody(upstream.TokenRequest{Token: tok}))
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				var r upstream.TokenReply
				json.NewDecoder(resp.Body).Decode(&r)
				verdicts[i] = r.Verdict + "/" + r.Reason
			}()
		}
		close(start)
		wg.Wait()
		slices.Sort(verdicts)
		if !slices.Equal(verdicts, []string{"fail/token-used", "fail/token-used", "pass/ok"}) {
			t.Errorf("a token on three servers at once: %v", verdicts)
		} else {
			passes++
		}
	}
	if passes != n {
		t.Errorf("%d of %d tokens passed exactly once", passes, n)
	}
	var etags []string
	var bodies [][]byte
	for _, s := range servers {
		resp, body := getList(t, s.URL, "")
		if resp.StatusCode != 200 {
			t.Fatalf("the list: %s %s", resp.Status, body)
		}
		etags, bodies = append(etags, resp.Header.Get("ETag")), append(bodies, body)
	}
	if etags[0] != etags[1] || etags[1] != etags[2] || string(bodies[0]) != string(bodies[1]) || string(bodies[1]) != string(bodies[2]) {
		t.Errorf("three servers, three lists: %v", etags)
	}
}

// balancer is a round-robin reverse proxy, as a load balancer without
// health checks: a request that finds its server dead is a 502.
type balancer struct {
	proxies []*httputil.ReverseProxy
	next    atomic.Uint64
	failed  atomic.Int64
}

func newBalancer(urls []string) *balancer {
	b := &balancer{}
	for _, u := range urls {
		target, _ := url.Parse(u)
		p := httputil.NewSingleHostReverseProxy(target)
		p.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			b.failed.Add(1)
			w.WriteHeader(http.StatusBadGateway)
		}
		b.proxies = append(b.proxies, p)
	}
	return b
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.proxies[b.next.Add(1)%uint64(len(b.proxies))].ServeHTTP(w, r)
}

// door is a kiosk's door: the gate deciding demo passes into its own log
// (a real bbolt file, fsynced) and the uploader sending the log up.
type door struct {
	name string
	db   *store.DB
	g    *gate.Gate
	up   *upstream.Uploader
}

func newDoor(t *testing.T, name, url string, seed uint64) *door {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "munjigi.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	g, err := gate.New(gate.Config{Verifier: verify.New(demo.Trust(time.Now()), time.Now), DB: db, Now: time.Now, ClockConfirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := upstream.New(upstream.Config{URL: url, Kiosk: name})
	if err != nil {
		t.Fatal(err)
	}
	up := upstream.NewUploader(c, db, name, rand.New(rand.NewPCG(seed, seed)))
	up.SetSchedule(upstream.Schedule{FirstMax: 200 * time.Millisecond, Every: 300 * time.Millisecond, Jitter: 100 * time.Millisecond,
		Base: 200 * time.Millisecond, Cap: time.Second})
	up.Timeout = 5 * time.Second
	return &door{name: name, db: db, g: g, up: up}
}

// TestServerKilled: doors scan and upload through a balancer to three
// servers on one database; one server is SIGKILLed in the middle. Every
// entry of every door reaches the database once: none lost, none twice.
func TestServerKilled(t *testing.T) {
	servers, dbURL := startFleet(t, 3)
	var urls []string
	for _, s := range servers {
		urls = append(urls, s.URL)
	}
	lb := newBalancer(urls)
	front := httptest.NewServer(lb)
	defer front.Close()
	passes, err := demo.Passes(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const doors = 6
	scanFor := 6 * time.Second
	if testing.Short() {
		scanFor = 3 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ds []*door
	var wg sync.WaitGroup
	for i := range doors {
		d := newDoor(t, fmt.Sprintf("door-%d", i), front.URL, uint64(i+1))
		ds = append(ds, d)
		go d.up.Run(ctx)
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for n := 0; ; n++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				if o := d.g.Decide([]byte(passes[(n+i)%len(passes)].Payload), time.Time{}); !o.Logged {
					t.Errorf("%s: a scan not logged: %s", d.name, o.LogDetail)
				}
			}
		}()
	}
	time.Sleep(scanFor / 2)
	servers[1].kill()
	killedAt := lb.failed.Load()
	time.Sleep(scanFor / 2)
	cancel() // the doors stop scanning; their uploaders with them
	wg.Wait()

	// The doors' outboxes empty through the two servers left.
	for _, d := range ds {
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err := d.up.UploadOnce(context.Background())
			o, _ := d.db.Outbox(1)
			if err == nil && len(o) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d entries still to upload: %v", d.name, len(o), err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if lb.failed.Load() == killedAt {
		t.Error("no upload met the killed server: the test proved nothing")
	}
	st, err := OpenStore(context.Background(), dbURL, "", StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	total := 0
	for _, d := range ds {
		n, _ := d.db.Count()
		total += n
		var got []uint64
		st.Entries(ctxT(t), Filter{Kiosk: d.name}, func(r Record) error {
			if r.Epoch != d.db.Epoch() {
				t.Errorf("%s: an entry under epoch %q", d.name, r.Epoch)
			}
			got = append(got, r.Seq)
			return nil
		})
		slices.Sort(got)
		if len(got) != n || len(slices.Compact(slices.Clone(got))) != n || (n > 0 && (got[0] != 1 || got[n-1] != uint64(n))) {
			t.Errorf("%s logged %d entries; the database holds %d (seqs %v…)", d.name, n, len(got), got[:min(len(got), 5)])
		}
	}
	t.Logf("%d doors logged %d entries; %d requests met the killed server", doors, total, lb.failed.Load()-killedAt)
}

func jsonBody(v any) *bytes.Reader {
	data, _ := json.Marshal(v)
	return bytes.NewReader(data)
}
