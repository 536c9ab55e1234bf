package trustsrc_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"munjigi/trustsrc"
)

// The fuzz targets sign whatever the fuzzer makes, so they reach the
// parsers behind the signature check (a fuzzer cannot forge one), and
// check what must hold of any source: no panic; a refusal writes nothing
// and names its reason; what is written is one JSON list the kiosk loads,
// and the report adds up. Seeds: the table tests' sources.

var sentinels = []error{trustsrc.ErrFormat, trustsrc.ErrKey, trustsrc.ErrSignature, trustsrc.ErrUnsigned,
	trustsrc.ErrTooLarge, trustsrc.ErrMalformed, trustsrc.ErrEmpty}

func checkConverted(t *testing.T, out []byte, rep trustsrc.Report, err error) {
	t.Helper()
	if err != nil {
		if len(out) != 0 {
			t.Fatalf("%d bytes written with %v", len(out), err)
		}
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("a refusal without a reason: %v", err)
	}
	if !json.Valid(out) {
		t.Fatalf("not JSON:\n%s", out)
	}
	tr := load(t, out)
	if rep.Kept == 0 || rep.Kept > rep.Read {
		t.Fatalf("kept %d of %d", rep.Kept, rep.Read)
	}
	if rep.Format == trustsrc.VCISnapshot {
		if rep.IssuersKept > rep.Issuers || tr.SHCIssuers() > rep.IssuersKept {
			t.Fatalf("issuers: %d read, %d kept, %d trusted", rep.Issuers, rep.IssuersKept, tr.SHCIssuers())
		}
		return
	}
	if rep.Kept+len(rep.Skipped) != rep.Read || tr.Signers() > rep.Kept {
		t.Fatalf("read %d, kept %d, skipped %d, trusted %d", rep.Read, rep.Kept, len(rep.Skipped), tr.Signers())
	}
}

func FuzzDSCList(f *testing.F) {
	fixtures(f)
	for _, c := range dscCases() {
		es := c.entries(f)
		f.Add(deBody(f, es...))
		f.Add(mustJSON(f, es))
	}
	f.Add([]byte(`{"certificates":null}`))
	f.Add([]byte(`{"certificates":[{"certificateType":"DSC","rawData":"AAAA"}],"certificates":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var out bytes.Buffer
		rep, err := trustsrc.Convert(&out, trustsrc.DEDSCG, bytes.NewReader(signDE(t, backendKey, body)), deVerification(t))
		if errors.Is(err, trustsrc.ErrSignature) {
			t.Fatalf("a list signed with the key refused: %v", err)
		}
		checkConverted(t, out.Bytes(), rep, err)
		out.Reset()
		rep, err = trustsrc.Convert(&out, trustsrc.DCCG, bytes.NewReader(body), trustsrc.Verification{AllowUnsigned: true})
		checkConverted(t, out.Bytes(), rep, err)
	})
}

func FuzzVCISnapshot(f *testing.F) {
	fixtures(f)
	for _, c := range vciCases() {
		f.Add(snapshot(f, c.issuers(f)...))
	}
	f.Add([]byte(`{"issuerInfo":[{"issuer":{"iss":"https://a"},"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}],"crls":[null,1,{"kid":1}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		rep, err := trustsrc.Convert(&out, trustsrc.VCISnapshot, bytes.NewReader(data), vciVerification(t, data))
		if errors.Is(err, trustsrc.ErrSignature) && !strings.Contains(err.Error(), "outside its certificate's validity") {
			t.Fatalf("a snapshot signed with the certificate refused: %v", err)
		}
		checkConverted(t, out.Bytes(), rep, err)
	})
}

// FuzzTamper: a signed source with any one byte changed is refused whole.
func FuzzTamper(f *testing.F) {
	fixtures(f)
	de := signDE(f, backendKey, deBody(f, entry(dsc(f, "a"), "DSC", "DE"), entry(dsc(f, "b"), "DSC", "FR")))
	vci := snapshot(f, issuerInfo("https://issuer.test", []any{jwk(f, p256(f, false))}, crl("k", "1")))
	vciV := vciVerification(f, vci)
	for _, pos := range []uint32{0, 1, 88, 89, 90, 500, uint32(len(de) - 1)} {
		f.Add(pos, byte('A'))
		f.Add(pos, byte(0))
	}
	f.Fuzz(func(t *testing.T, pos uint32, b byte) {
		for _, c := range []struct {
			format trustsrc.Format
			data   []byte
			v      trustsrc.Verification
		}{{trustsrc.DEDSCG, de, deVerification(t)}, {trustsrc.VCISnapshot, vci, vciV}} {
			i := int(pos % uint32(len(c.data)))
			if c.data[i] == b {
				continue
			}
			changed := bytes.Clone(c.data)
			changed[i] = b
			var out bytes.Buffer
			_, err := trustsrc.Convert(&out, c.format, bytes.NewReader(changed), c.v)
			// A change in the first line can leave it unreadable rather
			// than wrong: refused either way.
			if !errors.Is(err, trustsrc.ErrSignature) && !errors.Is(err, trustsrc.ErrMalformed) || out.Len() != 0 {
				t.Fatalf("%s with byte %d set to %#x: %v, %d bytes written", c.format, i, b, err, out.Len())
			}
		}
	})
}
