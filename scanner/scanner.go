// Package scanner turns what barcode scanners send into scans: one payload
// per read, with the time it arrived and where it came from. A scanner is a
// byte stream with a terminator after each code (a serial port, a pipe,
// standard input) or a burst of key presses (a keyboard wedge). Cheap ones
// add noise, double reads, unbounded lines and unplugging, and none of that
// may stop the door: every source reports what went wrong as a value and
// keeps reading.
package scanner

import (
	"context"
	"errors"
	"time"
)

// MaxLine is the longest scan kept. The largest QR holds about 4,300
// characters; a line longer than this is not a pass, and is dropped with
// an error while the next scan reads as usual.
const MaxLine = 8 << 10

// Kind says what a Scan reports.
type Kind int

const (
	// Read is a read from the scanner: Payload, or Err when the bytes
	// were not a usable scan (too long, cut off).
	Read Kind = iota
	// Connected says the scanner is (back) online; Source names it.
	Connected
	// Disconnected says the scanner went away or cannot be opened; Err
	// says why. The source keeps trying.
	Disconnected
	// Reading says a burst has started (a keyboard scanner types a pass
	// for up to a second or more): the screen says "reading…" so the
	// visitor holds the phone still. The scan or a misread follows.
	Reading
)

func (k Kind) String() string {
	switch k {
	case Read:
		return "read"
	case Connected:
		return "connected"
	case Disconnected:
		return "disconnected"
	case Reading:
		return "reading"
	}
	return "unknown"
}

// Scan is one thing a source reports: usually a read.
type Scan struct {
	Kind    Kind
	Payload []byte
	At      time.Time // when its last byte arrived
	Source  string    // "stdin", "serial:/dev/ttyACM0", ...
	// Err is set for a read that is not a scan, and says why a scanner
	// is disconnected: the door shows it and goes on.
	Err error
}

// Source is where scans come from. Scans starts reading and returns the
// channel the scans arrive on; the channel is closed when ctx is done or
// the source has ended (a file read to its end).
type Source interface {
	Scans(ctx context.Context) <-chan Scan
}

var (
	// ErrTooLong is the Err of a read longer than the line cap.
	ErrTooLong = errors.New("a read longer than 8 KiB was dropped: not a pass")
	// ErrIncomplete is the Err of a read that stopped half way: some
	// bytes, then silence, and no end.
	ErrIncomplete = errors.New("a read stopped half way and was dropped: scan again")
)

// Options are what every byte-stream source shares.
type Options struct {
	// End is what ends a scan: Line (CR, LF or CRLF), NUL, or Gap (no
	// terminator: silence ends it).
	End Terminator
	// Gap is the silence that ends a scan when End is Gap, and after which
	// a half-read line is dropped otherwise. 0 means 200 ms.
	Gap time.Duration
	// Max is the line cap; 0 means MaxLine.
	Max int
	// Now stamps the scans; nil means time.Now.
	Now func() time.Time
	// Raw, when set, sees every read as it arrives, before framing: for
	// 'munjigi scanner test'. It must not keep data.
	Raw func(data []byte, at time.Time)
}

func (o Options) gap() time.Duration {
	if o.Gap <= 0 {
		return 200 * time.Millisecond
	}
	return o.Gap
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}
