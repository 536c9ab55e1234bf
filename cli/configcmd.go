package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"munjigi/door"
	"munjigi/verify"
)

func newConfigCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config check",
		Short: "read the configuration as the kiosk does; name what is wrong",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return usageError("say check") },
	}
	check := &cobra.Command{
		Use:   "check [--config FILE]",
		Short: "read the configuration as the kiosk does; exit status 2 when anything is wrong",
		Long: `Reads the configuration as the kiosk does (flags > MUNJIGI_* environment >
file > defaults) and says what is wrong with it, and checks the files it
names (venue rules, trust files); exit status 2 when anything is wrong.`,
		Args: cobra.NoArgs,
	}
	s := newSettings(check)
	check.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := s.load()
		if err != nil {
			return err
		}
		// The checks the kiosk makes only when it starts: files it will read.
		if _, err := cfg.Decider(nil, nil); err != nil {
			return fmt.Errorf("policy: %w", err)
		}
		for _, f := range cfg.Trust.Files {
			if err := door.AddTrustFile(verify.NewTrust(), f); err != nil {
				return fmt.Errorf("trust.files: %w", err)
			}
		}
		from := cfg.File
		if from == "" {
			from = "no file: defaults and MUNJIGI_* environment"
		}
		w := io.Out
		fmt.Fprintf(w, "ok (%s)\n", from)
		fmt.Fprintf(w, "  venue      %q, a %s in %s (%s); screen in %s\n", cfg.Venue.Name, cfg.Venue.Type, cfg.Venue.Country, cfg.Venue.Timezone, cfg.Language)
		fmt.Fprintf(w, "  rules      %s\n", cfg.Policy.Profile)
		fmt.Fprintf(w, "  scanner    %s\n", describeScanner(cfg))
		fmt.Fprintf(w, "  entry log  %s, kept %d days\n", cfg.Store.Path, cfg.Store.RetentionDays)
		if cfg.Upstream.URL == "" {
			fmt.Fprintln(w, "  upstream   none: the kiosk works alone")
		} else {
			fmt.Fprintf(w, "  upstream   %s, token budget %s\n", cfg.Upstream.URL, cfg.Upstream.TokenBudget)
		}
		fmt.Fprintf(w, "  log        %s\n", cfg.LogPath())
		return nil
	}
	cmd.AddCommand(check)
	return cmd
}
