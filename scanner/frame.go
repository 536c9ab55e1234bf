package scanner

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// Terminator is what ends a scan on the wire.
type Terminator int

const (
	// Line: CR, LF or CRLF, the factory setting of most scanners.
	Line Terminator = iota
	// NUL: a zero byte. CR and LF are then data.
	NUL
	// Gap: nothing; a scan ends when the scanner falls silent.
	Gap
)

// ParseTerminator reads a terminator's configured name.
func ParseTerminator(s string) (Terminator, error) {
	switch s {
	case "line":
		return Line, nil
	case "nul":
		return NUL, nil
	case "gap":
		return Gap, nil
	}
	return 0, fmt.Errorf("%q is not a terminator: line (CR, LF or CRLF), nul or gap", s)
}

func (t Terminator) String() string {
	return [...]string{"line", "nul", "gap"}[t]
}

// Framer splits a byte stream into scans. Its Split method is a
// bufio.SplitFunc: a terminator ends a scan, empty lines are skipped, and
// a line longer than Max is consumed and dropped without being held in
// memory (Split returns an empty token for it; Dropped then says how long
// it was). Every other byte is data, control characters included: some
// pass formats carry GS (0x1D), and a scanner's ^C is not a signal.
type Framer struct {
	Max     int        // 0 means MaxLine
	End     Terminator // Line by default
	over    int        // bytes of the line being dropped
	dropped int
	lastCR  bool // the previous token ended in CR: a following LF is part of it
}

func (f *Framer) max() int {
	if f.Max <= 0 {
		return MaxLine
	}
	return f.Max
}

// index finds the next terminator in data.
func (f *Framer) index(data []byte) int {
	switch f.End {
	case Line:
		return bytes.IndexAny(data, "\r\n")
	case NUL:
		return bytes.IndexByte(data, 0)
	}
	return -1
}

// Split is a bufio.SplitFunc.
func (f *Framer) Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	max := f.max()
	start := 0
	if f.lastCR && len(data) > 0 {
		f.lastCR = false
		if data[0] == '\n' {
			start = 1
		}
	}
	for {
		i := f.index(data[start:])
		if i < 0 {
			break
		}
		end := start + i
		next := end + 1
		if f.End == Line && data[end] == '\r' {
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

// silence ends whatever is half read when the scanner has fallen silent:
// with the Gap terminator it is a scan; otherwise it is dropped, so it
// cannot merge with the next one. pending is the unconsumed input.
func (f *Framer) silence(pending []byte) (token []byte, err error) {
	over := f.over
	f.over, f.lastCR = 0, false
	switch {
	case over > 0 || len(pending) > f.max():
		return nil, fmt.Errorf("%w (%d bytes)", ErrTooLong, over+len(pending))
	case len(pending) == 0:
		return nil, nil
	case f.End == Gap:
		return pending, nil
	}
	return nil, fmt.Errorf("%w (%d bytes, then no end)", ErrIncomplete, len(pending))
}

// chunk is one read from a device: its bytes, or the error that ended
// the device.
type chunk struct {
	data []byte
	at   time.Time
	err  error
}

// frame turns chunks into scans on out until the chunks end (the last
// chunk's err, or nil at a clean end) or ctx is done (nil). Whatever is
// half read when the device falls silent or ends is settled by silence.
func frame(ctx context.Context, chunks <-chan chunk, out chan<- Scan, source string, opts Options) error {
	f := &Framer{Max: opts.Max, End: opts.End}
	var buf []byte
	var last time.Time // when the last byte arrived
	gap := opts.gap()
	timer := time.NewTimer(gap)
	timer.Stop()
	send := func(s Scan) bool {
		s.Source = source
		select {
		case out <- s:
			return true
		case <-ctx.Done():
			return false
		}
	}
	// emit sends what Split finds in buf, until it needs more input.
	emit := func(atEOF bool) bool {
		for {
			adv, tok, _ := f.Split(buf, atEOF)
			if adv == 0 && tok == nil {
				return true
			}
			buf = buf[adv:]
			switch {
			case tok == nil:
			case len(tok) == 0:
				if !send(Scan{At: last, Err: fmt.Errorf("%w (%d bytes)", ErrTooLong, f.Dropped())}) {
					return false
				}
			default:
				if !send(Scan{At: last, Payload: bytes.Clone(tok)}) {
					return false
				}
			}
			if len(buf) == 0 {
				buf = buf[:0:0] // let a large buffer go
				return true
			}
		}
	}
	settle := func() bool {
		tok, err := f.silence(buf)
		buf = buf[:0:0]
		switch {
		case err != nil:
			return send(Scan{At: last, Err: err})
		case tok != nil:
			return send(Scan{At: last, Payload: tok})
		}
		return true
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
			if !settle() {
				return nil
			}
		case c, ok := <-chunks:
			if !ok {
				// At a clean end (a file read through) a last line
				// without a terminator counts, as with bufio.Scanner.
				timer.Stop()
				if emit(true) {
					settle()
				}
				return nil
			}
			if c.err != nil {
				// The device went away: what was half read is settled
				// as after a silence.
				timer.Stop()
				settle()
				return c.err
			}
			last = c.at
			if opts.Raw != nil {
				opts.Raw(c.data, c.at)
			}
			buf = append(buf, c.data...)
			if !emit(false) {
				return nil
			}
			timer.Stop()
			if len(buf) > 0 || f.over > 0 {
				timer.Reset(gap)
			}
		}
	}
}
