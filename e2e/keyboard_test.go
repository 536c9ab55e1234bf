package e2e

// The kiosk at the door with the cheapest scanner there is, a USB keyboard
// wedge: the real binary on a pty, passes typed into it a key at a time at
// the speeds real scanners type (issue 13).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"munjigi/demo"
)

// kioskTyping is a kiosk on a pty whose keyboard the test types into.
type kioskTyping struct {
	cmd  *exec.Cmd
	tty  *os.File
	db   string
	done chan struct{} // the screen's output has ended
}

func startKioskTyping(tb testing.TB) *kioskTyping {
	tb.Helper()
	db := filepath.Join(tb.TempDir(), "munjigi.db")
	cmd, f := kioskOnPty(tb, "run", "--demo", "--lang", "en", "--db", db, "--venue", "restaurant")
	k := &kioskTyping{cmd: cmd, tty: f, db: db, done: make(chan struct{})}
	r := bufio.NewReader(f)
	waitScreen(tb, r, f, "Scan your pass")
	// The screen keeps drawing: read it all, answering the terminal's
	// questions, so the kiosk never waits on its output.
	go func() {
		defer close(k.done)
		buf := make([]byte, 8192)
		for {
			n, err := r.Read(buf)
			if bytes.Contains(buf[:n], []byte("\x1b[6n")) {
				f.Write([]byte("\x1b[1;1R"))
			}
			if err != nil {
				return
			}
		}
	}()
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); f.Close() })
	return k
}

// typeAt types s a byte at a time, each gap each ± 30%, as a keyboard-wedge
// scanner does; it returns the longest gap the typist itself managed.
func (k *kioskTyping) typeAt(tb testing.TB, s string, each time.Duration) time.Duration {
	tb.Helper()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	var last time.Time
	var slowest time.Duration
	for i := 0; i < len(s); i++ {
		if _, err := k.tty.Write([]byte{s[i]}); err != nil {
			tb.Fatal(err)
		}
		now := time.Now()
		if i > 0 {
			slowest = max(slowest, now.Sub(last))
		}
		last = now
		time.Sleep(time.Duration(float64(each) * (0.7 + 0.6*r.Float64())))
	}
	return slowest
}

// key is a person's key: alone, the keyboard quiet before and after.
func (k *kioskTyping) key(s string) {
	time.Sleep(400 * time.Millisecond)
	k.tty.Write([]byte(s))
	time.Sleep(400 * time.Millisecond)
}

// cpu is the process's CPU time so far (user and system).
func cpu(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// The fields after the command's name, which is in parentheses.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

// entries is the kiosk's log, read after it stopped.
func entries(tb testing.TB, db string) []map[string]any {
	tb.Helper()
	o := munjigi(tb.(*testing.T), nil, "export", "--db", db, "--format", "jsonl")
	if o.code != 0 {
		tb.Fatalf("export: %s", o.stderr)
	}
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(o.stdout), []byte("\n")) {
		var e map[string]any
		if err := json.Unmarshal(l, &e); err != nil {
			tb.Fatalf("%q: %v", l, err)
		}
		out = append(out, e)
	}
	return out
}

// TestKioskKeyboardScanner: real demo passes typed at 1, 2, 6 and 12 ms a
// key and a SMART Health Card at 8 ms (gaps jittered ±30%) are one entry
// each, method qr; QR texts that read "m4", "m1" and "qy" typed at 4 ms a
// key are scans, not a manual check nor a quit: the kiosk runs on until a
// person presses q and then y.
func TestKioskKeyboardScanner(t *testing.T) {
	t.Parallel()
	all := samples(t)
	typed := []struct {
		text string
		each time.Duration
	}{
		{sample(t, all, "vaccinated, 2 of 2 doses").Payload, time.Millisecond},
		{sample(t, all, "vaccinated, booster").Payload, 2 * time.Millisecond},
		{sample(t, all, "negative PCR test").Payload, 6 * time.Millisecond},
		{sample(t, all, "expired certificate").Payload, 12 * time.Millisecond},
		{sample(t, all, "SMART Health Card, booster").Payload, 8 * time.Millisecond},
		{"m4", 4 * time.Millisecond},
		{"m1", 4 * time.Millisecond},
		{"qy", 4 * time.Millisecond},
	}
	// On a loaded machine the test's typist can be held back for longer
	// than a person's pause: that typing is no scanner's, and what the
	// kiosk made of it is no evidence either way. Such a run is thrown
	// away with its kiosk and typed again on a fresh one.
	var k *kioskTyping
	for attempt := 1; ; attempt++ {
		k = startKioskTyping(t)
		stalled := time.Duration(0)
		for _, s := range typed {
			stalled = max(stalled, k.typeAt(t, s.text+"\r", s.each))
			time.Sleep(500 * time.Millisecond) // the next visitor
		}
		if stalled < 150*time.Millisecond {
			break
		}
		t.Logf("attempt %d: the machine held the typist back %v inside a code: typing again on a fresh kiosk", attempt, stalled)
		k.cmd.Process.Kill()
		if attempt == 3 {
			t.Skip("the machine is too loaded to type like a scanner: the typist was held back in 3 attempts")
		}
	}
	select {
	case <-k.done:
		t.Fatal("the kiosk stopped: a QR code typed a command")
	case <-time.After(time.Second):
	}
	k.key("q")
	k.key("y")
	select {
	case <-k.done:
	case <-time.After(30 * time.Second):
		t.Fatal("q then y did not quit")
	}
	k.cmd.Wait()

	var qr, manualChecks, other int
	var reasons []string
	for _, e := range entries(t, k.db) {
		switch m := e["method"]; m {
		case "qr":
			qr++
			reasons = append(reasons, fmt.Sprint(e["reason"]))
		case "unresolved", "gap":
			// A scan arriving while a verdict waited for staff: the
			// verdict is recorded as left unsettled.
		case "manual-sticker", "manual-sms", "manual-paper", "exemption", "override":
			manualChecks++
		default:
			other++
		}
	}
	want := []string{"ok", "ok", "ok", "expired", "ok", "unknown-format", "unknown-format", "unknown-format"}
	if qr != len(typed) || manualChecks != 0 || other != 0 || strings.Join(reasons, " ") != strings.Join(want, " ") {
		t.Errorf("%d qr entries (%v), %d manual checks, %d others; want %d qr entries %v and no manual check",
			qr, reasons, manualChecks, other, len(typed), want)
	}
}

// BenchmarkKioskKeyboardCPU is the kiosk's CPU time while a keyboard
// scanner types a DCC at 2 ms a key, per key and as a share of the typing
// time. Goal: under 10%.
func BenchmarkKioskKeyboardCPU(b *testing.B) {
	all, err := demo.Passes(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	text := all[0].Payload + "\r"
	k := startKioskTyping(b)
	var used, typing time.Duration
	keys := 0
	for b.Loop() {
		before := cpu(b, k.cmd.Process.Pid)
		t0 := time.Now()
		k.typeAt(b, text, 2*time.Millisecond)
		typing += time.Since(t0)
		time.Sleep(300 * time.Millisecond) // the scan is decided and drawn
		used += cpu(b, k.cmd.Process.Pid) - before
		keys += len(text)
		k.key("\x1b") // back to the scan screen
	}
	b.ReportMetric(float64(used.Microseconds())/float64(keys), "cpu-µs/key")
	b.ReportMetric(100*used.Seconds()/typing.Seconds(), "cpu-%-of-typing")
	k.cmd.Process.Signal(syscall.SIGTERM)
	io.Copy(io.Discard, k.tty)
}
