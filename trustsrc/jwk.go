package trustsrc

import (
	"bytes"
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"munjigi/verify"
)

// SMART Health Card issuer keys are JWKs. A card is checked with an ES256
// P-256 key whose kid is its RFC 7638 thumbprint; anything else in a key
// set is not a card signer. Real directories are untidy in two sound ways
// that are mended here: a coordinate with its leading zero byte dropped (the
// same point, written short; the RFC wants 32 bytes) and numbers written as
// strings. Everything else that is wrong is reported, never guessed at.

// coordSize is the length of a P-256 coordinate in bytes.
const coordSize = 32

// maxCounter bounds a revocation list's ctr and a key's crlVersion: the
// kiosk reads them into a Go int, which is 32 bits on the 32-bit boards.
const maxCounter = math.MaxInt32

// outJWK is a card-signing key as munjigi's trust list writes it: only the
// members a kiosk uses (the x5c chains and dates some issuers add are the
// directory's business).
type outJWK struct {
	Kty        string          `json:"kty"`
	Crv        string          `json:"crv"`
	Kid        string          `json:"kid"`
	Use        string          `json:"use"`
	Alg        string          `json:"alg"`
	X          string          `json:"x"`
	Y          string          `json:"y"`
	CRLVersion json.RawMessage `json:"crlVersion,omitempty"`

	crlVersion int64 // read from CRLVersion; 0 when absent or unreadable
}

// inJWK is a key as a directory publishes it.
type inJWK struct {
	Kty        string          `json:"kty"`
	Crv        string          `json:"crv"`
	Kid        string          `json:"kid"`
	Alg        string          `json:"alg"`
	Use        string          `json:"use"`
	X          string          `json:"x"`
	Y          string          `json:"y"`
	D          json.RawMessage `json:"d"`
	CRLVersion json.RawMessage `json:"crlVersion"`
}

// readJWK reads one key. It returns the key to write, or why it is not
// written (the returned key then carries at least its kid, when it had one).
// Mended coordinates and numbers are noted in rep under name.
func readJWK(raw json.RawMessage, rep *Report, name string) (outJWK, string) {
	var in inJWK
	if err := json.Unmarshal(raw, &in); err != nil {
		return outJWK{}, fmt.Sprintf("not a JSON Web Key: %v", err)
	}
	out := outJWK{Kid: in.Kid}
	switch {
	case in.Kty == "":
		return out, "no kty; cards are signed with EC P-256 keys (ES256)"
	case in.Kty != "EC":
		return out, fmt.Sprintf("kty %s; cards are signed with EC P-256 keys (ES256)", verify.Sanitize(in.Kty, 16))
	case in.Crv != "P-256":
		return out, fmt.Sprintf("curve %s; cards use P-256", verify.Sanitize(in.Crv, 16))
	case in.Alg != "" && in.Alg != "ES256":
		return out, fmt.Sprintf("alg %s; cards use ES256", verify.Sanitize(in.Alg, 16))
	case in.Use != "" && in.Use != "sig":
		return out, fmt.Sprintf("use %s; a card-signing key has use sig", verify.Sanitize(in.Use, 16))
	case in.D != nil:
		// A published private key lets anyone sign cards in the issuer's
		// name: the key proves nothing any more.
		return out, "the key set publishes its private part (d); anyone can sign with it"
	case in.Kid == "":
		return out, "no kid; cards name their key by it"
	}
	x, xNote, err := readCoord("x", in.X)
	if err != nil {
		return out, err.Error()
	}
	y, yNote, err := readCoord("y", in.Y)
	if err != nil {
		return out, err.Error()
	}
	if _, err := ecdh.P256().NewPublicKey(append(append([]byte{4}, x...), y...)); err != nil {
		return out, "the point (x, y) is not on the curve P-256"
	}
	canonical := thumbprint(x, y)
	if in.Kid != canonical {
		minimal := thumbprint(bytes.TrimLeft(x, "\x00"), bytes.TrimLeft(y, "\x00"))
		if in.Kid != minimal {
			return out, "kid is not the key's RFC 7638 thumbprint"
		}
		// The issuer computed its kid over the short spelling it published.
		// The kid binds the key as firmly (it is a hash of the same point),
		// and cards carry it, so it stays; but a kiosk that checks the kid
		// against the 32-byte spelling only will not use the key.
		rep.warn(name, "kid %s is the thumbprint of the key written with its coordinates' leading zero bytes dropped (as the issuer published it), not of the 32-byte form (%s); kept under the issuer's kid, which its cards carry",
			verify.Sanitize(in.Kid, 48), canonical)
	}
	for _, n := range []string{xNote, yNote} {
		if n != "" {
			rep.normalise(name, "%s; checked on the curve", n)
		}
	}
	out = outJWK{Kty: "EC", Crv: "P-256", Kid: in.Kid, Use: "sig", Alg: "ES256",
		X: base64.RawURLEncoding.EncodeToString(x), Y: base64.RawURLEncoding.EncodeToString(y)}
	if in.CRLVersion != nil {
		v, mended, err := readCounter(in.CRLVersion)
		switch {
		case err != nil:
			// Kept as published: a kiosk that reads crlVersion finds it
			// unreadable and does not assume the key's cards unrevoked.
			out.CRLVersion = in.CRLVersion
			rep.warn(name, "crlVersion %s: %v; kept as published", verify.Sanitize(string(in.CRLVersion), 24), err)
		default:
			out.CRLVersion = json.RawMessage(strconv.FormatInt(v, 10))
			out.crlVersion = v
			if mended {
				rep.normalise(name, "crlVersion %s written as the number %d", verify.Sanitize(string(in.CRLVersion), 24), v)
			}
		}
	}
	return out, ""
}

// readCoord reads a P-256 coordinate: base64url (trailing '=' tolerated),
// 32 bytes once leading zero bytes are put back or surplus ones removed.
// The note says what was mended; the caller checks the point is on the
// curve, which is what makes the mending sound.
func readCoord(name, s string) ([]byte, string, error) {
	if s == "" {
		return nil, "", fmt.Errorf("no %s coordinate", name)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, "", fmt.Errorf("%s is not base64url", name)
	}
	switch {
	case len(b) == coordSize:
		return b, "", nil
	case len(b) < coordSize:
		padded := make([]byte, coordSize)
		copy(padded[coordSize-len(b):], b)
		return padded, fmt.Sprintf("%s was %d bytes, its leading zero bytes dropped: padded to %d", name, len(b), coordSize), nil
	case len(b) > coordSize && len(bytes.TrimLeft(b[:len(b)-coordSize], "\x00")) == 0:
		return b[len(b)-coordSize:], fmt.Sprintf("%s was %d bytes with leading zero bytes: trimmed to %d", name, len(b), coordSize), nil
	}
	return nil, "", fmt.Errorf("%s is %d bytes; a P-256 coordinate is %d", name, len(b), coordSize)
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of an EC P-256 key with
// the coordinates as given, base64url.
func thumbprint(x, y []byte) string {
	in := `{"crv":"P-256","kty":"EC","x":"` + base64.RawURLEncoding.EncodeToString(x) +
		`","y":"` + base64.RawURLEncoding.EncodeToString(y) + `"}`
	h := sha256.Sum256([]byte(in))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// readCounter reads a non-negative integer that may be written as a JSON
// number or, in real directories, as a string of digits (the latter is
// mended).
func readCounter(raw json.RawMessage) (v int64, mended bool, err error) {
	t := bytes.TrimSpace(raw)
	if len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return 0, false, fmt.Errorf("not a whole number from 0 to %d", maxCounter)
		}
		t, mended = []byte(s), true
	}
	errNotCounter := fmt.Errorf("not a whole number from 0 to %d", maxCounter)
	if len(t) == 0 || len(t) > 10 || strings.Trim(string(t), "0123456789") != "" {
		return 0, false, errNotCounter
	}
	v, err = strconv.ParseInt(string(t), 10, 64)
	if err != nil || v > maxCounter {
		return 0, false, errNotCounter
	}
	return v, mended, nil
}

// crlState is one key's revocation list: read and mended, or, when it
// cannot be read, kept as published (raw) so the kiosk sees an unreadable
// list and makes those cards a manual check. Dropping it instead would read
// as "nothing revoked".
type crlState struct {
	kid    string
	method string
	ctr    int64
	rids   []string
	raw    json.RawMessage // set when the list is not readable
	issue  string          // why raw is set
}

// outCRL is a revocation list as munjigi's trust list writes it.
type outCRL struct {
	Kid    string   `json:"kid"`
	Method string   `json:"method"`
	Ctr    int64    `json:"ctr"`
	Rids   []string `json:"rids"`
}

func (c *crlState) encode() json.RawMessage {
	if c.raw != nil {
		return c.raw
	}
	b, _ := json.Marshal(outCRL{Kid: c.kid, Method: c.method, Ctr: c.ctr, Rids: c.rids})
	return b
}

// readCRL reads one revocation list of the directory.
func readCRL(raw json.RawMessage, rep *Report, name string) *crlState {
	var in struct {
		Kid    json.RawMessage `json:"kid"`
		Method json.RawMessage `json:"method"`
		Ctr    json.RawMessage `json:"ctr"`
		Rids   json.RawMessage `json:"rids"`
	}
	c := &crlState{raw: raw}
	if err := json.Unmarshal(raw, &in); err != nil {
		c.issue = "not a JSON object"
		return c
	}
	if err := json.Unmarshal(in.Kid, &c.kid); err != nil || c.kid == "" {
		c.kid, c.issue = "", "no kid"
		return c
	}
	name += " (key " + verify.Sanitize(c.kid, 48) + ")"
	unusable := func(format string, args ...any) *crlState {
		c.issue = fmt.Sprintf(format, args...)
		c.raw = raw
		rep.warn(name, "%s: kept as published, so a kiosk reads this key's revocation as unknown (a manual check)", c.issue)
		return c
	}
	if err := json.Unmarshal(in.Method, &c.method); err != nil {
		return unusable("method is not a string")
	}
	if in.Ctr == nil {
		return unusable("no ctr")
	}
	ctr, mended, err := readCounter(in.Ctr)
	if err != nil {
		return unusable("ctr %s is %v", verify.Sanitize(string(in.Ctr), 24), err)
	}
	if err := json.Unmarshal(in.Rids, &c.rids); err != nil {
		return unusable("rids is not a list of strings")
	}
	if c.rids == nil {
		c.rids = []string{}
	}
	if mended {
		rep.normalise(name, "ctr %s written as the number %d", verify.Sanitize(string(in.Ctr), 24), ctr)
	}
	c.ctr, c.raw = ctr, nil
	return c
}

// mergeCRL combines two lists the directory gives for one key. Revocation
// only grows, so the union of both is the strictest reading; an unreadable
// one wins, so the key's revocation stays unknown rather than half known.
func mergeCRL(a, b *crlState, rep *Report, name string) *crlState {
	switch {
	case a.raw != nil:
		rep.warn(name, "a second list for key %s; the first cannot be read, so the key's revocation stays unknown", verify.Sanitize(b.kid, 48))
		return a
	case b.raw != nil:
		rep.warn(name, "a second list for key %s cannot be read, so the key's revocation is unknown", verify.Sanitize(b.kid, 48))
		return b
	case a.method != b.method:
		rep.warn(name, "a second list for key %s with another method (%s, %s): the key's revocation is unknown", verify.Sanitize(a.kid, 48), verify.Sanitize(a.method, 16), verify.Sanitize(b.method, 16))
		return &crlState{kid: a.kid, raw: json.RawMessage(`{"kid":` + strconv.Quote(a.kid) + `,"method":"conflicting"}`),
			issue: "two lists with different methods"}
	}
	seen := make(map[string]bool, len(a.rids)+len(b.rids))
	rids := make([]string, 0, len(a.rids)+len(b.rids))
	for _, r := range append(append([]string{}, a.rids...), b.rids...) {
		if !seen[r] {
			seen[r] = true
			rids = append(rids, r)
		}
	}
	rep.normalise(name, "a second list for key %s: merged (%d rids in all, ctr %d)", verify.Sanitize(a.kid, 48), len(rids), max(a.ctr, b.ctr))
	return &crlState{kid: a.kid, method: a.method, ctr: max(a.ctr, b.ctr), rids: rids}
}
