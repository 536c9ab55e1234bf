package upstream_test

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/gate"
	"munjigi/store"
	"munjigi/upstream"
	"munjigi/verify"
)

// lunchSeconds is how long each fault mode of the lunch-peak test runs:
// 20 s (the modes run side by side; long enough for the breaker to open,
// let trials through and open again), 3 s with -short;
// MUNJIGI_LUNCH_SECONDS sets it. The test asserts logic (calls, deadlines,
// verdicts), never times: its figures are logged, and measured by
// BenchmarkTokenBreakerOpen.
func lunchSeconds(t *testing.T) int {
	if v := os.Getenv("MUNJIGI_LUNCH_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("MUNJIGI_LUNCH_SECONDS=%q: a number of seconds", v)
		}
		return n
	}
	if testing.Short() {
		return 3
	}
	return 20
}

// faults are the ways the authority's server fails at lunch.
var faults = []struct {
	name    string
	handler func(w http.ResponseWriter, r *http.Request)
}{
	{"hangs", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}},
	{"drips a byte a second", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
		for {
			w.Write([]byte("{"))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Second):
			}
		}
	}},
	{"500", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "internal error", http.StatusInternalServerError)
	}},
	{"503 with Retry-After", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}},
	{"resets", func(w http.ResponseWriter, r *http.Request) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}},
	{"garbage", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("\x00\xff<html>garbage")) }},
	{"a huge body", func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 64<<10)
		for range 320 { // 20 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}},
}

func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// TestLunchPeak is RELIABILITY row 18: scans at 20 a second, one in four a
// token, while the server is healthy and in each way it fails. Signed
// passes are decided without a call; every token check runs against a
// deadline inside the budget; while the breaker is open no call is made
// (but its trials); nothing leaks.
func TestLunchPeak(t *testing.T) {
	seconds := lunchSeconds(t)
	g0, fd0 := runtime.NumGoroutine(), openFDs()
	// The modes run side by side (they mostly wait), whatever -parallel
	// says: t.Run may be called from several goroutines.
	var wg sync.WaitGroup
	run := func(name string, f func(t *testing.T)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(name, f)
		}()
	}
	run("healthy", func(t *testing.T) {
		rs := newRefServer(t)
		lunch(t, rs.http.URL, func() string { return rs.mint(t, upstream.MintRequest{}) }, true, seconds)
	})
	for _, f := range faults {
		run(f.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(f.handler))
			defer srv.Close()
			lunch(t, srv.URL, randomToken, false, seconds)
		})
	}
	wg.Wait()
	// Everything the modes started has ended: their servers are closed
	// and their clients' idle connections with them.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > g0+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > g0+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after:\n%s", g0, g, buf[:runtime.Stack(buf, true)])
	}
	if fd := openFDs(); fd > fd0+2 {
		t.Errorf("%d descriptors open before, %d after", fd0, fd)
	}
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "MJT1:" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// countingTransport counts the calls a kiosk makes.
type countingTransport struct {
	rt    http.RoundTripper
	calls atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.calls.Add(1)
	return c.rt.RoundTrip(r)
}

// timedTokens watches each check the gate asks of the authority's side:
// the deadline it runs against, and (logged, not asserted) how long it
// took apart from writing the entry.
type timedTokens struct {
	*upstream.Tokens
	mu             sync.Mutex
	slowestClosed  time.Duration
	slowestOpen    time.Duration
	nOpen, nClosed int
	noDeadline     int // checks that ran without a deadline
	overBudget     int // checks whose deadline was past the budget
}

func (tt *timedTokens) Check(ctx context.Context, p []byte) verify.Result {
	open := tt.Open()
	t0 := time.Now()
	deadline, ok := ctx.Deadline()
	r := tt.Tokens.Check(ctx, p)
	d := time.Since(t0)
	tt.mu.Lock()
	switch {
	case !ok:
		tt.noDeadline++
	case deadline.Sub(t0) > upstream.DefaultBudget:
		tt.overBudget++
	}
	if open {
		tt.nOpen++
		tt.slowestOpen = max(tt.slowestOpen, d)
	} else {
		tt.nClosed++
		tt.slowestClosed = max(tt.slowestClosed, d)
	}
	tt.mu.Unlock()
	return r
}

// lunch runs the door for seconds at 20 scans a second against url.
func lunch(t *testing.T, url string, token func() string, healthy bool, seconds int) {
	tr := &countingTransport{rt: &http.Transport{MaxIdleConnsPerHost: 2}}
	defer tr.rt.(*http.Transport).CloseIdleConnections()
	c, err := upstream.New(upstream.Config{URL: url, Kiosk: "lunch", Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	const breakerWait = 5 * time.Second
	tk := &timedTokens{Tokens: tokens(t, c, upstream.TokenConfig{BreakerWait: breakerWait})}
	db, err := store.Open(filepath.Join(t.TempDir(), "munjigi.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	g, err := gate.New(gate.Config{Verifier: verify.New(demo.Trust(now), time.Now), DB: db, Now: time.Now, ClockConfirmed: true, Tokens: tk})
	if err != nil {
		t.Fatal(err)
	}
	passes, err := demo.Passes(now)
	if err != nil {
		t.Fatal(err)
	}
	var signed, tokenScans, whileOpen int
	var slowestToken, slowestOpen, slowestSigned time.Duration
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for i := range seconds * 20 {
		<-tick.C
		isToken := i%4 == 3
		p := passes[i%len(passes)].Payload
		if isToken {
			p = token()
		}
		open := tk.Open()
		t0 := time.Now()
		o := g.Decide([]byte(p), time.Time{})
		took := time.Since(t0)
		switch {
		case isToken && open:
			whileOpen++
			slowestOpen = max(slowestOpen, took)
			if o.Verdict != verify.Manual {
				t.Errorf("a token while the breaker is open: %s %s", o.Verdict, o.Reason)
			}
		case isToken:
			tokenScans++
			slowestToken = max(slowestToken, took)
			want := verify.ReasonUpstreamDown
			if healthy {
				want = verify.ReasonOK
			}
			if o.Reason != want {
				t.Errorf("token %d: %s %s (%s), want %s", i, o.Verdict, o.Reason, o.Detail, want)
			}
		default:
			signed++
			slowestSigned = max(slowestSigned, took)
			if o.Format == verify.FormatToken || o.Reason == verify.ReasonUpstreamDown {
				t.Errorf("a signed pass went upstream: %+v", o.Result)
			}
		}
		if !o.Logged {
			t.Errorf("scan %d not logged: %s", i, o.LogDetail)
		}
	}
	calls := tr.calls.Load()
	t.Logf("%d signed passes (slowest scan %v), %d token checks (slowest answer %v, scan %v), %d tokens while the breaker was open (slowest answer %v, scan %v); %d calls to the server",
		signed, slowestSigned.Round(time.Millisecond), tokenScans, tk.slowestClosed.Round(time.Millisecond), slowestToken.Round(time.Millisecond),
		whileOpen, tk.slowestOpen.Round(time.Millisecond), slowestOpen.Round(time.Millisecond), calls)
	if calls > int64(tokenScans+whileOpen) {
		t.Errorf("%d calls for %d token scans: signed passes called the server", calls, tokenScans+whileOpen)
	}
	// While the breaker is open, the only calls are its trials: one per
	// BreakerWait at most (and the checks made before it opened).
	trials := int64(seconds)/int64(breakerWait/time.Second) + 1
	if !healthy && calls > int64(tokenScans)+trials {
		t.Errorf("%d calls: %d checks with the breaker closed and at most %d trials allow %d", calls, tokenScans, trials, int64(tokenScans)+trials)
	}
	// Every check ran against a deadline inside the visitor's budget.
	if tk.noDeadline > 0 || tk.overBudget > 0 {
		t.Errorf("%d token checks ran without a deadline, %d with one past the %v budget", tk.noDeadline, tk.overBudget, upstream.DefaultBudget)
	}
	if !healthy && seconds >= 10 && whileOpen == 0 && !tk.Open() {
		t.Error("the breaker never opened")
	}
	if healthy && whileOpen > 0 {
		t.Errorf("the breaker opened on a healthy server")
	}
}

// BenchmarkTokenBreakerOpen is the answer a token scan gets while the
// breaker is open: no call, a manual check at once.
func BenchmarkTokenBreakerOpen(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	c, err := upstream.New(upstream.Config{URL: srv.URL, Kiosk: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	tk, err := upstream.NewTokens(c, upstream.TokenConfig{BreakerWait: time.Hour, Patterns: []string{upstream.DefaultTokenPattern}})
	if err != nil {
		b.Fatal(err)
	}
	for !tk.Open() {
		tk.Check(context.Background(), []byte(randomToken()))
	}
	tokens := make([][]byte, b.N)
	for i := range tokens {
		tokens[i] = []byte(randomToken())
	}
	b.ResetTimer()
	for i := range b.N {
		ctx, cancel := context.WithTimeout(context.Background(), upstream.DefaultBudget)
		if r := tk.Check(ctx, tokens[i]); r.Reason != verify.ReasonUpstreamDown {
			b.Fatalf("%s", r.Reason)
		}
		cancel()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/answer")
}
