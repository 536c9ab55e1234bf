// Package scanner turns what barcode scanners send into scans: one payload
// per read, with the time it arrived and where it came from. A scanner is a
// byte stream with a terminator after each code; cheap ones add noise,
// double reads and unbounded lines, and none of that may stop the door.
package scanner

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// MaxLine is the longest scan kept. The largest QR holds about 4,300
// characters; a line longer than this is not a pass, and is dropped with
// an error while the next scan reads as usual.
const MaxLine = 8 << 10

// Scan is one read.
type Scan struct {
	Payload []byte
	At      time.Time
	Source  string // "stdin", "serial:/dev/ttyACM0", ...
	// Err is set for a read that is not a scan (too long, a read error):
	// the door says so and goes on.
	Err error
}

// ErrTooLong is the Err of a scan longer than MaxLine.
var ErrTooLong = errors.New("scanner: a read longer than 8 KiB was dropped: not a pass")

// Framer splits a byte stream into scans: CR, LF or CRLF ends one, empty
// lines are skipped, and a line longer than Max is consumed and dropped
// without holding it in memory. Other bytes, control characters included,
// are data: some pass formats carry GS (0x1D). Its Split method is a
// bufio.SplitFunc; after an empty token, Dropped says how long the dropped
// line was.
type Framer struct {
	Max     int // 0 means MaxLine
	over    int // bytes of the line being dropped
	dropped int
	lastCR  bool // the previous token ended in CR: a following LF is part of it
}

// Split is a bufio.SplitFunc.
func (f *Framer) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	max := f.Max
	if max <= 0 {
		max = MaxLine
	}
	start := 0
	if f.lastCR && len(data) > 0 {
		f.lastCR = false
		if data[0] == '\n' {
			start = 1
		}
	}
	for {
		i := bytes.IndexAny(data[start:], "\r\n")
		if i < 0 {
			break
		}
		end := start + i
		next := end + 1
		if data[end] == '\r' {
			switch {
			case next < len(data) && data[next] == '\n':
				next++
			case next == len(data) && !atEOF:
				f.lastCR = true // an LF may follow in the next read
			}
		}
		line := data[start:end]
		if f.over > 0 {
			n := f.over + len(line)
			f.over, f.dropped = 0, n
			return next, []byte{}, nil
		}
		if len(line) > max {
			f.dropped = len(line)
			return next, []byte{}, nil
		}
		if len(line) == 0 {
			start = next
			if start == len(data) {
				return start, nil, nil
			}
			continue
		}
		return next, line, nil
	}
	rest := data[start:]
	switch {
	case atEOF && f.over > 0:
		n := f.over + len(rest)
		f.over, f.dropped = 0, n
		return len(data), []byte{}, nil
	case atEOF && len(rest) > max:
		f.dropped = len(rest)
		return len(data), []byte{}, nil
	case atEOF && len(rest) > 0:
		return len(data), rest, nil // a last scan without a terminator
	case f.over > 0 || len(rest) > max:
		// Too long already: count it and let the buffer go.
		f.over += len(rest)
		return len(data), nil, nil
	}
	return start, nil, nil
}

// Dropped returns the length of the line just dropped, once.
func (f *Framer) Dropped() int {
	n := f.dropped
	f.dropped = 0
	return n
}

// ReadLines reads scans from r until it ends, sending each to out, then
// closes out. A read error ends it with a last Scan carrying the error.
func ReadLines(r io.Reader, source string, now func() time.Time, out chan<- Scan) {
	defer close(out)
	f := &Framer{}
	sc := bufio.NewScanner(r)
	// The framer drops long lines itself, so the buffer never overflows.
	sc.Buffer(make([]byte, 4096), MaxLine+4096)
	sc.Split(f.Split)
	for sc.Scan() {
		tok := sc.Bytes()
		s := Scan{At: now(), Source: source}
		if len(tok) == 0 {
			s.Err = fmt.Errorf("%w (%d bytes)", ErrTooLong, f.Dropped())
		} else {
			s.Payload = bytes.Clone(tok)
		}
		out <- s
	}
	if err := sc.Err(); err != nil {
		out <- Scan{At: now(), Source: source, Err: fmt.Errorf("scanner: reading %s: %w", source, err)}
	}
}
