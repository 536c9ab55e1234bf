package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/veraison/go-cose"
)

// Limits on what a trust source may hold. A trust list is data from
// elsewhere: it is bounded like a pass.
const (
	MaxTrustFile = 64 << 20 // bytes in one trust file
	// MaxKeysPerKID bounds the signature checks one scan can cost. Key ids
	// are 8 bytes, so honest collisions are rare; a list with more keys under
	// one id than this is broken or hostile, and the extra keys are not tried.
	MaxKeysPerKID = 8
)

// ErrTrust is wrapped by every error about a trust source.
var ErrTrust = errors.New("verify: bad trust list")

// signer is a document signer certificate (DSC) reduced to what a scan needs:
// keeping parsed x509 certificates for ten thousand keys would cost tens of MB
// on a board that has a few hundred.
type signer struct {
	kid       []byte
	country   string
	subject   string
	notBefore time.Time
	notAfter  time.Time
	types     typeSet        // the pass types this key may sign
	alg       cose.Algorithm // fixed by the key; 0 when the key may sign nothing
	keyIssue  string         // why alg is 0, for a person
	key       crypto.PublicKey
	verifier  cose.DigestVerifier
}

// typeSet is a set of pass types, from the DSC's extended key usage.
type typeSet uint8

const (
	allowTest typeSet = 1 << iota
	allowVaccination
	allowRecovery
	allowAll = allowTest | allowVaccination | allowRecovery
)

func (s typeSet) allows(t Type) bool {
	switch t {
	case Test:
		return s&allowTest != 0
	case Vaccination:
		return s&allowVaccination != 0
	case Recovery:
		return s&allowRecovery != 0
	}
	return false
}

// The DCC extended-key-usage OIDs. Issuers use two spellings: the registered
// arc 1.3.6.1.4.1.1847.2021.1.x and a variant with an extra 0 after the
// enterprise arc. Both mean the same.
var dccUsage = []struct {
	oid asn1.ObjectIdentifier
	set typeSet
}{
	{asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 1}, allowTest},
	{asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 2}, allowVaccination},
	{asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 3}, allowRecovery},
	{asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 1}, allowTest},
	{asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 2}, allowVaccination},
	{asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 3}, allowRecovery},
}

// usageOf reads the pass types a DSC may sign. A DSC without any DCC OID may
// sign every type (HCERT §5.1.1).
func usageOf(cert *x509.Certificate) typeSet {
	var s typeSet
	for _, oid := range cert.UnknownExtKeyUsage {
		for _, u := range dccUsage {
			if oid.Equal(u.oid) {
				s |= u.set
			}
		}
	}
	if s == 0 {
		return allowAll
	}
	return s
}

// KeyID is the DCC key identifier of a DSC: the first 8 bytes of the SHA-256
// of its DER encoding.
func KeyID(der []byte) []byte {
	h := sha256.Sum256(der)
	return h[:8]
}

// Trust is what the kiosk trusts: document signer keys and revoked passes.
// Build it with NewTrust and Add*, then share it read-only: a Verifier may
// use one Trust from many goroutines, so nothing may add to it after that.
type Trust struct {
	// Version, IssuedAt and ExpiresAt come from the newest trust list added.
	Version   int64
	IssuedAt  time.Time
	ExpiresAt time.Time

	signers  map[string][]*signer // by string(kid)
	nsigners int
	shc      map[string]*shcIssuer // SMART Health Card issuers by iss
	revoked  revocations
	warnings []string
}

// NewTrust returns an empty Trust: it verifies nothing.
func NewTrust() *Trust {
	return &Trust{signers: make(map[string][]*signer), shc: map[string]*shcIssuer{}, revoked: newRevocations()}
}

// Signers is the number of document signer keys held (EU DCC).
func (t *Trust) Signers() int { return t.nsigners }

// Revoked is the number of revoked pass hashes held.
func (t *Trust) Revoked() int { return t.revoked.len() }

// Warnings lists entries that were skipped or cannot sign passes, in words a
// person can act on.
func (t *Trust) Warnings() []string { return t.warnings }

func (t *Trust) warn(format string, args ...any) {
	t.warnings = append(t.warnings, fmt.Sprintf(format, args...))
}

// lookup returns the signers under kid, at most MaxKeysPerKID of them.
func (t *Trust) lookup(kid []byte) []*signer {
	return t.signers[string(kid)]
}

// AddCertificate trusts a DSC given as DER. kid may be nil: the DCC key id
// is then derived from the certificate. country may be empty. A certificate
// whose key may not sign passes (an RSA key under 2048 bits, a curve other
// than P-256) is kept, so a pass it signed gets a clear answer, and a warning
// is recorded.
func (t *Trust) AddCertificate(der []byte, kid []byte, country string) error {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("%w: certificate: %v", ErrTrust, err)
	}
	if len(kid) == 0 {
		kid = KeyID(der)
	}
	s := &signer{
		kid:       bytes.Clone(kid),
		country:   country,
		subject:   cert.Subject.CommonName,
		notBefore: cert.NotBefore,
		notAfter:  cert.NotAfter,
		types:     usageOf(cert),
		key:       cert.PublicKey,
	}
	if s.country == "" && len(cert.Subject.Country) > 0 {
		s.country = cert.Subject.Country[0]
	}
	s.alg, s.keyIssue = algorithmFor(cert.PublicKey)
	if s.alg != 0 {
		v, err := cose.NewVerifier(s.alg, cert.PublicKey)
		if err != nil {
			return fmt.Errorf("%w: certificate %q: %v", ErrTrust, s.subject, err)
		}
		dv, ok := v.(cose.DigestVerifier)
		if !ok {
			return fmt.Errorf("%w: certificate %q: no digest verifier for %v", ErrTrust, s.subject, s.alg)
		}
		s.verifier = dv
	} else {
		t.warn("certificate %q (key id %s) cannot sign passes: %s", s.subject, base64.StdEncoding.EncodeToString(kid), s.keyIssue)
	}
	t.addSigner(s)
	return nil
}

// addSigner adds a parsed signer, once, and at most MaxKeysPerKID under
// one key id.
func (t *Trust) addSigner(s *signer) {
	kid := s.kid
	list := t.signers[string(kid)]
	for _, old := range list {
		if sameKey(old, s) && old.types == s.types && old.notBefore.Equal(s.notBefore) && old.notAfter.Equal(s.notAfter) {
			return // the same certificate from two sources
		}
	}
	if len(list) >= MaxKeysPerKID {
		t.warn("key id %s: more than %d certificates share it; %q is not used",
			base64.StdEncoding.EncodeToString(kid), MaxKeysPerKID, s.subject)
		return
	}
	t.signers[string(kid)] = append(list, s)
	t.nsigners++
}

func sameKey(a, b *signer) bool {
	k, ok := a.key.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b.key)
}

// algorithmFor binds a key to the one algorithm the DCC profile allows for
// it, so a header can never choose a weaker reading of the same key.
func algorithmFor(key any) (cose.Algorithm, string) {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() {
			return cose.AlgorithmES256, ""
		}
		return 0, fmt.Sprintf("EC key on %s; passes use P-256 only", k.Curve.Params().Name)
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return 0, fmt.Sprintf("RSA key of %d bits; at least 2048 are required", n)
		}
		return cose.AlgorithmPS256, ""
	}
	return 0, fmt.Sprintf("%T keys do not sign passes", key)
}

// trustFile is the trust list format. Unknown fields are ignored, so the
// format can grow without breaking older kiosks.
type trustFile struct {
	Version   *int64        `json:"version"`
	IssuedAt  string        `json:"issuedAt"`
	ExpiresAt string        `json:"expiresAt"`
	DSC       dscList       `json:"dsc"`
	SHC       []shcEntry    `json:"shc"`
	Revoked   *revokedEntry `json:"revoked"`
}

type dscEntry struct {
	KID         string `json:"kid"`
	Country     string `json:"country"`
	Certificate string `json:"certificate"`
}

// dscList receives a list's document signers one at a time as they are
// decoded, so a national list of 10,000 is never held twice over (as text
// and as entries) on a kiosk with little memory.
type dscList struct {
	into *Trust
	n    int
}

func (l *dscList) UnmarshalJSON(raw []byte) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return errors.New("dsc is not a list")
	}
	for ; dec.More(); l.n++ {
		var e dscEntry
		if err := dec.Decode(&e); err != nil {
			return fmt.Errorf("dsc[%d]: %v", l.n, err)
		}
		l.into.addEntry(l.n, e)
	}
	_, err := dec.Token()
	return err
}

// addEntry adds one document signer of a list, or warns why not.
func (t *Trust) addEntry(i int, e dscEntry) {
	der, err := base64.StdEncoding.DecodeString(e.Certificate)
	if err != nil {
		t.warn("dsc[%d]: certificate is not base64: %v", i, err)
		return
	}
	var kid []byte
	if e.KID != "" {
		if kid, err = base64.StdEncoding.DecodeString(e.KID); err != nil || len(kid) == 0 {
			t.warn("dsc[%d]: kid is not base64; derived from the certificate instead", i)
			kid = nil
		}
	}
	if err := t.AddCertificate(der, kid, e.Country); err != nil {
		t.warn("dsc[%d]: %v", i, err)
	}
}

type revokedEntry struct {
	UCI            []string `json:"uci"`
	CountryCodeUCI []string `json:"countryCodeUci"`
	Signature      []string `json:"signature"`
}

// AddList adds a trust list in munjigi's JSON format (see README). Format
// errors reject the whole list; an entry whose certificate cannot be read is
// skipped with a warning, so one bad key never locks out a whole country.
func (t *Trust) AddList(data []byte) error {
	// The signers go into a Trust of their own first, and join this one
	// only when the whole list has been read: a list is taken whole or
	// not at all. (json.Unmarshal checks the syntax of all of it before it
	// decodes any of it.)
	staged := NewTrust()
	f := trustFile{DSC: dscList{into: staged}}
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("%w: %v", ErrTrust, err)
	}
	var issued, expires time.Time
	var err error
	if f.IssuedAt != "" {
		if issued, err = ParseTime(f.IssuedAt); err != nil {
			return fmt.Errorf("%w: issuedAt: %v", ErrTrust, err)
		}
	}
	if f.ExpiresAt != "" {
		if expires, err = ParseTime(f.ExpiresAt); err != nil {
			return fmt.Errorf("%w: expiresAt: %v", ErrTrust, err)
		}
	}
	t.warnings = append(t.warnings, staged.warnings...)
	for _, list := range staged.signers {
		for _, s := range list {
			t.addSigner(s)
		}
	}
	for i, e := range f.SHC {
		crls := make(map[string][]byte, len(e.CRLs))
		for kid, raw := range e.CRLs {
			crls[kid] = raw
		}
		if err := t.AddSHCIssuer(e.Iss, e.JWKS, crls); err != nil {
			t.warn("shc[%d]: %v", i, err)
		}
	}
	if f.Revoked != nil {
		for _, l := range []struct {
			kind   hashKind
			hashes []string
		}{{hashUCI, f.Revoked.UCI}, {hashCountryUCI, f.Revoked.CountryCodeUCI}, {hashSignature, f.Revoked.Signature}} {
			for _, h := range l.hashes {
				if err := t.revoked.addBase64(l.kind, h); err != nil {
					t.warn("revoked: %v", err)
				}
			}
		}
	}
	// The newest list's dates describe the Trust; a list without a version
	// counts only when no versioned list has been added.
	switch {
	case f.Version != nil && (*f.Version >= t.Version || t.IssuedAt.IsZero()):
		t.Version, t.IssuedAt, t.ExpiresAt = *f.Version, issued, expires
	case f.Version == nil && t.Version == 0 && !issued.IsZero():
		t.IssuedAt, t.ExpiresAt = issued, expires
	}
	return nil
}

// Add adds one trust source, telling the kinds apart by content: a munjigi
// trust list (JSON), PEM certificates, or one DER certificate.
func (t *Trust) Add(data []byte) error {
	// A file saved by a Windows editor may start with a byte-order mark.
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		return t.AddList(trimmed)
	case bytes.Contains(trimmed, []byte("-----BEGIN")):
		// Read every block before trusting any, so a bad file adds nothing.
		var ders [][]byte
		for rest := trimmed; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				continue
			}
			if _, err := x509.ParseCertificate(b.Bytes); err != nil {
				return fmt.Errorf("%w: certificate %d: %v", ErrTrust, len(ders)+1, err)
			}
			ders = append(ders, b.Bytes)
		}
		if len(ders) == 0 {
			return fmt.Errorf("%w: PEM data holds no CERTIFICATE block", ErrTrust)
		}
		for _, der := range ders {
			if err := t.AddCertificate(der, nil, ""); err != nil {
				return err
			}
		}
		return nil
	default:
		return t.AddCertificate(data, nil, "")
	}
}

// AddSource adds one trust source given as its bytes, as Add does, and
// names it (a file's path, a URL) in its errors, so an operator knows
// which source to fix. A source over MaxTrustFile is refused before it is
// read. verify does no I/O: the caller reads the source, and should read
// at most MaxTrustFile+1 bytes of it (io.LimitReader) so that a source
// too large is refused without being held.
func (t *Trust) AddSource(name string, data []byte) error {
	if len(data) > MaxTrustFile {
		return fmt.Errorf("%s: %w: larger than %d MiB", name, ErrTrust, MaxTrustFile>>20)
	}
	if err := t.Add(data); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
