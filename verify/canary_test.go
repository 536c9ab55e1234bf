package verify_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"munjigi/demo"
	"munjigi/verify"
)

// The canaries: a name and a birth date that appear nowhere but where a
// test puts them. Whatever a pass holds, its words must never reach a
// verdict's detail, a manual check's text or an error: those go to the
// headless JSON line, the log and the screen, and a detail names the field
// and the rule, never the value.
const (
	canaryName = "ZZCANARY"
	canaryDOB  = "1901-02-03"
)

// leaks reports where a canary shows in what verify says about a pass.
func leaks(res verify.Result, errs ...error) []string {
	var out []string
	say := func(where, s string) {
		for _, c := range []string{canaryName, canaryDOB, "19010203"} {
			if strings.Contains(strings.ToUpper(s), c) {
				out = append(out, fmt.Sprintf("%s holds %q: %q", where, c, s))
			}
		}
	}
	say("detail", res.Detail)
	say("check", res.Check)
	for _, r := range res.Rules {
		say("rule "+r.ID, r.Description)
	}
	for _, err := range errs {
		if err != nil {
			say("error", err.Error())
		}
	}
	return out
}

// canaryValues are the spellings a canary takes in a field: as it is, and
// as values that break the field's rule (too long, wrong pattern, wrong
// type, wrong case), so that each rule's message is seen.
func canaryValues() []any {
	return []any{
		canaryName, canaryDOB, strings.ToLower(canaryName), canaryName + "<",
		canaryName + strings.Repeat("X", 90), canaryDOB + "T25:00:00" + canaryName,
		"x" + canaryDOB, canaryName + "\x1b[2J", []any{canaryName}, map[string]any{canaryName: canaryDOB},
	}
}

// dccCanaryPasses puts the canaries in every field of a vaccination, test
// and recovery entry, in the name and date of birth, in the payload's keys
// and in the CWT claims, each signed by a trusted issuer. What does not
// depend on the entry's kind is tried on a vaccination only.
func dccCanaryPasses() map[string]demo.Pass {
	passes := map[string]demo.Pass{}
	for _, kind := range []struct {
		group  string
		base   func() map[string]any
		fields []string
	}{
		{"v", vaccination, []string{"tg", "vp", "mp", "ma", "dt", "co", "is", "ci", "dn", "sd", canaryName}},
		{"t", testEntry, []string{"tg", "tt", "nm", "ma", "sc", "tr", "tc", "co", "is", "ci", "dr", canaryName}},
		{"r", recovery, []string{"tg", "fr", "co", "is", "df", "du", "ci", canaryName}},
	} {
		for i, v := range canaryValues() {
			for _, f := range kind.fields {
				h := kind.base()
				h[kind.group].([]any)[0].(map[string]any)[f] = v
				passes[fmt.Sprintf("%s.%s=%d", kind.group, f, i)] = valid(h)
			}
		}
	}
	for i, v := range canaryValues() {
		for _, f := range []string{"fn", "gn", "fnt", "gnt"} {
			h := vaccination()
			h["nam"].(map[string]any)[f] = v
			passes[fmt.Sprintf("nam.%s=%d", f, i)] = valid(h)
		}
		for _, f := range []string{"dob", "ver", "nam", "v", canaryName} {
			h := vaccination()
			h[f] = v
			passes[fmt.Sprintf("%s=%d", f, i)] = valid(h)
		}
		for _, f := range []string{"t", "r"} {
			h := vaccination()
			h[f] = []any{map[string]any{"ci": v, "dob": canaryDOB}}
			passes[fmt.Sprintf("v plus %s=%d", f, i)] = valid(h)
		}
		// The CWT claims: issuer and times, as the value itself and as
		// text under tag 0 (a date the decoder tries to parse).
		for _, claim := range []int64{1, 4, 6} {
			for _, tagged := range []bool{false, true} {
				h := vaccination()
				p := valid(h)
				p.Claims = map[int64]any{1: "AT", 4: p.ExpiresAt.Unix(), 6: p.IssuedAt.Unix(), -260: map[int64]any{1: h}}
				p.Claims[claim] = v
				if tagged {
					p.Claims[claim] = cbor.Tag{Number: 0, Content: v}
				}
				passes[fmt.Sprintf("claim %d tagged %v=%d", claim, tagged, i)] = p
			}
		}
	}
	// A key given twice: a decoder that names the key would say it.
	for _, key := range []string{canaryName, canaryDOB} {
		p := valid(vaccination())
		k := append([]byte{0x60 + byte(len(key))}, key...)
		dup := append(append(append([]byte{0xa2}, k...), 0x01), append(k, 0x02)...)
		p.Claims = map[int64]any{1: "AT", 4: p.ExpiresAt.Unix(), 6: p.IssuedAt.Unix(), -260: map[int64]any{1: cbor.RawMessage(dup)}}
		passes["duplicate key "+key] = p
	}
	return passes
}

// TestNoPassContentInDetails is the DCC half of the canary check.
func TestNoPassContentInDetails(t *testing.T) {
	iss := issuer(t, "ec")
	v := verify.New(trusting(t, "ec"), at(clock))
	seen := map[verify.Reason]int{}
	for name, p := range dccCanaryPasses() {
		qr, err := iss.Issue(p)
		if err != nil {
			continue // not encodable: not a pass anyone can present
		}
		res := v.Verify([]byte(qr))
		seen[res.Reason]++
		for _, l := range leaks(res) {
			t.Errorf("%s: %s", name, l)
		}
		if res.Verdict != verify.Pass && res.Detail == "" {
			t.Errorf("%s: %s without a detail", name, res.Verdict)
		}
	}
	// The canaries must have reached the checks that judge them.
	for _, r := range []verify.Reason{verify.ReasonContent, verify.ReasonStructure, verify.ReasonOK} {
		if seen[r] == 0 {
			t.Errorf("no canary pass was decided %s: %v", r, seen)
		}
	}
	t.Logf("outcomes: %v", seen)
}

// shcCanaryCards puts the canaries in every place of a health card a check
// reads: the JWS header, the payload's claims, the credential, the FHIR
// resources, and object keys. The issuer (iss) and key id (kid) are left
// out: they name the signer, not a person, and a detail that says which
// issuer or key is not trusted is what staff need.
func shcCanaryCards(t testing.TB) map[string]string {
	cards := map[string]string{}
	good := sign(t, card())
	kid := testSHCIssuer(t).KID()
	for i, v := range canaryValues() {
		val, _ := json.Marshal(v)
		for _, f := range []string{"alg", "zip", canaryName} {
			h := map[string]json.RawMessage{"alg": json.RawMessage(`"ES256"`), "zip": json.RawMessage(`"DEF"`), "kid": json.RawMessage(`"` + kid + `"`)}
			h[f] = val
			hb, _ := json.Marshal(h)
			cards[fmt.Sprintf("header %s=%d", f, i)] = withPart(good, 0, b64u.EncodeToString(hb))
		}
		payload := func(edit func(m map[string]any)) string {
			vc := map[string]any{"type": []any{"https://smarthealth.cards#health-card"}, "rid": "abc123",
				"credentialSubject": map[string]any{"fhirVersion": "4.0.1", "fhirBundle": map[string]any{"resourceType": "Bundle", "entry": []any{
					map[string]any{"resource": map[string]any{"resourceType": "Patient", "name": []any{map[string]any{"family": "Anyperson", "given": []any{"John"}}}, "birthDate": "1951-01-20"}},
					map[string]any{"resource": map[string]any{"resourceType": "Immunization", "status": "completed",
						"vaccineCode": map[string]any{"coding": []any{map[string]any{"system": "http://hl7.org/fhir/sid/cvx", "code": "207"}}}, "occurrenceDateTime": "2021-01-01"}},
					map[string]any{"resource": map[string]any{"resourceType": "Observation",
						"code": map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "94500-6"}}}, "effectiveDateTime": "2022-01-14T08:00:00Z",
						"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "260415000"}}}}},
				}}}}
			m := map[string]any{"iss": shcIss, "nbf": json.Number(itoa(card().IssuedAt.Unix())), "vc": vc}
			edit(m)
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			return sign(t, demo.HealthCard{Payload: b})
		}
		subject := func(m map[string]any) map[string]any {
			return m["vc"].(map[string]any)["credentialSubject"].(map[string]any)
		}
		resource := func(m map[string]any, n int) map[string]any {
			return subject(m)["fhirBundle"].(map[string]any)["entry"].([]any)[n].(map[string]any)["resource"].(map[string]any)
		}
		for _, f := range []string{"nbf", "exp", canaryName} {
			cards[fmt.Sprintf("payload %s=%d", f, i)] = payload(func(m map[string]any) { m[f] = v })
		}
		for _, f := range []string{"type", "rid", "credentialSubject", canaryName} {
			cards[fmt.Sprintf("vc.%s=%d", f, i)] = payload(func(m map[string]any) { m["vc"].(map[string]any)[f] = v })
		}
		for _, f := range []string{"fhirVersion", "fhirBundle"} {
			cards[fmt.Sprintf("credentialSubject.%s=%d", f, i)] = payload(func(m map[string]any) { subject(m)[f] = v })
		}
		for n, fields := range [][]string{
			{"resourceType", "name", "birthDate"},
			{"resourceType", "status", "vaccineCode", "occurrenceDateTime"},
			{"resourceType", "code", "effectiveDateTime", "valueCodeableConcept"},
		} {
			for _, f := range fields {
				cards[fmt.Sprintf("resource %d.%s=%d", n, f, i)] = payload(func(m map[string]any) { resource(m, n)[f] = v })
			}
		}
		cards[fmt.Sprintf("family=%d", i)] = payload(func(m map[string]any) { resource(m, 0)["name"].([]any)[0].(map[string]any)["family"] = v })
		cards[fmt.Sprintf("vaccine code=%d", i)] = payload(func(m map[string]any) {
			resource(m, 1)["vaccineCode"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"] = v
		})
		cards[fmt.Sprintf("unsigned payload=%d", i)] = withPart(good, 1, b64u.EncodeToString(deflate(fmt.Appendf(nil, `{"iss":"%s","nbf":%s}`, shcIss, val))))
	}
	for _, key := range []string{canaryName, canaryDOB} {
		dup := `{"iss":"` + shcIss + `","nbf":1642000000,"` + key + `":1,"` + key + `":2}`
		cards["duplicate key "+key] = withPart(good, 1, b64u.EncodeToString(deflate([]byte(dup))))
		h := `{"zip":"DEF","alg":"ES256","kid":"` + kid + `","` + key + `":1,"` + key + `":2}`
		cards["duplicate header key "+key] = withPart(good, 0, b64u.EncodeToString([]byte(h)))
	}
	return cards
}

// TestNoPassContentInSHCDetails is the health-card half: as JWS, as QR
// text (whole, with a chunk header, split), and as a file, with the canary
// in the QR text's own framing too.
func TestNoPassContentInSHCDetails(t *testing.T) {
	v := verify.New(shcTrust(t, ""), at(shcNow))
	seen := map[verify.Reason]int{}
	check := func(name string, res verify.Result, errs ...error) {
		t.Helper()
		seen[res.Reason]++
		for _, l := range leaks(res, errs...) {
			t.Errorf("%s: %s", name, l)
		}
	}
	for name, jws := range shcCanaryCards(t) {
		check(name+" (JWS)", v.VerifyJWS(jws))
		check(name+" (QR)", v.Verify([]byte(demo.NumericQR(jws))))
		for _, r := range v.VerifyHealthCardFile(fmt.Appendf(nil, `{"verifiableCredential":[%q]}`, jws)) {
			check(name+" (file)", r)
		}
	}
	digits := demo.NumericQR(sign(t, card()))[5:]
	for _, text := range []string{
		"shc:/" + canaryName + "/2/" + digits, "shc:/1/" + canaryName + "/" + digits, "shc:/" + canaryDOB + "/" + digits,
		"shc:/" + canaryName, "shc:/" + digits[:10] + canaryName + digits[10:], "shc:/1/2/" + canaryName,
		canaryName, "eyJ" + canaryName + ".eyJ.AA",
	} {
		check(text, v.Verify([]byte(text)))
		_, err := verify.AssembleSHC([]string{text, text})
		check(text+" (assembled)", verify.Result{}, err)
	}
	for _, file := range []string{
		`{"verifiableCredential":"` + canaryName + `"}`, `{"verifiableCredential":["` + canaryName + `"]}`,
		`{"` + canaryName + `":1,"` + canaryName + `":2}`, `{"verifiableCredential":[]}` + canaryName,
		`{"verifiableCredential":[` + canaryDOB + `]}`,
	} {
		for _, r := range v.VerifyHealthCardFile([]byte(file)) {
			check(file, r)
		}
	}
	for _, r := range []verify.Reason{verify.ReasonContent, verify.ReasonStructure, verify.ReasonOK, verify.ReasonEncoding} {
		if seen[r] == 0 {
			t.Errorf("no canary card was decided %s: %v", r, seen)
		}
	}
	t.Logf("outcomes: %v", seen)
}
