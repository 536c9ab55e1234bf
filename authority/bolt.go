package authority

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"munjigi/upstream"
)

// Bolt is the single-machine store: one bbolt file, fsynced on every
// commit. One server owns it (the file is locked), which is what a venue
// or a small authority needs; a nation needs Postgres.
type Bolt struct {
	db        *bolt.DB
	retention time.Duration
}

var _ Store = (*Bolt)(nil)

// Bucket and key names: the file format.
var (
	boltTokens  = []byte("tokens")  // token → boltToken (JSON)
	boltEntries = []byte("entries") // kiosk 0 epoch 0 seq (8 bytes) → Record (JSON)
	boltMeta    = []byte("meta")
	// The signed lists: version (8 bytes) → boltListMeta (JSON), and
	// version → the JWS as it is (a national list is tens of MB: kept
	// apart, it is neither base64'd into JSON nor read to answer "is
	// there a newer version").
	boltListsMeta   = []byte("list-meta")
	boltListsSigned = []byte("list-signed")
	// The key sources' contents: name 0 hash → At, VerifiedAt (Unix ns,
	// 8 bytes each); and name 0 hash → the content.
	boltSources    = []byte("sources")
	boltSourceData = []byte("source-data")

	// Format 1 kept each list as one JSON value, its JWS base64'd in it.
	boltLegacyLists = []byte("lists")

	// The reference server of package upstream kept an idempotency bucket
	// and the list's version in meta; the first open moves them on.
	boltLegacyIdem    = []byte("idempotency")
	boltLegacyVersion = []byte("version")

	boltKeySchema   = []byte("schema")
	boltKeyTrustKey = []byte("trust-key")
)

// boltSchema is the file format this code writes; a file without a schema
// key is the upstream package's reference server's (format 0). Format 2
// keeps a list's JWS apart from what is said about it.
const boltSchema = 2

// boltInitialMap is the address space mapped for the file from the start
// (the file does not grow with it). bbolt maps the file afresh whenever a
// commit outgrows the mapping, and first copies every value written in
// that transaction to the heap: a national source's content, or a list of
// tens of MB, would be held once more (measured: a 13 MiB content kept
// peaked at 54 MiB of heap, 27 with room mapped ahead). The file holds a
// few lists and a few contents of each source; 256 MiB is address space
// only, which a 32-bit board has enough of (the kiosk's store maps 64).
const boltInitialMap = 256 << 20

// boltListsKept is how many versions of the list stay in the file.
const boltListsKept = 3

// boltToken is a token as the file holds it (the same JSON as format 0's).
type boltToken struct {
	Reply     upstream.TokenReply `json:"reply"`
	ExpiresAt time.Time           `json:"expiresAt"`
	Used      bool                `json:"used"`
}

// boltLegacyList is a list as format 1 kept it.
type boltLegacyList struct {
	List
	Signed []byte `json:"signed"`
}

// boltListMeta is what the file says about a list beside its JWS.
type boltListMeta struct {
	Version    int64     `json:"version"`
	ETag       string    `json:"etag"`
	SourceHash string    `json:"sourceHash"`
	SourcesAt  time.Time `json:"sourcesAt"`
	IssuedAt   time.Time `json:"issuedAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
}

func (m boltListMeta) list() *List {
	return &List{Version: m.Version, ETag: m.ETag, SourceHash: m.SourceHash, SourcesAt: m.SourcesAt, IssuedAt: m.IssuedAt, ExpiresAt: m.ExpiresAt}
}

func metaOf(l *List) boltListMeta {
	return boltListMeta{Version: l.Version, ETag: l.ETag, SourceHash: l.SourceHash, SourcesAt: l.SourcesAt, IssuedAt: l.IssuedAt, ExpiresAt: l.ExpiresAt}
}

// OpenBolt opens (or creates) the store's file, migrating one the upstream
// package's reference server wrote.
func OpenBolt(path string, opts StoreOptions) (*Bolt, error) {
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, InitialMmapSize: boltInitialMap})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s is in use by another server", ErrStore, path)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrStore, path, err)
	}
	b := &Bolt{db: db, retention: opts.Retention}
	if err := db.Update(func(tx *bolt.Tx) error { return b.init(tx, opts.Now()) }); err != nil {
		db.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bolt) init(tx *bolt.Tx, now time.Time) error {
	for _, name := range [][]byte{boltTokens, boltEntries, boltMeta, boltListsMeta, boltListsSigned, boltSources, boltSourceData} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(boltMeta)
	var format uint64
	if v := meta.Get(boltKeySchema); v != nil {
		if len(v) != 8 || binary.BigEndian.Uint64(v) > boltSchema {
			return fmt.Errorf("%w (bbolt format %x)", ErrNewer, v)
		}
		format = binary.BigEndian.Uint64(v)
	}
	if format == boltSchema {
		return nil
	}
	if format == 0 {
		if err := b.fromFormat0(tx, now); err != nil {
			return err
		}
	}
	if err := b.fromFormat1(tx); err != nil {
		return err
	}
	return meta.Put(boltKeySchema, binary.BigEndian.AppendUint64(nil, boltSchema))
}

// fromFormat1 moves the lists out of their JSON: each list's JWS into
// list-signed, the rest into list-meta.
func (b *Bolt) fromFormat1(tx *bolt.Tx) error {
	old := tx.Bucket(boltLegacyLists)
	if old == nil {
		return nil
	}
	err := old.ForEach(func(k, v []byte) error {
		var l boltLegacyList
		if err := json.Unmarshal(v, &l); err != nil {
			return fmt.Errorf("%w: list %x: %w", ErrStore, k, err)
		}
		m, err := json.Marshal(metaOf(&l.List))
		if err != nil {
			return err
		}
		if err := tx.Bucket(boltListsMeta).Put(bytes.Clone(k), m); err != nil {
			return err
		}
		return tx.Bucket(boltListsSigned).Put(bytes.Clone(k), l.Signed)
	})
	if err != nil {
		return err
	}
	return tx.DeleteBucket(boltLegacyLists)
}

// fromFormat0 files the entries of the upstream package's reference
// server under no epoch, and drops its idempotency bucket.
func (b *Bolt) fromFormat0(tx *bolt.Tx, now time.Time) error {
	// Format 0: entries keyed kiosk 0 seq, under no epoch (the kiosks did
	// not send one then); they keep it, the empty epoch.
	eb := tx.Bucket(boltEntries)
	type kv struct{ k, v []byte }
	var old []kv
	err := eb.ForEach(func(k, v []byte) error {
		old = append(old, kv{bytes.Clone(k), bytes.Clone(v)})
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range old {
		if len(e.k) < 9 || e.k[len(e.k)-9] != 0 {
			return fmt.Errorf("%w: an entry key %x of the old format is not kiosk, 0, seq", ErrStore, e.k)
		}
		kiosk, seq := string(e.k[:len(e.k)-9]), binary.BigEndian.Uint64(e.k[len(e.k)-8:])
		r := Record{Kiosk: kiosk, ReceivedAt: now}
		if err := json.Unmarshal(e.v, &r.Entry); err != nil {
			return fmt.Errorf("%w: entry %x: %w", ErrStore, e.k, err)
		}
		r.Seq = seq
		v, _ := json.Marshal(r)
		if err := eb.Delete(e.k); err != nil {
			return err
		}
		if err := eb.Put(boltEntryKey(kiosk, "", seq), v); err != nil {
			return err
		}
	}
	if tx.Bucket(boltLegacyIdem) != nil {
		if err := tx.DeleteBucket(boltLegacyIdem); err != nil {
			return err
		}
	}
	return nil
}

func boltEntryKey(kiosk, epoch string, seq uint64) []byte {
	k := make([]byte, 0, len(kiosk)+len(epoch)+10)
	k = append(append(append(append(k, kiosk...), 0), epoch...), 0)
	return binary.BigEndian.AppendUint64(k, seq)
}

// Close closes the file.
func (b *Bolt) Close() error { return b.db.Close() }

// update runs fn in a write transaction unless ctx has ended: bbolt takes
// no context, and on one machine its only wait is the disk's.
func (b *Bolt) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.db.Update(fn)
}

func (b *Bolt) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.db.View(fn)
}

// MintToken records a token.
func (b *Bolt) MintToken(ctx context.Context, token string, t Token) error {
	v, err := json.Marshal(boltToken{Reply: t.Reply, ExpiresAt: t.ExpiresAt})
	if err != nil {
		return err
	}
	return b.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(boltTokens).Put([]byte(token), v) })
}

// ConsumeToken uses a token in one write transaction: bbolt has one writer
// at a time, so two checks cannot both find it unused.
func (b *Bolt) ConsumeToken(ctx context.Context, token string, now time.Time) (reply upstream.TokenReply, state TokenState, err error) {
	err = b.update(ctx, func(tx *bolt.Tx) error {
		tb := tx.Bucket(boltTokens)
		v := tb.Get([]byte(token))
		var t boltToken
		switch {
		case v == nil || json.Unmarshal(v, &t) != nil || !now.Before(t.ExpiresAt):
			state = TokenUnknown
			return nil
		case t.Used:
			state = TokenUsed
			return nil
		}
		t.Used = true
		reply, state = t.Reply, TokenOK
		nv, err := json.Marshal(t)
		if err != nil {
			return err
		}
		return tb.Put([]byte(token), nv)
	})
	return reply, state, err
}

// Ingest files a batch in one transaction.
func (b *Bolt) Ingest(ctx context.Context, kiosk, epoch string, entries []upstream.Entry, now time.Time) (upstream.EntryReply, error) {
	var rep upstream.EntryReply
	err := b.update(ctx, func(tx *bolt.Tx) error {
		rep = upstream.EntryReply{}
		eb := tx.Bucket(boltEntries)
		for _, e := range dedupe(entries) {
			k := boltEntryKey(kiosk, epoch, e.Seq)
			if eb.Get(k) != nil {
				rep.Duplicate = append(rep.Duplicate, e.Seq)
				continue
			}
			v, err := json.Marshal(Record{Kiosk: kiosk, Epoch: epoch, Entry: e, ReceivedAt: now})
			if err != nil {
				return err
			}
			if err := eb.Put(k, v); err != nil {
				return err
			}
			rep.Stored = append(rep.Stored, e.Seq)
		}
		return nil
	})
	return rep, err
}

// dedupe keeps the first entry of each seq: a batch that names one twice
// gets one answer for it.
func dedupe(entries []upstream.Entry) []upstream.Entry {
	seen := make(map[uint64]bool, len(entries))
	out := entries[:0:0]
	for _, e := range entries {
		if !seen[e.Seq] {
			seen[e.Seq] = true
			out = append(out, e)
		}
	}
	return out
}

// placeable reports whether an entry's visit time can be trusted to file
// it: within the retention before its arrival, or at most two days after
// (a kiosk's clock a little ahead). PostgreSQL files the others in its
// default partition, kept by arrival; so does this.
func placeable(at, received time.Time, retention time.Duration) bool {
	return !at.Before(received.Add(-retention)) && at.Before(received.Add(partitionsAhead))
}

// Purge deletes entries past the retention and expired tokens.
func (b *Bolt) Purge(ctx context.Context, cutoff, now time.Time) (Purged, error) {
	var p Purged
	err := b.update(ctx, func(tx *bolt.Tx) error {
		p = Purged{}
		var gone [][]byte
		err := tx.Bucket(boltEntries).ForEach(func(k, v []byte) error {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("%w: entry %x: %w", ErrStore, k, err)
			}
			when := r.ReceivedAt
			if placeable(r.At, r.ReceivedAt, b.retention) {
				when = r.At
			}
			if when.Before(cutoff) {
				gone = append(gone, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range gone {
			if err := tx.Bucket(boltEntries).Delete(k); err != nil {
				return err
			}
		}
		p.Entries = int64(len(gone))
		gone = gone[:0]
		tx.Bucket(boltTokens).ForEach(func(k, v []byte) error {
			var t boltToken
			if json.Unmarshal(v, &t) != nil || t.ExpiresAt.Before(now) {
				gone = append(gone, bytes.Clone(k))
			}
			return nil
		})
		for _, k := range gone {
			if err := tx.Bucket(boltTokens).Delete(k); err != nil {
				return err
			}
		}
		p.Tokens = int64(len(gone))
		return nil
	})
	return p, err
}

// newest is the newest list; its Signed only when withSigned, and then
// the file's own bytes: valid in tx only.
func (b *Bolt) newest(tx *bolt.Tx, withSigned bool) (*List, error) {
	k, v := tx.Bucket(boltListsMeta).Cursor().Last()
	if v == nil {
		return nil, nil
	}
	var m boltListMeta
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, fmt.Errorf("%w: the newest trust list: %w", ErrStore, err)
	}
	l := m.list()
	if withSigned {
		if l.Signed = tx.Bucket(boltListsSigned).Get(k); l.Signed == nil {
			return nil, fmt.Errorf("%w: the newest trust list (version %d) has no JWS", ErrStore, l.Version)
		}
	}
	return l, nil
}

// CurrentList is the newest list; its JWS is read only when the caller
// does not have it.
func (b *Bolt) CurrentList(ctx context.Context, known int64) (*List, error) {
	var out *List
	err := b.view(ctx, func(tx *bolt.Tx) error {
		l, err := b.newest(tx, false)
		if err != nil || l == nil || l.Version == known {
			out = l
			return err
		}
		if l, err = b.newest(tx, true); err == nil {
			l.Signed = bytes.Clone(l.Signed)
		}
		out = l
		return err
	})
	return out, err
}

// PublishList publishes in one write transaction: bbolt's one writer is
// the one publisher.
func (b *Bolt) PublishList(ctx context.Context, next func(cur *List, version int64) (*List, error)) (*List, error) {
	var out *List
	err := b.update(ctx, func(tx *bolt.Tx) error {
		cur, err := b.newest(tx, false)
		if err != nil {
			return err
		}
		var version int64
		if cur != nil {
			version = cur.Version
		}
		// Format 0 kept the last version it signed in meta: kiosks hold
		// it, so the next must be newer.
		if v := tx.Bucket(boltMeta).Get(boltLegacyVersion); len(v) == 8 {
			version = max(version, int64(binary.BigEndian.Uint64(v)))
		}
		l, err := next(cur, version+1)
		if err != nil {
			return err
		}
		if l == nil {
			out = cur
			return nil
		}
		m, err := json.Marshal(metaOf(l))
		if err != nil {
			return err
		}
		key := binary.BigEndian.AppendUint64(nil, uint64(l.Version))
		if err := tx.Bucket(boltListsSigned).Put(key, l.Signed); err != nil {
			return err
		}
		mb := tx.Bucket(boltListsMeta)
		if err := mb.Put(key, m); err != nil {
			return err
		}
		out = l
		var keys [][]byte
		mb.ForEach(func(k, _ []byte) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		})
		for _, k := range keys[:max(len(keys)-boltListsKept, 0)] {
			if err := mb.Delete(k); err != nil {
				return err
			}
			if err := tx.Bucket(boltListsSigned).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// PinKey records the key, or compares it.
func (b *Bolt) PinKey(ctx context.Context, pub []byte) error {
	return b.update(ctx, func(tx *bolt.Tx) error {
		meta := tx.Bucket(boltMeta)
		if v := meta.Get(boltKeyTrustKey); v != nil {
			if !bytes.Equal(v, pub) {
				return ErrKeyMismatch
			}
			return nil
		}
		return meta.Put(boltKeyTrustKey, pub)
	})
}

// Entries walks the file in one read transaction.
func (b *Bolt) Entries(ctx context.Context, f Filter, fn func(Record) error) error {
	return b.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(boltEntries).Cursor()
		var prefix []byte
		if f.Kiosk != "" {
			prefix = append([]byte(f.Kiosk), 0)
		}
		n := 0
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("%w: entry %x: %w", ErrStore, k, err)
			}
			if !f.match(r) {
				continue
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
}

func boltSourceTimes(v []byte) (at, verified time.Time, ok bool) {
	if len(v) != 16 {
		return at, verified, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC(), time.Unix(0, int64(binary.BigEndian.Uint64(v[8:]))).UTC(), true
}

func boltTimes(at, verified time.Time) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(at.UnixNano())), uint64(verified.UnixNano()))
}

// KeepSource records a source's content in one write transaction (the
// content as it is given: bbolt writes it at the commit), and drops the
// least recently verified beyond SourcesKept.
func (b *Bolt) KeepSource(ctx context.Context, c SourceContent) error {
	if c.Name == "" || bytes.IndexByte([]byte(c.Name), 0) >= 0 || c.Hash == "" {
		return fmt.Errorf("%w: a source needs a name and a hash", ErrStore)
	}
	prefix := append([]byte(c.Name), 0)
	key := append(bytes.Clone(prefix), c.Hash...)
	return b.update(ctx, func(tx *bolt.Tx) error {
		sb, db := tx.Bucket(boltSources), tx.Bucket(boltSourceData)
		if old := sb.Get(key); old != nil && db.Get(key) != nil {
			at, ver, ok := boltSourceTimes(old)
			if ok && !ver.Before(c.VerifiedAt) && !at.Before(c.At) {
				return nil // nothing newer to say
			}
			if ok {
				at, ver = maxTime(at, c.At), maxTime(ver, c.VerifiedAt)
			}
			return sb.Put(key, boltTimes(at, ver))
		}
		if err := sb.Put(key, boltTimes(c.At, c.VerifiedAt)); err != nil {
			return err
		}
		if err := db.Put(key, c.Content); err != nil {
			return err
		}
		type kept struct {
			key      []byte
			verified time.Time
		}
		var all []kept
		cur := sb.Cursor()
		for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			_, ver, _ := boltSourceTimes(v)
			all = append(all, kept{bytes.Clone(k), ver})
		}
		slices.SortFunc(all, func(a, b kept) int { return b.verified.Compare(a.verified) })
		for _, k := range all[min(len(all), SourcesKept):] {
			if err := sb.Delete(k.key); err != nil {
				return err
			}
			if err := db.Delete(k.key); err != nil {
				return err
			}
		}
		return nil
	})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// LoadSource reads a source's content out of the file.
func (b *Bolt) LoadSource(ctx context.Context, name, hash string) (*SourceContent, error) {
	var out *SourceContent
	prefix := append([]byte(name), 0)
	err := b.view(ctx, func(tx *bolt.Tx) error {
		sb := tx.Bucket(boltSources)
		var key, val []byte
		if hash != "" {
			key = append(bytes.Clone(prefix), hash...)
			val = sb.Get(key)
		} else {
			var bestAt, bestVer time.Time
			cur := sb.Cursor()
			for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
				at, ver, ok := boltSourceTimes(v)
				if ok && (val == nil || at.After(bestAt) || at.Equal(bestAt) && ver.After(bestVer)) {
					key, val, bestAt, bestVer = k, v, at, ver
				}
			}
		}
		if val == nil {
			return nil
		}
		at, ver, ok := boltSourceTimes(val)
		content := tx.Bucket(boltSourceData).Get(key)
		if !ok || content == nil {
			return fmt.Errorf("%w: source %q is damaged", ErrStore, key)
		}
		// Copied out: a value is valid only inside its transaction.
		out = &SourceContent{Name: name, Hash: string(key[len(prefix):]), At: at, VerifiedAt: ver, Content: bytes.Clone(content)}
		return nil
	})
	return out, err
}
