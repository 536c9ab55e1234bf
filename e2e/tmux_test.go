package e2e

// The kiosk end to end: the real binary in a real terminal (tmux), its
// screen read back with capture-pane, its scanner a pseudo-terminal or
// tmux's own keys (a keyboard scanner types into the terminal).

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// terminal is a tmux session running one command.
type terminal struct {
	t      *testing.T
	socket string
}

func newTerminal(t *testing.T, w, h int, env []string, args ...string) *terminal {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed, and CI must run the end-to-end tests (.ci/run installs it)")
		}
		t.Skip("tmux is not installed: the end-to-end screen tests need it (apt-get install tmux)")
	}
	term := &terminal{t: t, socket: fmt.Sprintf("munjigi-test-%d-%d", os.Getpid(), time.Now().UnixNano())}
	cmd := append([]string{"env"}, env...)
	cmd = append(cmd, binPath)
	cmd = append(cmd, args...)
	// The pane stays after the command ends, so the test can see how it
	// ended.
	tmuxArgs := []string{"-L", term.socket, "-f", "/dev/null", "new-session", "-d", "-s", "k", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), strings.Join(quote(cmd), " ") + "; echo EXITED $?; sleep 60"}
	if out, err := exec.Command("tmux", tmuxArgs...).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-L", term.socket, "kill-server").Run() })
	return term
}

func quote(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return out
}

func (term *terminal) screen() string {
	out, err := exec.Command("tmux", "-L", term.socket, "capture-pane", "-p", "-t", "k").Output()
	if err != nil {
		term.t.Fatalf("capture-pane: %v", err)
	}
	return string(out)
}

// waitFor waits until the screen shows every text.
func (term *terminal) waitFor(texts ...string) string {
	term.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := term.screen()
		all := true
		for _, t := range texts {
			all = all && strings.Contains(s, t)
		}
		if all {
			return s
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the screen never showed %q:\n%s", texts, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keys types into the terminal: literally, or tmux key names with named.
func (term *terminal) keys(literal string) {
	term.t.Helper()
	if out, err := exec.Command("tmux", "-L", term.socket, "send-keys", "-t", "k", "-l", literal).CombinedOutput(); err != nil {
		term.t.Fatalf("send-keys: %v: %s", err, out)
	}
}

// staff presses one key, as a person does: alone, the keyboard quiet
// before and after it for longer than kiosk.wedge_quiet (150 ms), so the
// kiosk takes it for a person's and not part of a scanner's burst.
func (term *terminal) staff(key string) {
	term.t.Helper()
	time.Sleep(400 * time.Millisecond)
	if len(key) == 1 {
		term.keys(key)
	} else {
		term.named(key)
	}
	time.Sleep(400 * time.Millisecond)
}

func (term *terminal) named(keys ...string) {
	term.t.Helper()
	args := append([]string{"-L", term.socket, "send-keys", "-t", "k"}, keys...)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		term.t.Fatalf("send-keys: %v: %s", err, out)
	}
}

// TestKioskSerialInTmux: the kiosk reads a serial scanner (a pty) and
// shows each verdict; staff keys work beside it; quitting asks first and
// leaves the terminal as it was.
func TestKioskSerialInTmux(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "serial", "by-id", "usb-Scanner-if00")
	scn := plugScanner(t, link)
	term := newTerminal(t, 80, 24, nil, "run", "--demo", "--lang", "en", "--port", link, "--db", filepath.Join(dir, "munjigi.db"))
	term.waitFor("Scan your pass", "Scanner connected")
	all := samples(t)
	scn.send(sample(t, all, validLabel).Payload + "\r\n")
	term.waitFor("PASS", "born 1985", "Today 1 passed")
	scn.send(sample(t, all, "expired certificate").Payload + "\r\n")
	term.waitFor("NO ENTRY", "the pass has expired")
	scn.send(sample(t, all, "first dose only").Payload + "\r\n")
	term.waitFor("CHECK BY HAND", "How did you check?", "1  vaccination sticker on ID", "7  dining alone")
	term.staff("1")
	term.waitFor("PASS", "vaccination sticker on ID", "Today 2 passed")
	term.staff("s")
	term.waitFor("visitors by hour", "how they were checked: QR 2 · sticker 1") // the sticker settled the third visitor: three visitors
	scn.unplug()
	term.waitFor("SCANNER UNPLUGGED")
	term.staff("q")
	term.waitFor("Quit? y yes")
	term.staff("y")
	term.waitFor("EXITED 0")

	export := munjigi(t, nil, "export", "--db", filepath.Join(dir, "munjigi.db"), "--format", "jsonl")
	if n := strings.Count(string(export.stdout), "\n"); n != 4 {
		t.Errorf("%d entries recorded, want 4:\n%s", n, export.stdout)
	}
}

// TestKioskKeyboardInTmux: a keyboard scanner types into the kiosk's
// terminal; its codes are scans even when they hold staff keys, and the
// screen is in Korean by default.
func TestKioskKeyboardInTmux(t *testing.T) {
	dir := t.TempDir()
	term := newTerminal(t, 80, 24, nil, "run", "--demo", "--db", filepath.Join(dir, "munjigi.db"))
	term.waitFor("QR 코드를 스캐너에 대 주세요", "키보드 스캐너")
	all := samples(t)
	// tmux types the whole code at once, as a scanner does, then Enter.
	term.keys(sample(t, all, "SMART Health Card, booster").Payload)
	term.named("Enter")
	term.waitFor("통과", "Ana L***", "오늘 통과 1")
	term.staff("?")
	term.waitFor("키 안내", "직접 확인: 휴대전화가 없는 방문자")
	term.staff("Escape")
	term.waitFor("QR 코드를 스캐너에 대 주세요")
	term.staff("e")
	term.waitFor("Scan your pass")

	// SIGTERM (systemd stopping it): a clean exit, the terminal restored.
	pane, err := exec.Command("tmux", "-L", term.socket, "display", "-p", "-t", "k", "#{pane_pid}").Output()
	if err != nil {
		t.Fatal(err)
	}
	kid, err := exec.Command("pgrep", "-P", strings.TrimSpace(string(pane))).Output()
	if err != nil {
		t.Fatalf("the kiosk's process: %v", err)
	}
	if err := exec.Command("kill", "-TERM", strings.TrimSpace(string(kid))).Run(); err != nil {
		t.Fatal(err)
	}
	if s := term.waitFor("EXITED 0"); strings.Contains(s, "Scan your pass") {
		t.Errorf("the screen was left behind:\n%s", s)
	}
}

// TestDemoInTmux is README's first command: the whole kiosk, with a lunch
// rush, no hardware, no config, no network; q quits and the temporary
// database goes with it.
func TestDemoInTmux(t *testing.T) {
	tmp := t.TempDir()
	term := newTerminal(t, 80, 24, []string{"TMPDIR=" + tmp}, "demo", "--lang", "en")
	term.waitFor("munjigi demo diner", "Scan your pass")
	term.waitFor("PASS", "Today 1 passed")    // the rush's first visitor
	term.waitFor("NO ENTRY", "· 1 refused ·") // the expired pass, some seconds on
	term.staff("q")
	term.waitFor("EXITED 0")
	if left, _ := filepath.Glob(filepath.Join(tmp, "munjigi-demo-*")); len(left) > 0 {
		t.Errorf("the demo left %v behind", left)
	}
}
