package upstream

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"
)

// TestSpool: whatever the size announced and the writes' sizes, the spool
// gives the text back whole and at any offset, in memory up to
// spoolMemory and from its file past that (or from the first byte when
// more is announced), and leaves no file behind.
func TestSpool(t *testing.T) {
	cases := []struct {
		size, expect int64
		write        int // bytes per Write
		toFile       bool
	}{
		{0, 0, 1, false},
		{10, 10, 3, false},
		{10, -1, 10, false},
		{300 << 10, -1, 1000, false},       // blocks of unknown size
		{300 << 10, 300 << 10, 777, false}, // one block of the size announced
		{300 << 10, 100, 4096, false},      // more than announced
		{int64(spoolMemory), -1, 32 << 10, false},
		{int64(spoolMemory) + 1, -1, 32 << 10, true},
		{int64(spoolMemory) + 1, int64(spoolMemory) + 1, 32 << 10, true},
		{1000, int64(spoolMemory) + 1, 100, true}, // announced over: to the file at once
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d-bytes-expect-%d-by-%d", c.size, c.expect, c.write), func(t *testing.T) {
			dir := t.TempDir()
			data, _ := io.ReadAll(randomBytes(uint64(c.write), c.size))
			sp := &spool{dir: dir, expect: c.expect}
			defer sp.close()
			for rest := data; len(rest) > 0; {
				k := min(c.write, len(rest))
				if n, err := sp.Write(rest[:k]); n != k || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
				rest = rest[k:]
			}
			if sp.spooled() != c.toFile {
				t.Errorf("spooled to a file: %v, want %v", sp.spooled(), c.toFile)
			}
			all, err := sp.bytes()
			if err != nil || !bytes.Equal(all, data) {
				t.Fatalf("bytes: %d of %d, %v", len(all), len(data), err)
			}
			r := rand.New(rand.NewPCG(2, 2))
			for range 50 {
				if c.size == 0 {
					break
				}
				off := r.Int64N(c.size)
				n := r.Int64N(c.size-off) + 1
				got := make([]byte, n)
				if k, err := sp.ReadAt(got, off); k != int(n) || (err != nil && err != io.EOF) || !bytes.Equal(got, data[off:off+n]) {
					t.Fatalf("ReadAt(%d bytes at %d) = %d, %v", n, off, k, err)
				}
			}
			if k, err := sp.ReadAt(make([]byte, 1), c.size); k != 0 || err != io.EOF {
				t.Errorf("ReadAt past the end = %d, %v", k, err)
			}
			sp.close()
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}
