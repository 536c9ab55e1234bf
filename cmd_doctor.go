package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/muesli/termenv"

	"munjigi/gate"
	"munjigi/scanner"
	"munjigi/store"
	"munjigi/upstream"
	"munjigi/verify"
)

// cmdDoctor checks, one by one, what the kiosk needs, and says whether it
// is ready: the exit status is 0 when it is.
func cmdDoctor(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("doctor", stderr)
	configPath := fs.String("config", "", "read settings from `FILE` (default ./config.yaml, then /etc/munjigi/config.yaml)")
	sf := scannerFlags(fs)
	dbPath := fs.String("db", "", "the database `FILE` (config store.path)")
	url := fs.String("upstream", "", "the authority's server `URL` (config upstream.url)")
	lang := fs.String("lang", "", "the kiosk's language (config language)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: munjigi doctor [--config FILE] [--port DEVICE|auto] [--db FILE] [--upstream URL]

Checks what the kiosk needs: its configuration, the scanner, the database, the
trust list, the clock, the authority's server and the terminal (colours, and
whether it can draw Hangul). Exit status 0 when the kiosk is ready, 1 when it
is not.

`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	problems := 0
	say := func(mark, what, format string, args ...any) {
		fmt.Fprintf(stdout, "%s %-9s %s\n", mark, what, fmt.Sprintf(format, args...))
		if mark == "✗" {
			problems++
		}
	}
	cfg, err := loadConfig(findConfig(*configPath))
	if err == nil {
		fs.Visit(func(f *flag.Flag) {
			sf.apply(cfg, f)
			switch f.Name {
			case "db":
				cfg.Store.Path = *dbPath
			case "upstream":
				cfg.Upstream.URL = *url
			case "lang":
				cfg.Language = *lang
			}
		})
		err = cfg.check()
	}
	if err != nil {
		say("✗", "config", "%v", err)
		fmt.Fprintln(stdout, "\nnot ready: fix the configuration first ('munjigi config check')")
		return exitNotPass
	}
	from := cfg.file
	if from == "" {
		from = "no file: the defaults"
	}
	say("✓", "config", "%s", from)

	doctorScanner(cfg, stdin, say)
	db := doctorDatabase(cfg, say)
	if db != nil {
		defer db.Close()
	}
	client := doctorTrust(cfg, db, say)
	doctorClock(cfg, db, client, say)
	doctorTerminal(cfg, say)
	if dir := filepath.Dir(cfg.logPath()); dirWritable(dir) != nil {
		say("✗", "log", "%s cannot be written: %v", cfg.logPath(), dirWritable(dir))
	} else {
		say("✓", "log", "%s", cfg.logPath())
	}

	if problems > 0 {
		fmt.Fprintf(stdout, "\nnot ready: %d problem%s above\n", problems, map[bool]string{true: "s"}[problems > 1])
		return exitNotPass
	}
	fmt.Fprintln(stdout, "\nready")
	return exitOK
}

type sayFunc func(mark, what, format string, args ...any)

func doctorScanner(cfg *config, stdin io.Reader, say sayFunc) {
	sc := cfg.Scanner
	switch sc.Source {
	case "serial":
		s := cfg.serial()
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
		if isTerminal(stdin) {
			say("✓", "scanner", "the keyboard: a keyboard scanner types here ('munjigi scanner test' shows what it sends)")
		} else {
			say("!", "scanner", "the keyboard, but standard input is not a terminal here")
		}
	}
}

func doctorDatabase(cfg *config, say sayFunc) *store.DB {
	path := cfg.Store.Path
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := dirWritable(filepath.Dir(path)); err != nil {
			say("✗", "database", "%s cannot be created: %v", path, err)
			return nil
		}
		say("✓", "database", "%s will be created at the first start", path)
		return nil
	}
	if err := checkInChild(path); err != nil {
		say("✗", "database", "%s is damaged (%v): the kiosk moves it aside and starts a fresh log", path, err)
		return nil
	}
	db, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		say("✗", "database", "%s: %v (is the kiosk running? stop it to check)", path, err)
		return nil
	}
	n, _ := db.Count()
	out, _ := db.Outbox(1 << 20)
	say("✓", "database", "%s is sound: %d entries, %d waiting for upload", path, n, len(out))
	return db
}

// doctorTrust says what is trusted, and returns a client for the server
// when there is one.
func doctorTrust(cfg *config, db *store.DB, say sayFunc) *upstream.Client {
	t := verify.NewTrust()
	for _, f := range cfg.Trust.Files {
		if err := t.AddFile(f); err != nil {
			say("✗", "trust", "%s: %v", f, err)
		}
	}
	var client *upstream.Client
	if cfg.Upstream.URL != "" {
		client, _ = upstream.New(upstream.Config{URL: cfg.Upstream.URL, Credential: cfg.Upstream.Credential, Kiosk: cfg.Upstream.KioskID, CAFile: cfg.Upstream.CAFile})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		took, err := client.Ping(ctx)
		cancel()
		if err != nil {
			// The door works without it; tokens go to a manual check.
			say("!", "upstream", "%s does not answer (%v): signed passes still work, tokens get a manual check", cfg.Upstream.URL, err)
		} else {
			say("✓", "upstream", "%s answers in %s", cfg.Upstream.URL, took.Round(time.Millisecond))
		}
	}
	var issued, expires time.Time
	listKeys := 0
	if db != nil && (cfg.Upstream.TrustKey != "" || client != nil) {
		var key = cfg.Upstream.TrustKey
		if key == "" && loopbackURL(cfg.Upstream.URL) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			pem, err := client.TrustKey(ctx)
			cancel()
			if err == nil {
				key = string(pem)
			}
		}
		if k, err := upstream.ParseKey(key); err == nil {
			s := upstream.NewSyncer(nil, k, db, func(*upstream.Bundle) {}, time.Now, nil)
			if b, err := s.Load(); err != nil {
				say("✗", "trust", "the stored list: %v", err)
			} else if b != nil {
				listKeys, issued, expires = b.Trust.Signers()+b.Trust.SHCIssuers(), b.IssuedAt, b.ExpiresAt
			}
		}
	}
	keys := t.Signers() + t.SHCIssuers() + listKeys
	switch {
	case keys == 0:
		say("✗", "trust", "nothing trusted: every signed pass would go to a manual check (trust.files, or upstream with 'munjigi trust sync')")
	case !expires.IsZero() && time.Now().After(expires):
		say("!", "trust", "%d keys, but the list expired %s: sync it ('munjigi trust sync')", keys, expires.Format(time.DateOnly))
	case !issued.IsZero() && time.Since(issued) > cfg.Upstream.StaleAfter:
		say("!", "trust", "%d keys; the list is stale (issued %s)", keys, issued.Format(time.DateOnly))
	default:
		say("✓", "trust", "%d keys", keys)
	}
	return client
}

func doctorClock(cfg *config, db *store.DB, client *upstream.Client, say sayFunc) {
	g, err := gate.New(gate.Config{Verifier: verify.New(verify.NewTrust(), time.Now), DB: db, Now: time.Now, Location: cfg.location})
	if err != nil {
		say("✗", "clock", "%v", err)
		return
	}
	if c := g.ClockState(); !c.Trusted {
		say("✗", "clock", "%s: passes that time decides would go to a manual check (set the time, or enable NTP)", c.Reason)
		return
	}
	say("✓", "clock", "%s", time.Now().In(cfg.location).Format("2006-01-02 15:04 MST"))
}

func doctorTerminal(cfg *config, say sayFunc) {
	term := os.Getenv("TERM")
	// What the terminal the kiosk runs in can show, from its environment
	// (this command's output may be a pipe).
	profile := termenv.NewOutput(os.Stdout, termenv.WithTTY(true)).EnvColorProfile()
	colours := map[termenv.Profile]string{termenv.Ascii: "no colours", termenv.ANSI: "16 colours", termenv.ANSI256: "256 colours", termenv.TrueColor: "true colour"}[profile]
	locale := os.Getenv("LC_ALL") + os.Getenv("LC_CTYPE") + os.Getenv("LANG")
	utf8 := strings.Contains(strings.ToUpper(strings.ReplaceAll(locale, "-", "")), "UTF8")
	switch {
	case term == "" || term == "dumb":
		say("✗", "terminal", "TERM is %q: the kiosk needs a terminal", term)
	case term == "linux" && cfg.Language == "ko":
		say("✗", "terminal", "the Linux console cannot draw Hangul: run the kiosk under fbterm (deploy/munjigi-fbterm.conf) or set language: en")
	case profile == termenv.Ascii:
		say("!", "terminal", "%s with no colours: verdicts still show their word and symbol", term)
	default:
		say("✓", "terminal", "%s, %s", term, colours)
	}
	if !utf8 {
		say("!", "terminal", "the locale is not UTF-8 (LANG=%q): ✓ ✗ and Hangul need it", os.Getenv("LANG"))
	}
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
