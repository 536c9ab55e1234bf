package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is the release's version, set by scripts/release.sh with
// -ldflags "-X munjigi/cli.version=1.2.3"; empty in a development build.
var version string

func newVersionCmd(io IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "the version of this munjigi: the release, the module and the source revision",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(io.Out, Version())
			return err
		},
	}
}

// Version says which munjigi this is: the release version when it was
// built as one, and the module version and VCS revision from the build
// information.
func Version() string {
	v := "munjigi"
	if version != "" {
		v += " " + version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v + " (no build information)"
	}
	mod := bi.Main.Version
	if mod == "" {
		mod = "(devel)"
	}
	v += " module " + mod
	var rev, at string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " revision " + rev
		if dirty {
			v += "+modified"
		}
		if at != "" {
			v += " (" + at + ")"
		}
	}
	return v + " " + bi.GoVersion
}
