package verify_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"munjigi/demo"
	"munjigi/verify"
)

// The pipeline tests sign their own passes with freshly generated issuers,
// so every case states exactly what it changes and nothing depends on
// expired real-world keys.

var clock = time.Date(2022, 1, 15, 12, 0, 0, 0, time.UTC)

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

// issuers are generated once: RSA key generation is slow.
var (
	issuersOnce sync.Once
	issuers     map[string]*demo.Issuer
)

func issuer(t testing.TB, name string) *demo.Issuer {
	t.Helper()
	issuersOnce.Do(func() {
		issuers = map[string]*demo.Issuer{}
		oid := func(arc ...int) asn1.ObjectIdentifier { return asn1.ObjectIdentifier(arc) }
		for name, o := range map[string]demo.IssuerOptions{
			"ec":         {},
			"ec-other":   {},
			"rsa":        {Key: "rsa-2048"},
			"rsa-3072":   {Key: "rsa-3072"},
			"rsa-1024":   {Key: "rsa-1024"},
			"p384":       {Key: "ec-p384"},
			"test-only":  {Usage: []asn1.ObjectIdentifier{oid(1, 3, 6, 1, 4, 1, 1847, 2021, 1, 1)}},
			"vacc-only":  {Usage: []asn1.ObjectIdentifier{oid(1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 2)}},
			"recov-only": {Usage: []asn1.ObjectIdentifier{oid(1, 3, 6, 1, 4, 1, 1847, 2021, 1, 3)}},
			"short-dsc":  {NotBefore: clock.AddDate(0, -1, 0), NotAfter: clock.AddDate(0, 6, 0)},
		} {
			iss, err := demo.GenerateIssuer(o)
			if err != nil {
				panic(err)
			}
			issuers[name] = iss
		}
	})
	iss, ok := issuers[name]
	if !ok {
		t.Fatalf("no issuer %q", name)
	}
	return iss
}

// trusting builds a Trust holding the named issuers' DSCs.
func trusting(t testing.TB, names ...string) *verify.Trust {
	t.Helper()
	tr := verify.NewTrust()
	for _, n := range names {
		if err := tr.AddCertificate(issuer(t, n).Certificate(), nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

func vaccination() map[string]any {
	return map[string]any{
		"ver": "1.3.0",
		"nam": map[string]any{"fn": "Musterfrau", "gn": "Erika", "fnt": "MUSTERFRAU", "gnt": "ERIKA"},
		"dob": "1964-08-12",
		"v": []any{map[string]any{
			"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215",
			"dn": 2, "sd": 2, "dt": "2021-12-01", "co": "AT", "is": "Ministry of Health", "ci": "URN:UVCI:01:AT:TEST0001#X",
		}},
	}
}

func testEntry() map[string]any {
	return map[string]any{
		"ver": "1.3.0",
		"nam": map[string]any{"fnt": "DOE", "gnt": "JANE"},
		"dob": "1990",
		"t": []any{map[string]any{
			"tg": "840539006", "tt": "LP6464-4", "sc": "2022-01-15T08:00:00Z", "tr": "260415000",
			"co": "DE", "is": "RKI", "ci": "URN:UVCI:01:DE:TEST0002#Y",
		}},
	}
}

func recovery() map[string]any {
	return map[string]any{
		"ver": "1.3.0",
		"nam": map[string]any{"fnt": "ROE", "gnt": "RICHARD"},
		"dob": "1975-01-01",
		"r": []any{map[string]any{
			"tg": "840539006", "fr": "2021-12-01", "co": "FR", "is": "DGS", "df": "2021-12-12", "du": "2022-06-01",
			"ci": "URN:UVCI:01:FR:TEST0003#Z",
		}},
	}
}

// valid returns a pass that verifies at clock, to be changed by a case.
func valid(hcert map[string]any) demo.Pass {
	return demo.Pass{HCert: hcert, IssuedAt: clock.AddDate(0, 0, -10), ExpiresAt: clock.AddDate(0, 11, 0)}
}

type pipelineCase struct {
	name    string
	signer  string   // issuer that signs
	trusted []string // issuers the kiosk trusts; nil means {signer}
	pass    func(t testing.TB, iss *demo.Issuer) demo.Pass
	// raw, when set, replaces the signed QR text with one derived from it.
	raw    func(t testing.TB, iss *demo.Issuer, p demo.Pass) string
	want   verify.Verdict
	reason verify.Reason
	checks string // the checks as JSON-ish "prefix:1 base45:1 ..." subset to assert, "" for none
}

func signed(p demo.Pass) func(testing.TB, *demo.Issuer) demo.Pass {
	return func(testing.TB, *demo.Issuer) demo.Pass { return p }
}

// hdr is a COSE header in a case; the value kid stands for the signer's.
type hdr map[int64]any

const kid = "the signer's kid"

// headers signs a valid vaccination under the given headers. nil leaves a
// header as the issuer makes it; an empty hdr makes it empty.
func headers(prot, unprot hdr) func(testing.TB, *demo.Issuer) demo.Pass {
	fill := func(h hdr, id []byte) map[int64]any {
		if h == nil {
			return nil
		}
		m := make(map[int64]any, len(h))
		for k, v := range h {
			if v == kid {
				v = id
			}
			m[k] = v
		}
		return m
	}
	return func(_ testing.TB, iss *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.Protected, p.Unprotected = fill(prot, iss.KID()), fill(unprot, iss.KID())
		return p
	}
}

func coseOf(t testing.TB, iss *demo.Issuer, p demo.Pass) []byte {
	t.Helper()
	b, err := iss.COSE(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sigOf returns the signature a pass would carry.
func sigOf(t testing.TB, iss *demo.Issuer, p demo.Pass) []byte {
	t.Helper()
	var m struct {
		_         struct{} `cbor:",toarray"`
		P         []byte
		U         cbor.RawMessage
		Payload   []byte
		Signature []byte
	}
	if err := cbor.Unmarshal(coseOf(t, iss, p)[1:], &m); err != nil {
		t.Fatal(err)
	}
	return m.Signature
}

var p256N = func() *big.Int {
	n, _ := new(big.Int).SetString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
	return n
}()

func scalar(n *big.Int) []byte { return n.FillBytes(make([]byte, 32)) }

var pipelineCases = []pipelineCase{
	{name: "ES256 vaccination", signer: "ec", pass: signed(valid(vaccination())), want: verify.Pass, reason: verify.ReasonOK,
		checks: "prefix:true base45:true zlib:true cose:true signature:true expiry:true keyUsage:true schema:true revocation:true"},
	{name: "ES256 test", signer: "ec", pass: signed(valid(testEntry())), want: verify.Pass},
	{name: "ES256 recovery", signer: "ec", pass: signed(valid(recovery())), want: verify.Pass},
	{name: "PS256 RSA-2048", signer: "rsa", pass: signed(valid(vaccination())), want: verify.Pass},
	{name: "PS256 RSA-3072", signer: "rsa-3072", pass: signed(valid(vaccination())), want: verify.Pass},

	// Framing and encoding.
	// HCERT §3.3.2 requires zlib, and the reference verifiers refuse a pass
	// without it (dgc-testdata common/2DCode/raw/Z2, "INVALID: Not
	// compressed"): compression is not signed, but a pass that skips it was
	// not made by a conforming issuer.
	{name: "uncompressed COSE is refused", signer: "ec", pass: func(testing.TB, *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.Uncompressed = true
		return p
	}, want: verify.Fail, reason: verify.ReasonCompression, checks: "base45:true zlib:false cose:null signature:null"},
	{name: "untagged COSE", signer: "ec", pass: func(testing.TB, *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.Tags = []uint64{}
		return p
	}, want: verify.Pass},
	{name: "double-tagged 61(18)", signer: "ec", pass: func(testing.TB, *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.Tags = []uint64{61, 18}
		return p
	}, want: verify.Pass},
	{name: "COSE_Sign tag 98 is not a pass", signer: "ec", pass: func(testing.TB, *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.Tags = []uint64{98}
		return p
	}, want: verify.Fail, reason: verify.ReasonStructure, checks: "zlib:true cose:false signature:null"},
	{name: "tags in the wrong order", signer: "ec", pass: func(testing.TB, *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.Tags = []uint64{18, 61}
		return p
	}, want: verify.Fail, reason: verify.ReasonStructure},
	{name: "lowercase prefix is not a DCC", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			qr, _ := iss.Issue(p)
			return "hc1:" + qr[4:]
		}, want: verify.Manual, reason: verify.ReasonUnknownFormat, checks: "prefix:false base45:null"},
	{name: "HC2 prefix is not a DCC", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			qr, _ := iss.Issue(p)
			return "HC2:" + qr[4:]
		}, want: verify.Manual, reason: verify.ReasonUnknownFormat},
	{name: "base45 damaged", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			qr, _ := iss.Issue(p)
			return qr[:10] + "a" + qr[11:]
		}, want: verify.Fail, reason: verify.ReasonEncoding, checks: "prefix:true base45:false zlib:null"},
	{name: "zlib stream cut short", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			qr, _ := iss.Issue(p)
			raw, _ := verify.Base45Decode(qr[4:])
			return verify.PrefixDCC + verify.Base45Encode(raw[:len(raw)/2])
		}, want: verify.Fail, reason: verify.ReasonCompression, checks: "base45:true zlib:false cose:null"},
	{name: "neither zlib nor COSE", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(testing.TB, *demo.Issuer, demo.Pass) string {
			return verify.PrefixDCC + verify.Base45Encode([]byte("hello, door"))
		}, want: verify.Fail, reason: verify.ReasonCompression},
	{name: "trailing bytes after the COSE", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			return demo.Encode(append(coseOf(t, iss, p), 0x00), true)
		}, want: verify.Fail, reason: verify.ReasonStructure},

	// Keys and key ids (HCERT §3.3.1: protected kid first).
	{name: "kid only in the unprotected header", signer: "ec", pass: headers(hdr{1: demo.AlgES256}, hdr{4: kid}), want: verify.Pass},
	{name: "wrong protected kid, right unprotected kid", signer: "ec", pass: headers(hdr{1: demo.AlgES256, 4: []byte("foo")}, hdr{4: kid}), want: verify.Manual, reason: verify.ReasonUnknownSigner, checks: "signature:false"},
	{name: "right protected kid, wrong unprotected kid", signer: "ec", pass: headers(nil, hdr{4: []byte("12345678")}), want: verify.Pass},
	{name: "no kid anywhere", signer: "ec", pass: func(testing.TB, *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.Protected = map[int64]any{1: demo.AlgES256}
		return p
	}, want: verify.Manual, reason: verify.ReasonUnknownSigner},
	{name: "signer not trusted", signer: "ec", trusted: []string{"ec-other"}, pass: signed(valid(vaccination())),
		want: verify.Manual, reason: verify.ReasonUnknownSigner, checks: "signature:false revocation:null keyUsage:null"},
	{name: "signature altered", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			sig := sigOf(t, iss, p)
			sig[40] ^= 1
			p.Signature = sig
			return demo.Encode(coseOf(t, iss, p), true)
		}, want: verify.Fail, reason: verify.ReasonSignature, checks: "signature:false expiry:true schema:true"},

	// Algorithm confusion (RELIABILITY row 10): never a pass.
	{name: "alg moved to the unprotected header of a signed pass", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			p.Signature = sigOf(t, iss, p) // signed with alg protected
			p.Protected = map[int64]any{4: iss.KID()}
			p.Unprotected = map[int64]any{1: demo.AlgES256}
			return demo.Encode(coseOf(t, iss, p), true)
		}, want: verify.Fail, reason: verify.ReasonSignature},
	{name: "unprotected alg disagreeing with the key", signer: "ec", pass: headers(hdr{4: kid}, hdr{1: demo.AlgPS256}), want: verify.Fail, reason: verify.ReasonAlgorithm},
	{name: "unprotected alg agreeing with the key, as some issuers send (dgc-testdata CO20)", signer: "ec",
		pass: headers(hdr{}, hdr{1: demo.AlgES256, 4: kid}), want: verify.Pass},
	{name: "PS256 claimed with an EC key", signer: "ec", pass: headers(hdr{1: demo.AlgPS256, 4: kid}, nil), want: verify.Fail, reason: verify.ReasonAlgorithm},
	{name: "ES256 claimed with an RSA key", signer: "rsa", pass: headers(hdr{1: demo.AlgES256, 4: kid}, nil), want: verify.Fail, reason: verify.ReasonAlgorithm},
	{name: "algorithm named in text", signer: "ec", pass: headers(hdr{1: "ES256", 4: kid}, nil), want: verify.Fail, reason: verify.ReasonAlgorithm},
	{name: "no algorithm at all", signer: "ec", pass: headers(hdr{4: kid}, nil), want: verify.Fail, reason: verify.ReasonAlgorithm},
	{name: "P-384 key under ES256", signer: "p384", pass: headers(hdr{1: demo.AlgES256, 4: kid}, nil), want: verify.Fail, reason: verify.ReasonAlgorithm},
	{name: "RSA-1024 key", signer: "rsa-1024", pass: signed(valid(vaccination())), want: verify.Fail, reason: verify.ReasonAlgorithm},
	{name: "ECDSA r = 0", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			sig := sigOf(t, iss, p)
			clear(sig[:32])
			p.Signature = sig
			return demo.Encode(coseOf(t, iss, p), true)
		}, want: verify.Fail, reason: verify.ReasonSignature},
	{name: "ECDSA s = 0", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			sig := sigOf(t, iss, p)
			clear(sig[32:])
			p.Signature = sig
			return demo.Encode(coseOf(t, iss, p), true)
		}, want: verify.Fail, reason: verify.ReasonSignature},
	{name: "ECDSA r = n", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			sig := sigOf(t, iss, p)
			copy(sig[:32], scalar(p256N))
			p.Signature = sig
			return demo.Encode(coseOf(t, iss, p), true)
		}, want: verify.Fail, reason: verify.ReasonSignature},
	{name: "ECDSA s = n", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			sig := sigOf(t, iss, p)
			copy(sig[32:], scalar(p256N))
			p.Signature = sig
			return demo.Encode(coseOf(t, iss, p), true)
		}, want: verify.Fail, reason: verify.ReasonSignature},
	{name: "ECDSA r above n", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			sig := sigOf(t, iss, p)
			for i := range 32 {
				sig[i] = 0xff
			}
			p.Signature = sig
			return demo.Encode(coseOf(t, iss, p), true)
		}, want: verify.Fail, reason: verify.ReasonSignature},
	{name: "short signature", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			p.Signature = sigOf(t, iss, p)[:63]
			return demo.Encode(coseOf(t, iss, p), true)
		}, want: verify.Fail, reason: verify.ReasonSignature},
	{name: "DER-encoded ECDSA signature", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			sig := sigOf(t, iss, p)
			der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
			if err != nil {
				t.Fatal(err)
			}
			p.Signature = der
			return demo.Encode(coseOf(t, iss, p), true)
		}, want: verify.Fail, reason: verify.ReasonSignature},

	// Time (HCERT: iat ≤ now ≤ exp, within the DSC's validity).
	{name: "expired", signer: "ec", pass: func(testing.TB, *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.ExpiresAt = clock.Add(-time.Second)
		return p
	}, want: verify.Fail, reason: verify.ReasonExpired, checks: "expiry:false signature:true"},
	{name: "issued in the future", signer: "ec", pass: func(testing.TB, *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.IssuedAt = clock.Add(time.Minute)
		return p
	}, want: verify.Fail, reason: verify.ReasonNotYetValid},
	{name: "outlives its DSC", signer: "short-dsc", pass: signed(valid(vaccination())), want: verify.Fail, reason: verify.ReasonSignerWindow},
	{name: "issued before its DSC", signer: "short-dsc", pass: func(testing.TB, *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.IssuedAt = clock.AddDate(0, -2, 0)
		p.ExpiresAt = clock.AddDate(0, 1, 0)
		return p
	}, want: verify.Fail, reason: verify.ReasonSignerWindow},
	{name: "exp and iat as floats", signer: "ec", pass: func(_ testing.TB, iss *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.Claims = map[int64]any{1: "AT", 4: float64(p.ExpiresAt.Unix()) + 0.5, 6: float64(p.IssuedAt.Unix()), -260: map[int64]any{1: p.HCert}}
		return p
	}, want: verify.Pass},
	{name: "exp under tag 1", signer: "ec", pass: func(_ testing.TB, iss *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.Claims = map[int64]any{1: "AT", 4: cbor.Tag{Number: 1, Content: p.ExpiresAt.Unix()}, 6: p.IssuedAt.Unix(), -260: map[int64]any{1: p.HCert}}
		return p
	}, want: verify.Pass},
	{name: "exp as text", signer: "ec", pass: func(_ testing.TB, iss *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.Claims = map[int64]any{1: "AT", 4: "tomorrow", 6: p.IssuedAt.Unix(), -260: map[int64]any{1: p.HCert}}
		return p
	}, want: verify.Fail, reason: verify.ReasonStructure, checks: "cose:false"},
	{name: "no exp", signer: "ec", pass: func(_ testing.TB, iss *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.Claims = map[int64]any{1: "AT", 6: p.IssuedAt.Unix(), -260: map[int64]any{1: p.HCert}}
		return p
	}, want: verify.Fail, reason: verify.ReasonStructure, checks: "cose:true expiry:false"},
	{name: "no hcert claim", signer: "ec", pass: func(_ testing.TB, iss *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.Claims = map[int64]any{1: "AT", 4: p.ExpiresAt.Unix(), 6: p.IssuedAt.Unix()}
		return p
	}, want: verify.Fail, reason: verify.ReasonStructure, checks: "cose:false"},
	{name: "hcert is not a map", signer: "ec", pass: func(_ testing.TB, iss *demo.Issuer) demo.Pass {
		p := valid(vaccination())
		p.Claims = map[int64]any{1: "AT", 4: p.ExpiresAt.Unix(), 6: p.IssuedAt.Unix(), -260: map[int64]any{1: "v"}}
		return p
	}, want: verify.Fail, reason: verify.ReasonStructure},

	// Key usage (both OID spellings).
	{name: "test-only DSC signs a test", signer: "test-only", pass: signed(valid(testEntry())), want: verify.Pass},
	{name: "test-only DSC signs a vaccination", signer: "test-only", pass: signed(valid(vaccination())),
		want: verify.Fail, reason: verify.ReasonKeyUsage, checks: "signature:true keyUsage:false"},
	{name: "vaccination-only DSC (variant OID) signs a vaccination", signer: "vacc-only", pass: signed(valid(vaccination())), want: verify.Pass},
	{name: "vaccination-only DSC (variant OID) signs a recovery", signer: "vacc-only", pass: signed(valid(recovery())), want: verify.Fail, reason: verify.ReasonKeyUsage},
	{name: "recovery-only DSC signs a test", signer: "recov-only", pass: signed(valid(testEntry())), want: verify.Fail, reason: verify.ReasonKeyUsage},

	// Content (schema).
	{name: "vaccination and test in one certificate", signer: "ec", pass: func(testing.TB, *demo.Issuer) demo.Pass {
		h := vaccination()
		h["t"] = testEntry()["t"]
		return valid(h)
	}, want: verify.Fail, reason: verify.ReasonContent, checks: "signature:true schema:false"},
	{name: "missing date of birth", signer: "ec", pass: func(testing.TB, *demo.Issuer) demo.Pass {
		h := vaccination()
		delete(h, "dob")
		return valid(h)
	}, want: verify.Fail, reason: verify.ReasonContent},
	{name: "duplicate key in the payload", signer: "ec", pass: signed(valid(vaccination())),
		raw: func(t testing.TB, iss *demo.Issuer, p demo.Pass) string {
			// A map that says "dob" twice: a verifier and an issuer could
			// read different values from the same bytes.
			hc := []byte{0xa2, 0x63, 'd', 'o', 'b', 0x64, '1', '9', '9', '0', 0x63, 'd', 'o', 'b', 0x64, '2', '0', '0', '0'}
			p.Claims = map[int64]any{1: "AT", 4: p.ExpiresAt.Unix(), 6: p.IssuedAt.Unix(), -260: map[int64]any{1: cbor.RawMessage(hc)}}
			return demo.Encode(coseOf(t, iss, p), true)
		}, want: verify.Fail, reason: verify.ReasonStructure},
}

func runCase(t testing.TB, c pipelineCase) (string, verify.Result) {
	t.Helper()
	iss := issuer(t, c.signer)
	trusted := c.trusted
	if trusted == nil {
		trusted = []string{c.signer}
	}
	p := c.pass(t, iss)
	var qr string
	if c.raw != nil {
		qr = c.raw(t, iss, p)
	} else {
		var err error
		if qr, err = iss.Issue(p); err != nil {
			t.Fatal(err)
		}
	}
	return qr, verify.New(trusting(t, trusted...), at(clock)).Verify([]byte(qr))
}

func TestPipeline(t *testing.T) {
	for _, c := range pipelineCases {
		t.Run(c.name, func(t *testing.T) {
			_, res := runCase(t, c)
			if res.Verdict != c.want {
				t.Errorf("verdict %s (%s: %s), want %s", res.Verdict, res.Reason, res.Detail, c.want)
			}
			if c.reason != "" && res.Reason != c.reason {
				t.Errorf("reason %s (%s), want %s", res.Reason, res.Detail, c.reason)
			}
			assertChecks(t, res.Checks, c.checks)
			if res.Verdict != verify.Pass && res.Detail == "" {
				t.Error("a verdict other than pass must say why")
			}
		})
	}
}

// assertChecks compares the named checks with want, "name:true|false|null".
func assertChecks(t *testing.T, got verify.Checks, want string) {
	t.Helper()
	m := map[string]verify.Check{
		"prefix": got.Prefix, "base45": got.Base45, "zlib": got.Zlib, "cose": got.COSE,
		"signature": got.Signature, "expiry": got.Expiry, "keyUsage": got.KeyUsage,
		"schema": got.Schema, "revocation": got.Revocation,
	}
	for _, kv := range strings.Fields(want) {
		name, val, _ := strings.Cut(kv, ":")
		c, ok := m[name]
		if !ok {
			t.Fatalf("no check %q", name)
		}
		b, _ := c.MarshalJSON()
		if string(b) != val {
			t.Errorf("check %s = %s, want %s", name, b, val)
		}
	}
}

// TestRevocation covers each hash kind of the DCC revocation lists, and
// that a revoked pass is still shown as what it is.
func TestRevocation(t *testing.T) {
	iss := issuer(t, "ec")
	p := valid(vaccination())
	qr, err := iss.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	const uvci = "URN:UVCI:01:AT:TEST0001#X"
	tests := []struct {
		name    string
		list    string
		revoked bool
	}{
		{"not revoked", `{"revoked":{"uci":["` + b64(hash16("URN:UVCI:01:AT:OTHER#Q")) + `"]}}`, false},
		{"by UVCI", `{"revoked":{"uci":["` + b64(hash16(uvci)) + `"]}}`, true},
		{"by UVCI, full 32-byte hash", `{"revoked":{"uci":["` + b64(hash32(uvci)) + `"]}}`, true},
		{"by country and UVCI", `{"revoked":{"countryCodeUci":["` + b64(hash16("KR"+uvci)) + `"]}}`, true},
		{"by country and UVCI, wrong country", `{"revoked":{"countryCodeUci":["` + b64(hash16("DE"+uvci)) + `"]}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := trusting(t, "ec")
			if err := tr.AddList([]byte(tc.list)); err != nil {
				t.Fatal(err)
			}
			res := verify.New(tr, at(clock)).Verify([]byte(qr))
			if got := res.Reason == verify.ReasonRevoked; got != tc.revoked {
				t.Fatalf("revoked = %v (%s %s), want %v", got, res.Verdict, res.Reason, tc.revoked)
			}
			if tc.revoked && (res.Verdict != verify.Fail || res.Checks.Revocation != verify.Failed || res.Type != verify.Vaccination) {
				t.Errorf("revoked pass: %+v", res)
			}
		})
	}
	t.Run("by signature (ECDSA r only)", func(t *testing.T) {
		s := sigOf(t, iss, p) // ECDSA signatures differ each time: sign once, use it
		p2 := p
		p2.Signature = s
		qr2 := demo.Encode(coseOf(t, iss, p2), true)
		tr := trusting(t, "ec")
		// s is malleable (s and n-s both verify), so the lists hash r alone.
		if err := tr.AddList([]byte(`{"revoked":{"signature":["` + b64(hash16(string(s[:32]))) + `"]}}`)); err != nil {
			t.Fatal(err)
		}
		if res := verify.New(tr, at(clock)).Verify([]byte(qr2)); res.Reason != verify.ReasonRevoked {
			t.Fatalf("got %s %s, want revoked", res.Verdict, res.Reason)
		}
	})
	t.Run("Revoke by UVCI", func(t *testing.T) {
		tr := trusting(t, "ec")
		tr.Revoke(uvci)
		if res := verify.New(tr, at(clock)).Verify([]byte(qr)); res.Reason != verify.ReasonRevoked {
			t.Fatalf("got %s %s, want revoked", res.Verdict, res.Reason)
		}
	})
}

// TestCandidatesShareKID is RELIABILITY row 11: several DSCs under one kid,
// one of them right.
func TestCandidatesShareKID(t *testing.T) {
	right := issuer(t, "ec")
	qr, err := right.Issue(valid(vaccination()))
	if err != nil {
		t.Fatal(err)
	}
	kid := right.KID()
	for _, n := range []int{3, 200} {
		tr := verify.NewTrust()
		// The right key comes last: every wrong one is tried first.
		for i := 0; i < n-1; i++ {
			other, err := demo.GenerateIssuer(demo.IssuerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.AddCertificate(other.Certificate(), kid, ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := tr.AddCertificate(right.Certificate(), kid, ""); err != nil {
			t.Fatal(err)
		}
		res := verify.New(tr, at(clock)).Verify([]byte(qr))
		switch {
		case n <= verify.MaxKeysPerKID:
			if res.Verdict != verify.Pass {
				t.Errorf("%d keys share the kid: %s %s, want pass", n, res.Reason, res.Detail)
			}
		default:
			// The trust list holds at most MaxKeysPerKID keys under one id,
			// so a scan costs at most that many signature checks; the keys
			// past the bound are reported, not tried.
			if tr.Signers() != verify.MaxKeysPerKID {
				t.Errorf("%d keys share the kid: %d kept, want %d", n, tr.Signers(), verify.MaxKeysPerKID)
			}
			if len(tr.Warnings()) == 0 {
				t.Error("no warning about the keys left out")
			}
			if res.Verdict == verify.Pass {
				t.Error("a key past the bound was tried")
			}
		}
	}
}

// TestConcurrentVerify runs the pooled pipeline from many goroutines, for
// the race detector and for buffers shared by mistake.
func TestConcurrentVerify(t *testing.T) {
	iss := issuer(t, "ec")
	good, _ := iss.Issue(valid(vaccination()))
	expired := valid(testEntry())
	expired.ExpiresAt = clock.Add(-time.Hour)
	bad, _ := iss.Issue(expired)
	v := verify.New(trusting(t, "ec"), at(clock))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if r := v.Verify([]byte(good)); r.Verdict != verify.Pass || r.Holder.Name != "ERIKA M***" {
					t.Errorf("good: %s %s %q", r.Verdict, r.Detail, r.Holder.Name)
					return
				}
				if r := v.Verify([]byte(bad)); r.Reason != verify.ReasonExpired || r.Type != verify.Test {
					t.Errorf("bad: %s %s", r.Verdict, r.Reason)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func hash32(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
func hash16(s string) []byte { return hash32(s)[:16] }
func b64(b []byte) string    { return base64.StdEncoding.EncodeToString(b) }

// TestDefectIsManual: a defect that panics inside a scan (here a Verifier
// built without its clock) must not take the door down; the visitor gets a
// manual check and the reason says what happened.
func TestDefectIsManual(t *testing.T) {
	qr, err := issuer(t, "ec").Issue(valid(vaccination()))
	if err != nil {
		t.Fatal(err)
	}
	res := verify.New(trusting(t, "ec"), nil).Verify([]byte(qr))
	if res.Verdict != verify.Manual || res.Reason != verify.ReasonInternal || res.Detail == "" {
		t.Fatalf("got %s %s %q, want manual internal-error", res.Verdict, res.Reason, res.Detail)
	}
}

// TestDCCPassID: a DCC is known by its certificate identifier (ci), which
// the issuer signed, never by its signature or any of the unsigned
// wrapping (tags, the unprotected header, compression): a pass re-signed
// with s swapped for n−s, re-tagged or given another unprotected header
// is the same pass. A DCC whose ci is empty (the schema sets no minimum
// length) is known by what its issuer signed instead of escaping the
// re-use check with no id at all.
func TestDCCPassID(t *testing.T) {
	iss := issuer(t, "ec")
	v := verify.New(trusting(t, "ec"), at(clock))
	withCI := func(ci string) demo.Pass {
		h := vaccination()
		h["v"].([]any)[0].(map[string]any)["ci"] = ci
		p := valid(h)
		p.Signature = sigOf(t, iss, p) // sign once: every form below carries this signature
		return p
	}
	highS := func(p demo.Pass) demo.Pass {
		sig := bytes.Clone(p.Signature)
		copy(sig[32:], scalar(new(big.Int).Sub(p256N, new(big.Int).SetBytes(sig[32:]))))
		p.Signature = sig
		return p
	}
	retagged := func(p demo.Pass) demo.Pass { p.Tags = []uint64{61, 18}; return p }
	unprotected := func(p demo.Pass) demo.Pass { p.Unprotected = map[int64]any{-70000: "x"}; return p }
	for _, ci := range []string{"URN:UVCI:01:AT:TEST0001#X", ""} {
		base := withCI(ci)
		first := v.Verify([]byte(demo.Encode(coseOf(t, iss, base), true)))
		if first.Verdict != verify.Pass {
			t.Fatalf("ci %q: %s %s (%s)", ci, first.Verdict, first.Reason, first.Detail)
		}
		if first.PassID == "" {
			t.Errorf("ci %q: a pass with no id escapes the re-use check", ci)
		}
		if ci != "" && first.PassID != ci {
			t.Errorf("pass id %q, want the ci %q", first.PassID, ci)
		}
		for name, change := range map[string]func(demo.Pass) demo.Pass{"s to n-s": highS, "tags 61(18)": retagged, "unprotected header": unprotected} {
			res := v.Verify([]byte(demo.Encode(coseOf(t, iss, change(base)), true)))
			if res.Verdict != verify.Pass {
				t.Errorf("ci %q, %s: %s %s (%s)", ci, name, res.Verdict, res.Reason, res.Detail)
				continue
			}
			if res.PassID != first.PassID {
				t.Errorf("ci %q, %s: pass id %q, want %q", ci, name, res.PassID, first.PassID)
			}
		}
	}
	// Two passes with an empty ci but different content are two passes.
	a := v.Verify([]byte(demo.Encode(coseOf(t, iss, withCI("")), true)))
	other := withCI("")
	other.HCert.(map[string]any)["dob"] = "1965-01-01"
	other.Signature = nil
	b := v.Verify([]byte(demo.Encode(coseOf(t, iss, other), true)))
	if a.Verdict != verify.Pass || b.Verdict != verify.Pass || a.PassID == b.PassID {
		t.Errorf("two passes with empty ci: %s %q and %s %q", a.Verdict, a.PassID, b.Verdict, b.PassID)
	}
}
