package upstream

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config is how a kiosk reaches its server.
type Config struct {
	URL        string // the server, e.g. https://pass.example.kr
	Credential string // the kiosk's bearer credential; "" for none
	Kiosk      string // the kiosk's name, sent with every call
	CAFile     string // PEM roots to trust instead of the system's; "" for the system's
	Now        func() time.Time
	// OnTime, when set, hears the server's time (its Date header) from
	// every reply whose origin is proven: a 2xx or 304 over TLS that the
	// client verified. heard is the kiosk's clock when the reply came.
	// Nothing else (plain http, errors, a captive portal's page) counts.
	OnTime func(at, heard time.Time)
	// Transport replaces the HTTP transport (tests that cut connections).
	Transport http.RoundTripper
}

// Client makes the calls. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	http       *http.Client
	credential string
	kiosk      string
	now        func() time.Time
	onTime     func(at, heard time.Time)

	mu        sync.Mutex
	notBefore time.Time // the server's Retry-After
	lastOK    time.Time
	lastErr   error
	asked     bool
}

// New builds a client. It sends nothing until asked.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("upstream: %q is not an http(s) URL", cfg.URL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tr := cfg.Transport
	if tr == nil {
		t := &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   3 * time.Second,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second, // every call has its own, shorter deadline too
		}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("upstream: CA file: %w", err)
			}
			roots := x509.NewCertPool()
			if !roots.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("upstream: %s holds no PEM certificate", cfg.CAFile)
			}
			t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		}
		tr = t
	}
	// No redirects: the protocol has none, and following one would send a
	// one-time token, the kiosk's name and its credential to another host.
	// A 3xx is a failure like any other reply that is not a success.
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{base: u, http: &http.Client{Transport: tr, CheckRedirect: noRedirect}, credential: cfg.Credential,
		kiosk: cfg.Kiosk, now: cfg.Now, onTime: cfg.OnTime}, nil
}

// URL is the server's address.
func (c *Client) URL() string { return c.base.String() }

// ErrBackOff is returned without a call while the server's Retry-After
// has not passed.
var ErrBackOff = errors.New("upstream: the server asked for a pause")

// StatusError is a reply that is not a success.
type StatusError struct {
	Code       int
	RetryAfter time.Duration
	Message    string
}

func (e *StatusError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("upstream: %d %s: %s", e.Code, http.StatusText(e.Code), e.Message)
	}
	return fmt.Sprintf("upstream: %d %s", e.Code, http.StatusText(e.Code))
}

// RetryAfter is what an error says the server asked for: 0 for none.
func RetryAfter(err error) time.Duration {
	var se *StatusError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

type reply struct {
	code   int
	header http.Header
	body   []byte
}

// do makes one call within ctx's deadline, reading at most limit bytes of
// the reply. A 2xx or 304 is a reply; anything else is an error.
func (c *Client) do(ctx context.Context, method, path string, body []byte, header http.Header, limit int64) (*reply, error) {
	resp, err := c.send(ctx, method, path, body, header)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		c.failed(err)
		return nil, fmt.Errorf("upstream: %s %s: reading the reply: %w", method, path, err)
	}
	if int64(len(data)) > limit {
		err := fmt.Errorf("upstream: %s %s: the reply is over %d bytes", method, path, limit)
		c.failed(err)
		return nil, err
	}
	c.succeeded(resp)
	return &reply{code: resp.StatusCode, header: resp.Header, body: data}, nil
}

// stream makes one call within ctx's deadline and hands over the reply's
// body unread, for a reply too large to hold (the trust list): the caller
// reads what it needs and closes it. The call counts as answered when its
// status is a success; a failure reading the body then counts against it.
func (c *Client) stream(ctx context.Context, method, path string, header http.Header) (*http.Response, error) {
	resp, err := c.send(ctx, method, path, nil, header)
	if err != nil {
		return nil, err
	}
	c.succeeded(resp)
	resp.Body = &watchedBody{ReadCloser: resp.Body, c: c}
	return resp, nil
}

// watchedBody tells the client when reading a streamed reply fails.
type watchedBody struct {
	io.ReadCloser
	c *Client
}

func (b *watchedBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.c.failed(err)
	}
	return k, err
}

// send makes one call within ctx's deadline and returns a reply whose
// status is a 2xx or 304, its body unread. Anything else is an error (a
// StatusError, with Retry-After obeyed), its body read only for a line of
// message.
func (c *Client) send(ctx context.Context, method, path string, body []byte, header http.Header) (*http.Response, error) {
	c.mu.Lock()
	wait := c.notBefore.Sub(time.Now())
	c.mu.Unlock()
	if wait > 0 {
		return nil, fmt.Errorf("%w (%s more)", ErrBackOff, wait.Round(time.Second))
	}
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.credential != "" {
		req.Header.Set("Authorization", "Bearer "+c.credential)
	}
	if c.kiosk != "" {
		req.Header.Set(HeaderKiosk, c.kiosk)
	}
	c.mu.Lock()
	c.asked = true
	c.mu.Unlock()
	resp, err := c.http.Do(req)
	if err != nil {
		c.failed(err)
		return nil, fmt.Errorf("upstream: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusNotModified {
		return resp, nil
	}
	// A message is a line; an error page of any size is not read whole.
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxMessage))
	resp.Body.Close()
	se := &StatusError{Code: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	if len(data) > 0 && len(data) < maxMessage {
		se.Message = strings.TrimSpace(string(bytes.ToValidUTF8(data, nil)))
	}
	if se.RetryAfter > 0 {
		c.mu.Lock()
		c.notBefore = time.Now().Add(se.RetryAfter)
		c.mu.Unlock()
	}
	c.failed(se)
	return nil, se
}

// maxMessage bounds the message an error reply is shown with.
const maxMessage = 300

// succeeded records an answered call.
func (c *Client) succeeded(resp *http.Response) {
	c.mu.Lock()
	c.lastOK, c.lastErr = time.Now(), nil
	c.mu.Unlock()
	c.heardTime(resp)
}

func (c *Client) failed(err error) {
	c.mu.Lock()
	c.lastErr = err
	c.mu.Unlock()
}

// TrustKey asks the server for its trust-list key. Only a server on the
// kiosk's own machine may be asked: anywhere else the key is pinned.
func (c *Client) TrustKey(ctx context.Context) ([]byte, error) {
	r, err := c.do(ctx, "GET", PathTrustKey, nil, nil, 16<<10)
	if err != nil {
		return nil, err
	}
	return r.body, nil
}

// Ping asks the server for its trust list's state without taking the list
// (If-None-Match: *), and says how long the answer took.
func (c *Client) Ping(ctx context.Context) (time.Duration, error) {
	t0 := time.Now()
	resp, err := c.send(ctx, "GET", PathTrustList, nil, http.Header{"If-None-Match": {"*"}})
	if err != nil {
		return time.Since(t0), err
	}
	// The answer is the status: a server that sends the list anyway is
	// not read (it would be up to MaxTrustList bytes).
	took := time.Since(t0)
	resp.Body.Close()
	c.succeeded(resp)
	return took, nil
}

// parseRetryAfter reads Retry-After: seconds, or an HTTP date. It is capped
// at an hour: a server cannot silence a kiosk for a day by mistake.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), time.Hour)
}

// heardTime passes on the server's Date from a successful reply over a
// verified TLS connection: the one outside clock a kiosk without a clock
// battery gets, and only when the reply's origin is proven.
func (c *Client) heardTime(resp *http.Response) {
	if c.onTime == nil || resp.TLS == nil || !resp.TLS.HandshakeComplete || len(resp.TLS.VerifiedChains) == 0 {
		return
	}
	t, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return
	}
	c.onTime(t, c.now())
}

// Health is what the client knows of the server from its last call.
type Health struct {
	Asked   bool // a call has been made
	LastOK  time.Time
	LastErr error // nil when the last call worked
}

// Health says how the last call went.
func (c *Client) Health() Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Health{Asked: c.asked, LastOK: c.lastOK, LastErr: c.lastErr}
}
