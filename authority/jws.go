package authority

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"

	"munjigi/upstream"
)

// A signed list is a JWS in compact form, as upstream.Sign makes it:
// base64url(header) "." base64url(payload) "." base64url(r‖s). jwsWriter
// makes the same text as the payload is written, so a list of a national
// source is held once, as the JWS, rather than as a document, its JSON,
// its base64 and the JWS (with 10,000 DSCs, about 12 MiB each).

// jwsHeader is the protected header upstream.Sign writes (go-jose's
// order: alg, then typ); the kiosk checks alg and typ.
var jwsHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","typ":"` + upstream.ListType + `"}`))

// errListTooLarge is a list over what kiosks accept: it is not published.
var errListTooLarge = errors.New("authority: the trust list is over the kiosks' cap")

// jwsWriter takes the payload through Write and signs it with Sign.
type jwsWriter struct {
	out bytes.Buffer
	h   hash.Hash // over the signing input: header "." payload, encoded
	enc io.WriteCloser
	max int
}

// newJWS starts a JWS; sizeHint, when known, is the payload's likely size,
// so the text is allocated once rather than doubled as it grows.
func newJWS(sizeHint int) *jwsWriter {
	j := &jwsWriter{h: sha256.New(), max: upstream.MaxTrustList}
	if sizeHint > 0 {
		j.out.Grow(min(base64.RawURLEncoding.EncodedLen(sizeHint)+len(jwsHeader)+128, j.max+1))
	}
	j.out.WriteString(jwsHeader + ".")
	j.h.Write(j.out.Bytes())
	j.enc = base64.NewEncoder(base64.RawURLEncoding, io.MultiWriter(&j.out, j.h))
	return j
}

func (j *jwsWriter) Write(p []byte) (int, error) {
	if j.out.Len()+base64.RawURLEncoding.EncodedLen(len(p)) > j.max {
		return 0, fmt.Errorf("%w: over %d MiB", errListTooLarge, j.max>>20)
	}
	return j.enc.Write(p)
}

// Sign ends the payload and returns the JWS.
func (j *jwsWriter) Sign(key *ecdsa.PrivateKey) ([]byte, error) {
	if key.Curve != elliptic.P256() {
		return nil, errors.New("authority: the trust-list key must be P-256 (ES256)")
	}
	if err := j.enc.Close(); err != nil {
		return nil, err
	}
	r, s, err := ecdsa.Sign(rand.Reader, key, j.h.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("authority: signing the list: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	j.out.WriteByte('.')
	j.out.WriteString(base64.RawURLEncoding.EncodeToString(sig))
	if j.out.Len() > j.max {
		return nil, fmt.Errorf("%w: %d bytes, over %d MiB", errListTooLarge, j.out.Len(), j.max>>20)
	}
	return j.out.Bytes(), nil
}
