package trustsrc_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"munjigi/trustsrc"
)

// TestReadVerification: the files a command names, in the forms they come
// in, and clear refusals for the rest.
func TestReadVerification(t *testing.T) {
	fixtures(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	spki, err := x509.MarshalPKIXPublicKey(&backendKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := write("key.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}))
	keyDER := write("key.der", spki)
	certPEM := write("cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: dirCert.Raw}))
	certDER := write("cert.der", dirCert.Raw)
	sig := write("sig", []byte{0x30, 0x01, 0x02})
	privPEM := write("priv.pem", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1}}))
	junk := write("junk", []byte("hello"))
	huge := write("huge", bytes.Repeat([]byte("A"), 100<<10))

	for _, c := range []struct {
		name             string
		key, cert, sigp  string
		want             error
		wantKey, wantCrt bool
	}{
		{"a PEM public key", keyPEM, "", "", nil, true, false},
		{"a DER public key", keyDER, "", "", nil, true, false},
		{"a certificate as the key", certPEM, "", "", nil, true, false},
		{"a PEM certificate and a signature", "", certPEM, sig, nil, false, true},
		{"a DER certificate", "", certDER, sig, nil, false, true},
		{"a private key", privPEM, "", "", trustsrc.ErrKey, false, false},
		{"junk as the key", junk, "", "", trustsrc.ErrKey, false, false},
		{"junk as the certificate", "", junk, sig, trustsrc.ErrKey, false, false},
		{"a key as the certificate", "", keyPEM, sig, trustsrc.ErrKey, false, false},
		{"a huge file", huge, "", "", trustsrc.ErrKey, false, false},
		{"a missing file", filepath.Join(dir, "none"), "", "", os.ErrNotExist, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := trustsrc.ReadVerification(c.key, c.cert, c.sigp, false)
			if !errors.Is(err, c.want) || (err == nil && c.want != nil) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			if err == nil && ((v.Key != nil) != c.wantKey || (v.Cert != nil) != c.wantCrt || (c.sigp != "") != (v.Sig != nil)) {
				t.Fatalf("read %+v", v)
			}
		})
	}
}

// TestDEDSCGLineEndings: a list whose signature line ends in CRLF (saved
// by a Windows tool) is the same list: the signature covers what follows
// the line feed.
func TestDEDSCGLineEndings(t *testing.T) {
	fixtures(t)
	signed := signDE(t, backendKey, deBody(t, entry(dsc(t, "a"), "DSC", "DE")))
	nl := bytes.IndexByte(signed, '\n')
	crlf := append(append(append([]byte{}, signed[:nl]...), '\r'), signed[nl:]...)
	var out bytes.Buffer
	if _, err := trustsrc.Convert(&out, trustsrc.DEDSCG, bytes.NewReader(crlf), deVerification(t)); err != nil {
		t.Fatal(err)
	}
}
