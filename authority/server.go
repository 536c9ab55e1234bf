// Package authority is the authority's side of the upstream protocol
// (docs/upstream.md): the server kiosks ask about one-time tokens, fetch
// the signed trust list from, and upload their entries to.
//
// Servers are stateless: everything they keep is in a Store, bbolt on one
// machine (a venue, a small authority) or PostgreSQL for a nation, where
// any number of servers on one database give the same answers
// (docs/national.md). Every store call has a deadline well inside a
// kiosk's budget, and a store that is down or slow is answered with 503
// and Retry-After at once: kiosks keep deciding signed passes without any
// server, and the servers recover by themselves when the store returns.
package authority

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
	"golang.org/x/sync/singleflight"

	"munjigi/upstream"
	"munjigi/verify"
)

// Defaults.
const (
	// DefaultRetention is the Korean entry register's: 28 days.
	DefaultRetention = 28 * 24 * time.Hour
	// DefaultDBTimeout is each store call's deadline: about half of a
	// kiosk's 1.5 s token budget, so a slow database is answered (503)
	// while the kiosk still listens.
	DefaultDBTimeout = 800 * time.Millisecond
	// DefaultRetryAfter is what a 503 asks kiosks to wait.
	DefaultRetryAfter = 2 * time.Second

	// partitionsAhead is how far past the present entries are filed by
	// their visit time: a kiosk's clock a little ahead.
	partitionsAhead = 48 * time.Hour
)

// Config is a server's.
type Config struct {
	// DataDir holds the signing key (signing-key.pem, made on first run),
	// its public half for kiosks to pin (trustkey.pem), list/ (trust.json,
	// rules/*.json, valuesets.json, and sources.json with the key sources
	// it declares: the trust list's sources) and, for the bbolt store,
	// server.db. Servers on one PostgreSQL store need the same key and the
	// same list/: give them the same folder's contents.
	DataDir string
	// Store is where the server keeps its state: "" (bbolt in DataDir) or
	// a postgres:// URL.
	Store string
	// Credentials maps a bearer credential to the kiosk it names. Empty:
	// any caller is served (the serve command allows that on loopback
	// only).
	Credentials map[string]string
	// MintCredential is the bearer credential POST /v1/tokens (demo
	// tokens) takes. Empty: minting is off. A caller's address proves
	// nothing: behind a proxy on the same machine, everyone is local.
	MintCredential string

	TokenTTL  time.Duration // how long a minted token lives; 0: 60 s
	ListTTL   time.Duration // how long a signed list is valid; 0: 7 days
	Retention time.Duration // how long entries are kept; 0: 28 days

	// DBTimeout bounds every store call made for a request (0: 800 ms);
	// RetryAfter is what a 503 asks for (0: 2 s).
	DBTimeout  time.Duration
	RetryAfter time.Duration
	// ListPoll is how long a server serves the list it has before asking
	// the store whether another server published a newer one (0: 1 s).
	ListPoll time.Duration
	// MaintainEvery is how often the server purges (0: hourly, the first
	// time at a random moment of the first ten minutes; < 0: never, for
	// tests and tools that call Maintain).
	MaintainEvery time.Duration

	Now func() time.Time
	Log *slog.Logger // nil: nothing is logged
}

// Server is the authority's server: an http.Handler over a Store.
type Server struct {
	cfg     Config
	st      Store
	own     bool // Close closes st
	key     *ecdsa.PrivateKey
	pub     []byte // PEM
	breaker *gobreaker.TwoStepCircuitBreaker[struct{}]
	lists   singleflight.Group

	mu     sync.Mutex
	list   *List     // the list served
	polled time.Time // when the store was last asked for its list (monotonic)
	src    *sources

	stop context.CancelFunc
	done chan struct{}
}

// Open opens the store cfg names and a server on it.
func Open(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "list", "rules"), 0o700); err != nil {
		return nil, err
	}
	st, err := OpenStore(context.Background(), cfg.Store, cfg.DataDir, StoreOptions{Retention: cfg.Retention, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	s, err := New(cfg, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	s.own = true
	return s, nil
}

func (cfg Config) withDefaults() Config {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Minute
	}
	if cfg.ListTTL <= 0 {
		cfg.ListTTL = 7 * 24 * time.Hour
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.DBTimeout <= 0 {
		cfg.DBTimeout = DefaultDBTimeout
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = DefaultRetryAfter
	}
	if cfg.ListPoll <= 0 {
		cfg.ListPoll = time.Second
	}
	if cfg.MaintainEvery == 0 {
		cfg.MaintainEvery = time.Hour
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// New makes a server on a store the caller owns (Close leaves it open).
func New(cfg Config, st Store) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "list", "rules"), 0o700); err != nil {
		return nil, err
	}
	key, err := loadOrCreateKey(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("authority: the signing key: %w", err)
	}
	pub, err := upstream.MarshalKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	if err := writeTrustKey(cfg.DataDir, pub); err != nil {
		return nil, fmt.Errorf("authority: the public key for pinning: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.PinKey(ctx, pub); err != nil {
		return nil, fmt.Errorf("authority: %s/%s: %w", cfg.DataDir, signingKeyFile, err)
	}
	s := &Server{cfg: cfg, st: st, key: key, pub: pub, done: make(chan struct{})}
	s.breaker = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name: "store",
		// One trial call at a time while the store may be back.
		MaxRequests: 1,
		// Open: every request is answered 503 at once, without a call,
		// for a second; then a trial call.
		Timeout:     time.Second,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 3 },
		// A kiosk that hung up is no fault of the store's, nor is a list
		// that cannot be built from its sources.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) || errors.Is(err, errListContent) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			s.cfg.Log.Warn("the store", "was", from.String(), "is", to.String())
		},
	})
	ctx, s.stop = context.WithCancel(context.Background())
	if cfg.MaintainEvery > 0 {
		go s.maintain(ctx)
	} else {
		close(s.done)
	}
	return s, nil
}

// Close stops the server's background work, and closes the store when
// the server opened it.
func (s *Server) Close() error {
	s.stop()
	<-s.done
	if s.own {
		return s.st.Close()
	}
	return nil
}

// Store is the server's store.
func (s *Server) Store() Store { return s.st }

// PublicKey is the key kiosks pin to check the trust list.
func (s *Server) PublicKey() *ecdsa.PublicKey { return &s.key.PublicKey }

// TrustKeyPath is where the public key is written for pinning.
func (s *Server) TrustKeyPath() string { return filepath.Join(s.cfg.DataDir, trustKeyFile) }

func (s *Server) listDir() string { return filepath.Join(s.cfg.DataDir, "list") }

// errUnavailable is a store that failed, or that the breaker keeps away
// from: a 503.
var errUnavailable = errors.New("authority: the store is unavailable")

// do runs one store call within the database deadline, through the
// breaker: while it is open the call is not made at all.
func (s *Server) do(ctx context.Context, timeout time.Duration, call func(context.Context) error) error {
	done, err := s.breaker.Allow()
	if err != nil {
		return fmt.Errorf("%w (%w)", errUnavailable, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = call(ctx)
	done(err)
	if errors.Is(err, errListContent) {
		return err // the store answered; the list's sources did not
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errUnavailable, err)
	}
	return nil
}

// unavailable answers a request the store could not serve: 503 and
// Retry-After, the kiosk's cue to wait rather than to retry at once.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the kiosk went away; nobody is listening
	}
	s.cfg.Log.Warn("store call failed", "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(s.cfg.RetryAfter.Seconds()))))
	http.Error(w, "the authority's database is unavailable: try again later", http.StatusServiceUnavailable)
}

// Handler serves the protocol.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+upstream.PathTokenVerify, s.auth(s.verifyToken))
	mux.HandleFunc("POST "+upstream.PathTokenMint, s.mintToken)
	mux.HandleFunc("GET "+upstream.PathTrustList, s.auth(s.trustList))
	mux.HandleFunc("POST "+upstream.PathEntries, s.auth(s.entries))
	mux.HandleFunc("GET "+upstream.PathTrustKey, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(s.pub)
	})
	return mux
}

// auth checks the bearer credential when the server has any, and names
// the kiosk.
func (s *Server) auth(next func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		kiosk := r.Header.Get(upstream.HeaderKiosk)
		if len(s.cfg.Credentials) > 0 {
			cred, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			name, known := s.cfg.Credentials[cred]
			if !ok || !known {
				http.Error(w, "unknown kiosk credential", http.StatusUnauthorized)
				return
			}
			kiosk = name // the credential says who it is
		}
		if kiosk = verify.Sanitize(kiosk, 64); kiosk == "" {
			kiosk = "anonymous"
		}
		next(w, r, kiosk)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// readJSON reads a request body of at most limit bytes into v.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		http.Error(w, "the request is too large or cut off", http.StatusRequestEntityTooLarge)
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		http.Error(w, "the request is not JSON: "+verify.Sanitize(err.Error(), 200), http.StatusBadRequest)
		return false
	}
	return true
}

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// maxToken is the longest token looked up: anything longer was never
// minted.
const maxToken = 512

// mintToken makes a demo token for a caller with the minting credential.
func (s *Server) mintToken(w http.ResponseWriter, r *http.Request) {
	if s.cfg.MintCredential == "" {
		http.Error(w, "minting demo tokens is off on this server", http.StatusForbidden)
		return
	}
	cred, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(cred), []byte(s.cfg.MintCredential)) != 1 {
		http.Error(w, "minting needs the minting credential", http.StatusUnauthorized)
		return
	}
	var req upstream.MintRequest
	if !readJSON(w, r, 4<<10, &req) {
		return
	}
	raw := make([]byte, 16)
	rand.Read(raw)
	token := "MJT1:" + tokenEncoding.EncodeToString(raw)
	t := Token{ExpiresAt: s.cfg.Now().Add(s.cfg.TokenTTL)}
	t.Reply.Verdict, t.Reply.Type, t.Reply.Reason = req.Verdict, req.Type, string(verify.ReasonOK)
	switch verify.Verdict(t.Reply.Verdict) {
	case "":
		t.Reply.Verdict = string(verify.Pass)
	case verify.Pass, verify.Fail, verify.Manual:
	default:
		http.Error(w, "verdict: pass, fail or manual", http.StatusBadRequest)
		return
	}
	switch t.Reply.Type {
	case "":
		t.Reply.Type = "v"
	case "v", "t", "r":
	default:
		http.Error(w, "type: v, t or r", http.StatusBadRequest)
		return
	}
	// Masked before it is stored: the server never holds the name whole.
	t.Reply.Holder.Name, t.Reply.Holder.BirthYear = verify.MaskFullName(req.Name), req.BirthYear
	t.Reply.ExpiresAt = t.ExpiresAt
	err := s.do(r.Context(), s.cfg.DBTimeout, func(ctx context.Context) error { return s.st.MintToken(ctx, token, t) })
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	writeJSON(w, upstream.MintReply{Token: token, ExpiresAt: t.ExpiresAt})
}

// verifyToken consumes a token: the first check gets its verdict, every
// later one "token-used", whichever server it asks.
func (s *Server) verifyToken(w http.ResponseWriter, r *http.Request, _ string) {
	var req upstream.TokenRequest
	if !readJSON(w, r, 4<<10, &req) {
		return
	}
	var reply upstream.TokenReply
	state := TokenUnknown
	if req.Token != "" && len(req.Token) <= maxToken {
		err := s.do(r.Context(), s.cfg.DBTimeout, func(ctx context.Context) (err error) {
			reply, state, err = s.st.ConsumeToken(ctx, req.Token, s.cfg.Now())
			return err
		})
		if err != nil {
			s.unavailable(w, r, err)
			return
		}
	}
	switch state {
	case TokenUsed:
		reply = upstream.TokenReply{Verdict: string(verify.Fail), Reason: string(verify.ReasonTokenUsed)}
	case TokenUnknown:
		reply = upstream.TokenReply{Verdict: string(verify.Fail), Reason: string(verify.ReasonTokenInvalid)}
	}
	writeJSON(w, reply)
}

// maxBatch is the most entries one upload may carry.
const maxBatch = 1000

// entries files a batch: each (kiosk, epoch, seq) once, whatever the
// retries; what was stored now and what was held already come from the
// store.
func (s *Server) entries(w http.ResponseWriter, r *http.Request, kiosk string) {
	var batch upstream.EntryBatch
	if !readJSON(w, r, 4<<20, &batch) {
		return
	}
	if len(batch.Entries) > maxBatch {
		http.Error(w, fmt.Sprintf("at most %d entries a batch", maxBatch), http.StatusRequestEntityTooLarge)
		return
	}
	if !upstream.ValidEpoch(batch.Epoch) {
		http.Error(w, fmt.Sprintf("epoch: at most %d letters, digits and '-'", upstream.MaxEpoch), http.StatusBadRequest)
		return
	}
	for i := range batch.Entries {
		if err := clean(&batch.Entries[i]); err != nil {
			http.Error(w, fmt.Sprintf("entries[%d]: %v", i, err), http.StatusBadRequest)
			return
		}
	}
	var reply upstream.EntryReply
	err := s.do(r.Context(), s.cfg.DBTimeout, func(ctx context.Context) (err error) {
		reply, err = s.st.Ingest(ctx, kiosk, batch.Epoch, batch.Entries, s.cfg.Now())
		return err
	})
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	writeJSON(w, reply)
}

// earliest and latest bound a visit time the server files: a database
// takes neither year 0 nor year 10,000.
var (
	earliest = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	latest   = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// clean makes an entry's words safe to keep (no control characters, no
// NUL, which PostgreSQL's text refuses, short) and checks its numbers.
func clean(e *upstream.Entry) error {
	if e.Seq == 0 || e.Seq > math.MaxInt64 {
		return errors.New("seq: from 1 to 2^63-1")
	}
	if e.At.Before(earliest) || !e.At.Before(latest) {
		return errors.New("at: from 1970 to 9000")
	}
	for _, f := range []*string{&e.Verdict, &e.Method, &e.Format, &e.Type, &e.Reason} {
		*f = verify.Sanitize(*f, 40)
	}
	if e.Verdict == "" || e.Method == "" {
		return errors.New("verdict and method are required")
	}
	return nil
}

// Received counts the entries the server holds, by kiosk (tests, tools).
func (s *Server) Received(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := s.st.Entries(ctx, Filter{}, func(r Record) error {
		out[r.Kiosk]++
		return nil
	})
	return out, err
}

// trustList serves the signed list, or 304 when the kiosk has it.
func (s *Server) trustList(w http.ResponseWriter, r *http.Request, _ string) {
	l, err := s.currentList()
	if err != nil {
		if errors.Is(err, errUnavailable) {
			s.unavailable(w, r, err)
			return
		}
		http.Error(w, "the trust list cannot be built: "+verify.Sanitize(err.Error(), 200), http.StatusInternalServerError)
		return
	}
	w.Header().Set("ETag", l.ETag)
	w.Header().Set("Cache-Control", "no-cache")
	if inm := r.Header.Get("If-None-Match"); inm == l.ETag || inm == "*" { // "*": any version (a reachability check)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", upstream.MediaTrustList)
	w.Write(l.Signed)
}

// currentList is the list to serve: the one this server has, while its
// sources are unchanged, the store was asked within ListPoll and the list
// is within the first half of its validity; else the store's, published
// first when this server's sources or the list's age call for a new
// version.
func (s *Server) currentList() (*List, error) {
	stat, err := statSources(s.listDir())
	if err != nil {
		s.cfg.Log.Warn("the trust list's sources", "err", err)
	}
	s.mu.Lock()
	l, src := s.list, s.src
	fresh := l != nil && src != nil && src.stat == stat && time.Since(s.polled) < s.cfg.ListPoll &&
		s.cfg.Now().Sub(l.IssuedAt) < s.cfg.ListTTL/2
	s.mu.Unlock()
	if fresh {
		return l, nil
	}
	v, err, _ := s.lists.Do("list", func() (any, error) { return s.refreshList(stat) })
	if err != nil {
		if l != nil {
			// The list this server has is signed and whole: kiosks are
			// better served with it than with nothing while the store
			// is away.
			s.cfg.Log.Warn("serving the list in hand", "version", l.Version, "err", err)
			return l, nil
		}
		return nil, err
	}
	return v.(*List), nil
}

// publishTimeout bounds a publication: building and signing a large list
// takes longer than a lookup, and no kiosk waits on it at the door.
const publishTimeout = 30 * time.Second

func (s *Server) refreshList(stat string) (*List, error) {
	s.mu.Lock()
	src, have := s.src, s.list
	s.mu.Unlock()
	if src == nil || src.stat != stat {
		src = readSources(s.listDir(), stat)
		if src.err != nil {
			s.cfg.Log.Warn("the trust list's sources make no list", "err", src.err)
		} else if len(src.specs) > 0 {
			if err := s.readKeySources(src); err != nil {
				return nil, err // the store's: the next fetch tries again
			}
		}
		// Kept at once: converting the key sources again costs seconds,
		// and whether a list is fresh hangs on polled, which only a whole
		// refresh moves.
		s.mu.Lock()
		s.src = src
		s.mu.Unlock()
	}
	var known int64
	if have != nil {
		known = have.Version
	}
	var cur *List
	err := s.do(context.Background(), s.cfg.DBTimeout, func(ctx context.Context) (err error) {
		cur, err = s.st.CurrentList(ctx, known)
		return err
	})
	if err != nil {
		return nil, err
	}
	if cur != nil && cur.Signed == nil {
		cur.Signed = have.Signed
	}
	now := s.cfg.Now()
	if s.due(cur, src, now) {
		err := s.do(context.Background(), publishTimeout, func(ctx context.Context) (err error) {
			cur, err = s.st.PublishList(ctx, func(c *List, version int64) (*List, error) {
				return s.nextList(ctx, c, version, src, now)
			})
			return err
		})
		if errors.Is(err, errListContent) {
			// Not tried again until list/ changes (or the list is due to
			// be signed again): building it costs seconds.
			s.cfg.Log.Error("the trust list's sources make no list", "err", err)
			s.mu.Lock()
			src.err = err
			s.mu.Unlock()
		}
		if err != nil {
			return nil, err
		}
		if cur != nil && cur.Signed == nil {
			// No new version: the newest is the one in hand, or another
			// server's, read whole once.
			if have != nil && have.Version == cur.Version {
				cur.Signed = have.Signed
			} else {
				version := cur.Version
				err := s.do(context.Background(), publishTimeout, func(ctx context.Context) (err error) {
					cur, err = s.signedList(ctx, version)
					return err
				})
				if err != nil {
					return nil, err
				}
			}
		}
	}
	if cur == nil {
		if src.err != nil {
			return nil, fmt.Errorf("no list has been published: %w", src.err)
		}
		return nil, errors.New("no list has been published")
	}
	s.mu.Lock()
	s.list, s.src, s.polled = cur, src, time.Now()
	s.mu.Unlock()
	return cur, nil
}

// readKeySources converts each key source again, its signature checked
// again; keeps what verifies in the store, and takes from the store the
// last good content of what does not. The hash of the list's content
// then covers what each source gives it: a new source version makes a
// new list version, a refused one does not. An error is the store's.
func (s *Server) readKeySources(src *sources) error {
	now := s.cfg.Now().UTC().Truncate(time.Microsecond)
	h := sha256.New()
	h.Write([]byte(src.hash))
	src.keys = make([]SourceStatus, 0, len(src.specs))
	for _, spec := range src.specs {
		st := SourceStatus{SourceSpec: spec}
		c, rep, err := convertSource(s.listDir(), spec)
		st.Report = rep
		if err == nil {
			st.State, st.Hash, st.Size, st.VerifiedAt = SourceVerified, c.hash, len(c.content), now
			err := s.do(context.Background(), publishTimeout, func(ctx context.Context) error {
				return s.st.KeepSource(ctx, SourceContent{Name: spec.Name, Hash: c.hash, At: c.at, VerifiedAt: now, Content: c.content})
			})
			if err != nil {
				return fmt.Errorf("keeping list source %s: %w", spec.Name, err)
			}
			s.cfg.Log.Info("list source verified", "source", spec.Name, "format", string(spec.Format), "file", spec.File,
				"read", rep.Read, "kept", rep.Kept, "skipped", len(rep.Skipped), "hash", c.hash[:12])
		} else {
			st.Err = err
			var last *SourceContent
			lerr := s.do(context.Background(), publishTimeout, func(ctx context.Context) (err error) {
				last, err = s.st.LoadSource(ctx, spec.Name, "")
				return err
			})
			if lerr != nil {
				return fmt.Errorf("the last good content of list source %s: %w", spec.Name, lerr)
			}
			if last != nil {
				st.State, st.Hash, st.Size, st.VerifiedAt = SourceLastGood, last.Hash, len(last.Content), last.VerifiedAt
				s.cfg.Log.Warn("list source does not verify: the list keeps its last good content", "source", spec.Name,
					"format", string(spec.Format), "file", spec.File, "err", err, "verified", last.VerifiedAt, "hash", last.Hash[:min(12, len(last.Hash))])
			} else {
				st.State = SourceLeftOut
				s.cfg.Log.Error("list source does not verify and never has: it is left out of the list", "source", spec.Name,
					"format", string(spec.Format), "file", spec.File, "err", err)
			}
		}
		if st.Hash != "" {
			fmt.Fprintf(h, "source\x00%s\x00%s\x00", spec.Name, st.Hash)
		}
		src.keys = append(src.keys, st)
	}
	src.hash = hex.EncodeToString(h.Sum(nil))
	return nil
}

// due says whether a new version is called for: none yet, this server's
// sources changed and are newer than the list's, or the list is half way
// through its validity.
func (s *Server) due(cur *List, src *sources, now time.Time) bool {
	return cur == nil || src.newer(cur) || now.Sub(cur.IssuedAt) >= s.cfg.ListTTL/2
}

// newer reports whether these sources should replace the list's content.
func (src *sources) newer(cur *List) bool {
	return src.err == nil && src.hash != cur.SourceHash && src.at.After(cur.SourcesAt)
}

// nextList decides again, as the one publisher, with the newest list in
// hand: another server may have published since this one looked.
func (s *Server) nextList(ctx context.Context, cur *List, version int64, src *sources, now time.Time) (*List, error) {
	switch {
	case src.err == nil && (cur == nil || src.newer(cur)):
		var rep mergeReport
		var loadErr error
		l, err := signList(func(w io.Writer, dates map[string]json.RawMessage) (err error) {
			rep, err = writeMerged(w, src.doc, dates, src.keys, func(k SourceStatus) ([]byte, error) {
				c, err := s.st.LoadSource(ctx, k.Name, k.Hash)
				if err == nil && c == nil {
					// Dropped by another server keeping newer ones: the
					// next rebuild takes what the store holds.
					err = fmt.Errorf("the content %.12s of list source %s is no longer in the store", k.Hash, k.Name)
					s.mu.Lock()
					s.src = nil
					s.mu.Unlock()
				}
				if err != nil {
					loadErr = err
					return nil, err
				}
				return c.Content, nil
			})
			return err
		}, src.size(), s.key, version, now, s.cfg.ListTTL)
		if err != nil {
			if loadErr != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %w", errListContent, err)
		}
		l.SourceHash, l.SourcesAt = src.hash, src.at
		s.cfg.Log.Info("trust list published", "version", version, "from", "list/", "bytes", len(l.Signed),
			"dsc", rep.DSC, "shc", rep.Issuers, "duplicates", rep.DSCDuplicates, "overCap", rep.DSCOverCap, "issuersMerged", rep.IssuersMerged)
		for _, n := range rep.Notes {
			s.cfg.Log.Info("trust list merge", "note", n)
		}
		return l, nil
	case cur == nil:
		return nil, nil // nothing to publish: the caller says why
	case now.Sub(cur.IssuedAt) >= s.cfg.ListTTL/2:
		// Within the publication: nobody else publishes meanwhile.
		full, err := s.signedList(ctx, cur.Version)
		if err != nil {
			return nil, err
		}
		if full.Version != cur.Version {
			return nil, fmt.Errorf("%w: version %d was published during a publication", ErrStore, full.Version)
		}
		doc, err := listDoc(full.Signed)
		if err != nil {
			return nil, err
		}
		l, err := signList(func(w io.Writer, dates map[string]json.RawMessage) error { return writeDoc(w, doc, dates) },
			len(full.Signed)*3/4, s.key, version, now, s.cfg.ListTTL)
		if err != nil {
			return nil, err
		}
		l.SourceHash, l.SourcesAt = cur.SourceHash, cur.SourcesAt
		s.cfg.Log.Info("trust list signed again", "version", version, "was", cur.Version)
		return l, nil
	}
	return nil, nil
}

// signedList reads the newest list whole: version, or one another server
// published since.
func (s *Server) signedList(ctx context.Context, version int64) (*List, error) {
	l, err := s.st.CurrentList(ctx, 0)
	if err != nil {
		return nil, err
	}
	if l == nil || l.Version < version || l.Signed == nil {
		return nil, fmt.Errorf("%w: the newest list is not version %d or later", ErrStore, version)
	}
	return l, nil
}

// errListContent is a list that the sources cannot make (over the
// kiosks' cap, or content that does not read): not the store's fault,
// and not tried again until the sources change.
var errListContent = errors.New("authority: the trust list cannot be built")

// ListReport is how the trust list stands: for the serve command to print
// at start, and for tools.
type ListReport struct {
	// List is the list served; nil when there is none.
	List *List
	// Err is why no list is served, or why list/ makes no new version
	// (a trust.json or sources.json that cannot be read).
	Err error
	// Sources is how each key source of list/sources.json fared.
	Sources []SourceStatus
}

// CheckList builds the list now, as the first fetch would (publishing a
// version when one is due), and reports how it stands.
func (s *Server) CheckList() ListReport {
	l, err := s.currentList()
	r := ListReport{List: l, Err: err}
	s.mu.Lock()
	if src := s.src; src != nil {
		r.Sources = slices.Clone(src.keys)
		if r.Err == nil {
			r.Err = src.err
		}
	}
	s.mu.Unlock()
	return r
}

// Sources says how each key source of list/sources.json fared at the
// last rebuild of the list's sources; nil before the first.
func (s *Server) Sources() []SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.src == nil {
		return nil
	}
	return slices.Clone(s.src.keys)
}

// WriteText writes the report for a person, a line each: the list, why
// list/ makes no new version if it does not, and each key source.
func (r ListReport) WriteText(w io.Writer) error {
	var b strings.Builder
	if r.List != nil {
		fmt.Fprintf(&b, "trust list version %d, issued %s, expires %s\n", r.List.Version,
			r.List.IssuedAt.UTC().Format(time.RFC3339), r.List.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "trust list: %v\n", r.Err)
	}
	for _, st := range r.Sources {
		b.WriteString(st.String() + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// maintainTimeout bounds a purge: dropping a day of entries, and deleting
// the stragglers, is the store's longest job.
const maintainTimeout = 10 * time.Minute

// Maintain purges what the retention no longer keeps.
func (s *Server) Maintain(ctx context.Context) (Purged, error) {
	now := s.cfg.Now()
	ctx, cancel := context.WithTimeout(ctx, maintainTimeout)
	defer cancel()
	p, err := s.st.Purge(ctx, now.Add(-s.cfg.Retention), now)
	if err != nil {
		return p, fmt.Errorf("authority: purge: %w", err)
	}
	return p, nil
}

// maintain purges hourly; every server does, and the store makes the
// purges of several servers one at a time and idempotent.
func (s *Server) maintain(ctx context.Context) {
	defer close(s.done)
	wait := mrand.N(10 * time.Minute) // servers started together purge apart
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		p, err := s.Maintain(ctx)
		if err != nil {
			s.cfg.Log.Warn("purge", "err", err)
		} else if p != (Purged{}) {
			s.cfg.Log.Info("purge", "days", p.Partitions, "entries", p.Entries, "tokens", p.Tokens)
		}
		wait = s.cfg.MaintainEvery
	}
}
