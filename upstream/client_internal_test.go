package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"30":                            30 * time.Second,
		"-5":                            0,
		"86400":                         time.Hour, // capped
		"Fri, 20 Nov 2026 12:02:00 GMT": 2 * time.Minute,
		"soon":                          0,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("Retry-After %q: %v, want %v", v, got, want)
		}
	}
	// The client obeys it: no call until it has passed.
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Retry-After", "60")
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c, _ := New(Config{URL: srv.URL})
	_, err := c.do(context.Background(), "GET", PathTrustList, nil, nil, 1024)
	if RetryAfter(err) != time.Minute {
		t.Fatalf("first call: %v", err)
	}
	if _, err := c.do(context.Background(), "GET", PathTrustList, nil, nil, 1024); !errors.Is(err, ErrBackOff) || calls != 1 {
		t.Errorf("a call inside the Retry-After: %v, %d calls", err, calls)
	}
}
