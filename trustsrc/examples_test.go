package trustsrc_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/internal/shareddata"
	"munjigi/trustsrc"
	"munjigi/verify"
)

// The SMART Health Cards specification's example issuer, carried through a
// directory snapshot signed here: its keys and revocation list as the
// examples publish them, converted, loaded, and the examples' QR codes
// decided at 2023-07-01 (after they were issued, 2023-06-22).

const examplesIss = "https://spec.smarthealth.cards/examples/issuer"

var examplesAt = time.Date(2023, 7, 1, 12, 0, 0, 0, time.UTC)

// examplesIssuer returns the example issuer's keys (as published) and its
// one revocation list (as a map, so a case can change it).
func examplesIssuer(t *testing.T) (string, []any, map[string]any) {
	dir := shareddata.Path(t, "health-cards", "examples")
	var jwks struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "issuer", ".well-known", "jwks.json")), &jwks); err != nil {
		t.Fatal(err)
	}
	keys := make([]any, len(jwks.Keys))
	for i, k := range jwks.Keys {
		keys[i] = k
	}
	files, err := filepath.Glob(filepath.Join(dir, "issuer", ".well-known", "crl", "*.json"))
	if err != nil || len(files) != 1 {
		t.Fatalf("the examples issuer's revocation lists: %v %v", files, err)
	}
	var crl map[string]any
	if err := json.Unmarshal(readFile(t, files[0]), &crl); err != nil {
		t.Fatal(err)
	}
	return dir, keys, crl
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// qrParts returns an example's QR texts, in order.
func qrParts(t *testing.T, dir, n string) []string {
	files, err := filepath.Glob(filepath.Join(dir, "example-"+n+"-f-qr-code-numeric-value-*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("example %s: no QR files (%v)", n, err)
	}
	var parts []string
	for _, f := range files {
		parts = append(parts, strings.TrimSpace(string(readFile(t, f))))
	}
	return parts
}

// TestExamplesIssuerThroughASnapshot: the examples issuer in a VCI-format
// snapshot decides example 00 (and 01, 02) as passes and 03 as revoked.
func TestExamplesIssuerThroughASnapshot(t *testing.T) {
	fixtures(t)
	dir, keys, published := examplesIssuer(t)
	type want struct {
		verdict verify.Verdict
		reason  verify.Reason
	}
	pass, revoked := want{verify.Pass, verify.ReasonOK}, want{verify.Fail, verify.ReasonRevoked}
	unknown := want{verify.Manual, verify.ReasonRevocationUnknown}
	for _, c := range []struct {
		name    string
		crl     func() map[string]any // nil: no revocation list in the snapshot
		convert bool                  // false: the kiosk trusts nothing
		want    map[string]want
	}{
		{"as the examples publish it", func() map[string]any { return published }, true,
			map[string]want{"00": pass, "01": pass, "02": pass, "03": revoked}},
		{`ctr written as a string, as the VCI directory does`, func() map[string]any { return with(published, "ctr", "1") }, true,
			map[string]want{"00": pass, "01": pass, "02": pass, "03": revoked}},
		// 01 is signed by the issuer's other key, which has no list.
		{`ctr unreadable: no card of that key passes`, func() map[string]any { return with(published, "ctr", "one") }, true,
			map[string]want{"00": unknown, "01": pass, "02": unknown, "03": unknown}},
		{"nothing converted: unknown issuer", func() map[string]any { return published }, false,
			map[string]want{"00": {verify.Manual, verify.ReasonUnknownSigner}, "03": {verify.Manual, verify.ReasonUnknownSigner}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := verify.NewTrust()
			if c.convert {
				data := snapshot(t, issuerInfo(examplesIss, keys, c.crl()))
				var out bytes.Buffer
				rep, err := trustsrc.Convert(&out, trustsrc.VCISnapshot, bytes.NewReader(data), vciVerification(t, data))
				if err != nil {
					t.Fatal(err)
				}
				if rep.IssuersKept != 1 || rep.Kept != len(keys) || rep.CRLs != 1 {
					t.Fatalf("kept %d issuers, %d keys, %d lists:\n%s", rep.IssuersKept, rep.Kept, rep.CRLs, joinNotes(rep.Skipped))
				}
				tr = load(t, out.Bytes())
			}
			for n, w := range c.want {
				v := verify.New(tr, func() time.Time { return examplesAt })
				var res verify.Result
				for _, part := range qrParts(t, dir, n) {
					res = v.Verify([]byte(part))
				}
				if res.Verdict != w.verdict || res.Reason != w.reason {
					t.Errorf("example %s: %s %s (%s), want %s %s", n, res.Verdict, res.Reason, res.Detail, w.verdict, w.reason)
				}
			}
		})
	}
}

// TestRevocationListCarriesOver: without the directory's revocation list
// example 03 is not found revoked, so it is the list carried over that
// fails it (the control for the test above).
func TestRevocationListCarriesOver(t *testing.T) {
	fixtures(t)
	dir, keys, _ := examplesIssuer(t)
	data := snapshot(t, issuerInfo(examplesIss, keys))
	var out bytes.Buffer
	if _, err := trustsrc.Convert(&out, trustsrc.VCISnapshot, bytes.NewReader(data), vciVerification(t, data)); err != nil {
		t.Fatal(err)
	}
	res := verify.New(load(t, out.Bytes()), func() time.Time { return examplesAt }).Verify([]byte(qrParts(t, dir, "03")[0]))
	if res.Reason == verify.ReasonRevoked {
		t.Fatalf("example 03 revoked without a revocation list: %s", res.Detail)
	}
}

// TestKidOverShortCoordinates: a card from an issuer that writes x without
// its leading zero byte and takes its kid over that spelling (as the
// Epic-hosted hospital issuers of the VCI directory do). The converter
// keeps the key under the issuer's kid, with x padded; whether the kiosk
// then uses it is verify's part.
func TestKidOverShortCoordinates(t *testing.T) {
	fixtures(t)
	key := p256(t, true)
	c := coords(t, &key.PublicKey)
	kid := tp(c[0][1:], c[1])
	iss := "https://hospital.test/FHIR/api/epic/2021/Security/Open/EcKeys/32001/SHC"
	data := snapshot(t, issuerInfo(iss, []any{with(jwk(t, key), "x", b64u(c[0][1:]), "kid", kid)}))
	var out bytes.Buffer
	rep, err := trustsrc.Convert(&out, trustsrc.VCISnapshot, bytes.NewReader(data), vciVerification(t, data))
	if err != nil {
		t.Fatal(err)
	}
	l := readList(t, out.Bytes())
	if k := l.SHC[0].JWKS.Keys[0]; k["kid"] != kid || k["x"] != b64u(c[0]) || len(rep.Warnings) != 1 {
		t.Fatalf("written %v; warnings %s", k, joinNotes(rep.Warnings))
	}

	card := demo.NewSHCIssuer(iss, key)
	jws, err := card.Sign(demo.HealthCard{
		IssuedAt: examplesAt.Add(-time.Hour), Rid: "AAAAAAAAAAA", Family: "Doe", Given: []string{"Jo"}, BirthDate: "1990-01-01",
		Shots:  []demo.Shot{{CVX: "207", Date: "2021-01-01"}, {CVX: "207", Date: "2021-02-01"}},
		Header: map[string]any{"alg": "ES256", "zip": "DEF", "kid": kid},
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := load(t, out.Bytes())
	res := verify.New(tr, func() time.Time { return examplesAt }).VerifyJWS(jws)
	if len(tr.Warnings()) > 0 {
		t.Errorf("verify refused the key (%q): it must accept the thumbprint over the coordinates without their leading zero bytes", tr.Warnings())
	}
	if res.Verdict != verify.Pass {
		t.Fatalf("%s %s (%s)", res.Verdict, res.Reason, res.Detail)
	}
}
