package authority

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"munjigi/upstream"
)

// Store is what the servers keep, and all that they keep: with it behind
// them they are stateless, so any number of them on one Store give the
// same answers. Every method's outcome comes from the store itself (a
// token is consumed by one write that says whether it was, an entry is
// stored or found already held by the insert), never from a read followed
// by a write, which two servers could interleave.
//
// A method returns an error only when the store failed (down, slow, full);
// the server answers that with 503 and Retry-After. Every call gets a
// context with the server's database deadline.
type Store interface {
	// MintToken records a new one-time token.
	MintToken(ctx context.Context, token string, t Token) error
	// ConsumeToken uses a token: its reply and TokenOK the first time,
	// TokenUsed after, TokenUnknown when there is no such token or it
	// expired by now.
	ConsumeToken(ctx context.Context, token string, now time.Time) (upstream.TokenReply, TokenState, error)
	// Ingest files a kiosk's entries under (kiosk, epoch, seq): each is
	// stored once, whatever the retries; the reply lists every seq sent
	// (once) as stored now or held already.
	Ingest(ctx context.Context, kiosk, epoch string, entries []upstream.Entry, now time.Time) (upstream.EntryReply, error)
	// Purge drops entries whose visit is before cutoff (whole days at a
	// time where the store can), entries it could not file by their visit
	// that arrived before cutoff, and tokens that expired before now.
	Purge(ctx context.Context, cutoff, now time.Time) (Purged, error)
	// CurrentList is the newest signed trust list, or nil before the
	// first. When its version is known, Signed is left out: the caller
	// has it.
	CurrentList(ctx context.Context, known int64) (*List, error)
	// PublishList runs next with the newest list (nil before the first)
	// and the version a new list must carry, one publisher at a time
	// across every server on the store; the list next returns, if any,
	// becomes the newest. It returns the newest list either way. The
	// newest is given and returned without its Signed, unless next made
	// it: a national list is tens of MB, and most publications do not
	// need the last one's bytes (next asks CurrentList when it does).
	PublishList(ctx context.Context, next func(cur *List, version int64) (*List, error)) (*List, error)
	// PinKey records the trust-list key's public half the first time and
	// refuses another after (ErrKeyMismatch): every server of one store
	// must sign with the key the kiosks pin.
	PinKey(ctx context.Context, pub []byte) error
	// Entries calls fn with each entry held that f selects, in no set
	// order, until fn returns an error.
	Entries(ctx context.Context, f Filter, fn func(Record) error) error
	// KeepSource records a key source's content, converted when its
	// signature verified, under its name and hash (once: the same content
	// again only moves its VerifiedAt on). Of each name the store keeps
	// the SourcesKept most recently verified.
	KeepSource(ctx context.Context, c SourceContent) error
	// LoadSource returns the content kept for name under hash; with hash
	// "", the newest kept (by At, then VerifiedAt): the last good content
	// of a source that no longer verifies. nil when there is none.
	LoadSource(ctx context.Context, name, hash string) (*SourceContent, error)
	Close() error
}

// SourceContent is a key source (list/sources.json) as a server converted
// it when its signature last verified: munjigi's trust-list JSON. The
// store keeps it so that a source that stops verifying still gives the
// list what it last said, whichever server of the store rebuilds the list
// and whether or not that server ever saw it verify.
type SourceContent struct {
	Name string
	Hash string // hex SHA-256 of Content
	// At is the newest of the source's files (the source, its key,
	// certificate or signature) when it was converted: of two contents
	// for one name, the one from newer files is the last good one, as a
	// list's SourcesAt decides between servers. VerifiedAt is when a
	// server last checked its signature.
	At, VerifiedAt time.Time
	Content        []byte
}

// SourcesKept is how many contents of one source a store keeps: the
// newest, and those a server with older files may still be publishing.
const SourcesKept = 3

// Token is a one-time token as the server keeps it: the reply its first
// check gets, and when it stops being valid.
type Token struct {
	Reply     upstream.TokenReply
	ExpiresAt time.Time
}

// TokenState is what consuming a token found.
type TokenState int

// A token is consumed once; after that it is used; a token nobody minted,
// or one past its time, is unknown.
const (
	TokenOK TokenState = iota
	TokenUsed
	TokenUnknown
)

// Record is an entry as the server holds it: the kiosk's entry, filed
// under the kiosk and its log's epoch, with the server's time of arrival.
// Its JSON is one line of Export.
type Record struct {
	Kiosk string `json:"kiosk"`
	Epoch string `json:"epoch"`
	upstream.Entry
	ReceivedAt time.Time `json:"receivedAt"`
}

// Filter selects entries for Export: by kiosk, and by visit time in
// [Since, Until). Zero values select everything.
type Filter struct {
	Kiosk        string
	Since, Until time.Time
}

func (f Filter) match(r Record) bool {
	return (f.Kiosk == "" || r.Kiosk == f.Kiosk) &&
		(f.Since.IsZero() || !r.At.Before(f.Since)) &&
		(f.Until.IsZero() || r.At.Before(f.Until))
}

// Purged says what a purge removed.
type Purged struct {
	Partitions int   // whole days dropped (PostgreSQL)
	Entries    int64 // entries deleted one by one
	Tokens     int64 // expired tokens deleted
}

// List is one version of the signed trust list, as every server serves it:
// the same bytes and the same ETag.
type List struct {
	Version int64
	Signed  []byte // the JWS (application/jose)
	ETag    string
	// SourceHash names the content it was built from (the files under
	// list/), and SourcesAt is the newest of those files: a server
	// publishes its own files only when they differ from these and are
	// newer, so a server left with older files never undoes a change.
	SourceHash string
	SourcesAt  time.Time
	IssuedAt   time.Time
	ExpiresAt  time.Time
}

// Errors a caller acts on.
var (
	ErrKeyMismatch = errors.New("authority: this server's trust-list key is not the one the store's kiosks pin")
	ErrNewer       = errors.New("authority: the store was written by a newer munjigi")
	ErrStore       = errors.New("authority: the store")
)

// StoreOptions tune OpenStore.
type StoreOptions struct {
	// Retention is how long entries are kept (default 28 days). The
	// PostgreSQL store keeps a partition ready for each day from then
	// until two days ahead.
	Retention time.Duration
	// MaxConns caps the PostgreSQL pool (0: the URL's pool_max_conns, or
	// DefaultPoolConns).
	MaxConns int32
	Now      func() time.Time
	// Timeout bounds opening the store (0: 30 s): connecting and migrating
	// the schema.
	Timeout time.Duration
}

// IsPostgres reports whether a store spec names a PostgreSQL database.
func IsPostgres(spec string) bool {
	return strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://")
}

// OpenStore opens the store a spec names: a postgres:// URL, or else the
// bbolt file server.db in dataDir (the single-machine default, for a venue
// or a small authority).
func OpenStore(ctx context.Context, spec, dataDir string, opts StoreOptions) (Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	switch {
	case IsPostgres(spec):
		return OpenPostgres(ctx, spec, opts)
	case spec == "" || spec == "bolt" || spec == "bbolt":
		if dataDir == "" {
			return nil, fmt.Errorf("%w: no data folder for the bbolt store", ErrStore)
		}
		return OpenBolt(dataDir+"/server.db", opts)
	}
	return nil, fmt.Errorf("%w: %q is neither a postgres:// URL nor bolt", ErrStore, spec)
}
