// Package store is the kiosk's database, one bbolt file: the entry log
// (every decision at the door), the upload outbox, the trust list in force,
// the re-use index, and the kiosk's own state (schema version, the secret
// that keys pass hashes, the clock's high-water mark, the log's epoch).
//
// The file lives on an SD card under a counter. An entry is committed and
// fsynced before Append returns, so one shown as accepted survives a power
// cut; the file is checked in a child process before the kiosk opens it
// (see Check), because a damaged file can still panic a reader.
//
// No names, birth dates or QR text are ever stored: a pass is known by a
// keyed hash of its identifier.
package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fxamacker/cbor/v2"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bucket and key names. They are the file format: never rename one.
var (
	bucketEntries = []byte("entries") // seq → entry
	bucketOutbox  = []byte("outbox")  // seq → nothing: entries not yet uploaded
	bucketPasses  = []byte("passes")  // pass hash → seq and time of its last admission
	bucketTrust   = []byte("trust")   // trust list and value sets in force
	bucketMeta    = []byte("meta")

	keySchema    = []byte("schema")
	keySecret    = []byte("secret")
	keyClockHWM  = []byte("clock-hwm")
	keyEpoch     = []byte("epoch")
	keyTrustList = []byte("list")
	keyTrustMeta = []byte("list-meta")
)

// SchemaVersion is the file format this code writes. migrations[i] takes a
// file from version i+1 to i+2.
const SchemaVersion = 2

var migrations = []func(*bolt.Tx) error{
	// 1 → 2: the log gets an epoch. A file written before epochs existed
	// gets one now; the server holds its earlier uploads under no epoch,
	// and this log's next entries under the new one, so nothing it sent
	// before is sent again as new and nothing new is taken for old.
	func(tx *bolt.Tx) error { return newEpoch(tx.Bucket(bucketMeta)) },
}

// newEpoch gives the log its identity: 128 random bits, made once.
func newEpoch(meta *bolt.Bucket) error {
	if meta.Get(keyEpoch) != nil {
		return nil
	}
	e := make([]byte, 16)
	if _, err := rand.Read(e); err != nil {
		return err
	}
	return meta.Put(keyEpoch, e)
}

// Errors a caller acts on. Only ErrDamaged means the file itself is
// broken: a file in use, unreadable or on a read-only card is sound.
var (
	ErrLocked     = errors.New("store: the database is in use by another munjigi")
	ErrNewer      = errors.New("store: the database was written by a newer munjigi")
	ErrFull       = errors.New("store: the disk or the database is full")
	ErrDamaged    = errors.New("store: the database file is damaged")
	ErrPermission = errors.New("store: no permission to open the database")
	ErrReadOnly   = errors.New("store: the database cannot be written (read-only)")
)

// Options tune Open.
type Options struct {
	// Timeout is how long to wait for another process's lock on the file
	// (default 1 s): a second kiosk must fail fast, not hang.
	Timeout time.Duration
	// MaxSize caps the file, in bytes (0: none). Tests use it to fill the
	// "disk".
	MaxSize int
	// NoSync skips fsync: for bulk tools and tests only. A kiosk never sets
	// it, since an entry shown as accepted must survive a power cut.
	NoSync bool
	// MapSize is the address space mapped ahead for the file (0:
	// initialMap). Tests that keep dozens of databases open at once on a
	// 32-bit build map less.
	MapSize int
	// ReadOnly opens the file without writing to it (a shared lock: any
	// number of readers, no writer): reports, and a door whose card has
	// gone read-only. Every write then fails with ErrReadOnly.
	ReadOnly bool
}

// DB is an open database. It is safe for concurrent use.
type DB struct {
	bolt     *bolt.DB
	path     string
	secret   []byte
	epoch    string
	readOnly bool
}

// initialMap is the address space mapped for the file from the start
// (the file does not grow with it). bbolt maps the file afresh whenever
// a commit outgrows the mapping, and first copies every value written in
// that transaction to the heap: a signed trust list of 16 MiB stored into
// a fresh file would be held three times over (the caller's slice, that
// copy, bbolt's page buffer), not twice. With room mapped ahead, the
// remaps are rare, and read transactions, which a remap waits for, block
// no writer meanwhile. 64 MiB is address space only, which a 32-bit ARM
// board has plenty of.
const initialMap = 64 << 20

// Open opens or creates the database at path (mode 0600, and its folder
// 0700 when it is made).
func Open(path string, opts Options) (db *DB, err error) {
	if opts.Timeout == 0 {
		opts.Timeout = time.Second
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("%w: %v", openError(err), err)
		}
	}
	// bbolt 1.5 returns errors where older versions panicked on damaged
	// files; a panic that remains becomes ErrDamaged, not a dead kiosk.
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, fmt.Errorf("%w: %v", ErrDamaged, p)
		}
	}()
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("%w: %v", openError(err), err)
		}
	}
	mapSize := opts.MapSize
	if mapSize <= 0 {
		mapSize = initialMap
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, MaxSize: opts.MaxSize, NoSync: opts.NoSync, ReadOnly: opts.ReadOnly,
		InitialMmapSize: mapSize})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", openError(err), path, err)
	}
	// Grow the file a MiB at a time, not bbolt's 16: an SD card is small
	// and the log grows by a few KB a minute.
	b.AllocSize = 1 << 20
	db = &DB{bolt: b, path: path, readOnly: opts.ReadOnly}
	if opts.ReadOnly {
		err = db.load()
	} else {
		err = db.init()
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// openError sorts why a file could not be opened: only a file bbolt cannot
// read as a database is damaged; a lock held by another process, a
// permission and a read-only file system say nothing about the file.
func openError(err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return ErrLocked
	case errors.Is(err, syscall.EROFS), errors.Is(err, berrors.ErrDatabaseReadOnly):
		return ErrReadOnly
	case errors.Is(err, os.ErrPermission):
		return ErrPermission
	case errors.Is(err, os.ErrNotExist):
		return os.ErrNotExist
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err // some other system error: not a judgement on the file
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		// The system refused something (mmap's ENOMEM: the address space
		// is full): that says nothing about the file either.
		return errno
	}
	return ErrDamaged
}

// ReadOnly reports whether the database was opened without writing.
func (d *DB) ReadOnly() bool { return d.readOnly }

// load reads what init would have made, without writing: a read-only
// file must already be a munjigi database.
func (d *DB) load() error {
	return d.bolt.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return fmt.Errorf("%w: no meta bucket", ErrDamaged)
		}
		if v := meta.Get(keySchema); len(v) == 8 && binary.BigEndian.Uint64(v) > SchemaVersion {
			return fmt.Errorf("%w (format %d; this munjigi reads up to %d)", ErrNewer, binary.BigEndian.Uint64(v), SchemaVersion)
		}
		secret := meta.Get(keySecret)
		if secret == nil {
			return fmt.Errorf("%w: no secret", ErrDamaged)
		}
		d.secret = bytes.Clone(secret)
		if e := meta.Get(keyEpoch); len(e) == 16 {
			d.epoch = hex.EncodeToString(e) // a file from before epochs has none: it uploads nothing read-only
		}
		return nil
	})
}

func (d *DB) init() error {
	return d.update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketEntries, bucketOutbox, bucketPasses, bucketTrust, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		version := uint64(SchemaVersion)
		if v := meta.Get(keySchema); v != nil {
			version = binary.BigEndian.Uint64(v)
		} else if err := newEpoch(meta); err != nil { // a new file
			return err
		}
		if version > SchemaVersion {
			return fmt.Errorf("%w (format %d; this munjigi reads up to %d)", ErrNewer, version, SchemaVersion)
		}
		for ; version < SchemaVersion; version++ {
			if err := migrations[version-1](tx); err != nil {
				return fmt.Errorf("store: migrating from format %d: %w", version, err)
			}
		}
		if err := meta.Put(keySchema, u64(SchemaVersion)); err != nil {
			return err
		}
		secret := meta.Get(keySecret)
		if secret == nil {
			secret = make([]byte, 32)
			if _, err := rand.Read(secret); err != nil {
				return err
			}
			if err := meta.Put(keySecret, secret); err != nil {
				return err
			}
		}
		d.secret = bytes.Clone(secret)
		e := meta.Get(keyEpoch)
		if len(e) != 16 {
			return fmt.Errorf("%w: the log's epoch is %d bytes", ErrDamaged, len(e))
		}
		d.epoch = hex.EncodeToString(e)
		return nil
	})
}

// Epoch names this log: 32 hex digits made with the file and never
// changed. A replaced database starts a new epoch, so the server, which
// keys what it receives by (kiosk, epoch, seq), takes a fresh log's seq 1
// for a new entry, not for the old log's seq 1 again.
func (d *DB) Epoch() string { return d.epoch }

// Close closes the database.
func (d *DB) Close() error { return d.bolt.Close() }

// Path is the database file's path.
func (d *DB) Path() string { return d.path }

// update runs fn in a write transaction, committed and fsynced, and names
// a full disk or database as ErrFull and a read-only one as ErrReadOnly.
func (d *DB) update(fn func(*bolt.Tx) error) error {
	err := d.bolt.Update(fn)
	switch {
	case errors.Is(err, berrors.ErrMaxSizeReached) || errors.Is(err, errNoSpace):
		return fmt.Errorf("%w: %v", ErrFull, err)
	case errors.Is(err, berrors.ErrDatabaseReadOnly) || errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %v", ErrReadOnly, err)
	}
	return err
}

func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// HashPassID is the keyed hash (HMAC-SHA-256 under this kiosk's secret) of
// a pass identifier: the same pass gives the same hash here and only here,
// and the identifier cannot be read back from it.
func (d *DB) HashPassID(id string) []byte {
	m := hmac.New(sha256.New, d.secret)
	m.Write([]byte(id))
	return m.Sum(nil)
}

// Entry is one decision at the door, as the log keeps it. It is also the
// record a tracer's export shows (its JSON form): the pass hash and the
// re-use flag stay in the file.
type Entry struct {
	Seq          uint64    `cbor:"-" json:"seq"`
	At           time.Time `cbor:"-" json:"at"`
	AtNano       int64     `cbor:"1,keyasint" json:"-"`
	ClockTrusted bool      `cbor:"2,keyasint" json:"clockTrusted"`
	Verdict      string    `cbor:"3,keyasint" json:"verdict"`
	Method       string    `cbor:"4,keyasint" json:"method"` // qr, manual-sticker, manual-sms, manual-paper, exemption, override, unresolved, gap
	Format       string    `cbor:"5,keyasint,omitempty" json:"format,omitempty"`
	Type         string    `cbor:"6,keyasint,omitempty" json:"type,omitempty"`
	Reason       string    `cbor:"7,keyasint,omitempty" json:"reason,omitempty"`
	Staff        string    `cbor:"8,keyasint,omitempty" json:"staff,omitempty"`
	PassHash     []byte    `cbor:"9,keyasint,omitempty" json:"-"`
	Note         string    `cbor:"10,keyasint,omitempty" json:"note,omitempty"` // for a gap: what happened
	// Admitted records that the visitor went in (a pass, or a manual check
	// staff accepted): what the re-use check looks for.
	Admitted bool `cbor:"11,keyasint,omitempty" json:"-"`
	// Resolves is, for a check by hand, the entry of the verdict it
	// settled (the amber screen the visitor was waiting on): the two are
	// one visitor.
	Resolves uint64 `cbor:"12,keyasint,omitempty" json:"resolves,omitempty"`
}

// Gap is the method of an entry that is no visitor: the log was
// interrupted, and this says so.
const MethodGap = "gap"

var (
	encMode = func() cbor.EncMode {
		em, err := cbor.CoreDetEncOptions().EncMode()
		if err != nil {
			panic(err)
		}
		return em
	}()
	decMode = func() cbor.DecMode {
		dm, err := cbor.DecOptions{MaxNestedLevels: 4, MaxArrayElements: 16, MaxMapPairs: 32}.DecMode()
		if err != nil {
			panic(err)
		}
		return dm
	}()
)

func decodeEntry(k, v []byte) (Entry, error) {
	var e Entry
	if err := decMode.Unmarshal(v, &e); err != nil {
		return e, fmt.Errorf("%w: entry %x: %v", ErrDamaged, k, err)
	}
	e.Seq = binary.BigEndian.Uint64(k)
	e.At = time.Unix(0, e.AtNano).UTC()
	return e, nil
}

// Append records e and returns its sequence number once it is durable:
// committed and fsynced. It also queues the entry for upload and, for an
// admission, remembers the pass for the re-use check.
func (d *DB) Append(e Entry) (uint64, error) {
	e.AtNano = e.At.UnixNano()
	var seq uint64
	err := d.update(func(tx *bolt.Tx) error {
		entries, outbox := tx.Bucket(bucketEntries), tx.Bucket(bucketOutbox)
		// Keys only ever grow: full pages waste nothing.
		entries.FillPercent, outbox.FillPercent = 1, 1
		var err error
		if seq, err = entries.NextSequence(); err != nil {
			return err
		}
		v, err := encMode.Marshal(e)
		if err != nil {
			return err
		}
		key := u64(seq)
		if err := entries.Put(key, v); err != nil {
			return err
		}
		if err := outbox.Put(key, nil); err != nil {
			return err
		}
		if e.Admitted && len(e.PassHash) > 0 {
			return tx.Bucket(bucketPasses).Put(e.PassHash, append(key, u64(uint64(e.AtNano))...))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: append: %w", err)
	}
	return seq, nil
}

// LastAdmitted returns when the pass with this hash was last admitted.
func (d *DB) LastAdmitted(hash []byte) (seq uint64, at time.Time, ok bool, err error) {
	err = d.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketPasses).Get(hash)
		if len(v) != 16 {
			return nil
		}
		seq, at, ok = binary.BigEndian.Uint64(v[:8]), time.Unix(0, int64(binary.BigEndian.Uint64(v[8:]))).UTC(), true
		return nil
	})
	return seq, at, ok, err
}

// Entry returns the entry seq.
func (d *DB) Entry(seq uint64) (e Entry, ok bool, err error) {
	err = d.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketEntries).Get(u64(seq))
		if v == nil {
			return nil
		}
		ok = true
		e, err = decodeEntry(u64(seq), v)
		return err
	})
	return e, ok, err
}

// Entries calls fn with each entry from seq from on, in order, until fn
// returns false or an error. It reads in one transaction: fn must not
// write to the database.
func (d *DB) Entries(from uint64, fn func(Entry) (bool, error)) error {
	return d.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEntries).Cursor()
		for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
			e, err := decodeEntry(k, v)
			if err != nil {
				return err
			}
			more, err := fn(e)
			if err != nil || !more {
				return err
			}
		}
		return nil
	})
}

// Count is the number of entries held.
func (d *DB) Count() (n int, err error) {
	err = d.bolt.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketEntries).Stats().KeyN
		return nil
	})
	return n, err
}

// Outbox returns up to limit entries waiting for upload, oldest first.
func (d *DB) Outbox(limit int) ([]Entry, error) {
	var out []Entry
	err := d.bolt.View(func(tx *bolt.Tx) error {
		entries := tx.Bucket(bucketEntries)
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			v := entries.Get(k)
			if v == nil {
				continue // purged before it was uploaded
			}
			e, err := decodeEntry(k, v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Acknowledge removes uploaded entries from the outbox: call it only after
// the server said it holds them.
func (d *DB) Acknowledge(seqs []uint64) error {
	return d.update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutbox)
		for _, s := range seqs {
			if err := ob.Delete(u64(s)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClockHighWater returns the latest time the kiosk has trusted.
func (d *DB) ClockHighWater() (t time.Time, err error) {
	err = d.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyClockHWM); len(v) == 8 {
			t = time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()
		}
		return nil
	})
	return t, err
}

// AdvanceClock raises the high-water mark to t; it never lowers it.
func (d *DB) AdvanceClock(t time.Time) error {
	return d.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keyClockHWM); len(v) == 8 && int64(binary.BigEndian.Uint64(v)) >= t.UnixNano() {
			return nil
		}
		return meta.Put(keyClockHWM, u64(uint64(t.UnixNano())))
	})
}

// SaveTrustList stores a trust list that has been checked and is to be in
// force, with a line of metadata for the screen. The swap is one
// transaction: a crash leaves the old list or the new, whole.
func (d *DB) SaveTrustList(list, meta []byte) error {
	return d.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTrust)
		if err := b.Put(keyTrustList, list); err != nil {
			return err
		}
		return b.Put(keyTrustMeta, meta)
	})
}

// TrustList returns the trust list in force and its metadata, or nil.
// TrustListMeta returns only the metadata of the trust list in force: a
// national list is megabytes, and a caller that only asks what kind of
// list it is need not copy it.
func (d *DB) TrustListMeta() (meta []byte, err error) {
	err = d.bolt.View(func(tx *bolt.Tx) error {
		meta = bytes.Clone(tx.Bucket(bucketTrust).Get(keyTrustMeta))
		return nil
	})
	return meta, err
}

func (d *DB) TrustList() (list, meta []byte, err error) {
	err = d.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTrust)
		list, meta = bytes.Clone(b.Get(keyTrustList)), bytes.Clone(b.Get(keyTrustMeta))
		return nil
	})
	return list, meta, err
}
