// Package shareddata finds the public conformance data (EU DCC test cases,
// CertLogic suites, SMART Health Card examples) that tests read but the
// repository does not carry. It lives beside the checkout, in
// ../shared/testdata, or wherever MUNJIGI_TESTDATA points.
//
// Without it, tests that need it skip and say why; in CI (CI=true) they fail,
// so a conformance run can never pass by not running.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Env names the variable that overrides where the data is.
const Env = "MUNJIGI_TESTDATA"

// Root returns the shared test data directory, or "" when there is none.
func Root() string {
	if d := os.Getenv(Env); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	// Walk up to the module root (the directory with go.mod), then look
	// beside it.
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared", "testdata")
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return d
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Path returns the path of a data set under the shared test data, such as
// Path(t, "dgc-testdata"). When it is absent the test is skipped with the
// reason, or failed when CI=true.
func Path(t testing.TB, parts ...string) string {
	t.Helper()
	root := Root()
	p := filepath.Join(append([]string{root}, parts...)...)
	if root != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "conformance data " + filepath.Join(parts...) + " not found: it lives in ../shared/testdata beside the checkout (or set " + Env + ")"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true makes it mandatory")
	}
	t.Skip(msg)
	return ""
}
