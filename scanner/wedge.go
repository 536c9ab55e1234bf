package scanner

import (
	"fmt"
	"time"
)

// Wedge tells a keyboard-wedge scanner from a person at the keyboard. A
// wedge scanner types its code as key presses, far faster than anyone
// types, and ends it with Enter; staff use the same keyboard for commands.
// Every key is held for a moment: keys that come in a fast burst of at
// least MinLen characters are a scan, and never reach the screen as
// commands; anything else is released to the screen as a person's keys
// once a pause shows it is not a burst (or at the Enter that ends a short
// one). K is the screen's key event; the wedge only holds it.
//
// The scanner must send no prefix, Enter as its suffix, and use the US
// keyboard layout (the one the kiosk's keyboard is set to): a wedge cannot
// undo a layout that turned "HC1:" into something else.
type Wedge[K any] struct {
	// Gap is the longest pause between a scanner's keys; a person's,
	// even a held key's auto-repeat, are longer. 0 means 25 ms.
	Gap time.Duration
	// MinLen is the fewest characters a scan has; 0 means 8.
	MinLen int
	// Max is the line cap; 0 means MaxLine.
	Max int

	held     []K
	text     []rune
	last     time.Time
	dropping bool // the burst passed Max: it is dropped at its end
}

func (w *Wedge[K]) gap() time.Duration {
	if w.Gap <= 0 {
		return 25 * time.Millisecond
	}
	return w.Gap
}

func (w *Wedge[K]) minLen() int {
	if w.MinLen <= 0 {
		return 8
	}
	return w.MinLen
}

// Key takes one key event that arrived at at. text is what it types (one
// character, several when the terminal delivered them together, control
// characters included; "" for a key that types nothing, like an arrow);
// enter marks Enter. It returns the keys that are now known to be a
// person's, in order, and a scan when a burst has ended.
func (w *Wedge[K]) Key(k K, text string, enter bool, at time.Time) (release []K, scan *Scan) {
	if len(w.held) > 0 && at.Sub(w.last) > w.gap() {
		release, scan = w.settle()
	}
	if enter {
		if len(w.text) >= w.minLen() || w.dropping {
			return release, w.end(at)
		}
		release = append(release, w.held...)
		release = append(release, k)
		w.reset()
		return release, scan
	}
	w.held = append(w.held, k)
	w.last = at
	if text == "" {
		text = "\uFFFD" // part of a burst it spoils the code; alone it is a person's key
	}
	if !w.dropping {
		w.text = append(w.text, []rune(text)...)
		max := w.Max
		if max <= 0 {
			max = MaxLine
		}
		if len(w.text) > max {
			w.dropping = true
			w.text = w.text[:0]
		}
	}
	return release, scan
}

// Due says when Tick should next be called: a pause after the last held
// key. ok is false when nothing is held.
func (w *Wedge[K]) Due() (at time.Time, ok bool) {
	if len(w.held) == 0 {
		return time.Time{}, false
	}
	return w.last.Add(w.gap()), true
}

// Tick settles what is held once the keyboard has paused: a person's
// keys are released; a burst without Enter (a scanner with no suffix) is a
// scan.
func (w *Wedge[K]) Tick(at time.Time) (release []K, scan *Scan) {
	if len(w.held) == 0 || at.Sub(w.last) < w.gap() {
		return nil, nil
	}
	return w.settle()
}

func (w *Wedge[K]) settle() ([]K, *Scan) {
	if len(w.text) >= w.minLen() || w.dropping {
		return nil, w.end(w.last)
	}
	held := w.held
	w.reset()
	return held, nil
}

// end makes the held burst a scan.
func (w *Wedge[K]) end(at time.Time) *Scan {
	s := &Scan{At: at, Source: "keyboard"}
	if w.dropping {
		s.Err = fmt.Errorf("%w (typed by a keyboard scanner)", ErrTooLong)
	} else {
		s.Payload = []byte(string(w.text))
	}
	w.reset()
	return s
}

func (w *Wedge[K]) reset() {
	w.held, w.text, w.dropping = nil, w.text[:0], false
}
