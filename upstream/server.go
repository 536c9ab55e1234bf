package upstream

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"munjigi/verify"
)

// ServerConfig is the reference server's.
type ServerConfig struct {
	// DataDir holds the signing key, the server's database, and list/:
	// trust.json (a munjigi trust list: DSCs, SHC issuers, revocations),
	// rules/*.json (rule.json files) and valuesets.json, from which the
	// signed trust list is built.
	DataDir string
	// Credentials maps a bearer credential to the kiosk it names. Empty:
	// any caller is served (the serve command allows that on loopback
	// only).
	Credentials map[string]string
	TokenTTL    time.Duration // how long a demo token lives; 0: 60 s
	ListTTL     time.Duration // how long a signed list is valid; 0: 7 days
	Now         func() time.Time
}

// Server is the reference upstream server: it implements the protocol for
// real, with its own bbolt store of tokens and received entries and its
// own signing key.
type Server struct {
	cfg ServerConfig
	db  *bolt.DB
	key *ecdsa.PrivateKey

	mu   sync.Mutex
	list *signedList
}

type signedList struct {
	signed  []byte
	etag    string
	version int64
	stamp   string // the sources' names, sizes and times it was built from
	built   time.Time
}

var (
	srvTokens  = []byte("tokens")
	srvEntries = []byte("entries")
	srvIdem    = []byte("idempotency")
	srvMeta    = []byte("meta")
)

// storedToken is a token the server knows.
type storedToken struct {
	Reply     TokenReply `json:"reply"`
	ExpiresAt time.Time  `json:"expiresAt"`
	Used      bool       `json:"used"`
}

// OpenServer opens (or first creates) the server's data directory.
func OpenServer(cfg ServerConfig) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Minute
	}
	if cfg.ListTTL <= 0 {
		cfg.ListTTL = 7 * 24 * time.Hour
	}
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "list", "rules"), 0o700); err != nil {
		return nil, err
	}
	key, err := loadOrCreateKey(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	db, err := bolt.Open(filepath.Join(cfg.DataDir, "server.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("the server's database: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{srvTokens, srvEntries, srvIdem, srvMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Server{cfg: cfg, db: db, key: key}, nil
}

// Close closes the server's database.
func (s *Server) Close() error { return s.db.Close() }

// PublicKey is the key kiosks pin to check the trust list.
func (s *Server) PublicKey() *ecdsa.PublicKey { return &s.key.PublicKey }

// TrustKeyPath is where the public key is written for pinning.
func (s *Server) TrustKeyPath() string { return filepath.Join(s.cfg.DataDir, "trustkey.pem") }

func loadOrCreateKey(dir string) (*ecdsa.PrivateKey, error) {
	path := filepath.Join(dir, "signing-key.pem")
	if data, err := os.ReadFile(path); err == nil {
		block, _ := pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%s is not PEM", path)
		}
		return x509.ParseECPrivateKey(block.Bytes)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	pub, err := MarshalKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	return key, os.WriteFile(filepath.Join(dir, "trustkey.pem"), pub, 0o644)
}

// Handler serves the protocol.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathTokenVerify, s.auth(s.verifyToken))
	mux.HandleFunc("POST "+PathTokenMint, s.mintToken)
	mux.HandleFunc("GET "+PathTrustList, s.auth(s.trustList))
	mux.HandleFunc("POST "+PathEntries, s.auth(s.entries))
	mux.HandleFunc("GET "+PathTrustKey, func(w http.ResponseWriter, r *http.Request) {
		pub, _ := MarshalKey(&s.key.PublicKey)
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(pub)
	})
	return mux
}

// auth checks the bearer credential when the server has any, and names
// the kiosk.
func (s *Server) auth(next func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		kiosk := r.Header.Get(HeaderKiosk)
		if len(s.cfg.Credentials) > 0 {
			cred, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			name, known := s.cfg.Credentials[cred]
			if !ok || !known {
				http.Error(w, "unknown kiosk credential", http.StatusUnauthorized)
				return
			}
			kiosk = name // the credential says who it is
		}
		if kiosk == "" {
			kiosk = "anonymous"
		}
		next(w, r, verify.Sanitize(kiosk, 64))
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
		http.Error(w, "the request is not JSON: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// mintToken makes a demo token: for the demo and the tests, from the
// server's own machine only.
func (s *Server) mintToken(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		http.Error(w, "demo tokens are minted on the server's own machine only", http.StatusForbidden)
		return
	}
	var req MintRequest
	if !readJSON(w, r, 4<<10, &req) {
		return
	}
	raw := make([]byte, 16)
	rand.Read(raw)
	token := "MJT1:" + tokenEncoding.EncodeToString(raw)
	t := storedToken{ExpiresAt: s.cfg.Now().Add(s.cfg.TokenTTL)}
	t.Reply.Verdict, t.Reply.Type, t.Reply.Reason = req.Verdict, req.Type, string(verify.ReasonOK)
	if t.Reply.Verdict == "" {
		t.Reply.Verdict = "pass"
	}
	if t.Reply.Type == "" {
		t.Reply.Type = "v"
	}
	t.Reply.Holder.Name, t.Reply.Holder.BirthYear = maskForReply(req.Name), req.BirthYear
	t.Reply.ExpiresAt = t.ExpiresAt
	data, _ := json.Marshal(t)
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(srvTokens).Put([]byte(token), data) }); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, MintReply{Token: token, ExpiresAt: t.ExpiresAt})
}

// maskForReply masks a name as the door shows it: first and last of a
// Hangul name around a star, or the first word and an initial.
func maskForReply(name string) string {
	r := []rune(verify.Sanitize(name, 40))
	switch {
	case len(r) == 0:
		return ""
	case r[0] >= 0xAC00 && r[0] <= 0xD7A3 && len(r) >= 3:
		return string(r[0]) + "*" + string(r[len(r)-1])
	case r[0] >= 0xAC00 && r[0] <= 0xD7A3:
		return string(r[0]) + "*"
	}
	first, rest, _ := strings.Cut(string(r), " ")
	if rest == "" {
		return first
	}
	return first + " " + string([]rune(rest)[0]) + "***"
}

// verifyToken consumes a token: the first check gets its verdict, every
// later one "token-used".
func (s *Server) verifyToken(w http.ResponseWriter, r *http.Request, kiosk string) {
	var req TokenRequest
	if !readJSON(w, r, 4<<10, &req) {
		return
	}
	var reply TokenReply
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(srvTokens)
		v := b.Get([]byte(req.Token))
		var t storedToken
		if v == nil || json.Unmarshal(v, &t) != nil || !s.cfg.Now().Before(t.ExpiresAt) {
			reply = TokenReply{Verdict: "fail", Reason: string(verify.ReasonTokenInvalid)}
			return nil
		}
		if t.Used {
			reply = TokenReply{Verdict: "fail", Reason: string(verify.ReasonTokenUsed)}
			return nil
		}
		t.Used = true
		reply = t.Reply
		data, _ := json.Marshal(t)
		return b.Put([]byte(req.Token), data)
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, reply)
}

// entries stores a batch: each (kiosk, seq) once, whatever the retries;
// the same Idempotency-Key gets the same reply.
func (s *Server) entries(w http.ResponseWriter, r *http.Request, kiosk string) {
	var batch EntryBatch
	if !readJSON(w, r, 4<<20, &batch) {
		return
	}
	if len(batch.Entries) > 1000 {
		http.Error(w, "at most 1000 entries a batch", http.StatusRequestEntityTooLarge)
		return
	}
	idem := r.Header.Get(HeaderIdempotency)
	var reply EntryReply
	err := s.db.Update(func(tx *bolt.Tx) error {
		ib := tx.Bucket(srvIdem)
		ikey := []byte(kiosk + "\x00" + idem)
		if idem != "" {
			if v := ib.Get(ikey); v != nil {
				return json.Unmarshal(v, &reply)
			}
		}
		eb := tx.Bucket(srvEntries)
		for _, e := range batch.Entries {
			k := binary.BigEndian.AppendUint64([]byte(kiosk+"\x00"), e.Seq)
			if eb.Get(k) != nil {
				reply.Duplicate = append(reply.Duplicate, e.Seq)
				continue
			}
			v, _ := json.Marshal(e)
			if err := eb.Put(k, v); err != nil {
				return err
			}
			reply.Stored = append(reply.Stored, e.Seq)
		}
		if idem == "" {
			return nil
		}
		v, _ := json.Marshal(reply)
		return ib.Put(ikey, v)
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, reply)
}

// Received counts the entries the server holds, by kiosk (for tests and
// the load test).
func (s *Server) Received() (map[string]int, error) {
	out := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(srvEntries).ForEach(func(k, _ []byte) error {
			kiosk, _, _ := bytes.Cut(k, []byte{0})
			out[string(kiosk)]++
			return nil
		})
	})
	return out, err
}

// trustList serves the signed list, or 304 when the kiosk has it.
func (s *Server) trustList(w http.ResponseWriter, r *http.Request, _ string) {
	l, err := s.currentList()
	if err != nil {
		http.Error(w, "the trust list cannot be built: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("ETag", l.etag)
	w.Header().Set("Cache-Control", "no-cache")
	if inm := r.Header.Get("If-None-Match"); inm == l.etag || inm == "*" { // "*": any version (a reachability check)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", MediaTrustList)
	w.Write(l.signed)
}

// currentList builds and signs the list when its sources changed, or when
// half its validity has passed (a new version with new dates).
func (s *Server) currentList() (*signedList, error) {
	stamp, err := s.sourceStamp()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	if l := s.list; l != nil && l.stamp == stamp && now.Sub(l.built) < s.cfg.ListTTL/2 {
		return l, nil
	}
	list, err := s.buildList(now)
	if err != nil {
		return nil, err
	}
	signed, err := Sign(list.body, s.key)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(signed)
	s.list = &signedList{signed: signed, etag: fmt.Sprintf(`"v%d-%s"`, list.version, hex.EncodeToString(sum[:6])), version: list.version, stamp: stamp, built: now}
	return s.list, nil
}

// sourceStamp names the list's source files as they are now.
func (s *Server) sourceStamp() (string, error) {
	dir := filepath.Join(s.cfg.DataDir, "list")
	var parts []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%s:%d:%d", path, fi.Size(), fi.ModTime().UnixNano()))
		return nil
	})
	sort.Strings(parts)
	return strings.Join(parts, "|"), err
}

type builtList struct {
	body    []byte
	version int64
}

// buildList assembles the list's JSON from list/ with the next version.
func (s *Server) buildList(now time.Time) (*builtList, error) {
	dir := filepath.Join(s.cfg.DataDir, "list")
	doc := map[string]any{}
	if data, err := os.ReadFile(filepath.Join(dir, "trust.json")); err == nil {
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("list/trust.json: %w", err)
		}
		if err := verify.NewTrust().AddList(data); err != nil {
			return nil, fmt.Errorf("list/trust.json: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	rules, _ := filepath.Glob(filepath.Join(dir, "rules", "*.json"))
	sort.Strings(rules)
	var rs []json.RawMessage
	for _, p := range rules {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		rs = append(rs, json.RawMessage(data))
	}
	doc["rules"] = rs
	if data, err := os.ReadFile(filepath.Join(dir, "valuesets.json")); err == nil {
		doc["valueSets"] = json.RawMessage(data)
	}
	var version int64
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(srvMeta)
		if v := b.Get([]byte("version")); len(v) == 8 {
			version = int64(binary.BigEndian.Uint64(v))
		}
		version++
		return b.Put([]byte("version"), binary.BigEndian.AppendUint64(nil, uint64(version)))
	})
	if err != nil {
		return nil, err
	}
	doc["version"] = version
	doc["issuedAt"] = now.UTC().Format(time.RFC3339)
	doc["expiresAt"] = now.Add(s.cfg.ListTTL).UTC().Format(time.RFC3339)
	body, err := json.Marshal(doc)
	return &builtList{body: body, version: version}, err
}
