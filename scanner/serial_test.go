package scanner

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// device is a pseudo-terminal standing in for a serial scanner: the test
// writes to the master what the scanner would send, and the source opens
// the slave through a /dev/serial/by-id-style symlink, as on a real kiosk.
type device struct {
	t      testing.TB
	master *os.File
	link   string
}

// plug creates a pty and points link at its slave.
func plug(t testing.TB, link string) *device {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals on this machine (%v): the serial tests need one", err)
	}
	name := slave.Name()
	slave.Close() // the source opens it by name, as it would a real port
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Remove(link)
	if err := os.Symlink(name, link); err != nil {
		t.Fatal(err)
	}
	d := &device{t: t, master: master, link: link}
	t.Cleanup(func() { d.master.Close() })
	return d
}

// unplug takes the device away: its pty is closed and its name removed.
func (d *device) unplug() {
	d.master.Close()
	os.Remove(d.link)
}

func (d *device) send(s string) {
	d.t.Helper()
	if _, err := d.master.Write([]byte(s)); err != nil {
		d.t.Fatalf("writing to the scanner's pty: %v", err)
	}
}

// byID is where a test's scanner is named.
func byID(t testing.TB) (devDir, link string) {
	devDir = t.TempDir()
	return devDir, filepath.Join(devDir, "serial", "by-id", "usb-Cheap_Scanner_0001-if00")
}

// start runs a Serial source on the port until the test ends.
func start(t testing.TB, s *Serial) <-chan Scan {
	ctx, cancel := context.WithCancel(context.Background())
	ch := s.Scans(ctx)
	t.Cleanup(func() {
		cancel()
		for range ch {
		}
	})
	return ch
}

// next waits for the next report of the given kind, failing on others.
func next(t testing.TB, ch <-chan Scan, kind Kind, within time.Duration) Scan {
	t.Helper()
	select {
	case s, ok := <-ch:
		if !ok {
			t.Fatalf("the source ended, waiting for %v", kind)
		}
		if s.Kind != kind {
			t.Fatalf("got %v (%q, %v), want %v", s.Kind, s.Payload, s.Err, kind)
		}
		return s
	case <-time.After(within):
		t.Fatalf("no %v within %v", kind, within)
	}
	return Scan{}
}

func nextRead(t testing.TB, ch <-chan Scan) Scan {
	t.Helper()
	return next(t, ch, Read, 5*time.Second)
}

// payload is a pass-like code of about n bytes carrying i, so any loss,
// merge or repeat shows.
func payload(r *rand.Rand, i, n int) string {
	const b45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	var b strings.Builder
	fmt.Fprintf(&b, "HC1:%06d:", i)
	for b.Len() < n {
		b.WriteByte(b45[r.Intn(len(b45))])
	}
	return b.String()
}

// TestSerialRate is RELIABILITY row 14's rate: 100 scans a second for 10
// seconds over a pty, CR, LF and CRLF in turn; nothing lost, merged or
// repeated, in order.
func TestSerialRate(t *testing.T) {
	seconds := 10
	if testing.Short() {
		seconds = 2
	}
	_, link := byID(t)
	dev := plug(t, link)
	ch := start(t, &Serial{Port: link})
	next(t, ch, Connected, 5*time.Second)

	n := 100 * seconds
	r := rand.New(rand.NewSource(1))
	sent := make([]string, n)
	for i := range sent {
		sent[i] = payload(r, i, 200+r.Intn(400))
	}
	ends := []string{"\r", "\n", "\r\n"}
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i, p := range sent {
			<-tick.C
			if _, err := dev.master.Write([]byte(p + ends[i%3])); err != nil {
				return
			}
		}
	}()
	for i := range sent {
		s := nextRead(t, ch)
		if s.Err != nil {
			t.Fatalf("scan %d: %v", i, s.Err)
		}
		if string(s.Payload) != sent[i] {
			t.Fatalf("scan %d: got %.20q (%d bytes), want %.20q (%d bytes)", i, s.Payload, len(s.Payload), sent[i], len(sent[i]))
		}
	}
	select {
	case s := <-ch:
		t.Errorf("a scan more than was sent: %v %.20q", s.Kind, s.Payload)
	case <-time.After(300 * time.Millisecond):
	}
	t.Logf("%d scans in %d s, every one whole and in order", n, seconds)
}

// TestSerialFraming is RELIABILITY row 14 on the wire: a MiB without a
// newline, half a line then silence, control bytes, each terminator.
func TestSerialFraming(t *testing.T) {
	cases := []struct {
		name  string
		end   Terminator
		sends []string // with a silence after each
		want  []string // payloads, "err:too long" or "err:incomplete"
	}{
		{"a MiB without a newline, then a scan", Line, []string{strings.Repeat("A", 1<<20), "HC1:GOOD\r\n"}, []string{"err:too long", "HC1:GOOD"}},
		{"half a line then silence, then a scan", Line, []string{"HC1:HALF", "HC1:WHOLE\n"}, []string{"err:incomplete", "HC1:WHOLE"}},
		{"CR, LF and CRLF", Line, []string{"A1\rB2\nC3\r\n"}, []string{"A1", "B2", "C3"}},
		{"NUL ends scans; CR and LF are data", NUL, []string{"A1\x00B\r\n2\x00"}, []string{"A1", "B\r\n2"}},
		{"no suffix: silence ends the scan", Gap, []string{"HC1:ONE", "HC1:TWO"}, []string{"HC1:ONE", "HC1:TWO"}},
		{"control keys from the scanner are data", Line, []string{"]C1\x1d\x03\x1a\x1c\x1b[A\x1bOP\x7f\r\n"}, []string{"]C1\x1d\x03\x1a\x1c\x1b[A\x1bOP\x7f"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, link := byID(t)
			dev := plug(t, link)
			gap := 150 * time.Millisecond
			ch := start(t, &Serial{Port: link, Options: Options{End: c.end, Gap: gap}})
			next(t, ch, Connected, 5*time.Second)
			go func() {
				for _, s := range c.sends {
					dev.master.Write([]byte(s))
					time.Sleep(3 * gap)
				}
			}()
			for i, w := range c.want {
				s := nextRead(t, ch)
				got := string(s.Payload)
				switch {
				case errors.Is(s.Err, ErrTooLong):
					got = "err:too long"
				case errors.Is(s.Err, ErrIncomplete):
					got = "err:incomplete"
				case s.Err != nil:
					got = "err:" + s.Err.Error()
				}
				if got != w {
					t.Errorf("read %d: got %.40q, want %q", i, got, w)
				}
			}
		})
	}
}

// cpu is the process's CPU time so far.
func cpu(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestSerialUnplug is RELIABILITY row 15's unplug: the device goes, the
// source says so and waits without spinning; the device comes back under
// the same name and is read again within 5 s.
func TestSerialUnplug(t *testing.T) {
	_, link := byID(t)
	dev := plug(t, link)
	ch := start(t, &Serial{Port: link})
	next(t, ch, Connected, 5*time.Second)
	dev.send("HC1:BEFORE\r\n")
	if s := nextRead(t, ch); string(s.Payload) != "HC1:BEFORE" {
		t.Fatalf("got %q", s.Payload)
	}

	dev.send("HC1:HALF") // pulled out in the middle of a scan
	time.Sleep(20 * time.Millisecond)
	dev.unplug()
	var gone Scan
	for gone = <-ch; gone.Kind == Read; gone = <-ch {
		if !errors.Is(gone.Err, ErrIncomplete) {
			t.Fatalf("before the disconnect: %q %v", gone.Payload, gone.Err)
		}
	}
	if gone.Kind != Disconnected || !strings.Contains(gone.Err.Error(), "scanner disconnected") {
		t.Fatalf("got %v %v, want a disconnect", gone.Kind, gone.Err)
	}
	t.Logf("reported: %v", gone.Err)

	c0, w0 := cpu(t), time.Now()
	select {
	case s := <-ch:
		t.Fatalf("while unplugged: %v %q %v", s.Kind, s.Payload, s.Err)
	case <-time.After(3 * time.Second):
	}
	used, wall := cpu(t)-c0, time.Since(w0)
	t.Logf("unplugged for %v: %v of CPU", wall.Round(time.Millisecond), used)
	if used > wall/10 {
		t.Errorf("%v of CPU in %v while the scanner was away: it spins", used, wall)
	}

	back := time.Now()
	dev = plug(t, link)
	next(t, ch, Connected, 5*time.Second)
	t.Logf("read again %v after the scanner came back", time.Since(back).Round(time.Millisecond))
	dev.send("HC1:AFTER\r\n")
	if s := nextRead(t, ch); string(s.Payload) != "HC1:AFTER" {
		t.Fatalf("after the return: got %q %v", s.Payload, s.Err)
	}
}

// TestSerialReplaced: the name now points at another device (a scanner
// swapped for another, or re-enumerated) while the old one still exists.
func TestSerialReplaced(t *testing.T) {
	_, link := byID(t)
	plug(t, link)
	ch := start(t, &Serial{Port: link})
	next(t, ch, Connected, 5*time.Second)
	dev := plug(t, link) // the old pty stays open
	next(t, ch, Disconnected, 5*time.Second)
	next(t, ch, Connected, 5*time.Second)
	dev.send("HC1:NEW\r\n")
	if s := nextRead(t, ch); string(s.Payload) != "HC1:NEW" {
		t.Fatalf("got %q %v", s.Payload, s.Err)
	}
}

func TestSerialAuto(t *testing.T) {
	devDir, link := byID(t)
	if _, err := Auto(devDir); err == nil || !strings.Contains(err.Error(), "no serial scanner found") {
		t.Errorf("nothing plugged in: %v", err)
	}
	ch := start(t, &Serial{Port: "auto", DevDir: devDir})
	if s := next(t, ch, Disconnected, 5*time.Second); !strings.Contains(s.Err.Error(), "is it plugged in") {
		t.Errorf("nothing plugged in: %v", s.Err)
	}
	dev := plug(t, link)
	if s := next(t, ch, Connected, 5*time.Second); s.Source != "serial:"+link {
		t.Errorf("connected to %q, want %q", s.Source, link)
	}
	dev.send("HC1:AUTO\n")
	if s := nextRead(t, ch); string(s.Payload) != "HC1:AUTO" || s.Source != "serial:"+link {
		t.Fatalf("got %q from %q", s.Payload, s.Source)
	}
	// by-id wins over ttyACM*, which wins over ttyUSB*.
	for _, name := range []string{"ttyUSB0", "ttyACM1", "ttyACM0"} {
		os.WriteFile(filepath.Join(devDir, name), nil, 0o600)
	}
	if got, _ := Auto(devDir); got != link {
		t.Errorf("auto picked %s, want %s", got, link)
	}
	os.RemoveAll(filepath.Join(devDir, "serial"))
	if got, _ := Auto(devDir); got != filepath.Join(devDir, "ttyACM0") {
		t.Errorf("auto picked %s, want ttyACM0", got)
	}
}

func TestSerialStops(t *testing.T) {
	_, link := byID(t)
	plug(t, link)
	ctx, cancel := context.WithCancel(context.Background())
	ch := (&Serial{Port: link}).Scans(ctx)
	next(t, ch, Connected, 5*time.Second)
	cancel()
	stopped(t, ch)
}

// stopped checks that a source stops soon after its context ends.
func stopped(t *testing.T, ch <-chan Scan) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if ok {
			t.Error("a scan after the stop")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the source did not stop")
	}
}

func TestSerialCheck(t *testing.T) {
	for _, c := range []struct {
		s    Serial
		want string
	}{
		{Serial{}, ""},
		{Serial{Baud: 115200, Parity: "even", StopBits: 2, DataBits: 7}, ""},
		{Serial{Baud: 9601}, "baud 9601"},
		{Serial{Parity: "mark"}, "parity"},
		{Serial{StopBits: 3}, "stop bits"},
		{Serial{DataBits: 5}, "data bits"},
	} {
		err := c.s.Check()
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.s, err, c.want)
		}
	}
}

// BenchmarkSerialLatency is the time from the last byte of a scan written
// to the pty to the scan arriving on the channel.
func BenchmarkSerialLatency(b *testing.B) {
	_, link := byID(b)
	dev := plug(b, link)
	ch := start(b, &Serial{Port: link})
	next(b, ch, Connected, 5*time.Second)
	r := rand.New(rand.NewSource(1))
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		p := payload(r, i, 400) + "\r\n"
		dev.send(p)
		sent := time.Now()
		s := nextRead(b, ch)
		lat = append(lat, time.Since(sent))
		if len(s.Payload) != len(p)-2 {
			b.Fatalf("got %d bytes", len(s.Payload))
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
