package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"errors"
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
	// crl is the key's revocation list, when one was read. crlIssue says
	// why the key's revocation is unknown: a list that breaks the
	// specification, one older than the key's crlVersion, or none where
	// the key names one. A key with neither revokes nothing.
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
	// go-jose drops the members it does not know; crlVersion is one.
	var extra struct {
		Keys []struct {
			CRLVersion json.RawMessage `json:"crlVersion"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &extra); err != nil || len(extra.Keys) != len(set.Keys) {
		return fmt.Errorf("%w: issuer %s: JWKS: the keys cannot be read", ErrTrust, iss)
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
		t.readRevocation(iss, key, extra.Keys[i].CRLVersion, crls)
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
	if k.KeyID != b64url.EncodeToString(tp) && k.KeyID != shortThumbprint(pub) {
		return "kid is not the key's RFC 7638 thumbprint"
	}
	return ""
}

// shortThumbprint is the RFC 7638 thumbprint of an EC key written with its
// coordinates' leading zero bytes dropped: some issuers (hospital networks
// on one vendor's software) published their keys so, and computed the kid
// their cards carry over that spelling. It is the same point; the kid
// still binds the card to it.
func shortThumbprint(pub *ecdsa.PublicKey) string {
	x, y := pub.X.Bytes(), pub.Y.Bytes() // big-endian, without leading zeros
	canon := `{"crv":"P-256","kty":"EC","x":"` + b64url.EncodeToString(x) + `","y":"` + b64url.EncodeToString(y) + `"}`
	sum := sha256.Sum256([]byte(canon))
	return b64url.EncodeToString(sum[:])
}

// readRevocation reads a key's revocation list, strictly: the
// specification (SMART Health Cards framework, "Revocation") says that a
// key whose JWK carries crlVersion has a list at
// iss/.well-known/crl/<kid>.json whose counter ctr is that version, and
// that verifiers SHALL check it. A list that breaks the specification, is
// older than crlVersion, or is missing leaves the key's revocation unknown
// (its cards get a manual check), never "not revoked"; the warning says
// what is wrong for whoever maintains the trust list.
func (t *Trust) readRevocation(iss string, key *shcKey, crlVersion json.RawMessage, crls map[string][]byte) {
	kid := key.jwk.KeyID
	version := 0
	if len(crlVersion) > 0 {
		v, ok := counter(crlVersion)
		if !ok {
			key.crlIssue = "the issuer's key gives no usable revocation list version"
			t.warn("issuer %s: key %s: crlVersion %.20s is not a whole number from 1: its cards' revocation is unknown", iss, kid, crlVersion)
			return
		}
		version = v
	}
	raw, ok := crls[kid]
	if !ok {
		if version > 0 {
			key.crlIssue = "the issuer's revocation list is missing from the trust list"
			t.warn("issuer %s: key %s: the key names revocation list version %d and the trust list holds none: its cards' revocation is unknown", iss, kid, version)
		}
		return
	}
	crl, err := parseSHCCRL(raw, kid)
	if err != nil {
		key.crlIssue = "the issuer's revocation list breaks the specification"
		t.warn("issuer %s: key %s: revocation list unusable, its cards' revocation is unknown: %v", iss, kid, err)
		return
	}
	key.crl = crl
	if crl.ctr < version {
		// Still used: what an older list revokes stays revoked.
		key.crlIssue = "the issuer's revocation list is out of date"
		t.warn("issuer %s: key %s: revocation list counter %d is older than the key's crlVersion %d: its cards' revocation is unknown", iss, kid, crl.ctr, version)
	}
}

// counter reads a ctr or crlVersion: a JSON whole number from 1, written
// as one (not "1", 1.0 or 1e0).
func counter(raw json.RawMessage) (int, bool) {
	n, ok := wholeNumber(string(raw), 9)
	return int(n), ok
}

// wholeNumber reads a number from 1 written in at most max plain digits:
// no sign, no leading zero, no fraction or exponent.
func wholeNumber(s string, max int) (int64, bool) {
	if s == "" || s[0] < '1' || s[0] > '9' || len(s) > max || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// isRID reports whether s is a rid as the specification allows it: 1 to
// 24 characters of the base64url alphabet.
func isRID(s string) bool {
	if s == "" || len(s) > maxRIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// parseSHCCRL reads a revocation list as published at
// /.well-known/crl/<kid>.json. The same rid listed more than once means
// its strictest entry: a bare rid (every card) over any timestamp, and
// the latest timestamp over earlier ones.
func parseSHCCRL(raw []byte, kid string) (*shcCRL, error) {
	var f struct {
		Kid    string          `json:"kid"`
		Method string          `json:"method"`
		Ctr    json.RawMessage `json:"ctr"`
		Rids   *[]string       `json:"rids"`
	}
	if err := strictJSON(raw, &f); err != nil {
		return nil, fmt.Errorf("not a revocation list: %v", err)
	}
	if f.Method != "rid" {
		return nil, fmt.Errorf("method %.20q; only \"rid\" is defined", f.Method)
	}
	if f.Kid != kid {
		return nil, fmt.Errorf("it is for key %.48q", f.Kid)
	}
	ctr, ok := counter(f.Ctr)
	if !ok {
		return nil, fmt.Errorf("ctr %.20s is not a whole number from 1", f.Ctr)
	}
	if f.Rids == nil {
		return nil, errors.New("no rids list")
	}
	crl := &shcCRL{ctr: ctr, rids: make(map[string]float64, len(*f.Rids))}
	for i, entry := range *f.Rids {
		rid, ts, hasTS := strings.Cut(entry, ".")
		if !isRID(rid) {
			return nil, fmt.Errorf("rids[%d] is not 1 to %d characters of the base64url alphabet", i, maxRIDLength)
		}
		var at float64
		if hasTS {
			n, ok := wholeNumber(ts, 12) // seconds: 12 digits reach the year 33658
			if !ok {
				return nil, fmt.Errorf("rids[%d] has a timestamp that is not whole seconds", i)
			}
			at = float64(n)
		}
		if old, seen := crl.rids[rid]; seen && (old == 0 || at != 0 && old > at) {
			continue // an entry already as strict or stricter
		}
		crl.rids[rid] = at
	}
	return crl, nil
}

// revokes reports whether the list revokes a card with this rid issued at
// nbf: a rid alone revokes every card; rid.timestamp revokes the cards
// issued before the timestamp (re-issued cards after it stand). A card
// whose issue time is unknown (nbfOK false) is revoked by a bare rid only.
func (c *shcCRL) revokes(rid string, nbf float64, nbfOK bool) bool {
	at, ok := c.rids[rid]
	return ok && (at == 0 || nbfOK && nbf < at)
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
