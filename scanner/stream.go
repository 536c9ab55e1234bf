package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Stream is a source that reads a byte stream: standard input, a file, or
// a named pipe that a scanner bridge writes to.
type Stream struct {
	name string
	open func() (io.Reader, func() error, error)
	opts Options
}

// Reader reads scans from r (standard input, say) until it ends. name
// says where they come from.
func Reader(name string, r io.Reader, opts Options) *Stream {
	return &Stream{name: name, opts: opts, open: func() (io.Reader, func() error, error) {
		// Standard input is not ours to close; a read blocked on it
		// ends with the process.
		return r, func() error { return nil }, nil
	}}
}

// File reads scans from a file, to its end, or from a named pipe, for as
// long as the context lasts: the pipe is opened for writing too, so a
// writer that closes it and comes back is not an end.
func File(path string, opts Options) *Stream {
	return &Stream{name: "file:" + path, opts: opts, open: func() (io.Reader, func() error, error) {
		st, err := os.Stat(path)
		if err != nil {
			return nil, nil, err
		}
		flag := os.O_RDONLY
		if st.Mode()&os.ModeNamedPipe != 0 {
			flag = os.O_RDWR // never blocks to open, never reads an end
		}
		f, err := os.OpenFile(path, flag, 0)
		if err != nil {
			return nil, nil, err
		}
		return f, f.Close, nil
	}}
}

// Scans implements Source. A stream that cannot be opened or read
// reports Disconnected with the reason and ends.
func (s *Stream) Scans(ctx context.Context) <-chan Scan {
	out := make(chan Scan)
	go func() {
		defer close(out)
		r, closeIt, err := s.open()
		if err != nil {
			s.report(ctx, out, err)
			return
		}
		defer closeIt()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			<-ctx.Done()
			closeIt() // ends a read blocked on a pipe or file
		}()
		chunks := make(chan chunk)
		go readAll(ctx, r, chunks, s.opts)
		if err := frame(ctx, chunks, out, s.name, s.opts); err != nil && ctx.Err() == nil {
			s.report(ctx, out, err)
		}
	}()
	return out
}

func (s *Stream) report(ctx context.Context, out chan<- Scan, err error) {
	select {
	case out <- Scan{Kind: Disconnected, At: s.opts.now(), Source: s.name, Err: fmt.Errorf("reading %s: %w", s.name, err)}:
	case <-ctx.Done():
	}
}

// readAll sends what r reads as chunks until it ends (a clean end closes
// chunks; an error is the last chunk).
func readAll(ctx context.Context, r io.Reader, chunks chan<- chunk, opts Options) {
	defer close(chunks)
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			select {
			case chunks <- chunk{data: bytes.Clone(buf[:n]), at: opts.now()}:
			case <-ctx.Done():
				return
			}
		}
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			select {
			case chunks <- chunk{err: err, at: time.Now()}:
			case <-ctx.Done():
			}
			return
		}
	}
}
