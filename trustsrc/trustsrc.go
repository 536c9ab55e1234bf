// Package trustsrc is where real keys come from and how they become
// munjigi's trust list.
//
// Real passes are signed by keys that authorities publish in formats of
// their own: the EU's document signer certificates (DSCs) in a national
// backend's signed list (the German one, de-dscg) or in the EU gateway's
// trust list (dccg), and SMART Health Card issuers in the VCI directory's
// signed snapshot. Convert checks a source's signature, reads it entry by
// entry, keeps what a kiosk can use (document signers; ES256 P-256 issuer
// keys named by their thumbprint; the issuers' revocation lists), mends
// what is sound but untidy (numbers written as strings, EC coordinates with
// a leading zero dropped) and writes munjigi's trust-list JSON (README,
// "Trust lists"), which verify.Trust reads. Anything it did not keep or
// had to mend is in the Report, in words a person can act on.
//
// The rule that holds it together: nothing is written unless the source's
// signature verified and the whole source was read. A source that cannot be
// checked is refused whole; one bad entry in a checked source is skipped and
// reported, never the end of the list.
package trustsrc

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
)

// Format names a published key source.
type Format string

const (
	// DEDSCG is the German national backend's DSC list: a first line with
	// the base64 ECDSA signature (raw r‖s) over the SHA-256 of every byte
	// after it, then {"certificates":[...]}. Checked with Verification.Key.
	DEDSCG Format = "de-dscg"
	// VCISnapshot is the VCI directory snapshot of SMART Health Card
	// issuers, with a detached DER ECDSA signature (SHA-512) over the
	// file's bytes. Checked with Verification.Cert and Verification.Sig.
	VCISnapshot Format = "vci-snapshot"
	// DCCG is the EU gateway's trust list, a bare JSON array of entries.
	// It has no outer signature (the gateway is reached over mutual TLS),
	// so it is read only with Verification.AllowUnsigned.
	DCCG Format = "dccg"
)

// Formats lists the formats Convert reads.
func Formats() []Format { return []Format{DEDSCG, VCISnapshot, DCCG} }

// ParseFormat reads a format's name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, 0, 3)
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("%w %q: use one of %s", ErrFormat, s, strings.Join(names, ", "))
}

// MaxSource is the largest source Convert reads unless told otherwise. The
// largest real lists are a few MB; the cap is the kiosk's own
// (verify.MaxTrustFile), so nothing converted is too big to load.
const MaxSource = 64 << 20

// Errors. Every refusal wraps one of them; none of them leaves anything
// written.
var (
	ErrFormat    = errors.New("trustsrc: unknown format")
	ErrKey       = errors.New("trustsrc: no usable key to check the source with")
	ErrSignature = errors.New("trustsrc: the source's signature does not verify")
	ErrUnsigned  = errors.New("trustsrc: the source is not signed")
	ErrTooLarge  = errors.New("trustsrc: the source is too large")
	ErrMalformed = errors.New("trustsrc: the source is not in its format")
	ErrEmpty     = errors.New("trustsrc: the source holds no usable key")
)

// Verification is what a source is checked with.
type Verification struct {
	// Key checks a de-dscg list: the backend's ECDSA public key.
	Key crypto.PublicKey
	// Cert and Sig check a vci-snapshot: the directory's signing
	// certificate and the detached DER signature of the snapshot.
	Cert *x509.Certificate
	Sig  []byte
	// AllowUnsigned accepts a dccg list, which carries no signature of its
	// own: whoever runs the conversion vouches for where it came from. It
	// never excuses a missing or bad signature on a signed format.
	AllowUnsigned bool
	// MaxSize caps the source in bytes; 0 means MaxSource.
	MaxSize int64

	sizeHint int64 // the source's size when known, or -1
}

func (v Verification) maxSize() int64 {
	if v.MaxSize > 0 {
		return v.MaxSize
	}
	return MaxSource
}

// Convert reads a key source in the given format from src, checks it with
// v, and writes munjigi's trust-list JSON to w. Nothing is written to w
// unless the source verified and was read to its end: on an error w is
// untouched. The Report says what was read, kept, skipped and mended; on a
// refusal it says as much as was known.
func Convert(w io.Writer, format Format, src io.Reader, v Verification) (Report, error) {
	out, rep, err := ConvertBytes(format, src, v)
	if err != nil {
		return rep, err
	}
	if _, err := w.Write(out); err != nil {
		return rep, fmt.Errorf("trustsrc: writing the list: %w", err)
	}
	return rep, nil
}

// ConvertBytes is Convert returning the list rather than writing it:
// nil unless the source verified and was read to its end. A national
// list converted is tens of MB, and a caller that keeps it (the
// authority's server stores it) need not hold it twice.
func ConvertBytes(format Format, src io.Reader, v Verification) ([]byte, Report, error) {
	rep := Report{Format: format}
	size, err := sizeOf(src, v.maxSize())
	if err != nil {
		return nil, rep, err
	}
	v.sizeHint = size
	var out *bytes.Buffer
	switch format {
	case DEDSCG:
		out, err = convertDEDSCG(src, v, &rep)
	case VCISnapshot:
		out, err = convertVCI(src, v, &rep)
	case DCCG:
		out, err = convertDCCG(src, v, &rep)
	default:
		return nil, rep, fmt.Errorf("%w %q", ErrFormat, format)
	}
	if err != nil {
		return nil, rep, err
	}
	if rep.Kept == 0 {
		return nil, rep, fmt.Errorf("%w: %d entries read, none kept (see the report)", ErrEmpty, rep.Read)
	}
	return out.Bytes(), rep, nil
}

// sizeOf returns the size of a source that knows it (a file), or -1; and
// refuses one over the cap before a byte of it is read.
func sizeOf(src io.Reader, max int64) (int64, error) {
	var size int64 = -1
	switch s := src.(type) {
	case interface{ Stat() (fs.FileInfo, error) }:
		if st, err := s.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
	case interface{ Size() int64 }:
		size = s.Size()
	}
	if size > max {
		return size, fmt.Errorf("%w: %d bytes, over the %d-byte cap", ErrTooLarge, size, max)
	}
	return size, nil
}

// ParseKey reads a public key as PEM (a PUBLIC KEY block, or a CERTIFICATE
// whose key is taken) or DER (SubjectPublicKeyInfo).
func ParseKey(data []byte) (crypto.PublicKey, error) {
	der := data
	if b, _ := pem.Decode(data); b != nil {
		switch b.Type {
		case "PUBLIC KEY":
			der = b.Bytes
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: certificate: %v", ErrKey, err)
			}
			return c.PublicKey, nil
		default:
			return nil, fmt.Errorf("%w: a PEM %s block; want PUBLIC KEY or CERTIFICATE", ErrKey, b.Type)
		}
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: not a public key: %v", ErrKey, err)
	}
	return k, nil
}

// ParseCertificate reads one certificate, PEM or DER.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	der := data
	if b, _ := pem.Decode(data); b != nil {
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%w: a PEM %s block; want CERTIFICATE", ErrKey, b.Type)
		}
		der = b.Bytes
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrKey, err)
	}
	return c, nil
}

// maxVerificationFile caps a key, certificate or signature file: each is
// a few hundred bytes.
const maxVerificationFile = 64 << 10

// ReadVerification reads the files a command names: keyPath (--key, a PEM
// public key or certificate), certPath (--cert) and sigPath (--sig). Empty
// paths are not read.
func ReadVerification(keyPath, certPath, sigPath string, allowUnsigned bool) (Verification, error) {
	v := Verification{AllowUnsigned: allowUnsigned}
	read := func(path string) ([]byte, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxVerificationFile+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(b) > maxVerificationFile {
			return nil, fmt.Errorf("%s: %w: over %d KiB, not a key, certificate or signature", path, ErrKey, maxVerificationFile>>10)
		}
		return b, nil
	}
	if keyPath != "" {
		b, err := read(keyPath)
		if err != nil {
			return v, err
		}
		if v.Key, err = ParseKey(b); err != nil {
			return v, fmt.Errorf("%s: %w", keyPath, err)
		}
	}
	if certPath != "" {
		b, err := read(certPath)
		if err != nil {
			return v, err
		}
		if v.Cert, err = ParseCertificate(b); err != nil {
			return v, fmt.Errorf("%s: %w", certPath, err)
		}
	}
	if sigPath != "" {
		b, err := read(sigPath)
		if err != nil {
			return v, err
		}
		v.Sig = b
	}
	return v, nil
}

// keyName names a public key by the SHA-256 of its SubjectPublicKeyInfo,
// in full, so a person can compare it with the one the publisher gives
// (openssl pkey -pubin -outform DER | sha256sum).
func keyName(k crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return fmt.Sprintf("%T", k)
	}
	h := sha256.Sum256(der)
	return "SHA256:" + hex.EncodeToString(h[:])
}

func curveName(k *ecdsa.PublicKey) string { return k.Curve.Params().Name }

// Report is what a conversion did.
type Report struct {
	Format Format
	// Verified says how the source was checked ("ECDSA P-256 signature by
	// SHA256:…", or that it was accepted unsigned).
	Verified string
	// Read counts the source's entries (certificates; issuer keys); Kept
	// those written; Issuers and IssuersKept count SMART Health Card
	// issuers; CRLs the revocation lists written; Countries the distinct
	// countries of the document signers kept.
	Read, Kept           int
	Issuers, IssuersKept int
	CRLs                 int
	Countries            int
	// Skipped entries, each with why; Normalised ones, with what was done;
	// Warnings about entries kept that a person should know of.
	Skipped    []Note
	Normalised []Note
	Warnings   []Note
}

// Note is one entry of the report: which entry, and what about it.
type Note struct {
	Entry string
	What  string
}

func (n Note) String() string { return n.Entry + ": " + n.What }

func (r *Report) skip(entry, format string, args ...any) {
	r.Skipped = append(r.Skipped, Note{entry, fmt.Sprintf(format, args...)})
}

func (r *Report) normalise(entry, format string, args ...any) {
	r.Normalised = append(r.Normalised, Note{entry, fmt.Sprintf(format, args...)})
}

func (r *Report) warn(entry, format string, args ...any) {
	r.Warnings = append(r.Warnings, Note{entry, fmt.Sprintf(format, args...)})
}

// WriteText writes the report for a person: a summary, then every skipped,
// mended and noted entry.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", r.Format, r.Verified)
	switch r.Format {
	case VCISnapshot:
		fmt.Fprintf(&b, "%d issuers read, %d kept; %d keys read, %d kept; %d revocation lists\n",
			r.Issuers, r.IssuersKept, r.Read, r.Kept, r.CRLs)
	default:
		fmt.Fprintf(&b, "%d entries read, %d document signers kept (%d countries)\n", r.Read, r.Kept, r.Countries)
	}
	fmt.Fprintf(&b, "%d skipped, %d normalised, %d warnings\n", len(r.Skipped), len(r.Normalised), len(r.Warnings))
	for _, l := range []struct {
		label string
		notes []Note
	}{{"skipped", r.Skipped}, {"normalised", r.Normalised}, {"warning", r.Warnings}} {
		for _, n := range l.notes {
			fmt.Fprintf(&b, "%s %s\n", l.label, n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
