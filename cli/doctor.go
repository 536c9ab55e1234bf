package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/muesli/termenv"
	"github.com/spf13/cobra"

	"munjigi/config"
	"munjigi/door"
	"munjigi/gate"
	"munjigi/internal/tty"
	"munjigi/internal/words"
	"munjigi/scanner"
	"munjigi/upstream"
)

// serviceUnits are where an installed kiosk service is looked for, with
// its drop-ins: doctor judges the terminal the service will run on.
var serviceUnits = []string{"/etc/systemd/system/munjigi.service", "/lib/systemd/system/munjigi.service", "/usr/lib/systemd/system/munjigi.service"}

func newDoctorCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "check the scanner, database, trust list, clock, server and terminal; exit 0 when the kiosk is ready",
		Long: `Checks what the kiosk needs: its configuration, the scanner, the database, the
trust list, the clock, the authority's server and the terminal it will run on
(colours, and whether it can draw Hangul): the terminal of the installed
munjigi service when there is one, else this one. Exit status 0 when the
kiosk is ready, 1 when it is not. Works while the kiosk runs.`,
		Args: cobra.NoArgs,
	}
	s := newSettings(cmd)
	s.scanner()
	s.db()
	s.upstream()
	s.lang()
	var unit string
	cmd.Flags().StringVar(&unit, "service", "", "judge the terminal of this systemd unit `FILE` (default: the installed munjigi.service, if any)")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := s.load()
		d := &doctor{out: io.Out, lang: s.speaks}
		if err != nil {
			d.say(bad, words.ItemConfig, "%s", words.Say(d.lang, err))
			fmt.Fprintln(io.Out, "\n"+words.Tell(d.lang, words.DoctorFixConfig))
			return notPass(nil)
		}
		from := cfg.File
		if from == "" {
			from = words.Tell(d.lang, words.DoctorDefaults)
		}
		d.say(good, words.ItemConfig, "%s", from)
		doctorScanner(cfg, io, d)
		ins := doctorDatabase(cfg, d)
		doctorTrust(cfg, ins, d)
		doctorClock(cfg, ins, d)
		doctorTerminal(cfg, unit, d)
		if dir := filepath.Dir(cfg.LogPath()); dirWritable(dir) != nil {
			d.say(bad, words.ItemLog, "%s", words.Tell(d.lang, words.LogNotWritable, cfg.LogPath(), dirWritable(dir)))
		} else {
			d.say(good, words.ItemLog, "%s", cfg.LogPath())
		}
		switch d.problems {
		case 0:
			fmt.Fprintln(io.Out, "\n"+words.Tell(d.lang, words.DoctorReady))
			return nil
		case 1:
			fmt.Fprintln(io.Out, "\n"+words.Tell(d.lang, words.DoctorNotReadyOne))
		default:
			fmt.Fprintln(io.Out, "\n"+words.Tell(d.lang, words.DoctorNotReadyMany, d.problems))
		}
		return notPass(nil)
	}
	return cmd
}

// The marks of doctor's lines: ready, not ready, and works but worth a
// look.
const (
	good = "✓"
	bad  = "✗"
	warn = "!"
)

// doctor writes doctor's lines in its language and counts what is wrong.
type doctor struct {
	out      io.Writer
	lang     words.Lang
	problems int
}

// say writes one line: a mark, what was checked, and what was found.
// The name takes a column nine cells wide in either language (Hangul is
// two cells a syllable); a finding of several lines (the configuration's
// mistakes) keeps to its column.
func (d *doctor) say(mark string, what words.Key, format string, args ...any) {
	found := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", "\n"+strings.Repeat(" ", 12))
	fmt.Fprintf(d.out, "%s %s %s\n", mark, words.Pad(words.Tell(d.lang, what), 9), found)
	if mark == bad {
		d.problems++
	}
}

// tell writes one line whose finding is a sentence.
func (d *doctor) tell(mark string, what, k words.Key, args ...any) {
	d.say(mark, what, "%s", words.Tell(d.lang, k, args...))
}

func doctorScanner(cfg *config.Config, io IO, d *doctor) {
	sc := cfg.Scanner
	switch sc.Source {
	case "serial":
		s := cfg.Serial()
		path := s.Port
		if path == "auto" {
			var err error
			if path, err = scanner.Auto(""); err != nil {
				d.tell(bad, words.ItemScanner, words.ScannerNotFound, "/dev")
				return
			}
		}
		// Open it as the kiosk will, and let it go.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		s.Port = path
		for ev := range s.Scans(ctx) {
			if ev.Kind == scanner.Connected {
				d.tell(good, words.ItemScanner, words.ScannerOpens, path, describeScanner(cfg, d.lang))
			} else if ev.Kind == scanner.Disconnected {
				d.tell(bad, words.ItemScanner, words.ScannerCannotOpen, ev.Err)
			} else {
				continue
			}
			cancel()
		}
	case "file":
		if _, err := os.Stat(sc.File); err != nil {
			d.say(bad, words.ItemScanner, "%s", words.Say(d.lang, err))
			return
		}
		d.tell(good, words.ItemScanner, words.ScannerReads, sc.File)
	default:
		if tty.IsTerminal(io.In) {
			d.tell(good, words.ItemScanner, words.ScannerKeyboard)
		} else {
			d.tell(warn, words.ItemScanner, words.ScannerKeyboardNoTTY)
		}
	}
}

// doctorDatabase says how the database stands: from the running kiosk
// when there is one (it holds the file), else from the file.
func doctorDatabase(cfg *config.Config, d *doctor) *door.Inspection {
	path := cfg.Store.Path
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := dirWritable(filepath.Dir(path)); err != nil {
			d.tell(bad, words.ItemDatabase, words.DBCannotCreate, path, err)
			return nil
		}
		d.tell(good, words.ItemDatabase, words.DBWillCreate, path)
		return nil
	}
	ins, err := door.Inspect(cfg)
	switch {
	case errors.Is(err, door.ErrInUse):
		d.say(bad, words.ItemDatabase, "%s", words.Say(d.lang, err))
		return nil
	case err != nil:
		d.tell(bad, words.ItemDatabase, words.DBDamagedAside, path, err)
		return nil
	case ins.Running:
		d.tell(good, words.ItemDatabase, words.DBRunning, path, ins.Pid, ins.Entries, ins.Outbox)
	default:
		d.tell(good, words.ItemDatabase, words.DBSound, path, ins.Entries, ins.Outbox)
	}
	if err := dirWritable(filepath.Dir(path)); err != nil {
		d.tell(bad, words.ItemDatabase, words.DBNotWritable, filepath.Dir(path), err)
	}
	return ins
}

// doctorTrust says what is trusted, as the door has it in force.
func doctorTrust(cfg *config.Config, ins *door.Inspection, d *doctor) {
	var in door.InForce
	keys := 0
	var issued, expires time.Time
	if ins != nil {
		keys, issued, expires = ins.Keys, ins.IssuedAt, ins.ExpiresAt
		if ins.TrustErr != "" {
			d.tell(bad, words.ItemTrust, words.TrustStoredBad, ins.TrustErr)
		}
	} else {
		var err error
		in, _, err = door.ReadTrust(cfg, nil)
		if err != nil {
			d.say(bad, words.ItemTrust, "%s", words.Say(d.lang, err))
		}
		if in.Trust != nil {
			keys, issued, expires = in.Keys(), in.IssuedAt(), in.ExpiresAt()
		}
	}
	if cfg.Upstream.URL != "" {
		c, err := upstream.New(upstream.Config{URL: cfg.Upstream.URL, Credential: cfg.Upstream.Credential, Kiosk: cfg.Upstream.KioskID, CAFile: cfg.Upstream.CAFile})
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			var took time.Duration
			took, err = c.Ping(ctx)
			cancel()
			if err == nil {
				d.tell(good, words.ItemUpstream, words.UpstreamAnswers, cfg.Upstream.URL, took.Round(time.Millisecond).String())
			}
		}
		if err != nil {
			// The door works without it; tokens go to a manual check.
			d.tell(warn, words.ItemUpstream, words.UpstreamSilent, cfg.Upstream.URL, err)
		}
	}
	now := time.Now()
	switch {
	case keys == 0:
		d.tell(bad, words.ItemTrust, words.TrustNone)
	case !expires.IsZero() && !now.Before(expires):
		d.tell(bad, words.ItemTrust, words.TrustExpired, keys, expires.In(cfg.Location).Format(time.DateOnly))
	case !issued.IsZero() && now.Sub(issued) > cfg.Upstream.StaleAfter:
		d.tell(warn, words.ItemTrust, words.TrustStale, keys, issued.In(cfg.Location).Format(time.DateOnly))
	default:
		d.tell(good, words.ItemTrust, words.TrustKeys, keys)
	}
}

func doctorClock(cfg *config.Config, ins *door.Inspection, d *doctor) {
	if ins != nil && !ins.Clock.Trusted && ins.Clock.Code != "" {
		d.tell(bad, words.ItemClock, words.ClockUntrusted, clockWhy(ins.Clock))
		return
	}
	d.say(good, words.ItemClock, "%s", time.Now().In(cfg.Location).Format("2006-01-02 15:04 MST"))
}

// clockWhy says why the clock is not trusted, by the gate's code.
func clockWhy(c gate.Clock) any {
	if k, ok := clockWords[c.Code]; ok {
		return words.T(k)
	}
	return c.Reason
}

var clockWords = map[gate.ClockCode]words.Key{
	gate.ClockNotSet:    words.ClockNotSet,
	gate.ClockBehind:    words.ClockWentBack,
	gate.ClockAhead:     words.ClockJumped,
	gate.ClockOffServer: words.ClockOffServer,
}

// doctorTerminal judges the terminal the kiosk will run on: the installed
// service's (its TERM, and fbterm if it runs under it), else this one.
func doctorTerminal(cfg *config.Config, unit string, d *doctor) {
	term, fbterm := os.Getenv("TERM"), false
	var where any = ""
	if unit == "" {
		for _, u := range serviceUnits {
			if _, err := os.Stat(u); err == nil {
				unit = u
				break
			}
		}
	}
	if unit != "" {
		t, fb, err := serviceTerminal(unit)
		if err != nil {
			d.say(bad, words.ItemTerminal, "%s", words.Say(d.lang, err))
			return
		}
		term, fbterm, where = t, fb, words.T(words.TermService, unit)
	}
	// What the terminal can show, from its TERM (this command's output
	// may be a pipe, or another terminal than the service's).
	profile := colourProfile(term)
	colours := map[termenv.Profile]words.Key{termenv.ANSI: words.Colours16, termenv.ANSI256: words.Colours256, termenv.TrueColor: words.ColoursTrue}[profile]
	switch {
	case term == "" || term == "dumb":
		d.tell(bad, words.ItemTerminal, words.TermNone, term, where)
	case term == "linux" && !fbterm && cfg.Language == "ko":
		d.tell(bad, words.ItemTerminal, words.TermNoHangul, where)
	case profile == termenv.Ascii:
		d.tell(warn, words.ItemTerminal, words.TermNoColour, term, where)
	default:
		d.tell(good, words.ItemTerminal, words.TermOK, term, words.T(colours), where)
	}
	if unit == "" {
		locale := os.Getenv("LC_ALL") + os.Getenv("LC_CTYPE") + os.Getenv("LANG")
		if !strings.Contains(strings.ToUpper(strings.ReplaceAll(locale, "-", "")), "UTF8") {
			d.tell(warn, words.ItemTerminal, words.TermLocale, os.Getenv("LANG"))
		}
	}
}

// serviceTerminal reads a systemd unit and its drop-ins (unit.d/*.conf)
// for the service's TERM and whether it runs under fbterm.
func serviceTerminal(unit string) (term string, fbterm bool, err error) {
	files := []string{unit}
	if drop, _ := filepath.Glob(filepath.Join("/etc/systemd/system", filepath.Base(unit)+".d", "*.conf")); len(drop) > 0 {
		files = append(files, drop...)
	}
	if drop, _ := filepath.Glob(unit + ".d/*.conf"); len(drop) > 0 {
		files = append(files, drop...)
	}
	term = "linux" // a tty's TERM when the unit sets none
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return "", false, words.New(words.TermServiceBad, f, err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch {
			case strings.HasPrefix(line, "Environment="):
				for _, kv := range strings.Fields(strings.Trim(strings.TrimPrefix(line, "Environment="), `"`)) {
					if v, ok := strings.CutPrefix(kv, "TERM="); ok {
						term = v
					}
				}
			case strings.HasPrefix(line, "ExecStart="):
				fbterm = strings.Contains(line, "fbterm")
			}
		}
		fh.Close()
	}
	return term, fbterm, nil
}

// colourProfile is what a terminal of this TERM shows, as the kiosk will
// draw for it: fbterm draws the 16 ANSI colours (its 256 colours are not
// xterm's), which termenv does not know by name.
func colourProfile(term string) termenv.Profile {
	if term == "fbterm" {
		return termenv.ANSI
	}
	return termenv.NewOutput(os.Stdout, termenv.WithTTY(true), termenv.WithEnvironment(termEnv{term})).EnvColorProfile()
}

// termEnv is an environment holding only TERM, for termenv.
type termEnv struct{ term string }

func (e termEnv) Environ() []string { return []string{"TERM=" + e.term} }
func (e termEnv) Getenv(k string) string {
	if k == "TERM" {
		return e.term
	}
	return ""
}

// dirWritable says whether files can be made in dir (made if missing).
func dirWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".munjigi-doctor-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}
