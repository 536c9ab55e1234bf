package e2e

// A bogus signed trust list against the real binary (issue 14, item 16):
// 'munjigi trust import' and 'trust sync' refuse it, keep the list in
// force, and hold a bounded amount of memory whatever its size.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/upstream"
)

// bogusSize is under the 32 MiB cap: the cap is not what refuses it.
const bogusSize = 31 << 20

// trustDoor is a kiosk's database with version 1 of a signed list in
// force, the key that signs it, and bogus lists as files and on a
// loopback server.
type trustDoor struct {
	dir, db, key string
	files        map[string]string // bogus lists by name
	url          string            // serves them at /<name>/v1/trustlist
	sent         chan int64        // the bytes of each reply, once sent
}

func newTrustDoor(tb testing.TB) *trustDoor {
	tb.Helper()
	d := &trustDoor{dir: tb.TempDir(), files: map[string]string{}, sent: make(chan int64, 100)}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	pemKey, _ := upstream.MarshalKey(&k.PublicKey)
	d.key = filepath.Join(d.dir, "key.pem")
	os.WriteFile(d.key, pemKey, 0o600)
	d.db = filepath.Join(d.dir, "door", "kiosk.db")

	var doc map[string]any
	json.Unmarshal(demo.TrustList(time.Now()), &doc)
	doc["version"], doc["issuedAt"], doc["expiresAt"] = 1, time.Now().Add(-time.Minute).Format(time.RFC3339), time.Now().Add(time.Hour).Format(time.RFC3339)
	body, _ := json.Marshal(doc)
	v1, err := upstream.Sign(body, k)
	if err != nil {
		tb.Fatal(err)
	}
	write := func(name string, r io.Reader) string {
		p := filepath.Join(d.dir, name)
		f, err := os.Create(p)
		if err != nil {
			tb.Fatal(err)
		}
		defer f.Close()
		if _, err := io.Copy(f, r); err != nil {
			tb.Fatal(err)
		}
		return p
	}
	v1Path := write("v1.jws", strings.NewReader(string(v1)))
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","typ":"` + upstream.ListType + `"}`))
	d.files["random-31MiB"] = write("random.jws", io.LimitReader(chacha(1), bogusSize))
	d.files["bogus-signature-31MiB"] = write("bogus-signature.jws", io.MultiReader(
		strings.NewReader(header+"."), io.LimitReader(&alphabet{chacha(2)}, bogusSize), strings.NewReader("."+strings.Repeat("A", 86)+"\n")))
	over := filepath.Join(d.dir, "over-the-cap.jws")
	if err := os.WriteFile(over, nil, 0o600); err != nil || os.Truncate(over, upstream.MaxTrustList+1) != nil {
		tb.Fatal("a sparse file over the cap")
	}
	d.files["over-the-cap-32MiB"] = over

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), upstream.PathTrustList)
		p, ok := d.files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", upstream.MediaTrustList)
		cw := &countingWriter{ResponseWriter: w}
		http.ServeFile(cw, r, p)
		select {
		case d.sent <- cw.n:
		default:
		}
	}))
	tb.Cleanup(srv.Close)
	d.url = srv.URL

	cmd := exec.Command(binPath, "trust", "import", v1Path, "--key", d.key, "--db", d.db)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("the first import: %v: %s", err, out)
	}
	return d
}

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	k, err := c.ResponseWriter.Write(p)
	c.n += int64(k)
	return k, err
}

func chacha(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return mrand.NewChaCha8(s)
}

// alphabet maps bytes into base64url: a payload that reads as one until
// its signature is checked.
type alphabet struct{ r io.Reader }

func (a *alphabet) Read(p []byte) (int, error) {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	k, err := a.r.Read(p)
	for i := range p[:k] {
		p[i] = chars[p[i]&63]
	}
	return k, err
}

// bogusRuns are the commands that take a bogus list, by case name.
func (d *trustDoor) bogusRuns() map[string][]string {
	runs := map[string][]string{}
	for name, p := range d.files {
		runs["import/"+name] = []string{"trust", "import", p, "--key", d.key, "--db", d.db}
		runs["sync/"+name] = []string{"trust", "sync", "--upstream", d.url + "/" + name, "--key", d.key, "--db", d.db}
	}
	return runs
}

// TestTrustListBogus: each bogus list is refused with its reason, exit 1,
// and the list in force stays; nothing is left beside the database. A
// list whose header is wrong, or which says it is over the cap, is not
// read to its end: the server cannot send it all.
func TestTrustListBogus(t *testing.T) {
	d := newTrustDoor(t)
	for name, args := range d.bogusRuns() {
		o := munjigi(t, nil, args...)
		if o.code != 1 || !strings.Contains(string(o.stderr), "trust list refused") || !strings.Contains(string(o.stderr), "the list in force stays") {
			t.Errorf("%s: exit %d: %s", name, o.code, o.stderr)
		}
		if !strings.HasPrefix(name, "sync/") {
			continue
		}
		// The server's handler ends when its writes fail or it is done.
		sent := <-d.sent
		if stops := name != "sync/bogus-signature-31MiB"; stops && sent >= bogusSize {
			t.Errorf("%s: the whole list was read (%d bytes)", name, sent)
		}
	}
	show := munjigi(t, nil, "trust", "show", "--key", d.key, "--db", d.db)
	if !strings.HasPrefix(string(show.stdout), "signed trust list: version 1,") {
		t.Errorf("after the bogus lists: %s %s", show.stdout, show.stderr)
	}
	if left, _ := os.ReadDir(filepath.Dir(d.db)); len(left) != 1 {
		t.Errorf("left beside the database: %v", left)
	}
}

// BenchmarkTrustListPeakRSS reports the binary's peak resident set (GNU
// time's %M: the kernel's ru_maxrss of its child) for each bogus list,
// and for 'trust show' on the same database (the process doing nothing
// in particular) as the base.
func BenchmarkTrustListPeakRSS(b *testing.B) {
	gnuTime, err := exec.LookPath("time")
	if err != nil {
		b.Skip("GNU time is not installed: it measures the child's peak RSS")
	}
	d := newTrustDoor(b)
	runs := d.bogusRuns()
	runs["base/trust-show"] = []string{"trust", "show", "--key", d.key, "--db", d.db}
	for _, name := range []string{"base/trust-show", "import/random-31MiB", "import/bogus-signature-31MiB", "import/over-the-cap-32MiB", "sync/random-31MiB", "sync/bogus-signature-31MiB", "sync/over-the-cap-32MiB"} {
		b.Run(name, func(b *testing.B) {
			var peak int64
			for b.Loop() {
				peak = max(peak, peakRSS(b, gnuTime, runs[name]))
			}
			b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
		})
	}
}

// peakRSS runs the binary under GNU time and returns its peak RSS in KiB.
// (Not os/exec's own rusage: Linux counts in a child's ru_maxrss the
// memory of the process it was started from, here the benchmark.)
func peakRSS(b *testing.B, gnuTime string, args []string) int64 {
	out := filepath.Join(b.TempDir(), "rss")
	cmd := exec.Command(gnuTime, append([]string{"-f", "%M", "-o", out, binPath}, args...)...)
	cmd.Env = append(os.Environ(), "MUNJIGI_CONFIG=none")
	cmd.Run() // refusals exit 1: what they say is TestTrustListBogus's
	text, err := os.ReadFile(out)
	if err != nil {
		b.Fatalf("%v: %v", args, err)
	}
	lines := strings.Fields(string(text))
	if len(lines) == 0 {
		b.Fatalf("%v: GNU time said nothing", args)
	}
	kib, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		b.Fatalf("%v: %q: %v", args, text, err)
	}
	return kib
}
