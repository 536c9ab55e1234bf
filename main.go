// Some issuers' document signer certificates carry negative serial numbers,
// which Go's x509 refuses by default; a DSC's serial number decides nothing
// here, so munjigi reads them.

//go:debug x509negativeserial=1

// Command munjigi (문지기, "gatekeeper") is a kiosk for the person at a venue
// door: it reads pass QR codes from a barcode scanner, decides them on the
// kiosk itself, records entries, and falls back to a manual check when a
// pass cannot be read or checked.
//
// Usage:
//
//	munjigi                      (the kiosk)
//	munjigi demo [--table|--json]
//	munjigi demo trust|passes
//	munjigi verify [--trust FILE]... [--at TIME] [--demo] [--policy NAME] [PAYLOAD...]
//	munjigi rules list|test PATH...
//	munjigi run --headless [--port DEVICE|auto] [--db FILE] [--trust FILE]...
//	munjigi export|lookup|stats|db ...
//	munjigi scanner test [--port DEVICE|auto]
//
// See README.md for each command.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"munjigi/internal/version"
)

// exit statuses shared by every subcommand.
const (
	exitOK      = 0
	exitNotPass = 1 // ran, and something was not a pass
	exitUsage   = 2 // bad flags, arguments or files
)

// memoryLimit is the heap size the garbage collector works to stay under
// (a soft limit: more is used if more is live): a Raspberry Pi Zero has
// 512 MB for everything. GOMEMLIMIT overrides it.
const memoryLimit = 24 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `munjigi: the door kiosk for pass QR codes

Usage:
  munjigi [FLAGS]        the kiosk, from config.yaml when there is one, reading a
                         keyboard scanner (or a serial one: --port); the flags
                         are run's
  munjigi demo           the whole kiosk on its demo: a lunch rush of demo passes,
                         no hardware, no config, no network (q quits)
  munjigi demo --table|--json
                         decide the built-in demo passes, as the door would
  munjigi demo trust     print the demo trust list
  munjigi demo passes    print the demo passes, one per line
  munjigi verify [--trust FILE]... [--at TIME] [--demo] [--policy NAME] [PAYLOAD...]
                         verify each payload (or each line of stdin) offline;
                         one JSON line per payload
  munjigi run [--port DEVICE|auto] [--db FILE] [--lang ko|en]
                         the kiosk, as munjigi alone does
  munjigi run --headless [--port DEVICE|auto] [--db FILE] [--policy NAME] [--at TIME]
                         the door without a screen: scans from stdin or a
                         serial scanner, one JSON line per decision once it
                         is recorded
  munjigi scanner test [--port DEVICE|auto]
                         show what a scanner sends, to set one up
  munjigi config check [--config FILE]
                         read the configuration as the kiosk does; name what is wrong
  munjigi doctor         check the scanner, database, trust list, clock, server and
                         terminal; exit 0 when the kiosk is ready
  munjigi trust sync|import FILE|show
                         the signed trust list: fetch it now, install it from a
                         file (no network), or show what is trusted
  munjigi upstream serve [--addr HOST:PORT] [--data DIR]
                         the reference upstream server (loopback by default)
  munjigi upstream token [--upstream URL]
                         mint a demo one-time token on it
  munjigi export [--since TIME] [--until TIME] [--format csv|jsonl]
                         the entry log for a contact tracer (no personal data)
  munjigi lookup PASS-ID was this pass here, and when
  munjigi stats [--day DATE]
                         a day's entries by hour, verdict and method
  munjigi db check FILE  check a database file (what the kiosk does before start)
  munjigi rules list     the venue rule profiles munjigi ships
  munjigi rules test PATH...
                         run rule tests (business-rules layout, CertLogic suites)

Run 'munjigi COMMAND -h' for a command's flags.
`

// run is main without the process: it returns the exit status, so tests can
// call it and the real binary behaves the same.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		if isTerminal(stdout) && isTerminal(stdin) {
			return cmdRun(nil, stdin, stdout, stderr) // the kiosk
		}
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	if strings.HasPrefix(args[0], "-") && !slices.Contains([]string{"-h", "-help", "--help"}, args[0]) {
		return cmdRun(args, stdin, stdout, stderr) // munjigi --port auto: the kiosk with flags
	}
	switch args[0] {
	case "verify":
		return cmdVerify(args[1:], stdin, stdout, stderr)
	case "demo":
		return cmdDemo(args[1:], stdin, stdout, stderr)
	case "rules":
		return cmdRules(args[1:], stdout, stderr)
	case "run":
		return cmdRun(args[1:], stdin, stdout, stderr)
	case "export":
		return cmdExport(args[1:], stdout, stderr)
	case "lookup":
		return cmdLookup(args[1:], stdout, stderr)
	case "stats":
		return cmdStats(args[1:], stdout, stderr)
	case "db":
		return cmdDB(args[1:], stdout, stderr)
	case "scanner":
		return cmdScanner(args[1:], stdin, stdout, stderr)
	case "trust":
		return cmdTrust(args[1:], stdout, stderr)
	case "config":
		return cmdConfig(args[1:], stdout, stderr)
	case "doctor":
		return cmdDoctor(args[1:], stdin, stdout, stderr)
	case "upstream":
		return cmdUpstream(args[1:], stdout, stderr)
	case "version": // the release this is (scripts/release.sh stamps it)
		fmt.Fprintln(stdout, "munjigi", version.String())
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "munjigi: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// newFlags makes a subcommand's flag set that reports errors instead of
// exiting, so every usage error ends in exit status 2 with a message.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("munjigi "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args; it reports whether to go on, and the status to
// return when not (0 for -h, 2 for a usage error).
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		return exitOK, false
	}
	return exitUsage, false
}

// listFlag is a flag that may be given more than once.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }
