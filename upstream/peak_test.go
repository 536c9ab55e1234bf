//go:build linux

package upstream

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"munjigi/store"
)

// The peak-memory benchmark runs each case in a child process of its own
// (this test binary again, TestPeakRSSChild), which reports its peak
// resident set as the kernel keeps it (VmHWM in /proc/self/status), so one
// case's garbage is not another's peak and the figure is what the process
// really held, Go runtime, bbolt's map and all. (Not the child's
// ru_maxrss: Linux counts in it the parent's memory the child shared until
// exec, and the parent here holds the fixtures.)

// peakCases: the bogus lists of issue 14 item 16, refused; a genuine
// national list taken; the process with nothing to do (the base); and the
// old way (read whole, parse with go-jose) for the ratio.
var peakCases = []struct {
	name string
	run  func(*peakChild) error
	want string // in the error; "" when the list is taken
}{
	{"idle", func(c *peakChild) error { return nil }, ""},
	{"import/random-31MiB", func(c *peakChild) error { return c.importFile("random.jws") }, "not a signed list"},
	{"import/bogus-signature-31MiB", func(c *peakChild) error { return c.importFile("bogus-signature.jws") }, "not the authority's"},
	{"sync/random-31MiB", func(c *peakChild) error { return c.sync("random.jws") }, "not a signed list"},
	{"sync/bogus-signature-31MiB", func(c *peakChild) error { return c.sync("bogus-signature.jws") }, "not the authority's"},
	{"sync/bogus-signature-31MiB-chunked", func(c *peakChild) error { return c.sync("bogus-signature.jws+chunked") }, "not the authority's"},
	{"baseline-go-jose-whole/bogus-signature-31MiB", func(c *peakChild) error { return c.goJOSE("bogus-signature.jws") }, "cryptographic"},
	{"import/genuine-10000-DSC", func(c *peakChild) error { return c.importFile("genuine.jws") }, ""},
	{"sync/genuine-10000-DSC", func(c *peakChild) error { return c.sync("genuine.jws") }, ""},
	{"sync/genuine-10000-DSC-chunked", func(c *peakChild) error { return c.sync("genuine.jws+chunked") }, ""},
	{"reload-at-start/genuine-10000-DSC", func(c *peakChild) error { return c.reload() }, ""},
}

// BenchmarkPeakRSS reports each case's peak resident set, in MiB, over its
// runs; "idle" is the same process doing nothing, the base to subtract.
func BenchmarkPeakRSS(b *testing.B) {
	fx := peakFixtures(b)
	b.ReportMetric(float64(fx.genuineSize)/(1<<20), "genuine-list-MiB")
	for _, c := range peakCases {
		b.Run(c.name, func(b *testing.B) {
			var peak int64
			for b.Loop() {
				peak = max(peak, runPeakChild(b, fx, c.name))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
		})
	}
}

// runPeakChild runs one case in a child and returns its peak RSS in bytes.
func runPeakChild(b *testing.B, fx *peakFixture, name string) int64 {
	cmd := exec.Command(os.Args[0], "-test.run=^TestPeakRSSChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MUNJIGI_PEAK_CASE="+name, "MUNJIGI_PEAK_DIR="+fx.dir, "MUNJIGI_PEAK_URL="+fx.url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("%s: %v\n%s", name, err, out)
	}
	_, after, ok := bytes.Cut(out, []byte(peakMarker))
	var kib int64
	if !ok {
		b.Fatalf("%s: the child did not say its peak:\n%s", name, out)
	}
	if _, err := fmt.Sscanf(string(after), "%d", &kib); err != nil {
		b.Fatalf("%s: %v in %q", name, err, after)
	}
	return kib << 10
}

// peakMarker precedes the child's peak RSS in KiB on its output.
const peakMarker = "munjigi-peak-rss-kib="

// vmHWM is this process's peak resident set so far, in KiB.
func vmHWM() (int64, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			_, err := fmt.Sscanf(v, "%d", &kib)
			return kib, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

// TestPeakRSSChild is one case of BenchmarkPeakRSS, in its child process.
func TestPeakRSSChild(t *testing.T) {
	name := os.Getenv("MUNJIGI_PEAK_CASE")
	if name == "" {
		t.Skip("the child process of BenchmarkPeakRSS; it runs only there")
	}
	c := &peakChild{dir: os.Getenv("MUNJIGI_PEAK_DIR"), url: os.Getenv("MUNJIGI_PEAK_URL"), work: t.TempDir()}
	pemKey, err := os.ReadFile(filepath.Join(c.dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if c.key, err = ParseKey(string(pemKey)); err != nil {
		t.Fatal(err)
	}
	for _, pc := range peakCases {
		if pc.name != name {
			continue
		}
		err := pc.run(c)
		switch {
		case pc.want == "" && err != nil:
			t.Fatalf("%s: refused: %v", name, err)
		case pc.want != "" && (err == nil || !strings.Contains(err.Error(), pc.want)):
			t.Fatalf("%s: got %v, want a refusal with %q", name, err, pc.want)
		}
		kib, err := vmHWM()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%s%d\n", peakMarker, kib)
		return
	}
	t.Fatalf("no case %q", name)
}

// peakChild is what a child has: the fixtures' directory and server, and
// a directory of its own for a fresh database.
type peakChild struct {
	dir, url, work string
	key            *ecdsa.PublicKey
}

// peakNow is inside every fixture list's dates.
var peakNow = time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)

func (c *peakChild) syncer(db string, client *Client) (*Syncer, error) {
	d, err := store.Open(db, store.Options{})
	if err != nil {
		return nil, err
	}
	return NewSyncer(client, c.key, d, &listHolder{}, func() time.Time { return peakNow }, nil), nil
}

func (c *peakChild) importFile(name string) error {
	s, err := c.syncer(filepath.Join(c.work, "munjigi.db"), nil)
	if err != nil {
		return err
	}
	_, err = s.Import(filepath.Join(c.dir, name))
	return err
}

func (c *peakChild) sync(name string) error {
	client, err := New(Config{URL: c.url + "/" + name})
	if err != nil {
		return err
	}
	s, err := c.syncer(filepath.Join(c.work, "munjigi.db"), client)
	if err != nil {
		return err
	}
	_, err = s.Sync(context.Background())
	return err
}

func (c *peakChild) reload() error {
	s, err := c.syncer(filepath.Join(c.dir, "stored.db"), nil)
	if err != nil {
		return err
	}
	b, err := s.Load()
	if err == nil && b == nil {
		err = errors.New("no stored list")
	}
	return err
}

// goJOSE is how a list was opened before it was read as it comes: read
// whole, then parsed and verified by go-jose.
func (c *peakChild) goJOSE(name string) error {
	signed, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		return err
	}
	obj, err := jose.ParseSigned(strings.TrimSpace(string(signed)), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return err
	}
	_, err = obj.Verify(c.key)
	return err
}

// peakFixture is made once per benchmark run (BenchmarkPeakRSS runs its
// cases as sub-benchmarks, so it runs once): the lists as files, a
// loopback server that serves them, and a database with the genuine list
// stored.
type peakFixture struct {
	dir, url    string
	genuineSize int
}

func peakFixtures(b *testing.B) *peakFixture {
	dir := b.TempDir()
	key := newKey(b)
	pemKey, _ := MarshalKey(&key.PublicKey)
	genuine := sign(b, nationalList(b, 10_000, 3), key)
	write := func(name string, r io.Reader) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if _, err := io.Copy(f, r); err != nil {
			b.Fatal(err)
		}
	}
	write("key.pem", bytes.NewReader(pemKey))
	write("genuine.jws", bytes.NewReader(genuine))
	write("random.jws", randomBytes(1, bogusSize))
	write("bogus-signature.jws", io.MultiReader(text(goodHeader, "."), base64URLChars(4, bogusSize), text(".", sig86)))

	db, err := store.Open(filepath.Join(dir, "stored.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := NewSyncer(nil, &key.PublicKey, db, &listHolder{}, func() time.Time { return peakNow }, nil)
	if _, err := s.Import(filepath.Join(dir, "genuine.jws")); err != nil {
		b.Fatal(err)
	}
	db.Close()

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), PathTrustList)
		if name, ok := strings.CutSuffix(name, "+chunked"); ok {
			// No Content-Length, as a server that writes as it signs.
			f, err := os.Open(filepath.Join(dir, name))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			defer f.Close()
			w.(http.Flusher).Flush()
			io.Copy(w, f)
			return
		}
		http.ServeFile(w, r, filepath.Join(dir, name))
	}))
	b.Cleanup(srv.Close)
	return &peakFixture{dir: dir, url: srv.URL, genuineSize: len(genuine)}
}

// nationalList is a trust list of n document signers made like a national
// list: a P-256 key each, certified by one CSCA, with the DCC key usages
// and the bulk of a real DSC's extensions (~900 bytes of DER, so 10,000 of
// them sign to ~16 MiB, as a real 10,000-DSC list does).
func nationalList(tb testing.TB, n int, version int64) []byte {
	tb.Helper()
	csca, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	cscaCert := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CSCA", Country: []string{"KR"}}}
	bulk := bytes.Repeat([]byte{0x5a}, 480)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `{"version":%d,"issuedAt":%q,"expiresAt":%q,"dsc":[`, version,
		peakNow.Add(-time.Hour).Format(time.RFC3339), peakNow.Add(7*24*time.Hour).Format(time.RFC3339))
	for i := range n {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)),
			Subject:      pkix.Name{CommonName: fmt.Sprintf("DSC %d", i), Country: []string{"KR"}, Organization: []string{"Korea Disease Control and Prevention Agency"}},
			NotBefore:    peakNow.AddDate(-1, 0, 0),
			NotAfter:     peakNow.AddDate(1, 0, 0),
			UnknownExtKeyUsage: []asn1.ObjectIdentifier{
				{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 1}, {1, 3, 6, 1, 4, 1, 1847, 2021, 1, 2}, {1, 3, 6, 1, 4, 1, 1847, 2021, 1, 3},
			},
			ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Value: bulk}},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, cscaCert, &k.PublicKey, csca)
		if err != nil {
			tb.Fatal(err)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		e, _ := json.Marshal(map[string]string{"country": "KR", "certificate": base64.StdEncoding.EncodeToString(der)})
		buf.Write(e)
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}
