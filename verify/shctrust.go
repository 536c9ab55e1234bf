package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// SMART Health Card issuers are trusted by a directory, the trust list:
// each issuer's URL (iss), its keys (JWKS) and its revocation lists. Nothing
// is fetched while a card is scanned; an issuer not on the list is not
// trusted.

// shcIssuer is one trusted issuer.
type shcIssuer struct {
	iss  string
	keys map[string]*shcKey // by kid
}

// shcKey is an issuer's signing key, bound to (iss, kid).
type shcKey struct {
	jwk jose.JSONWebKey
	// crl is the key's revocation list; crlIssue says why it cannot be
	// used when it is set. A key without a list revokes nothing.
	crl      *shcCRL
	crlIssue string
}

// shcCRL is a revocation list of the "rid" method: each rid, and for rids
// revoked from a time on, that time (cards issued before it are revoked).
type shcCRL struct {
	ctr  int
	rids map[string]float64 // rid → revoked for cards with nbf before this; 0: all
}

// maxRIDLength is the longest rid the SHC revocation method allows.
const maxRIDLength = 24

// shcEntry is an issuer in munjigi's trust-list format.
type shcEntry struct {
	Iss  string                     `json:"iss"`
	JWKS json.RawMessage            `json:"jwks"`
	CRLs map[string]json.RawMessage `json:"crls"`
}

// AddSHCIssuer trusts a SMART Health Card issuer: iss exactly as cards
// name it (no trailing slash is added or removed), its JWKS as published at
// iss + "/.well-known/jwks.json", and its revocation lists by kid (each as
// published at iss + "/.well-known/crl/<kid>.json"). A key that is not an
// ES256 P-256 signing key, or whose kid is not its RFC 7638 thumbprint, is
// skipped with a warning; a revocation list that cannot be read is kept as
// such, so its key's cards get a manual check rather than a guess.
func (t *Trust) AddSHCIssuer(iss string, jwks []byte, crls map[string][]byte) error {
	if !strings.HasPrefix(iss, "https://") {
		return fmt.Errorf("%w: SMART Health Card issuer %q is not an https URL", ErrTrust, iss)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		return fmt.Errorf("%w: issuer %s: JWKS: %v", ErrTrust, iss, err)
	}
	is := t.shc[iss]
	if is == nil {
		is = &shcIssuer{iss: iss, keys: map[string]*shcKey{}}
	}
	for i, k := range set.Keys {
		if issue := shcKeyIssue(k); issue != "" {
			t.warn("issuer %s: key %d (%q) is not used: %s", iss, i, k.KeyID, issue)
			continue
		}
		key := &shcKey{jwk: k}
		if raw, ok := crls[k.KeyID]; ok {
			crl, err := parseSHCCRL(raw, k.KeyID)
			if err != nil {
				key.crlIssue = err.Error()
				t.warn("issuer %s: key %s: revocation list unusable: %v", iss, k.KeyID, err)
			}
			key.crl = crl
		}
		is.keys[k.KeyID] = key
	}
	if len(is.keys) == 0 {
		return fmt.Errorf("%w: issuer %s: no usable signing key", ErrTrust, iss)
	}
	if t.shc == nil {
		t.shc = map[string]*shcIssuer{}
	}
	t.shc[iss] = is
	return nil
}

// shcKeyIssue says why k cannot sign health cards, or "" when it can.
func shcKeyIssue(k jose.JSONWebKey) string {
	pub, ok := k.Key.(*ecdsa.PublicKey)
	switch {
	case !ok:
		return fmt.Sprintf("a %T key; cards are signed with EC P-256", k.Key)
	case pub.Curve != elliptic.P256():
		return "curve " + pub.Curve.Params().Name + "; cards use P-256"
	case k.Algorithm != "" && k.Algorithm != string(jose.ES256):
		return "alg " + k.Algorithm + "; cards use ES256"
	case k.Use != "" && k.Use != "sig":
		return "use " + k.Use + "; a signing key has use sig"
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "no thumbprint: " + err.Error()
	}
	if k.KeyID != b64url.EncodeToString(tp) {
		return "kid is not the key's RFC 7638 thumbprint"
	}
	return ""
}

// parseSHCCRL reads a revocation list as published at
// /.well-known/crl/<kid>.json.
func parseSHCCRL(raw []byte, kid string) (*shcCRL, error) {
	var f struct {
		Kid    string   `json:"kid"`
		Method string   `json:"method"`
		Ctr    int      `json:"ctr"`
		Rids   []string `json:"rids"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("not a revocation list: %v", err)
	}
	if f.Method != "rid" {
		return nil, fmt.Errorf("method %q; only \"rid\" is defined", f.Method)
	}
	if f.Kid != kid {
		return nil, fmt.Errorf("it is for key %q", f.Kid)
	}
	crl := &shcCRL{ctr: f.Ctr, rids: make(map[string]float64, len(f.Rids))}
	for _, entry := range f.Rids {
		rid, ts, hasTS := strings.Cut(entry, ".")
		if rid == "" || len(rid) > maxRIDLength {
			return nil, fmt.Errorf("rid %.40q is not 1 to %d characters", rid, maxRIDLength)
		}
		var at float64
		if hasTS {
			n, err := strconv.ParseInt(ts, 10, 64)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("rid %q has a bad timestamp %q", rid, ts)
			}
			at = float64(n)
		}
		crl.rids[rid] = at
	}
	return crl, nil
}

// revokes reports whether the list revokes a card with this rid issued at
// nbf: a rid alone revokes every card; rid.timestamp revokes the cards
// issued before the timestamp (re-issued cards after it stand).
func (c *shcCRL) revokes(rid string, nbf float64) bool {
	at, ok := c.rids[rid]
	return ok && (at == 0 || nbf < at)
}

// lookupSHC returns the key (iss, kid), or why there is none.
func (t *Trust) lookupSHC(iss, kid string) (*shcKey, string) {
	is := t.shc[iss]
	if is == nil {
		return nil, "issuer not trusted: " + Sanitize(iss, 80)
	}
	k := is.keys[kid]
	if k == nil {
		return nil, "the issuer " + Sanitize(iss, 80) + " has no trusted key " + Sanitize(kid, 48)
	}
	return k, ""
}

// SHCIssuers is the number of SMART Health Card issuers trusted.
func (t *Trust) SHCIssuers() int { return len(t.shc) }
