package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"munjigi/config"
	"munjigi/door"
	"munjigi/internal/words"
	"munjigi/verify"
)

func newConfigCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config check",
		Short: "read the configuration as the kiosk does; name what is wrong",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return usageSay(words.SayCheck, c.CommandPath()) },
	}
	check := &cobra.Command{
		Use:   "check [--config FILE]",
		Short: "read the configuration as the kiosk does; exit status 2 when anything is wrong",
		Long: `Reads the configuration as the kiosk does (flags > MUNJIGI_* environment >
file > defaults) and says what is wrong with it, all at once, each mistake
where it was made (the file's line, the variable) with what to write
instead; and checks the files it names (venue rules, trust files). Exit
status 2 when anything is wrong. It speaks the configuration's language
(--lang or language:; when the file cannot be read, MUNJIGI_LANGUAGE or
the system's locale).`,
		Args: cobra.NoArgs,
	}
	s := newSettings(check)
	s.lang()
	check.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := s.load()
		if err != nil {
			return err
		}
		// The checks the kiosk makes only when it starts: files it will read.
		if _, err := cfg.Decider(nil, nil); err != nil {
			return words.Wrap(config.ErrInvalid, words.PolicyBad, err)
		}
		for _, f := range cfg.Trust.Files {
			if err := door.AddTrustFile(verify.NewTrust(), f); err != nil {
				return words.Wrap(config.ErrInvalid, words.TrustFilesBad, err)
			}
		}
		l := s.speaks
		from := cfg.File
		if from == "" {
			from = words.Tell(l, words.ConfigDefaults)
		}
		w := io.Out
		line := func(label words.Key, text string) {
			fmt.Fprintf(w, "  %s %s\n", words.Pad(words.Tell(l, label), 10), text)
		}
		fmt.Fprintln(w, words.Tell(l, words.ConfigOK, from))
		line(words.LabelVenue, words.Tell(l, words.CheckVenue, cfg.Venue.Name, cfg.Venue.Type, cfg.Venue.Country, cfg.Venue.Timezone, cfg.Language))
		line(words.LabelRules, cfg.Policy.Profile)
		line(words.LabelScanner, describeScanner(cfg, l))
		line(words.LabelEntryLog, words.Tell(l, words.CheckEntryLog, cfg.Store.Path, cfg.Store.RetentionDays))
		if cfg.Upstream.URL == "" {
			line(words.LabelUpstream, words.Tell(l, words.CheckNoUpstream))
		} else {
			line(words.LabelUpstream, words.Tell(l, words.CheckUpstream, cfg.Upstream.URL, cfg.Upstream.TokenBudget.String()))
		}
		line(words.LabelLog, cfg.LogPath())
		return nil
	}
	cmd.AddCommand(check)
	return cmd
}
