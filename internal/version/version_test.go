package version

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func settings(kv ...string) []debug.BuildSetting {
	var s []debug.BuildSetting
	for i := 0; i+1 < len(kv); i += 2 {
		s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
	}
	return s
}

var describeCases = []struct {
	name    string
	release string
	main    string
	set     []debug.BuildSetting
	noInfo  bool
	want    string
}{
	{name: "a release", release: "1.2.3", main: "(devel)", set: settings("vcs.revision", "0123456789abcdef"), want: "1.2.3"},
	{name: "an untagged release", release: "0.0.0~git20261130142000.eae1ef0", want: "0.0.0~git20261130142000.eae1ef0"},
	{name: "a checkout build", main: "(devel)",
		set:  settings("vcs.revision", "eae1ef0a1b2c3d4e5f60718293a4b5c6d7e8f901", "vcs.time", "2026-11-30T14:20:00Z", "vcs.modified", "false"),
		want: "devel (eae1ef0a1b2c, 2026-11-30T14:20:00Z)"},
	{name: "with changes", main: "v0.0.0-20261130142000-eae1ef0a1b2c+dirty",
		set:  settings("vcs.revision", "eae1ef0a1b2c3d4e5f60718293a4b5c6d7e8f901", "vcs.time", "2026-11-30T14:20:00Z", "vcs.modified", "true"),
		want: "v0.0.0-20261130142000-eae1ef0a1b2c+dirty (eae1ef0a1b2c, 2026-11-30T14:20:00Z, modified)"},
	{name: "a module version, no VCS (go install)", main: "v1.4.0", want: "v1.4.0"},
	{name: "nothing stamped (-buildvcs=false)", main: "(devel)", want: "devel"},
	{name: "a short revision kept whole", main: "", set: settings("vcs.revision", "abc"), want: "devel (abc)"},
	{name: "no build information", noInfo: true, want: "unknown (no build information in the binary)"},
}

func TestDescribe(t *testing.T) {
	for _, c := range describeCases {
		t.Run(c.name, func(t *testing.T) {
			bi := &debug.BuildInfo{Main: debug.Module{Path: "munjigi", Version: c.main}, Settings: c.set}
			if c.noInfo {
				bi = nil
			}
			if got := describe(c.release, bi, !c.noInfo); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// FuzzDescribe: whatever the toolchain stamped, the answer is one
// non-empty line.
func FuzzDescribe(f *testing.F) {
	for _, c := range describeCases {
		var rev, at string
		for _, s := range c.set {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			}
		}
		f.Add(c.release, c.main, rev, at, true)
	}
	f.Fuzz(func(t *testing.T, release, main, rev, at string, modified bool) {
		if strings.ContainsAny(release+main+rev+at, "\r\n") {
			t.Skip("the toolchain and the release script never stamp a line break")
		}
		mod := "false"
		if modified {
			mod = "true"
		}
		bi := &debug.BuildInfo{Main: debug.Module{Version: main}, Settings: settings("vcs.revision", rev, "vcs.time", at, "vcs.modified", mod)}
		got := describe(release, bi, true)
		if got == "" || strings.Contains(got, "\n") {
			t.Errorf("describe = %q", got)
		}
		if release != "" && got != release {
			t.Errorf("the release version %q was not the answer: %q", release, got)
		}
	})
}

// TestStamped builds a program with the release script's -ldflags and
// runs it: the version it prints is the one stamped.
func TestStamped(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a program")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "v")
	build := exec.Command("go", "build", "-trimpath", "-o", bin,
		"-ldflags", "-s -w -X munjigi/internal/version.Version=9.8.7~rc.1+2.gabc1234", "./testdata/printversion")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "9.8.7~rc.1+2.gabc1234" {
		t.Errorf("the stamped binary says %q", got)
	}
	// Unstamped, it names the toolchain's view of the build.
	build = exec.Command("go", "build", "-o", bin, "./testdata/printversion")
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if out, err = exec.Command(bin).Output(); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "devel" {
		t.Errorf("an unstamped build without VCS information says %q", got)
	}
}
