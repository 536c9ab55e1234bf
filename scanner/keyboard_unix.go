//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos

package scanner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"golang.org/x/sys/unix"
)

// Keyboard is the kiosk's keyboard, read as bytes before the screen sees
// them, so that a keyboard-wedge scanner and a person share it safely. A
// wedge scanner types a code as keys, a burst far faster than anyone
// types, ended by Enter; staff type commands on the same keyboard. Every
// read is timed as it arrives and judged by the classifier: a scanner's
// burst is a scan (whatever it types: "m4", "qy" and control keys
// included), and only a key that stands alone, with the keyboard quiet
// before and after it, is released to the screen through Keys.
//
// The scanner must end each code with Enter (CR or LF) and type with the
// kiosk's keyboard layout: a wedge cannot undo a layout that turned
// "HC1:" into something else.
//
// One goroutine waits on the input with poll(2) and the timeout of the
// next decision: there is no timer per key, and a key is never released
// while the next one is waiting in the kernel unread.
type Keyboard struct {
	in           *os.File
	opts         KeyOptions
	keysR, keysW *os.File // a person's keys, for the screen
	keysRaw      syscall.RawConn
	stopR, stopW *os.File // a byte here ends the reading goroutine

	start     sync.Once
	quit      chan struct{} // closed by Close
	done      chan struct{} // closed when the reading goroutine has ended
	closeOnce sync.Once
}

var _ Source = (*Keyboard)(nil)

// NewKeyboard reads keys from in: the kiosk's terminal, in raw mode (see
// MakeRaw), which the keyboard neither changes nor closes. Nothing is
// read until Scans is called.
func NewKeyboard(in *os.File, o KeyOptions) (*Keyboard, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	k := &Keyboard{in: in, opts: o, quit: make(chan struct{}), done: make(chan struct{})}
	var err error
	if k.keysR, k.keysW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("scanner: keyboard: %w", err)
	}
	if k.stopR, k.stopW, err = os.Pipe(); err != nil {
		k.keysR.Close()
		k.keysW.Close()
		return nil, fmt.Errorf("scanner: keyboard: %w", err)
	}
	if k.keysRaw, err = k.keysW.SyscallConn(); err != nil {
		k.Close()
		return nil, fmt.Errorf("scanner: keyboard: %w", err)
	}
	return k, nil
}

// Keys is the stream of a person's keys, for the screen
// (tea.WithInput(k.Keys())): each released key is one write of the bytes
// the terminal sent for it. It is a pipe, so a Bubble Tea program can
// cancel its read of it when it ends; it reads end of file once the
// keyboard has stopped.
func (k *Keyboard) Keys() *os.File { return k.keysR }

// Scans implements Source: Reading when a burst starts, then a Read (the
// scan, or a misread with Err) or Ignored; Disconnected when the terminal
// goes away, after which the channel is closed. It starts reading; call it
// once (a second call gets a closed channel). The reading stops when ctx
// is done or Close is called.
func (k *Keyboard) Scans(ctx context.Context) <-chan Scan {
	out := make(chan Scan, 8)
	started := false
	k.start.Do(func() {
		started = true
		go k.run(ctx, out)
	})
	if !started {
		close(out)
	}
	return out
}

// Close stops the reading, waits for it to end, and closes Keys: call it
// once the screen no longer reads Keys. It does not close the terminal.
func (k *Keyboard) Close() error {
	k.closeOnce.Do(func() {
		k.start.Do(func() { close(k.done) }) // never started
		close(k.quit)
		k.stop()
		<-k.done
		k.keysR.Close()
		k.keysW.Close()
		k.stopR.Close()
		k.stopW.Close()
	})
	return nil
}

// stop wakes the reading goroutine to end it.
func (k *Keyboard) stop() {
	k.stopW.Write([]byte{0}) // an error: it has ended already
}

// put hands a person's key to the screen without ever blocking: when the
// screen has not read 64 KiB of keys, it is not reading at all.
func (k *Keyboard) put(key []byte) {
	k.keysRaw.Write(func(fd uintptr) bool {
		unix.Write(int(fd), key) // a full pipe drops the key
		return true
	})
}

func (k *Keyboard) run(ctx context.Context, out chan<- Scan) {
	defer close(out)
	defer close(k.done)
	defer k.keysW.Close() // the screen reads the end of its keys
	unwatch := context.AfterFunc(ctx, k.stop)
	defer unwatch()

	var queue []Scan
	c := newClassifier(k.opts, func(s Scan) { queue = append(queue, s) }, k.put)
	fd := int(k.in.Fd())
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(k.stopR.Fd()), Events: unix.POLLIN}}
	buf := make([]byte, 4096)
	send := func() bool {
		for i, s := range queue {
			select {
			case out <- s:
			case <-ctx.Done():
				return false
			case <-k.quit:
				return false
			}
			queue[i] = Scan{}
		}
		queue = queue[:0]
		return true
	}
	for {
		if !send() {
			return
		}
		dl, due := c.deadline()
		timeout := -1
		if due {
			// Rounded up to the millisecond: poll never wakes early.
			timeout = max(0, int((dl.Sub(k.opts.Now())+time.Millisecond-1)/time.Millisecond))
		}
		fds[0].Revents, fds[1].Revents = 0, 0
		n, err := unix.Poll(fds, timeout)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			c.flush()
			send()
			k.report(ctx, out, fmt.Errorf("waiting for keys: %w", err))
			return
		case fds[1].Revents != 0:
			return // stopped
		case n == 0:
			// Nothing arrived until the deadline: what waited for quiet
			// is settled, as of the deadline.
			if due && !k.opts.Now().Before(dl) {
				c.advance(dl)
			}
			continue
		}
		m, err := unix.Read(fd, buf)
		if m > 0 {
			at := k.opts.Now()
			if due && !at.Before(dl) {
				// poll saw the bytes before the deadline; this goroutine
				// only got to them late. They came before it.
				at = dl.Add(-time.Nanosecond)
			}
			if k.opts.Raw != nil {
				k.opts.Raw(buf[:m], at)
			}
			c.read(buf[:m], at)
			continue
		}
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
			continue
		}
		// End of input (0 bytes), or an error: the terminal went away.
		c.flush()
		if !send() {
			return
		}
		if err == nil {
			err = errors.New("end of input")
		}
		k.report(ctx, out, fmt.Errorf("reading keys: %w", err))
		return
	}
}

func (k *Keyboard) report(ctx context.Context, out chan<- Scan, err error) {
	select {
	case out <- Scan{Kind: Disconnected, At: k.opts.Now(), Source: "keyboard", Err: err}:
	case <-ctx.Done():
	case <-k.quit:
	}
}

// MakeRaw puts the terminal f in raw mode, as Bubble Tea would for its own
// input: bytes arrive as typed, Enter as CR, and ^C, ^Z and ^\ as bytes,
// not signals (a scanner may type them). Bubble Tea leaves a terminal it
// does not read alone, so the kiosk must do this before reading the
// keyboard through a Keyboard, and call restore before it exits.
func MakeRaw(f *os.File) (restore func() error, err error) {
	st, err := term.MakeRaw(f.Fd())
	if err != nil {
		return nil, fmt.Errorf("scanner: raw mode for %s: %w", f.Name(), err)
	}
	return func() error {
		if err := term.Restore(f.Fd(), st); err != nil {
			return fmt.Errorf("scanner: restoring %s: %w", f.Name(), err)
		}
		return nil
	}, nil
}
