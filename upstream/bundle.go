package upstream

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"munjigi/policy"
	"munjigi/verify"
)

// ErrList is the error class of a trust list that is refused: the last good
// one stays in force.
var ErrList = errors.New("trust list refused")

// ErrOlder is a list older than the one in force; ErrSame is the same
// version again, which is no news rather than a fault.
var (
	ErrOlder = fmt.Errorf("%w: older than the list in force", ErrList)
	ErrSame  = errors.New("the list in force, again")
)

// Bundle is a signed trust list, opened and checked: what the kiosk
// trusts, and the rules and value sets the authority ships with it.
type Bundle struct {
	Version   int64
	IssuedAt  time.Time
	ExpiresAt time.Time
	Trust     *verify.Trust
	Rules     []*policy.Rule
	ValueSets policy.ValueSets
	// Signed is the list as it came, signature and all: what the store
	// keeps, so every start checks the signature again.
	Signed []byte
}

// listExtras are the parts of the list that verify does not read.
type listExtras struct {
	Version   *int64            `json:"version"`
	IssuedAt  string            `json:"issuedAt"`
	ExpiresAt string            `json:"expiresAt"`
	Rules     []json.RawMessage `json:"rules"`
	ValueSets json.RawMessage   `json:"valueSets"`
}

// Sign signs a trust list's JSON with the authority's key: the reference
// server's side.
func Sign(list []byte, key *ecdsa.PrivateKey) ([]byte, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("munjigi-trustlist+jws"))
	if err != nil {
		return nil, err
	}
	obj, err := signer.Sign(list)
	if err != nil {
		return nil, err
	}
	s, err := obj.CompactSerialize()
	return []byte(s), err
}

// Open checks a signed trust list against the pinned key and reads it
// whole. It refuses, with ErrList, a list that is oversized, truncated,
// not signed by the key, unreadable, without a version or dates, expired
// at now, or (ErrOlder) not newer than inForce. One bad certificate inside
// is a warning, as verify reads lists; a list that cannot be read at all is
// refused.
func Open(signed []byte, key *ecdsa.PublicKey, now time.Time, inForce int64) (*Bundle, error) {
	return open(signed, key, now, inForce, true)
}

// OpenStored reads the list in force back from the store at start: its
// signature is checked again, but an expired list stays in force (shown as
// expired) until a newer one comes: it is the last good list.
func OpenStored(signed []byte, key *ecdsa.PublicKey) (*Bundle, error) {
	return open(signed, key, time.Time{}, 0, false)
}

func open(signed []byte, key *ecdsa.PublicKey, now time.Time, inForce int64, fresh bool) (*Bundle, error) {
	if len(signed) > MaxTrustList {
		return nil, fmt.Errorf("%w: %d bytes, over the %d MiB cap", ErrList, len(signed), MaxTrustList>>20)
	}
	obj, err := jose.ParseSigned(strings.TrimSpace(string(signed)), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, fmt.Errorf("%w: not a signed list (truncated?): %v", ErrList, err)
	}
	payload, err := obj.Verify(key)
	if err != nil {
		return nil, fmt.Errorf("%w: the signature is not the authority's", ErrList)
	}
	var x listExtras
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrList, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the list", ErrList)
	}
	b := &Bundle{Signed: signed}
	if x.Version == nil || *x.Version < 1 {
		return nil, fmt.Errorf("%w: no version", ErrList)
	}
	b.Version = *x.Version
	if b.IssuedAt, err = verify.ParseTime(x.IssuedAt); err != nil {
		return nil, fmt.Errorf("%w: issuedAt: %v", ErrList, err)
	}
	if b.ExpiresAt, err = verify.ParseTime(x.ExpiresAt); err != nil {
		return nil, fmt.Errorf("%w: expiresAt: %v", ErrList, err)
	}
	if fresh && !now.Before(b.ExpiresAt) {
		return nil, fmt.Errorf("%w: it expired at %s", ErrList, b.ExpiresAt.Format(time.RFC3339))
	}
	switch {
	case fresh && b.Version == inForce:
		return nil, ErrSame
	case fresh && b.Version < inForce:
		return nil, fmt.Errorf("%w (version %d, in force %d)", ErrOlder, b.Version, inForce)
	}
	b.Trust = verify.NewTrust()
	if err := b.Trust.AddList(payload); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrList, err)
	}
	for i, raw := range x.Rules {
		r, err := policy.ParseRule(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: rules[%d]: %v", ErrList, i, err)
		}
		b.Rules = append(b.Rules, r)
	}
	if len(x.ValueSets) > 0 && !bytes.Equal(x.ValueSets, []byte("null")) {
		if b.ValueSets, err = policy.ParseValueSets(x.ValueSets); err != nil {
			return nil, fmt.Errorf("%w: valueSets: %v", ErrList, err)
		}
	}
	return b, nil
}

// ParseKey reads the authority's pinned public key: PEM (a PUBLIC KEY
// block, P-256), given inline or as a file's path.
func ParseKey(s string) (*ecdsa.PublicKey, error) {
	data := []byte(s)
	if !strings.Contains(s, "-----BEGIN") {
		var err error
		if data, err = os.ReadFile(s); err != nil {
			return nil, fmt.Errorf("the trust-list key: %w", err)
		}
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("the trust-list key is not a PEM PUBLIC KEY")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the trust-list key: %w", err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("the trust-list key must be an EC P-256 key (ES256)")
	}
	return ec, nil
}

// MarshalKey writes a public key as PEM, for pinning.
func MarshalKey(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
