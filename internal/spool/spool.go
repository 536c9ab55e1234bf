// Package spool keeps the bytes of a signed source while its signature is
// checked: a source must be read twice (its signature covers all of it,
// and nothing of it may be parsed before that is checked), so it is kept
// once, here. In memory up to a limit, past it in a temporary file
// unlinked as soon as it is made (nothing stays behind if the process is
// killed), so memory stays bounded whatever comes: a kiosk's signed trust
// list (package upstream) and the national key lists the authority
// converts (package trustsrc) both pass through it.
package spool

import (
	"fmt"
	"io"
	"os"
)

// DefaultMemory is how much is held in memory when Spool.Memory is 0.
const DefaultMemory = 1 << 20

// block is a block of a text of unknown size.
const block = 64 << 10

// Spool is a Writer that keeps what is written, and reads it back. A text
// announced (Expect) over Memory goes to the file from its first byte;
// one announced under it takes its memory once; one of unknown size is
// kept in blocks, not in a slice that grows: each growth would leave its
// outgrown copy to the collector (measured in upstream: 18 MiB of them on
// the way to a 4 MiB text).
type Spool struct {
	Dir    string // the temporary file's folder; "" for the system's
	Expect int64  // the size announced; 0 or less when unknown
	Memory int    // bytes kept in memory before the file; 0: DefaultMemory
	// Max refuses a text longer than this (0: no cap) with the error
	// TooLarge makes.
	Max      int64
	TooLarge func(max int64) error
	What     string // what is kept, for errors: "the trust list"

	mem  [][]byte
	file *os.File
	name string // the file's name while it could not be unlinked
	n    int64
}

var (
	_ io.Writer   = (*Spool)(nil)
	_ io.ReaderAt = (*Spool)(nil)
)

func (s *Spool) memory() int64 {
	if s.Memory <= 0 {
		return DefaultMemory
	}
	return int64(s.Memory)
}

func (s *Spool) Write(p []byte) (int, error) {
	if s.Max > 0 && s.n+int64(len(p)) > s.Max {
		if s.TooLarge != nil {
			return 0, s.TooLarge(s.Max)
		}
		return 0, fmt.Errorf("spool: %s is over the %d-byte cap", s.What, s.Max)
	}
	if s.file == nil && s.Expect <= s.memory() && s.n+int64(len(p)) <= s.memory() {
		written := len(p)
		s.n += int64(written)
		for len(p) > 0 {
			last := len(s.mem) - 1
			if last < 0 || len(s.mem[last]) == cap(s.mem[last]) {
				size := block
				if last < 0 && s.Expect > 0 {
					size = int(s.Expect)
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
		f, err := os.CreateTemp(s.Dir, ".munjigi-spool-*")
		if err != nil && s.Dir != "" {
			// The folder may be read-only while what is kept beside it
			// (a database) is not.
			f, err = os.CreateTemp("", ".munjigi-spool-*")
		}
		if err != nil {
			return 0, fmt.Errorf("spool: a temporary file for %s: %w", s.What, err)
		}
		if os.Remove(f.Name()) != nil {
			s.name = f.Name() // a system that cannot unlink an open file
		}
		s.file = f
		for _, b := range s.mem {
			if _, err := f.Write(b); err != nil {
				return 0, fmt.Errorf("spool: keeping %s: %w", s.What, err)
			}
		}
		s.mem = nil
	}
	k, err := s.file.Write(p)
	s.n += int64(k)
	if err != nil {
		return k, fmt.Errorf("spool: keeping %s: %w", s.What, err)
	}
	return k, nil
}

// ReadAt reads the text back.
func (s *Spool) ReadAt(p []byte, off int64) (int, error) {
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

// Reader reads the whole text from its start.
func (s *Spool) Reader() io.Reader { return io.NewSectionReader(s, 0, s.n) }

// Bytes is the whole text in one slice of its size (bbolt takes a value
// as a slice). A text in one block is that block; one on disk is read
// once.
func (s *Spool) Bytes() ([]byte, error) {
	if s.file == nil && len(s.mem) == 1 {
		return s.mem[0], nil
	}
	b := make([]byte, s.n)
	if _, err := s.ReadAt(b, 0); err != nil && !(err == io.EOF && s.n == 0) {
		return nil, fmt.Errorf("spool: reading %s back: %w", s.What, err)
	}
	return b, nil
}

// Spooled says whether the text went to a file.
func (s *Spool) Spooled() bool { return s.file != nil }

// Len is how much was written.
func (s *Spool) Len() int64 { return s.n }

// Close lets the text go, and its file.
func (s *Spool) Close() {
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

// CapReader reads at most Max bytes of R and refuses, with the error Over
// makes, at the first byte past that: a quiet end would read as a
// truncated source, and a reply may be longer than it said.
type CapReader struct {
	R    io.Reader
	Max  int64
	Over func() error
	n    int64
}

func (c *CapReader) Read(p []byte) (int, error) {
	if c.n > c.Max {
		return 0, c.Over()
	}
	// One byte more tells an input of exactly Max from a longer one.
	if rest := c.Max + 1 - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	k, err := c.R.Read(p)
	c.n += int64(k)
	if c.n > c.Max {
		return k, c.Over()
	}
	return k, err
}
