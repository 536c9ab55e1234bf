package door

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"munjigi/config"
	"munjigi/demo"
	"munjigi/verify"
)

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTrustFiles: the files a door trusts add up; the same keys twice
// count once; a file that cannot be used is named, and a door with one
// trusts nothing from the rest (half a trust list is never used).
func TestTrustFiles(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	list := writeFile(t, dir, "list.json", demo.TrustList(now))
	again := writeFile(t, dir, "again.json", demo.TrustList(now))
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrust(cfg, []string{list, again}, false, time.Now)
	got, err := tr.initial(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := verify.NewTrust()
	want.AddList(demo.TrustList(now))
	if got.Signers() != want.Signers() || got.Signers() == 0 {
		t.Errorf("%d signers from the list twice, want %d", got.Signers(), want.Signers())
	}
	if in := tr.InForce(); in.Keys() != got.Signers()+got.SHCIssuers() || len(in.Files) != 2 {
		t.Errorf("in force: %d keys, files %v", in.Keys(), in.Files)
	}

	bad := writeFile(t, dir, "bad.json", []byte(`{"version":`))
	empty := writeFile(t, dir, "empty.pem", nil)
	large := writeFile(t, dir, "large.pem", demo.TrustList(now))
	if err := os.Truncate(large, verify.MaxTrustFile+1); err != nil { // a hole: no disk
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files []string
		is    error
	}{
		{"missing", []string{filepath.Join(dir, "missing.pem")}, fs.ErrNotExist},
		{"missing after a good file", []string{list, filepath.Join(dir, "missing.pem")}, fs.ErrNotExist},
		{"bad content after a good file", []string{list, bad}, verify.ErrTrust},
		{"over the cap", []string{large}, verify.ErrTrust},
		{"empty", []string{empty}, nil},
		{"a directory", []string{dir}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTrust(cfg, tc.files, false, time.Now)
			got, err := tr.initial(nil)
			if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("error %v, want one wrapping %v", err, tc.is)
			}
			if last := tc.files[len(tc.files)-1]; !strings.Contains(err.Error(), last) {
				t.Errorf("error %q does not name %s", err, last)
			}
			if got != nil || tr.InForce().Trust != nil {
				t.Error("a Trust was put in force with the error")
			}
		})
	}
}
