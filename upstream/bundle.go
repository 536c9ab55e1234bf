package upstream

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"munjigi/internal/spool"
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
}

// listExtras are the parts of the list that verify does not read.
type listExtras struct {
	Version   *int64            `json:"version"`
	IssuedAt  string            `json:"issuedAt"`
	ExpiresAt string            `json:"expiresAt"`
	Rules     []json.RawMessage `json:"rules"`
	ValueSets json.RawMessage   `json:"valueSets"`
}

// ListType is the protected header's typ of a signed trust list.
const ListType = "munjigi-trustlist+jws"

// Sign signs a trust list's JSON with the authority's key: the reference
// server's side. The list is a JWS compact serialization, ES256, typ
// ListType.
func Sign(list []byte, key *ecdsa.PrivateKey) ([]byte, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType(ListType))
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
// refused. The syncer does not hold a list whole to open it: it reads it
// as it comes (see readSigned).
func Open(signed []byte, key *ecdsa.PublicKey, now time.Time, inForce int64) (*Bundle, error) {
	return openBytes(signed, key, now, inForce, true)
}

// OpenStored reads the list in force back from the store at start: its
// signature is checked again, but an expired list stays in force (shown as
// expired) until a newer one comes: it is the last good list.
func OpenStored(signed []byte, key *ecdsa.PublicKey) (*Bundle, error) {
	return openBytes(signed, key, time.Time{}, 0, false)
}

func openBytes(signed []byte, key *ecdsa.PublicKey, now time.Time, inForce int64, fresh bool) (*Bundle, error) {
	if len(signed) > MaxTrustList {
		return nil, fmt.Errorf("%w: %d bytes, over the %d MiB cap", ErrList, len(signed), MaxTrustList>>20)
	}
	text, err := readSigned(bytes.NewReader(signed), key, nil)
	if err != nil {
		return nil, err
	}
	payload, err := text.payload(bytes.NewReader(signed[text.lead:]))
	if err != nil {
		return nil, err
	}
	return parse(payload, now, inForce, fresh)
}

// The compact JWS of a trust list, as readSigned takes it.
const (
	// maxHeader bounds the protected header, base64url: Sign's is 62
	// bytes, and one with room for a key id and more is still far under.
	maxHeader = 1 << 10
	// sigLen is an ES256 signature (r‖s, 64 bytes) in base64url.
	sigLen = 86
	// readBuffer is how much is read at a time: what a list refused for
	// its header costs at most.
	readBuffer = 32 << 10
)

// signedText is where the payload of a checked compact JWS lies.
type signedText struct {
	lead       int64 // white space before the text in the input
	payloadOff int64 // from the text's start
	payloadLen int64 // base64url characters
	size       int64 // the text, without the white space around it
}

// readSigned reads a signed trust list (a JWS compact serialization,
// white space around it allowed) from r as it comes, and checks it on the
// way: at most MaxTrustList bytes are read; the protected header, which
// comes first and is small, must be ES256 in the form Sign writes, else
// the list is refused before more than readBuffer bytes are read; the
// payload must be base64url, refused at its first byte that is not; the
// signature over header.payload is hashed (SHA-256) while reading and
// checked against key at the end. The text, without the white space
// around it, is copied to keep as it is read, when keep is not nil:
// nothing is held here, so memory stays bounded whatever r holds.
// Refusals wrap ErrList; a failure to read r is returned as it is.
func readSigned(r io.Reader, key *ecdsa.PublicKey, keep io.Writer) (signedText, error) {
	var text signedText
	if keep == nil {
		keep = io.Discard
	}
	capped := &spool.CapReader{R: r, Max: MaxTrustList, Over: func() error {
		return fmt.Errorf("%w: over the %d MiB cap", ErrList, MaxTrustList>>20)
	}}
	br := bufio.NewReaderSize(capped, readBuffer)
	for {
		c, err := br.ReadByte()
		if err != nil {
			return text, readError(err, "empty")
		}
		if !isSpace(c) {
			br.UnreadByte()
			break
		}
		text.lead++
	}

	seg, err := br.ReadSlice('.')
	if err == bufio.ErrBufferFull || len(seg) > maxHeader+1 {
		return text, fmt.Errorf("%w: not a signed list (no JWS header in its first %d bytes)", ErrList, maxHeader)
	}
	if err != nil {
		return text, readError(err, "not a signed list (one part, not three)")
	}
	if err := checkHeader(seg[:len(seg)-1]); err != nil {
		return text, err
	}
	h := sha256.New()
	h.Write(seg)
	if _, err := keep.Write(seg); err != nil {
		return text, err
	}
	text.payloadOff = int64(len(seg))

	for {
		seg, err := br.ReadSlice('.')
		part := seg
		if err == nil {
			part = seg[:len(seg)-1]
		}
		if i := notBase64URL(part); i >= 0 {
			return text, fmt.Errorf("%w: not a signed list (its payload is not base64url at byte %d)", ErrList, text.lead+text.payloadOff+text.payloadLen+int64(i))
		}
		text.payloadLen += int64(len(part))
		h.Write(part)
		if _, err := keep.Write(seg); err != nil {
			return text, err
		}
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return text, readError(err, "truncated (no signature)")
		}
	}
	if text.payloadLen == 0 || text.payloadLen%4 == 1 {
		return text, fmt.Errorf("%w: not a signed list (its payload is empty or cut)", ErrList)
	}

	// The signature, then nothing but white space.
	var sig []byte
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return text, readError(err, "")
		}
		if isSpace(c) {
			if err := onlySpace(br); err != nil {
				return text, err
			}
			break
		}
		if !base64URL[c] || len(sig) == sigLen {
			return text, fmt.Errorf("%w: not a signed list (its signature is not one ES256 signature)", ErrList)
		}
		sig = append(sig, c)
	}
	raw, err := base64.RawURLEncoding.DecodeString(string(sig))
	if err != nil || len(raw) != 64 {
		return text, fmt.Errorf("%w: not a signed list (its signature is not one ES256 signature)", ErrList)
	}
	if _, err := keep.Write(sig); err != nil {
		return text, err
	}
	rs, ss := new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])
	if !ecdsa.Verify(key, h.Sum(nil), rs, ss) {
		return text, fmt.Errorf("%w: the signature is not the authority's", ErrList)
	}
	text.size = text.payloadOff + text.payloadLen + 1 + int64(len(sig))
	return text, nil
}

// checkHeader refuses a protected header that is not ES256 in the form
// Sign writes: base64url of a JSON object, alg ES256, typ ListType when
// there is a typ, and no critical extension (none is understood here, so
// RFC 7515 says refuse). Names are matched exactly, as JOSE does (not
// case-blind, as encoding/json matches a struct's fields).
func checkHeader(enc []byte) error {
	raw, err := base64.RawURLEncoding.DecodeString(string(enc))
	if err != nil || len(enc) == 0 || notBase64URL(enc) >= 0 {
		return fmt.Errorf("%w: not a signed list (its header is not base64url)", ErrList)
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw, &h); err != nil || h == nil {
		return fmt.Errorf("%w: not a signed list (its header is not a JSON object)", ErrList)
	}
	var alg, typ string
	if json.Unmarshal(h["alg"], &alg) != nil || alg != "ES256" {
		return fmt.Errorf("%w: signed with %.20s, not ES256", ErrList, h["alg"])
	}
	if raw, ok := h["typ"]; ok && (json.Unmarshal(raw, &typ) != nil || typ != ListType) {
		return fmt.Errorf("%w: a JWS of type %.40s, not a trust list (%s)", ErrList, raw, ListType)
	}
	if _, ok := h["crit"]; ok {
		return fmt.Errorf("%w: its header has critical extensions", ErrList)
	}
	return nil
}

// payload decodes the payload of a checked text, read back from text
// (the text from its first byte): one slice of its size.
func (t signedText) payload(text io.ReaderAt) ([]byte, error) {
	enc := io.NewSectionReader(text, t.payloadOff, t.payloadLen)
	out := make([]byte, base64.RawURLEncoding.DecodedLen(int(t.payloadLen)))
	if _, err := io.ReadFull(base64.NewDecoder(base64.RawURLEncoding, enc), out); err != nil {
		var corrupt base64.CorruptInputError
		if errors.As(err, &corrupt) {
			return nil, fmt.Errorf("%w: its payload does not decode: %v", ErrList, err)
		}
		return nil, fmt.Errorf("reading the trust list back: %w", err)
	}
	return out, nil
}

// readError says what an error reading a list means: the end of the
// input where more was due is a refusal (the list is truncated), as is
// the cap; anything else is a failure to read (the line or the disk).
func readError(err error, truncated string) error {
	switch {
	case errors.Is(err, ErrList):
		return err
	case err == io.EOF:
		return fmt.Errorf("%w: %s", ErrList, truncated)
	}
	return fmt.Errorf("reading the trust list: %w", err)
}

// onlySpace reads to the end, refusing anything but white space.
func onlySpace(br *bufio.Reader) error {
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return readError(err, "")
		}
		if !isSpace(c) {
			return fmt.Errorf("%w: data after the signature", ErrList)
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// notBase64URL is the index of the first byte of b outside the base64url
// alphabet, or -1.
func notBase64URL(b []byte) int {
	for i, c := range b {
		if !base64URL[c] {
			return i
		}
	}
	return -1
}

var base64URL = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = true
	}
	return t
}()

// parse reads a list whose signature has been checked.
func parse(payload []byte, now time.Time, inForce int64, fresh bool) (*Bundle, error) {
	// json.Unmarshal, not a Decoder: a Decoder would copy the whole
	// payload into its buffer, and a national list is megabytes. It also
	// refuses data after the list.
	var x listExtras
	if err := json.Unmarshal(payload, &x); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrList, err)
	}
	b := &Bundle{}
	if x.Version == nil || *x.Version < 1 {
		return nil, fmt.Errorf("%w: no version", ErrList)
	}
	b.Version = *x.Version
	var err error
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
