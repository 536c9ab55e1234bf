package authority

// The authority's figures, measured on the real thing: server processes
// on a real PostgreSQL (fsync and synchronous commit on), kiosks' requests
// over loopback HTTP. docs/national.md sets them beside the national
// sizing. Run them with, for example:
//
//	go test -run '^$' -bench . -benchtime 4000x ./authority
//
// (CI runs each once, -benchtime 1x, to see that they run.)

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"munjigi/upstream"
)

// benchFleets are the server processes benchmarks share across their
// rounds (b.N grows between them), stopped by TestMain.
var (
	benchMu     sync.Mutex
	benchFleets = map[int]*benchFleet{}
	benchDirs   []string
	benchDown   *cluster // the cluster BenchmarkTimeTo503 stops and freezes
)

type benchFleet struct {
	servers []*child
	st      *Postgres // the fleet's database, for the benchmark's own setup
}

func cleanupBenchmarks() {
	benchMu.Lock()
	defer benchMu.Unlock()
	for _, f := range benchFleets {
		for _, c := range f.servers {
			c.kill()
		}
		f.st.Close()
	}
	for _, d := range benchDirs {
		os.RemoveAll(d)
	}
	if benchDown != nil {
		benchDown.signal(syscall.SIGCONT)
		benchDown.destroy()
	}
}

// fleetOf is n server processes on one database of the shared cluster.
func fleetOf(b *testing.B, n int) *benchFleet {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if f := benchFleets[n]; f != nil {
		return f
	}
	url := sharedCluster(b).newDB(b)
	dir, err := os.MkdirTemp("", "munjigi-bench-")
	if err != nil {
		b.Fatal(err)
	}
	benchDirs = append(benchDirs, dir)
	os.MkdirAll(dir+"/list/rules", 0o700)
	f := &benchFleet{}
	for range n {
		c, err := spawnServer(url, dir, testMint)
		if err != nil {
			b.Fatal(err)
		}
		f.servers = append(f.servers, c)
	}
	if f.st, err = OpenPostgres(context.Background(), url, StoreOptions{}); err != nil {
		b.Fatal(err)
	}
	benchFleets[n] = f
	return f
}

// latencies collects request times from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d...)
	l.mu.Unlock()
}

// ms is the p-th percentile, in milliseconds.
func (l *latencies) ms(p float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	slices.Sort(l.d)
	i := min(int(float64(len(l.d))*p), len(l.d)-1)
	return float64(l.d[i].Microseconds()) / 1000
}

// hammer runs n requests from conc goroutines and times each; do makes
// request i.
func hammer(b *testing.B, n, conc int, do func(i int) error) (*latencies, time.Duration) {
	var next atomic.Int64
	lat := &latencies{}
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					break
				}
				t0 := time.Now()
				if err := do(i); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			lat.add(mine)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	return lat, elapsed
}

func httpClient(conc int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}}
}

func post(hc *http.Client, url string, body []byte, header http.Header) ([]byte, error) {
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = header
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, data)
	}
	return data, err
}

// BenchmarkTokenCheck is token checks a second, and their p50 and p99, with
// 1, 2 and 3 server processes on one database, 64 checks in flight; and
// the database alone (the store's ConsumeToken, no HTTP): what one
// database takes. One op is one check of a token minted for it.
func BenchmarkTokenCheck(b *testing.B) {
	const conc = 64
	for _, n := range []int{0, 1, 2, 3} {
		name := fmt.Sprintf("servers=%d", n)
		if n == 0 {
			name = "database-alone"
		}
		b.Run(name, func(b *testing.B) {
			f := fleetOf(b, max(n, 1))
			prefix := fmt.Sprintf("MJT1:B%d-%d-", n, time.Now().UnixNano())
			reply, _ := json.Marshal(upstream.TokenReply{Verdict: "pass", Reason: "ok", Type: "v"})
			if _, err := f.st.pool.Exec(context.Background(), `INSERT INTO tokens (token, reply, expires_at)
				SELECT $1 || i, $2, now() + interval '1 hour' FROM generate_series(0, $3 - 1) i`, prefix, reply, b.N); err != nil {
				b.Fatal(err)
			}
			hc := httpClient(conc)
			defer hc.CloseIdleConnections()
			var passes atomic.Int64
			lat, elapsed := hammer(b, b.N, conc, func(i int) error {
				tok := fmt.Sprintf("%s%d", prefix, i)
				if n == 0 {
					_, state, err := f.st.ConsumeToken(context.Background(), tok, time.Now())
					if state == TokenOK {
						passes.Add(1)
					}
					return err
				}
				body, _ := json.Marshal(upstream.TokenRequest{Token: tok})
				data, err := post(hc, f.servers[i%n].URL+upstream.PathTokenVerify, body, http.Header{"Content-Type": {"application/json"}})
				if err != nil {
					return err
				}
				if bytes.Contains(data, []byte(`"pass"`)) {
					passes.Add(1)
				}
				return nil
			})
			if passes.Load() != int64(b.N) {
				b.Errorf("%d of %d fresh tokens passed", passes.Load(), b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "checks/s")
			b.ReportMetric(lat.ms(0.50), "p50-ms")
			b.ReportMetric(lat.ms(0.99), "p99-ms")
		})
	}
}

// BenchmarkIngest is entries stored a second through one server process
// and through three, and the p99 of a 500-entry batch, 8 kiosks uploading
// at once. One op is one batch of 500 new entries.
func BenchmarkIngest(b *testing.B) {
	const conc, size = 8, 500
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) {
			f := fleetOf(b, n)
			run := time.Now().UnixNano()
			hc := httpClient(conc)
			defer hc.CloseIdleConnections()
			lat, elapsed := hammer(b, b.N, conc, func(i int) error {
				kiosk := fmt.Sprintf("bench-%d-%d", run, i%conc)
				batch := upstream.EntryBatch{Kiosk: kiosk, Epoch: "bench"}
				at := time.Now()
				for s := range size {
					batch.Entries = append(batch.Entries, upstream.Entry{Seq: uint64(i/conc*size + s + 1), At: at, ClockTrusted: true,
						Verdict: "pass", Method: "qr", Format: "dcc", Type: "v", Reason: "ok"})
				}
				body, _ := json.Marshal(batch)
				data, err := post(hc, f.servers[i%n].URL+upstream.PathEntries, body,
					http.Header{"Content-Type": {"application/json"}, upstream.HeaderKiosk: {kiosk}})
				if err != nil {
					return err
				}
				var rep upstream.EntryReply
				if err := json.Unmarshal(data, &rep); err != nil || len(rep.Stored) != size {
					return fmt.Errorf("stored %d of %d: %v", len(rep.Stored), size, err)
				}
				return nil
			})
			b.ReportMetric(float64(b.N*size)/elapsed.Seconds(), "entries/s")
			b.ReportMetric(lat.ms(0.99), "p99-batch-ms")
			// What a row costs on disk, its index included: the 840 million
			// rows of 28 days are this many times that.
			var bytes, rows float64
			err := f.st.pool.QueryRow(context.Background(), `SELECT
				(SELECT sum(pg_total_relation_size(i.inhrelid)) FROM pg_inherits i WHERE i.inhparent = 'entries'::regclass),
				(SELECT count(*) FROM entries)`).Scan(&bytes, &rows)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(bytes/rows, "bytes/entry")
		})
	}
}

// BenchmarkTimeTo503 is how long a token check takes to be answered 503
// when the database is down: stopped (connections refused) or frozen
// (SIGSTOP: it takes connections and says nothing). "first" is the first
// check after the database went, which meets it; the rest mostly meet the
// breaker, with a trial call each second. One op is one check, one at a
// time, as a door makes them.
func BenchmarkTimeTo503(b *testing.B) {
	for _, how := range []string{"stopped", "frozen"} {
		b.Run(how, func(b *testing.B) {
			benchMu.Lock()
			if benchDown == nil {
				c, err := newCluster(needPG(b))
				if err != nil {
					benchMu.Unlock()
					b.Fatal(err)
				}
				benchDown = c
			}
			c := benchDown
			benchMu.Unlock()
			// Up, a server on it, then down.
			c.signal(syscall.SIGCONT)
			if _, err := os.Stat(c.data + "/postmaster.pid"); err != nil {
				if err := c.start(); err != nil {
					b.Fatal(err)
				}
			}
			st, err := OpenPostgres(context.Background(), c.newDB(b), StoreOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			ts := newServer(b, Config{}, st)
			tok := []byte(`{"token":"MJT1:AAAAAAAAAAAAAAAAAAAAAAAAAA"}`)
			hc := httpClient(1)
			defer hc.CloseIdleConnections()
			post(hc, ts.url+upstream.PathTokenVerify, tok, nil) // a connection in the pool, as in service
			if how == "stopped" {
				if err := c.stop(); err != nil {
					b.Fatal(err)
				}
			} else if err := c.signal(syscall.SIGSTOP); err != nil {
				b.Fatal(err)
			}
			var first time.Duration
			lat, _ := hammer(b, b.N, 1, func(i int) error {
				t0 := time.Now()
				_, err := post(hc, ts.url+upstream.PathTokenVerify, tok, nil)
				if i == 0 {
					first = time.Since(t0)
				}
				if err == nil || !bytes.Contains([]byte(err.Error()), []byte("503")) {
					return fmt.Errorf("with the database %s: %v", how, err)
				}
				return nil
			})
			b.ReportMetric(float64(first.Microseconds())/1000, "first-ms")
			b.ReportMetric(lat.ms(0.50), "p50-ms")
			b.ReportMetric(lat.ms(0.99), "p99-ms")
			b.ReportMetric(lat.ms(1), "max-ms")
		})
	}
}

// BenchmarkServerLoad is one server on its bbolt store (a venue's, or a
// small authority's) under 200 kiosks at once, each doing what a kiosk
// does: a conditional trust-list fetch (a 304 once it has the list) and an
// upload of 50 entries. It reports requests a second and the p99 of each
// kind.
func BenchmarkServerLoad(b *testing.B) {
	ts := newServer(b, Config{}, nil)
	const kiosks = 200
	resp, _ := getList(b, ts.url, "")
	etag := resp.Header.Get("ETag")
	hc := httpClient(kiosks)
	defer hc.CloseIdleConnections()
	fetches, uploads := &latencies{}, &latencies{}
	var seq atomic.Uint64
	_, elapsed := hammer(b, b.N, kiosks, func(i int) error {
		req, _ := http.NewRequest("GET", ts.url+upstream.PathTrustList, nil)
		req.Header.Set("If-None-Match", etag)
		t0 := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			return fmt.Errorf("conditional fetch: %s", resp.Status)
		}
		fetches.add([]time.Duration{time.Since(t0)})
		kiosk := fmt.Sprintf("kiosk-%d", i%kiosks)
		batch := upstream.EntryBatch{Kiosk: kiosk}
		base := seq.Add(50) - 50
		for s := range uint64(50) {
			batch.Entries = append(batch.Entries, upstream.Entry{Seq: base + s + 1, At: now0, ClockTrusted: true, Verdict: "pass", Method: "qr", Format: "dcc", Type: "v", Reason: "ok"})
		}
		body, _ := json.Marshal(batch)
		t0 = time.Now()
		if _, err := post(hc, ts.url+upstream.PathEntries, body, http.Header{upstream.HeaderKiosk: {kiosk}}); err != nil {
			return err
		}
		uploads.add([]time.Duration{time.Since(t0)})
		return nil
	})
	b.ReportMetric(float64(2*b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(fetches.ms(0.99), "fetch304-p99-ms")
	b.ReportMetric(uploads.ms(0.99), "upload50-p99-ms")
}
