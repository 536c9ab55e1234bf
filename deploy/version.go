package deploy

import (
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrVersion is returned for a version that cannot be made into a Debian
// one.
var ErrVersion = errors.New("deploy: not a release version")

var (
	// described is git describe --tags --always --dirty on a tagged
	// tree: the tag, the commits since it and the commit, and "-dirty".
	described = regexp.MustCompile(`^(.+?)(?:-([0-9]+)-g([0-9a-f]{4,40}))?(-dirty)?$`)
	// snapshot is the same on a tree with no tag: the commit alone.
	snapshot = regexp.MustCompile(`^([0-9a-f]{4,40})(-dirty)?$`)
	// debianUpstream is a Debian upstream version with no revision: it
	// starts with a digit, and a hyphen would start a revision.
	debianUpstream = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)
)

// DebianVersion makes a Debian package version from git's description of
// the tree (git describe --tags --always --dirty), or from a version given
// by hand, read the same way. Versions sort as the releases do, in dpkg's
// order, so each package upgrades the one before it:
//
//	v1.2.3                 1.2.3
//	v1.2.3-rc.1            1.2.3~rc.1          (before 1.2.3)
//	v1.2.3-4-gabc1234      1.2.3+4.gabc1234    (after 1.2.3, before 1.2.4)
//	v1.2.3-dirty           1.2.3+dirty
//	abc1234 (no tag)       0.0.0~git20261130142000.abc1234   (the commit's time, UTC)
//
// untagged says the tree has no tag to describe it by, so described is a
// commit name; committed is then that commit's time. A Debian version must
// start with a digit: a tag that does not (after its "v") is an error.
func DebianVersion(describedAs string, untagged bool, committed time.Time) (string, error) {
	if untagged {
		m := snapshot.FindStringSubmatch(describedAs)
		if m == nil {
			return "", fmt.Errorf("%w: %q is not a commit name", ErrVersion, describedAs)
		}
		if committed.IsZero() {
			return "", fmt.Errorf("%w: the time of commit %s is unknown", ErrVersion, m[1])
		}
		v := "0.0.0~git" + committed.UTC().Format("20060102150405") + "." + m[1]
		if m[2] != "" {
			v += ".dirty"
		}
		return v, nil
	}
	m := described.FindStringSubmatch(describedAs)
	if m == nil {
		return "", fmt.Errorf("%w: no version given", ErrVersion)
	}
	tag, ahead, commit, dirty := m[1], m[2], m[3], m[4] != ""
	v := strings.TrimPrefix(tag, "v")
	// A pre-release (v1.2.3-rc.1) sorts before its release: "~" does that
	// in dpkg, where "-" would start a Debian revision.
	v = strings.ReplaceAll(v, "-", "~")
	if ahead != "" {
		v += "+" + ahead + ".g" + commit
	}
	if dirty {
		if strings.Contains(v, "+") {
			v += ".dirty"
		} else {
			v += "+dirty"
		}
	}
	if !debianUpstream.MatchString(v) {
		return "", fmt.Errorf("%w: %q makes %q; a Debian version starts with a digit and holds only letters, digits and . + ~ (tag releases vX.Y.Z, or set VERSION)", ErrVersion, describedAs, v)
	}
	return v, nil
}

// FromGit is the Debian version of the tree at dir: VERSION when it is
// given (read as a tag is), else git's description of the tree.
func FromGit(dir, version string) (string, error) {
	if version != "" {
		return DebianVersion(version, false, time.Time{})
	}
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
			}
			return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	desc, err := git("describe", "--tags", "--always", "--dirty")
	if err != nil {
		return "", fmt.Errorf("%w: not a git checkout with a commit (set VERSION): %w", ErrVersion, err)
	}
	// With no tag behind HEAD, --always names the commit alone.
	_, noTag := git("describe", "--tags", "--abbrev=0")
	if noTag != nil {
		ct, err := git("log", "-1", "--format=%ct")
		if err != nil {
			return "", err
		}
		secs, err := strconv.ParseInt(ct, 10, 64)
		if err != nil {
			return "", fmt.Errorf("git log: commit time %q: %w", ct, err)
		}
		return DebianVersion(desc, true, time.Unix(secs, 0))
	}
	return DebianVersion(desc, false, time.Time{})
}
