package upstream_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"munjigi/store"
	"munjigi/upstream"
)

// fill appends n entries, each with a pass hash and a staff id, as a
// kiosk's would be.
func fill(t testing.TB, db *store.DB, n int) {
	t.Helper()
	for i := range n {
		_, err := db.Append(store.Entry{At: time.Now(), ClockTrusted: true, Verdict: "pass", Method: "manual-sticker",
			Format: "dcc", Type: "v", Reason: "sticker", Staff: "ZZCANARY-STAFF", PassHash: db.HashPassID("URN:UVCI:ZZCANARY" + string(rune('a'+i%26)))})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func outbox(t testing.TB, db *store.DB) int {
	t.Helper()
	o, err := db.Outbox(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	return len(o)
}

// faulty wraps the reference server's handler: fault decides, call by
// call, what goes wrong after (or instead of) the real work.
func faulty(rs *refServer, fault func(n int, w http.ResponseWriter, r *http.Request) bool) *httptest.Server {
	n := 0
	h := rs.Handler()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		if !fault(n, w, r) {
			h.ServeHTTP(w, r)
		}
	}))
}

// commitThen runs the real handler (the server commits), then does
// instead of replying.
func commitThen(rs *refServer, w http.ResponseWriter, r *http.Request, instead func()) {
	rec := httptest.NewRecorder()
	rs.Handler().ServeHTTP(rec, r)
	instead()
}

// TestUploadFaults is RELIABILITY row 21: the server commits and the
// reply is lost (reset, 500), or the server stalls; the kiosk keeps the
// entries until a 2xx lists them, and the server holds each exactly once.
func TestUploadFaults(t *testing.T) {
	cases := []struct {
		name  string
		fault func(rs *refServer) func(n int, w http.ResponseWriter, r *http.Request) bool
	}{
		{"reset after commit", func(rs *refServer) func(int, http.ResponseWriter, *http.Request) bool {
			return func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n > 1 {
					return false
				}
				commitThen(rs, w, r, func() {
					conn, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						conn.Close()
					}
				})
				return true
			}
		}},
		{"500 after commit", func(rs *refServer) func(int, http.ResponseWriter, *http.Request) bool {
			return func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n > 2 {
					return false
				}
				commitThen(rs, w, r, func() { http.Error(w, "oops", http.StatusInternalServerError) })
				return true
			}
		}},
		{"stall", func(rs *refServer) func(int, http.ResponseWriter, *http.Request) bool {
			return func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n > 1 {
					return false
				}
				// Read the request, so the server notices the kiosk
				// giving up; then say nothing.
				io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
				return true
			}
		}},
		{"garbage reply", func(rs *refServer) func(int, http.ResponseWriter, *http.Request) bool {
			return func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n > 1 {
					return false
				}
				commitThen(rs, w, r, func() { w.Write([]byte("<html>maintenance</html>")) })
				return true
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := newRefServer(t)
			fs := faulty(rs, c.fault(rs))
			defer fs.Close()
			db := openStore(t)
			fill(t, db, 1234) // three batches of 500
			cl, _ := upstream.New(upstream.Config{URL: fs.URL, Kiosk: "kiosk-1"})
			u := upstream.NewUploader(cl, db, "kiosk-1", nil)
			u.Timeout = 300 * time.Millisecond
			if _, err := u.UploadOnce(context.Background()); err == nil {
				t.Fatal("the fault went unnoticed")
			}
			if n := outbox(t, db); n != 1234 {
				t.Fatalf("%d entries left the outbox on a failed upload", 1234-n)
			}
			var err error
			for range 3 {
				if _, err = u.UploadOnce(context.Background()); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatalf("after the fault: %v", err)
			}
			if n := outbox(t, db); n != 0 {
				t.Errorf("%d entries still in the outbox", n)
			}
			got, _ := rs.Received(context.Background())
			if got["kiosk-1"] != 1234 {
				t.Errorf("the server holds %d entries, want 1234 exactly", got["kiosk-1"])
			}
		})
	}
}

// TestUploadPrivacy is RELIABILITY row 22 for uploads: no pass hash and no
// staff id leave the kiosk.
func TestUploadPrivacy(t *testing.T) {
	rs := newRefServer(t)
	db := openStore(t)
	fill(t, db, 10)
	u := upstream.NewUploader(rs.client(t), db, "kiosk-1", nil)
	if n, err := u.UploadOnce(context.Background()); err != nil || n != 10 {
		t.Fatalf("%d uploaded: %v", n, err)
	}
	rs.Close()
	data, err := os.ReadFile(filepath.Join(rs.dir, "server.db"))
	if err != nil {
		t.Fatal(err)
	}
	hash := db.HashPassID("URN:UVCI:ZZCANARYa")
	for _, secret := range [][]byte{[]byte("ZZCANARY"), hash} {
		if bytes.Contains(data, secret) {
			t.Errorf("the server's database holds %q", secret)
		}
	}
}

// TestUploadAfterReplacedDatabase is issue 14 E: a kiosk's database is
// replaced (moved aside when damaged, or a new SD card); its fresh log
// starts again at seq 1. Every entry of the new log must reach the server
// beside the old log's, not be taken for a duplicate of it.
func TestUploadAfterReplacedDatabase(t *testing.T) {
	rs := newRefServer(t)
	old := openStore(t)
	fill(t, old, 700)
	if n, err := upstream.NewUploader(rs.client(t), old, "kiosk-1", nil).UploadOnce(context.Background()); err != nil || n != 700 {
		t.Fatalf("the first log: %d uploaded: %v", n, err)
	}
	fresh := openStore(t) // the replacement: seq 1 again
	fill(t, fresh, 600)
	if n, err := upstream.NewUploader(rs.client(t), fresh, "kiosk-1", nil).UploadOnce(context.Background()); err != nil || n != 600 {
		t.Fatalf("the new log: %d uploaded: %v", n, err)
	}
	got, _ := rs.Received(context.Background())
	if got["kiosk-1"] != 1300 {
		t.Errorf("the server holds %d entries of kiosk-1, want 700 + 600", got["kiosk-1"])
	}
}
