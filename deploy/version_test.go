package deploy

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var committed = time.Date(2026, 11, 30, 23, 20, 5, 0, time.FixedZone("KST", 9*3600))

var versionCases = []struct {
	described string
	untagged  bool
	want      string // "" for an error
}{
	{"v1.2.3", false, "1.2.3"},
	{"1.2.3", false, "1.2.3"},
	{"v1.2.3-rc.1", false, "1.2.3~rc.1"},
	{"v1.2.3-4-gabc1234", false, "1.2.3+4.gabc1234"},
	{"v1.2.3-rc.1-4-gabc1234", false, "1.2.3~rc.1+4.gabc1234"},
	{"v1.2.3-dirty", false, "1.2.3+dirty"},
	{"v1.2.3-4-gabc1234-dirty", false, "1.2.3+4.gabc1234.dirty"},
	{"v2", false, "2"},
	{"v10.0.0", false, "10.0.0"},
	{"abc1234", true, "0.0.0~git20261130142005.abc1234"},
	{"abc1234-dirty", true, "0.0.0~git20261130142005.abc1234.dirty"},
	{"0123abcd", true, "0.0.0~git20261130142005.0123abcd"},
	// Not a Debian version: clear errors, never a package named wrongly.
	{"release-1", false, ""},
	{"vX", false, ""},
	{"v", false, ""},
	{"", false, ""},
	{"v1.2.3_beta", false, ""},
	{"v1.2.3 ", false, ""},
	{"v1.2:3", false, ""},
	{"not-a-commit", true, ""},
	{"", true, ""},
}

func TestDebianVersion(t *testing.T) {
	for _, c := range versionCases {
		got, err := DebianVersion(c.described, c.untagged, committed)
		switch {
		case c.want == "" && !errors.Is(err, ErrVersion):
			t.Errorf("%q: got %q, %v; want ErrVersion", c.described, got, err)
		case c.want != "" && (err != nil || got != c.want):
			t.Errorf("%q: got %q, %v; want %q", c.described, got, err, c.want)
		}
	}
	if _, err := DebianVersion("abc1234", true, time.Time{}); !errors.Is(err, ErrVersion) {
		t.Errorf("an untagged tree with no commit time: %v", err)
	}
}

// TestVersionOrder: dpkg itself sorts the versions as the releases go, so
// each package upgrades the one before.
func TestVersionOrder(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("no dpkg here to compare versions with")
	}
	order := []struct {
		described string
		untagged  bool
		at        time.Time
	}{
		{"abc1234", true, committed},
		{"0def567", true, committed.Add(time.Second)}, // a later commit, whatever its name
		{"0def567-dirty", true, committed.Add(time.Second)},
		{"v0.1.0", false, time.Time{}},
		{"v1.2.3-rc.1", false, time.Time{}},
		{"v1.2.3-rc.1-2-gabc1234", false, time.Time{}},
		{"v1.2.3-rc.2", false, time.Time{}},
		{"v1.2.3", false, time.Time{}},
		{"v1.2.3-1-g0000001", false, time.Time{}},
		{"v1.2.3-10-g0000002", false, time.Time{}},
		{"v1.2.4", false, time.Time{}},
		{"v1.10.0", false, time.Time{}},
	}
	var prev string
	for _, o := range order {
		v, err := DebianVersion(o.described, o.untagged, o.at)
		if err != nil {
			t.Fatal(err)
		}
		if prev != "" {
			if err := exec.Command("dpkg", "--compare-versions", prev, "lt", v).Run(); err != nil {
				t.Errorf("dpkg does not sort %s (from %s) after %s", v, o.described, prev)
			}
		}
		prev = v
	}
	// A build from a changed tree comes after the clean one it started from.
	for _, d := range []string{"v1.2.3", "v1.2.3-1-g0000001", "v1.2.3-rc.1"} {
		clean, _ := DebianVersion(d, false, time.Time{})
		dirty, _ := DebianVersion(d+"-dirty", false, time.Time{})
		if err := exec.Command("dpkg", "--compare-versions", clean, "lt", dirty).Run(); err != nil {
			t.Errorf("dpkg does not sort %s after %s", dirty, clean)
		}
	}
}

func FuzzDebianVersion(f *testing.F) {
	for _, c := range versionCases {
		f.Add(c.described, c.untagged)
	}
	f.Fuzz(func(t *testing.T, described string, untagged bool) {
		v, err := DebianVersion(described, untagged, committed)
		if err != nil {
			if !errors.Is(err, ErrVersion) {
				t.Errorf("%q: %v is not ErrVersion", described, err)
			}
			return
		}
		if !debianUpstream.MatchString(v) {
			t.Errorf("%q made %q, not a Debian version", described, v)
		}
	})
}

// TestFromGit describes real repositories as the release script does.
func TestFromGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid",
			"GIT_AUTHOR_DATE=2026-11-30T14:20:05Z", "GIT_COMMITTER_DATE=2026-11-30T14:20:05Z")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "f"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := func(version, want string) {
		t.Helper()
		got, err := FromGit(dir, version)
		if err != nil || got != want {
			t.Errorf("FromGit(VERSION=%q) = %q, %v; want %q", version, got, err, want)
		}
	}

	if _, err := FromGit(dir, ""); !errors.Is(err, ErrVersion) {
		t.Errorf("not a checkout: %v", err)
	}
	check("v3.1.4", "3.1.4") // VERSION needs no checkout

	git("init", "-q")
	if _, err := FromGit(dir, ""); !errors.Is(err, ErrVersion) {
		t.Errorf("a checkout with no commit: %v", err)
	}
	write("1")
	git("add", "f")
	git("commit", "-qm", "one")
	head := git("rev-parse", "--short", "HEAD")
	check("", "0.0.0~git20261130142005."+head)
	write("2")
	check("", "0.0.0~git20261130142005."+head+".dirty")
	git("commit", "-qam", "two")
	git("tag", "v1.0.0")
	check("", "1.0.0")
	check("v1.0.1", "1.0.1") // VERSION wins over the tag
	write("3")
	git("commit", "-qam", "three")
	head = git("rev-parse", "--short", "HEAD")
	check("", "1.0.0+1.g"+head)
	git("tag", "release-2")
	if v, err := FromGit(dir, ""); !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "starts with a digit") {
		t.Errorf("a tag that is not a version: %q, %v", v, err)
	}
}
