package authority

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"munjigi/demo"
	"munjigi/internal/shareddata"
	"munjigi/trustsrc"
	"munjigi/verify"
)

// TestListRealSources: the German backend's DSC list and the VCI
// directory's snapshot, as published and signed, declared beside the demo
// trust.json: the server converts them, and a kiosk that syncs its list
// holds every key that converting each on its own and loading it gives;
// a changed byte in one keeps its last good content and no new version.
func TestListRealSources(t *testing.T) {
	de := shareddata.Path(t, "trust-sources", "de-dscg")
	vci := shareddata.Path(t, "trust-sources", "vci-directory")
	dir := t.TempDir()
	l := newListDir(t, dir)
	copyIn := func(from, to string) []byte {
		t.Helper()
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		l.write(to, b)
		return b
	}
	trust := demo.TrustList(now0)
	l.write("trust.json", trust)
	deList := copyIn(filepath.Join(de, "dsc-list.json"), "de/dsc-list.json")
	copyIn(filepath.Join(de, "dsc-list-signing-key.pem"), "de/key.pem")
	copyIn(filepath.Join(vci, "vci_snapshot.json"), "vci/vci_snapshot.json")
	copyIn(filepath.Join(vci, "vci_snapshot.crt"), "vci/vci_snapshot.crt")
	copyIn(filepath.Join(vci, "vci_snapshot.sig"), "vci/vci_snapshot.sig")
	l.writeJSON(SourcesFile, []SourceSpec{euSpec, shcSpec})

	// What the kiosk should hold: each source converted on its own, all
	// loaded into one Trust as a kiosk loads trust files.
	want := verify.NewTrust()
	if err := want.AddList(trust); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		spec      SourceSpec
		key, cert string
		sig       string
	}{
		{euSpec, filepath.Join(de, "dsc-list-signing-key.pem"), "", ""},
		{shcSpec, "", filepath.Join(vci, "vci_snapshot.crt"), filepath.Join(vci, "vci_snapshot.sig")},
	} {
		v, err := trustsrc.ReadVerification(c.key, c.cert, c.sig, false)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join(l.dir, c.spec.File))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		_, err = trustsrc.Convert(&out, c.spec.Format, f, v)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := want.AddList(out.Bytes()); err != nil {
			t.Fatal(err)
		}
	}

	ts := newServer(t, Config{DataDir: dir}, nil)
	rep := ts.CheckList()
	if rep.List == nil || rep.Err != nil || rep.Sources[0].State != SourceVerified || rep.Sources[1].State != SourceVerified {
		t.Fatalf("the real sources: %+v", rep)
	}
	door := newKiosk(t, ts)
	door.sync()
	got := door.held.last.Trust
	if got.Signers() != want.Signers() || got.SHCIssuers() != want.SHCIssuers() || want.Signers() < 500 || want.SHCIssuers() < 600 {
		t.Fatalf("the kiosk holds %d signers and %d issuers; converted on their own, %d and %d",
			got.Signers(), got.SHCIssuers(), want.Signers(), want.SHCIssuers())
	}
	var text strings.Builder
	rep.WriteText(&text)
	t.Logf("published: %d bytes, %d signers, %d issuers\n%s", len(rep.List.Signed), got.Signers(), got.SHCIssuers(), text.String())

	etag := rep.List.ETag
	changed := bytes.Clone(deList)
	changed[len(changed)/2] ^= 1
	l.write("de/dsc-list.json", changed)
	if resp, _ := getList(t, ts.url, etag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("a changed byte made a new version: %s", resp.Status)
	}
	if st := ts.Sources()[0]; st.State != SourceLastGood || !errors.Is(st.Err, trustsrc.ErrSignature) {
		t.Fatalf("a changed byte: %v", st)
	}
}
