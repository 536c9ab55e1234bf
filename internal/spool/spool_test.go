package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// TestSpool: whatever the size announced and the writes' sizes, the spool
// gives the text back whole and at any offset, in memory up to
// DefaultMemory and from its file past that (or from the first byte when
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
		{int64(DefaultMemory), -1, 32 << 10, false},
		{int64(DefaultMemory) + 1, -1, 32 << 10, true},
		{int64(DefaultMemory) + 1, int64(DefaultMemory) + 1, 32 << 10, true},
		{1000, int64(DefaultMemory) + 1, 100, true}, // announced over: to the file at once
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d-bytes-expect-%d-by-%d", c.size, c.expect, c.write), func(t *testing.T) {
			dir := t.TempDir()
			data := make([]byte, c.size)
			src := rand.NewChaCha8([32]byte{byte(c.write)})
			src.Read(data)
			sp := &Spool{Dir: dir, Expect: c.expect}
			defer sp.Close()
			for rest := data; len(rest) > 0; {
				k := min(c.write, len(rest))
				if n, err := sp.Write(rest[:k]); n != k || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
				rest = rest[k:]
			}
			if sp.Spooled() != c.toFile {
				t.Errorf("spooled to a file: %v, want %v", sp.Spooled(), c.toFile)
			}
			all, err := sp.Bytes()
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
			if back, err := io.ReadAll(sp.Reader()); err != nil || !bytes.Equal(back, data) {
				t.Errorf("Reader: %d of %d, %v", len(back), len(data), err)
			}
			if k, err := sp.ReadAt(make([]byte, 1), c.size); k != 0 || err != io.EOF {
				t.Errorf("ReadAt past the end = %d, %v", k, err)
			}
			sp.Close()
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

var errBig = errors.New("too big")

// TestSpoolMax: a text longer than Max is refused at the write that
// passes it, with the caller's error.
func TestSpoolMax(t *testing.T) {
	sp := &Spool{Max: 10, TooLarge: func(max int64) error { return fmt.Errorf("%w: %d", errBig, max) }}
	defer sp.Close()
	if n, err := sp.Write([]byte("0123456789")); n != 10 || err != nil {
		t.Fatalf("10 bytes: %d, %v", n, err)
	}
	if _, err := sp.Write([]byte("x")); !errors.Is(err, errBig) {
		t.Errorf("the 11th byte: %v", err)
	}
	if sp.Len() != 10 {
		t.Errorf("kept %d bytes", sp.Len())
	}
}

// TestCapReader: an input of exactly Max reads whole; one byte more is
// refused, never a quiet end.
func TestCapReader(t *testing.T) {
	for _, c := range []struct {
		size    int
		refused bool
	}{{0, false}, {9, false}, {10, false}, {11, true}, {1000, true}} {
		r := &CapReader{R: strings.NewReader(strings.Repeat("x", c.size)), Max: 10, Over: func() error { return errBig }}
		got, err := io.ReadAll(r)
		if refused := errors.Is(err, errBig); refused != c.refused || (!refused && len(got) != c.size) {
			t.Errorf("%d bytes: read %d, %v", c.size, len(got), err)
		}
	}
}
