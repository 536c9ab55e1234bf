package authority

import (
	"bytes"
	"crypto/elliptic"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/trustsrc"
	"munjigi/verify"
)

// TestListSources is issue 15 item 2 on bbolt; TestPostgresListSources is
// the same on PostgreSQL, where the last good content is shared by the
// servers of one database.
func TestListSources(t *testing.T) { runListSources(t, nil) }

func TestPostgresListSources(t *testing.T) { runListSources(t, openPostgres(t)) }

// runListSources: a server with key sources beside trust.json publishes a
// list whose keys decide passes and cards their issuers signed, on a
// kiosk that synced it; a source that stops verifying (tampered, its key
// rotated wrongly, truncated) keeps its last good content in the list, is
// reported, and makes no new version unless something else changed;
// fixed, it publishes again.
func runListSources(t *testing.T, st Store) {
	p := newPublishers(t)
	dir := t.TempDir()
	l := newListDir(t, dir)
	l.write("trust.json", demo.TrustList(now0))
	a, b := dscIssuer(t), dscIssuer(t)
	card := shcIssuer(t, "https://issuer.test/cards")
	l.writeEU(p, p.backend, a.Certificate())
	l.writeSHC(p, card)
	l.writeJSON(SourcesFile, []SourceSpec{euSpec, shcSpec})
	var log logBuffer
	ts := newServer(t, Config{DataDir: dir, Log: log.logger()}, st)
	door := newKiosk(t, ts)

	version := func(want int64) string {
		t.Helper()
		resp, _ := getList(t, ts.url, "")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("ETag"), `"v`) {
			t.Fatalf("the list: %s", resp.Status)
		}
		l, _ := ts.Store().CurrentList(ctxT(t), 0)
		if l.Version != want {
			t.Fatalf("version %d, want %d", l.Version, want)
		}
		return resp.Header.Get("ETag")
	}
	states := func(want ...SourceState) []SourceStatus {
		t.Helper()
		got := ts.Sources()
		if len(got) != len(want) {
			t.Fatalf("%d sources reported, want %d", len(got), len(want))
		}
		for i, s := range got {
			if s.State != want[i] {
				t.Fatalf("source %s is %s (%v), want %s", s.Name, s.State, s.Err, want[i])
			}
		}
		return got
	}
	decides := func(what, qr string, want verify.Reason) {
		t.Helper()
		if r := door.check(qr); r.Reason != want {
			t.Fatalf("%s: %s %s (%s), want %s", what, r.Verdict, r.Reason, r.Detail, want)
		}
	}
	demoPasses, err := demo.Passes(now0)
	if err != nil {
		t.Fatal(err)
	}

	etag := version(1)
	if !door.sync() {
		t.Fatal("the kiosk took no list")
	}
	got := states(SourceVerified, SourceVerified)
	if got[0].Report.Kept != 1 || got[1].Report.IssuersKept != 1 || got[0].VerifiedAt != now0 {
		t.Errorf("reported %+v", got)
	}
	decides("a pass by the eu source's signer", passBy(t, a), verify.ReasonOK)
	decides("a card by the shc source's issuer", cardBy(t, card), verify.ReasonOK)
	decides("the demo pass, from trust.json", demoPasses[0].Payload, verify.ReasonOK)
	decides("a pass by a signer in no source", passBy(t, b), verify.ReasonUnknownSigner)

	// Tampered: b added to the list under a's signature.
	good := l.read(euSpec.File)
	tampered := deList(t, p.backend, a.Certificate(), b.Certificate())
	nl := bytes.IndexByte(good, '\n')
	l.write(euSpec.File, append(good[:nl+1:nl+1], tampered[bytes.IndexByte(tampered, '\n')+1:]...))
	if resp, _ := getList(t, ts.url, etag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("a tampered source made a new version: %s %s", resp.Status, resp.Header.Get("ETag"))
	}
	got = states(SourceLastGood, SourceVerified)
	if !errors.Is(got[0].Err, trustsrc.ErrSignature) || got[0].Hash == "" || !strings.Contains(got[0].String(), "DOES NOT VERIFY") {
		t.Errorf("the tampered source is reported as %v", got[0])
	}
	if s := log.String(); !strings.Contains(s, "level=WARN") || !strings.Contains(s, "list source does not verify") {
		t.Errorf("the log does not say so:\n%s", s)
	}
	if door.sync() {
		t.Error("the kiosk took a new list")
	}

	// Another change: a new version, with the source's last good content.
	l.write("rules/VR-KR-0099.json", []byte(ruleJSON))
	etag = version(2)
	if !door.sync() {
		t.Fatal("the kiosk took no new list")
	}
	decides("a pass by the last good content's signer", passBy(t, a), verify.ReasonOK)
	decides("a pass by the signer the tampered list added", passBy(t, b), verify.ReasonUnknownSigner)

	// Fixed: a new version of the source, signed, publishes.
	l.write(euSpec.File, deList(t, p.backend, a.Certificate(), b.Certificate()))
	etag = version(3)
	states(SourceVerified, SourceVerified)
	door.sync()
	decides("a pass by the new source version's signer", passBy(t, b), verify.ReasonOK)
	decides("the card", cardBy(t, card), verify.ReasonOK)

	// The key rotated wrongly, then the list truncated: the last good
	// content each time, and no new version.
	fixed := l.read(euSpec.File)
	for _, c := range []struct {
		name string
		do   func()
		want error
	}{
		{"the wrong key", func() { l.write(euSpec.Key, pubPEM(t, mustKey(t, elliptic.P256()))) }, trustsrc.ErrSignature},
		{"the key back, the list truncated", func() {
			l.write(euSpec.Key, pubPEM(t, p.backend))
			l.write(euSpec.File, fixed[:len(fixed)/2])
		}, trustsrc.ErrSignature},
		{"the list gone", func() { os.Remove(filepath.Join(l.dir, euSpec.File)) }, os.ErrNotExist},
	} {
		c.do()
		if resp, _ := getList(t, ts.url, etag); resp.StatusCode != http.StatusNotModified {
			t.Fatalf("%s: a new version: %s", c.name, resp.Status)
		}
		if got := states(SourceLastGood, SourceVerified); !errors.Is(got[0].Err, c.want) {
			t.Errorf("%s: reported %v, want %v", c.name, got[0].Err, c.want)
		}
	}
	door.sync()
	decides("a pass by the last good content's signer", passBy(t, b), verify.ReasonOK)

	// The same content as the last good, verified again: nothing new.
	l.write(euSpec.File, fixed)
	if resp, _ := getList(t, ts.url, etag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("the last good content again made a new version: %s", resp.Status)
	}
	states(SourceVerified, SourceVerified)

	// Half the list's validity on: the same content signed again.
	ts.advance(4 * 24 * time.Hour)
	version(4)
	if !door.sync() {
		t.Fatal("the kiosk took no list signed again")
	}
	decides("a pass by the source's signer, in the list signed again", passBy(t, b), verify.ReasonOK)
	decides("the card, in the list signed again", cardBy(t, card), verify.ReasonOK)
}

// TestListSourceNeverVerified: a source that has never verified is left
// out, and the list publishes without it; the log says so at error level
// and the start report names it. Once it verifies, a new version has it.
func TestListSourceNeverVerified(t *testing.T) {
	p := newPublishers(t)
	dir := t.TempDir()
	l := newListDir(t, dir)
	l.write("trust.json", demo.TrustList(now0))
	a := dscIssuer(t)
	card := shcIssuer(t, "https://issuer.test/cards")
	l.writeEU(p, mustKey(t, elliptic.P256()), a.Certificate()) // signed by a key that is not the backend's
	l.writeSHC(p, card)
	l.writeJSON(SourcesFile, []SourceSpec{euSpec, shcSpec})
	var log logBuffer
	ts := newServer(t, Config{DataDir: dir, Log: log.logger()}, nil)

	rep := ts.CheckList()
	if rep.List == nil || rep.List.Version != 1 || rep.Err != nil || len(rep.Sources) != 2 {
		t.Fatalf("at start: %+v", rep)
	}
	eu := rep.Sources[0]
	if eu.State != SourceLeftOut || !errors.Is(eu.Err, trustsrc.ErrSignature) || eu.Hash != "" || rep.Sources[1].State != SourceVerified {
		t.Fatalf("reported %+v", rep.Sources)
	}
	var text strings.Builder
	rep.WriteText(&text)
	for _, want := range []string{"trust list version 1", "list source eu (de-dscg, list/de/dsc-list.json): DOES NOT VERIFY", "never has: it is left out",
		"list source shc (vci-snapshot, list/vci/vci_snapshot.json): verified: 1 issuers kept of 1"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the start report does not say %q:\n%s", want, text.String())
		}
	}
	if s := log.String(); !strings.Contains(s, "level=ERROR") || !strings.Contains(s, "left out of the list") {
		t.Errorf("the log does not say so:\n%s", s)
	}
	door := newKiosk(t, ts)
	door.sync()
	if r := door.check(passBy(t, a)); r.Reason != verify.ReasonUnknownSigner {
		t.Fatalf("a pass by a signer of the source left out: %s", r.Reason)
	}
	if r := door.check(cardBy(t, card)); r.Reason != verify.ReasonOK {
		t.Fatalf("a card by the other source's issuer: %s %s", r.Reason, r.Detail)
	}

	l.writeEU(p, p.backend, a.Certificate())
	if rep := ts.CheckList(); rep.List.Version != 2 || rep.Sources[0].State != SourceVerified {
		t.Fatalf("once it verifies: version %d, %v", rep.List.Version, rep.Sources[0])
	}
	door.sync()
	if r := door.check(passBy(t, a)); r.Reason != verify.ReasonOK {
		t.Fatalf("a pass by its signer: %s %s", r.Reason, r.Detail)
	}
}

// TestListSourcesDeclaration: a sources.json that cannot be followed
// makes no new version (as a broken trust.json does not), and says why;
// the list in force stays.
func TestListSourcesDeclaration(t *testing.T) {
	p := newPublishers(t)
	dir := t.TempDir()
	l := newListDir(t, dir)
	l.write("trust.json", demo.TrustList(now0))
	l.writeEU(p, p.backend, dscIssuer(t).Certificate())
	ts := newServer(t, Config{DataDir: dir}, nil)
	if rep := ts.CheckList(); rep.List == nil || rep.List.Version != 1 || rep.Sources != nil {
		t.Fatalf("without sources.json: %+v", rep)
	}
	l.write(SourcesFile, []byte(`[{"name":"eu","format":"de-dscg","file":"de/dsc-list.json","keyfile":"de/key.pem"}]`))
	rep := ts.CheckList()
	if rep.List == nil || rep.List.Version != 1 || !errors.Is(rep.Err, ErrSources) || !strings.Contains(rep.Err.Error(), "keyfile") {
		t.Fatalf("a misspelt member: %+v", rep)
	}
	l.writeJSON(SourcesFile, []SourceSpec{euSpec})
	if rep := ts.CheckList(); rep.List.Version != 2 || rep.Err != nil || rep.Sources[0].State != SourceVerified {
		t.Fatalf("mended: %+v", rep)
	}
}

// TestPostgresListSourcesFleet: the last good content is the store's, not
// one server's: a server that joins with a source that does not verify
// (and never did, on that machine) takes what the others verified, rather
// than publishing a list without it.
func TestPostgresListSourcesFleet(t *testing.T) {
	st := openPostgres(t)
	p := newPublishers(t)
	a := dscIssuer(t)
	dirA, dirB := t.TempDir(), t.TempDir()
	la, lb := newListDir(t, dirA), newListDir(t, dirB)
	for _, l := range []*listDir{la, lb} {
		l.write("trust.json", demo.TrustList(now0))
		l.writeJSON(SourcesFile, []SourceSpec{euSpec})
	}
	la.writeEU(p, p.backend, a.Certificate())
	first := newServer(t, Config{DataDir: dirA}, st)
	if rep := first.CheckList(); rep.List.Version != 1 || rep.Sources[0].State != SourceVerified {
		t.Fatalf("the first server: %+v", rep)
	}
	// The second: the same key (servers of one store sign alike), newer
	// files, and its copy of the source truncated.
	key, err := os.ReadFile(filepath.Join(dirA, signingKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dirB, signingKeyFile), key, 0o600)
	good := la.read(euSpec.File)
	lb.write(euSpec.Key, pubPEM(t, p.backend))
	lb.write(euSpec.File, good[:len(good)-10])
	second := newServer(t, Config{DataDir: dirB}, st)
	rep := second.CheckList()
	if rep.List.Version != 1 || rep.Sources[0].State != SourceLastGood || rep.Sources[0].Hash != first.Sources()[0].Hash {
		t.Fatalf("the second server: version %d, %v", rep.List.Version, rep.Sources[0])
	}
	door := newKiosk(t, second)
	door.sync()
	if r := door.check(passBy(t, a)); r.Reason != verify.ReasonOK {
		t.Fatalf("a pass by the source's signer, through the second server: %s", r.Reason)
	}
}
