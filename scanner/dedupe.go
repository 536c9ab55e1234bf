package scanner

import (
	"context"
	"errors"
	"time"
)

// Deduper tells a double read from a new scan: cheap scanners read one
// code twice, and a code held under a scanner in continuous mode is read
// every second. A payload seen within Window of its previous read is the
// same scan. The zero Window keeps every read.
type Deduper struct {
	Window time.Duration
	seen   map[string]time.Time
}

// Fresh reports whether s is a new scan, and remembers it. Reports that
// are not payloads (errors, connection changes) are always fresh.
func (d *Deduper) Fresh(s Scan) bool {
	if d.Window <= 0 || s.Kind != Read || s.Err != nil {
		return true
	}
	if d.seen == nil {
		d.seen = map[string]time.Time{}
	}
	// Forget what is out of the window, so the map holds at most the
	// reads of one window.
	for k, at := range d.seen {
		if s.At.Sub(at) > d.Window || at.After(s.At) {
			delete(d.seen, k)
		}
	}
	key := string(s.Payload)
	prev, ok := d.seen[key]
	// The window runs from the previous read, not the first: a code held
	// under the scanner stays one scan for as long as it is held.
	d.seen[key] = s.At
	return !ok || s.At.Sub(prev) > d.Window
}

// Dedupe passes on src's scans without the double reads.
func Dedupe(src Source, window time.Duration) Source {
	if window <= 0 {
		return src
	}
	return dedupe{src, window}
}

type dedupe struct {
	src    Source
	window time.Duration
}

func (d dedupe) Scans(ctx context.Context) <-chan Scan {
	in := d.src.Scans(ctx)
	out := make(chan Scan)
	go func() {
		defer close(out)
		dd := &Deduper{Window: d.window}
		reading := false // a Reading waits for its answer
		for s := range in {
			if !dd.Fresh(s) {
				if !reading {
					continue
				}
				s = Scan{Kind: Ignored, At: s.At, Source: s.Source, Err: ErrDoubleRead}
			}
			reading = s.Kind == Reading
			select {
			case out <- s:
			case <-ctx.Done():
				// Drain, so the source can see the end and stop.
				for range in {
				}
				return
			}
		}
	}()
	return out
}

// ErrDoubleRead is the Err of the Ignored report that answers a Reading
// when what was being read was a double read.
var ErrDoubleRead = errors.New("scanner: the same code again within the window: one scan")
