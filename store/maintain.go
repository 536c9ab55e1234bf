package store

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// errNoSpace is what a write on a full disk returns.
var errNoSpace = syscall.ENOSPC

// DefaultRetention is how long entries are kept: the 28 days Korea's entry
// registers were kept for contact tracing.
const DefaultRetention = 28 * 24 * time.Hour

// PurgeBatch is how many entries one purge transaction deletes at most: a
// small transaction holds the write lock for a moment, so a scan waiting
// to be recorded never notices.
const PurgeBatch = 500

// Purge deletes up to PurgeBatch entries older than cutoff, oldest first,
// in one short transaction, and reports whether more may be due. Call it
// again until more is false, only when the clock is trusted.
//
// Entries are visited in sequence order and the walk stops at the first
// one not yet due, so an entry logged while the clock was wrong (whose time
// says little) goes with the first trustworthy entry after it.
func (d *DB) Purge(cutoff time.Time) (deleted int, more bool, err error) {
	err = d.update(func(tx *bolt.Tx) error {
		var due, pending [][]byte
		c := tx.Bucket(bucketEntries).Cursor()
		for k, v := c.First(); k != nil && len(due) < PurgeBatch; k, v = c.Next() {
			e, err := decodeEntry(k, v)
			if err != nil {
				return err
			}
			key := append([]byte(nil), k...) // a cursor's key is valid only until it moves
			if !e.ClockTrusted {
				pending = append(pending, key)
				continue
			}
			if !e.At.Before(cutoff) {
				break
			}
			due = append(append(due, pending...), key)
			pending = pending[:0]
		}
		// Delete after walking: deleting under a cursor can skip keys.
		entries, outbox := tx.Bucket(bucketEntries), tx.Bucket(bucketOutbox)
		for _, k := range due {
			if err := entries.Delete(k); err != nil {
				return err
			}
			if err := outbox.Delete(k); err != nil {
				return err
			}
		}
		deleted, more = len(due), len(due) >= PurgeBatch
		return d.purgePasses(tx, cutoff)
	})
	return deleted, more, err
}

// purgePasses forgets admissions older than cutoff from the re-use index,
// a batch at a time like the entries.
func (d *DB) purgePasses(tx *bolt.Tx, cutoff time.Time) error {
	var stale [][]byte
	c := tx.Bucket(bucketPasses).Cursor()
	for k, v := c.First(); k != nil && len(stale) < PurgeBatch; k, v = c.Next() {
		if len(v) == 16 && int64(binary.BigEndian.Uint64(v[8:])) < cutoff.UnixNano() {
			stale = append(stale, append([]byte(nil), k...))
		}
	}
	for _, k := range stale {
		if err := tx.Bucket(bucketPasses).Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Check verifies the file at path the way bbolt can: every page reachable
// and accounted for, every bucket sound, every entry decodable. It is meant
// to run in a short-lived child process (munjigi db check) before the kiosk
// opens the database: a damaged file can crash the reader, and bbolt's
// checker can walk a cycle of pages forever after it has reported the
// damage. So Check returns at the first problem and leaves the checker
// running on the still-open file; the process exiting is what ends it.
func Check(path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("%w: %v", openError(err), err)
	}
	verdict := make(chan error, 2)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				verdict <- fmt.Errorf("%w: %v", ErrDamaged, p)
			}
		}()
		verdict <- db.View(func(tx *bolt.Tx) error {
			reported := false
			for e := range tx.Check() {
				if !reported {
					verdict <- fmt.Errorf("%w: %v", ErrDamaged, e)
					reported = true
				}
				// Keep draining: the checker reads the file until it
				// has sent every report, and the file must stay mapped.
			}
			if reported {
				return nil
			}
			for _, name := range [][]byte{bucketEntries, bucketOutbox, bucketPasses, bucketTrust, bucketMeta} {
				if tx.Bucket(name) == nil {
					return fmt.Errorf("%w: bucket %s is missing", ErrDamaged, name)
				}
			}
			// A page can be sound and its bytes not.
			return tx.Bucket(bucketEntries).ForEach(func(k, v []byte) error {
				_, err := decodeEntry(k, v)
				return err
			})
		})
	}()
	if err := <-verdict; err != nil {
		return err // the file stays open: see above
	}
	return db.Close()
}

// MoveAside renames a damaged database out of the way, to
// <path>.corrupt-<time>, so a fresh one can start and the damaged one can
// still be examined. It returns the new name.
func MoveAside(path string, at time.Time) (string, error) {
	aside := fmt.Sprintf("%s.corrupt-%s", path, at.UTC().Format("20060102T150405Z"))
	if err := os.Rename(path, aside); err != nil {
		return "", fmt.Errorf("store: moving the damaged database aside: %w", err)
	}
	return aside, nil
}
