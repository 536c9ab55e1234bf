package verify_test

import (
	"bytes"
	"compress/flate"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/verify"
)

var (
	shcOnce   sync.Once
	shcIssuer *demo.SHCIssuer
)

const shcIss = "https://issuer.example/shc"

func testSHCIssuer(t testing.TB) *demo.SHCIssuer {
	t.Helper()
	shcOnce.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		shcIssuer = demo.NewSHCIssuer(shcIss, k)
	})
	return shcIssuer
}

// shcTrust trusts the test issuer, with a revocation list when crl is set.
func shcTrust(t testing.TB, crl string) *verify.Trust {
	t.Helper()
	iss := testSHCIssuer(t)
	tr := verify.NewTrust()
	crls := map[string][]byte{}
	if crl != "" {
		crls[iss.KID()] = []byte(crl)
	}
	if err := tr.AddSHCIssuer(iss.Iss, iss.JWKS(), crls); err != nil {
		t.Fatal(err)
	}
	return tr
}

var shcNow = time.Date(2022, 1, 15, 12, 0, 0, 0, time.UTC)

func card() demo.HealthCard {
	return demo.HealthCard{
		IssuedAt: shcNow.Add(-48 * time.Hour), Rid: "abc123", Family: "Anyperson", Given: []string{"John", "B."}, BirthDate: "1951-01-20",
		Shots: []demo.Shot{{CVX: "207", Date: "2021-01-01"}, {CVX: "207", Date: "2021-01-29"}},
	}
}

func sign(t testing.TB, c demo.HealthCard) string {
	t.Helper()
	jws, err := testSHCIssuer(t).Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return jws
}

func deflate(b []byte) []byte {
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression)
	w.Write(b)
	w.Close()
	return z.Bytes()
}

var b64u = base64.RawURLEncoding

// withPart replaces part i (0 header, 1 payload, 2 signature) of a JWS.
func withPart(jws string, i int, part string) string {
	p := strings.Split(jws, ".")
	p[i] = part
	return strings.Join(p, ".")
}

func TestSHCCards(t *testing.T) {
	good := sign(t, card())
	derSig := func() string {
		sig, _ := b64u.DecodeString(strings.Split(good, ".")[2])
		der := append([]byte{0x30, 0x44, 0x02, 0x20}, sig[:32]...)
		der = append(append(der, 0x02, 0x20), sig[32:]...)
		return withPart(good, 2, b64u.EncodeToString(der))
	}()
	zeroR := func() string {
		sig, _ := b64u.DecodeString(strings.Split(good, ".")[2])
		clear(sig[:32])
		return withPart(good, 2, b64u.EncodeToString(sig))
	}()
	header := func(h string) string { return withPart(good, 0, b64u.EncodeToString([]byte(h))) }
	payload := func(p string) string { return withPart(good, 1, b64u.EncodeToString(deflate([]byte(p)))) }
	validPayload := `{"iss":"` + shcIss + `","nbf":1642000000,"vc":{"type":["https://smarthealth.cards#health-card"],"credentialSubject":{"fhirVersion":"4.0.1","fhirBundle":{"resourceType":"Bundle","entry":[]}}}}`
	for _, tc := range []struct {
		name   string
		jws    string
		want   verify.Verdict
		reason verify.Reason
	}{
		{"valid", good, verify.Pass, verify.ReasonOK},
		{"booster", sign(t, func() demo.HealthCard {
			c := card()
			c.Shots = append(c.Shots, demo.Shot{CVX: "208", Date: "2021-12-01"})
			return c
		}()), verify.Pass, verify.ReasonOK},
		{"negative PCR", sign(t, func() demo.HealthCard {
			c := card()
			c.Shots, c.Tests = nil, []demo.LabResult{{LOINC: "94500-6", Result: "260415000", Time: "2022-01-15T08:00:00+09:00"}}
			return c
		}()), verify.Pass, verify.ReasonOK},
		// Algorithm confusion (RELIABILITY row 10): never a pass.
		{"alg none", header(`{"zip":"DEF","alg":"none","kid":"` + testSHCIssuer(t).KID() + `"}`), verify.Fail, verify.ReasonAlgorithm},
		{"alg HS256", header(`{"zip":"DEF","alg":"HS256","kid":"` + testSHCIssuer(t).KID() + `"}`), verify.Fail, verify.ReasonAlgorithm},
		{"alg missing", header(`{"zip":"DEF","kid":"` + testSHCIssuer(t).KID() + `"}`), verify.Fail, verify.ReasonAlgorithm},
		{"zip missing", header(`{"alg":"ES256","kid":"` + testSHCIssuer(t).KID() + `"}`), verify.Fail, verify.ReasonCompression},
		{"header with a duplicate key", header(`{"zip":"DEF","alg":"ES256","alg":"none","kid":"x"}`), verify.Fail, verify.ReasonStructure},
		{"header changed after signing", header(`{"zip":"DEF","alg":"ES256","kid":"` + testSHCIssuer(t).KID() + `","x":1}`), verify.Fail, verify.ReasonSignature},
		{"DER signature", derSig, verify.Fail, verify.ReasonSignature},
		{"r = 0", zeroR, verify.Fail, verify.ReasonSignature},
		{"payload changed after signing", payload(validPayload), verify.Fail, verify.ReasonSignature},
		{"payload not DEFLATE", withPart(good, 1, b64u.EncodeToString([]byte("not deflate at all"))), verify.Fail, verify.ReasonCompression},
		{"payload with a duplicate key", payload(`{"iss":"` + shcIss + `","iss":"https://evil.example","nbf":1}`), verify.Fail, verify.ReasonStructure},
		{"payload nested 1,000 deep", payload(strings.Repeat("[", 1000) + strings.Repeat("]", 1000)), verify.Fail, verify.ReasonStructure},
		{"payload with trailing data", payload(validPayload + `{}`), verify.Fail, verify.ReasonStructure},
		{"trailing white space", good + " \t\n ", verify.Fail, verify.ReasonStructure},
		{"four parts", good + ".AAAA", verify.Fail, verify.ReasonStructure},
		{"padding", good + "=", verify.Fail, verify.ReasonStructure},
		{"issued in the future", sign(t, func() demo.HealthCard { c := card(); c.IssuedAt = shcNow.Add(time.Minute); return c }()), verify.Fail, verify.ReasonNotYetValid},
		{"expired", sign(t, func() demo.HealthCard { c := card(); c.ExpiresAt = shcNow.Add(-time.Minute); return c }()), verify.Fail, verify.ReasonExpired},
		{"exp in milliseconds", sign(t, func() demo.HealthCard {
			c := card()
			c.ExpiresAt = time.UnixMilli(shcNow.Add(time.Hour).UnixMilli() * 1000)
			return c
		}()), verify.Fail, verify.ReasonStructure},
		{"rid outside the base64url alphabet", sign(t, func() demo.HealthCard { c := card(); c.Rid = "abc+123"; return c }()), verify.Fail, verify.ReasonContent},
		{"rid of 25 characters", sign(t, func() demo.HealthCard { c := card(); c.Rid = strings.Repeat("a", 25); return c }()), verify.Fail, verify.ReasonContent},
		{"rid of 24 characters", sign(t, func() demo.HealthCard { c := card(); c.Rid = strings.Repeat("a", 24); return c }()), verify.Pass, verify.ReasonOK},
		// nbf and exp are numbers (RFC 7519 NumericDate); a string that
		// holds one is not.
		{"nbf as a string", sign(t, demo.HealthCard{Payload: []byte(strings.Replace(validPayload, `"nbf":1642000000`, `"nbf":"1642000000"`, 1))}), verify.Fail, verify.ReasonStructure},
		{"exp as a string", sign(t, demo.HealthCard{Payload: []byte(strings.Replace(validPayload, `"nbf":1642000000`, `"nbf":1642000000,"exp":"1742000000"`, 1))}), verify.Fail, verify.ReasonStructure},
		{"not a health card", sign(t, demo.HealthCard{Payload: []byte(strings.Replace(validPayload, "#health-card", "#something-else", 1))}), verify.Fail, verify.ReasonContent},
		{"two patients", sign(t, demo.HealthCard{Payload: []byte(strings.Replace(validPayload, `"entry":[]`,
			`"entry":[{"resource":{"resourceType":"Patient"}},{"resource":{"resourceType":"Patient"}},{"resource":{"resourceType":"Immunization","status":"completed","occurrenceDateTime":"2021-01-01"}}]`, 1))}), verify.Fail, verify.ReasonContent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := verify.New(shcTrust(t, ""), at(shcNow)).VerifyJWS(tc.jws)
			if res.Verdict != tc.want || res.Reason != tc.reason {
				t.Fatalf("%s %s (%s), want %s %s", res.Verdict, res.Reason, res.Detail, tc.want, tc.reason)
			}
			if res.Format != verify.FormatSHC || (res.Verdict != verify.Pass && res.Detail == "") {
				t.Errorf("format %s, detail %q", res.Format, res.Detail)
			}
		})
	}
}

// TestSHCFacts: what a card says reaches the screen masked and the rules
// as DCC facts.
func TestSHCFacts(t *testing.T) {
	c := card()
	c.Family, c.Given = "홍", []string{"길동"}
	c.Shots = []demo.Shot{{CVX: "212", Date: "2021-08-01"}}
	res := verify.New(shcTrust(t, ""), at(shcNow)).VerifyJWS(sign(t, c))
	if res.Verdict != verify.Pass || res.Type != verify.Vaccination || res.Holder.Name != "홍*동" || res.Holder.BirthYear != 1951 {
		t.Fatalf("%+v", res)
	}
	v := res.Facts.Entry
	if v["mp"] != "EU/1/20/1525" || v["dn"] != int64(1) || v["sd"] != int64(1) || v["dt"] != "2021-08-01" || v["tg"] != "840539006" {
		t.Errorf("vaccination facts %v", v)
	}
	if !strings.HasPrefix(res.PassID, "shc:rid:") || res.IssuedAt.IsZero() {
		t.Errorf("pass id %q, issued %v", res.PassID, res.IssuedAt)
	}
	out, _ := json.Marshal(res)
	for _, s := range []string{"길동", "1951-01-20", "abc123"} {
		if strings.Contains(string(out), s) {
			t.Errorf("the JSON holds %q: %s", s, out)
		}
	}
}

// TestSHCRevocation is the rid method: a rid alone revokes every card with
// it; rid.timestamp the cards issued before the timestamp.
func TestSHCRevocation(t *testing.T) {
	kid := testSHCIssuer(t).KID()
	issued := card().IssuedAt.Unix()
	crl := func(rids ...string) string {
		b, _ := json.Marshal(map[string]any{"kid": kid, "method": "rid", "ctr": 1, "rids": rids})
		return string(b)
	}
	jws := sign(t, card()) // rid abc123
	for _, tc := range []struct {
		name   string
		crl    string
		want   verify.Verdict
		reason verify.Reason
	}{
		{"not listed", crl("zzz"), verify.Pass, verify.ReasonOK},
		{"listed", crl("abc123"), verify.Fail, verify.ReasonRevoked},
		{"listed from after its issue", crl("abc123." + itoa(issued+1)), verify.Fail, verify.ReasonRevoked},
		{"listed from before its issue (re-issued since)", crl("abc123." + itoa(issued-1)), verify.Pass, verify.ReasonOK},
		{"a list of another method", strings.Replace(crl("zzz"), `"rid"`, `"ridx"`, 1), verify.Manual, verify.ReasonRevocationUnknown},
		{"a list with a rid too long", crl("this-rid-is-longer-than-the-24-char-max"), verify.Manual, verify.ReasonRevocationUnknown},
		{"a list for another key", strings.Replace(crl("zzz"), kid, "other", 1), verify.Manual, verify.ReasonRevocationUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := verify.New(shcTrust(t, tc.crl), at(shcNow)).VerifyJWS(jws)
			if res.Verdict != tc.want || res.Reason != tc.reason {
				t.Errorf("%s %s (%s), want %s %s", res.Verdict, res.Reason, res.Detail, tc.want, tc.reason)
			}
		})
	}
}

func itoa(n int64) string { return big.NewInt(n).String() }

// TestSHCIssuerNotTrusted is RELIABILITY row 12: a card naming an issuer
// whose server hangs is not trusted at once, and no connection is made.
func TestSHCIssuerNotTrusted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			defer c.Close() // hang: never answer
		}
	}()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	stranger := demo.NewSHCIssuer("https://"+ln.Addr().String(), k)
	jws, err := stranger.Sign(card())
	if err != nil {
		t.Fatal(err)
	}
	res := verify.New(shcTrust(t, ""), at(shcNow)).Verify([]byte(demo.NumericQR(jws)))
	if res.Verdict != verify.Manual || res.Reason != verify.ReasonUnknownSigner || !strings.Contains(res.Detail, "issuer not trusted") {
		t.Fatalf("%s %s (%s), want manual: issuer not trusted", res.Verdict, res.Reason, res.Detail)
	}
	// The listener would have taken a connection at once; give a stray
	// one every chance to arrive before counting.
	time.Sleep(100 * time.Millisecond)
	if n := accepted.Load(); n != 0 {
		t.Errorf("%d connections to the issuer at scan time", n)
	}
}

// TestSHCTrustKeys: only ES256 P-256 signing keys whose kid is their
// thumbprint are trusted; the others are reported.
func TestSHCTrustKeys(t *testing.T) {
	iss := testSHCIssuer(t)
	var set map[string][]map[string]any
	if err := json.Unmarshal(iss.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	good := set["keys"][0]
	with := func(k, v string) []byte {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		b, _ := json.Marshal(map[string]any{"keys": []any{m}})
		return b
	}
	for _, tc := range []struct {
		name string
		jwks []byte
	}{
		{"kid not the thumbprint", with("kid", "not-the-thumbprint")},
		{"encryption key", with("use", "enc")},
		{"other algorithm", with("alg", "ES384")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := verify.NewTrust()
			if err := tr.AddSHCIssuer(iss.Iss, tc.jwks, nil); err == nil {
				t.Fatal("an issuer with no usable key was trusted")
			}
			if len(tr.Warnings()) == 0 {
				t.Error("no warning about the key")
			}
		})
	}
	if err := verify.NewTrust().AddSHCIssuer("http://issuer.example", iss.JWKS(), nil); err == nil {
		t.Error("an http issuer was trusted")
	}
}

func TestSHCQRText(t *testing.T) {
	jws := sign(t, card())
	for _, tc := range []struct {
		name string
		text string
		ok   bool
	}{
		{"whole", demo.NumericQR(jws), true},
		{"odd number of digits", demo.NumericQR(jws) + "1", false},
		{"a pair above 77", "shc:/78" + demo.NumericQR(jws)[7:], false},
		{"not a digit", "shc:/5x" + demo.NumericQR(jws)[7:], false},
		{"no slash", "shc:" + demo.NumericQR(jws)[5:], false},
		{"upper case", "SHC:/" + demo.NumericQR(jws)[5:], false},
		{"chunk 0 of 2", "shc:/0/2/" + demo.NumericQR(jws)[5:], false},
		{"chunk 3 of 2", "shc:/3/2/" + demo.NumericQR(jws)[5:], false},
		// A whole card wearing the header of a split one: intact and
		// signed, decided as a card (TestSHCChunkHeader).
		{"chunk of 1", "shc:/1/1/" + demo.NumericQR(jws)[5:], true},
		{"empty", "shc:/", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := verify.New(shcTrust(t, ""), at(shcNow)).Verify([]byte(tc.text))
			if ok := res.Verdict == verify.Pass; ok != tc.ok {
				t.Errorf("%s %s (%s)", res.Verdict, res.Reason, res.Detail)
			}
			if !tc.ok && res.Verdict == verify.Manual && res.Reason != verify.ReasonUnknownFormat {
				t.Errorf("a damaged card is %s %s", res.Verdict, res.Reason)
			}
		})
	}
}

// bigCard is a card too large for one QR, as the split-QR cards in the wild.
func bigCard(t testing.TB) string {
	c := card()
	// Random text does not compress: a long name makes the card long.
	noise := make([]byte, 600)
	rand.Read(noise)
	c.Given = []string{b64u.EncodeToString(noise)}
	jws := sign(t, c)
	if len(jws) <= 1195 {
		t.Fatalf("the card is %d characters: it fits one QR", len(jws))
	}
	return jws
}

func TestAssembleSHC(t *testing.T) {
	jws := bigCard(t)
	parts := demo.ChunkQRs(jws, 3)
	other := demo.ChunkQRs(bigCard(t), 2)
	small := demo.ChunkQRs(sign(t, card()), 2)
	for _, tc := range []struct {
		name  string
		texts []string
		err   string
	}{
		{"in order", parts, ""},
		{"out of order", []string{parts[2], parts[0], parts[1]}, ""},
		{"one missing", parts[:2], "part 3 of 3 is missing"},
		{"one twice", []string{parts[0], parts[1], parts[1]}, "given twice"},
		{"mixed totals", []string{parts[0], other[1], parts[2]}, "mixed"},
		{"a whole card among parts", []string{parts[0], demo.NumericQR(jws)}, "whole card"},
		{"split when one QR holds it", small, "one QR holds it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := verify.AssembleSHC(tc.texts)
			switch {
			case tc.err == "" && (err != nil || got != jws):
				t.Errorf("AssembleSHC: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("AssembleSHC: %v, want %q", err, tc.err)
			case err != nil && !errors.Is(err, verify.ErrSHC):
				t.Errorf("%v does not wrap ErrSHC", err)
			}
		})
	}
}

// TestSHCChunkScans: the parts of a split card come as separate scans, in
// any order, within a window; a double read is harmless; a part of another
// card or a stale part starts over.
func TestSHCChunkScans(t *testing.T) {
	parts := demo.ChunkQRs(bigCard(t), 3)
	other := demo.ChunkQRs(bigCard(t), 3)
	clock := shcNow
	v := verify.New(shcTrust(t, ""), func() time.Time { return clock }, verify.WithChunkWindow(30*time.Second))
	scan := func(text string, want verify.Reason) {
		t.Helper()
		res := v.Verify([]byte(text))
		if res.Reason != want {
			t.Fatalf("%s %s (%s), want %s", res.Verdict, res.Reason, res.Detail, want)
		}
	}
	scan(parts[1], verify.ReasonIncomplete)
	scan(parts[1], verify.ReasonIncomplete) // the scanner read it twice
	scan(parts[0], verify.ReasonIncomplete)
	scan(parts[2], verify.ReasonOK)

	scan(parts[0], verify.ReasonIncomplete)
	scan(other[1], verify.ReasonIncomplete) // another card's part: part 1 of the first is gone
	scan(parts[1], verify.ReasonIncomplete)
	scan(parts[2], verify.ReasonIncomplete) // still missing part 1
	scan(parts[0], verify.ReasonOK)

	scan(parts[0], verify.ReasonIncomplete)
	scan(parts[1], verify.ReasonIncomplete)
	clock = clock.Add(31 * time.Second) // the visitor walked away
	scan(parts[2], verify.ReasonIncomplete)
}

// shcInflateBomb is a card whose payload is 64 KiB of DEFLATE that unpacks
// to 64 MiB (RELIABILITY row 7).
func shcInflateBomb() string {
	z := deflate(make([]byte, 64<<20))
	return b64u.EncodeToString([]byte(`{"zip":"DEF","alg":"ES256","kid":"k"}`)) + "." + b64u.EncodeToString(z) + "." + b64u.EncodeToString(make([]byte, 64))
}

func TestSHCInflateBomb(t *testing.T) {
	bomb := shcInflateBomb()
	v := verify.New(verify.NewTrust(), at(shcNow))
	res := v.VerifyJWS(bomb)
	if res.Reason != verify.ReasonTooLarge || res.Checks.Zlib != verify.Failed {
		t.Fatalf("%s %s (%s), want too-large at inflation", res.Verdict, res.Reason, res.Detail)
	}
	allocs := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v.VerifyJWS(bomb)
		}
	})
	if per := allocs.AllocedBytesPerOp(); per > 1<<20 {
		t.Errorf("refusing the bomb allocates %d bytes; want under 1 MiB", per)
	}
}

// BenchmarkRejectSHCInflateBomb measures refusing the 64 KiB → 64 MiB card.
func BenchmarkRejectSHCInflateBomb(b *testing.B) {
	bomb := shcInflateBomb()
	v := verify.New(verify.NewTrust(), at(shcNow))
	b.ReportAllocs()
	for b.Loop() {
		if v.VerifyJWS(bomb).Reason != verify.ReasonTooLarge {
			b.Fatal("not refused as too large")
		}
	}
}

// BenchmarkVerifySHC is one health card from its QR text, next to
// BenchmarkVerifyES256/munjigi for a DCC: the same signature algorithm, so
// the difference is the format.
func BenchmarkVerifySHC(b *testing.B) {
	qr := []byte(demo.NumericQR(sign(b, card())))
	v := verify.New(shcTrust(b, ""), at(shcNow))
	if r := v.Verify(qr); r.Verdict != verify.Pass {
		b.Fatalf("benchmark card does not verify: %s", r.Detail)
	}
	b.ReportAllocs()
	for b.Loop() {
		if v.Verify(qr).Verdict != verify.Pass {
			b.Fatal("verify failed")
		}
	}
}

// FuzzSHC feeds arbitrary text to the card path: QR text and JWS alike.
func FuzzSHC(f *testing.F) {
	jws := sign(f, card())
	f.Add(demo.NumericQR(jws))
	f.Add(jws)
	for _, p := range demo.ChunkQRs(bigCard(f), 2) {
		f.Add(p)
	}
	f.Add("shc:/1/2/5676")
	f.Add("eyJ.eyJ.AA")
	v := verify.New(shcTrust(f, ""), at(shcNow))
	f.Fuzz(func(t *testing.T, text string) {
		for _, res := range []verify.Result{v.Verify([]byte(text)), v.VerifyJWS(text)} {
			if res.Verdict == verify.Pass && res.Checks.Signature != verify.Passed {
				t.Fatalf("a pass without a verified signature: %+v", res)
			}
			if res.Verdict != verify.Pass && (res.Reason == "" || res.Detail == "") {
				t.Fatalf("%s without a reason", res.Verdict)
			}
			if r, bad := unprintable(res.Detail + res.Issuer + res.Holder.Name); bad {
				t.Fatalf("%U in %q", r, res.Detail)
			}
		}
	})
}

// respell returns the signature part of jws spelt otherwise but decoding
// to what it did, or holding the other valid ECDSA signature of the same
// content: what anyone can do to a card without the issuer's key.
func respell(t testing.TB, jws, how string) string {
	t.Helper()
	parts := strings.Split(jws, ".")
	sig := parts[2]
	switch how {
	case "unused bits":
		// 64 bytes take 86 base64url characters, 516 bits: the last
		// character's low 4 bits are unused, and decoders ignore them.
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		last := strings.IndexByte(alphabet, sig[len(sig)-1])
		sig = sig[:len(sig)-1] + string(alphabet[last^1])
	case "s to n-s":
		raw, err := b64u.DecodeString(sig)
		if err != nil || len(raw) != 64 {
			t.Fatalf("signature: %v", err)
		}
		s := new(big.Int).SetBytes(raw[32:])
		copy(raw[32:], scalar(new(big.Int).Sub(p256N, s)))
		sig = b64u.EncodeToString(raw)
	default:
		t.Fatalf("no re-spelling %q", how)
	}
	if sig == parts[2] {
		t.Fatal("the re-spelt signature is the same text")
	}
	return withPart(jws, 2, sig)
}

// TestSHCPassIDIgnoresSignatureSpelling: the re-use check keys a card on
// what its issuer signed (the header and payload), so a card whose
// signature is spelt otherwise, or replaced by the other valid signature
// of the same content, is the same card. Before, a card without a rid was
// known by the hash of its whole text: re-spelling it got in again.
func TestSHCPassIDIgnoresSignatureSpelling(t *testing.T) {
	v := verify.New(shcTrust(t, ""), at(shcNow))
	for _, rid := range []string{"", "abc123"} {
		c := card()
		c.Rid = rid
		jws := sign(t, c)
		orig := v.VerifyJWS(jws)
		if orig.Verdict != verify.Pass || orig.PassID == "" {
			t.Fatalf("rid %q: %s %s (%s), id %q", rid, orig.Verdict, orig.Reason, orig.Detail, orig.PassID)
		}
		for _, how := range []string{"unused bits", "s to n-s"} {
			for _, form := range []string{"JWS", "QR"} {
				t.Run(fmt.Sprintf("rid %q/%s/%s", rid, how, form), func(t *testing.T) {
					other := respell(t, jws, how)
					var res verify.Result
					if form == "QR" {
						res = v.Verify([]byte(demo.NumericQR(other)))
					} else {
						res = v.VerifyJWS(other)
					}
					if res.Verdict != verify.Pass {
						// Either spelling verifying is what makes this
						// matter; if it stops verifying, the case is moot.
						t.Skipf("the re-spelt card is %s %s: nothing to re-use", res.Verdict, res.Reason)
					}
					if res.PassID != orig.PassID {
						t.Errorf("pass id %q, want %q: the same card is a new pass", res.PassID, orig.PassID)
					}
				})
			}
		}
	}
	// Two cards that differ in what is signed are two passes.
	c := card()
	c.Rid = ""
	a, b := v.VerifyJWS(sign(t, c)), func() verify.Result { c.Given = []string{"Jane"}; return v.VerifyJWS(sign(t, c)) }()
	if a.PassID == b.PassID {
		t.Errorf("two different cards share the pass id %q", a.PassID)
	}
}

// imm is an Immunization as a card carries it: its codings (system, code
// pairs) and date.
type imm struct {
	codings [][2]string
	date    string
	status  string // "completed" when empty
}

const (
	cvx    = "http://hl7.org/fhir/sid/cvx"
	snomed = "http://snomed.info/sct"
	icd11  = "http://id.who.int/icd11/mms"
)

// cardWith is a card holding exactly these immunizations, signed.
func cardWith(t testing.TB, shots []imm) string {
	t.Helper()
	entries := []any{map[string]any{"fullUrl": "resource:0", "resource": map[string]any{
		"resourceType": "Patient", "name": []any{map[string]any{"family": "Anyperson", "given": []any{"John"}}}, "birthDate": "1951-01-20"}}}
	for i, s := range shots {
		var codings []any
		for _, c := range s.codings {
			codings = append(codings, map[string]any{"system": c[0], "code": c[1]})
		}
		status := s.status
		if status == "" {
			status = "completed"
		}
		entries = append(entries, map[string]any{"fullUrl": fmt.Sprintf("resource:%d", i+1), "resource": map[string]any{
			"resourceType": "Immunization", "status": status, "vaccineCode": map[string]any{"coding": codings},
			"patient": map[string]any{"reference": "resource:0"}, "occurrenceDateTime": s.date}})
	}
	payload, err := json.Marshal(map[string]any{"iss": shcIss, "nbf": json.Number(itoa(card().IssuedAt.Unix())), "vc": map[string]any{
		"type": []any{"https://smarthealth.cards#health-card"},
		"credentialSubject": map[string]any{"fhirVersion": "4.0.1", "fhirBundle": map[string]any{
			"resourceType": "Bundle", "type": "collection", "entry": entries}}}})
	if err != nil {
		t.Fatal(err)
	}
	return sign(t, demo.HealthCard{Payload: payload})
}

// shcVaccineCases: only COVID-19 vaccines are doses, in whichever code
// system the issuer wrote them (CVX, SNOMED CT, ICD-11); the product and
// date are the latest COVID-19 dose's, the series that of the first.
var shcVaccineCases = []struct {
	name  string
	shots []imm
	dn    int64
	sd    int64
	mp    string // "" when there is no COVID-19 dose
	dt    string
}{
	{"two Pfizer doses", []imm{{[][2]string{{cvx, "208"}}, "2021-03-01", ""}, {[][2]string{{cvx, "208"}}, "2021-03-22", ""}}, 2, 2, "EU/1/20/1528", "2021-03-22"},
	{"flu then one Pfizer dose", []imm{{[][2]string{{cvx, "140"}}, "2020-10-01", ""}, {[][2]string{{cvx, "208"}}, "2021-03-01", ""}}, 1, 2, "EU/1/20/1528", "2021-03-01"},
	{"MMR, MMR, flu, one Pfizer dose", []imm{{[][2]string{{cvx, "03"}}, "1985-01-01", ""}, {[][2]string{{cvx, "03"}}, "1989-01-01", ""},
		{[][2]string{{cvx, "140"}}, "2020-10-01", ""}, {[][2]string{{cvx, "208"}}, "2021-03-01", ""}}, 1, 2, "EU/1/20/1528", "2021-03-01"},
	{"two Moderna doses, then flu", []imm{{[][2]string{{cvx, "207"}}, "2021-03-01", ""}, {[][2]string{{cvx, "207"}}, "2021-03-29", ""}, {[][2]string{{cvx, "140"}}, "2021-10-01", ""}}, 2, 2, "EU/1/20/1507", "2021-03-29"},
	{"flu then Janssen: the series is Janssen's", []imm{{[][2]string{{cvx, "140"}}, "2020-10-01", ""}, {[][2]string{{cvx, "212"}}, "2021-05-01", ""}}, 1, 1, "EU/1/20/1525", "2021-05-01"},
	{"flu only", []imm{{[][2]string{{cvx, "140"}}, "2020-10-01", ""}}, 0, 2, "", "2020-10-01"},
	{"a COVID-19 dose not completed", []imm{{[][2]string{{cvx, "208"}}, "2021-03-01", ""}, {[][2]string{{cvx, "208"}}, "2021-03-22", "not-done"}}, 1, 2, "EU/1/20/1528", "2021-03-01"},
	{"SNOMED CT (Canada): Comirnaty twice", []imm{{[][2]string{{snomed, "28581000087106"}}, "2021-03-01", ""}, {[][2]string{{snomed, "28581000087106"}}, "2021-03-22", ""}}, 2, 2, "EU/1/20/1528", "2021-03-22"},
	{"SNOMED CT: a flu vaccine is not a dose", []imm{{[][2]string{{snomed, "86198006"}}, "2020-10-01", ""}, {[][2]string{{snomed, "28581000087106"}}, "2021-03-22", ""}}, 1, 2, "EU/1/20/1528", "2021-03-22"},
	{"ICD-11: Comirnaty, then Spikevax", []imm{{[][2]string{{icd11, "XM8NQ0"}}, "2021-03-01", ""}, {[][2]string{{"http://id.who.int/icd/release/11/mms", "XM3DT5"}}, "2021-09-01", ""}}, 2, 2, "EU/1/20/1507", "2021-09-01"},
	{"ICD-11: a COVID-19 vaccine of no named product", []imm{{[][2]string{{icd11, "XM0GQ8"}}, "2021-03-01", ""}}, 1, 2, "ICD11:XM0GQ8", "2021-03-01"},
	{"CVX unspecified COVID-19 vaccine", []imm{{[][2]string{{cvx, "213"}}, "2021-03-01", ""}}, 1, 2, "CVX:213", "2021-03-01"},
	{"a local code first, CVX second", []imm{{[][2]string{{"https://example.org/vaccines", "PFZ"}, {cvx, "208"}}, "2021-03-01", ""}}, 1, 2, "EU/1/20/1528", "2021-03-01"},
	{"a COVID-19 code in an unknown system is not read", []imm{{[][2]string{{"https://example.org/vaccines", "208"}}, "2021-03-01", ""}}, 0, 2, "", "2021-03-01"},
}

func TestSHCVaccineFacts(t *testing.T) {
	v := verify.New(shcTrust(t, ""), at(shcNow))
	for _, tc := range shcVaccineCases {
		t.Run(tc.name, func(t *testing.T) {
			res := v.VerifyJWS(cardWith(t, tc.shots))
			if res.Verdict != verify.Pass || res.Type != verify.Vaccination {
				t.Fatalf("%s %s (%s), type %q", res.Verdict, res.Reason, res.Detail, res.Type)
			}
			e := res.Facts.Entry
			mp, _ := e["mp"].(string)
			tg, _ := e["tg"].(string)
			if e["dn"] != tc.dn || e["sd"] != tc.sd || mp != tc.mp || e["dt"] != tc.dt {
				t.Errorf("facts %v, want dn %d sd %d mp %q dt %s", e, tc.dn, tc.sd, tc.mp, tc.dt)
			}
			if wantTG := tc.dn > 0; (tg == "840539006") != wantTG {
				t.Errorf("target disease %q with %d COVID-19 doses", tg, tc.dn)
			}
		})
	}
}

// FuzzSHCVaccineFacts: whatever immunizations a card lists, dn counts at
// most the completed ones, and a card with doses is about COVID-19.
func FuzzSHCVaccineFacts(f *testing.F) {
	for _, tc := range shcVaccineCases {
		for _, s := range tc.shots {
			f.Add(s.codings[0][0], s.codings[0][1], s.date, s.status)
		}
	}
	v := verify.New(shcTrust(f, ""), at(shcNow))
	f.Fuzz(func(t *testing.T, system, code, date, status string) {
		shots := []imm{{[][2]string{{system, code}}, date, status}, {[][2]string{{cvx, "208"}}, "2021-03-01", ""}}
		res := v.VerifyJWS(cardWith(t, shots))
		if res.Verdict != verify.Pass || res.Facts == nil || res.Facts.Entry == nil {
			return // a card this breaks is judged elsewhere
		}
		dn, _ := res.Facts.Entry["dn"].(int64)
		completed := int64(1)
		if status == "" || status == "completed" {
			completed = 2
		}
		if dn < 1 || dn > completed {
			t.Fatalf("dn %d from %d completed shots: %v", dn, completed, res.Facts.Entry)
		}
		if res.Facts.Entry["tg"] != "840539006" {
			t.Fatalf("a card with a COVID-19 dose is not about COVID-19: %v", res.Facts.Entry)
		}
	})
}

// TestSHCTestFacts: the latest COVID-19 test is the card's test, whatever
// other lab results it holds; a card without one is not about COVID-19.
func TestSHCTestFacts(t *testing.T) {
	v := verify.New(shcTrust(t, ""), at(shcNow))
	pcr := demo.LabResult{LOINC: "94500-6", Result: "260415000", Time: "2022-01-14T08:00:00Z"}
	cholesterol := demo.LabResult{LOINC: "2093-3", Result: "260385009", Time: "2022-01-15T08:00:00Z"}
	for _, tc := range []struct {
		name  string
		tests []demo.LabResult
		tt    string
		sc    string
		covid bool
	}{
		{"a PCR", []demo.LabResult{pcr}, "LP6464-4", pcr.Time, true},
		{"a PCR, then a cholesterol test", []demo.LabResult{pcr, cholesterol}, "LP6464-4", pcr.Time, true},
		{"a cholesterol test only", []demo.LabResult{cholesterol}, "", cholesterol.Time, false},
		{"a flu shot and a PCR: the PCR", []demo.LabResult{pcr}, "LP6464-4", pcr.Time, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := card()
			c.Shots, c.Tests = nil, tc.tests
			if strings.HasPrefix(tc.name, "a flu shot") {
				c.Shots = []demo.Shot{{CVX: "140", Date: "2021-10-01"}}
			}
			res := v.VerifyJWS(sign(t, c))
			if res.Verdict != verify.Pass || res.Type != verify.Test {
				t.Fatalf("%s %s (%s), type %q", res.Verdict, res.Reason, res.Detail, res.Type)
			}
			e := res.Facts.Entry
			tt, _ := e["tt"].(string)
			if tt != tc.tt || e["sc"] != tc.sc || (e["tg"] == "840539006") != tc.covid {
				t.Errorf("facts %v, want tt %q sc %s covid %v", e, tc.tt, tc.sc, tc.covid)
			}
		})
	}
}

// jwksWith is the test issuer's JWKS with crlVersion set to the JSON text
// v on its key ("" leaves it out).
func jwksWith(t testing.TB, v string) []byte {
	t.Helper()
	var set struct {
		Keys []map[string]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(testSHCIssuer(t).JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if v != "" {
		set.Keys[0]["crlVersion"] = json.RawMessage(v)
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// shcRevocationCases are CRLs read strictly, as the specification writes
// them (SMART Health Cards framework, "Revocation"): rids from the
// base64url alphabet, at most 24 characters, with an optional ".timestamp"
// in seconds; a counter ctr from 1 that the key's crlVersion in the JWKS
// names. A list that breaks this, or that the key says is out of date or
// missing, leaves the card's revocation unknown: a manual check, never
// "not revoked". The same rid listed twice means the strictest of its
// entries.
func shcRevocationCases(kid string, issued int64) []struct {
	name       string
	crlVersion string // the key's crlVersion, as JSON text; "" for none
	crl        string // the CRL as JSON text; "" for none given
	want       verify.Verdict
	reason     verify.Reason
} {
	crl := func(ctr string, rids ...string) string {
		b, _ := json.Marshal(append([]string{}, rids...))
		return `{"kid":"` + kid + `","method":"rid","ctr":` + ctr + `,"rids":` + string(b) + `}`
	}
	before, after := "abc123."+itoa(issued-1), "abc123."+itoa(issued+1)
	return []struct {
		name       string
		crlVersion string
		crl        string
		want       verify.Verdict
		reason     verify.Reason
	}{
		{"no crlVersion, no list: the issuer does not revoke", "", "", verify.Pass, verify.ReasonOK},
		{"crlVersion 1, list ctr 1", "1", crl("1", "zzz"), verify.Pass, verify.ReasonOK},
		{"crlVersion 1, list ctr 2 (the list is newer)", "1", crl("2", "zzz"), verify.Pass, verify.ReasonOK},
		{"crlVersion 1, list ctr 2, revoked", "1", crl("2", "abc123"), verify.Fail, verify.ReasonRevoked},
		{"crlVersion 2, list ctr 1: out of date", "2", crl("1", "zzz"), verify.Manual, verify.ReasonRevocationUnknown},
		{"crlVersion 2, list ctr 1 that revokes it already", "2", crl("1", "abc123"), verify.Fail, verify.ReasonRevoked},
		{"crlVersion 1 and no list", "1", "", verify.Manual, verify.ReasonRevocationUnknown},
		{"crlVersion as a string", `"1"`, crl("1", "zzz"), verify.Manual, verify.ReasonRevocationUnknown},
		{"crlVersion 0", "0", crl("1", "zzz"), verify.Manual, verify.ReasonRevocationUnknown},
		{"crlVersion 1.5", "1.5", crl("1", "zzz"), verify.Manual, verify.ReasonRevocationUnknown},
		{"ctr as a string", "", crl(`"1"`, "zzz"), verify.Manual, verify.ReasonRevocationUnknown},
		{"ctr 0", "", crl("0", "zzz"), verify.Manual, verify.ReasonRevocationUnknown},
		{"ctr 1e0", "", crl("1e0", "zzz"), verify.Manual, verify.ReasonRevocationUnknown},
		{"no ctr", "", `{"kid":"` + kid + `","method":"rid","rids":["zzz"]}`, verify.Manual, verify.ReasonRevocationUnknown},
		{"no rids", "", `{"kid":"` + kid + `","method":"rid","ctr":1}`, verify.Manual, verify.ReasonRevocationUnknown},
		{"an empty rids list", "", crl("1"), verify.Pass, verify.ReasonOK},
		{"rids twice in the list", "", `{"kid":"` + kid + `","method":"rid","ctr":1,"rids":["abc123"],"rids":[]}`, verify.Manual, verify.ReasonRevocationUnknown},
		{"bare rid, then the same rid with an earlier timestamp", "", crl("1", "abc123", before), verify.Fail, verify.ReasonRevoked},
		{"rid with an earlier timestamp, then bare", "", crl("1", before, "abc123"), verify.Fail, verify.ReasonRevoked},
		{"two timestamps: the later one counts", "", crl("1", after, before), verify.Fail, verify.ReasonRevoked},
		{"two timestamps, the other order", "", crl("1", before, after), verify.Fail, verify.ReasonRevoked},
		{"two earlier timestamps", "", crl("1", before, "abc123."+itoa(issued-100)), verify.Pass, verify.ReasonOK},
		{"a rid outside the base64url alphabet", "", crl("1", "zzz", "ab+c/="), verify.Manual, verify.ReasonRevocationUnknown},
		{"a rid with a space", "", crl("1", "ab c"), verify.Manual, verify.ReasonRevocationUnknown},
		{"an empty rid", "", crl("1", ""), verify.Manual, verify.ReasonRevocationUnknown},
		{"an empty rid with a timestamp", "", crl("1", "."+itoa(issued)), verify.Manual, verify.ReasonRevocationUnknown},
		{"a timestamp with a sign", "", crl("1", "zzz.+1642000000"), verify.Manual, verify.ReasonRevocationUnknown},
		{"a timestamp with a fraction", "", crl("1", "zzz.1642000000.5"), verify.Manual, verify.ReasonRevocationUnknown},
		{"an empty timestamp", "", crl("1", "zzz."), verify.Manual, verify.ReasonRevocationUnknown},
	}
}

func TestSHCRevocationStrict(t *testing.T) {
	iss := testSHCIssuer(t)
	jws := sign(t, card()) // rid abc123
	for _, tc := range shcRevocationCases(iss.KID(), card().IssuedAt.Unix()) {
		t.Run(tc.name, func(t *testing.T) {
			tr := verify.NewTrust()
			crls := map[string][]byte{}
			if tc.crl != "" {
				crls[iss.KID()] = []byte(tc.crl)
			}
			if err := tr.AddSHCIssuer(iss.Iss, jwksWith(t, tc.crlVersion), crls); err != nil {
				t.Fatal(err)
			}
			res := verify.New(tr, at(shcNow)).VerifyJWS(jws)
			if res.Verdict != tc.want || res.Reason != tc.reason {
				t.Errorf("%s %s (%s), want %s %s", res.Verdict, res.Reason, res.Detail, tc.want, tc.reason)
			}
			if tc.reason == verify.ReasonRevocationUnknown && len(tr.Warnings()) == 0 {
				t.Error("the trust list's problem is not reported")
			}
		})
	}
}

// FuzzSHCRevocationList: whatever a list says, a card is passed only when
// the list was read and does not revoke it.
func FuzzSHCRevocationList(f *testing.F) {
	iss := testSHCIssuer(f)
	for _, tc := range shcRevocationCases(iss.KID(), card().IssuedAt.Unix()) {
		f.Add(tc.crlVersion, tc.crl)
	}
	jws := sign(f, card())
	f.Fuzz(func(t *testing.T, crlVersion, crl string) {
		if crlVersion != "" && !json.Valid([]byte(crlVersion)) {
			return
		}
		tr := verify.NewTrust()
		if err := tr.AddSHCIssuer(iss.Iss, jwksWith(t, crlVersion), map[string][]byte{iss.KID(): []byte(crl)}); err != nil {
			return
		}
		res := verify.New(tr, at(shcNow)).VerifyJWS(jws)
		var list struct{ Rids []string }
		if res.Verdict == verify.Pass && json.Unmarshal([]byte(crl), &list) == nil && slices.Contains(list.Rids, "abc123") {
			t.Fatalf("a list naming the card's rid bare passed it: %s", crl)
		}
		if res.Verdict != verify.Pass && res.Reason != verify.ReasonRevoked && res.Reason != verify.ReasonRevocationUnknown {
			t.Fatalf("%s %s (%s)", res.Verdict, res.Reason, res.Detail)
		}
	})
}

// TestSHCChunkHeader: a chunk header is judged truthfully. "1/1" is a
// whole card wearing the header the specification reserves for split
// ones; the card is intact and signed, so it is decided as a card, and the
// detail says what is odd about it. A header that is really wrong fails
// with the prefix check passed (the prefix is there) and a detail that
// names the rule it breaks.
func TestSHCChunkHeader(t *testing.T) {
	jws := sign(t, card())
	digits := demo.NumericQR(jws)[5:]
	for _, tc := range []struct {
		name   string
		text   string
		want   verify.Verdict
		reason verify.Reason
		detail string // a part the detail must hold
	}{
		{"1/1", "shc:/1/1/" + digits, verify.Pass, verify.ReasonOK, "1/1"},
		{"1/1 of a card signed by a stranger", "shc:/1/1/" + demo.NumericQR(withPart(jws, 2, b64u.EncodeToString(make([]byte, 64))))[5:], verify.Fail, verify.ReasonSignature, ""},
		{"0/2", "shc:/0/2/" + digits, verify.Fail, verify.ReasonEncoding, "part 0"},
		{"3/2", "shc:/3/2/" + digits, verify.Fail, verify.ReasonEncoding, "part 3 of 2"},
		{"2/1", "shc:/2/1/" + digits, verify.Fail, verify.ReasonEncoding, "part 2 of 1"},
		{"1/11", "shc:/1/11/" + digits, verify.Fail, verify.ReasonEncoding, "at most 10"},
		{"01/2", "shc:/01/2/" + digits, verify.Fail, verify.ReasonEncoding, "chunk header"},
		{"no digits after the header", "shc:/1/2/", verify.Fail, verify.ReasonEncoding, "digits"},
		{"i/n without a third slash", "shc:/1/2" + digits, verify.Fail, verify.ReasonEncoding, "chunk header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := verify.New(shcTrust(t, ""), at(shcNow)).Verify([]byte(tc.text))
			if res.Verdict != tc.want || res.Reason != tc.reason {
				t.Fatalf("%s %s (%s), want %s %s", res.Verdict, res.Reason, res.Detail, tc.want, tc.reason)
			}
			if res.Checks.Prefix != verify.Passed {
				t.Errorf("checks.prefix %s: the text starts with shc:/", res.Checks.Prefix)
			}
			if !strings.Contains(res.Detail, tc.detail) {
				t.Errorf("detail %q does not say %q", res.Detail, tc.detail)
			}
			if strings.Contains(res.Detail, "1 ≤ i ≤ n") && tc.name == "1/1" {
				t.Errorf("detail %q is false for 1/1", res.Detail)
			}
		})
	}
	// Given whole, as files or batches do, 1/1 is the card.
	if got, err := verify.AssembleSHC([]string{"shc:/1/1/" + digits}); err != nil || got != jws {
		t.Errorf("AssembleSHC(1/1): %v", err)
	}
	if _, err := verify.AssembleSHC([]string{"shc:/1/1/" + digits, "shc:/1/1/" + digits}); err == nil {
		t.Error("AssembleSHC took two whole cards as one")
	}
}
