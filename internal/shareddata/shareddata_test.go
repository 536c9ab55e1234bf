package shareddata

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder stands in for a test: it records what Path asks of it instead of
// stopping the goroutine, so both outcomes can be checked.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()           {}
func (r *recorder) Skip(args ...any)  { r.skipped = args[0].(string) }
func (r *recorder) Fatal(args ...any) { r.failed = args[0].(string) }

func TestPath(t *testing.T) {
	data := t.TempDir()
	if err := os.Mkdir(filepath.Join(data, "dgc-testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, root, ci, set string
		want                string // "path", "skip" or "fail"
	}{
		{"present", data, "", "dgc-testdata", "path"},
		{"present in CI", data, "true", "dgc-testdata", "path"},
		{"set missing", data, "", "certlogic", "skip"},
		{"set missing in CI", data, "true", "certlogic", "fail"},
		{"root missing", filepath.Join(data, "nowhere"), "", "dgc-testdata", "skip"},
		{"root missing in CI", filepath.Join(data, "nowhere"), "true", "dgc-testdata", "fail"},
		{"CI=false is not CI", filepath.Join(data, "nowhere"), "false", "dgc-testdata", "skip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(Env, tc.root)
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			p := Path(r, tc.set)
			got := "path"
			switch {
			case r.failed != "":
				got = "fail"
			case r.skipped != "":
				got = "skip"
			}
			if got != tc.want {
				t.Fatalf("Path = %q, skip %q, fail %q; want %s", p, r.skipped, r.failed, tc.want)
			}
			if got == "path" && p != filepath.Join(tc.root, tc.set) {
				t.Errorf("Path = %q", p)
			}
			if msg := r.skipped + r.failed; got != "path" && !strings.Contains(msg, Env) {
				t.Errorf("the message %q does not say how to point at the data", msg)
			}
		})
	}
}
