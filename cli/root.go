// Package cli is munjigi's command tree: one file per command, each
// declaring its flags once (bound to the configuration keys they set, so
// flags > MUNJIGI_* environment > config file > defaults comes from one
// declaration), returning an error, and one place (Run) turning errors into
// exit statuses: 0 done, 1 not a pass (or not ready, not found, damaged),
// 2 a usage error or a file that cannot be used.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"munjigi/internal/words"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitNotPass = 1 // ran, and something was not a pass (or not ready, not found)
	ExitUsage   = 2 // bad flags, arguments, configuration or files
)

// IO is where a command reads and writes: the process's, or a test's.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// exitError ends a command with a status. Its message, if any, has not
// been printed yet; quiet says the command already said all there is.
type exitError struct {
	code  int
	err   error
	quiet bool
	usage bool // a usage error: point at the command's help
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// notPass ends a command with status 1 after it said why (or with err).
func notPass(err error) error { return &exitError{code: ExitNotPass, err: err, quiet: err == nil} }

// usageError is a mistake in how the command was called.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...), usage: true}
}

// usageSay is a mistake in how the command was called, in words.
func usageSay(k words.Key, args ...any) error {
	return &exitError{code: ExitUsage, err: words.New(k, args...), usage: true}
}

// exitWith ends a command with a status it chose, having said everything.
func exitWith(code int) error { return &exitError{code: code, quiet: true} }

// Run runs munjigi with args and returns the exit status: main without the
// process, so tests can call it and the binary behaves the same.
func Run(args []string, io IO) int {
	root := newRoot(io)
	root.SetArgs(args)
	sp := &speech{}
	cmd, err := root.ExecuteContextC(context.WithValue(context.Background(), speechKey{}, sp))
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		// An error a command returned as it is: the file, the
		// configuration or the arguments could not be used.
		ee = &exitError{code: ExitUsage, err: err}
		if isCobraUsage(err) {
			ee.usage = true
		}
	}
	if !ee.quiet && ee.err != nil {
		// In the language the command spoke, or would have: an error
		// about the configuration in the venue's language when the
		// configuration says it (see speech).
		lang := sp.lang
		if !sp.told {
			lang = guess(cmd)
		}
		fmt.Fprintf(io.Err, "%s: %s\n", cmd.CommandPath(), words.Say(lang, ee.err))
		if ee.usage {
			fmt.Fprintln(io.Err, words.Tell(lang, words.Usage, cmd.UseLine(), cmd.CommandPath()))
		}
	}
	return ee.code
}

// isCobraUsage tells cobra's own complaints about arguments and commands.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, s := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires ", "invalid argument", "flag needs an argument", "arg(s)"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func newRoot(io IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "munjigi",
		Short: "the door kiosk for pass QR codes",
		Long: `munjigi (문지기, "gatekeeper"): the door kiosk for pass QR codes. It reads a
visitor's pass from a barcode scanner, decides it on the kiosk itself (EU DCC,
SMART Health Cards; one-time tokens with the authority, within a time budget),
records the entry, and turns what cannot be decided into a short check by hand.

Run alone on a terminal, munjigi is the kiosk (its flags are run's).`,
		Example: `  munjigi demo                        the whole kiosk on its demo: no hardware, config or network
  munjigi verify --demo PAYLOAD       decide one pass, as JSON
  munjigi run --headless < scans.txt  the door without a screen
  munjigi export --since 2026-11-30   the entry log for a contact tracer`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
	}
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: err, usage: true}
	})
	root.CompletionOptions.HiddenDefaultCmd = false
	kiosk := addKioskFlags(root)
	root.RunE = func(c *cobra.Command, _ []string) error { return runRoot(c, io, kiosk) }
	root.AddCommand(
		newRunCmd(io),
		newDemoCmd(io),
		newVerifyCmd(io),
		newRulesCmd(io),
		newExportCmd(io),
		newLookupCmd(io),
		newStatsCmd(io),
		newDBCmd(io),
		newScannerCmd(io),
		newTrustCmd(io),
		newUpstreamCmd(io),
		newConfigCmd(io),
		newDoctorCmd(io),
		newVersionCmd(io),
	)
	return root
}
