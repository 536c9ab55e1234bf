// Package demo is munjigi's built-in demonstration: a demo document signer,
// a trust list that trusts only it, and a set of passes signed at run time so
// they are always current. It lets anyone run the door with no scanner, no
// configuration and no network, and gives tests an issuer to sign with.
//
// The demo signer's private key is in this package, in the open, like the
// SMART Health Cards example issuer's: anyone can sign with it. It is
// trusted only when a person asks for the demo, never by default.
package demo

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"time"

	"munjigi/verify"
)

//go:embed issuer.pem
var issuerPEM []byte

// Signer returns the demo document signer.
func Signer() *Issuer {
	var key crypto.Signer
	var der []byte
	for rest := issuerPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		switch b.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				panic("demo: issuer key: " + err.Error()) // embedded: a build defect
			}
			key = k.(crypto.Signer)
		case "CERTIFICATE":
			der = b.Bytes
		}
	}
	return NewIssuer(key, der, "KR")
}

// SHCIss is the demo SMART Health Card issuer's URL. Nothing is served
// there: a kiosk never fetches keys at scan time.
const SHCIss = "https://munjigi.example/demo-issuer"

// SHCSigner returns the demo SMART Health Card issuer. It signs with the
// demo document signer's key: one published demo key for both formats.
func SHCSigner() *SHCIssuer {
	return NewSHCIssuer(SHCIss, Signer().key.(*ecdsa.PrivateKey))
}

// revokedUVCI is the certificate id of the demo's revoked pass.
const revokedUVCI = "URN:UVCI:01:KR:MUNJIGI/DEMO/0006#R"

// TrustList returns the demo trust list in munjigi's trust-list format:
// the demo signer and one revoked pass.
func TrustList(now time.Time) []byte {
	iss := Signer()
	uci := verify.RevocationHashUCI(revokedUVCI)
	list := map[string]any{
		"version":   1,
		"issuedAt":  now.UTC().Format(time.RFC3339),
		"expiresAt": now.UTC().AddDate(0, 0, 7).Format(time.RFC3339),
		"dsc": []map[string]any{{
			"kid":         base64.StdEncoding.EncodeToString(iss.KID()),
			"country":     "KR",
			"certificate": base64.StdEncoding.EncodeToString(iss.Certificate()),
		}},
		"revoked": map[string]any{"uci": []string{base64.StdEncoding.EncodeToString(uci[:])}},
		"shc":     []map[string]any{{"iss": SHCIss, "jwks": json.RawMessage(SHCSigner().JWKS())}},
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// Trust returns the demo trust list, parsed.
func Trust(now time.Time) *verify.Trust {
	t := verify.NewTrust()
	if err := t.AddList(TrustList(now)); err != nil {
		panic("demo: trust list: " + err.Error()) // built above: a defect
	}
	return t
}

// The demo door: a restaurant in Seoul under the Korean vaccine pass.
const (
	Profile   = "kr-2021-vaccine-pass"
	VenueType = "restaurant"
)

// Sample is one demo pass and what should be made of it.
type Sample struct {
	Label   string         // what the pass is, for a person
	Payload string         // the QR text
	Verify  verify.Verdict // what verify alone decides: is the pass genuine and valid
	Door    verify.Verdict // what the demo door decides, with its venue rules
}

// Passes signs the demo passes, dated relative to now so they are always
// current. The holders are fictional: 홍길동 is Korea's John Doe.
func Passes(now time.Time) ([]Sample, error) {
	iss := Signer()
	day := 24 * time.Hour
	date := func(d time.Duration) string { return now.Add(d).UTC().Format(time.DateOnly) }
	person := func(fn, gn, fnt, gnt, dob string) map[string]any {
		return map[string]any{
			"ver": "1.3.0",
			"nam": map[string]any{"fn": fn, "gn": gn, "fnt": fnt, "gnt": gnt},
			"dob": dob,
		}
	}
	with := func(p map[string]any, key string, entry map[string]any) map[string]any {
		p[key] = []any{entry}
		return p
	}
	vacc := func(n int, ago time.Duration, id string) map[string]any {
		return map[string]any{
			"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215",
			"dn": n, "sd": 2, "dt": date(-ago), "co": "KR", "is": "munjigi demo issuer",
			"ci": "URN:UVCI:01:KR:MUNJIGI/DEMO/" + id,
		}
	}
	type spec struct {
		label  string
		hcert  map[string]any
		iat    time.Time
		exp    time.Time
		signer *Issuer
		tamper bool
		want   verify.Verdict // verify's verdict; the door's is the same unless door is set
		door   verify.Verdict
	}
	stranger, err := GenerateIssuer(IssuerOptions{Country: "XX"})
	if err != nil {
		return nil, err
	}
	specs := []spec{
		{"vaccinated, 2 of 2 doses", with(person("홍", "길동", "HONG", "GILDONG", "1985-03-01"), "v", vacc(2, 40*day, "0001#A")),
			now.Add(-40 * day), now.Add(320 * day), iss, false, verify.Pass, ""},
		{"vaccinated, booster", with(person("Doe", "John", "DOE", "JOHN", "1970-11-30"), "v", func() map[string]any {
			v := vacc(3, 10*day, "0002#B")
			v["sd"] = 3
			return v
		}()), now.Add(-10 * day), now.Add(355 * day), iss, false, verify.Pass, ""},
		{"negative PCR test", with(person("김", "민지", "KIM", "MINJI", "2001-07"), "t", map[string]any{
			"tg": "840539006", "tt": "LP6464-4", "nm": "Demo PCR", "sc": now.Add(-6 * time.Hour).UTC().Format(time.RFC3339),
			"tr": "260415000", "tc": "Demo testing centre", "co": "KR", "is": "munjigi demo issuer",
			"ci": "URN:UVCI:01:KR:MUNJIGI/DEMO/0003#C",
		}), now.Add(-5 * time.Hour), now.Add(67 * time.Hour), iss, false, verify.Pass, ""},
		{"recovered", with(person("Rossi", "Maria", "ROSSI", "MARIA", "1990"), "r", map[string]any{
			"tg": "840539006", "fr": date(-30 * day), "co": "KR", "is": "munjigi demo issuer",
			"df": date(-19 * day), "du": date(150 * day), "ci": "URN:UVCI:01:KR:MUNJIGI/DEMO/0004#D",
		}), now.Add(-19 * day), now.Add(150 * day), iss, false, verify.Pass, ""},
		{"expired certificate", with(person("박", "서준", "PARK", "SEOJUN", "1979-12-24"), "v", vacc(2, 400*day, "0005#E")),
			now.Add(-400 * day), now.Add(-35 * day), iss, false, verify.Fail, ""},
		{"revoked certificate", with(person("이", "하늘", "LEE", "HANEUL", "1995-05-05"), "v", func() map[string]any {
			v := vacc(2, 50*day, "")
			v["ci"] = revokedUVCI
			return v
		}()), now.Add(-50 * day), now.Add(310 * day), iss, false, verify.Fail, ""},
		{"altered after signing", with(person("최", "유나", "CHOI", "YUNA", "1988-08-08"), "v", vacc(1, 20*day, "0007#G")),
			now.Add(-20 * day), now.Add(340 * day), iss, true, verify.Fail, ""},
		{"signed by an unknown issuer", with(person("Smith", "Alex", "SMITH", "ALEX", "1982-02-02"), "v", vacc(2, 60*day, "0008#H")),
			now.Add(-60 * day), now.Add(300 * day), stranger, false, verify.Manual, ""},
		// Genuine passes that the venue's rules judge.
		{"primary series, 200 days ago", with(person("정", "민수", "JUNG", "MINSU", "1975-10-10"), "v", vacc(2, 200*day, "0009#J")),
			now.Add(-200 * day), now.Add(160 * day), iss, false, verify.Pass, verify.Manual},
		{"first dose only", with(person("Garcia", "Lucia", "GARCIA", "LUCIA", "1999-09-09"), "v", vacc(1, 30*day, "0010#K")),
			now.Add(-30 * day), now.Add(330 * day), iss, false, verify.Pass, verify.Manual},
		{"positive PCR test", with(person("한", "지우", "HAN", "JIWOO", "1992-12-12"), "t", map[string]any{
			"tg": "840539006", "tt": "LP6464-4", "nm": "Demo PCR", "sc": now.Add(-8 * time.Hour).UTC().Format(time.RFC3339),
			"tr": "260373001", "tc": "Demo testing centre", "co": "KR", "is": "munjigi demo issuer",
			"ci": "URN:UVCI:01:KR:MUNJIGI/DEMO/0011#L",
		}), now.Add(-7 * time.Hour), now.Add(65 * time.Hour), iss, false, verify.Pass, verify.Fail},
	}
	out := make([]Sample, 0, len(specs)+1)
	for _, s := range specs {
		if s.door == "" {
			s.door = s.want
		}
		p := Pass{HCert: s.hcert, IssuedAt: s.iat, ExpiresAt: s.exp}
		if s.tamper {
			// Sign one dose, then claim the series complete: what a forger
			// with a real pass and a hex editor would try.
			msg, err := s.signer.COSE(p)
			if err != nil {
				return nil, err
			}
			tampered, err := flipDose(msg)
			if err != nil {
				return nil, err
			}
			out = append(out, Sample{s.label, Encode(tampered, true), s.want, s.door})
			continue
		}
		qr, err := s.signer.Issue(p)
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", s.label, err)
		}
		out = append(out, Sample{s.label, qr, s.want, s.door})
	}
	jws, err := SHCSigner().Sign(HealthCard{
		IssuedAt: now.Add(-20 * day), Rid: "demo0012", Family: "Lee", Given: []string{"Ana"}, BirthDate: "1988-06-15",
		Shots: []Shot{{"208", date(-200 * day)}, {"208", date(-179 * day)}, {"208", date(-20 * day)}},
	})
	if err != nil {
		return nil, err
	}
	out = append(out, Sample{"SMART Health Card, booster", NumericQR(jws), verify.Pass, verify.Pass})
	out = append(out, Sample{"not a pass (a menu link)", "https://example.com/menu", verify.Manual, verify.Manual})
	return out, nil
}

// flipDose changes "dn": 1 into "dn": 2 in a signed message without
// re-signing it. Both encode as one byte after the key, so the change is in
// place.
func flipDose(msg []byte) ([]byte, error) {
	key := []byte{0x62, 'd', 'n', 0x01}
	for i := 0; i+len(key) <= len(msg); i++ {
		if string(msg[i:i+len(key)]) == string(key) {
			out := append([]byte(nil), msg...)
			out[i+3] = 0x02
			return out, nil
		}
	}
	return nil, fmt.Errorf("demo: no dose number to alter")
}
