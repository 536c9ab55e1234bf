// Package startup tells why the kiosk could not start, where the people
// who can fix it will look: on the kiosk's own screen (tty1 at the door,
// where a blank screen helps nobody) and in the journal
// (journalctl -u munjigi).
//
// Under systemd (deploy/munjigi.service) the kiosk's standard output is
// tty1 and its standard error the journal. An error printed to standard
// error alone never reaches the screen; one printed to the screen alone is
// wiped when the process exits, as systemd clears the console. So Fail
// writes to both and holds the message on the screen for a while before
// the kiosk exits and systemd tries again.
package startup

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// DefaultHold is how long a start-up error stays on the screen before the
// kiosk exits and systemd starts it again: long enough to be read and
// photographed, short enough that a fixed fault (a scanner plugged back
// in, a repaired setting) is picked up soon.
const DefaultHold = 30 * time.Second

// Limits on how much of an error reaches the screen, so the hints below it
// stay on a 80x24 console.
const (
	maxLines    = 10
	maxLineRune = 400
)

// journalSocket is journald's native socket (systemd.journal-fields(7)).
var journalSocket = "/run/systemd/journal/socket"

// Report is where a start-up failure is told. The zero Report tells
// nobody; ForProcess builds the one for this process.
type Report struct {
	// Screen is the kiosk's terminal; nil when there is no screen to speak
	// on (a shell, where Log is the terminal anyway, or no terminal).
	Screen io.Writer
	// Log is standard error: the journal under the unit.
	Log io.Writer
	// LogIsJournal says Log is a journal stream: each line then carries a
	// syslog priority prefix, which journald reads (error, shown in red).
	LogIsJournal bool
	// Journal receives the error as one native journal entry, for a kiosk
	// under systemd whose standard error is not the journal (under fbterm
	// it is fbterm's terminal). Each Write must be one datagram.
	Journal io.Writer
	// Hangul says the screen can draw Hangul (the bare Linux console
	// cannot): the message is then in Korean as well as English.
	Hangul bool
	// Config is the configuration file the kiosk read, or meant to, for
	// the hint to check it.
	Config string
	// Hold is how long Fail keeps the message on the screen (0: it returns
	// at once). Only with a Screen.
	Hold time.Duration
	// After is the clock the hold waits on; nil: time.After.
	After func(time.Duration) <-chan time.Time
}

// ForProcess is the Report for this process: the screen is stdout when it
// is a terminal and the process runs under systemd (INVOCATION_ID is set;
// at a shell the person reads stderr, and a held screen would be in the
// way); the log is stderr, marked as the journal when JOURNAL_STREAM names
// it; when stderr is not the journal but systemd is there, the journal's
// socket is used too. config is the configuration file in use (or
// wanted).
func ForProcess(stdout, stderr *os.File, config string) Report {
	r := Report{Log: stderr, Config: config, LogIsJournal: isJournalStream(stderr, os.Getenv("JOURNAL_STREAM"))}
	if os.Getenv("INVOCATION_ID") == "" {
		return r
	}
	if isTerminal(stdout) {
		r.Screen, r.Hold = stdout, DefaultHold
		r.Hangul = drawsHangul(os.Getenv("TERM"))
	}
	if !r.LogIsJournal {
		if c, err := net.Dial("unixgram", journalSocket); err == nil {
			r.Journal = c // the process ends soon after: never closed
		}
	}
	return r
}

// Fail tells why the kiosk could not start, and holds the message on the
// screen until Hold has passed or ctx ends (SIGTERM: systemctl stop or
// restart), whichever is first. The caller then exits non-zero, or zero
// when ctx ended: it was asked to stop.
func (r Report) Fail(ctx context.Context, err error) {
	if err == nil {
		return
	}
	lines := clean(err.Error())
	if r.Log != nil {
		prefix := ""
		if r.LogIsJournal {
			prefix = "<3>" // LOG_ERR
		}
		var b strings.Builder
		for i, l := range lines {
			if i == 0 {
				fmt.Fprintf(&b, "%smunjigi: cannot start: %s\n", prefix, l)
			} else {
				fmt.Fprintf(&b, "%s  %s\n", prefix, l)
			}
		}
		io.WriteString(r.Log, b.String())
	}
	if r.Journal != nil {
		r.Journal.Write(journalEntry(map[string]string{
			"MESSAGE":           "munjigi: cannot start: " + strings.Join(lines, "\n"),
			"PRIORITY":          "3",
			"SYSLOG_IDENTIFIER": "munjigi",
		}))
	}
	if r.Screen == nil {
		return
	}
	io.WriteString(r.Screen, r.screen(lines))
	if r.Hold <= 0 {
		return
	}
	after := r.After
	if after == nil {
		after = time.After
	}
	select {
	case <-ctx.Done():
	case <-after(r.Hold):
	}
}

// screen is the whole message for the kiosk's terminal: it clears what was
// there, and ends each line with CR LF in case the terminal was left raw.
func (r Report) screen(lines []string) string {
	var b strings.Builder
	say := func(en, ko string) {
		if r.Hangul && ko != "" {
			en += "  " + ko
		}
		b.WriteString(en + "\r\n")
	}
	b.WriteString("\x1b[H\x1b[2J\r\n")
	say(" \x1b[1;31mmunjigi could not start\x1b[0m", "\x1b[1;31m문지기를 시작하지 못했습니다\x1b[0m")
	b.WriteString("\r\n")
	for _, l := range lines {
		b.WriteString(" " + l + "\r\n")
	}
	b.WriteString("\r\n")
	config := r.Config
	if config == "" {
		config = "/etc/munjigi/config.yaml"
	}
	say(" Check the settings:", "설정 확인:")
	b.WriteString("   sudo munjigi config check --config " + clean(config)[0] + "\r\n")
	say(" The whole story:", "자세한 기록:")
	b.WriteString("   journalctl -u munjigi -b\r\n")
	if r.Hold > 0 {
		s := int(r.Hold.Round(time.Second) / time.Second)
		b.WriteString("\r\n")
		say(fmt.Sprintf(" Trying again in %d s.", s), fmt.Sprintf("%d초 후 다시 시도합니다.", s))
	}
	return b.String()
}

// clean makes error text safe to show: one entry per line, no control
// characters (a setting's value can carry an escape sequence), no bidi
// overrides, valid UTF-8, and bounded, so the hints stay on the screen.
func clean(text string) []string {
	var lines []string
	for _, l := range strings.Split(strings.ToValidUTF8(text, "\uFFFD"), "\n") {
		l = strings.Map(func(r rune) rune {
			switch {
			case r == '\t':
				return ' '
			case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r):
				return '\uFFFD'
			}
			return r
		}, strings.TrimRight(l, "\r"))
		if utf8.RuneCountInString(l) > maxLineRune {
			l = string([]rune(l)[:maxLineRune]) + "…"
		}
		if len(lines) == maxLines {
			lines[maxLines-1] = "…"
			break
		}
		lines = append(lines, l)
	}
	return lines
}

// journalEntry encodes fields in journald's native protocol: FIELD=value
// lines, or, for a value with a line break, the field name, a newline, its
// length as 64-bit little-endian, and the value.
func journalEntry(fields map[string]string) []byte {
	var b []byte
	for _, k := range []string{"MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER"} {
		v, ok := fields[k]
		if !ok {
			continue
		}
		if !strings.Contains(v, "\n") {
			b = append(b, k+"="+v+"\n"...)
			continue
		}
		b = append(b, k+"\n"...)
		b = binary.LittleEndian.AppendUint64(b, uint64(len(v)))
		b = append(b, v+"\n"...)
	}
	return b
}

// isJournalStream says whether f is the journal stream systemd named in
// JOURNAL_STREAM ("device:inode"): a process may inherit the variable
// with its standard error pointed elsewhere.
func isJournalStream(f *os.File, env string) bool {
	dev, ino, ok := strings.Cut(env, ":")
	if f == nil || !ok {
		return false
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return false
	}
	return dev == strconv.FormatUint(uint64(st.Dev), 10) && ino == strconv.FormatUint(uint64(st.Ino), 10)
}

func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// drawsHangul: terminals that cannot draw Hangul, as 'munjigi doctor'
// judges them (fbterm and terminal emulators can).
func drawsHangul(term string) bool {
	return term != "" && term != "linux" && term != "dumb" && !strings.HasPrefix(term, "vt")
}
