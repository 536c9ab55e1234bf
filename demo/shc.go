package demo

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"munjigi/verify"
)

// SHCIssuer signs SMART Health Cards as an issuer does: a verifiable
// credential holding a FHIR bundle, raw DEFLATE, a compact JWS (ES256) with
// zip and kid headers. Like Issuer, it is for the demo and for tests.
type SHCIssuer struct {
	Iss string
	key *ecdsa.PrivateKey
	kid string
}

// NewSHCIssuer returns an issuer at iss signing with key; its kid is the
// key's RFC 7638 thumbprint, as the specification requires.
func NewSHCIssuer(iss string, key *ecdsa.PrivateKey) *SHCIssuer {
	jwk := jose.JSONWebKey{Key: key.Public()}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		panic("demo: thumbprint of a P-256 key: " + err.Error())
	}
	return &SHCIssuer{Iss: iss, key: key, kid: base64.RawURLEncoding.EncodeToString(tp)}
}

// KID returns the issuer's key id.
func (s *SHCIssuer) KID() string { return s.kid }

// JWKS returns the issuer's public keys, as published at
// iss/.well-known/jwks.json.
func (s *SHCIssuer) JWKS() []byte {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: s.key.Public(), KeyID: s.kid, Algorithm: "ES256", Use: "sig"}}}
	b, err := json.Marshal(set)
	if err != nil {
		panic(err)
	}
	return b
}

// HealthCard is what a card says. Times are written as the specification
// writes them: seconds since the epoch, with fractions.
type HealthCard struct {
	IssuedAt  time.Time
	ExpiresAt time.Time // zero: no exp claim
	Rid       string
	Family    string
	Given     []string
	BirthDate string
	Shots     []Shot
	Tests     []LabResult

	// Payload, when set, is signed as it is instead of the above: for
	// tests that need a malformed card.
	Payload []byte
	// Header, when set, is the protected header as it is.
	Header map[string]any
}

// Shot is an immunization: a CVX vaccine code and a date.
type Shot struct {
	CVX  string
	Date string
}

// LabResult is an observation: a LOINC test code, a SNOMED CT result and
// the sampling time.
type LabResult struct {
	LOINC  string
	Result string
	Time   string
}

// Payload returns the card's JWS payload before compression.
func (s *SHCIssuer) payload(c HealthCard) ([]byte, error) {
	if c.Payload != nil {
		return c.Payload, nil
	}
	entries := []any{map[string]any{"fullUrl": "resource:0", "resource": map[string]any{
		"resourceType": "Patient",
		"name":         []any{map[string]any{"family": c.Family, "given": c.Given}},
		"birthDate":    c.BirthDate,
	}}}
	for _, shot := range c.Shots {
		entries = append(entries, map[string]any{"fullUrl": fmt.Sprintf("resource:%d", len(entries)), "resource": map[string]any{
			"resourceType":       "Immunization",
			"status":             "completed",
			"vaccineCode":        map[string]any{"coding": []any{map[string]any{"system": "http://hl7.org/fhir/sid/cvx", "code": shot.CVX}}},
			"patient":            map[string]any{"reference": "resource:0"},
			"occurrenceDateTime": shot.Date,
		}})
	}
	for _, t := range c.Tests {
		entries = append(entries, map[string]any{"fullUrl": fmt.Sprintf("resource:%d", len(entries)), "resource": map[string]any{
			"resourceType":         "Observation",
			"status":               "final",
			"code":                 map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": t.LOINC}}},
			"subject":              map[string]any{"reference": "resource:0"},
			"effectiveDateTime":    t.Time,
			"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": t.Result}}},
		}})
	}
	vc := map[string]any{
		"type": []any{"https://smarthealth.cards#health-card"},
		"credentialSubject": map[string]any{
			"fhirVersion": "4.0.1",
			"fhirBundle":  map[string]any{"resourceType": "Bundle", "type": "collection", "entry": entries},
		},
	}
	if c.Rid != "" {
		vc["rid"] = c.Rid
	}
	p := map[string]any{"iss": s.Iss, "nbf": json.Number(secondsOf(c.IssuedAt)), "vc": vc}
	if !c.ExpiresAt.IsZero() {
		p["exp"] = json.Number(secondsOf(c.ExpiresAt))
	}
	return json.Marshal(p)
}

func secondsOf(t time.Time) string {
	return fmt.Sprintf("%d.%03d", t.Unix(), t.Nanosecond()/1e6)
}

// Sign returns the card as a compact JWS.
func (s *SHCIssuer) Sign(c HealthCard) (string, error) {
	payload, err := s.payload(c)
	if err != nil {
		return "", err
	}
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression)
	w.Write(payload)
	w.Close()
	headers := map[jose.HeaderKey]any{"zip": "DEF", "kid": s.kid}
	if c.Header != nil {
		return s.signRaw(c.Header, z.Bytes())
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: s.key}, &jose.SignerOptions{ExtraHeaders: headers})
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(z.Bytes())
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// signRaw signs with a header given whole, for malformed-header tests.
func (s *SHCIssuer) signRaw(header map[string]any, payload []byte) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	signingInput := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signingInput))
	r, sg, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sg.FillBytes(sig[32:])
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// NumericQR encodes a JWS as the text of a health card QR: "shc:/" and two
// digits per character, each its code minus 45.
func NumericQR(jws string) string {
	return verify.PrefixSHC + numeric(jws)
}

func numeric(jws string) string {
	var b strings.Builder
	for i := 0; i < len(jws); i++ {
		fmt.Fprintf(&b, "%02d", jws[i]-45)
	}
	return b.String()
}

// ChunkQRs splits a JWS into n QR texts, "shc:/i/n/...", as evenly as the
// specification asks.
func ChunkQRs(jws string, n int) []string {
	size := (len(jws) + n - 1) / n
	var out []string
	for i := 0; i < n; i++ {
		part := jws[min(i*size, len(jws)):min((i+1)*size, len(jws))]
		out = append(out, fmt.Sprintf("%s%d/%d/%s", verify.PrefixSHC, i+1, n, numeric(part)))
	}
	return out
}
