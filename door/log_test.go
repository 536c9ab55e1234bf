package door

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestLogRotates: the log is cut at its size, one older file kept, so it
// never fills the SD card.
func TestLogRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "munjigi.log")
	w, err := openRotating(path, 1000)
	if err != nil {
		t.Fatal(err)
	}
	line := bytes.Repeat([]byte("x"), 99)
	line = append(line, '\n')
	for range 25 { // 2,500 bytes
		if _, err := w.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	cur, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.Stat(path + ".1")
	if err != nil {
		t.Fatal("no older file kept")
	}
	if cur.Size() > 1000 || old.Size() > 1000 || cur.Size()+old.Size() != 500+1000 {
		t.Errorf("sizes %d and %d", cur.Size(), old.Size())
	}
	if cur.Mode().Perm() != 0o600 {
		t.Errorf("the log is mode %v", cur.Mode().Perm())
	}
	// Reopened, it carries on where it was.
	w, _ = openRotating(path, 1000)
	w.Write(line)
	w.Close()
	if st, _ := os.Stat(path); st.Size() != 600 {
		t.Errorf("after reopening: %d bytes", st.Size())
	}
}
