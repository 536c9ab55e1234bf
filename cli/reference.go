package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// Reference is the command reference README shows: every command with its
// arguments and what it does, generated from the tree so the two cannot
// drift apart (a test holds README to it).
func Reference() string {
	root := newRoot(IO{})
	root.InitDefaultCompletionCmd()
	var b strings.Builder
	b.WriteString("| command | what it does |\n|---|---|\n")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" {
			return
		}
		if c.Runnable() && (c == root || !c.HasAvailableSubCommands()) {
			use := strings.TrimSpace(c.CommandPath() + strings.TrimPrefix(c.Use, c.Name()))
			fmt.Fprintf(&b, "| `%s` | %s |\n", strings.ReplaceAll(use, "|", `\|`), strings.ReplaceAll(c.Short, "|", `\|`))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return b.String()
}
