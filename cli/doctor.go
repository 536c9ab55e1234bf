package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/muesli/termenv"
	"github.com/spf13/cobra"

	"munjigi/config"
	"munjigi/door"
	"munjigi/internal/tty"
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
		problems := 0
		say := func(mark, what, format string, args ...any) {
			fmt.Fprintf(io.Out, "%s %-9s %s\n", mark, what, fmt.Sprintf(format, args...))
			if mark == "✗" {
				problems++
			}
		}
		cfg, err := s.load()
		if err != nil {
			say("✗", "config", "%v", err)
			fmt.Fprintln(io.Out, "\nnot ready: fix the configuration first ('munjigi config check')")
			return notPass(nil)
		}
		from := cfg.File
		if from == "" {
			from = "no file: the defaults"
		}
		say("✓", "config", "%s", from)
		doctorScanner(cfg, io, say)
		ins := doctorDatabase(cfg, say)
		doctorTrust(cfg, ins, say)
		doctorClock(cfg, ins, say)
		doctorTerminal(cfg, unit, say)
		if dir := filepath.Dir(cfg.LogPath()); dirWritable(dir) != nil {
			say("✗", "log", "%s cannot be written: %v", cfg.LogPath(), dirWritable(dir))
		} else {
			say("✓", "log", "%s", cfg.LogPath())
		}
		if problems > 0 {
			fmt.Fprintf(io.Out, "\nnot ready: %d problem%s above\n", problems, map[bool]string{true: "s"}[problems > 1])
			return notPass(nil)
		}
		fmt.Fprintln(io.Out, "\nready")
		return nil
	}
	return cmd
}

type sayFunc func(mark, what, format string, args ...any)

func doctorScanner(cfg *config.Config, io IO, say sayFunc) {
	sc := cfg.Scanner
	switch sc.Source {
	case "serial":
		s := cfg.Serial()
		path := s.Port
		if path == "auto" {
			var err error
			if path, err = scanner.Auto(""); err != nil {
				say("✗", "scanner", "%v", err)
				return
			}
		}
		// Open it as the kiosk will, and let it go.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		s.Port = path
		for ev := range s.Scans(ctx) {
			if ev.Kind == scanner.Connected {
				say("✓", "scanner", "%s opens (%s)", path, describeScanner(cfg))
			} else if ev.Kind == scanner.Disconnected {
				say("✗", "scanner", "%v", ev.Err)
			} else {
				continue
			}
			cancel()
		}
	case "file":
		if _, err := os.Stat(sc.File); err != nil {
			say("✗", "scanner", "%v", err)
			return
		}
		say("✓", "scanner", "reads %s", sc.File)
	default:
		if tty.IsTerminal(io.In) {
			say("✓", "scanner", "the keyboard: a keyboard scanner types here ('munjigi scanner test' shows what it sends)")
		} else {
			say("!", "scanner", "the keyboard, but standard input is not a terminal here")
		}
	}
}

// doctorDatabase says how the database stands: from the running kiosk
// when there is one (it holds the file), else from the file.
func doctorDatabase(cfg *config.Config, say sayFunc) *door.Inspection {
	path := cfg.Store.Path
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := dirWritable(filepath.Dir(path)); err != nil {
			say("✗", "database", "%s cannot be created: %v", path, err)
			return nil
		}
		say("✓", "database", "%s will be created at the first start", path)
		return nil
	}
	ins, err := door.Inspect(cfg)
	switch {
	case errors.Is(err, door.ErrInUse):
		say("✗", "database", "%v", err)
		return nil
	case err != nil:
		say("✗", "database", "%s: %v: the kiosk moves a damaged file aside and starts a fresh log", path, err)
		return nil
	case ins.Running:
		say("✓", "database", "%s is in use by the running kiosk (process %d): %d entries, %d waiting for upload", path, ins.Pid, ins.Entries, ins.Outbox)
	default:
		say("✓", "database", "%s is sound: %d entries, %d waiting for upload", path, ins.Entries, ins.Outbox)
	}
	if err := dirWritable(filepath.Dir(path)); err != nil {
		say("✗", "database", "%s cannot be written (%v): verdicts would be shown NOT LOGGED", filepath.Dir(path), err)
	}
	return ins
}

// doctorTrust says what is trusted, as the door has it in force.
func doctorTrust(cfg *config.Config, ins *door.Inspection, say sayFunc) {
	var in door.InForce
	keys := 0
	var issued, expires time.Time
	if ins != nil {
		keys, issued, expires = ins.Keys, ins.IssuedAt, ins.ExpiresAt
		if ins.TrustErr != "" {
			say("✗", "trust", "the stored list: %s", ins.TrustErr)
		}
	} else {
		var err error
		in, _, err = door.ReadTrust(cfg, nil)
		if err != nil {
			say("✗", "trust", "%v", err)
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
				say("✓", "upstream", "%s answers in %s", cfg.Upstream.URL, took.Round(time.Millisecond))
			}
		}
		if err != nil {
			// The door works without it; tokens go to a manual check.
			say("!", "upstream", "%s does not answer (%v): signed passes still work, tokens get a manual check", cfg.Upstream.URL, err)
		}
	}
	now := time.Now()
	switch {
	case keys == 0:
		say("✗", "trust", "nothing trusted: every signed pass would go to a manual check (trust.files, or upstream with 'munjigi trust sync')")
	case !expires.IsZero() && !now.Before(expires):
		say("✗", "trust", "%d keys, but the list expired %s: the kiosk shows it EXPIRED; fix: 'munjigi trust sync' (or 'munjigi trust import FILE' from a USB stick)", keys, expires.In(cfg.Location).Format(time.DateOnly))
	case !issued.IsZero() && now.Sub(issued) > cfg.Upstream.StaleAfter:
		say("!", "trust", "%d keys; the list is stale (issued %s)", keys, issued.In(cfg.Location).Format(time.DateOnly))
	default:
		say("✓", "trust", "%d keys", keys)
	}
}

func doctorClock(cfg *config.Config, ins *door.Inspection, say sayFunc) {
	if ins != nil && !ins.Clock.Trusted && ins.Clock.Code != "" {
		say("✗", "clock", "%s: passes that time decides would go to a manual check (set the time, or enable NTP)", ins.Clock.Reason)
		return
	}
	say("✓", "clock", "%s", time.Now().In(cfg.Location).Format("2006-01-02 15:04 MST"))
}

// doctorTerminal judges the terminal the kiosk will run on: the installed
// service's (its TERM, and fbterm if it runs under it), else this one.
func doctorTerminal(cfg *config.Config, unit string, say sayFunc) {
	term, fbterm, where := os.Getenv("TERM"), false, ""
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
			say("✗", "terminal", "%v", err)
			return
		}
		term, fbterm, where = t, fb, " (the service "+unit+")"
	}
	// What the terminal can show, from its TERM (this command's output
	// may be a pipe, or another terminal than the service's).
	profile := colourProfile(term)
	colours := map[termenv.Profile]string{termenv.Ascii: "no colours", termenv.ANSI: "16 colours", termenv.ANSI256: "256 colours", termenv.TrueColor: "true colour"}[profile]
	switch {
	case term == "" || term == "dumb":
		say("✗", "terminal", "TERM is %q%s: the kiosk needs a terminal", term, where)
	case term == "linux" && !fbterm && cfg.Language == "ko":
		say("✗", "terminal", "the Linux console cannot draw Hangul%s: run the kiosk under fbterm (deploy/munjigi-fbterm.conf) or set language: en", where)
	case profile == termenv.Ascii:
		say("!", "terminal", "%s with no colours%s: verdicts still show their word and symbol", term, where)
	default:
		say("✓", "terminal", "%s, %s%s", term, colours, where)
	}
	if unit == "" {
		locale := os.Getenv("LC_ALL") + os.Getenv("LC_CTYPE") + os.Getenv("LANG")
		if !strings.Contains(strings.ToUpper(strings.ReplaceAll(locale, "-", "")), "UTF8") {
			say("!", "terminal", "the locale is not UTF-8 (LANG=%q): ✓ ✗ and Hangul need it", os.Getenv("LANG"))
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
			return "", false, fmt.Errorf("the service %s: %w", f, err)
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
