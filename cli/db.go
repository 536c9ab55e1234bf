package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"munjigi/door"
	"munjigi/internal/words"
	"munjigi/store"
)

func newDBCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db check [FILE]",
		Short: "check a database file (what the kiosk does before it starts)",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return usageSay(words.SayCheck, c.CommandPath()) },
	}
	check := &cobra.Command{
		Use:   "check [FILE]",
		Short: "check a database file: exit 0 sound, 1 damaged, 3 in use, 4 unreadable",
		Long: `Checks a database file (by default the configured one) as the kiosk does in a
child process before it opens it. Exit status 0 when it is sound, 1 when it
is damaged; 3 when another munjigi holds it (a running kiosk: not a fault),
4 when it cannot be read (permissions): neither is judged. The first line
says which, in the configuration's language (the kiosk asks with --lang en
and reads it).`,
		Args: cobra.MaximumNArgs(1),
	}
	s := newSettings(check)
	s.lang()
	check.RunE = func(c *cobra.Command, args []string) error {
		var path string
		if len(args) == 1 {
			path = args[0]
			s.language(nil)
		} else {
			cfg, err := s.load()
			if err != nil {
				return err
			}
			path = cfg.Store.Path
		}
		l := s.speaks
		err := store.Check(path)
		switch {
		case err == nil:
			fmt.Fprintln(io.Out, words.Tell(l, words.DBCheckOK))
			return nil
		case errors.Is(err, store.ErrLocked):
			fmt.Fprintln(io.Out, words.Tell(l, words.DBCheckInUse, err))
			return exitWith(door.CheckInUse)
		case errors.Is(err, store.ErrDamaged):
			fmt.Fprintln(io.Out, words.Tell(l, words.DBCheckDamaged, err))
			return exitWith(door.CheckDamaged)
		case errors.Is(err, os.ErrNotExist):
			return err
		}
		fmt.Fprintln(io.Out, words.Tell(l, words.DBCheckCannot, err))
		return exitWith(door.CheckCannot)
	}
	cmd.AddCommand(check)
	return cmd
}
