package cli

import (
	"bytes"
	"context"
	"fmt"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"munjigi/config"
	"munjigi/internal/words"
	"munjigi/scanner"
)

func newScannerCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scanner test",
		Short: "show what a scanner sends, to set one up",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return usageError("say test") },
	}
	test := &cobra.Command{
		Use:   "test [--port DEVICE|auto] [--baud N] [--file PATH]",
		Short: "show what a scanner sends, byte by byte, and how the kiosk frames it",
		Long: `Shows what a scanner sends, to set up a new one: every read with its bytes
escaped (\r is CR, \n is LF, \x1d is GS) and its time, then each scan as the
kiosk frames it. Scan a few codes; Ctrl-C ends it. A keyboard scanner types
into this terminal like a keyboard: scan into it with no flags.`,
		Args: cobra.NoArgs,
	}
	s := newSettings(test)
	s.scanner()
	test.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := s.load()
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		sc := cfg.Scanner
		switch sc.Source {
		case "serial":
			fmt.Fprintf(io.Out, "reading the serial scanner at %s, %d baud, %d data bits, parity %s, %d stop bits\n", sc.Port, sc.Baud, sc.DataBits, sc.Parity, sc.StopBits)
		case "file":
			fmt.Fprintf(io.Out, "reading %s\n", sc.File)
		default:
			fmt.Fprintln(io.Out, "reading standard input")
		}
		fmt.Fprintf(io.Out, "a scan ends with %s\n\n", map[string]string{
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
			fmt.Fprintf(io.Out, "%9.3fs  read %4d bytes%s  %s\n", at.Sub(start).Seconds(), len(data), gap, escape(data))
		}
		src, physical := cfg.RawSource(io.In, time.Now, raw)
		dd := &scanner.Deduper{}
		if physical {
			dd.Window = sc.DedupeWindow // a script's pipe gets every line
		}
		n := 0
		for s := range src.Scans(ctx) {
			switch {
			case s.Kind == scanner.Connected:
				fmt.Fprintf(io.Out, "connected: %s\n", s.Source)
			case s.Kind == scanner.Disconnected:
				fmt.Fprintf(io.Out, "%v: waiting for it\n", s.Err)
			case s.Err != nil:
				fmt.Fprintf(io.Out, "           not a scan: %v\n", s.Err)
			default:
				n++
				took := ""
				if !first.IsZero() && s.At.After(first) {
					took = fmt.Sprintf(", %s from its first byte to its end", s.At.Sub(first).Round(100*time.Microsecond))
				}
				fmt.Fprintf(io.Out, "           scan %d: %d bytes%s: %s\n", n, len(s.Payload), took, looksLike(s.Payload))
				if !dd.Fresh(s) {
					fmt.Fprintln(io.Out, "           (the same code again within the window: the door takes it once)")
				}
			}
			first = time.Time{}
		}
		fmt.Fprintf(io.Out, "\n%d scans\n", n)
		return nil
	}
	cmd.AddCommand(test)
	return cmd
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

// describeScanner says which scanner the configuration reads, in lang.
func describeScanner(cfg *config.Config, lang words.Lang) string {
	sc := cfg.Scanner
	switch sc.Source {
	case "serial":
		return words.Tell(lang, words.ScannerSerial, sc.Port, sc.Baud, fmt.Sprintf("%d%s%d", sc.DataBits, strings.ToUpper(sc.Parity[:1]), sc.StopBits))
	case "file":
		return words.Tell(lang, words.ScannerFile, sc.File)
	}
	return words.Tell(lang, words.ScannerStdin)
}
