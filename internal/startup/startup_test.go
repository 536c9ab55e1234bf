package startup

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/creack/pty"
)

// ours are the only escape sequences the screen may carry: the ones the
// message itself writes.
var ours = strings.NewReplacer("\x1b[H\x1b[2J", "", "\x1b[1;31m", "", "\x1b[0m", "", "\r\n", "\n")

// checkSafe fails on any control character, bidi override or invalid
// UTF-8 in text once our own sequences are taken out.
func checkSafe(t *testing.T, text string) {
	t.Helper()
	rest := ours.Replace(text)
	if !utf8.ValidString(rest) {
		t.Errorf("invalid UTF-8 reaches the terminal: %q", rest)
	}
	for _, r := range rest {
		if (unicode.IsControl(r) && r != '\n') || unicode.Is(unicode.Bidi_Control, r) {
			t.Errorf("%U reaches the terminal: %q", r, rest)
			return
		}
	}
}

var screenCases = []struct {
	name   string
	err    string
	hangul bool
	want   []string // on the screen, in order
}{
	{"a bad setting", "config /etc/munjigi/config.yaml: store.retention_days is 0; it must be 1 to 3650", false,
		[]string{"munjigi could not start", "store.retention_days is 0; it must be 1 to 3650", "sudo munjigi config check --config /etc/munjigi/config.yaml", "journalctl -u munjigi -b", "Trying again in 30 s."}},
	{"in Korean too where Hangul is drawn", "database /var/lib/munjigi/munjigi.db: permission denied", true,
		[]string{"munjigi could not start", "문지기를 시작하지 못했습니다", "permission denied", "설정 확인:", "자세한 기록:", "30초 후 다시 시도합니다."}},
	{"several lines", "two problems:\n  venue.type is empty\n  scanner.baud is 12", false,
		[]string{"two problems:", "  venue.type is empty", "  scanner.baud is 12", "Check the settings:"}},
	{"an escape sequence in a setting", "venue.name \"\x1b[2J\x1b]52;c;ZZCANARY\x07\" is too long", false,
		[]string{"venue.name", "is too long", "Check the settings:"}},
	{"C1 controls, bidi overrides and broken UTF-8", "bad \u009b31m \u202eevil\u202c \xff\xfe end", true,
		[]string{"bad", "evil", "end", "설정 확인:"}},
	{"a carriage return that would overwrite the line", "all is well\rNOT", false, []string{"all is well\uFFFDNOT"}},
	{"a flood of lines", strings.Repeat("line\n", 200), false, []string{"line", "…", "Check the settings:", "Trying again"}},
	{"one endless line", strings.Repeat("x", 100000), false, []string{strings.Repeat("x", maxLineRune) + "…", "Check the settings:"}},
}

func TestScreen(t *testing.T) {
	for _, c := range screenCases {
		t.Run(c.name, func(t *testing.T) {
			r := Report{Hangul: c.hangul, Config: "/etc/munjigi/config.yaml", Hold: DefaultHold}
			got := r.screen(clean(c.err))
			rest := got
			for _, w := range c.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("no %q (in order) on the screen:\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
			checkSafe(t, got)
			if strings.Contains(got, "문지기") != c.hangul {
				t.Errorf("Hangul %v on a screen that draws it: %v", !c.hangul, c.hangul)
			}
			// The hints stay on a 24-row console.
			if n := strings.Count(got, "\r\n"); n > 24 {
				t.Errorf("%d lines: the hints scroll off a 24-row console", n)
			}
			if !strings.HasPrefix(got, "\x1b[H\x1b[2J") {
				t.Errorf("the screen is not cleared first: %q", got[:10])
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	for _, c := range screenCases {
		f.Add(c.err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines := clean(text)
		if len(lines) == 0 || len(lines) > maxLines {
			t.Errorf("%d lines", len(lines))
		}
		for _, l := range lines {
			checkSafe(t, l)
			if strings.Contains(l, "\n") || utf8.RuneCountInString(l) > maxLineRune+1 {
				t.Errorf("line %q", l)
			}
		}
	})
}

// TestFailLog: standard error gets the error with the journal's priority
// prefix on every line when it is the journal, plain otherwise.
func TestFailLog(t *testing.T) {
	err := errors.New("config: two problems\nvenue.type is empty")
	for _, c := range []struct {
		journal bool
		want    string
	}{
		{true, "<3>munjigi: cannot start: config: two problems\n<3>  venue.type is empty\n"},
		{false, "munjigi: cannot start: config: two problems\n  venue.type is empty\n"},
	} {
		var log bytes.Buffer
		Report{Log: &log, LogIsJournal: c.journal}.Fail(context.Background(), err)
		if log.String() != c.want {
			t.Errorf("journal %v: got %q, want %q", c.journal, log.String(), c.want)
		}
	}
	// No error, nothing said.
	var log bytes.Buffer
	Report{Log: &log}.Fail(context.Background(), nil)
	if log.Len() > 0 {
		t.Errorf("a nil error was reported: %q", log.String())
	}
}

// TestHold: the message stays for Hold, on the injected clock, and a
// stop request (ctx) ends the wait at once.
func TestHold(t *testing.T) {
	asked := make(chan time.Duration, 1)
	fire := make(chan time.Time)
	var screen bytes.Buffer
	r := Report{Screen: &screen, Hold: 7 * time.Second, After: func(d time.Duration) <-chan time.Time {
		asked <- d
		return fire
	}}
	done := make(chan struct{})
	go func() { r.Fail(context.Background(), errors.New("boom")); close(done) }()
	if d := <-asked; d != 7*time.Second {
		t.Errorf("held for %v, want 7s", d)
	}
	fire <- time.Time{}
	<-done
	if !strings.Contains(screen.String(), "Trying again in 7 s.") {
		t.Errorf("the screen does not say when: %q", screen.String())
	}

	// Asked to stop: Fail returns though the clock never fires.
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan struct{})
	go func() { r.Fail(ctx, errors.New("boom")); close(done) }()
	<-asked
	cancel()
	<-done

	// No hold, no wait: the clock is never asked.
	r.Hold = 0
	r.Fail(context.Background(), errors.New("boom"))
	select {
	case d := <-asked:
		t.Errorf("waited %v with no hold", d)
	default:
	}
}

// socketPair is a connected pair of Unix stream sockets, as journald's
// stream for a unit's standard error is.
func socketPair(t *testing.T) (ours, theirs *os.File) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours, theirs = os.NewFile(uintptr(fds[0]), "journal"), os.NewFile(uintptr(fds[1]), "stderr")
	t.Cleanup(func() { ours.Close(); theirs.Close() })
	return ours, theirs
}

// journalStream is the JOURNAL_STREAM value systemd would set for f.
func journalStream(t *testing.T, f *os.File) string {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}

func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	return master, slave
}

// TestForProcess: who is told, for the ways munjigi is started.
func TestForProcess(t *testing.T) {
	_, tty := openPty(t)
	_, stream := socketPair(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	// journald's socket, where the kiosk finds it under systemd.
	journalSocket = filepath.Join(t.TempDir(), "socket")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: journalSocket, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	cases := []struct {
		name           string
		env            map[string]string
		stdout, stderr *os.File
		screen, hangul bool
		logIsJournal   bool
		journal        bool
	}{
		{name: "at a shell", env: map[string]string{"TERM": "xterm"}, stdout: tty, stderr: tty},
		{name: "the unit: tty1 and the journal", env: map[string]string{"INVOCATION_ID": "1", "JOURNAL_STREAM": journalStream(t, stream), "TERM": "linux"},
			stdout: tty, stderr: stream, screen: true, logIsJournal: true},
		{name: "under fbterm: its terminal on both", env: map[string]string{"INVOCATION_ID": "1", "JOURNAL_STREAM": journalStream(t, stream), "TERM": "fbterm"},
			stdout: tty, stderr: tty, screen: true, hangul: true, journal: true},
		{name: "a service with no terminal", env: map[string]string{"INVOCATION_ID": "1", "JOURNAL_STREAM": journalStream(t, stream)},
			stdout: pw, stderr: stream, logIsJournal: true},
		{name: "standard error redirected away from the journal", env: map[string]string{"INVOCATION_ID": "1", "JOURNAL_STREAM": journalStream(t, stream), "TERM": "linux"},
			stdout: tty, stderr: pw, screen: true, journal: true},
		{name: "a JOURNAL_STREAM that is nonsense", env: map[string]string{"JOURNAL_STREAM": "x"}, stdout: pw, stderr: stream},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []string{"INVOCATION_ID", "JOURNAL_STREAM", "TERM"} {
				t.Setenv(k, c.env[k])
			}
			r := ForProcess(c.stdout, c.stderr, "/etc/munjigi/config.yaml")
			if (r.Screen != nil) != c.screen || r.Hangul != c.hangul || r.LogIsJournal != c.logIsJournal || (r.Journal != nil) != c.journal {
				t.Errorf("screen %v hangul %v log is journal %v journal %v; want %v %v %v %v",
					r.Screen != nil, r.Hangul, r.LogIsJournal, r.Journal != nil, c.screen, c.hangul, c.logIsJournal, c.journal)
			}
			if c.screen != (r.Hold == DefaultHold) {
				t.Errorf("hold %v with a screen %v", r.Hold, c.screen)
			}
			if r.Log != io.Writer(c.stderr) {
				t.Error("the log is not standard error")
			}
		})
	}
}

// TestJournalEntry sends an entry to a real datagram socket, as the kiosk
// does to journald's, and reads it back in journald's native format.
func TestJournalEntry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "socket")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	Report{Journal: c}.Fail(context.Background(), errors.New("config: two problems\nvenue.type is empty"))
	buf := make([]byte, 1<<16)
	n, err := l.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := parseJournal(t, buf[:n])
	want := map[string]string{"MESSAGE": "munjigi: cannot start: config: two problems\nvenue.type is empty", "PRIORITY": "3", "SYSLOG_IDENTIFIER": "munjigi"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// parseJournal reads journald's native protocol (systemd's
// journal-native-protocol documentation), as journald would.
func parseJournal(t *testing.T, b []byte) map[string]string {
	t.Helper()
	fields := map[string]string{}
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			t.Fatalf("an unterminated field: %q", b)
		}
		line := string(b[:nl])
		b = b[nl+1:]
		if k, v, ok := strings.Cut(line, "="); ok {
			fields[k] = v
			continue
		}
		if len(b) < 8 {
			t.Fatalf("field %s: no length", line)
		}
		size := binary.LittleEndian.Uint64(b)
		b = b[8:]
		if uint64(len(b)) < size+1 || b[size] != '\n' {
			t.Fatalf("field %s: bad length %d", line, size)
		}
		fields[line] = string(b[:size])
		b = b[size+1:]
	}
	return fields
}

// TestUnderSystemd runs a kiosk that cannot start as the unit runs it: its
// standard output a terminal, its standard error a stream socket named by
// JOURNAL_STREAM, INVOCATION_ID set. The screen shows why and holds it;
// the journal has it with an error priority; SIGTERM (systemctl stop)
// ends the hold, and the exit status says it was asked to stop.
func TestUnderSystemd(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a program")
	}
	bin := filepath.Join(t.TempDir(), "failstart")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/failstart").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	master, tty := openPty(t)
	journal, stream := socketPair(t)
	cmd := exec.Command(bin, "config /etc/munjigi/config.yaml: store.retention_days is 0")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, stream
	cmd.Env = append(os.Environ(), "INVOCATION_ID=0123", "JOURNAL_STREAM="+journalStream(t, stream), "TERM=linux")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	stream.Close()

	screen := bufio.NewReader(master)
	var seen strings.Builder
	for !strings.Contains(seen.String(), "Trying again in 30 s.") {
		line, err := screen.ReadString('\n')
		seen.WriteString(line)
		if err != nil {
			t.Fatalf("the screen ended: %v\n%s", err, seen.String())
		}
	}
	if !strings.Contains(seen.String(), "store.retention_days is 0") || strings.Contains(seen.String(), "문지기") {
		t.Errorf("the screen (TERM=linux: English only):\n%s", seen.String())
	}
	line, err := bufio.NewReader(journal).ReadString('\n')
	if err != nil || line != "<3>munjigi: cannot start: config /etc/munjigi/config.yaml: store.retention_days is 0\n" {
		t.Errorf("the journal: %q, %v", line, err)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("asked to stop during the hold: %v, want exit status 0 (a status 2 means the hold ran out)", err)
	}
}
