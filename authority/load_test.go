package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkServerLoad is the reference server on loopback under many
// kiosks at once, each doing what a kiosk does: a conditional trust-list
// fetch (a 304 once it has the list) and an upload of 50 entries. It
// reports requests a second and the p99 of each kind.
func BenchmarkServerLoad(b *testing.B) {
	rs := newRefServer(b)
	const kiosks = 200
	// Each kiosk's first fetch gets the list and its ETag.
	first, err := http.Get(rs.http.URL + PathTrustList)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, first.Body)
	first.Body.Close()
	etag := first.Header.Get("ETag")
	tr := &http.Transport{MaxIdleConnsPerHost: kiosks}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}

	var next atomic.Int64
	var mu sync.Mutex
	var fetchLat, uploadLat []time.Duration
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for k := range kiosks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var seq uint64
			var fl, ul []time.Duration
			for next.Add(1) <= int64(b.N) {
				req, _ := http.NewRequest("GET", rs.http.URL+PathTrustList, nil)
				req.Header.Set("If-None-Match", etag)
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil || resp.StatusCode != http.StatusNotModified {
					b.Errorf("conditional fetch: %v %v", err, resp)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				fl = append(fl, time.Since(t0))

				batch := EntryBatch{Kiosk: fmt.Sprintf("kiosk-%d", k)}
				for range 50 {
					seq++
					batch.Entries = append(batch.Entries, Entry{Seq: seq, At: time.Now(), ClockTrusted: true, Verdict: "pass", Method: "qr", Format: "dcc", Type: "v", Reason: "ok"})
				}
				body, _ := json.Marshal(batch)
				req, _ = http.NewRequest("POST", rs.http.URL+PathEntries, bytes.NewReader(body))
				req.Header.Set(HeaderKiosk, batch.Kiosk)
				req.Header.Set(HeaderIdempotency, fmt.Sprintf("%s:%d", batch.Kiosk, seq))
				t0 = time.Now()
				resp, err = hc.Do(req)
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Errorf("upload: %v %v", err, resp)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ul = append(ul, time.Since(t0))
			}
			mu.Lock()
			fetchLat, uploadLat = append(fetchLat, fl...), append(uploadLat, ul...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	p99 := func(d []time.Duration) float64 {
		if len(d) == 0 {
			return 0
		}
		slices.Sort(d)
		return float64(d[len(d)*99/100].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(fetchLat)+len(uploadLat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(p99(fetchLat), "fetch304-p99-ms")
	b.ReportMetric(p99(uploadLat), "upload50-p99-ms")
}
