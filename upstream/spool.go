package upstream

import (
	"fmt"
	"io"
	"os"
)

// spoolMemory is how much of a signed list is held in memory while it is
// read; past it the text goes to a temporary file. A list must be read
// twice (its signature covers all of it, and nothing of it may be parsed
// before that is checked), so it is kept once, here: in memory for the
// small lists of a demo or a small country, on disk for a national list
// of thousands of keys (~16 MiB) or a bogus one of any size, so memory
// stays bounded whatever comes. A variable so tests can use the file.
var spoolMemory = 1 << 20

// spool keeps the text of a signed list while its signature is checked.
// It writes past spoolMemory to a file in dir ("" for the system's
// temporary directory), unlinked as soon as it is made, so nothing stays
// behind if the process is killed. A text expected (a file's size, a
// reply's Content-Length) over spoolMemory goes to the file from its
// first byte; one expected under it takes its memory once; one of unknown
// size is kept in blocks, not in a slice that grows: each growth would
// leave its outgrown copy to the collector (measured: 18 MiB of them on
// the way to a 4 MiB spool; BenchmarkPeakRSS, sync/…-chunked).
type spool struct {
	dir    string
	expect int64    // the size announced; 0 or less when unknown
	mem    [][]byte // the text, in blocks, while it is in memory
	file   *os.File
	name   string // the file's name while it could not be unlinked
	n      int64
}

// spoolBlock is a block of a text of unknown size.
const spoolBlock = 64 << 10

var (
	_ io.Writer   = (*spool)(nil)
	_ io.ReaderAt = (*spool)(nil)
)

func (s *spool) Write(p []byte) (int, error) {
	if s.file == nil && s.expect <= int64(spoolMemory) && s.n+int64(len(p)) <= int64(spoolMemory) {
		written := len(p)
		s.n += int64(written)
		for len(p) > 0 {
			last := len(s.mem) - 1
			if last < 0 || len(s.mem[last]) == cap(s.mem[last]) {
				size := spoolBlock
				if last < 0 && s.expect > 0 {
					size = int(s.expect)
				}
				s.mem = append(s.mem, make([]byte, 0, size))
				last++
			}
			k := min(len(p), cap(s.mem[last])-len(s.mem[last]))
			s.mem[last] = append(s.mem[last], p[:k]...)
			p = p[k:]
		}
		return written, nil
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, ".munjigi-trustlist-*")
		if err != nil && s.dir != "" {
			// The database's directory may be read-only while the
			// database file is not.
			f, err = os.CreateTemp("", ".munjigi-trustlist-*")
		}
		if err != nil {
			return 0, fmt.Errorf("upstream: a temporary file for the trust list: %w", err)
		}
		if os.Remove(f.Name()) != nil {
			s.name = f.Name() // a system that cannot unlink an open file
		}
		s.file = f
		for _, b := range s.mem {
			if _, err := f.Write(b); err != nil {
				return 0, fmt.Errorf("upstream: spooling the trust list: %w", err)
			}
		}
		s.mem = nil
	}
	k, err := s.file.Write(p)
	s.n += int64(k)
	if err != nil {
		return k, fmt.Errorf("upstream: spooling the trust list: %w", err)
	}
	return k, nil
}

// ReadAt reads the text back.
func (s *spool) ReadAt(p []byte, off int64) (int, error) {
	if s.file != nil {
		return s.file.ReadAt(p, off)
	}
	n := 0
	for _, b := range s.mem {
		if off >= int64(len(b)) {
			off -= int64(len(b))
			continue
		}
		k := copy(p[n:], b[off:])
		n, off = n+k, 0
		if n == len(p) {
			return n, nil
		}
	}
	return n, io.EOF
}

// bytes is the whole text in one slice of its size: what the store is
// handed (bbolt takes a value as a slice). A text in one block is that
// block; one on disk is read once.
func (s *spool) bytes() ([]byte, error) {
	if s.file == nil && len(s.mem) == 1 {
		return s.mem[0], nil
	}
	b := make([]byte, s.n)
	if _, err := s.ReadAt(b, 0); err != nil && !(err == io.EOF && s.n == 0) {
		return nil, fmt.Errorf("upstream: reading the spooled trust list: %w", err)
	}
	return b, nil
}

// spooled says whether the text went to a file.
func (s *spool) spooled() bool { return s.file != nil }

func (s *spool) close() {
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
	if s.name != "" {
		_ = os.Remove(s.name)
		s.name = ""
	}
	s.mem = nil
}

// capReader reads at most max bytes of r and refuses the list, with
// ErrList, at the first byte past that: a quiet end would read as a
// truncated list, and a reply may be longer than it said.
type capReader struct {
	r   io.Reader
	max int64
	n   int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n > c.max {
		return 0, c.over()
	}
	// One byte more tells an input of exactly max from a longer one.
	if rest := c.max + 1 - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	k, err := c.r.Read(p)
	c.n += int64(k)
	if c.n > c.max {
		return k, c.over()
	}
	return k, err
}

func (c *capReader) over() error {
	return fmt.Errorf("%w: over the %d MiB cap", ErrList, c.max>>20)
}
