package authority

import (
	"bytes"
	"context"
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
	"encoding/pem"
	"log/slog"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/store"
	"munjigi/upstream"
	"munjigi/verify"
)

// The tests publish sources they sign themselves, in the publishers'
// formats: a P-256 key stands for the German backend (de-dscg), a P-521
// key and self-signed certificate for the VCI directory (vci-snapshot),
// demo issuers for the document signers and health-card issuers. The real
// sources have their own test (TestListRealSources).

// publishers are a backend and a directory that sign sources.
type publishers struct {
	backend *ecdsa.PrivateKey
	dirKey  *ecdsa.PrivateKey
	dirCert []byte // DER
}

func newPublishers(t testing.TB) *publishers {
	t.Helper()
	p := &publishers{backend: mustKey(t, elliptic.P256()), dirKey: mustKey(t, elliptic.P521())}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "directory.test"},
		NotBefore:    time.Date(2022, 3, 17, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2032, 3, 14, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	var err error
	if p.dirCert, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, p.dirKey.Public(), p.dirKey); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pubPEM(t testing.TB, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// deEntry is a certificate of a DSC list, as the German backend lists it.
func deEntry(der []byte, country string) map[string]any {
	sum := sha256.Sum256(der)
	return map[string]any{
		"certificateType": "DSC", "country": country, "kid": base64.StdEncoding.EncodeToString(verify.KeyID(der)),
		"rawData": base64.StdEncoding.EncodeToString(der), "thumbprint": hex.EncodeToString(sum[:]),
		"signature": "MIAGCSqGSIb3DQEHAqCAMIACAQExDTALBglghkgBZQMEAgEwgAYJKoZIhvcNAQcBAAA=", "timestamp": "2026-08-17T10:14:01+02:00",
	}
}

// deList is a German DSC list of the certificates, its first line the
// signature of key over the rest.
func deList(t testing.TB, key *ecdsa.PrivateKey, certs ...[]byte) []byte {
	t.Helper()
	entries := []any{}
	for _, der := range certs {
		entries = append(entries, deEntry(der, "KR"))
	}
	body, err := json.Marshal(map[string]any{"certificates": entries})
	if err != nil {
		t.Fatal(err)
	}
	return signDEBody(t, key, body)
}

func signDEBody(t testing.TB, key *ecdsa.PrivateKey, body []byte) []byte {
	t.Helper()
	h := sha256.Sum256(body)
	r, s, err := ecdsa.Sign(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return append([]byte(base64.StdEncoding.EncodeToString(sig)+"\n"), body...)
}

// vciSnapshot is a VCI directory snapshot of the issuers, and its
// detached signature by the directory.
func (p *publishers) vciSnapshot(t testing.TB, issuers ...*demo.SHCIssuer) (snapshot, sig []byte) {
	t.Helper()
	infos := []any{}
	for _, is := range issuers {
		var jwks struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if err := json.Unmarshal(is.JWKS(), &jwks); err != nil {
			t.Fatal(err)
		}
		infos = append(infos, map[string]any{
			"issuer": map[string]any{"iss": is.Iss, "name": "Issuer " + is.Iss, "website": is.Iss},
			"keys":   jwks.Keys, "lastRetrieved": "2026-11-01T04:34:19Z",
		})
	}
	snapshot, err := json.MarshalIndent(map[string]any{"directory": "https://directory.test/vci-issuers.json", "time": "2026-11-01T04:34:19Z", "issuerInfo": infos}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	h := sha512.Sum512(snapshot)
	if sig, err = ecdsa.SignASN1(rand.Reader, p.dirKey, h[:]); err != nil {
		t.Fatal(err)
	}
	return snapshot, sig
}

// listDir is a server's list/ folder that a test writes; every write moves
// the files' time on by a second, so that "newer" never hangs on the
// file system's clock.
type listDir struct {
	t    testing.TB
	dir  string
	tick atomic.Int64
}

func newListDir(t testing.TB, dataDir string) *listDir {
	l := &listDir{t: t, dir: filepath.Join(dataDir, "list")}
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *listDir) write(rel string, data []byte) {
	l.t.Helper()
	p := filepath.Join(l.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		l.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		l.t.Fatal(err)
	}
	at := time.Now().Add(time.Duration(l.tick.Add(1)) * time.Second)
	if err := os.Chtimes(p, at, at); err != nil {
		l.t.Fatal(err)
	}
}

func (l *listDir) writeJSON(rel string, v any) {
	l.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		l.t.Fatal(err)
	}
	l.write(rel, b)
}

func (l *listDir) read(rel string) []byte {
	l.t.Helper()
	b, err := os.ReadFile(filepath.Join(l.dir, rel))
	if err != nil {
		l.t.Fatal(err)
	}
	return b
}

// The sources the tests declare.
var (
	euSpec  = SourceSpec{Name: "eu", Format: "de-dscg", File: "de/dsc-list.json", Key: "de/key.pem"}
	shcSpec = SourceSpec{Name: "shc", Format: "vci-snapshot", File: "vci/vci_snapshot.json", Cert: "vci/vci_snapshot.crt", Sig: "vci/vci_snapshot.sig"}
)

// writeEU writes the eu source: a list of certs signed by key, and the
// backend's key the server checks it with.
func (l *listDir) writeEU(p *publishers, key *ecdsa.PrivateKey, certs ...[]byte) {
	l.write(euSpec.Key, pubPEM(l.t, p.backend))
	l.write(euSpec.File, deList(l.t, key, certs...))
}

func (l *listDir) writeSHC(p *publishers, issuers ...*demo.SHCIssuer) {
	snap, sig := p.vciSnapshot(l.t, issuers...)
	l.write(shcSpec.Cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.dirCert}))
	l.write(shcSpec.File, snap)
	l.write(shcSpec.Sig, sig)
}

// logBuffer is a server's log, for the tests to read.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// kiosk is a door's side of the list: the real syncer, over HTTP, into a
// real kiosk database, checked with the server's key as a kiosk pins it.
type kiosk struct {
	t      testing.TB
	syncer *upstream.Syncer
	held   *heldList
	now    func() time.Time
}

type heldList struct {
	mu   sync.Mutex
	last *upstream.Bundle
}

func (h *heldList) Apply(b *upstream.Bundle) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = b
	return nil
}

func (h *heldList) Version() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		return 0
	}
	return h.last.Version
}

var _ upstream.Holder = (*heldList)(nil)

func newKiosk(t testing.TB, ts *testServer) *kiosk {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "munjigi.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := func() time.Time { return *ts.now.Load() }
	c, err := upstream.New(upstream.Config{URL: ts.url, Kiosk: "door-1", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	k := &kiosk{t: t, held: &heldList{}, now: now}
	k.syncer = upstream.NewSyncer(c, ts.PublicKey(), db, k.held, now, mrand.New(mrand.NewPCG(1, 2)))
	return k
}

// sync fetches the list; changed says a new version is in force.
func (k *kiosk) sync() bool {
	k.t.Helper()
	changed, err := k.syncer.Sync(context.Background())
	if err != nil {
		k.t.Fatalf("the kiosk's sync: %v", err)
	}
	return changed
}

// check decides a scan with the list in force.
func (k *kiosk) check(qr string) verify.Result {
	k.t.Helper()
	k.held.mu.Lock()
	b := k.held.last
	k.held.mu.Unlock()
	if b == nil {
		k.t.Fatal("the kiosk has no list")
	}
	return verify.New(b.Trust, k.now).Verify([]byte(qr))
}

// dscIssuer is a fresh document signer.
func dscIssuer(t testing.TB) *demo.Issuer {
	t.Helper()
	iss, err := demo.GenerateIssuer(demo.IssuerOptions{Country: "KR"})
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// passBy is a vaccination pass iss signs, valid at now0.
func passBy(t testing.TB, iss *demo.Issuer) string {
	t.Helper()
	qr, err := iss.Issue(demo.Pass{
		HCert: map[string]any{
			"ver": "1.3.0",
			"nam": map[string]any{"fn": "Muster", "gn": "Erika", "fnt": "MUSTER", "gnt": "ERIKA"},
			"dob": "1964-08-12",
			"v": []any{map[string]any{
				"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215",
				"dn": 2, "sd": 2, "dt": "2026-10-01", "co": "KR", "is": "munjigi test issuer",
				"ci": "URN:UVCI:01:KR:MUNJIGI/TEST/0001#A",
			}},
		},
		IssuedAt:  now0.AddDate(0, 0, -10),
		ExpiresAt: now0.AddDate(1, 0, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	return qr
}

// shcIssuer is a fresh SMART Health Card issuer at iss.
func shcIssuer(t testing.TB, iss string) *demo.SHCIssuer {
	t.Helper()
	return demo.NewSHCIssuer(iss, mustKey(t, elliptic.P256()))
}

// cardBy is a health card is signs, as its QR's text.
func cardBy(t testing.TB, is *demo.SHCIssuer) string {
	t.Helper()
	jws, err := is.Sign(demo.HealthCard{
		IssuedAt: now0.AddDate(0, 0, -30), Rid: "AAAAAAAAAAA", Family: "Doe", Given: []string{"Jo"}, BirthDate: "1990-01-01",
		Shots: []demo.Shot{{CVX: "207", Date: "2026-01-01"}, {CVX: "207", Date: "2026-02-01"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return demo.NumericQR(jws)
}
