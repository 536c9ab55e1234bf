package upstream_test

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"munjigi/upstream"
)

// caFile writes a TLS test server's certificate as a CA file.
func caFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNoRedirects: a redirect is a failure; the token, the kiosk's name
// and its credential never reach the other host (issue 14, item 14).
func TestNoRedirects(t *testing.T) {
	var reached atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.Write([]byte(`{"verdict":"pass","reason":"ok"}`))
	}))
	defer other.Close()
	for _, code := range []int{301, 302, 307, 308} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path, code)
		}))
		c, err := upstream.New(upstream.Config{URL: srv.URL, Kiosk: "door-1", Credential: "secret-credential-123"})
		if err != nil {
			t.Fatal(err)
		}
		tk, err := upstream.NewTokens(c, upstream.TokenConfig{Patterns: []string{upstream.DefaultTokenPattern}})
		if err != nil {
			t.Fatal(err)
		}
		r := tk.Check(context.Background(), []byte("MJT1:ABCDEFGHJKMNPQRSTVWXYZ0123"))
		if r.Verdict == "pass" {
			t.Errorf("%d: a redirect was followed to a pass", code)
		}
		srv.Close()
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the other host was reached %d times", n)
	}
}

// TestTimeOnlyFromProvenReplies: the server's Date is heard only from a
// successful reply over verified TLS, never from plain http, a 503 or a
// redirect (issue 14, item 5).
func TestTimeOnlyFromProvenReplies(t *testing.T) {
	future := time.Now().AddDate(5, 0, 0).UTC().Format(http.TimeFormat)
	handler := func(code int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", future)
			if code == http.StatusFound {
				http.Redirect(w, r, "/elsewhere", code)
				return
			}
			w.WriteHeader(code)
		})
	}
	for _, tc := range []struct {
		name  string
		tls   bool
		code  int
		heard bool
	}{
		{"TLS 200", true, 200, true},
		{"TLS 304", true, 304, true},
		{"TLS 503", true, 503, false},
		{"TLS redirect", true, 302, false},
		{"plain http 200", false, 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srv *httptest.Server
			cfg := upstream.Config{Kiosk: "door-1"}
			if tc.tls {
				srv = httptest.NewTLSServer(handler(tc.code))
				cfg.CAFile = caFile(t, srv)
			} else {
				srv = httptest.NewServer(handler(tc.code))
			}
			defer srv.Close()
			var mu sync.Mutex
			var got []time.Time
			cfg.URL = srv.URL
			cfg.OnTime = func(at, heard time.Time) {
				mu.Lock()
				got = append(got, at)
				mu.Unlock()
			}
			c, err := upstream.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c.Ping(ctx)
			mu.Lock()
			defer mu.Unlock()
			if heard := len(got) > 0; heard != tc.heard {
				t.Fatalf("heard the server's time: %v, want %v", heard, tc.heard)
			}
			if tc.heard && got[0].Year() != time.Now().AddDate(5, 0, 0).Year() {
				t.Errorf("heard %v", got[0])
			}
		})
	}
}
