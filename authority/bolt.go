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
	boltLists   = []byte("lists")   // version (8 bytes) → boltList (JSON)
	boltMeta    = []byte("meta")
	// name 0 hash → At, VerifiedAt (Unix ns, 8 bytes each) and the content.
	// An older munjigi leaves the bucket alone: no new format.
	boltSources = []byte("sources")

	// The reference server of package upstream kept an idempotency bucket
	// and the list's version in meta; the first open moves them on.
	boltLegacyIdem    = []byte("idempotency")
	boltLegacyVersion = []byte("version")

	boltKeySchema   = []byte("schema")
	boltKeyTrustKey = []byte("trust-key")
)

// boltSchema is the file format this code writes; a file without a schema
// key is the upstream package's reference server's (format 0).
const boltSchema = 1

// boltListsKept is how many versions of the list stay in the file.
const boltListsKept = 3

// boltToken is a token as the file holds it (the same JSON as format 0's).
type boltToken struct {
	Reply     upstream.TokenReply `json:"reply"`
	ExpiresAt time.Time           `json:"expiresAt"`
	Used      bool                `json:"used"`
}

type boltList struct {
	List
	Signed []byte `json:"signed"`
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
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
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
	for _, name := range [][]byte{boltTokens, boltEntries, boltLists, boltMeta, boltSources} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(boltMeta)
	if v := meta.Get(boltKeySchema); v != nil {
		if len(v) != 8 || binary.BigEndian.Uint64(v) > boltSchema {
			return fmt.Errorf("%w (bbolt format %x)", ErrNewer, v)
		}
		return nil
	}
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
	return meta.Put(boltKeySchema, binary.BigEndian.AppendUint64(nil, boltSchema))
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

func (b *Bolt) newest(tx *bolt.Tx) (*boltList, error) {
	_, v := tx.Bucket(boltLists).Cursor().Last()
	if v == nil {
		return nil, nil
	}
	var l boltList
	if err := json.Unmarshal(v, &l); err != nil {
		return nil, fmt.Errorf("%w: the newest trust list: %w", ErrStore, err)
	}
	l.List.Signed = l.Signed
	return &l, nil
}

// CurrentList is the newest list.
func (b *Bolt) CurrentList(ctx context.Context, known int64) (*List, error) {
	var out *List
	err := b.view(ctx, func(tx *bolt.Tx) error {
		l, err := b.newest(tx)
		if l != nil {
			out = &l.List
			if out.Version == known {
				out.Signed = nil
			}
		}
		return err
	})
	return out, err
}

// PublishList publishes in one write transaction: bbolt's one writer is
// the one publisher.
func (b *Bolt) PublishList(ctx context.Context, next func(cur *List, version int64) (*List, error)) (*List, error) {
	var out *List
	err := b.update(ctx, func(tx *bolt.Tx) error {
		cur, err := b.newest(tx)
		if err != nil {
			return err
		}
		var version int64
		if cur != nil {
			out, version = &cur.List, cur.Version
		}
		// Format 0 kept the last version it signed in meta: kiosks hold
		// it, so the next must be newer.
		if v := tx.Bucket(boltMeta).Get(boltLegacyVersion); len(v) == 8 {
			version = max(version, int64(binary.BigEndian.Uint64(v)))
		}
		l, err := next(out, version+1)
		if err != nil || l == nil {
			return err
		}
		v, err := json.Marshal(boltList{List: *l, Signed: l.Signed})
		if err != nil {
			return err
		}
		lb := tx.Bucket(boltLists)
		if err := lb.Put(binary.BigEndian.AppendUint64(nil, uint64(l.Version)), v); err != nil {
			return err
		}
		out = l
		var keys [][]byte
		lb.ForEach(func(k, _ []byte) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		})
		for _, k := range keys[:max(len(keys)-boltListsKept, 0)] {
			if err := lb.Delete(k); err != nil {
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

// boltSourceHeader is the At and VerifiedAt before a source's content.
const boltSourceHeader = 16

func boltSourceTimes(v []byte) (at, verified time.Time, ok bool) {
	if len(v) < boltSourceHeader {
		return at, verified, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC(), time.Unix(0, int64(binary.BigEndian.Uint64(v[8:]))).UTC(), true
}

// KeepSource records a source's content in one write transaction, and
// drops the least recently verified beyond SourcesKept.
func (b *Bolt) KeepSource(ctx context.Context, c SourceContent) error {
	if c.Name == "" || bytes.IndexByte([]byte(c.Name), 0) >= 0 || c.Hash == "" {
		return fmt.Errorf("%w: a source needs a name and a hash", ErrStore)
	}
	prefix := append([]byte(c.Name), 0)
	key := append(bytes.Clone(prefix), c.Hash...)
	return b.update(ctx, func(tx *bolt.Tx) error {
		sb := tx.Bucket(boltSources)
		at, verified := c.At, c.VerifiedAt
		if old := sb.Get(key); old != nil {
			oa, ov, ok := boltSourceTimes(old)
			if ok && !ov.Before(verified) {
				return nil // nothing newer to say
			}
			if ok && oa.After(at) {
				at = oa
			}
			// The same content: its bytes are the ones held, so only the
			// times change (a copy: bbolt's value is its own).
			v := append(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(make([]byte, 0, len(old)), uint64(at.UnixNano())), uint64(verified.UnixNano())), old[boltSourceHeader:]...)
			return sb.Put(key, v)
		}
		v := make([]byte, 0, boltSourceHeader+len(c.Content))
		v = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(v, uint64(at.UnixNano())), uint64(verified.UnixNano()))
		if err := sb.Put(key, append(v, c.Content...)); err != nil {
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
		}
		return nil
	})
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
		at, ver, ok := boltSourceTimes(val)
		if !ok {
			if val != nil {
				return fmt.Errorf("%w: source %x is cut short", ErrStore, key)
			}
			return nil
		}
		// Copied out: a value is valid only inside its transaction.
		out = &SourceContent{Name: name, Hash: string(key[len(prefix):]), At: at, VerifiedAt: ver, Content: bytes.Clone(val[boltSourceHeader:])}
		return nil
	})
	return out, err
}
