package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"munjigi/internal/version"
)

func newVersionCmd(io IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "the version of this munjigi: the release, or the source revision it was built from",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(io.Out, "munjigi", version.String())
			return err
		},
	}
}
