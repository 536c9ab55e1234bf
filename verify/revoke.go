package verify

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/veraison/go-cose"
)

// Revocation follows the EU DCC revocation lists: a pass is named by the
// first 16 bytes of a SHA-256 hash, over one of three inputs.
type hashKind uint8

const (
	hashUCI        hashKind = iota // the UVCI (the entry's ci)
	hashCountryUCI                 // issuing country (CWT iss) followed by the UVCI
	hashSignature                  // the COSE signature; for ECDSA its r half only
	numHashKinds
)

func (k hashKind) String() string {
	return [...]string{"uci", "countryCodeUci", "signature"}[k]
}

// revocationHashLen is the truncated hash length the DCC lists use.
const revocationHashLen = 16

type revHash [revocationHashLen]byte

type revocations struct {
	set [numHashKinds]map[revHash]struct{}
}

func newRevocations() revocations {
	var r revocations
	for i := range r.set {
		r.set[i] = make(map[revHash]struct{})
	}
	return r
}

func (r *revocations) len() int {
	n := 0
	for _, s := range r.set {
		n += len(s)
	}
	return n
}

// addBase64 adds one hash as the lists carry it: base64 of the 16-byte
// truncated hash. A whole 32-byte SHA-256 is accepted and truncated.
func (r *revocations) addBase64(kind hashKind, s string) error {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("%s hash %.24q is not base64", kind, s)
	}
	if len(b) != revocationHashLen && len(b) != sha256.Size {
		return fmt.Errorf("%s hash %.24q is %d bytes; want 16 or 32", kind, s, len(b))
	}
	r.set[kind][revHash(b[:revocationHashLen])] = struct{}{}
	return nil
}

// Revoke adds a revoked pass by its UVCI: what an operator with a list of
// withdrawn certificate ids needs.
func (t *Trust) Revoke(uvci string) {
	t.revoked.set[hashUCI][revocationHash([]byte(uvci))] = struct{}{}
}

func revocationHash(parts ...[]byte) revHash {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	var sum [sha256.Size]byte
	return revHash(h.Sum(sum[:0])[:revocationHashLen])
}

// isRevoked checks a verified pass against every hash kind.
func (r *revocations) isRevoked(uvci, country string, sig []byte, alg cose.Algorithm) (hashKind, bool) {
	if len(r.set[hashUCI])+len(r.set[hashCountryUCI])+len(r.set[hashSignature]) == 0 {
		return 0, false
	}
	if uvci != "" {
		if _, ok := r.set[hashUCI][revocationHash([]byte(uvci))]; ok {
			return hashUCI, true
		}
		if _, ok := r.set[hashCountryUCI][revocationHash([]byte(country), []byte(uvci))]; ok {
			return hashCountryUCI, true
		}
	}
	if alg == cose.AlgorithmES256 && len(sig) == 64 {
		sig = sig[:32] // ECDSA signatures are malleable in s: hash r alone
	}
	if _, ok := r.set[hashSignature][revocationHash(sig)]; ok {
		return hashSignature, true
	}
	return 0, false
}

// RevocationHashUCI is the revocation-list hash of a UVCI, as a trust list
// carries it (base64 of these 16 bytes, under "revoked"."uci").
func RevocationHashUCI(uvci string) [revocationHashLen]byte {
	return revocationHash([]byte(uvci))
}
