// Package version says which build of munjigi is running: the release it
// was cut as, or, for a build from a checkout, the commit it came from. A
// Pi owner reads it off 'munjigi version' to tell which package is
// installed; a bug report needs it to name the code.
package version

import (
	"runtime/debug"
	"strings"
)

// Version is the release version, set when the release is built
// (scripts/release.sh: -ldflags "-X munjigi/internal/version.Version=1.2.3").
// It is the same string as the Debian package's Version. Empty in a build
// that did not go through the release script.
var Version string

// String is the version to show: Version when the release script set it,
// else what the Go toolchain stamped into the binary (the module version,
// and the commit, its time, and whether the tree had changes).
func String() string {
	bi, ok := debug.ReadBuildInfo()
	return describe(Version, bi, ok)
}

// describe is String with its inputs given, so every case can be tested.
func describe(release string, bi *debug.BuildInfo, ok bool) string {
	if release != "" {
		return release
	}
	if !ok || bi == nil {
		return "unknown (no build information in the binary)"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	var vcs []string
	for _, s := range []string{rev, at} {
		if s != "" {
			vcs = append(vcs, s)
		}
	}
	if modified {
		vcs = append(vcs, "modified")
	}
	if len(vcs) == 0 {
		return v
	}
	return v + " (" + strings.Join(vcs, ", ") + ")"
}
