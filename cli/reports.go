package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"munjigi/config"
	"munjigi/door"
	"munjigi/internal/words"
)

// Reports are answered by the door running on the database, or read from
// the file when none runs: a contact tracer never has to stop the door.

func newExportCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export [--since TIME] [--until TIME] [--format csv|jsonl]",
		Short: "the entry log for a contact tracer (no personal data)",
		Long: `The entry log for a contact tracer: one record per entry, with its sequence
number and time in the venue's time zone, and no personal data (not even the
pass hashes, which would link visits across exports; 'munjigi lookup'
answers for one pass). Times on the command line are the venue's: a date
alone is its midnight. Works while the kiosk runs.`,
		Args: cobra.NoArgs,
	}
	s := newSettings(cmd)
	s.db()
	var since, until, format string
	cmd.Flags().StringVar(&since, "since", "", "only entries at or after `TIME` (RFC 3339, or a date: the venue's midnight)")
	cmd.Flags().StringVar(&until, "until", "", "only entries before `TIME`")
	cmd.Flags().StringVar(&format, "format", "csv", "csv or jsonl")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := s.load()
		if err != nil {
			return err
		}
		if format != "csv" && format != "jsonl" {
			return usageError("--format %q: csv or jsonl", format)
		}
		q := door.Query{Kind: "export", Format: format}
		if q.Since, err = venueTime(since, cfg); err != nil {
			return usageError("--since: %v", err)
		}
		if q.Until, err = venueTime(until, cfg); err != nil {
			return usageError("--until: %v", err)
		}
		return door.Report(cfg, q, io.Out)
	}
	return cmd
}

// venueTime reads a time from the command line: RFC 3339 with its offset,
// or without one (and a date alone, at midnight) in the venue's time zone.
func venueTime(s string, cfg *config.Config) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{time.DateOnly, "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, cfg.Location); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-11-30) or a time (2026-11-30T12:00, or RFC 3339)", s)
}

func newLookupCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lookup PASS-ID",
		Short: "was this pass here, and when",
		Long: `Was this pass here, and when: for a contact tracer who brings a pass
identifier (a DCC's certificate id, URN:UVCI:...; a health card's
shc:rid:ISS#RID). The kiosk keeps only a keyed hash of it. Exit status 1 when
it was not seen. Works while the kiosk runs.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 || args[0] == "" {
				return usageError("name one PASS-ID")
			}
			return nil
		},
	}
	s := newSettings(cmd)
	s.db()
	cmd.RunE = func(c *cobra.Command, args []string) error {
		cfg, err := s.load()
		if err != nil {
			return err
		}
		err = door.Report(cfg, door.Query{Kind: "lookup", PassID: args[0]}, io.Out)
		if errors.Is(err, door.ErrNotSeen) {
			fmt.Fprintln(io.Out, "not seen here (within the retention period)")
			return notPass(nil)
		}
		return err
	}
	return cmd
}

func newStatsCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stats [--day DATE]",
		Short: "a day's visitors by hour, verdict and how each was settled",
		Args:  cobra.NoArgs,
	}
	s := newSettings(cmd)
	s.db()
	s.lang()
	var day string
	cmd.Flags().StringVar(&day, "day", "", "the `DATE` to count (default today, in the venue's time zone)")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := s.load()
		if err != nil {
			return err
		}
		at := time.Now().In(cfg.Location)
		if day != "" {
			if at, err = time.ParseInLocation(time.DateOnly, day, cfg.Location); err != nil {
				return usageSay(words.DayBad, day)
			}
		}
		return door.Report(cfg, door.Query{Kind: "stats", Day: at, Lang: s.speaks}, io.Out)
	}
	return cmd
}
