package upstream

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"munjigi/internal/spool"
	"munjigi/store"
)

// A bogus list is 31 MiB: under the cap, so the cap is not what refuses
// it (issue 14, item 16).
const bogusSize = 31 << 20

// jwsHeader encodes a protected header.
func jwsHeader(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }

var goodHeader = jwsHeader(`{"alg":"ES256","typ":"` + ListType + `"}`)

// randomBytes is n bytes of noise, made as they are read: a 31 MiB input
// costs the test no memory.
func randomBytes(seed uint64, n int64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	return io.LimitReader(rand.NewChaCha8(s), n)
}

// base64URLChars is n characters of the base64url alphabet, made as they
// are read: a payload that reads as one until its signature is checked.
func base64URLChars(seed uint64, n int64) io.Reader {
	return io.LimitReader(&alphabetReader{r: randomBytes(seed, n)}, n)
}

type alphabetReader struct{ r io.Reader }

func (a *alphabetReader) Read(p []byte) (int, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	k, err := a.r.Read(p)
	for i := range p[:k] {
		p[i] = alphabet[p[i]&63]
	}
	return k, err
}

func text(parts ...string) io.Reader { return strings.NewReader(strings.Join(parts, "")) }

// counted counts the bytes read from r.
type counted struct {
	r io.Reader
	n atomic.Int64
}

func (c *counted) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n.Add(int64(k))
	return k, err
}

// signedCase is one input to readSigned. in makes it with n bytes of
// filler where the case has any: bogusSize for the test, a few for the
// fuzz seeds.
type signedCase struct {
	name string
	in   func(good string, n int64) io.Reader
	want string // "" accepts; else in the refusal
	// early: refused within earlyBound bytes, whatever follows.
	early bool
}

// earlyBound is the most read of a list refused early: its header, and
// one buffer's worth past it.
const earlyBound = maxHeader + 1 + readBuffer

var sig86 = strings.Repeat("A", sigLen)

var signedCases = []signedCase{
	{"as signed", func(g string, _ int64) io.Reader { return text(g) }, "", false},
	{"white space around", func(g string, _ int64) io.Reader { return text("\n \t", g, "\r\n") }, "", false},

	// Refused within earlyBound bytes, whatever follows.
	{"random bytes", func(_ string, n int64) io.Reader { return randomBytes(1, n) }, "not a signed list", true},
	{"no dot", func(_ string, n int64) io.Reader { return io.LimitReader(&alphabetReader{r: zeros{}}, n) }, "no JWS header", true},
	{"alg in capitals", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(jwsHeader(`{"ALG":"ES256","typ":"`+ListType+`"}`), "."), base64URLChars(2, n))
	}, "not ES256", true},
	{"alg none", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(jwsHeader(`{"alg":"none"}`), "."), base64URLChars(2, n))
	}, "not ES256", true},
	{"alg HS256", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(jwsHeader(`{"alg":"HS256","typ":"`+ListType+`"}`), "."), base64URLChars(2, n))
	}, "not ES256", true},
	{"alg RS256", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(jwsHeader(`{"alg":"RS256"}`), "."), base64URLChars(2, n))
	}, "not ES256", true},
	{"header not JSON", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(jwsHeader(`hello`), "."), base64URLChars(2, n))
	}, "not a JSON object", true},
	{"header a JSON list", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(jwsHeader(`["ES256"]`), "."), base64URLChars(2, n))
	}, "not a JSON object", true},
	{"another type", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(jwsHeader(`{"alg":"ES256","typ":"JWT"}`), "."), base64URLChars(2, n))
	}, `type "JWT"`, true},
	{"type not a string", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(jwsHeader(`{"alg":"ES256","typ":7}`), "."), base64URLChars(2, n))
	}, "type 7", true},
	{"critical extension", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(jwsHeader(`{"alg":"ES256","crit":["exp"],"exp":1}`), "."), base64URLChars(2, n))
	}, "critical", true},
	{"header padded", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(goodHeader, "==."), base64URLChars(2, n))
	}, "header is not base64url", true},
	{"header broken by a line", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(goodHeader[:10], "\n", goodHeader[10:], "."), base64URLChars(2, n))
	}, "header is not base64url", true},
	{"header too long", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(jwsHeader(`{"alg":"ES256","x":"`+strings.Repeat("x", 2000)+`"}`), "."), base64URLChars(2, n))
	}, "no JWS header", true},
	{"payload not base64url", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(goodHeader, "."), base64URLChars(3, 100), text("+"), base64URLChars(3, n))
	}, "payload is not base64url at byte", true},
	{"payload in base64 with padding", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(goodHeader, "."), base64URLChars(3, 98), text("=="), base64URLChars(3, n))
	}, "payload is not base64url", true},

	// Refused only at the end: the signature covers all of it.
	{"bogus signature", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(goodHeader, "."), base64URLChars(4, n), text(".", sig86))
	}, "not the authority's", false},
	{"signature too long", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(goodHeader, "."), base64URLChars(4, n), text(".", sig86, "AA"))
	}, "not one ES256 signature", false},
	{"signature too short", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(goodHeader, "."), base64URLChars(4, n), text(".", sig86[:80]))
	}, "not one ES256 signature", false},
	{"a fourth part", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(goodHeader, "."), base64URLChars(4, n), text(".", sig86, ".", sig86))
	}, "not one ES256 signature", false},
	{"no signature", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(goodHeader, "."), base64URLChars(4, n))
	}, "truncated", false},
	{"payload cut", func(_ string, n int64) io.Reader {
		return io.MultiReader(text(goodHeader, "."), base64URLChars(4, n/4*4+1), text(".", sig86))
	}, "empty or cut", false},
	{"no payload", func(_ string, _ int64) io.Reader { return text(goodHeader, "..", sig86) }, "empty or cut", false},
	{"one part", func(g string, _ int64) io.Reader { return text(goodHeader) }, "one part", false},
	{"empty", func(string, int64) io.Reader { return text() }, "empty", false},
	{"white space only", func(string, int64) io.Reader { return text(" \n\n") }, "empty", false},
	{"data after the signature", func(g string, _ int64) io.Reader { return text(g, "\n{}") }, "data after the signature", false},
	{"one byte changed", func(g string, _ int64) io.Reader {
		b := []byte(g)
		b[len(b)/2] ^= 1
		return bytes.NewReader(b)
	}, "", false}, // refused one way or another: want is checked below
	{"over the cap", func(_ string, _ int64) io.Reader {
		return io.MultiReader(text(goodHeader, "."), base64URLChars(5, MaxTrustList), text(".", sig86))
	}, "cap", false},
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestReadSigned: what is refused, and how much of it is read first. A
// list whose header is wrong, or whose payload is not base64url, is
// refused within earlyBound bytes (33 KiB) of a 31 MiB input; one that
// looks right is read to its end, held nowhere, and refused for its
// signature; a good one is kept as it was signed, without the white space
// around it.
func TestReadSigned(t *testing.T) {
	key := newKey(t)
	good := string(sign(t, listJSON(t, 7, t0, t0.Add(time.Hour), nil), key))
	for _, c := range signedCases {
		t.Run(c.name, func(t *testing.T) {
			in := &counted{r: c.in(good, bogusSize)}
			var kept bytes.Buffer
			_, err := readSigned(in, &key.PublicKey, &kept)
			switch {
			case c.name == "one byte changed":
				if !errors.Is(err, ErrList) {
					t.Fatalf("a changed list: %v", err)
				}
				return
			case c.want == "":
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if kept.String() != good {
					t.Errorf("kept %d bytes, not the %d signed", kept.Len(), len(good))
				}
				return
			case !errors.Is(err, ErrList) || !strings.Contains(err.Error(), c.want):
				t.Fatalf("got %v, want ErrList with %q", err, c.want)
			}
			if n := in.n.Load(); c.early && n > earlyBound {
				t.Errorf("read %d bytes of %d before refusing, more than %d", n, bogusSize, earlyBound)
			}
			if n := in.n.Load(); c.name == "over the cap" && n != MaxTrustList+1 {
				t.Errorf("read %d bytes of a list over the cap, want %d", n, MaxTrustList+1)
			}
		})
	}
}

// FuzzReadSigned: whatever the input, readSigned refuses it or accepts
// it, never panics, and never accepts what go-jose would not verify with
// the key; what it accepts it keeps exactly, without the white space
// around it.
func FuzzReadSigned(f *testing.F) {
	key := newKey(f)
	good := string(sign(f, listJSON(f, 7, t0, t0.Add(time.Hour), nil), key))
	for _, c := range signedCases {
		if c.name == "over the cap" {
			continue
		}
		data, err := io.ReadAll(c.in(good, 64))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var kept bytes.Buffer
		text, err := readSigned(bytes.NewReader(data), &key.PublicKey, &kept)
		if err != nil {
			if !errors.Is(err, ErrList) {
				t.Fatalf("not a refusal: %v", err)
			}
			return
		}
		trimmed := bytes.TrimSpace(data)
		if !bytes.Equal(kept.Bytes(), trimmed) || text.size != int64(len(trimmed)) {
			t.Fatalf("kept %q of %q", kept.Bytes(), data)
		}
		obj, err := jose.ParseSigned(string(trimmed), []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			t.Fatalf("accepted what go-jose cannot parse: %v", err)
		}
		if _, err := obj.Verify(&key.PublicKey); err != nil {
			t.Fatalf("accepted what go-jose does not verify: %v", err)
		}
		if _, err := text.payload(bytes.NewReader(trimmed)); err != nil {
			t.Fatalf("accepted, and its payload does not decode: %v", err)
		}
	})
}

// listHolder keeps the list in force as the door does, counting what it
// is handed.
type listHolder struct {
	mu      sync.Mutex
	applied []int64
}

func (h *listHolder) Apply(b *Bundle) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.applied = append(h.applied, b.Version)
	return nil
}

func (h *listHolder) Version() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.applied) == 0 {
		return 0
	}
	return h.applied[len(h.applied)-1]
}

var _ Holder = (*listHolder)(nil)

// kiosk is a syncer on a real store, with version 1 of a list in force.
type kiosk struct {
	db     *store.DB
	dir    string
	holder *listHolder
	s      *Syncer
	stored []byte // the signed list in force
	key    *ecdsa.PrivateKey
}

func newKiosk(t testing.TB, url string) *kiosk {
	t.Helper()
	k := &kiosk{dir: t.TempDir(), holder: &listHolder{}, key: newKey(t)}
	db, err := store.Open(filepath.Join(k.dir, "munjigi.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	k.db = db
	var c *Client
	if url != "" {
		if c, err = New(Config{URL: url, Kiosk: "door-1"}); err != nil {
			t.Fatal(err)
		}
	}
	k.s = NewSyncer(c, &k.key.PublicKey, db, k.holder, func() time.Time { return t0 }, rand.New(rand.NewPCG(1, 1)))
	v1 := filepath.Join(t.TempDir(), "v1.jws")
	if err := os.WriteFile(v1, sign(t, listJSON(t, 1, t0.Add(-time.Hour), t0.Add(24*time.Hour), nil), k.key), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := k.s.Import(v1); err != nil {
		t.Fatal(err)
	}
	k.stored, _, _ = db.TrustList()
	return k
}

// unchanged checks that a refusal changed nothing: the list in force, the
// stored list, and no spool file left beside the database.
func (k *kiosk) unchanged(t *testing.T) {
	t.Helper()
	if v := k.holder.Version(); v != 1 || len(k.holder.applied) != 1 {
		t.Errorf("in force: version %d, applied %v", v, k.holder.applied)
	}
	if now, _, _ := k.db.TrustList(); !bytes.Equal(now, k.stored) {
		t.Errorf("the stored list changed")
	}
	left, _ := os.ReadDir(k.dir)
	if len(left) != 1 {
		t.Errorf("left beside the database: %v", left)
	}
}

// TestImportBogus: a bogus list from a file is refused, stops being read
// early where it can, and changes nothing.
func TestImportBogus(t *testing.T) {
	k := newKiosk(t, "")
	dir := t.TempDir()
	write := func(name string, r io.Reader) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := io.Copy(f, r); err != nil {
			t.Fatal(err)
		}
		return p
	}
	overCap := filepath.Join(dir, "over-the-cap.jws")
	if err := os.WriteFile(overCap, nil, 0o600); err != nil || os.Truncate(overCap, MaxTrustList+1) != nil {
		t.Fatal("a sparse file over the cap", err)
	}
	for _, c := range []struct {
		path, want string
	}{
		{overCap, "cap"},
		{write("random.jws", randomBytes(1, bogusSize)), "not a signed list"},
		{write("alg-none.jws", io.MultiReader(text(jwsHeader(`{"alg":"none"}`), "."), base64URLChars(2, bogusSize))), "not ES256"},
		{write("bogus-signature.jws", io.MultiReader(text(goodHeader, "."), base64URLChars(4, bogusSize), text(".", sig86, "\n"))), "not the authority's"},
		{write("v9-by-another-key.jws", bytes.NewReader(sign(t, listJSON(t, 9, t0, t0.Add(time.Hour), nil), newKey(t)))), "not the authority's"},
	} {
		_, err := k.s.Import(c.path)
		if !errors.Is(err, ErrList) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ErrList with %q", filepath.Base(c.path), err, c.want)
		}
	}
	k.unchanged(t)
	if _, err := k.s.Import(dir); err == nil {
		t.Error("a directory was imported")
	}
}

// TestInstallStopsEarly: the syncer stops reading a list with a bad
// header at once, whatever follows it.
func TestInstallStopsEarly(t *testing.T) {
	k := newKiosk(t, "")
	for _, c := range signedCases {
		if !c.early {
			continue
		}
		in := &counted{r: c.in("", bogusSize)}
		if _, err := k.s.install(in, -1, ""); !errors.Is(err, ErrList) {
			t.Errorf("%s: %v", c.name, err)
		}
		if n := in.n.Load(); n > earlyBound {
			t.Errorf("%s: read %d bytes before refusing", c.name, n)
		}
	}
	k.unchanged(t)
}

// bogusServer serves bogus lists on loopback by path, counting what it
// managed to send.
type bogusServer struct {
	*httptest.Server
	sent chan int64 // each reply's bytes sent, once its handler ends
}

func newBogusServer(t testing.TB, key *ecdsa.PrivateKey) *bogusServer {
	t.Helper()
	bs := &bogusServer{sent: make(chan int64, 1)}
	v2 := sign(t, listJSON(t, 2, t0.Add(-time.Hour), t0.Add(24*time.Hour), nil), key)
	bs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader
		w.Header().Set("Content-Type", MediaTrustList)
		switch strings.TrimSuffix(r.URL.Path, PathTrustList) {
		case "/random":
			body = randomBytes(1, bogusSize)
		case "/alg-none":
			body = io.MultiReader(text(jwsHeader(`{"alg":"none"}`), "."), base64URLChars(2, bogusSize))
		case "/bogus-signature":
			body = io.MultiReader(text(goodHeader, "."), base64URLChars(4, bogusSize), text(".", sig86))
		case "/says-over-the-cap":
			w.Header().Set("Content-Length", strconv.Itoa(MaxTrustList+1))
			body = base64URLChars(4, MaxTrustList+1)
		case "/chunked-over-the-cap":
			w.(http.Flusher).Flush() // no Content-Length: chunked
			body = io.MultiReader(text(goodHeader, "."), base64URLChars(4, MaxTrustList))
		case "/genuine":
			w.Header().Set("ETag", `"v2"`)
			body = bytes.NewReader(v2)
		default:
			http.NotFound(w, r)
			return
		}
		n, _ := io.Copy(w, body)
		bs.sent <- n
	}))
	t.Cleanup(bs.Close)
	return bs
}

// TestSyncBogus: a bogus list over HTTP is refused and changes nothing;
// one whose header is wrong, or that says it is over the cap, is not
// read to its end: the server could not send it all.
func TestSyncBogus(t *testing.T) {
	k := newKiosk(t, "")
	bs := newBogusServer(t, k.key)
	for _, c := range []struct {
		path, want string
		stopped    bool // the reading stops before the end
	}{
		{"/random", "not a signed list", true},
		{"/alg-none", "not ES256", true},
		{"/says-over-the-cap", "cap", true},
		{"/chunked-over-the-cap", "cap", false},
		{"/bogus-signature", "not the authority's", false},
	} {
		c1, err := New(Config{URL: bs.URL + c.path})
		if err != nil {
			t.Fatal(err)
		}
		s := NewSyncer(c1, &k.key.PublicKey, k.db, k.holder, func() time.Time { return t0 }, nil)
		changed, err := s.Sync(context.Background())
		if changed || !errors.Is(err, ErrList) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: changed %v, %v; want ErrList with %q", c.path, changed, err, c.want)
		}
		// The handler ends once its writes fail.
		if sent := <-bs.sent; c.stopped && sent >= bogusSize {
			t.Errorf("%s: the whole list was read (%d bytes)", c.path, sent)
		}
	}
	k.unchanged(t)

	// A genuine list still syncs, is stored and reloads.
	c2, _ := New(Config{URL: bs.URL + "/genuine"})
	s := NewSyncer(c2, &k.key.PublicKey, k.db, k.holder, func() time.Time { return t0 }, nil)
	if changed, err := s.Sync(context.Background()); err != nil || !changed {
		t.Fatalf("a genuine list: %v %v", changed, err)
	}
	<-bs.sent
	if st := s.State(); st.ETag != `"v2"` || !st.Fetched.Equal(t0) {
		t.Errorf("state after the sync: %+v", st)
	}
	restarted := &listHolder{}
	if _, err := NewSyncer(nil, &k.key.PublicKey, k.db, restarted, nil, nil).Load(); err != nil || restarted.Version() != 2 {
		t.Errorf("after a restart: version %d, %v", restarted.Version(), err)
	}
}

// TestLargeListSpooled: a list larger than the memory spool goes through
// a file beside the database, is checked, put in force, stored as it was
// signed (without the white space around it) and reloads; no file is left
// behind, whether it is taken or refused.
func TestLargeListSpooled(t *testing.T) {
	old := spoolMemory
	spoolMemory = 512
	t.Cleanup(func() { spoolMemory = old })
	k := newKiosk(t, "")
	signed := sign(t, listJSON(t, 5, t0.Add(-time.Hour), t0.Add(time.Hour), map[string]any{
		"rules": []any{rawRule()}, "padding": strings.Repeat("x", 8<<10)}), k.key)
	sp := &spool.Spool{Dir: k.dir, Memory: spoolMemory}
	if _, err := readSigned(bytes.NewReader(signed), &k.key.PublicKey, sp); err != nil {
		t.Fatal(err)
	}
	spooled := sp.Spooled()
	sp.Close()
	if !spooled {
		t.Fatalf("a list of %d bytes was not spooled to a file past %d", len(signed), spoolMemory)
	}

	p := filepath.Join(t.TempDir(), "v5.jws")
	os.WriteFile(p, append(append([]byte("\n"), signed...), "\r\n"...), 0o600)
	b, err := k.s.Import(p)
	if err != nil || b.Version != 5 || len(b.Rules) != 1 {
		t.Fatalf("import: %v", err)
	}
	if stored, _, _ := k.db.TrustList(); !bytes.Equal(stored, signed) {
		t.Errorf("stored %d bytes, not the %d signed", len(stored), len(signed))
	}
	if left, _ := os.ReadDir(k.dir); len(left) != 1 {
		t.Errorf("left beside the database: %v", left)
	}
	restarted := &listHolder{}
	if _, err := NewSyncer(nil, &k.key.PublicKey, k.db, restarted, nil, nil).Load(); err != nil || restarted.Version() != 5 {
		t.Errorf("after a restart: version %d, %v", restarted.Version(), err)
	}
	// Changed after it was signed: refused, from the file too.
	bad := bytes.Clone(signed)
	bad[len(bad)-10] ^= 1
	os.WriteFile(p, bad, 0o600)
	if _, err := k.s.Import(p); !errors.Is(err, ErrList) {
		t.Errorf("a changed list: %v", err)
	}
	if left, _ := os.ReadDir(k.dir); len(left) != 1 {
		t.Errorf("left beside the database: %v", left)
	}
}

func rawRule() any {
	var r any
	if err := json.Unmarshal([]byte(ruleJSON), &r); err != nil {
		panic(err)
	}
	return r
}

// TestStreamFailureCounts: a reply cut while the list is read is a failed
// call, not a refused list, and the client's health says so.
func TestStreamFailureCounts(t *testing.T) {
	key := newKey(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		io.WriteString(w, goodHeader+".AAAA")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection drops mid-list
	}))
	defer srv.Close()
	c, _ := New(Config{URL: srv.URL})
	db, err := store.Open(filepath.Join(t.TempDir(), "munjigi.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := NewSyncer(c, &key.PublicKey, db, &listHolder{}, nil, nil)
	_, err = s.Sync(context.Background())
	if err == nil || errors.Is(err, ErrList) {
		t.Fatalf("a cut reply: %v", err)
	}
	if h := c.Health(); h.LastErr == nil {
		t.Errorf("the client's health does not show the cut: %+v", h)
	}
}

// TestPingReadsNoBody: a server that answers a ping with a whole list is
// not read.
func TestPingReadsNoBody(t *testing.T) {
	var sent atomic.Int64
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		n, _ := io.Copy(w, base64URLChars(1, bogusSize))
		sent.Store(n)
	}))
	defer srv.Close()
	c, _ := New(Config{URL: srv.URL})
	if _, err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-done
	if n := sent.Load(); n >= bogusSize {
		t.Errorf("the ping read the whole reply (%d bytes)", n)
	}
}
