package authority

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"strings"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/upstream"
)

// TestJWS: a list signed as it is written is what upstream.Sign makes of
// the same payload (the same header, a signature by the same key) and a
// kiosk opens it; one over the kiosks' cap is refused, not cut.
func TestJWS(t *testing.T) {
	key := mustKey(t, elliptic.P256())
	payload := demo.TrustList(now0)
	for _, chunk := range []int{1, 7, 4096, len(payload)} {
		j := newJWS(0)
		for rest := payload; len(rest) > 0; {
			n := min(chunk, len(rest))
			if _, err := j.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		signed, err := j.Sign(key)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := upstream.Sign(payload, key)
		if err != nil {
			t.Fatal(err)
		}
		head := func(b []byte) string { return string(b[:bytes.LastIndexByte(b, '.')]) }
		if head(signed) != head(ref) {
			t.Fatalf("written %d bytes at a time: header and payload differ from upstream.Sign's", chunk)
		}
		b, err := upstream.Open(signed, &key.PublicKey, now0, 0)
		if err != nil || b.Trust.Signers() != 1 {
			t.Fatalf("a kiosk opens it: %v", err)
		}
		if _, err := upstream.Open(signed, &mustKey(t, elliptic.P256()).PublicKey, now0, 0); !errors.Is(err, upstream.ErrList) {
			t.Fatalf("with another key: %v", err)
		}
	}

	j := newJWS(0)
	j.max = 200
	if _, err := j.Write(payload); !errors.Is(err, errListTooLarge) {
		t.Errorf("over the cap: %v", err)
	}
	j = newJWS(0)
	j.max = 180
	j.Write([]byte(strings.Repeat("x", 70)))
	if _, err := j.Sign(key); !errors.Is(err, errListTooLarge) {
		t.Errorf("over the cap with its signature: %v", err)
	}
	if _, err := newJWS(10).Sign(&ecdsa.PrivateKey{PublicKey: ecdsa.PublicKey{Curve: elliptic.P384()}}); err == nil {
		t.Error("signed with a P-384 key")
	}
}

// TestListTooLarge: sources that make a list over the kiosks' cap publish
// nothing (the list in force stays), say why, and are not built again at
// every fetch; the store's breaker does not count it against the store.
func TestListTooLarge(t *testing.T) {
	dir := t.TempDir()
	l := newListDir(t, dir)
	l.write("trust.json", demo.TrustList(now0))
	var log logBuffer
	// Every fetch asks the store: only the cached refusal keeps the list
	// from being built again.
	ts := newServer(t, Config{DataDir: dir, Log: log.logger(), ListPoll: time.Nanosecond}, nil)
	if rep := ts.CheckList(); rep.List == nil || rep.List.Version != 1 {
		t.Fatalf("first: %+v", rep)
	}
	// valueSets of 33 MiB: over the 32 MiB a kiosk takes.
	l.write("valuesets.json", []byte(`{"big":"`+strings.Repeat("x", 33<<20)+`"}`))
	rep := ts.CheckList()
	if rep.List == nil || rep.List.Version != 1 || !errors.Is(rep.Err, errListTooLarge) {
		t.Fatalf("over the cap: %+v", rep)
	}
	if !strings.Contains(log.String(), "level=ERROR") {
		t.Errorf("not logged as an error:\n%s", log.String())
	}
	if c := ts.breaker.Counts(); c.ConsecutiveFailures != 0 {
		t.Errorf("the breaker counted it against the store: %+v", c)
	}
	published := strings.Count(log.String(), "cannot be built")
	ts.advance(time.Minute)
	for range 3 {
		getList(t, ts.url, "")
	}
	if n := strings.Count(log.String(), "cannot be built"); n != published {
		t.Errorf("built again at each fetch: %d tries, then %d", published, n)
	}
}
