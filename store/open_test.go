package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	berrors "go.etcd.io/bbolt/errors"
)

// TestOpenErrors: only a file bbolt cannot read is damaged; a lock, a
// permission or a read-only file system says nothing about the file (issue
// 14, item 1). Permissions cannot be denied to root, who runs CI, so the
// sorting is tested on the errors the system returns, and the lock and the
// read-only mode on real files below.
func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
	}{
		{berrors.ErrTimeout, ErrLocked},
		{&os.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, ErrPermission},
		{&os.PathError{Op: "open", Path: "x", Err: syscall.EPERM}, ErrPermission},
		{&os.PathError{Op: "open", Path: "x", Err: syscall.EROFS}, ErrReadOnly},
		{berrors.ErrDatabaseReadOnly, ErrReadOnly},
		{&os.PathError{Op: "open", Path: "x", Err: syscall.ENOENT}, os.ErrNotExist},
		{syscall.ENOMEM, syscall.ENOMEM}, // mmap with no address space left
		{fmt.Errorf("mmap: %w", syscall.ENOMEM), syscall.ENOMEM},
		{berrors.ErrInvalid, ErrDamaged},
		{berrors.ErrVersionMismatch, ErrDamaged},
		{berrors.ErrChecksum, ErrDamaged},
		{fmt.Errorf("file size too small"), ErrDamaged},
	} {
		if got := openError(tc.err); !errors.Is(got, tc.want) {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestLockedIsNotDamaged: a database another process holds is in use, for
// opening and for checking alike.
func TestLockedIsNotDamaged(t *testing.T) {
	db := openTemp(t, Options{})
	if _, err := db.Append(entry(day0)); err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file, so a second open in this
	// process waits as another process would.
	if _, err := Open(db.Path(), Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Errorf("a second writer: %v, want ErrLocked", err)
	}
	if _, err := Open(db.Path(), Options{Timeout: 50 * time.Millisecond, ReadOnly: true}); !errors.Is(err, ErrLocked) {
		t.Errorf("a reader while the door writes: %v, want ErrLocked", err)
	}
	if err := Check(db.Path()); !errors.Is(err, ErrLocked) || errors.Is(err, ErrDamaged) {
		t.Errorf("Check of a file in use: %v, want ErrLocked", err)
	}
}

// TestReadOnly: a read-only database reads what is there, and every write
// says it is read-only (the verdict is shown NOT LOGGED, not lost in a
// crash).
func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "munjigi.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Append(entry(day0))
	h := db.HashPassID("URN:UVCI:01:KR:X#1")
	db.Close()

	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if !ro.ReadOnly() {
		t.Error("ReadOnly() is false")
	}
	if n, err := ro.Count(); err != nil || n != 1 {
		t.Errorf("count %d (%v)", n, err)
	}
	if string(ro.HashPassID("URN:UVCI:01:KR:X#1")) != string(h) {
		t.Error("the pass hash key differs when read-only")
	}
	if _, err := ro.Append(entry(day0)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Append: %v, want ErrReadOnly", err)
	}
	if err := ro.AdvanceClock(day0.Add(time.Hour)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("AdvanceClock: %v, want ErrReadOnly", err)
	}
	// Readers share: two at once.
	ro2, err := Open(path, Options{ReadOnly: true, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Errorf("a second reader: %v", err)
	} else {
		ro2.Close()
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none.db"), Options{ReadOnly: true}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file read-only: %v", err)
	}
}
