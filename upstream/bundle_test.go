package upstream

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"munjigi/demo"
)

var t0 = time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// listJSON is a trust list of the demo signer with the given header
// fields, and whatever extra fields are asked for.
func listJSON(t testing.TB, version int64, issued, expires time.Time, extra map[string]any) []byte {
	t.Helper()
	doc := map[string]any{}
	if err := json.Unmarshal(demo.TrustList(t0), &doc); err != nil {
		t.Fatal(err)
	}
	if version != 0 {
		doc["version"] = version
	} else {
		delete(doc, "version")
	}
	doc["issuedAt"] = issued.Format(time.RFC3339)
	doc["expiresAt"] = expires.Format(time.RFC3339)
	for k, v := range extra {
		doc[k] = v
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sign(t testing.TB, list []byte, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	s, err := Sign(list, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const ruleJSON = `{"Identifier":"VR-KR-0099","Type":"Acceptance","Country":"KR","Version":"1.0.0","SchemaVersion":"1.0.0","Engine":"CERTLOGIC","EngineVersion":"0.7.5","CertificateType":"Vaccination","Description":[{"lang":"en","desc":"At most 2 doses."}],"ValidFrom":"2021-01-01T00:00:00Z","ValidTo":"2030-01-01T00:00:00Z","AffectedFields":["v.0.dn"],"Logic":{"<=":[{"var":"payload.v.0.dn"},2]}}`

// TestOpen is RELIABILITY row 20's refusals, one by one: the list in force
// stays whenever Open refuses.
func TestOpen(t *testing.T) {
	key := newKey(t)
	other := newKey(t)
	good := listJSON(t, 7, t0.Add(-time.Hour), t0.Add(7*24*time.Hour), nil)
	cases := []struct {
		name    string
		signed  func() []byte
		inForce int64
		want    error // nil: opens
		detail  string
	}{
		{"good", func() []byte { return sign(t, good, key) }, 6, nil, ""},
		{"with rules and value sets", func() []byte {
			return sign(t, listJSON(t, 7, t0, t0.Add(time.Hour), map[string]any{"rules": []json.RawMessage{json.RawMessage(ruleJSON)}, "valueSets": map[string]any{"vaccines-covid-19-names": []string{"EU/1/20/1528"}}}), key)
		}, 0, nil, ""},
		{"signed by another key", func() []byte { return sign(t, good, other) }, 0, ErrList, "signature"},
		{"truncated", func() []byte { s := sign(t, good, key); return s[:len(s)/2] }, 0, ErrList, ""},
		{"one byte changed", func() []byte { s := sign(t, good, key); s[len(s)/3] ^= 1; return s }, 0, ErrList, ""},
		{"oversized", func() []byte { return make([]byte, MaxTrustList+1) }, 0, ErrList, "cap"},
		{"older", func() []byte { return sign(t, good, key) }, 8, ErrOlder, ""},
		{"the same", func() []byte { return sign(t, good, key) }, 7, ErrSame, ""},
		{"expired", func() []byte { return sign(t, listJSON(t, 9, t0.Add(-48*time.Hour), t0.Add(-time.Second), nil), key) }, 0, ErrList, "expired"},
		{"no version", func() []byte { return sign(t, listJSON(t, 0, t0, t0.Add(time.Hour), nil), key) }, 0, ErrList, "version"},
		{"not JSON inside", func() []byte { return sign(t, []byte("hello"), key) }, 0, ErrList, ""},
		{"data after the list", func() []byte { return sign(t, append(append([]byte{}, good...), []byte(`{}`)...), key) }, 0, ErrList, "after"},
		{"a bad rule", func() []byte {
			return sign(t, listJSON(t, 7, t0, t0.Add(time.Hour), map[string]any{"rules": []json.RawMessage{json.RawMessage(`{"Identifier":"X"}`)}}), key)
		}, 0, ErrList, "rules[0]"},
		{"not a JWS at all", func() []byte { return good }, 0, ErrList, ""},
		{"empty", func() []byte { return nil }, 0, ErrList, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Open(c.signed(), &key.PublicKey, t0, c.inForce)
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if b.Version != 7 || b.Trust.Signers() != 1 {
					t.Errorf("opened version %d with %d signers", b.Version, b.Trust.Signers())
				}
				return
			}
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.detail) {
				t.Fatalf("got %v, want %v with %q", err, c.want, c.detail)
			}
		})
	}
}

func TestOpenStoredKeepsAnExpiredList(t *testing.T) {
	key := newKey(t)
	signed := sign(t, listJSON(t, 3, t0.Add(-10*24*time.Hour), t0.Add(-3*24*time.Hour), nil), key)
	b, err := OpenStored(signed, &key.PublicKey)
	if err != nil || b.Version != 3 {
		t.Fatalf("the last good list, expired, is not kept: %v", err)
	}
	if _, err := OpenStored(signed, &newKey(t).PublicKey); err == nil {
		t.Error("a stored list is not checked against the key")
	}
}

func TestParseKey(t *testing.T) {
	key := newKey(t)
	pemKey, err := MarshalKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseKey(string(pemKey))
	if err != nil || !got.Equal(&key.PublicKey) {
		t.Fatalf("inline PEM: %v", err)
	}
	for _, bad := range []string{"", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "/no/such/file.pem"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) took it", bad)
		}
	}
}

// FuzzOpen: whatever comes from the server, Open refuses or opens; it
// never panics.
func FuzzOpen(f *testing.F) {
	key := newKey(f)
	f.Add(sign(f, listJSON(f, 7, t0, t0.Add(time.Hour), nil), key))
	f.Add([]byte("eyJhbGciOiJFUzI1NiJ9.e30.AAAA"))
	f.Add([]byte("..."))
	f.Fuzz(func(t *testing.T, data []byte) {
		Open(data, &key.PublicKey, t0, 0)
	})
}
