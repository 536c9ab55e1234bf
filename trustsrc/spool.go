package trustsrc

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// spoolMemory is how much of a source is held in memory before the rest
// goes to a temporary file. A signed source must be read twice (its
// signature covers all of it, and nothing may be parsed before it is
// checked), so it is kept once, here: in memory for the lists seen in
// practice (a few MB), on disk for anything up to the cap, so memory stays
// bounded whatever the input. A variable so tests can use the file.
var spoolMemory = 16 << 20

// spool keeps the bytes of a source so they can be read again after their
// signature is checked, refusing more than max.
type spool struct {
	max  int64
	hint int64 // the expected size, when known: memory is taken once
	n    int64
	mem  bytes.Buffer
	file *os.File
}

func (s *spool) Write(p []byte) (int, error) {
	if s.n+int64(len(p)) > s.max {
		return 0, fmt.Errorf("%w: over the %d-byte cap", ErrTooLarge, s.max)
	}
	s.n += int64(len(p))
	if s.file == nil && s.mem.Len()+len(p) <= spoolMemory {
		if s.mem.Cap() == 0 && s.hint > 0 && s.hint <= int64(spoolMemory) {
			s.mem.Grow(int(s.hint))
		}
		return s.mem.Write(p)
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "munjigi-trustsrc-*")
		if err != nil {
			return 0, fmt.Errorf("trustsrc: a temporary file for a large source: %w", err)
		}
		// Unlinked at once where the system allows it: nothing is left
		// behind if the process dies.
		_ = os.Remove(f.Name())
		s.file = f
		if _, err := s.mem.WriteTo(f); err != nil {
			return 0, fmt.Errorf("trustsrc: spooling the source: %w", err)
		}
		s.mem = bytes.Buffer{}
	}
	if _, err := s.file.Write(p); err != nil {
		return 0, fmt.Errorf("trustsrc: spooling the source: %w", err)
	}
	return len(p), nil
}

// reader returns the bytes written, from the start.
func (s *spool) reader() (io.Reader, error) {
	if s.file == nil {
		return bytes.NewReader(s.mem.Bytes()), nil
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("trustsrc: reading the spooled source: %w", err)
	}
	return s.file, nil
}

func (s *spool) close() {
	if s.file != nil {
		name := s.file.Name()
		s.file.Close()
		_ = os.Remove(name)
	}
}

// capReader refuses to read more than max bytes, with ErrTooLarge rather
// than a quiet end that a parser would take for a truncated source.
type capReader struct {
	r   io.Reader
	max int64
	n   int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n >= c.max {
		// One byte more tells an input of exactly max from a longer one.
		var one [1]byte
		if k, err := c.r.Read(one[:]); k > 0 {
			return 0, fmt.Errorf("%w: over the %d-byte cap", ErrTooLarge, c.max)
		} else if err != nil {
			return 0, err
		}
		return 0, nil
	}
	if rest := c.max - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}
