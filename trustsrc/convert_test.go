package trustsrc_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"munjigi/trustsrc"
	"munjigi/verify"
)

// refusal is a source Convert must refuse whole.
type refusal struct {
	name   string
	format trustsrc.Format
	src    func(t testing.TB) ([]byte, trustsrc.Verification)
	want   error
}

func refusals() []refusal {
	goodDE := func(t testing.TB) []byte {
		return signDE(t, backendKey, deBody(t, entry(dsc(t, "a"), "DSC", "DE")))
	}
	goodVCI := func(t testing.TB) []byte {
		return snapshot(t, issuerInfo("https://issuer.test", []any{jwk(t, p256(t, false))}))
	}
	de := func(mut func(t testing.TB, signed []byte) []byte) func(t testing.TB) ([]byte, trustsrc.Verification) {
		return func(t testing.TB) ([]byte, trustsrc.Verification) {
			return mut(t, goodDE(t)), deVerification(t)
		}
	}
	vci := func(mut func(t testing.TB, data []byte, v *trustsrc.Verification) []byte) func(t testing.TB) ([]byte, trustsrc.Verification) {
		return func(t testing.TB) ([]byte, trustsrc.Verification) {
			data := goodVCI(t)
			v := vciVerification(t, data)
			return mut(t, data, &v), v
		}
	}
	unsigned := func(data []byte, v trustsrc.Verification) func(t testing.TB) ([]byte, trustsrc.Verification) {
		return func(t testing.TB) ([]byte, trustsrc.Verification) { return data, v }
	}
	return []refusal{
		// de-dscg
		{"de-dscg forged (signed by another key)", trustsrc.DEDSCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			return signDE(t, otherKey, deBody(t, entry(dsc(t, "a"), "DSC", "DE"))), deVerification(t)
		}, trustsrc.ErrSignature},
		{"de-dscg one byte of the body changed", trustsrc.DEDSCG, de(func(t testing.TB, b []byte) []byte {
			return flip(b, bytes.IndexByte(b, '\n')+len(`{"certificates":[{"certificateType":"DSC","country":"D`)+1)
		}), trustsrc.ErrSignature},
		{"de-dscg last byte changed", trustsrc.DEDSCG, de(func(t testing.TB, b []byte) []byte { return flip(b, len(b)-1) }), trustsrc.ErrSignature},
		{"de-dscg signature changed", trustsrc.DEDSCG, de(func(t testing.TB, b []byte) []byte {
			sig, _ := base64.StdEncoding.DecodeString(string(b[:bytes.IndexByte(b, '\n')]))
			sig[10] ^= 0x80
			return append([]byte(b64(sig)), b[bytes.IndexByte(b, '\n'):]...)
		}), trustsrc.ErrSignature},
		{"de-dscg signature spelled another way (unused base64 bits)", trustsrc.DEDSCG, de(func(t testing.TB, b []byte) []byte {
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
			c := bytes.Clone(b)
			last := bytes.IndexByte(c, '=') - 1 // 64 bytes: the last character's low 4 bits are unused
			c[last] = alphabet[strings.IndexByte(alphabet, c[last])^1]
			return c
		}), trustsrc.ErrMalformed},
		{"de-dscg the wrong key", trustsrc.DEDSCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			return goodDE(t), trustsrc.Verification{Key: &otherKey.PublicKey}
		}, trustsrc.ErrSignature},
		{"de-dscg a P-521 key", trustsrc.DEDSCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			return goodDE(t), trustsrc.Verification{Key: &dirKey.PublicKey}
		}, trustsrc.ErrSignature},
		{"de-dscg truncated", trustsrc.DEDSCG, de(func(t testing.TB, b []byte) []byte { return b[:len(b)-40] }), trustsrc.ErrSignature},
		{"de-dscg a byte added", trustsrc.DEDSCG, de(func(t testing.TB, b []byte) []byte { return append(b, ' ') }), trustsrc.ErrSignature},
		{"de-dscg only the signature line", trustsrc.DEDSCG, de(func(t testing.TB, b []byte) []byte { return b[:bytes.IndexByte(b, '\n')] }), trustsrc.ErrMalformed},
		{"de-dscg empty", trustsrc.DEDSCG, de(func(t testing.TB, b []byte) []byte { return nil }), trustsrc.ErrMalformed},
		{"de-dscg first line not base64", trustsrc.DEDSCG, de(func(t testing.TB, b []byte) []byte {
			return append([]byte("not a signature!\n"), b[bytes.IndexByte(b, '\n')+1:]...)
		}), trustsrc.ErrMalformed},
		{"de-dscg first line endless", trustsrc.DEDSCG, de(func(t testing.TB, b []byte) []byte {
			return bytes.Repeat([]byte("A"), 5000)
		}), trustsrc.ErrMalformed},
		{"de-dscg a DER signature", trustsrc.DEDSCG, de(func(t testing.TB, b []byte) []byte {
			body := b[bytes.IndexByte(b, '\n')+1:]
			return append([]byte(b64(signVCI(t, backendKey, body))+"\n"), body...)
		}), trustsrc.ErrSignature},
		{"de-dscg no key", trustsrc.DEDSCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			return goodDE(t), trustsrc.Verification{AllowUnsigned: true}
		}, trustsrc.ErrKey},
		{"de-dscg an RSA key", trustsrc.DEDSCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			k, err := rsa.GenerateKey(rand.Reader, 1024)
			if err != nil {
				t.Fatal(err)
			}
			return goodDE(t), trustsrc.Verification{Key: &k.PublicKey}
		}, trustsrc.ErrKey},
		{"de-dscg given a certificate and signature", trustsrc.DEDSCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			b := goodDE(t)
			return b, trustsrc.Verification{Key: &backendKey.PublicKey, Cert: dirCert, Sig: []byte{0x30}}
		}, trustsrc.ErrKey},
		{"de-dscg oversized", trustsrc.DEDSCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			v := deVerification(t)
			v.MaxSize = 100
			return goodDE(t), v
		}, trustsrc.ErrTooLarge},
		{"de-dscg signed, body not JSON", trustsrc.DEDSCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			return signDE(t, backendKey, []byte("<html>503</html>")), deVerification(t)
		}, trustsrc.ErrMalformed},
		{"de-dscg signed, no certificates", trustsrc.DEDSCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			return signDE(t, backendKey, []byte(`{"dsc":[]}`)), deVerification(t)
		}, trustsrc.ErrMalformed},
		{"de-dscg signed, certificates not a list", trustsrc.DEDSCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			return signDE(t, backendKey, []byte(`{"certificates":{"a":1}}`)), deVerification(t)
		}, trustsrc.ErrMalformed},
		{"de-dscg signed, two lists glued", trustsrc.DEDSCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			b := deBody(t, entry(dsc(t, "a"), "DSC", "DE"))
			return signDE(t, backendKey, append(append([]byte{}, b...), b...)), deVerification(t)
		}, trustsrc.ErrMalformed},
		{"de-dscg signed, truncated JSON", trustsrc.DEDSCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			b := deBody(t, entry(dsc(t, "a"), "DSC", "DE"))
			return signDE(t, backendKey, b[:len(b)-3]), deVerification(t)
		}, trustsrc.ErrMalformed},
		{"de-dscg signed, only CSCAs", trustsrc.DEDSCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			return signDE(t, backendKey, deBody(t, entry(dsc(t, "a"), "CSCA", "DE"))), deVerification(t)
		}, trustsrc.ErrEmpty},

		// vci-snapshot
		{"vci forged (signed by another key)", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			v.Sig = signVCI(t, otherDirKey, data)
			return data
		}), trustsrc.ErrSignature},
		{"vci one byte changed", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			return flip(data, bytes.Index(data, []byte(`"x"`))+8)
		}), trustsrc.ErrSignature},
		{"vci the wrong certificate", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			v.Cert = otherDirCert
			return data
		}), trustsrc.ErrSignature},
		{"vci truncated", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			return data[:len(data)/2]
		}), trustsrc.ErrSignature},
		{"vci signature truncated", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			v.Sig = v.Sig[:len(v.Sig)-1]
			return data
		}), trustsrc.ErrSignature},
		{"vci signature as base64 text", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			v.Sig = []byte(b64(v.Sig))
			return data
		}), trustsrc.ErrSignature},
		{"vci no signature", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			v.Sig = nil
			return data
		}), trustsrc.ErrKey},
		{"vci no certificate", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			v.Cert = nil
			return data
		}), trustsrc.ErrKey},
		{"vci given a key", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			v.Key = &dirKey.PublicKey
			return data
		}), trustsrc.ErrKey},
		{"vci dated outside its certificate", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			data = bytes.Replace(data, []byte(`"time": "2024-03-01T04:34:19Z"`), []byte(`"time": "2033-01-01T00:00:00Z"`), 1)
			v.Sig = signVCI(t, dirKey, data)
			return data
		}), trustsrc.ErrSignature},
		{"vci oversized", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			v.MaxSize = int64(len(data) - 1)
			return data
		}), trustsrc.ErrTooLarge},
		{"vci signed, not JSON", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			data = []byte("issuerInfo")
			v.Sig = signVCI(t, dirKey, data)
			return data
		}), trustsrc.ErrMalformed},
		{"vci signed, no issuerInfo", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			data = []byte(`{"directory":"x","time":"2024-03-01T00:00:00Z"}`)
			v.Sig = signVCI(t, dirKey, data)
			return data
		}), trustsrc.ErrMalformed},
		{"vci signed, no usable issuer", trustsrc.VCISnapshot, vci(func(t testing.TB, data []byte, v *trustsrc.Verification) []byte {
			data = snapshot(t, issuerInfo("http://plain.test", []any{jwk(t, p256(t, false))}))
			v.Sig = signVCI(t, dirKey, data)
			return data
		}), trustsrc.ErrEmpty},

		// dccg
		{"dccg unsigned without the flag", trustsrc.DCCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			return mustJSON(t, []any{entry(dsc(t, "a"), "DSC", "DE")}), trustsrc.Verification{}
		}, trustsrc.ErrUnsigned},
		{"dccg given a key", trustsrc.DCCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			fixtures(t)
			return mustJSON(t, []any{entry(dsc(t, "a"), "DSC", "DE")}), trustsrc.Verification{AllowUnsigned: true, Key: &backendKey.PublicKey}
		}, trustsrc.ErrKey},
		{"dccg truncated", trustsrc.DCCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			b := mustJSON(t, []any{entry(dsc(t, "a"), "DSC", "DE"), entry(dsc(t, "b"), "DSC", "FR")})
			return b[:len(b)-50], trustsrc.Verification{AllowUnsigned: true}
		}, trustsrc.ErrMalformed},
		{"dccg an object, not a list", trustsrc.DCCG, unsigned([]byte(`{"certificates":[]}`), trustsrc.Verification{AllowUnsigned: true}), trustsrc.ErrMalformed},
		{"dccg oversized", trustsrc.DCCG, func(t testing.TB) ([]byte, trustsrc.Verification) {
			return mustJSON(t, []any{entry(dsc(t, "a"), "DSC", "DE")}), trustsrc.Verification{AllowUnsigned: true, MaxSize: 200}
		}, trustsrc.ErrTooLarge},
		{"dccg empty list", trustsrc.DCCG, unsigned([]byte(`[]`), trustsrc.Verification{AllowUnsigned: true}), trustsrc.ErrEmpty},
		{"unknown format", "pkd-icao", unsigned([]byte(`[]`), trustsrc.Verification{AllowUnsigned: true}), trustsrc.ErrFormat},
	}
}

// hideSize hides a reader's Size, so only reading finds it too large.
type hideSize struct{ r io.Reader }

func (h hideSize) Read(p []byte) (int, error) { return h.r.Read(p) }

// TestConvertRefuses: every source that cannot be trusted whole is refused
// with its sentinel error, and nothing is written.
func TestConvertRefuses(t *testing.T) {
	fixtures(t)
	for _, c := range refusals() {
		t.Run(c.name, func(t *testing.T) {
			data, v := c.src(t)
			// Both ways a source arrives: a reader that knows its size (a
			// file) and one that does not (a pipe).
			for _, r := range []io.Reader{bytes.NewReader(data), hideSize{bytes.NewReader(data)}} {
				var out bytes.Buffer
				_, err := trustsrc.Convert(&out, c.format, r, v)
				if !errors.Is(err, c.want) {
					t.Fatalf("err = %v, want %v", err, c.want)
				}
				if out.Len() != 0 {
					t.Fatalf("%d bytes written on a refusal", out.Len())
				}
			}
			if b, _, err := trustsrc.ConvertBytes(c.format, bytes.NewReader(data), v); !errors.Is(err, c.want) || b != nil {
				t.Fatalf("ConvertBytes: %d bytes, err = %v, want %v", len(b), err, c.want)
			}
		})
	}
}

// dscCase is a DSC list, converted both as a German list and as the
// gateway's.
type dscCase struct {
	name                          string
	entries                       func(t testing.TB) []any
	kept                          int
	skipped, normalised, warnings []string
	verifyWarnings                int // what the kiosk warns of when it loads the list
	check                         func(t *testing.T, l trustList, tr *verify.Trust)
}

func dscCases() []dscCase {
	one := func(f func(t testing.TB) map[string]any) func(t testing.TB) []any {
		return func(t testing.TB) []any { return []any{f(t)} }
	}
	return []dscCase{
		{name: "a DSC", entries: one(func(t testing.TB) map[string]any { return entry(dsc(t, "a"), "DSC", "DE") }), kept: 1,
			check: func(t *testing.T, l trustList, tr *verify.Trust) {
				der := dsc(t, "a")
				if d := l.DSC[0]; d.KID != b64(verify.KeyID(der)) || d.Country != "DE" || d.Certificate != b64(der) {
					t.Errorf("entry %+v", d)
				}
				if tr.Signers() != 1 {
					t.Errorf("%d signers", tr.Signers())
				}
			}},
		{name: "CSCA, UPLOAD and AUTHENTICATION are not document signers", entries: func(t testing.TB) []any {
			return []any{entry(dsc(t, "b"), "CSCA", "FR"), entry(dsc(t, "a"), "DSC", "DE"), entry(dsc(t, "b"), "UPLOAD", "FR"), entry(dsc(t, "c"), "AUTHENTICATION", "KR")}
		}, kept: 1, skipped: []string{"certificateType CSCA is not a document signer", "certificateType UPLOAD", "certificateType AUTHENTICATION"},
			check: func(t *testing.T, l trustList, tr *verify.Trust) {
				if len(l.DSC) != 1 || l.DSC[0].Country != "DE" {
					t.Errorf("kept %+v", l.DSC)
				}
			}},
		{name: "certificateType in lower case", entries: one(func(t testing.TB) map[string]any { return entry(dsc(t, "a"), "dsc", "DE") }), kept: 1},
		{name: "no certificateType", entries: func(t testing.TB) []any {
			return []any{with(entry(dsc(t, "a"), "DSC", "DE"), "certificateType", nil), entry(dsc(t, "b"), "DSC", "FR")}
		}, kept: 1, skipped: []string{"no certificateType"}},
		{name: "a bad base64 entry is a warning, not the end of the list", entries: func(t testing.TB) []any {
			return []any{entry(dsc(t, "a"), "DSC", "DE"), with(entry(dsc(t, "b"), "DSC", "FR"), "rawData", "MIIB!!not base64"), entry(dsc(t, "c"), "DSC", "KR")}
		}, kept: 2, skipped: []string{"[1] (FR kid"}},
		{name: "rawData is not a certificate", entries: func(t testing.TB) []any {
			return []any{with(entry(dsc(t, "b"), "DSC", "FR"), "rawData", b64([]byte("hello")), "thumbprint", nil), entry(dsc(t, "a"), "DSC", "DE")}
		}, kept: 1, skipped: []string{"not an X.509 certificate"}},
		{name: "an entry that is not an object", entries: func(t testing.TB) []any {
			return []any{42, "DSC", nil, []any{}, entry(dsc(t, "a"), "DSC", "DE")}
		}, kept: 1, skipped: []string{"not a certificate entry", "not a certificate entry", "no certificateType", "not a certificate entry"}},
		{name: "a member of the wrong type", entries: func(t testing.TB) []any {
			return []any{with(entry(dsc(t, "b"), "DSC", "FR"), "kid", 12345), entry(dsc(t, "a"), "DSC", "DE")}
		}, kept: 1, skipped: []string{"not a certificate entry"}},
		{name: "a thumbprint that contradicts the certificate", entries: func(t testing.TB) []any {
			return []any{with(entry(dsc(t, "b"), "DSC", "FR"), "thumbprint", strings.Repeat("ab", 32)), entry(dsc(t, "a"), "DSC", "DE")}
		}, kept: 1, skipped: []string{"thumbprint is not the SHA-256"}},
		{name: "thumbprint in upper case", entries: func(t testing.TB) []any {
			e := entry(dsc(t, "a"), "DSC", "DE")
			return []any{with(e, "thumbprint", strings.ToUpper(e["thumbprint"].(string)))}
		}, kept: 1},
		{name: "the same certificate twice", entries: func(t testing.TB) []any {
			return []any{entry(dsc(t, "a"), "DSC", "DE"), entry(dsc(t, "a"), "DSC", "DE")}
		}, kept: 1, skipped: []string{"the same certificate as"}},
		{name: "duplicate kids: two certificates share one", entries: func(t testing.TB) []any {
			return []any{entry(dsc(t, "a"), "DSC", "DE"), with(entry(dsc(t, "b"), "DSC", "FR"), "kid", b64(verify.KeyID(dsc(t, "a"))))}
		}, kept: 2,
			warnings: []string{"not the first 8 bytes of the certificate's SHA-256", "shared with another certificate"},
			check: func(t *testing.T, l trustList, tr *verify.Trust) {
				if l.DSC[0].KID != l.DSC[1].KID || tr.Signers() != 2 {
					t.Errorf("kids %s %s, %d signers", l.DSC[0].KID, l.DSC[1].KID, tr.Signers())
				}
			}},
		{name: "more certificates under one kid than a kiosk tries", entries: func(t testing.TB) []any {
			kid := b64(verify.KeyID(dsc(t, "a")))
			var es []any
			for range verify.MaxKeysPerKID + 1 {
				iss := newDSC(t)
				es = append(es, with(entry(iss, "DSC", "KR"), "kid", kid))
			}
			return es
		}, kept: verify.MaxKeysPerKID, skipped: []string{"more than 8 certificates share the kid"},
			warnings: append(append(repeat("not the first 8 bytes", 2), "shared with another"), repeat("not the first 8 bytes", verify.MaxKeysPerKID-2)...)},
		{name: "kid not base64", entries: one(func(t testing.TB) map[string]any { return with(entry(dsc(t, "a"), "DSC", "DE"), "kid", "%%%") }), kept: 1,
			normalised: []string{"kid is not base64; the certificate's own"},
			check: func(t *testing.T, l trustList, tr *verify.Trust) {
				if l.DSC[0].KID != b64(verify.KeyID(dsc(t, "a"))) {
					t.Errorf("kid %s", l.DSC[0].KID)
				}
			}},
		{name: "no kid: derived", entries: one(func(t testing.TB) map[string]any { return with(entry(dsc(t, "a"), "DSC", "DE"), "kid", nil) }), kept: 1,
			check: func(t *testing.T, l trustList, tr *verify.Trust) {
				if l.DSC[0].KID != b64(verify.KeyID(dsc(t, "a"))) {
					t.Errorf("kid %s", l.DSC[0].KID)
				}
			}},
		{name: "country in lower case, and a country that is no code", entries: func(t testing.TB) []any {
			return []any{entry(dsc(t, "a"), "DSC", "de"), entry(dsc(t, "b"), "DSC", "France")}
		}, kept: 2, normalised: []string{`country "de" written as DE`, `country "France" is not a two-letter code`},
			check: func(t *testing.T, l trustList, tr *verify.Trust) {
				if l.DSC[0].Country != "DE" || l.DSC[1].Country != "FR" { // FR: the certificate's subject
					t.Errorf("countries %q %q", l.DSC[0].Country, l.DSC[1].Country)
				}
			}},
		{name: "keys that cannot sign passes are kept and said", entries: func(t testing.TB) []any {
			return []any{entry(dsc(t, "p384"), "DSC", "LU"), entry(dsc(t, "rsa-1024"), "DSC", "NL"), entry(dsc(t, "rsa-2048"), "DSC", "NL")}
		}, kept: 3, warnings: []string{"cannot sign passes: an EC key on P-384", "cannot sign passes: an RSA key of 1024 bits"}, verifyWarnings: 2},
		{name: "unknown members are ignored", entries: one(func(t testing.TB) map[string]any {
			return with(entry(dsc(t, "a"), "DSC", "DE"), "domain", "DCC", "properties", map[string]any{"x": 1}, "version", 3)
		}), kept: 1},
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// newDSC makes a fresh P-256 document signer certificate.
func newDSC(t testing.TB) []byte {
	t.Helper()
	return dscIssuer(t).Certificate()
}

// TestConvertDSCLists: each kind of entry, in a German list and in the
// gateway's; what is kept loads into the kiosk's trust.
func TestConvertDSCLists(t *testing.T) {
	fixtures(t)
	for _, c := range dscCases() {
		entries := c.entries(t)
		for _, f := range []trustsrc.Format{trustsrc.DEDSCG, trustsrc.DCCG} {
			t.Run(c.name+"/"+string(f), func(t *testing.T) {
				var src []byte
				v := trustsrc.Verification{AllowUnsigned: true}
				if f == trustsrc.DEDSCG {
					src, v = signDE(t, backendKey, deBody(t, entries...)), deVerification(t)
				} else {
					src = mustJSON(t, entries)
				}
				var out bytes.Buffer
				rep, err := trustsrc.Convert(&out, f, bytes.NewReader(src), v)
				if err != nil {
					t.Fatalf("%v\n%s", err, joinNotes(rep.Skipped))
				}
				if rep.Read != len(entries) || rep.Kept != c.kept || rep.Kept+len(rep.Skipped) != rep.Read {
					t.Errorf("read %d kept %d skipped %d; want read %d kept %d", rep.Read, rep.Kept, len(rep.Skipped), len(entries), c.kept)
				}
				matchNotes(t, "skipped", rep.Skipped, c.skipped)
				matchNotes(t, "normalised", rep.Normalised, c.normalised)
				matchNotes(t, "warnings", rep.Warnings, c.warnings)
				if b, brep, err := trustsrc.ConvertBytes(f, bytes.NewReader(src), v); err != nil || !bytes.Equal(b, out.Bytes()) || brep.Kept != rep.Kept {
					t.Errorf("ConvertBytes: %v, %d bytes, kept %d; Convert wrote %d, kept %d", err, len(b), brep.Kept, out.Len(), rep.Kept)
				}
				l := readList(t, out.Bytes())
				if len(l.DSC) != c.kept || l.Source["format"] != string(f) {
					t.Errorf("%d dsc entries written, source %v", len(l.DSC), l.Source)
				}
				tr := load(t, out.Bytes())
				if len(tr.Warnings()) != c.verifyWarnings {
					t.Errorf("the kiosk warns %d times, want %d: %q", len(tr.Warnings()), c.verifyWarnings, tr.Warnings())
				}
				if c.check != nil {
					c.check(t, l, tr)
				}
			})
		}
	}
}

// TestConvertedDSCVerifiesAPass: a document signer from a converted list
// decides a pass it signed, which without it is an unknown signer.
func TestConvertedDSCVerifiesAPass(t *testing.T) {
	fixtures(t)
	iss := dscIssuer(t)
	pass, err := iss.Issue(samplePass())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		entries []any
		want    verify.Reason
	}{
		{"its DSC in the list", []any{entry(dsc(t, "a"), "DSC", "DE"), entry(iss.Certificate(), "DSC", "KR")}, verify.ReasonOK},
		{"its DSC listed as a CSCA", []any{entry(dsc(t, "a"), "DSC", "DE"), entry(iss.Certificate(), "CSCA", "KR")}, verify.ReasonUnknownSigner},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			if _, err := trustsrc.Convert(&out, trustsrc.DEDSCG, bytes.NewReader(signDE(t, backendKey, deBody(t, c.entries...))), deVerification(t)); err != nil {
				t.Fatal(err)
			}
			res := verify.New(load(t, out.Bytes()), func() time.Time { return passTime }).Verify([]byte(pass))
			if res.Reason != c.want {
				t.Fatalf("%s %s (%s), want %s", res.Verdict, res.Reason, res.Detail, c.want)
			}
		})
	}
}

// vciCase is a snapshot's issuers and what becomes of them.
type vciCase struct {
	name                          string
	issuers                       func(t testing.TB) []any
	issuersKept, keysKept, crls   int
	skipped, normalised, warnings []string
	verifyWarnings                []string // each a substring of one of the kiosk's warnings, in order
	verifyUnchecked               string   // why the kiosk's warnings are not this test's to judge
	check                         func(t *testing.T, l trustList)
}

func vciCases() []vciCase {
	iss := "https://issuer.test/creds"
	single := func(keys func(t testing.TB) []any, crls ...func(t testing.TB, keys []any) any) func(t testing.TB) []any {
		return func(t testing.TB) []any {
			ks := keys(t)
			var cs []any
			for _, c := range crls {
				cs = append(cs, c(t, ks))
			}
			return []any{issuerInfo(iss, ks, cs...)}
		}
	}
	key := func(t testing.TB) []any { return []any{jwk(t, p256(t, false))} }
	kidOf := func(keys []any) string { return keys[0].(map[string]any)["kid"].(string) }
	return []vciCase{
		{name: "a key and its revocation list", issuers: single(key, func(t testing.TB, ks []any) any { return crl(kidOf(ks), 3, "MKyCxh7p6uQ", "vwAjHdarZuc.1687450765") }),
			issuersKept: 1, keysKept: 1, crls: 1,
			check: func(t *testing.T, l trustList) {
				is := l.SHC[0]
				kid := is.JWKS.Keys[0]["kid"].(string)
				if is.Iss != iss || is.CRLs[kid]["ctr"] != 3.0 || len(is.CRLs[kid]["rids"].([]any)) != 2 {
					t.Errorf("issuer %+v", is)
				}
				if l.IssuedAt != "2024-03-01T04:34:19Z" {
					t.Errorf("issuedAt %q", l.IssuedAt)
				}
			}},
		{name: `ctr "1" is the number 1`, issuers: single(key, func(t testing.TB, ks []any) any { return crl(kidOf(ks), "1", "MKyCxh7p6uQ") }),
			issuersKept: 1, keysKept: 1, crls: 1, normalised: []string{`ctr "1" written as the number 1`},
			check: func(t *testing.T, l trustList) {
				for _, c := range l.SHC[0].CRLs {
					if c["ctr"] != 1.0 {
						t.Errorf("ctr %v", c["ctr"])
					}
				}
			}},
		{name: `ctr "abc" is reported and kept unreadable`, issuers: single(key, func(t testing.TB, ks []any) any { return crl(kidOf(ks), "abc", "MKyCxh7p6uQ") }),
			issuersKept: 1, keysKept: 1, crls: 1, warnings: []string{`ctr "abc" is not a whole number from 0 to 2147483647: kept as published`},
			verifyWarnings: []string{"revocation list unusable"}},
		{name: "ctr fractional, empty", issuers: func(t testing.TB) []any {
			var out []any
			for i, ctr := range []any{1.5, ""} {
				k := jwk(t, p256(t, false))
				out = append(out, issuerInfo(iss+"/"+string(rune('a'+i)), []any{k}, crl(k["kid"].(string), ctr)))
			}
			return out
		}, issuersKept: 2, keysKept: 2, crls: 2,
			warnings:       []string{"ctr 1.5 is not", `ctr "" is not`},
			verifyWarnings: repeat("revocation list unusable", 2)},
		{name: "ctr negative, huge, missing", issuers: func(t testing.TB) []any {
			var out []any
			for i, ctr := range []any{-1, int64(1e12), nil} {
				k := jwk(t, p256(t, false))
				c := crl(k["kid"].(string), ctr)
				if ctr == nil {
					delete(c, "ctr")
				}
				out = append(out, issuerInfo(iss+"/"+string(rune('a'+i)), []any{k}, c))
			}
			return out
		}, issuersKept: 3, keysKept: 3, crls: 3,
			warnings:        []string{"ctr -1 is not a whole number", "ctr 1000000000000 is not", "no ctr"},
			verifyUnchecked: "passed on as published: verify's reading of them is its own (today it takes -1 and a missing ctr, and 10^12 on 64-bit boards)"},
		{name: `crlVersion "1" is the number 1`, issuers: single(func(t testing.TB) []any {
			return []any{with(jwk(t, p256(t, false)), "crlVersion", "1")}
		}, func(t testing.TB, ks []any) any { return crl(kidOf(ks), 1) }),
			issuersKept: 1, keysKept: 1, crls: 1, normalised: []string{`crlVersion "1" written as the number 1`},
			check: func(t *testing.T, l trustList) {
				if v := l.SHC[0].JWKS.Keys[0]["crlVersion"]; v != 1.0 {
					t.Errorf("crlVersion %v", v)
				}
			}},
		{name: "crlVersion newer than the list, or no list", issuers: func(t testing.TB) []any {
			a, b := with(jwk(t, p256(t, false)), "crlVersion", 2), with(jwk(t, p256(t, false)), "crlVersion", 1)
			return []any{issuerInfo(iss, []any{a, b}, crl(a["kid"].(string), 1))}
		}, issuersKept: 1, keysKept: 2, crls: 1, warnings: []string{"crlVersion 2 but its revocation list is at ctr 1", "crlVersion 1 but the directory holds no revocation list"},
			verifyUnchecked: "crlVersion is verify's to judge"},
		{name: "crlVersion unreadable", issuers: single(func(t testing.TB) []any {
			return []any{with(jwk(t, p256(t, false)), "crlVersion", "v2")}
		}), issuersKept: 1, keysKept: 1, warnings: []string{`crlVersion "v2": not a whole number`},
			verifyUnchecked: "crlVersion is verify's to judge"},
		{name: "RSA, P-384, other algorithms and uses are not card keys", issuers: single(func(t testing.TB) []any {
			rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
			if err != nil {
				t.Fatal(err)
			}
			return []any{
				map[string]any{"kty": "RSA", "kid": "r", "n": b64u(rsaKey.N.Bytes()), "e": "AQAB"},
				map[string]any{"kty": "EC", "crv": "P-384", "kid": "p", "x": b64u(make([]byte, 48)), "y": b64u(make([]byte, 48))},
				with(jwk(t, p256(t, false)), "alg", "ES384"),
				with(jwk(t, p256(t, false)), "use", "enc"),
				with(jwk(t, p256(t, false)), "kty", nil),
				jwk(t, p256(t, false)),
			}
		}), issuersKept: 1, keysKept: 1,
			skipped: []string{"kty RSA", "curve P-384", "alg ES384", "use enc", "no kty"}},
		{name: "a published private key is not trusted", issuers: single(func(t testing.TB) []any {
			k := p256(t, false)
			return []any{with(jwk(t, k), "d", b64u(k.D.FillBytes(make([]byte, 32)))), jwk(t, p256(t, false))}
		}), issuersKept: 1, keysKept: 1, skipped: []string{"publishes its private part"}},
		{name: "kid is not the thumbprint", issuers: single(func(t testing.TB) []any {
			return []any{with(jwk(t, p256(t, false)), "kid", "key-1"), with(jwk(t, p256(t, false)), "kid", nil), jwk(t, p256(t, false))}
		}), issuersKept: 1, keysKept: 1, skipped: []string{"kid is not the key's RFC 7638 thumbprint", "no kid"}},
		{name: "x short by a byte, kid over the full key: mended, checked on the curve", issuers: single(func(t testing.TB) []any {
			k := p256(t, true)
			c := coords(t, &k.PublicKey)
			return []any{with(jwk(t, k), "x", b64u(c[0][1:]))}
		}), issuersKept: 1, keysKept: 1, normalised: []string{"x was 31 bytes, its leading zero bytes dropped: padded to 32; checked on the curve"},
			check: func(t *testing.T, l trustList) {
				x, _ := base64.RawURLEncoding.DecodeString(l.SHC[0].JWKS.Keys[0]["x"].(string))
				if len(x) != 32 || x[0] != 0 {
					t.Errorf("x written as %x", x)
				}
			}},
		{name: "x short by a byte, kid over the short x (as Epic-hosted issuers write it)", issuers: single(func(t testing.TB) []any {
			k := p256(t, true)
			c := coords(t, &k.PublicKey)
			return []any{with(jwk(t, k), "x", b64u(c[0][1:]), "kid", tp(c[0][1:], c[1]))}
		}), issuersKept: 1, keysKept: 1, normalised: []string{"x was 31 bytes"},
			warnings:        []string{"is the thumbprint of the key written with its coordinates' leading zero bytes dropped"},
			verifyUnchecked: "verify checks the kid against the 32-byte form only: see TestKidOverShortCoordinates"},
		{name: "x with a zero byte too many, padding '='", issuers: single(func(t testing.TB) []any {
			k := p256(t, false)
			c := coords(t, &k.PublicKey)
			return []any{with(jwk(t, k), "x", b64u(append([]byte{0}, c[0]...)), "y", base64.URLEncoding.EncodeToString(c[1]))}
		}), issuersKept: 1, keysKept: 1, normalised: []string{"x was 33 bytes with leading zero bytes: trimmed to 32"}},
		{name: "a short x that is not the point: off the curve", issuers: single(func(t testing.TB) []any {
			k := p256(t, true)
			c := coords(t, &k.PublicKey)
			y := append([]byte{}, c[1]...)
			y[31] ^= 1
			return []any{with(jwk(t, k), "x", b64u(c[0][1:]), "y", b64u(y)), jwk(t, p256(t, false))}
		}), issuersKept: 1, keysKept: 1, skipped: []string{"not on the curve P-256"}},
		{name: "coordinates far too short, too long, not base64url", issuers: single(func(t testing.TB) []any {
			k := func() map[string]any { return jwk(t, p256(t, false)) }
			return []any{with(k(), "x", b64u([]byte{1, 2, 3})), with(k(), "y", b64u(bytes.Repeat([]byte{1}, 40))), with(k(), "x", "a+b/c"), with(k(), "y", nil), k()}
		}), issuersKept: 1, keysKept: 1, skipped: []string{"not on the curve", "y is 40 bytes", "x is not base64url", "no y coordinate"}},
		{name: "iss that is not https", issuers: func(t testing.TB) []any {
			return []any{issuerInfo("http://plain.test", []any{jwk(t, p256(t, false))}), issuerInfo("https://", []any{jwk(t, p256(t, false))}),
				issuerInfo("https://a b.test", []any{jwk(t, p256(t, false))}), issuerInfo(iss, []any{jwk(t, p256(t, false))})}
		}, issuersKept: 1, keysKept: 1, skipped: []string{"is not an https URL", "is not an https URL", "is not an https URL"}},
		{name: "an issuer without keys", issuers: func(t testing.TB) []any {
			return []any{issuerInfo("https://empty.test", []any{}), issuerInfo(iss, []any{jwk(t, p256(t, false))})}
		}, issuersKept: 1, keysKept: 1, skipped: []string{"lists no key"}},
		{name: "an issuer none of whose keys can check a card", issuers: func(t testing.TB) []any {
			return []any{issuerInfo("https://rsa.test", []any{map[string]any{"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"}}), issuerInfo(iss, []any{jwk(t, p256(t, false))})}
		}, issuersKept: 1, keysKept: 1, skipped: []string{"kty RSA", "none of its 1 keys can check a card"}},
		{name: "an issuer listed twice is merged", issuers: func(t testing.TB) []any {
			a, b := jwk(t, p256(t, false)), jwk(t, p256(t, false))
			return []any{issuerInfo(iss, []any{a}), issuerInfo(iss, []any{b, a}, crl(b["kid"].(string), 1))}
		}, issuersKept: 1, keysKept: 2, crls: 1, normalised: []string{"the same issuer as issuerInfo[0]"}, skipped: []string{"listed twice"}},
		{name: "an entry that is not an issuer", issuers: func(t testing.TB) []any {
			return []any{7, map[string]any{"issuer": "x"}, issuerInfo(iss, []any{jwk(t, p256(t, false))})}
		}, issuersKept: 1, keysKept: 1, skipped: []string{"not an issuer entry", "not an issuer entry"}},
		{name: "a revocation list that names no key makes the issuer's revocation unknown", issuers: func(t testing.TB) []any {
			a, b := jwk(t, p256(t, false)), jwk(t, p256(t, false))
			return []any{issuerInfo(iss, []any{a, b}, map[string]any{"method": "rid", "ctr": 1, "rids": []string{"AAAA"}}, crl(b["kid"].(string), 2))}
		}, issuersKept: 1, keysKept: 2, crls: 2, warnings: []string{"names no key (no kid)"},
			verifyWarnings: []string{"revocation list unusable"}},
		{name: "a revocation list for a key the issuer does not list", issuers: single(key, func(t testing.TB, ks []any) any { return crl("somebody-else", 1) }),
			issuersKept: 1, keysKept: 1, warnings: []string{"which the issuer does not list"}},
		{name: "two lists for one key are merged", issuers: single(key,
			func(t testing.TB, ks []any) any { return crl(kidOf(ks), 1, "AAAA", "BBBB") },
			func(t testing.TB, ks []any) any { return crl(kidOf(ks), "2", "BBBB", "CCCC.1687450765") }),
			issuersKept: 1, keysKept: 1, crls: 1, normalised: []string{`ctr "2" written`, "merged (3 rids in all, ctr 2)"},
			check: func(t *testing.T, l trustList) {
				for _, c := range l.SHC[0].CRLs {
					if c["ctr"] != 2.0 || len(c["rids"].([]any)) != 3 {
						t.Errorf("merged %v", c)
					}
				}
			}},
		{name: "two lists for one key, one unreadable", issuers: single(key,
			func(t testing.TB, ks []any) any { return crl(kidOf(ks), 1, "AAAA") },
			func(t testing.TB, ks []any) any { return crl(kidOf(ks), "x", "BBBB") }),
			issuersKept: 1, keysKept: 1, crls: 1, warnings: []string{`ctr "x"`, "cannot be read, so the key's revocation is unknown"},
			verifyWarnings: []string{"revocation list unusable"}},
		{name: "unknown members are ignored", issuers: func(t testing.TB) []any {
			k := with(jwk(t, p256(t, false)), "x5c", []string{"MIIB"}, "date", "2021-06-01", "hasPrivateKey", false, "keySize", 256)
			e := issuerInfo(iss, []any{k}, with(crl(k["kid"].(string), 1), "note", "x"))
			e["canonical_iss"] = "https://other.test"
			return []any{e}
		}, issuersKept: 1, keysKept: 1, crls: 1,
			check: func(t *testing.T, l trustList) {
				if _, ok := l.SHC[0].JWKS.Keys[0]["x5c"]; ok {
					t.Error("x5c written: only what a kiosk uses is")
				}
			}},
	}
}

// TestConvertVCISnapshots: each kind of issuer, key and revocation list;
// what is kept loads into the kiosk's trust without a word, except where
// the case says.
func TestConvertVCISnapshots(t *testing.T) {
	fixtures(t)
	for _, c := range vciCases() {
		t.Run(c.name, func(t *testing.T) {
			issuers := c.issuers(t)
			data := snapshot(t, issuers...)
			var out bytes.Buffer
			rep, err := trustsrc.Convert(&out, trustsrc.VCISnapshot, bytes.NewReader(data), vciVerification(t, data))
			if err != nil {
				t.Fatalf("%v\n%s", err, joinNotes(rep.Skipped))
			}
			if rep.Issuers != len(issuers) || rep.IssuersKept != c.issuersKept || rep.Kept != c.keysKept || rep.CRLs != c.crls {
				t.Errorf("issuers %d/%d keys %d/%d crls %d; want issuers %d/%d keys %d crls %d",
					rep.IssuersKept, rep.Issuers, rep.Kept, rep.Read, rep.CRLs, c.issuersKept, len(issuers), c.keysKept, c.crls)
			}
			matchNotes(t, "skipped", rep.Skipped, c.skipped)
			matchNotes(t, "normalised", rep.Normalised, c.normalised)
			matchNotes(t, "warnings", rep.Warnings, c.warnings)
			l := readList(t, out.Bytes())
			if len(l.SHC) != c.issuersKept {
				t.Errorf("%d issuers written", len(l.SHC))
			}
			tr := load(t, out.Bytes())
			w := tr.Warnings()
			switch {
			case c.verifyUnchecked != "":
				t.Logf("the kiosk's warnings (%s): %q", c.verifyUnchecked, w)
			case len(w) != len(c.verifyWarnings):
				t.Errorf("the kiosk warns %q, want %q", w, c.verifyWarnings)
			default:
				for i := range w {
					if !strings.Contains(w[i], c.verifyWarnings[i]) {
						t.Errorf("the kiosk warns %q, want %q", w[i], c.verifyWarnings[i])
					}
				}
			}
			if want := c.issuersKept; c.verifyUnchecked == "" && tr.SHCIssuers() != want {
				t.Errorf("the kiosk trusts %d issuers, want %d", tr.SHCIssuers(), want)
			}
			if c.check != nil {
				c.check(t, l)
			}
		})
	}
}

// TestReportText: the report names every entry it skipped or mended.
func TestReportText(t *testing.T) {
	fixtures(t)
	src := signDE(t, backendKey, deBody(t, entry(dsc(t, "a"), "DSC", "de"), entry(dsc(t, "b"), "CSCA", "FR")))
	var out, text bytes.Buffer
	rep, err := trustsrc.Convert(&out, trustsrc.DEDSCG, bytes.NewReader(src), deVerification(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"de-dscg: signature verified (ECDSA P-256, SHA-256) by the key SHA256:",
		"2 entries read, 1 document signers kept (1 countries)", "1 skipped, 1 normalised, 0 warnings",
		"skipped certificates[1] (FR kid", "certificateType CSCA", `normalised certificates[0] (de kid`} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, text.String())
		}
	}
}

// TestParseFormat: the names the command takes.
func TestParseFormat(t *testing.T) {
	for _, f := range trustsrc.Formats() {
		if g, err := trustsrc.ParseFormat(string(f)); err != nil || g != f {
			t.Errorf("%s: %v %v", f, g, err)
		}
	}
	if _, err := trustsrc.ParseFormat("DE-DSCG"); !errors.Is(err, trustsrc.ErrFormat) {
		t.Errorf("err %v", err)
	}
}

// TestJSONStaysJSON: what Convert writes is one JSON document, whatever
// the entries held (quotes, control characters, HTML).
func TestJSONStaysJSON(t *testing.T) {
	fixtures(t)
	e := with(entry(dsc(t, "a"), "DSC", "DE"), "country", "\"}]<\u2028")
	var out bytes.Buffer
	if _, err := trustsrc.Convert(&out, trustsrc.DCCG, bytes.NewReader(mustJSON(t, []any{e})), trustsrc.Verification{AllowUnsigned: true}); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(out.Bytes()) {
		t.Fatalf("not JSON: %s", out.Bytes())
	}
}
