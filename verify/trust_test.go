package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veraison/go-cose"
)

// trustTestKeys are made once for the whole package: RSA key generation
// costs more than everything else these tests do.
var trustTestKeys = sync.OnceValues(func() (map[string]crypto.Signer, error) {
	keys := make(map[string]crypto.Signer)
	var err error
	if keys["p256"], err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	if keys["p384"], err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		return nil, err
	}
	if keys["rsa2048"], err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	if keys["rsa1024"], err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
		return nil, err
	}
	if _, keys["ed25519"], err = ed25519.GenerateKey(rand.Reader); err != nil {
		return nil, err
	}
	return keys, nil
})

func trustKey(tb testing.TB, name string) crypto.Signer {
	tb.Helper()
	keys, err := trustTestKeys()
	if err != nil {
		tb.Fatalf("generating test keys: %v", err)
	}
	k, ok := keys[name]
	if !ok {
		tb.Fatalf("no test key %q", name)
	}
	return k
}

// freshP256 is a new P-256 key, for tests that need many distinct keys.
func freshP256(tb testing.TB) crypto.Signer {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// mintCert makes a self-signed DSC for key, shaped by mod, and returns its
// DER. The defaults name a Korean DSC valid through 2021 and 2022.
func mintCert(tb testing.TB, key crypto.Signer, mod func(*x509.Certificate)) []byte {
	tb.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "DSC test", Country: []string{"KR"}},
		NotBefore:    time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	if mod != nil {
		mod(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatalf("creating a certificate: %v", err)
	}
	return der
}

func withCN(cn string) func(*x509.Certificate) {
	return func(c *x509.Certificate) { c.Subject.CommonName = cn }
}

func enc64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// sha16 is the revocation-list hash, computed here independently of
// revocationHash.
func sha16(parts ...string) []byte {
	h := sha256.Sum256([]byte(strings.Join(parts, "")))
	return h[:16]
}

func sha32(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// onlySigner returns the one signer under kid.
func onlySigner(t *testing.T, tr *Trust, kid []byte) *signer {
	t.Helper()
	got := tr.lookup(kid)
	if len(got) != 1 {
		t.Fatalf("lookup(%x) holds %d signers, want 1", kid, len(got))
	}
	return got[0]
}

func TestKeyID(t *testing.T) {
	der := mintCert(t, trustKey(t, "p256"), nil)
	want := sha256.Sum256(der)
	got := KeyID(der)
	if !bytes.Equal(got, want[:8]) {
		t.Errorf("KeyID = %x, want the first 8 bytes of SHA-256 %x", got, want[:8])
	}
	if other := KeyID(mintCert(t, trustKey(t, "p256"), withCN("other"))); bytes.Equal(other, got) {
		t.Errorf("two certificates share the key id %x", got)
	}
}

func TestTrustAddCertificate(t *testing.T) {
	der := mintCert(t, trustKey(t, "p256"), withCN("DSC KR 1"))
	derived := sha256.Sum256(der)
	for _, tc := range []struct {
		name        string
		kid         []byte
		country     string
		wantKID     []byte
		wantCountry string
	}{
		{"derived kid", nil, "", derived[:8], "KR"},
		{"empty kid is derived", []byte{}, "", derived[:8], "KR"},
		{"given kid", []byte("given-id"), "", []byte("given-id"), "KR"},
		// The list's country wins over the certificate's subject.
		{"given country", nil, "DE", derived[:8], "DE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTrust()
			if err := tr.AddCertificate(der, tc.kid, tc.country); err != nil {
				t.Fatal(err)
			}
			if tr.Signers() != 1 {
				t.Errorf("Signers() = %d, want 1", tr.Signers())
			}
			s := onlySigner(t, tr, tc.wantKID)
			if !bytes.Equal(s.kid, tc.wantKID) {
				t.Errorf("kid = %x, want %x", s.kid, tc.wantKID)
			}
			if !bytes.Equal(tc.wantKID, derived[:8]) && len(tr.lookup(derived[:8])) != 0 {
				t.Errorf("a given kid was ignored: the certificate is also under its derived kid")
			}
			if s.country != tc.wantCountry {
				t.Errorf("country = %q, want %q", s.country, tc.wantCountry)
			}
			if s.subject != "DSC KR 1" {
				t.Errorf("subject = %q, want %q", s.subject, "DSC KR 1")
			}
			if !s.notBefore.Equal(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)) || !s.notAfter.Equal(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("validity = %v to %v, want the certificate's", s.notBefore, s.notAfter)
			}
			if len(tr.Warnings()) != 0 {
				t.Errorf("Warnings() = %q, want none", tr.Warnings())
			}
		})
	}
}

// TestTrustAddCertificateKeepsKID: the caller may reuse its kid buffer, as
// AddList does; the Trust must not see the change.
func TestTrustAddCertificateKeepsKID(t *testing.T) {
	der := mintCert(t, trustKey(t, "p256"), nil)
	kid := []byte("kid-0001")
	tr := NewTrust()
	if err := tr.AddCertificate(der, kid, ""); err != nil {
		t.Fatal(err)
	}
	copy(kid, "XXXXXXXX")
	s := onlySigner(t, tr, []byte("kid-0001"))
	if string(s.kid) != "kid-0001" {
		t.Errorf("signer kid = %q after the caller changed its buffer, want %q", s.kid, "kid-0001")
	}
}

func TestTrustAddCertificateInvalid(t *testing.T) {
	der := mintCert(t, trustKey(t, "p256"), nil)
	for _, tc := range []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"not DER", []byte("not a certificate")},
		{"truncated", der[:len(der)/2]},
		{"trailing data", append(bytes.Clone(der), 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTrust()
			if err := tr.AddCertificate(tc.der, nil, ""); !errors.Is(err, ErrTrust) {
				t.Errorf("AddCertificate = %v, want an error wrapping ErrTrust", err)
			}
			if tr.Signers() != 0 {
				t.Errorf("Signers() = %d after a failed add, want 0", tr.Signers())
			}
		})
	}
}

// TestTrustKeyAlgorithms: the key fixes the algorithm. A key the DCC
// profile does not allow is kept with alg 0, so its passes are refused with
// a reason rather than reported as from an unknown signer.
func TestTrustKeyAlgorithms(t *testing.T) {
	for _, tc := range []struct {
		key       string
		wantAlg   cose.Algorithm
		wantIssue string // a fragment of keyIssue; "" when the key may sign
	}{
		{"p256", cose.AlgorithmES256, ""},
		{"rsa2048", cose.AlgorithmPS256, ""},
		{"p384", 0, "P-384"},
		{"rsa1024", 0, "1024 bits"},
		{"ed25519", 0, "ed25519"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			der := mintCert(t, trustKey(t, tc.key), withCN("DSC "+tc.key))
			tr := NewTrust()
			if err := tr.AddCertificate(der, nil, ""); err != nil {
				t.Fatal(err)
			}
			if tr.Signers() != 1 {
				t.Errorf("Signers() = %d, want 1: a key that cannot sign is still kept", tr.Signers())
			}
			s := onlySigner(t, tr, KeyID(der))
			if s.alg != tc.wantAlg {
				t.Errorf("alg = %v, want %v", s.alg, tc.wantAlg)
			}
			if tc.wantIssue == "" {
				if s.keyIssue != "" || s.verifier == nil || len(tr.Warnings()) != 0 {
					t.Errorf("keyIssue %q, verifier %v, warnings %q: want a usable key", s.keyIssue, s.verifier, tr.Warnings())
				}
				return
			}
			if !strings.Contains(s.keyIssue, tc.wantIssue) {
				t.Errorf("keyIssue = %q, want it to mention %q", s.keyIssue, tc.wantIssue)
			}
			if s.verifier != nil {
				t.Errorf("a key with alg 0 has a verifier")
			}
			w := tr.Warnings()
			if len(w) != 1 || !strings.Contains(w[0], "DSC "+tc.key) || !strings.Contains(w[0], tc.wantIssue) {
				t.Errorf("Warnings() = %q, want one naming the certificate and %q", w, tc.wantIssue)
			}
		})
	}
}

// TestTrustSameCertificateTwice: the same DSC often comes from two sources
// (a national list and an EU one); it is one key.
func TestTrustSameCertificateTwice(t *testing.T) {
	der := mintCert(t, trustKey(t, "p256"), nil)
	tr := NewTrust()
	for range 2 {
		if err := tr.AddCertificate(der, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	if tr.Signers() != 1 || len(tr.lookup(KeyID(der))) != 1 {
		t.Errorf("Signers() = %d, lookup holds %d; want the certificate once", tr.Signers(), len(tr.lookup(KeyID(der))))
	}
	if len(tr.Warnings()) != 0 {
		t.Errorf("Warnings() = %q, want none for a duplicate", tr.Warnings())
	}
}

// TestTrustSameKeyOtherCertificate: a renewed certificate for the same key
// is a different signer, since validity and usage decide what it may sign.
func TestTrustSameKeyOtherCertificate(t *testing.T) {
	key := trustKey(t, "p256")
	kid := []byte("same-kid")
	tr := NewTrust()
	for _, mod := range []func(*x509.Certificate){
		nil,
		func(c *x509.Certificate) { c.NotAfter = c.NotAfter.AddDate(1, 0, 0) },
		func(c *x509.Certificate) {
			c.UnknownExtKeyUsage = []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 1}}
		},
	} {
		if err := tr.AddCertificate(mintCert(t, key, mod), kid, ""); err != nil {
			t.Fatal(err)
		}
	}
	if tr.Signers() != 3 || len(tr.lookup(kid)) != 3 {
		t.Errorf("Signers() = %d, lookup holds %d; want 3", tr.Signers(), len(tr.lookup(kid)))
	}
}

// TestTrustMaxKeysPerKID: a hostile list cannot make one pass cost
// thousands of signature checks by piling keys under its kid.
func TestTrustMaxKeysPerKID(t *testing.T) {
	kid := []byte("collide!")
	tr := NewTrust()
	var ders [][]byte
	for i := range MaxKeysPerKID + 2 {
		der := mintCert(t, freshP256(t), func(c *x509.Certificate) { c.SerialNumber = big.NewInt(int64(i + 1)) })
		ders = append(ders, der)
		if err := tr.AddCertificate(der, kid, ""); err != nil {
			t.Fatal(err)
		}
	}
	if tr.Signers() != MaxKeysPerKID {
		t.Errorf("Signers() = %d, want %d", tr.Signers(), MaxKeysPerKID)
	}
	got := tr.lookup(kid)
	if len(got) != MaxKeysPerKID {
		t.Fatalf("lookup holds %d signers, want %d", len(got), MaxKeysPerKID)
	}
	// The first ones stay: a later list cannot push out keys already trusted.
	for i, s := range got {
		cert, err := x509.ParseCertificate(ders[i])
		if err != nil {
			t.Fatal(err)
		}
		if !cert.PublicKey.(*ecdsa.PublicKey).Equal(s.key) {
			t.Errorf("signer %d is not certificate %d", i, i)
		}
	}
	w := tr.Warnings()
	if len(w) != 2 {
		t.Errorf("Warnings() = %q, want one per certificate left out", w)
	}
	for _, msg := range w {
		if !strings.Contains(msg, enc64(kid)) {
			t.Errorf("warning %q does not name the key id %s", msg, enc64(kid))
		}
	}

	// A duplicate of a kept certificate is not one too many.
	if err := tr.AddCertificate(ders[0], kid, ""); err != nil {
		t.Fatal(err)
	}
	if len(tr.Warnings()) != 2 {
		t.Errorf("re-adding a kept certificate warned: %q", tr.Warnings()[2:])
	}
	// The bound is per kid.
	if err := tr.AddCertificate(mintCert(t, freshP256(t), nil), []byte("another"), ""); err != nil {
		t.Fatal(err)
	}
	if tr.Signers() != MaxKeysPerKID+1 {
		t.Errorf("Signers() = %d after a key under another kid, want %d", tr.Signers(), MaxKeysPerKID+1)
	}
}

var (
	oidTest        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 1}
	oidVaccination = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 2}
	oidRecovery    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 3}
	oidTestAlt     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 1}
	oidVaccAlt     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 2}
	oidRecAlt      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 3}
)

// TestUsageOf reads the usage from certificates as parsed from DER, so the
// OIDs are the ones an issuer's certificate actually carries.
func TestUsageOf(t *testing.T) {
	for _, tc := range []struct {
		name  string
		oids  []asn1.ObjectIdentifier
		known []x509.ExtKeyUsage
		want  typeSet
	}{
		{"no extended key usage", nil, nil, allowAll},
		{"test", []asn1.ObjectIdentifier{oidTest}, nil, allowTest},
		{"vaccination", []asn1.ObjectIdentifier{oidVaccination}, nil, allowVaccination},
		{"recovery", []asn1.ObjectIdentifier{oidRecovery}, nil, allowRecovery},
		{"test, variant arc", []asn1.ObjectIdentifier{oidTestAlt}, nil, allowTest},
		{"vaccination, variant arc", []asn1.ObjectIdentifier{oidVaccAlt}, nil, allowVaccination},
		{"recovery, variant arc", []asn1.ObjectIdentifier{oidRecAlt}, nil, allowRecovery},
		{"test and recovery", []asn1.ObjectIdentifier{oidTest, oidRecovery}, nil, allowTest | allowRecovery},
		{"both arcs", []asn1.ObjectIdentifier{oidTestAlt, oidVaccination}, nil, allowTest | allowVaccination},
		{"all three", []asn1.ObjectIdentifier{oidTest, oidVaccination, oidRecovery}, nil, allowAll},
		{"unrelated OID only", []asn1.ObjectIdentifier{{1, 2, 3, 4}}, nil, allowAll},
		{"unrelated OID and vaccination", []asn1.ObjectIdentifier{{1, 2, 3, 4}, oidVaccination}, nil, allowVaccination},
		{"a fourth DCC-like OID", []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 4}}, nil, allowAll},
		{"the DCC arc itself", []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 1847, 2021, 1}}, nil, allowAll},
		{"server auth only", nil, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, allowAll},
		{"server auth and test", []asn1.ObjectIdentifier{oidTest}, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, allowTest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			der := mintCert(t, trustKey(t, "p256"), func(c *x509.Certificate) {
				c.UnknownExtKeyUsage = tc.oids
				c.ExtKeyUsage = tc.known
			})
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			if got := usageOf(cert); got != tc.want {
				t.Errorf("usageOf = %03b, want %03b", got, tc.want)
			}
			tr := NewTrust()
			if err := tr.AddCertificate(der, nil, ""); err != nil {
				t.Fatal(err)
			}
			if got := onlySigner(t, tr, KeyID(der)).types; got != tc.want {
				t.Errorf("AddCertificate recorded types %03b, want %03b", got, tc.want)
			}
		})
	}
}

func TestTypeSetAllows(t *testing.T) {
	for _, tc := range []struct {
		set                  typeSet
		test, vacc, recovery bool
	}{
		{0, false, false, false},
		{allowTest, true, false, false},
		{allowVaccination, false, true, false},
		{allowRecovery, false, false, true},
		{allowTest | allowRecovery, true, false, true},
		{allowAll, true, true, true},
	} {
		for typ, want := range map[Type]bool{Test: tc.test, Vaccination: tc.vacc, Recovery: tc.recovery, "": false, "x": false} {
			if got := tc.set.allows(typ); got != want {
				t.Errorf("%03b.allows(%q) = %v, want %v", tc.set, typ, got, want)
			}
		}
	}
}

// listJSON marshals a trust list written as Go values.
func listJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestTrustAddList(t *testing.T) {
	derA := mintCert(t, trustKey(t, "p256"), withCN("DSC A"))
	derB := mintCert(t, trustKey(t, "rsa2048"), func(c *x509.Certificate) {
		c.Subject = pkix.Name{CommonName: "DSC B", Country: []string{"DE"}}
	})
	kidA := []byte("kid-A-01")
	sig := bytes.Repeat([]byte{0xab}, 64)
	list := listJSON(t, map[string]any{
		"version":   7,
		"issuedAt":  "2021-06-01T00:00:00Z",
		"expiresAt": "2021-06-08T00:00:00+02:00",
		"publisher": "fields a newer list adds are ignored",
		"dsc": []any{
			map[string]any{"kid": enc64(kidA), "country": "KR", "certificate": enc64(derA), "note": "ignored"},
			map[string]any{"certificate": enc64(derB)},
		},
		"revoked": map[string]any{
			"uci":            []string{enc64(sha16("URN:UVCI:01:KR:1")), enc64(sha32([]byte("URN:UVCI:01:KR:2")))},
			"countryCodeUci": []string{enc64(sha16("KR", "URN:UVCI:01:KR:3"))},
			"signature":      []string{enc64(sha32(sig[:32]))},
			"dateOfBirth":    []string{"ignored"},
		},
	})
	tr := NewTrust()
	if err := tr.AddList(list); err != nil {
		t.Fatal(err)
	}
	if len(tr.Warnings()) != 0 {
		t.Errorf("Warnings() = %q, want none", tr.Warnings())
	}
	if tr.Version != 7 {
		t.Errorf("Version = %d, want 7", tr.Version)
	}
	if want := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC); !tr.IssuedAt.Equal(want) {
		t.Errorf("IssuedAt = %v, want %v", tr.IssuedAt, want)
	}
	if want := time.Date(2021, 6, 7, 22, 0, 0, 0, time.UTC); !tr.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", tr.ExpiresAt, want)
	}
	if tr.Signers() != 2 {
		t.Errorf("Signers() = %d, want 2", tr.Signers())
	}
	if s := onlySigner(t, tr, kidA); s.country != "KR" || s.subject != "DSC A" {
		t.Errorf("kid A: country %q subject %q, want KR and DSC A", s.country, s.subject)
	}
	if s := onlySigner(t, tr, KeyID(derB)); s.country != "DE" || s.alg != cose.AlgorithmPS256 {
		t.Errorf("entry without kid: country %q alg %v, want DE from the certificate and PS256", s.country, s.alg)
	}
	if tr.Revoked() != 4 {
		t.Errorf("Revoked() = %d, want 4", tr.Revoked())
	}
	// Each hash went to its own list.
	for _, q := range []struct {
		uvci, country string
		sig           []byte
		want          hashKind
	}{
		{"URN:UVCI:01:KR:1", "KR", nil, hashUCI},
		{"URN:UVCI:01:KR:2", "KR", nil, hashUCI},
		{"URN:UVCI:01:KR:3", "KR", nil, hashCountryUCI},
		{"URN:UVCI:01:KR:4", "KR", sig, hashSignature},
	} {
		if kind, ok := tr.revoked.isRevoked(q.uvci, q.country, q.sig, cose.AlgorithmES256); !ok || kind != q.want {
			t.Errorf("isRevoked(%q) = %v, %v; want %v, true", q.uvci, kind, ok, q.want)
		}
	}
}

// TestTrustAddListSkipsBadEntries: one bad entry must not lock out the rest
// of a country's keys, and must say why it was skipped.
func TestTrustAddListSkipsBadEntries(t *testing.T) {
	good := mintCert(t, trustKey(t, "p256"), withCN("good"))
	other := mintCert(t, trustKey(t, "rsa2048"), withCN("other"))
	for _, tc := range []struct {
		name        string
		bad         map[string]any
		wantSigners int
		wantWarn    string
	}{
		{"certificate not base64", map[string]any{"certificate": "!!not base64!!"}, 1, "dsc[1]: certificate is not base64"},
		{"certificate URL-safe base64", map[string]any{"certificate": base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe})}, 1, "dsc[1]: certificate is not base64"},
		{"certificate not DER", map[string]any{"certificate": enc64([]byte("not a certificate"))}, 1, "dsc[1]:"},
		{"certificate missing", map[string]any{"kid": enc64([]byte("12345678"))}, 1, "dsc[1]:"},
		// A kid that cannot be read is replaced by the derived one: the
		// key still verifies passes that name it correctly.
		// "QUJDREVG" is "ABCDEF": the decoder returns it with its error,
		// and a kid cut short must not be used.
		{"kid not base64", map[string]any{"kid": "QUJDREVG!", "certificate": enc64(other)}, 2, "dsc[1]: kid is not base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTrust()
			list := listJSON(t, map[string]any{"dsc": []any{map[string]any{"certificate": enc64(good)}, tc.bad}})
			if err := tr.AddList(list); err != nil {
				t.Fatalf("AddList: %v; want the bad entry skipped", err)
			}
			if tr.Signers() != tc.wantSigners {
				t.Errorf("Signers() = %d, want %d", tr.Signers(), tc.wantSigners)
			}
			onlySigner(t, tr, KeyID(good))
			if tc.wantSigners == 2 {
				onlySigner(t, tr, KeyID(other))
				if len(tr.lookup([]byte("ABCDEF"))) != 0 {
					t.Errorf("the certificate is under the partly decoded kid")
				}
			}
			w := tr.Warnings()
			if len(w) != 1 || !strings.Contains(w[0], tc.wantWarn) {
				t.Errorf("Warnings() = %q, want one containing %q", w, tc.wantWarn)
			}
		})
	}
}

func TestTrustAddListRevokedHashes(t *testing.T) {
	h := sha32([]byte("URN:UVCI:01:KR:1"))
	for _, tc := range []struct {
		name string
		hash string
		want bool // added, else warned
	}{
		{"16 bytes", enc64(h[:16]), true},
		{"32 bytes", enc64(h), true},
		{"15 bytes", enc64(h[:15]), false},
		{"17 bytes", enc64(append(bytes.Clone(h[:16]), 0)), false},
		{"33 bytes", enc64(append(bytes.Clone(h), 0)), false},
		{"empty", "", false},
		{"not base64", "not base64!", false},
		{"unpadded", base64.RawStdEncoding.EncodeToString(h[:16]), false},
	} {
		for _, kind := range []hashKind{hashUCI, hashCountryUCI, hashSignature} {
			t.Run(tc.name+"/"+kind.String(), func(t *testing.T) {
				tr := NewTrust()
				list := listJSON(t, map[string]any{"revoked": map[string]any{kind.String(): []string{tc.hash}}})
				if err := tr.AddList(list); err != nil {
					t.Fatal(err)
				}
				if tc.want {
					if tr.Revoked() != 1 || len(tr.revoked.set[kind]) != 1 || len(tr.Warnings()) != 0 {
						t.Errorf("Revoked() = %d, %s holds %d, warnings %q; want the hash added", tr.Revoked(), kind, len(tr.revoked.set[kind]), tr.Warnings())
					}
					if _, ok := tr.revoked.set[kind][revHash(h[:16])]; !ok {
						t.Errorf("the %s list does not hold the first 16 bytes of the hash", kind)
					}
					return
				}
				w := tr.Warnings()
				if tr.Revoked() != 0 || len(w) != 1 || !strings.Contains(w[0], kind.String()) {
					t.Errorf("Revoked() = %d, warnings %q; want the hash skipped with a warning naming %s", tr.Revoked(), w, kind)
				}
			})
		}
	}
}

// TestTrustAddListHashForms: a list may carry the full SHA-256 or its
// truncation; both name the same pass, and count once.
func TestTrustAddListHashForms(t *testing.T) {
	h := sha32([]byte("URN:UVCI:01:KR:1"))
	tr := NewTrust()
	list := listJSON(t, map[string]any{"revoked": map[string]any{"uci": []string{enc64(h), enc64(h[:16])}}})
	if err := tr.AddList(list); err != nil {
		t.Fatal(err)
	}
	if tr.Revoked() != 1 {
		t.Errorf("Revoked() = %d, want 1", tr.Revoked())
	}
}

var trustListErrors = []struct {
	name, list string
}{
	{"empty", ""},
	{"truncated", `{"version":`},
	{"not JSON", `{version: 1}`},
	{"an array", `[]`},
	{"version a string", `{"version":"7"}`},
	{"dsc an object", `{"dsc":{}}`},
	{"revoked uci a string", `{"revoked":{"uci":"AAAA"}}`},
	{"second object", `{"version":1} {"version":2}`},
	{"trailing text", `{"version":1} x`},
	{"trailing number", `{"version":1}1`},
	{"bad issuedAt", `{"version":1,"issuedAt":"yesterday"}`},
	{"bad expiresAt", `{"version":1,"expiresAt":"2021-02-30"}`},
}

// TestTrustAddListErrors: a list that is not well formed is rejected as a
// whole, before any of its keys or revocations is used.
func TestTrustAddListErrors(t *testing.T) {
	der := mintCert(t, trustKey(t, "p256"), nil)
	valid := `"dsc":[{"certificate":"` + enc64(der) + `"}],"revoked":{"uci":["` + enc64(sha16("x")) + `"]}`
	for _, tc := range trustListErrors {
		t.Run(tc.name, func(t *testing.T) {
			list := tc.list
			// Put a valid key and revocation in each list that has room,
			// to show that none of it is kept.
			if strings.HasPrefix(list, `{"version":1`) {
				list = `{` + valid + `,` + list[1:]
			}
			tr := NewTrust()
			err := tr.AddList([]byte(list))
			if !errors.Is(err, ErrTrust) {
				t.Fatalf("AddList(%s) = %v, want an error wrapping ErrTrust", list, err)
			}
			if tr.Signers() != 0 || tr.Revoked() != 0 || tr.Version != 0 {
				t.Errorf("AddList(%s) failed but kept %d signers, %d revocations, version %d", list, tr.Signers(), tr.Revoked(), tr.Version)
			}
		})
	}
}

// TestTrustAddListTrailingBracket: data after the list object is an error,
// so a closing bracket left by a bad merge or a truncated concatenation must
// be one too.
func TestTrustAddListTrailingBracket(t *testing.T) {
	for _, list := range []string{`{"version":1}}`, `{"version":1}]`, `{"version":1} ] x`} {
		if err := NewTrust().AddList([]byte(list)); !errors.Is(err, ErrTrust) {
			t.Errorf("AddList(%s) = %v, want an error wrapping ErrTrust", list, err)
		}
	}
}

func TestTrustAddListTrailingSpace(t *testing.T) {
	tr := NewTrust()
	if err := tr.AddList([]byte("{\"version\":1}\n\t \n")); err != nil {
		t.Errorf("AddList with a trailing newline: %v", err)
	}
}

// TestTrustAddListVersion: Version, IssuedAt and ExpiresAt describe the
// newest list added, whatever the order the files come in.
func TestTrustAddListVersion(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2021, 6, d, 0, 0, 0, 0, time.UTC) }
	list := func(version any, issued int) string {
		m := map[string]any{"issuedAt": day(issued).Format(time.RFC3339), "expiresAt": day(issued + 7).Format(time.RFC3339)}
		if version != nil {
			m["version"] = version
		}
		return string(listJSON(t, m))
	}
	for _, tc := range []struct {
		name        string
		lists       []string
		wantVersion int64
		wantIssued  time.Time
	}{
		{"one", []string{list(5, 1)}, 5, day(1)},
		{"newer second", []string{list(3, 1), list(5, 2)}, 5, day(2)},
		{"older second", []string{list(5, 2), list(3, 1)}, 5, day(2)},
		{"same version: the later file", []string{list(5, 1), list(5, 3)}, 5, day(3)},
		{"unversioned second", []string{list(5, 2), list(nil, 9)}, 5, day(2)},
		// A list without a version describes the Trust until a versioned
		// one comes: its dates are all there is to show.
		{"unversioned only", []string{list(nil, 9)}, 0, day(9)},
		{"unversioned, then versioned", []string{list(nil, 9), list(2, 3)}, 2, day(3)},
		{"version 0", []string{list(0, 4)}, 0, day(4)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTrust()
			for _, l := range tc.lists {
				if err := tr.AddList([]byte(l)); err != nil {
					t.Fatal(err)
				}
			}
			if tr.Version != tc.wantVersion || !tr.IssuedAt.Equal(tc.wantIssued) {
				t.Errorf("Version %d issued %v, want %d issued %v", tr.Version, tr.IssuedAt, tc.wantVersion, tc.wantIssued)
			}
			wantExpires := time.Time{}
			if !tc.wantIssued.IsZero() {
				wantExpires = tc.wantIssued.AddDate(0, 0, 7)
			}
			if !tr.ExpiresAt.Equal(wantExpires) {
				t.Errorf("ExpiresAt %v, want %v, from the same list as IssuedAt", tr.ExpiresAt, wantExpires)
			}
		})
	}
}

func pemOf(typ string, b []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b})
}

// TestTrustAdd: the kind of a trust source is told from its content, so an
// operator can drop any of them in the trust directory.
func TestTrustAdd(t *testing.T) {
	derA := mintCert(t, trustKey(t, "p256"), withCN("A"))
	derB := mintCert(t, trustKey(t, "rsa2048"), withCN("B"))
	pub, err := x509.MarshalPKIXPublicKey(trustKey(t, "p256").Public())
	if err != nil {
		t.Fatal(err)
	}
	jsonList := listJSON(t, map[string]any{"dsc": []any{
		map[string]any{"certificate": enc64(derA)}, map[string]any{"certificate": enc64(derB)},
	}})
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name        string
		data        []byte
		wantSigners int // -1: an error wrapping ErrTrust
	}{
		{"DER", derA, 1},
		{"JSON", jsonList, 2},
		{"JSON after whitespace", cat([]byte("\n\t "), jsonList, []byte("\n")), 2},
		{"one PEM certificate", pemOf("CERTIFICATE", derA), 1},
		{"PEM chain", cat(pemOf("CERTIFICATE", derA), pemOf("CERTIFICATE", derB)), 2},
		{"PEM with text and other blocks", cat([]byte("subject=DSC A\n"), pemOf("CERTIFICATE", derA), pemOf("PUBLIC KEY", pub), []byte("comment\n"), pemOf("CERTIFICATE", derB)), 2},
		{"PEM without certificates", pemOf("PUBLIC KEY", pub), -1},
		{"PEM certificate not DER", pemOf("CERTIFICATE", []byte("junk")), -1},
		{"broken PEM", []byte("-----BEGIN CERTIFICATE-----\nnot base64\n"), -1},
		{"empty", nil, -1},
		{"whitespace", []byte(" \n"), -1},
		{"garbage", []byte("not a trust source"), -1},
		{"malformed JSON", []byte(`{"dsc": [`), -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTrust()
			err := tr.Add(tc.data)
			if tc.wantSigners < 0 {
				if !errors.Is(err, ErrTrust) {
					t.Errorf("Add = %v, want an error wrapping ErrTrust", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			if tr.Signers() != tc.wantSigners {
				t.Errorf("Signers() = %d, want %d", tr.Signers(), tc.wantSigners)
			}
			onlySigner(t, tr, KeyID(derA))
		})
	}
}

// TestRevocationsIsRevoked builds each list with hashes computed here, from
// the DCC revocation specification, not with revocationHash.
func TestRevocationsIsRevoked(t *testing.T) {
	const uvci = "URN:UVCI:01:KR:ABC123#X"
	sig := make([]byte, 64)
	for i := range sig {
		sig[i] = byte(i)
	}
	otherS := bytes.Clone(sig)
	otherS[40] ^= 0xff // same r, another s: the same ECDSA signature, re-randomised
	otherR := bytes.Clone(sig)
	otherR[0] ^= 0xff
	rsaSig := bytes.Repeat([]byte{7}, 256)
	odd := bytes.Repeat([]byte{9}, 63)

	for _, tc := range []struct {
		name     string
		kind     hashKind
		listed   []byte // what the list hashes; nil for an empty list
		uvci     string
		country  string
		sig      []byte
		alg      cose.Algorithm
		wantKind hashKind
		want     bool
	}{
		{"no lists", hashUCI, nil, uvci, "KR", sig, cose.AlgorithmES256, 0, false},
		{"uci", hashUCI, []byte(uvci), uvci, "KR", sig, cose.AlgorithmES256, hashUCI, true},
		{"uci, another pass", hashUCI, []byte(uvci), uvci + "Y", "KR", sig, cose.AlgorithmES256, 0, false},
		// A pass without a ci is not revoked by the hash of nothing.
		{"uci of empty", hashUCI, []byte(""), "", "KR", sig, cose.AlgorithmES256, 0, false},
		{"countryCodeUci", hashCountryUCI, []byte("KR" + uvci), uvci, "KR", sig, cose.AlgorithmES256, hashCountryUCI, true},
		{"countryCodeUci, another country", hashCountryUCI, []byte("KR" + uvci), uvci, "DE", sig, cose.AlgorithmES256, 0, false},
		// The kinds are separate lists: a UCI hash under countryCodeUci
		// names nothing.
		{"uci hash in the countryCodeUci list", hashCountryUCI, []byte(uvci), uvci, "KR", sig, cose.AlgorithmES256, 0, false},
		{"countryCodeUci hash in the uci list", hashUCI, []byte("KR" + uvci), uvci, "KR", sig, cose.AlgorithmES256, 0, false},
		{"signature ES256: r", hashSignature, sig[:32], uvci, "KR", sig, cose.AlgorithmES256, hashSignature, true},
		{"signature ES256: r, another s", hashSignature, sig[:32], uvci, "KR", otherS, cose.AlgorithmES256, hashSignature, true},
		{"signature ES256: another r", hashSignature, sig[:32], uvci, "KR", otherR, cose.AlgorithmES256, 0, false},
		{"signature ES256: whole signature listed", hashSignature, sig, uvci, "KR", sig, cose.AlgorithmES256, 0, false},
		{"signature ES256 without uvci", hashSignature, sig[:32], "", "", sig, cose.AlgorithmES256, hashSignature, true},
		{"signature ES256 not 64 bytes: whole", hashSignature, odd, uvci, "KR", odd, cose.AlgorithmES256, hashSignature, true},
		{"signature PS256: whole", hashSignature, rsaSig, uvci, "KR", rsaSig, cose.AlgorithmPS256, hashSignature, true},
		{"signature PS256 of 64 bytes: whole", hashSignature, sig, uvci, "KR", sig, cose.AlgorithmPS256, hashSignature, true},
		{"signature PS256 of 64 bytes: r not enough", hashSignature, sig[:32], uvci, "KR", sig, cose.AlgorithmPS256, 0, false},
		{"signature, unknown algorithm", hashSignature, sig[:32], uvci, "KR", sig, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRevocations()
			if tc.listed != nil {
				h := sha256.Sum256(tc.listed)
				if err := r.addBase64(tc.kind, enc64(h[:16])); err != nil {
					t.Fatal(err)
				}
			}
			kind, ok := r.isRevoked(tc.uvci, tc.country, tc.sig, tc.alg)
			if ok != tc.want || (ok && kind != tc.wantKind) {
				t.Errorf("isRevoked(%q, %q, %x…, %v) = %v, %v; want %v, %v", tc.uvci, tc.country, tc.sig[:4], tc.alg, kind, ok, tc.wantKind, tc.want)
			}
		})
	}
}

// TestRevocationsOrder: a pass on several lists is reported on the UCI list
// first, the one an operator's own Revoke uses.
func TestRevocationsOrder(t *testing.T) {
	const uvci = "URN:UVCI:01:KR:1"
	sig := bytes.Repeat([]byte{1}, 64)
	r := newRevocations()
	for _, add := range []struct {
		kind hashKind
		h    []byte
	}{{hashSignature, sha32(sig[:32])}, {hashCountryUCI, sha16("KR", uvci)}, {hashUCI, sha16(uvci)}} {
		if err := r.addBase64(add.kind, enc64(add.h)); err != nil {
			t.Fatal(err)
		}
	}
	if kind, ok := r.isRevoked(uvci, "KR", sig, cose.AlgorithmES256); !ok || kind != hashUCI {
		t.Errorf("isRevoked = %v, %v; want uci, true", kind, ok)
	}
	if kind, ok := r.isRevoked("URN:UVCI:01:KR:2", "KR", sig, cose.AlgorithmES256); !ok || kind != hashSignature {
		t.Errorf("isRevoked(other uvci) = %v, %v; want signature, true", kind, ok)
	}
}

func TestTrustRevoke(t *testing.T) {
	const uvci = "URN:UVCI:01:KR:REVOKED"
	tr := NewTrust()
	tr.Revoke(uvci)
	tr.Revoke(uvci)
	if tr.Revoked() != 1 {
		t.Errorf("Revoked() = %d after revoking one pass twice, want 1", tr.Revoked())
	}
	if kind, ok := tr.revoked.isRevoked(uvci, "KR", nil, cose.AlgorithmES256); !ok || kind != hashUCI {
		t.Errorf("isRevoked(revoked) = %v, %v; want uci, true", kind, ok)
	}
	if _, ok := tr.revoked.isRevoked(uvci+"2", "KR", nil, cose.AlgorithmES256); ok {
		t.Errorf("isRevoked(another pass) = true")
	}
	// Revoke and a list entry for the same pass are one revocation.
	if err := tr.AddList(listJSON(t, map[string]any{"revoked": map[string]any{"uci": []string{enc64(sha16(uvci))}}})); err != nil {
		t.Fatal(err)
	}
	if tr.Revoked() != 1 {
		t.Errorf("Revoked() = %d after listing the revoked pass again, want 1", tr.Revoked())
	}
}

func TestRevocationHashUCI(t *testing.T) {
	for _, uvci := range []string{"", "URN:UVCI:01:KR:1", "01KR1234#5", "홍길동"} {
		got := RevocationHashUCI(uvci)
		if want := sha16(uvci); !bytes.Equal(got[:], want) {
			t.Errorf("RevocationHashUCI(%q) = %x, want %x", uvci, got, want)
		}
	}
	// What RevocationHashUCI gives is what a list must carry to revoke.
	h := RevocationHashUCI("URN:UVCI:01:KR:1")
	tr := NewTrust()
	if err := tr.AddList(listJSON(t, map[string]any{"revoked": map[string]any{"uci": []string{enc64(h[:])}}})); err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.revoked.isRevoked("URN:UVCI:01:KR:1", "KR", nil, 0); !ok {
		t.Errorf("a list carrying RevocationHashUCI does not revoke the pass")
	}
}

func TestHashKindString(t *testing.T) {
	// These are the trust list's field names: a warning names the list.
	for kind, want := range map[hashKind]string{hashUCI: "uci", hashCountryUCI: "countryCodeUci", hashSignature: "signature"} {
		if got := kind.String(); got != want {
			t.Errorf("hashKind(%d).String() = %q, want %q", kind, got, want)
		}
	}
}

// FuzzTrustAdd: trust sources come from elsewhere. Whatever they hold, Add
// must not panic, must fail only with ErrTrust, and must keep its bounds.
func FuzzTrustAdd(f *testing.F) {
	der := mintCert(f, trustKey(f, "p256"), nil)
	f.Add(der)
	f.Add(pemOf("CERTIFICATE", der))
	f.Add(listJSON(f, map[string]any{
		"version": 1, "issuedAt": "2021-06-01", "dsc": []any{map[string]any{"kid": "AAAAAAAAAAA=", "certificate": enc64(der)}},
		"revoked": map[string]any{"uci": []string{enc64(sha16("x"))}, "signature": []string{"short"}},
	}))
	for _, tc := range trustListErrors {
		f.Add([]byte(tc.list))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := NewTrust()
		if err := tr.Add(data); err != nil && !errors.Is(err, ErrTrust) {
			t.Fatalf("Add = %v, want nil or an error wrapping ErrTrust", err)
		}
		n := 0
		for kid, list := range tr.signers {
			if len(list) > MaxKeysPerKID {
				t.Errorf("kid %x holds %d keys", kid, len(list))
			}
			n += len(list)
		}
		if n != tr.Signers() {
			t.Errorf("Signers() = %d, but %d are held", tr.Signers(), n)
		}
	})
}

// TestTrustAddSource: AddSource is Add with the source's name in every
// error and the size cap first: callers read files themselves and verify
// does no I/O. Each source gives the same Trust both ways.
func TestTrustAddSource(t *testing.T) {
	ders := [][]byte{mintCert(t, freshP256(t), nil), mintCert(t, freshP256(t), nil), mintCert(t, freshP256(t), nil)}
	sources := map[string][]byte{
		"list.json": listJSON(t, map[string]any{
			"version": 3,
			"dsc":     []any{map[string]any{"certificate": enc64(ders[0])}, map[string]any{"certificate": "not base64"}},
			"revoked": map[string]any{"uci": []string{enc64(sha16("URN:UVCI:01:KR:1"))}},
		}),
		"chain.pem": append(pemOf("CERTIFICATE", ders[1]), pemOf("CERTIFICATE", ders[2])...),
		"one.der":   ders[0],
		"bom.json":  append([]byte("\xef\xbb\xbf"), listJSON(t, map[string]any{"dsc": []any{map[string]any{"certificate": enc64(ders[2])}}})...),
	}
	for name, data := range sources {
		t.Run(name, func(t *testing.T) {
			fromFile, fromBytes := NewTrust(), NewTrust()
			errFile := fromFile.Add(data)
			errBytes := fromBytes.AddSource(name, data)
			if errFile != nil || errBytes != nil {
				t.Fatalf("Add: %v; AddSource: %v", errFile, errBytes)
			}
			if fromFile.Signers() != fromBytes.Signers() || fromFile.Revoked() != fromBytes.Revoked() ||
				fromFile.Version != fromBytes.Version || len(fromFile.Warnings()) != len(fromBytes.Warnings()) {
				t.Errorf("from the file: %d signers, %d revoked, version %d, %d warnings; from the bytes: %d, %d, %d, %d",
					fromFile.Signers(), fromFile.Revoked(), fromFile.Version, len(fromFile.Warnings()),
					fromBytes.Signers(), fromBytes.Revoked(), fromBytes.Version, len(fromBytes.Warnings()))
			}
			if fromBytes.Signers() == 0 {
				t.Error("nothing trusted")
			}
		})
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"bad.json", []byte(`{"version":`)},
		{"empty.pem", []byte("-----BEGIN NOTHING-----\n-----END NOTHING-----\n")},
		{"garbage.der", []byte("not a certificate")},
		// One byte over the cap: refused by its size, before it is read
		// (the zero pages are never touched).
		{"large.pem", make([]byte, MaxTrustFile+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTrust()
			err := tr.AddSource("https://example.org/"+tc.name, tc.data)
			if !errors.Is(err, ErrTrust) || !strings.Contains(err.Error(), "https://example.org/"+tc.name) {
				t.Fatalf("AddSource = %v, want an ErrTrust that names the source", err)
			}
			if tr.Signers() != 0 || tr.Revoked() != 0 {
				t.Error("a refused source added keys")
			}
		})
	}
}

// TestTrustAddSourceAtCap: a source of exactly MaxTrustFile bytes is within
// the cap, and loads.
func TestTrustAddSourceAtCap(t *testing.T) {
	data := make([]byte, MaxTrustFile)
	copy(data, pemOf("CERTIFICATE", mintCert(t, trustKey(t, "p256"), nil)))
	tr := NewTrust()
	if err := tr.AddSource("cap.pem", data); err != nil || tr.Signers() != 1 {
		t.Fatalf("AddSource of exactly MaxTrustFile bytes: %v, %d signers", err, tr.Signers())
	}
}
