package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"munjigi/config"
	"munjigi/door"
	"munjigi/gate"
	"munjigi/internal/startup"
	"munjigi/internal/tty"
	"munjigi/internal/words"
	"munjigi/scanner"
)

// kioskFlags are the door's flags: munjigi alone and munjigi run take them.
type kioskFlags struct {
	s          *settings
	trustFiles []string
	demo       bool
	clock      clockFlag
	headless   bool
}

func addKioskFlags(cmd *cobra.Command) *kioskFlags {
	k := &kioskFlags{s: newSettings(cmd)}
	k.s.db()
	k.s.scanner()
	k.s.policy()
	k.s.venue()
	k.s.lang()
	k.s.upstream()
	cmd.Flags().StringArrayVar(&k.trustFiles, "trust", nil, "trust `FILE` as verify does; repeat to add more")
	cmd.Flags().BoolVar(&k.demo, "demo", false, "trust the demo signer too")
	k.clock.add(cmd, "pin the clock to `TIME` (RFC 3339): for tests and replays")
	return k
}

func newRunCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run [--headless]",
		Short: "the kiosk (as munjigi alone), or with --headless the door without a screen",
		Long: `The kiosk: the screen at the door, reading a keyboard scanner (or a serial one
with --port), in Korean or English, from config.yaml when there is one.

--headless: the door without a screen, for unattended gates and scripting: it
reads scans (from standard input, one per line, by default; from a serial
scanner with --port; from a file or named pipe with --file), decides each as
the kiosk does (verify, venue rules, re-use), records it, and prints one JSON
line per decision once the entry is durable. A serial scanner may be
unplugged and plugged back in. SIGTERM finishes the scan in hand and exits.`,
		Args: cobra.NoArgs,
	}
	k := addKioskFlags(cmd)
	cmd.Flags().BoolVar(&k.headless, "headless", false, "the door without a screen: scans in, one JSON line per decision out")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		if !k.headless && !tty.IsTerminal(io.Out) {
			k.s.language(nil)
			return usageSay(words.KioskNeedsTerminal)
		}
		return runDoor(io, k)
	}
	return cmd
}

// runRoot is munjigi alone: the kiosk on a terminal; elsewhere, a word on
// what to run instead.
func runRoot(cmd *cobra.Command, io IO, k *kioskFlags) error {
	if !tty.IsTerminal(io.Out) || !tty.IsTerminal(io.In) {
		fmt.Fprintln(io.Err, words.Tell(k.s.language(nil), words.NoTerminal))
		return exitWith(ExitUsage)
	}
	return runDoor(io, k)
}

// runDoor opens the door and runs it: the kiosk, or the headless door.
func runDoor(io IO, k *kioskFlags) error {
	err := openAndRun(io, k)
	if k.headless || err == nil || errors.As(err, new(*exitError)) {
		return err
	}
	// A kiosk that cannot start says why on its screen as well as in the
	// journal: at the door, a blank tty1 helps nobody.
	return startupFailed(io, k, err)
}

// startupFailed tells why the kiosk could not start, on its screen and in
// the journal (package startup), holding the message on the screen for a
// while under systemd; SIGTERM meanwhile is a stop, not a failure.
func startupFailed(io IO, k *kioskFlags, err error) error {
	out, ok1 := io.Out.(*os.File)
	errf, ok2 := io.Err.(*os.File)
	if !ok1 || !ok2 {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	startup.ForProcess(out, errf, config.Find(k.s.file)).Fail(ctx, err)
	if ctx.Err() != nil {
		return exitWith(ExitOK)
	}
	return exitWith(ExitUsage)
}

// openAndRun opens the door and runs it.
func openAndRun(io IO, k *kioskFlags) error {
	cfg, err := k.s.load()
	if err != nil {
		return err
	}
	now, pinned, err := k.clock.now()
	if err != nil {
		return err
	}
	lang := k.s.speaks
	logger, logFile, err := door.OpenLog(cfg, io.Err)
	if err != nil {
		// A card gone read-only: the door still opens, and says so.
		fmt.Fprintf(io.Err, "munjigi: %s\n", words.Tell(lang, words.LogOff, err))
	} else {
		defer logFile.Close()
	}
	opts := door.Options{Config: cfg, TrustFiles: k.trustFiles, DemoTrust: k.demo, Now: now, Pinned: pinned,
		Log: logger, Notice: io.Err, Lang: lang}
	if k.headless {
		// stdout carries JSON, so the bell goes to stderr, and only when
		// a person can hear it there.
		if tty.IsTerminal(io.Err) {
			opts.Bell = io.Err
		}
	} else {
		opts.Bell = io.Out
	}
	d, err := door.Open(opts)
	if err != nil {
		if logger != nil {
			logger.Error("not started", "err", err)
		}
		return err
	}
	if k.headless {
		return runHeadless(d, io, lang)
	}
	return runKiosk(d, kioskOptions{}, io)
}

// runHeadless is the door without a screen: a JSON line per decision,
// printed once the entry is durable (in codes and English, for machines);
// what a person reads on standard error is in lang.
func runHeadless(d *door.Door, io IO, lang words.Lang) error {
	cfg := d.Config()
	if clock := d.ClockState(); !clock.Trusted {
		fmt.Fprintf(io.Err, "munjigi run: %s\n", words.Tell(lang, words.ClockUntrusted, clockWhy(clock)))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	bg, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- d.Run(bg) }()
	defer func() {
		cancel()
		<-ran // every loop stopped before the database closes
		d.Close()
	}()

	enc := json.NewEncoder(io.Out)
	enc.SetEscapeHTML(false)
	emit := func(o gate.Outcome) error {
		if err := enc.Encode(o.Line(cfg.Location)); err != nil {
			return fmt.Errorf("writing the decision: %w", err)
		}
		d.Announce(o)
		return nil
	}
	if o := d.Start(); o != nil {
		if err := emit(*o); err != nil {
			return err
		}
	}
	for s := range cfg.Source(io.In, d.Now).Scans(ctx) {
		if s.Kind != scanner.Read {
			// The scanner came or went: the door says so; nobody was
			// decided.
			if s.Err != nil {
				fmt.Fprintf(io.Err, "munjigi run: %s\n", words.Tell(lang, words.ScannerWaiting, s.Err))
			} else if s.Kind == scanner.Connected {
				fmt.Fprintf(io.Err, "munjigi run: %s\n", words.Tell(lang, words.ScannerConnected, s.Source))
			}
			continue
		}
		if err := emit(d.Handle(s)); err != nil {
			return err
		}
		// A signal is seen between scans: the one in hand is finished
		// and recorded first.
		if ctx.Err() != nil {
			break
		}
	}
	return nil
}
