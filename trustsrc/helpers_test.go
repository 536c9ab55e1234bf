package trustsrc_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/trustsrc"
	"munjigi/verify"
)

// The tests sign their own sources: a P-256 key stands for the German
// backend, a P-521 key and self-signed certificate for the VCI directory,
// and demo issuers' certificates for document signers. Nothing here
// depends on the real sources, which have their own tests (real_test.go).

var (
	fixturesOnce sync.Once
	backendKey   *ecdsa.PrivateKey // signs de-dscg lists
	otherKey     *ecdsa.PrivateKey // signs nothing anyone trusts
	dirKey       *ecdsa.PrivateKey // the directory's P-521 key
	dirCert      *x509.Certificate
	otherDirKey  *ecdsa.PrivateKey
	otherDirCert *x509.Certificate
	dscs         map[string]*demo.Issuer // by kind
)

func fixtures(t testing.TB) {
	t.Helper()
	fixturesOnce.Do(func() {
		must := func(err error) {
			if err != nil {
				panic(err)
			}
		}
		var err error
		backendKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		otherKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		dirKey, dirCert = directorySigner(must)
		otherDirKey, otherDirCert = directorySigner(must)
		dscs = map[string]*demo.Issuer{}
		for kind, o := range map[string]demo.IssuerOptions{
			"a":        {Country: "DE"},
			"b":        {Country: "FR"},
			"c":        {Country: "KR"},
			"p384":     {Key: "ec-p384", Country: "LU"},
			"rsa-2048": {Key: "rsa-2048", Country: "NL"},
			"rsa-1024": {Key: "rsa-1024", Country: "NL"},
		} {
			iss, err := demo.GenerateIssuer(o)
			must(err)
			dscs[kind] = iss
		}
	})
}

// directorySigner makes a P-521 key and a self-signed certificate for it,
// valid 2022 to 2032 as the real directory's is.
func directorySigner(must func(error)) (*ecdsa.PrivateKey, *x509.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	must(err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "directory.test"},
		NotBefore:    time.Date(2022, 3, 17, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2032, 3, 14, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	must(err)
	cert, err := x509.ParseCertificate(der)
	must(err)
	return key, cert
}

func dsc(t testing.TB, kind string) []byte {
	t.Helper()
	fixtures(t)
	return dscs[kind].Certificate()
}

func b64(b []byte) string  { return base64.StdEncoding.EncodeToString(b) }
func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// entry is a DSC list entry as the gateway and the German backend write it.
func entry(der []byte, typ, country string) map[string]any {
	sum := sha256.Sum256(der)
	return map[string]any{
		"certificateType": typ,
		"country":         country,
		"kid":             b64(verify.KeyID(der)),
		"rawData":         b64(der),
		"signature":       "MIAGCSqGSIb3DQEHAqCAMIACAQExDTALBglghkgBZQMEAgEwgAYJKoZIhvcNAQcBAAA=",
		"thumbprint":      hex.EncodeToString(sum[:]),
		"timestamp":       "2022-08-17T10:14:01+02:00",
	}
}

// with returns a copy of e with the given members changed (nil deletes).
func with(e map[string]any, kv ...any) map[string]any {
	c := make(map[string]any, len(e))
	for k, v := range e {
		c[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deBody is the body of a German DSC list.
func deBody(t testing.TB, entries ...any) []byte {
	return mustJSON(t, map[string]any{"certificates": entries})
}

// signDE prepends the backend's signature line, as the German list has it.
func signDE(t testing.TB, key *ecdsa.PrivateKey, body []byte) []byte {
	t.Helper()
	h := sha256.Sum256(body)
	r, s, err := ecdsa.Sign(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return append([]byte(b64(sig)+"\n"), body...)
}

func deVerification(t testing.TB) trustsrc.Verification {
	fixtures(t)
	return trustsrc.Verification{Key: &backendKey.PublicKey}
}

// snapshot is a VCI directory snapshot holding the issuers.
func snapshot(t testing.TB, issuers ...any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(map[string]any{
		"directory":  "https://directory.test/vci-issuers.json",
		"time":       "2024-03-01T04:34:19Z",
		"issuerInfo": issuers,
	}, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func issuerInfo(iss string, keys []any, crls ...any) map[string]any {
	e := map[string]any{
		"issuer":        map[string]any{"iss": iss, "name": "Issuer " + iss, "website": iss},
		"keys":          keys,
		"lastRetrieved": "2024-03-01T04:34:19Z",
	}
	if crls != nil {
		e["crls"] = crls
	}
	return e
}

// signVCI signs a snapshot's bytes as the directory does: DER ECDSA over
// their SHA-512.
func signVCI(t testing.TB, key *ecdsa.PrivateKey, data []byte) []byte {
	t.Helper()
	h := sha512.Sum512(data)
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func vciVerification(t testing.TB, data []byte) trustsrc.Verification {
	fixtures(t)
	return trustsrc.Verification{Cert: dirCert, Sig: signVCI(t, dirKey, data)}
}

// p256 makes an issuer key; short asks for one whose x coordinate starts
// with a zero byte (1 in 256 keys does), as the keys an issuer wrote short.
func p256(t testing.TB, short bool) *ecdsa.PrivateKey {
	t.Helper()
	for range 100000 {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		// A short key has exactly one leading zero byte in x and none in
		// y, so "the coordinates without their leading zeros" is x[1:].
		if c := coords(t, &k.PublicKey); !short || c[0][0] == 0 && c[0][1] != 0 && c[1][0] != 0 {
			return k
		}
	}
	t.Fatal("no key with a short x in 100,000")
	return nil
}

// coords returns a P-256 key's x and y, 32 bytes each.
func coords(t testing.TB, pub *ecdsa.PublicKey) [2][]byte {
	t.Helper()
	e, err := pub.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	b := e.Bytes() // 0x04 ‖ x ‖ y
	return [2][]byte{b[1:33], b[33:65]}
}

// tp is the RFC 7638 thumbprint over x and y as given.
func tp(x, y []byte) string {
	h := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + b64u(x) + `","y":"` + b64u(y) + `"}`))
	return b64u(h[:])
}

// jwk is an issuer key as a directory lists it, with its kid the
// thumbprint.
func jwk(t testing.TB, k *ecdsa.PrivateKey) map[string]any {
	c := coords(t, &k.PublicKey)
	return map[string]any{"kty": "EC", "kid": tp(c[0], c[1]), "use": "sig", "alg": "ES256", "crv": "P-256", "x": b64u(c[0]), "y": b64u(c[1])}
}

func crl(kid string, ctr any, rids ...string) map[string]any {
	if rids == nil {
		rids = []string{}
	}
	return map[string]any{"kid": kid, "method": "rid", "ctr": ctr, "rids": rids}
}

// trustList is munjigi's format as far as the tests read it back.
type trustList struct {
	Source   map[string]any `json:"source"`
	IssuedAt string         `json:"issuedAt"`
	DSC      []struct {
		KID         string `json:"kid"`
		Country     string `json:"country"`
		Certificate string `json:"certificate"`
	} `json:"dsc"`
	SHC []struct {
		Iss  string `json:"iss"`
		JWKS struct {
			Keys []map[string]any `json:"keys"`
		} `json:"jwks"`
		CRLs map[string]map[string]any `json:"crls"`
	} `json:"shc"`
}

func readList(t testing.TB, out []byte) trustList {
	t.Helper()
	var l trustList
	if err := json.Unmarshal(out, &l); err != nil {
		t.Fatalf("the output is not JSON: %v\n%s", err, out)
	}
	return l
}

// load reads a converted list as a kiosk does.
func load(t testing.TB, out []byte) *verify.Trust {
	t.Helper()
	tr := verify.NewTrust()
	if err := tr.Add(out); err != nil {
		t.Fatalf("verify refuses the converted list: %v\n%s", err, out)
	}
	return tr
}

// matchNotes checks that notes say, in order, what want says (each a
// substring of one note).
func matchNotes(t *testing.T, kind string, notes []trustsrc.Note, want []string) {
	t.Helper()
	if len(notes) != len(want) {
		t.Errorf("%s: %d notes, want %d:\n%s", kind, len(notes), len(want), joinNotes(notes))
		return
	}
	for i, n := range notes {
		if !strings.Contains(n.String(), want[i]) {
			t.Errorf("%s[%d] = %q, want it to say %q", kind, i, n, want[i])
		}
	}
}

func joinNotes(notes []trustsrc.Note) string {
	var b strings.Builder
	for _, n := range notes {
		b.WriteString("  " + n.String() + "\n")
	}
	return b.String()
}

// flip returns a copy of b with the byte at i changed.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

// passTime is when the test passes are checked.
var passTime = time.Date(2022, 1, 15, 12, 0, 0, 0, time.UTC)

// dscIssuer is a fresh document signer (P-256).
func dscIssuer(t testing.TB) *demo.Issuer {
	t.Helper()
	iss, err := demo.GenerateIssuer(demo.IssuerOptions{Country: "KR"})
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// samplePass is a vaccination pass, valid at passTime.
func samplePass() demo.Pass {
	return demo.Pass{
		HCert: map[string]any{
			"ver": "1.3.0",
			"nam": map[string]any{"fn": "Muster", "gn": "Erika", "fnt": "MUSTER", "gnt": "ERIKA"},
			"dob": "1964-08-12",
			"v": []any{map[string]any{
				"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215",
				"dn": 2, "sd": 2, "dt": "2021-12-01", "co": "KR", "is": "munjigi test issuer",
				"ci": "URN:UVCI:01:KR:MUNJIGI/TEST/0001#A",
			}},
		},
		IssuedAt:  passTime.AddDate(0, 0, -10),
		ExpiresAt: passTime.AddDate(1, 0, 0),
	}
}
