package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"munjigi/policy"
)

func newRulesCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules list|test",
		Short: "the venue rule profiles munjigi ships, and rule tests",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return usageError("say list or test") },
	}
	list := &cobra.Command{
		Use:   "list [--lang ko|en]",
		Short: "the rule profiles munjigi ships, with their rules",
		Args:  cobra.NoArgs,
	}
	s := newSettings(list)
	s.lang()
	list.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := s.load()
		if err != nil {
			return err
		}
		for _, name := range policy.Names() {
			p, err := policy.Builtin(name)
			if err != nil {
				return err
			}
			def := ""
			if name == policy.DefaultProfile {
				def = " (default)"
			}
			fmt.Fprintf(io.Out, "%s%s\n  %s\n", name, def, p.Describe(cfg.Language))
			for _, r := range p.Rules {
				fmt.Fprintf(io.Out, "    %-14s %-11s %-11s %s\n", r.ID, r.Type, r.CertificateType, r.Describe(cfg.Language))
			}
			fmt.Fprintln(io.Out)
		}
		return nil
	}
	test := &cobra.Command{
		Use:   "test PATH...",
		Short: "run rule tests",
		Long: `Runs rule tests: a folder holding rule.json and tests/*.json, a folder of such
folders, or a CertLogic test-suite file ({name, cases}). Prints each failure
and ends with "N passed, M failed"; exit status 1 when any failed.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("name at least one PATH")
			}
			return nil
		},
		RunE: func(c *cobra.Command, paths []string) error {
			outcomes, err := policy.RunTests(paths...)
			if err != nil {
				// A path that is not tests at all: say so rather than count.
				return err
			}
			passed, failed, skipped := 0, 0, 0
			for _, o := range outcomes {
				switch {
				case o.Skipped:
					skipped++
				case o.Err != nil:
					failed++
					fmt.Fprintf(io.Out, "FAIL %s: %v\n", o.Name, o.Err)
				default:
					passed++
				}
			}
			if skipped > 0 {
				fmt.Fprintf(io.Out, "%d skipped by their suites' own directives\n", skipped)
			}
			fmt.Fprintf(io.Out, "%d passed, %d failed\n", passed, failed)
			if failed > 0 {
				return notPass(nil)
			}
			return nil
		},
	}
	cmd.AddCommand(list, test)
	return cmd
}
