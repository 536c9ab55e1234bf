package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"munjigi/scanner"
)

// cmdScanner is 'munjigi scanner test': what a scanner sends, byte by
// byte, for the person setting one up.
func cmdScanner(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprintln(stderr, "Usage: munjigi scanner test [--port DEVICE|auto] [--baud N] [--file PATH] [--config FILE]")
		return exitUsage
	}
	fs := newFlags("scanner test", stderr)
	sf := scannerFlags(fs)
	configPath := fs.String("config", "", "read settings from `FILE` (see config.yaml)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: munjigi scanner test [--scanner stdin|serial|file] [--port DEVICE|auto] [--baud N] [--file PATH] [--config FILE]

Shows what a scanner sends, to set up a new one: every read with its bytes
escaped (\r is CR, \n is LF, \x1d is GS) and its time, then each scan as the
kiosk frames it. Scan a few codes; Ctrl-C ends it. A keyboard scanner types
into this terminal like a keyboard: scan into it with no flags.

`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args[1:]); !ok {
		return code
	}
	cfg, err := loadConfig(findConfig(*configPath))
	if err != nil {
		fmt.Fprintf(stderr, "munjigi scanner test: %v\n", err)
		return exitUsage
	}
	fs.Visit(func(f *flag.Flag) { sf.apply(cfg, f) })
	if err := cfg.check(); err != nil {
		fmt.Fprintf(stderr, "munjigi scanner test: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	sc := cfg.Scanner
	switch sc.Source {
	case "serial":
		fmt.Fprintf(stdout, "reading the serial scanner at %s, %d baud, %d data bits, parity %s, %d stop bits\n", sc.Port, sc.Baud, sc.DataBits, sc.Parity, sc.StopBits)
	case "file":
		fmt.Fprintf(stdout, "reading %s\n", sc.File)
	default:
		fmt.Fprintln(stdout, "reading standard input")
	}
	fmt.Fprintf(stdout, "a scan ends with %s\n\n", map[string]string{
		"line": "CR, LF or CRLF", "nul": "a NUL byte", "gap": "a pause of " + sc.Gap.String(),
	}[sc.Terminator])

	start := time.Now()
	var prev, first time.Time
	raw := func(data []byte, at time.Time) {
		gap := ""
		if !prev.IsZero() {
			gap = fmt.Sprintf(" (%s after the last)", at.Sub(prev).Round(100*time.Microsecond))
		}
		if first.IsZero() {
			first = at
		}
		prev = at
		fmt.Fprintf(stdout, "%9.3fs  read %4d bytes%s  %s\n", at.Sub(start).Seconds(), len(data), gap, escape(data))
	}
	src, physical := cfg.rawSource(stdin, time.Now, raw)
	dd := &scanner.Deduper{}
	if physical {
		dd.Window = sc.DedupeWindow // a script's pipe gets every line
	}
	n := 0
	for s := range src.Scans(ctx) {
		switch {
		case s.Kind == scanner.Connected:
			fmt.Fprintf(stdout, "connected: %s\n", s.Source)
		case s.Kind == scanner.Disconnected:
			fmt.Fprintf(stdout, "%v: waiting for it\n", s.Err)
		case s.Err != nil:
			fmt.Fprintf(stdout, "           not a scan: %v\n", s.Err)
		default:
			n++
			took := ""
			if !first.IsZero() && s.At.After(first) {
				took = fmt.Sprintf(", %s from its first byte to its end", s.At.Sub(first).Round(100*time.Microsecond))
			}
			fmt.Fprintf(stdout, "           scan %d: %d bytes%s: %s\n", n, len(s.Payload), took, looksLike(s.Payload))
			if !dd.Fresh(s) {
				fmt.Fprintln(stdout, "           (the same code again within the window: the door takes it once)")
			}
		}
		first = time.Time{}
	}
	fmt.Fprintf(stdout, "\n%d scans\n", n)
	return exitOK
}

// escape shows bytes as Go would quote them, cut to fit a line.
func escape(b []byte) string {
	const show = 100
	if len(b) <= show {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q … %q", b[:show-20], b[len(b)-20:])
}

// looksLike says what a scan seems to be, with a hint when it is nothing
// munjigi reads: most new scanners fail on the layout or a prefix.
func looksLike(p []byte) string {
	switch {
	case bytes.HasPrefix(p, []byte("HC1:")):
		return "an EU DCC (HC1:)"
	case bytes.HasPrefix(p, []byte("shc:/")):
		return "a SMART Health Card (shc:/)"
	case bytes.Contains(p, []byte("HC1:")), bytes.Contains(p, []byte("shc:/")):
		return "a pass with something before it: turn the scanner's prefix off"
	case bytes.HasPrefix(bytes.ToUpper(p), []byte("HC1:")):
		return "a DCC in the wrong case: turn Caps Lock off, or the scanner's case conversion"
	case bytes.HasPrefix(p, []byte("HC!;")), bytes.HasPrefix(p, []byte("HC1Ö")):
		return "a DCC typed in the wrong keyboard layout: set the scanner to US"
	}
	return "not a pass munjigi reads (a menu link, a product code?)"
}
