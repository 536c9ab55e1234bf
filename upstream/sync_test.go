package upstream

import (
	"crypto/ecdsa"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"munjigi/store"
)

func openStore(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "munjigi.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestImport: a signed list from a USB stick, with the same checks.
func TestImport(t *testing.T) {
	key := newKey(t)
	db := openStore(t)
	dir := t.TempDir()
	write := func(name string, version int64, expires time.Time, k *ecdsa.PrivateKey) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, sign(t, listJSON(t, version, time.Now().Add(-time.Hour), expires, nil), k), 0o600)
		return p
	}
	h := &listHolder{}
	s := NewSyncer(nil, &key.PublicKey, db, h, time.Now, rand.New(rand.NewPCG(1, 1)))
	if _, err := s.Import(write("v5.jws", 5, time.Now().Add(time.Hour), key)); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]string{
		"older":   write("v4.jws", 4, time.Now().Add(time.Hour), key),
		"expired": write("v6-expired.jws", 6, time.Now().Add(-time.Minute), key),
		"forged":  write("v7-forged.jws", 7, time.Now().Add(time.Hour), newKey(t)),
	} {
		if _, err := s.Import(p); err == nil {
			t.Errorf("%s: imported", name)
		}
	}
	if v := h.Version(); v != 5 {
		t.Errorf("version %d in force, want 5", v)
	}
}
