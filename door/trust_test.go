package door

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"munjigi/config"
	"munjigi/demo"
	"munjigi/upstream"
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

// signedList signs the demo list as the authority would, as version v.
func signedList(t *testing.T, key *ecdsa.PrivateKey, v int64, now time.Time) *upstream.Bundle {
	t.Helper()
	doc := map[string]any{}
	if err := json.Unmarshal(demo.TrustList(now), &doc); err != nil {
		t.Fatal(err)
	}
	doc["version"], doc["issuedAt"], doc["expiresAt"] = v, now.Add(-time.Hour).Format(time.RFC3339), now.AddDate(0, 0, 7).Format(time.RFC3339)
	list, _ := json.Marshal(doc)
	signed, err := upstream.Sign(list, key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := upstream.Open(signed, &key.PublicKey, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestListThatFailsToApplyIsNeverInForce: the door's trust owner puts a
// checked list in force only when all of it can be had; when the venue's
// rule file or a trust file has gone bad since start, the list in force
// stays, and status, doctor and trust show (which read InForce) say so
// (issue 12, item 2).
func TestListThatFailsToApplyIsNeverInForce(t *testing.T) {
	now := time.Now()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	os.Mkdir(rules, 0o700)
	file := writeFile(t, dir, "local.json", demo.TrustList(now))
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Policy.Rules = rules
	tr := newTrust(cfg, []string{file}, false, time.Now)
	if _, err := tr.initial(nil); err != nil {
		t.Fatal(err)
	}
	if err := tr.Apply(signedList(t, key, 1, now)); err != nil {
		t.Fatal(err)
	}
	if v := tr.Version(); v != 1 {
		t.Fatalf("version %d in force, want 1", v)
	}
	for _, tc := range []struct {
		name           string
		spoil, restore func()
	}{
		{"a venue rule that no longer reads",
			func() { writeFile(t, rules, "bad.json", []byte(`{"Identifier":`)) },
			func() { os.Remove(filepath.Join(rules, "bad.json")) }},
		{"a trust file gone",
			func() { os.Remove(file) },
			func() { writeFile(t, dir, "local.json", demo.TrustList(now)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spoil()
			defer tc.restore()
			before := tr.InForce()
			if err := tr.Apply(signedList(t, key, 2, now)); err == nil {
				t.Fatal("a list was applied though part of it cannot be had")
			}
			after := tr.InForce()
			if tr.Version() != 1 || after.Signed.Version != 1 || after.Trust != before.Trust {
				t.Errorf("in force after the failed apply: version %d, same trust %v", after.Signed.Version, after.Trust == before.Trust)
			}
		})
	}
	// Mended, the next list goes in force.
	if err := tr.Apply(signedList(t, key, 3, now)); err != nil || tr.Version() != 3 {
		t.Errorf("after mending: version %d (%v)", tr.Version(), err)
	}
}
