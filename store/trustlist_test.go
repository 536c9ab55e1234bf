package store

import (
	"bytes"
	"runtime"
	"testing"
)

// TestSaveTrustListCopiesOnce: storing a national trust list (16 MiB
// signed) costs one copy of it, bbolt's page buffer, not two, in a fresh
// file and as lists replace each other. bbolt maps the file afresh when a
// commit outgrows its mapping, and copies every value written in that
// transaction to the heap first; the file is mapped ahead (initialMap) so
// that a list's commit does not.
func TestSaveTrustListCopiesOnce(t *testing.T) {
	db := openTemp(t, Options{})
	for i := range 3 {
		list := bytes.Repeat([]byte{'a' + byte(i)}, 16<<20)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if err := db.SaveTrustList(list, []byte("meta")); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > uint64(len(list))*3/2 {
			t.Errorf("list %d: storing %d MiB allocated %d MiB", i+1, len(list)>>20, got>>20)
		}
		if got, _, _ := db.TrustList(); !bytes.Equal(got, list) {
			t.Fatalf("list %d did not read back", i+1)
		}
	}
}
