package trustsrc

import (
	"fmt"
	"io"

	"munjigi/internal/spool"
)

// spoolMemory is how much of a source is held in memory before the rest
// goes to a temporary file. A signed source must be read twice (its
// signature covers all of it, and nothing may be parsed before it is
// checked), so it is kept once, here: in memory for the lists seen in
// practice (a few MB), on disk for anything up to the cap, so memory stays
// bounded whatever the input. A variable so tests can use the file.
var spoolMemory = 16 << 20

// newSpool keeps a source of up to max bytes (hint: its size, when known)
// while its signature is checked.
func newSpool(max, hint int64) *spool.Spool {
	return &spool.Spool{Expect: hint, Memory: spoolMemory, Max: max, What: "the source",
		TooLarge: func(max int64) error { return fmt.Errorf("%w: over the %d-byte cap", ErrTooLarge, max) }}
}

// capped reads at most max bytes of r, refusing more with ErrTooLarge
// rather than a quiet end that a parser would take for a truncated source.
func capped(r io.Reader, max int64) io.Reader {
	return &spool.CapReader{R: r, Max: max, Over: func() error { return fmt.Errorf("%w: over the %d-byte cap", ErrTooLarge, max) }}
}
