package demo

import (
	"bytes"
	"compress/zlib"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/fxamacker/cbor/v2"

	"munjigi/verify"
)

// Issuer signs EU DCC passes the way a health authority's issuing service
// does: CWT claims in a COSE_Sign1, zlib, base45, "HC1:". It exists for the
// demo and for tests; its keys are never trusted unless a person asks for the
// demo.
type Issuer struct {
	Country string
	key     crypto.Signer
	der     []byte
	kid     []byte
}

// NewIssuer returns an issuer signing with key under the DSC certDER.
func NewIssuer(key crypto.Signer, certDER []byte, country string) *Issuer {
	return &Issuer{Country: country, key: key, der: certDER, kid: verify.KeyID(certDER)}
}

// Certificate returns the issuer's DSC, DER encoded.
func (i *Issuer) Certificate() []byte { return i.der }

// KID returns the issuer's DCC key id.
func (i *Issuer) KID() []byte { return i.kid }

// IssuerOptions describe a generated issuer.
type IssuerOptions struct {
	// Key is "ec-p256" (the default), "ec-p384", "rsa-2048", "rsa-3072" or
	// "rsa-1024".
	Key       string
	Country   string    // default "KR"
	NotBefore time.Time // default 2021-01-01
	NotAfter  time.Time // default 2099-12-31
	// Usage lists extended-key-usage OIDs; none means "may sign every type".
	Usage []asn1.ObjectIdentifier
}

// GenerateIssuer makes a new key and a self-signed DSC for it.
func GenerateIssuer(o IssuerOptions) (*Issuer, error) {
	var key crypto.Signer
	var err error
	switch o.Key {
	case "", "ec-p256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ec-p384":
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "rsa-2048":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case "rsa-3072":
		key, err = rsa.GenerateKey(rand.Reader, 3072)
	case "rsa-1024":
		key, err = rsa.GenerateKey(rand.Reader, 1024)
	default:
		return nil, fmt.Errorf("demo: unknown key kind %q", o.Key)
	}
	if err != nil {
		return nil, err
	}
	if o.Country == "" {
		o.Country = "KR"
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:       serial,
		Subject:            pkix.Name{CommonName: "munjigi test DSC " + serial.String(), Country: []string{o.Country}},
		NotBefore:          o.NotBefore,
		NotAfter:           o.NotAfter,
		KeyUsage:           x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage: o.Usage,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return NewIssuer(key, der, o.Country), nil
}

// COSE algorithm identifiers (RFC 9053).
const (
	AlgES256 int64 = -7
	AlgPS256 int64 = -37
)

// Pass is what an issuer signs. Zero fields take the usual values; the
// others let a test build the malformed and hostile passes a kiosk must
// refuse.
type Pass struct {
	HCert     any // the DCC payload
	IssuedAt  time.Time
	ExpiresAt time.Time

	Claims       map[int64]any // when set, the CWT claims as they are
	Protected    map[int64]any // default {1: alg, 4: kid}
	Unprotected  map[int64]any // default {}
	Tags         []uint64      // default [18]; empty slice for none
	Signature    []byte        // when set, used instead of a real signature
	Uncompressed bool
}

// Issue signs p and returns the QR text, "HC1:...".
func (i *Issuer) Issue(p Pass) (string, error) {
	msg, err := i.COSE(p)
	if err != nil {
		return "", err
	}
	return Encode(msg, !p.Uncompressed), nil
}

// Encode turns a COSE message into QR text: zlib (when compress), base45,
// the HC1 prefix.
func Encode(cose []byte, compress bool) string {
	data := cose
	if compress {
		var b bytes.Buffer
		w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
		w.Write(cose)
		w.Close()
		data = b.Bytes()
	}
	return verify.PrefixDCC + verify.Base45Encode(data)
}

// Algorithm returns the COSE algorithm the issuer's key signs with.
func (i *Issuer) Algorithm() int64 {
	if _, ok := i.key.(*rsa.PrivateKey); ok {
		return AlgPS256
	}
	return AlgES256
}

var encMode = func() cbor.EncMode {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

// COSE returns the signed COSE_Sign1 for p, before compression.
func (i *Issuer) COSE(p Pass) ([]byte, error) {
	claims := p.Claims
	if claims == nil {
		claims = map[int64]any{
			1:    i.Country,
			4:    p.ExpiresAt.Unix(),
			6:    p.IssuedAt.Unix(),
			-260: map[int64]any{1: p.HCert},
		}
	}
	payload, err := encMode.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("demo: claims: %w", err)
	}
	prot := p.Protected
	if prot == nil {
		prot = map[int64]any{1: i.Algorithm(), 4: i.kid}
	}
	protBytes := []byte{} // an absent protected header is the empty byte string
	if len(prot) > 0 {
		if protBytes, err = encMode.Marshal(prot); err != nil {
			return nil, err
		}
	}
	unprot := p.Unprotected
	if unprot == nil {
		unprot = map[int64]any{}
	}
	sig := p.Signature
	if sig == nil {
		if sig, err = i.sign(protBytes, payload); err != nil {
			return nil, err
		}
	}
	body, err := encMode.Marshal([]any{protBytes, unprot, payload, sig})
	if err != nil {
		return nil, err
	}
	tags := p.Tags
	if tags == nil {
		tags = []uint64{18}
	}
	var out []byte
	for _, t := range tags {
		out = appendHead(out, 6, t)
	}
	return append(out, body...), nil
}

func appendHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= 0xff:
		return append(b, m|24, byte(n))
	case n <= 0xffff:
		return append(b, m|25, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		return append(b, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, m|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// sign signs the Sig_structure of RFC 9052 §4.4.
func (i *Issuer) sign(protected, payload []byte) ([]byte, error) {
	tbs, err := encMode.Marshal([]any{"Signature1", protected, []byte{}, payload})
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(tbs)
	switch k := i.key.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			return nil, err
		}
		n := (k.Curve.Params().BitSize + 7) / 8
		sig := make([]byte, 2*n)
		r.FillBytes(sig[:n])
		s.FillBytes(sig[n:])
		return sig, nil
	case *rsa.PrivateKey:
		return rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	}
	return nil, errors.New("demo: unsupported key")
}
