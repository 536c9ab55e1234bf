package scanner

import (
	"bytes"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Keyboard timing defaults. A USB keyboard-wedge scanner types a key every
// 1 to 15 ms; a person's keys are 60 ms apart at the fastest, and a held
// key repeats every 30 to 40 ms after a 250 to 500 ms delay. The gap sits
// well above the slow scanners, with room for a loaded machine that reads
// a key some milliseconds late; the quiet sits above the gap so that no
// setting can let a key of a scanner's burst through as a person's.
const (
	// DefaultKeyGap is the longest pause between two keys of a burst.
	DefaultKeyGap = 50 * time.Millisecond
	// DefaultKeyQuiet is the least silence before and after a key for it
	// to be a person's, when 3 × the gap is less.
	DefaultKeyQuiet = 150 * time.Millisecond
	// DefaultKeyMinLen is the fewest keys of a burst, cut off without
	// Enter, that count as a failed scan rather than a person's fumble.
	DefaultKeyMinLen = 8
)

const (
	// burstKeys keys closer than the gap, not one key repeated, are a
	// scanner's: a person rolls two keys over, hardly ever three.
	burstKeys = 3
	// maxKey is the longest byte sequence taken as one key: an escape
	// sequence, or a terminal's reply to a query.
	maxKey = 128
	// pasteWait is the silence after which a paste that never ended is
	// dropped. A terminal sends a paste at once.
	pasteWait = time.Second
)

var (
	// ErrKeysTooClose is the Err of an Ignored report: keys came too close
	// together to be commands and were not a scan.
	ErrKeysTooClose = errors.New("scanner: keys too close together to be commands: press one key at a time")
	// ErrTooSlow is the Err of an Ignored report for many keys ended by
	// Enter that came slower than a scanner's burst and faster than a
	// person's keys: a scanner slower than the gap, most likely.
	ErrTooSlow    = errors.New("scanner: keys too slow for a scanner's burst and too fast for commands")
	errEmptyPaste = errors.New("scanner: an empty paste")
)

// KeyOptions tune a Keyboard. The zero value is the defaults, which take
// any scanner that types a key at least every 35 ms (jitter included).
type KeyOptions struct {
	// Gap is the longest pause between two keys of a scanner's burst; 0
	// means DefaultKeyGap. A scanner slower than that needs a longer gap:
	// about 1.5 times its slowest pause (ErrTooSlow says how long it was).
	Gap time.Duration
	// Quiet is the silence a person's key needs before and after it to be
	// taken as a command; 0 means the larger of DefaultKeyQuiet and 3 × Gap.
	Quiet time.Duration
	// MinLen is the fewest keys of a burst that broke off without Enter
	// that are reported as a misread ("scan again"); fewer are Ignored.
	// 0 means DefaultKeyMinLen.
	MinLen int
	// Max is the scan cap; 0 means MaxLine.
	Max int
	// Now stamps each read; nil means time.Now. It must run at the speed
	// of real time: the keyboard waits on it.
	Now func() time.Time
	// Raw, when set, sees every read as it arrives, before it is judged:
	// for 'munjigi scanner test'. It must not keep data.
	Raw func(data []byte, at time.Time)
}

// Check says what is wrong with the options, in words for a config file.
func (o KeyOptions) Check() error {
	if o.Gap != 0 && (o.Gap < 10*time.Millisecond || o.Gap > 250*time.Millisecond) {
		return fmt.Errorf("scanner: keyboard gap %v: 10ms to 250ms", o.Gap)
	}
	gap, _, _, _ := o.resolved()
	if o.Quiet != 0 {
		// Twice the gap at least: a scanner that pauses once inside a code
		// still cannot leave a key alone long enough to be released.
		least := max(2*gap, 100*time.Millisecond)
		if o.Quiet < least || o.Quiet > 2*time.Second {
			return fmt.Errorf("scanner: keyboard quiet %v: %v (twice the gap, 100ms at the least) to 2s", o.Quiet, least)
		}
	}
	if o.MinLen != 0 && (o.MinLen < 4 || o.MinLen > 64) {
		return fmt.Errorf("scanner: keyboard minimum length %d: 4 to 64", o.MinLen)
	}
	if o.Max != 0 && o.Max < 64 {
		return fmt.Errorf("scanner: keyboard scan cap %d: 64 bytes at the least", o.Max)
	}
	return nil
}

func (o KeyOptions) resolved() (gap, quiet time.Duration, minLen, maxLen int) {
	gap, quiet, minLen, maxLen = o.Gap, o.Quiet, o.MinLen, o.Max
	if gap <= 0 {
		gap = DefaultKeyGap
	}
	if quiet <= 0 {
		quiet = max(DefaultKeyQuiet, 3*gap)
	}
	if minLen <= 0 {
		minLen = DefaultKeyMinLen
	}
	if maxLen <= 0 {
		maxLen = MaxLine
	}
	return gap, quiet, minLen, maxLen
}

// classifier judges a keyboard's keys by when they arrived: a scanner's
// code, a person's key, or neither. It does no I/O and reads no clock:
// each read comes with its arrival time, and advance settles what has
// fallen quiet by a time. The work per key is constant (an append and a
// few comparisons); memory is bounded by Max.
//
// The unit is a segment: the keys since the last Enter or the last quiet
// (Quiet without a key). Inside it, runs are keys closer than Gap to each
// other. A segment of one key with quiet before and after is a person's
// key and is released; nothing else ever is. A segment ended by Enter is
// a scan when it is one run (whatever its length: a QR may hold "m4"), a
// long run after a person's stray keys (they are left out), or a long
// code with a scanner's run in it and pauses shorter than Quiet; else it
// is nothing (Ignored). One that falls quiet without Enter is a misread
// when it held a scanner's run, or nothing.
type classifier struct {
	gap, quiet time.Duration
	minLen     int
	max        int
	emit       func(Scan)       // reports, in order
	release    func(key []byte) // a person's key; key is only valid during the call

	last    time.Time // the latest key's arrival
	any     bool      // a key has arrived
	afterCR bool      // the latest key was a CR that ended a segment: an LF right after is its pair
	enter   byte      // a lone Enter waiting for quiet after it, or 0
	seg     segment

	pasting bool // inside a bracketed paste: every byte is data until its end
	pasteAt int  // bytes of the paste's end marker matched so far
}

// segment is the keys since the last Enter or quiet.
type segment struct {
	n       int       // keys, Enter not counted
	alone   bool      // the first key came after quiet
	first   []byte    // the first key, released if it stays alone
	start   time.Time // when the first key came
	buf     []byte    // what the keys typed, up to max
	over    bool      // passed max: dropped at the end, and no longer held
	maxGap  time.Duration
	slow    int  // pauses longer than the gap
	reading bool // Reading was sent

	tailOff int       // where the latest run starts in buf
	tailAt  int       // keys before the latest run
	run     int       // keys in the latest run
	runKey  []byte    // the latest run's first key
	runSame bool      // the run is one key repeated (a held key)
	runAt   time.Time // when the latest run began
	burst   bool      // an earlier run was a scanner's burst
}

func newClassifier(o KeyOptions, emit func(Scan), release func([]byte)) *classifier {
	c := &classifier{emit: emit, release: release}
	c.gap, c.quiet, c.minLen, c.max = o.resolved()
	return c
}

// pasteStart and pasteEnd bracket a paste (the terminal adds them once
// the screen has enabled bracketed paste, as Bubble Tea does).
var (
	pasteStart = []byte("\x1b[200~")
	pasteEnd   = []byte("\x1b[201~")
)

// read takes one read's bytes, all of which arrived by at.
func (c *classifier) read(data []byte, at time.Time) {
	c.advance(at)
	// Keys that piled up while the reader was away (a loaded machine)
	// came faster than it read them: they continue the run before them.
	// Their real gap is not known, and taking it as the time since the
	// last read would break a scanner's burst in two.
	lumped := len(data) > keyLen(data)
	for len(data) > 0 {
		if c.pasting {
			data = c.pasted(data, at)
			continue
		}
		n := keyLen(data)
		k := data[:n]
		data = data[n:]
		if bytes.Equal(k, pasteStart) {
			c.startPaste(at)
			continue
		}
		c.key(k, at, lumped)
		lumped = false
	}
}

// deadline is when advance must next be called, if anything waits.
func (c *classifier) deadline() (time.Time, bool) {
	switch {
	case c.pasting:
		return c.last.Add(max(pasteWait, c.quiet)), true
	case c.enter != 0 || c.seg.n > 0:
		return c.last.Add(c.quiet), true
	}
	return time.Time{}, false
}

// advance settles what has been quiet since before now: the caller knows
// that no key arrived until now.
func (c *classifier) advance(now time.Time) {
	if dl, ok := c.deadline(); ok && !now.Before(dl) {
		c.settle(true)
	}
}

// flush settles everything: the input has ended.
func (c *classifier) flush() { c.settle(true) }

// settle ends what is open. quiet says whether silence followed it (a
// key may be released) or something else did (a paste began).
func (c *classifier) settle(quiet bool) {
	switch {
	case c.pasting:
		c.pasting, c.pasteAt = false, 0
		c.conclude(Scan{Kind: Read, At: c.last, Err: fmt.Errorf("%w (a paste that never ended)", ErrIncomplete)})
	case c.enter != 0:
		b := c.enter
		c.enter = 0
		if quiet {
			c.release([]byte{b})
		} else {
			c.conclude(Scan{Kind: Ignored, At: c.last, Err: ErrKeysTooClose})
		}
	case c.seg.n > 0:
		s := &c.seg
		scannerRun := s.burst || (s.run >= burstKeys && !s.runSame)
		switch {
		case s.n == 1 && s.alone && quiet:
			c.release(s.first)
			c.seg.reset()
		case s.n >= c.minLen && scannerRun:
			c.conclude(Scan{Kind: Read, At: c.last, Err: c.cutOff()})
		default:
			c.conclude(Scan{Kind: Ignored, At: c.last, Err: ErrKeysTooClose})
		}
	}
}

func (c *classifier) cutOff() error {
	if c.seg.over {
		return fmt.Errorf("%w (typed by a keyboard scanner)", ErrTooLong)
	}
	return fmt.Errorf("%w (%d keys from a keyboard scanner, then no Enter)", ErrIncomplete, c.seg.n)
}

// conclude reports how the open segment or paste ended, and starts over.
func (c *classifier) conclude(s Scan) {
	s.Source = "keyboard"
	c.emit(s)
	c.seg.reset()
}

func (s *segment) reset() {
	*s = segment{buf: s.buf[:0], first: s.first[:0], runKey: s.runKey[:0]}
}

// gapTo is the pause from the latest key to at; a clock that went back
// counts as no pause, the side that releases nothing.
func (c *classifier) gapTo(at time.Time) (gap time.Duration, first bool) {
	if !c.any {
		return 0, true
	}
	g := at.Sub(c.last)
	if g < 0 {
		g = 0
	}
	return g, false
}

// key takes one key; lumped says more keys came in the same read.
func (c *classifier) key(k []byte, at time.Time, lumped bool) {
	g, first := c.gapTo(at)
	if lumped {
		g = min(g, c.gap)
	}
	afterCR := c.afterCR
	c.afterCR, c.any = false, true
	enter := len(k) == 1 && (k[0] == '\r' || k[0] == '\n')
	if enter && k[0] == '\n' && afterCR && g <= c.gap {
		c.last = at // CRLF: one Enter
		return
	}
	if c.enter != 0 {
		c.settle(false) // the lone Enter was not alone after all
	}
	if enter {
		c.endLine(k[0], at, g, first)
		return
	}
	s := &c.seg
	if s.n == 0 {
		s.alone = first || g >= c.quiet
		s.first = append(s.first[:0], k...)
		s.start = at
		s.startRun(k, at, 0, 0)
	} else {
		s.pause(g, c.gap)
		if g <= c.gap {
			s.run++
			if s.runSame && !bytes.Equal(k, s.runKey) {
				s.runSame = false
			}
			if s.run == 2 && !s.reading {
				s.reading = true
				c.emit(Scan{Kind: Reading, At: s.runAt, Source: "keyboard"})
			}
		} else {
			s.endRun()
			s.startRun(k, at, len(s.buf), s.n)
		}
	}
	if !s.over {
		if len(s.buf)+len(k) > c.max {
			s.over = true
			s.buf = s.buf[:0] // not held: it is dropped at its end
			s.tailOff = 0
		} else {
			s.buf = append(s.buf, k...)
		}
	}
	s.n++
	if s.n == c.minLen && !s.reading {
		// A scanner slower than the gap: say so while it types.
		s.reading = true
		c.emit(Scan{Kind: Reading, At: s.start, Source: "keyboard"})
	}
	c.last = at
}

func (s *segment) pause(g, gap time.Duration) {
	s.maxGap = max(s.maxGap, g)
	if g > gap {
		s.slow++
	}
}

func (s *segment) startRun(k []byte, at time.Time, off, keysBefore int) {
	s.run, s.runSame, s.runAt = 1, true, at
	s.runKey = append(s.runKey[:0], k...)
	s.tailOff, s.tailAt = off, keysBefore
}

func (s *segment) endRun() {
	if s.run >= burstKeys && !s.runSame {
		s.burst = true
	}
}

// endLine takes an Enter (CR or LF): the end of a scan, or a person's
// Enter when it stands alone.
func (c *classifier) endLine(b byte, at time.Time, g time.Duration, first bool) {
	s := &c.seg
	c.last = at
	c.afterCR = b == '\r'
	if s.n == 0 {
		if first || g >= c.quiet {
			c.enter = b // released if quiet follows
		}
		// Else an Enter just after a scan's (a double Enter): nothing.
		return
	}
	s.pause(g, c.gap)
	if g > c.gap {
		// The Enter came after a pause: the run before it is over, and
		// nothing typed follows the pause.
		s.endRun()
		s.tailOff, s.tailAt, s.run = len(s.buf), s.n, 0
		if s.over {
			s.tailOff = 0
		}
	}
	var payload []byte
	switch {
	case s.burst && s.n >= c.minLen:
		// A scanner that paused inside a code: all of it is the code.
		payload = s.buf
	case s.tailAt == 0 || s.run >= c.minLen:
		// One burst, whatever its length (a QR can hold "m4"), or a long
		// burst after a person's stray keys, which are not part of it.
		payload = s.buf[s.tailOff:]
	case s.n >= c.minLen && 2*s.slow >= s.n:
		// Most keys came slower than a burst, none in one: a scanner
		// slower than the gap, or a fast typist.
		c.conclude(Scan{Kind: Ignored, At: at, Err: c.tooSlow(at)})
		return
	default:
		c.conclude(Scan{Kind: Ignored, At: at, Err: ErrKeysTooClose})
		return
	}
	if s.over {
		c.conclude(Scan{Kind: Read, At: at, Err: fmt.Errorf("%w (typed by a keyboard scanner)", ErrTooLong)})
		return
	}
	c.conclude(Scan{Kind: Read, At: at, Payload: bytes.Clone(payload)})
}

// tooSlow says how slow the keys were and what gap would take them.
func (c *classifier) tooSlow(at time.Time) error {
	each := at.Sub(c.seg.start) / time.Duration(c.seg.n)
	want := (c.seg.maxGap*3/2 + 10*time.Millisecond - 1).Truncate(10 * time.Millisecond)
	return fmt.Errorf("%w: %d keys about %v apart, the slowest pause %v; a scanner this slow needs a gap of %v",
		ErrTooSlow, c.seg.n, each.Round(time.Millisecond), c.seg.maxGap.Round(time.Millisecond), want)
}

// startPaste begins a bracketed paste: a scan, however it is timed.
func (c *classifier) startPaste(at time.Time) {
	c.settle(false) // what came just before is not alone
	c.pasting, c.pasteAt, c.afterCR, c.any = true, 0, false, true
	c.last = at
	c.emit(Scan{Kind: Reading, At: at, Source: "keyboard"})
}

// pasted takes a paste's bytes up to its end marker and returns the rest.
// The marker may arrive split across reads.
func (c *classifier) pasted(data []byte, at time.Time) []byte {
	c.last = at
	for i, b := range data {
		if b == pasteEnd[c.pasteAt] {
			c.pasteAt++
			if c.pasteAt == len(pasteEnd) {
				c.endPaste(at)
				return data[i+1:]
			}
			continue
		}
		if c.pasteAt > 0 {
			// Not the marker after all: what matched of it is data. The
			// marker's first byte (ESC) occurs in it only there.
			c.pasteByte(pasteEnd[:c.pasteAt]...)
			c.pasteAt = 0
			if b == pasteEnd[0] {
				c.pasteAt = 1
				continue
			}
		}
		c.pasteByte(b)
	}
	return nil
}

func (c *classifier) pasteByte(b ...byte) {
	s := &c.seg
	if s.over {
		return
	}
	if len(s.buf)+len(b) > c.max {
		s.over, s.buf = true, s.buf[:0]
		return
	}
	s.buf = append(s.buf, b...)
}

func (c *classifier) endPaste(at time.Time) {
	c.pasting, c.pasteAt = false, 0
	s := &c.seg
	p := bytes.TrimSpace(s.buf)
	switch {
	case s.over:
		c.conclude(Scan{Kind: Read, At: at, Err: fmt.Errorf("%w (pasted)", ErrTooLong)})
	case len(p) == 0:
		c.conclude(Scan{Kind: Ignored, At: at, Err: errEmptyPaste})
	default:
		c.conclude(Scan{Kind: Read, At: at, Payload: bytes.Clone(p)})
	}
}

// keyLen is the length of the key at the start of b (len(b) > 0), as a
// terminal sends keys: an escape sequence (an arrow, a function key, a
// terminal's reply), Alt with a key, one UTF-8 character, or one control
// byte. A lone ESC at the end of a read is the Esc key.
func keyLen(b []byte) int {
	if b[0] != 0x1b {
		if b[0] < utf8.RuneSelf {
			return 1
		}
		_, n := utf8.DecodeRune(b)
		return n
	}
	if len(b) == 1 {
		return 1
	}
	limit := min(len(b), maxKey)
	switch b[1] {
	case '[':
		// CSI: parameter and intermediate bytes, then a final byte.
		for i := 2; i < limit; i++ {
			switch {
			case b[i] >= 0x40 && b[i] <= 0x7e:
				return i + 1
			case b[i] < 0x20 || b[i] > 0x3f:
				return i
			}
		}
		return limit
	case 'O':
		return min(len(b), 3)
	case ']', 'P', '_', '^', 'X':
		// A string (a terminal's reply): to BEL or ST (ESC \).
		for i := 2; i < limit; i++ {
			switch {
			case b[i] == 0x07:
				return i + 1
			case b[i] == 0x1b && i+1 < len(b) && b[i+1] == '\\':
				return i + 2
			case b[i] == 0x1b:
				return i
			}
		}
		return limit
	case 0x1b:
		return 1
	}
	_, n := utf8.DecodeRune(b[1:])
	return 1 + n
}
