//go:build linux

package scanner_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"munjigi/demo"
	"munjigi/scanner"
)

// kbd is a Keyboard reading the slave side of a real pty in raw mode, as
// the kiosk reads its terminal; the test types into the master side.
type kbd struct {
	master, slave *os.File
	k             *scanner.Keyboard
	scans         <-chan scanner.Scan
	cancel        context.CancelFunc
}

func openKeyboard(t testing.TB, o scanner.KeyOptions) *kbd {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	restore, err := scanner.MakeRaw(slave)
	if err != nil {
		t.Fatal(err)
	}
	k, err := scanner.NewKeyboard(slave, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	kb := &kbd{master: master, slave: slave, k: k, scans: k.Scans(ctx), cancel: cancel}
	t.Cleanup(func() {
		cancel()
		for range kb.scans {
		}
		k.Close()
		restore()
		slave.Close()
		master.Close()
	})
	return kb
}

// noGoroutine fails if a goroutine running fn is still there once the
// ones that are ending have had a moment.
func noGoroutine(t testing.TB, fn string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for range 100 {
		n := runtime.Stack(buf, true)
		if !bytes.Contains(buf[:n], []byte(fn)) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("a goroutine in %s was left behind", fn)
}

// typeAt types s into the pty a byte at a time, each gap each ± jitter
// (a fraction), as a keyboard-wedge scanner does. It returns the longest
// gap there was between two writes, and the longest of the first two: on
// a loaded machine the typist itself can be held back.
func (kb *kbd) typeAt(t testing.TB, s string, each time.Duration, jitter float64) (slowest, slowestFirst time.Duration) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var last time.Time
	for i := 0; i < len(s); i++ {
		if _, err := kb.master.Write([]byte{s[i]}); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if i > 0 {
			slowest = max(slowest, now.Sub(last))
			if i <= 2 {
				slowestFirst = slowest
			}
		}
		last = now
		if i < len(s)-1 {
			time.Sleep(time.Duration(float64(each) * (1 - jitter + 2*jitter*r.Float64())))
		}
	}
	return slowest, slowestFirst
}

// typeScan types text like a scanner and returns what the keyboard made of
// it. A scanner may pause inside a code for less than the quiet (the
// keyboard takes that), but not for longer, nor before its third key,
// where a pause makes the first keys look like a person's stray ones. When
// the machine held the typist back like that, the typing was not a
// scanner's: what came of it is settled and the text typed again, up to
// five times.
func (kb *kbd) typeScan(t testing.TB, text string, each time.Duration) scanner.Scan {
	t.Helper()
	for attempt := 1; attempt <= 5; attempt++ {
		slowest, first := kb.typeAt(t, text, each, 0.3)
		if slowest < scanner.DefaultKeyQuiet && first < scanner.DefaultKeyGap {
			return kb.read(t)
		}
		t.Logf("attempt %d: the machine held the typist back %v (%v in the first keys): typing again", attempt, slowest, first)
		for quiet := false; !quiet; {
			select {
			case <-kb.scans:
			case <-time.After(500 * time.Millisecond):
				quiet = true
			}
		}
		if slowest < scanner.DefaultKeyQuiet {
			kb.noKeys(t) // no key had quiet on both sides
		} else {
			// A key between two such pauses stood alone, as a person's
			// does: releasing it was right. It must not be counted
			// against the next attempt.
			kb.drainKeys()
		}
	}
	t.Skip("the machine is too loaded to type like a scanner: the typist was held back in 5 attempts")
	return scanner.Scan{}
}

// next is the keyboard's next report; wait only bounds a test that fails.
func (kb *kbd) next(t testing.TB, wait time.Duration) scanner.Scan {
	t.Helper()
	select {
	case s, ok := <-kb.scans:
		if !ok {
			t.Fatal("the keyboard stopped")
		}
		return s
	case <-time.After(wait):
		t.Fatalf("no report from the keyboard in %v", wait)
	}
	return scanner.Scan{}
}

// read is the next Read, after at most one Reading.
func (kb *kbd) read(t testing.TB) scanner.Scan {
	t.Helper()
	s := kb.next(t, 30*time.Second)
	if s.Kind == scanner.Reading {
		s = kb.next(t, 30*time.Second)
	}
	if s.Kind != scanner.Read {
		t.Fatalf("got %v (%v), want a read", s.Kind, s.Err)
	}
	return s
}

// silent checks that the keyboard reports nothing for d.
func (kb *kbd) silent(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case s := <-kb.scans:
		t.Errorf("an extra report: %v %q %v", s.Kind, s.Payload, s.Err)
	case <-time.After(d):
	}
}

// noKeys checks that no key was released to the screen.
func (kb *kbd) noKeys(t testing.TB) {
	t.Helper()
	keys := kb.k.Keys()
	keys.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	defer keys.SetReadDeadline(time.Time{})
	buf := make([]byte, 64)
	if n, err := keys.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("keys released to the screen: %q (%v)", buf[:n], err)
	}
}

// drainKeys throws away whatever keys were released.
func (kb *kbd) drainKeys() {
	keys := kb.k.Keys()
	defer keys.SetReadDeadline(time.Time{})
	buf := make([]byte, 256)
	for {
		keys.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := keys.Read(buf); err != nil {
			return
		}
	}
}

// key is the next key released to the screen.
func (kb *kbd) key(t testing.TB) string {
	t.Helper()
	keys := kb.k.Keys()
	keys.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer keys.SetReadDeadline(time.Time{})
	buf := make([]byte, 64)
	n, err := keys.Read(buf)
	if err != nil {
		t.Fatalf("no key released: %v", err)
	}
	return string(buf[:n])
}

var (
	passesOnce sync.Once
	passes     map[string]string
)

// pass is a fresh signed demo pass's QR text.
func pass(t testing.TB, label string) string {
	t.Helper()
	passesOnce.Do(func() {
		samples, err := demo.Passes(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		passes = map[string]string{}
		for _, s := range samples {
			passes[s.Label] = s.Payload
		}
	})
	p, ok := passes[label]
	if !ok {
		t.Fatalf("no demo pass %q", label)
	}
	return p
}

// TestKeyboardScanners: real demo passes typed into a pty at the speeds
// of real keyboard-wedge scanners, each gap jittered by ±30%, are one scan
// each with the exact payload, and release no key.
func TestKeyboardScanners(t *testing.T) {
	cases := []struct {
		label string
		each  time.Duration
	}{
		{"vaccinated, 2 of 2 doses", time.Millisecond},
		{"vaccinated, booster", 2 * time.Millisecond},
		{"negative PCR test", 6 * time.Millisecond},
		{"expired certificate", 12 * time.Millisecond},
		{"SMART Health Card, booster", 8 * time.Millisecond},
	}
	for _, c := range cases {
		qr := pass(t, c.label)
		t.Run(fmt.Sprintf("%s at %v", c.label, c.each), func(t *testing.T) {
			t.Parallel()
			kb := openKeyboard(t, scanner.KeyOptions{})
			s := kb.typeScan(t, qr+"\r", c.each)
			if s.Err != nil || string(s.Payload) != qr {
				t.Errorf("got %q (%v), want the pass of %d characters", s.Payload, s.Err, len(qr))
			}
			kb.silent(t, 400*time.Millisecond)
			kb.noKeys(t)
		})
	}
}

// TestKeyboardCommandQRs: QR codes whose text is a staff command, typed
// by a scanner, are scans, never keys.
func TestKeyboardCommandQRs(t *testing.T) {
	kb := openKeyboard(t, scanner.KeyOptions{})
	for _, qr := range []string{"m4", "m1", "qy"} {
		if s := kb.typeScan(t, qr+"\r", 4*time.Millisecond); s.Err != nil || string(s.Payload) != qr {
			t.Errorf("got %q (%v), want the scan %q", s.Payload, s.Err, qr)
		}
		time.Sleep(300 * time.Millisecond)
	}
	kb.silent(t, 300*time.Millisecond)
	kb.noKeys(t)
}

// TestKeyboardPerson: a person's keys, one at a time, reach the screen as
// the terminal sent them; nothing is reported as a scan.
func TestKeyboardPerson(t *testing.T) {
	kb := openKeyboard(t, scanner.KeyOptions{})
	for _, k := range []string{"m", "4", "\r", "\x1b", "\x1b[A", "한"} {
		kb.master.Write([]byte(k))
		if got := kb.key(t); got != k {
			t.Errorf("released %q, want %q", got, k)
		}
		time.Sleep(300 * time.Millisecond)
	}
	kb.silent(t, 100*time.Millisecond)
}

// TestKeyboardMisread: a burst that breaks off without Enter is a
// misread, and the next scan is whole.
func TestKeyboardMisread(t *testing.T) {
	kb := openKeyboard(t, scanner.KeyOptions{})
	qr := pass(t, "recovered")
	if s := kb.typeScan(t, qr[:100], 6*time.Millisecond); !errors.Is(s.Err, scanner.ErrIncomplete) {
		t.Errorf("got %q (%v), want a misread", s.Payload, s.Err)
	}
	if s := kb.typeScan(t, qr+"\r", 2*time.Millisecond); string(s.Payload) != qr {
		t.Errorf("got %q (%v), want the pass", s.Payload, s.Err)
	}
	kb.noKeys(t)
}

// TestKeyboardPaste: a bracketed paste is a scan, all at once.
func TestKeyboardPaste(t *testing.T) {
	kb := openKeyboard(t, scanner.KeyOptions{})
	qr := pass(t, "recovered")
	kb.master.Write([]byte("\x1b[200~" + qr + "\x1b[201~"))
	if s := kb.read(t); string(s.Payload) != qr {
		t.Errorf("got %q (%v), want the pass", s.Payload, s.Err)
	}
	kb.noKeys(t)
}

// TestKeyboardStops: the keyboard stops when its context ends, leaves no
// goroutine, and tells the screen's reader (end of file).
func TestKeyboardStops(t *testing.T) {
	kb := openKeyboard(t, scanner.KeyOptions{})
	kb.cancel()
	for range kb.scans {
	}
	// Not parallel: no other test's keyboard is running.
	noGoroutine(t, "scanner.(*Keyboard).run")
	buf := make([]byte, 8)
	kb.k.Keys().SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := kb.k.Keys().Read(buf); n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the keys read %q, %v: want end of file", buf[:n], err)
	}
}

// TestKeyboardHangup: a terminal that goes away is reported, with what
// was half typed settled first.
func TestKeyboardHangup(t *testing.T) {
	kb := openKeyboard(t, scanner.KeyOptions{})
	kb.typeAt(t, "HC1:ABCDEFGHIJ", 2*time.Millisecond, 0)
	time.Sleep(30 * time.Millisecond) // read, whether or not it has fallen quiet yet
	kb.master.Close()
	var got []scanner.Scan
	for s := range kb.scans {
		got = append(got, s)
	}
	// Before them, a typist held back by a loaded machine may have made
	// the keys into pieces: the last piece is still open at the hangup.
	if n := len(got); n < 2 || !errors.Is(got[n-2].Err, scanner.ErrIncomplete) || got[n-1].Kind != scanner.Disconnected || got[n-1].Err == nil {
		var kinds []string
		for _, s := range got {
			kinds = append(kinds, fmt.Sprintf("%v(%v)", s.Kind, s.Err))
		}
		t.Errorf("reports %s; want them to end in a misread, then disconnected with a reason", strings.Join(kinds, " "))
	}
	noGoroutine(t, "scanner.(*Keyboard).run")
}

// BenchmarkKeyboardPTY: the CPU time the process spends per key while a
// scanner types a DCC into a pty at 2 ms a key, read by the Keyboard, and
// by a bare read loop that discards what it reads (the least any reader
// costs, writer included).
func BenchmarkKeyboardPTY(b *testing.B) {
	qr := pass(b, "vaccinated, 2 of 2 doses") + "\r"
	measure := func(b *testing.B, kb *kbd, wait func()) {
		var r0, r1 unix.Rusage
		unix.Getrusage(unix.RUSAGE_SELF, &r0)
		start := time.Now()
		for b.Loop() {
			kb.typeAt(b, qr, 2*time.Millisecond, 0.3)
			wait()
		}
		wall := time.Since(start)
		unix.Getrusage(unix.RUSAGE_SELF, &r1)
		cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
		keys := float64(b.N * len(qr))
		b.ReportMetric(float64(cpu.Nanoseconds())/keys, "cpu-ns/key")
		b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu-%")
	}
	b.Run("keyboard", func(b *testing.B) {
		kb := openKeyboard(b, scanner.KeyOptions{})
		measure(b, kb, func() {
			// Until the keyboard has judged the code (a misread when the
			// machine held the typist back).
			for s := kb.next(b, 30*time.Second); s.Kind != scanner.Read; s = kb.next(b, 30*time.Second) {
			}
		})
	})
	b.Run("baseline", func(b *testing.B) {
		master, slave, err := pty.Open()
		if err != nil {
			b.Skip(err)
		}
		defer master.Close()
		restore, err := scanner.MakeRaw(slave)
		if err != nil {
			b.Fatal(err)
		}
		defer restore()
		lines := make(chan struct{}, 1)
		go func() {
			buf := make([]byte, 4096)
			for {
				n, err := slave.Read(buf)
				if err != nil {
					return
				}
				if bytes.IndexByte(buf[:n], '\r') >= 0 {
					lines <- struct{}{}
				}
			}
		}()
		defer slave.Close()
		measure(b, &kbd{master: master}, func() { <-lines })
	})
}
