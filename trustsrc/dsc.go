package trustsrc

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"munjigi/verify"
)

// The EU's document signers, as national backends and the gateway publish
// them: one JSON object per certificate, {certificateType, country, kid,
// rawData (base64 DER), signature (the uploading country's CMS), thumbprint
// (hex SHA-256 of the DER), timestamp}. Only DSCs sign passes; CSCAs,
// UPLOAD and AUTHENTICATION certificates are the gateway's own plumbing.

// maxSignatureLine bounds the de-dscg list's first line: a base64 ECDSA
// signature is under 200 characters even for P-521.
const maxSignatureLine = 1024

// convertDEDSCG checks the German list's signature over every byte after
// its first line, and only then reads the certificates.
func convertDEDSCG(src io.Reader, v Verification, rep *Report) (*bytes.Buffer, error) {
	if v.Cert != nil || v.Sig != nil {
		return nil, fmt.Errorf("%w: a de-dscg list carries its own signature, checked with the backend's key (--key), not a certificate and detached signature", ErrKey)
	}
	if v.Key == nil {
		return nil, fmt.Errorf("%w: a de-dscg list is checked with the backend's public key (--key)", ErrKey)
	}
	key, ok := v.Key.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: the key is %T; de-dscg lists are signed with ECDSA", ErrKey, v.Key)
	}
	br := bufio.NewReaderSize(src, maxSignatureLine)
	line, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, fmt.Errorf("%w: the first line is over %d bytes; a de-dscg list starts with its signature", ErrMalformed, maxSignatureLine)
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%w: no line break after the signature line (empty or truncated?)", ErrMalformed)
	case err != nil:
		return nil, fmt.Errorf("trustsrc: reading the source: %w", err)
	}
	sigText := strings.TrimSpace(string(line))
	// Strict: one signature has one spelling, so a changed byte is never
	// the same signature read leniently.
	sig, err := base64.StdEncoding.Strict().DecodeString(sigText)
	if err != nil {
		return nil, fmt.Errorf("%w: the first line is not a base64 signature: %v", ErrMalformed, err)
	}
	size := (key.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*size {
		return nil, fmt.Errorf("%w: the signature is %d bytes; an ECDSA %s signature (raw r‖s) is %d", ErrSignature, len(sig), curveName(key), 2*size)
	}
	h := sha256.New()
	sp := newSpool(v.maxSize()-int64(len(line)), v.sizeHint-int64(len(line)))
	defer sp.Close()
	if _, err := io.Copy(io.MultiWriter(h, sp), br); err != nil {
		return nil, err
	}
	r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
	if !ecdsa.Verify(key, h.Sum(nil), r, s) {
		return nil, fmt.Errorf("%w: not signed by the key %s (a changed, truncated or forged list, or the wrong key)", ErrSignature, keyName(key))
	}
	rep.Verified = fmt.Sprintf("signature verified (ECDSA %s, SHA-256) by the key %s", curveName(key), keyName(key))

	body := sp.Reader()
	d := newDSCWriter(rep, DEDSCG, "certificates", v.sizeHint)
	dec := json.NewDecoder(body)
	found, err := walkObject(dec, "the list", "certificates", d.add, nil)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: no \"certificates\" list", ErrMalformed)
	}
	if err := atEnd(dec); err != nil {
		return nil, err
	}
	return d.finish(), nil
}

// convertDCCG reads the gateway's trust list, a bare array. It has no
// signature to check, so it is read only when the caller accepts that.
func convertDCCG(src io.Reader, v Verification, rep *Report) (*bytes.Buffer, error) {
	if v.Key != nil || v.Cert != nil || v.Sig != nil {
		return nil, fmt.Errorf("%w: a dccg trust list has no signature of its own to check with a key, certificate or signature", ErrKey)
	}
	if !v.AllowUnsigned {
		return nil, fmt.Errorf("%w: a dccg trust list carries no signature (the gateway serves it over mutual TLS); convert it only from a download you trust, and say so (--allow-unsigned)", ErrUnsigned)
	}
	rep.Verified = "unsigned: accepted as asked (--allow-unsigned); the entries' own CMS signatures are not checked"
	d := newDSCWriter(rep, DCCG, "entry", v.sizeHint)
	dec := json.NewDecoder(capped(src, v.maxSize()))
	if err := walkArray(dec, "the list", d.add); err != nil {
		return nil, err
	}
	if err := atEnd(dec); err != nil {
		return nil, err
	}
	return d.finish(), nil
}

// dscgEntry is one certificate of a DSC list. The CMS "signature" is the
// uploading country's; it is not checked here (see docs/keys.md).
type dscgEntry struct {
	CertificateType string `json:"certificateType"`
	Country         string `json:"country"`
	KID             string `json:"kid"`
	RawData         string `json:"rawData"`
	Thumbprint      string `json:"thumbprint"`
}

// outDSC is a dsc entry of munjigi's trust list.
type outDSC struct {
	KID         string `json:"kid"`
	Country     string `json:"country,omitempty"`
	Certificate string `json:"certificate"`
}

// dscWriter turns entries into munjigi's dsc entries as they are read.
type dscWriter struct {
	rep       *Report
	label     string
	out       bytes.Buffer
	seen      map[[sha256.Size]byte]string // by the DER's SHA-256: the entry it was first seen in
	perKID    map[string]int
	countries map[string]bool
}

func newDSCWriter(rep *Report, f Format, label string, sizeHint int64) *dscWriter {
	d := &dscWriter{rep: rep, label: label, seen: map[[sha256.Size]byte]string{}, perKID: map[string]int{}, countries: map[string]bool{}}
	if sizeHint > 0 {
		// The list written is about half the source (no CMS signatures).
		d.out.Grow(int(min(sizeHint/2, int64(spoolMemory))))
	}
	fmt.Fprintf(&d.out, "{\"source\":{\"format\":%q},\n\"dsc\":[", f)
	return d
}

// add reads one entry, keeping it or saying why not.
func (d *dscWriter) add(i int, raw json.RawMessage) {
	d.rep.Read++
	name := fmt.Sprintf("%s[%d]", d.label, i)
	var e dscgEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		d.rep.skip(name, "not a certificate entry: %v", err)
		return
	}
	if e.Country != "" || e.KID != "" {
		name += " (" + strings.TrimSpace(verify.Sanitize(e.Country+" kid "+e.KID, 64)) + ")"
	}
	if t := strings.TrimSpace(e.CertificateType); !strings.EqualFold(t, "DSC") {
		if t == "" {
			d.rep.skip(name, "no certificateType; only entries marked DSC are document signers")
		} else {
			d.rep.skip(name, "certificateType %s is not a document signer (DSC)", verify.Sanitize(t, 24))
		}
		return
	}
	der, err := base64.StdEncoding.DecodeString(e.RawData)
	if err != nil || len(der) == 0 {
		d.rep.skip(name, "rawData is not a base64 certificate")
		return
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		hint := ""
		if strings.Contains(err.Error(), "negative serial number") {
			// Real DSCs with a negative serial exist (RFC 5280 forbids
			// it; the rest of such a certificate is sound). Go refuses
			// them unless the binary runs with x509negativeserial=1,
			// and then the kiosk reads them too.
			hint = " (GODEBUG=x509negativeserial=1 reads it, here and on the kiosk)"
		}
		d.rep.skip(name, "rawData is not an X.509 certificate: %v%s", err, hint)
		return
	}
	sum := sha256.Sum256(der)
	if tp := strings.TrimSpace(e.Thumbprint); tp != "" && !strings.EqualFold(tp, hex.EncodeToString(sum[:])) {
		d.rep.skip(name, "its thumbprint is not the SHA-256 of its certificate: the entry contradicts itself")
		return
	}
	if first, dup := d.seen[sum]; dup {
		d.rep.skip(name, "the same certificate as %s", first)
		return
	}
	// Notes wait until the entry is kept: a skipped entry gets one line,
	// its reason.
	var mended, warned []string
	derived := verify.KeyID(der)
	kid := derived
	if e.KID != "" {
		k, err := base64.StdEncoding.DecodeString(e.KID)
		switch {
		case err != nil || len(k) == 0:
			mended = append(mended, fmt.Sprintf("kid is not base64; the certificate's own (%s) is used", base64.StdEncoding.EncodeToString(derived)))
		case !bytes.Equal(k, derived):
			// Passes name their signer by the kid their issuer gives it;
			// the list's word wins, as in munjigi's own format.
			kid = k
			warned = append(warned, fmt.Sprintf("kid is not the first 8 bytes of the certificate's SHA-256 (%s); the list's is kept", base64.StdEncoding.EncodeToString(derived)))
		}
	}
	kidText := base64.StdEncoding.EncodeToString(kid)
	if d.perKID[kidText] >= verify.MaxKeysPerKID {
		d.rep.skip(name, "more than %d certificates share the kid %s; a kiosk tries at most %d", verify.MaxKeysPerKID, kidText, verify.MaxKeysPerKID)
		return
	}
	country, note := normaliseCountry(e.Country)
	if note != "" {
		mended = append(mended, note)
	}
	if country == "" && len(cert.Subject.Country) > 0 {
		country = cert.Subject.Country[0]
	}
	if issue := keyIssue(cert.PublicKey); issue != "" {
		// Kept, as verify keeps it: a pass it signed then gets a clear
		// answer (bad algorithm) rather than "unknown signer".
		warned = append(warned, "kept, but it cannot sign passes: "+issue)
	}
	d.seen[sum] = name
	d.perKID[kidText]++
	if d.perKID[kidText] == 2 {
		warned = append(warned, fmt.Sprintf("its kid %s is shared with another certificate; a kiosk tries both", kidText))
	}
	for _, m := range mended {
		d.rep.normalise(name, "%s", m)
	}
	for _, w := range warned {
		d.rep.warn(name, "%s", w)
	}
	if country != "" {
		d.countries[country] = true
	}
	b, _ := json.Marshal(outDSC{KID: kidText, Country: country, Certificate: base64.StdEncoding.EncodeToString(der)})
	if d.rep.Kept > 0 {
		d.out.WriteString(",")
	}
	d.out.WriteString("\n")
	d.out.Write(b)
	d.rep.Kept++
}

// finish closes the list.
func (d *dscWriter) finish() *bytes.Buffer {
	d.rep.Countries = len(d.countries)
	d.out.WriteString("\n]}\n")
	return &d.out
}

// normaliseCountry reads an ISO 3166 alpha-2 country code. A code in
// lower case is upper-cased; anything else is dropped (the certificate's
// subject country is used instead), with a note.
func normaliseCountry(c string) (string, string) {
	t := strings.TrimSpace(c)
	if t == "" {
		return "", ""
	}
	u := strings.ToUpper(t)
	if len(u) != 2 || u[0] < 'A' || u[0] > 'Z' || u[1] < 'A' || u[1] > 'Z' {
		return "", fmt.Sprintf("country %q is not a two-letter code; the certificate's subject country is used", verify.Sanitize(c, 16))
	}
	if u != c {
		return u, fmt.Sprintf("country %q written as %s", verify.Sanitize(c, 16), u)
	}
	return u, ""
}

// keyIssue says why a DSC's key cannot sign passes, as verify judges it
// (EC P-256 signs ES256, RSA of at least 2048 bits PS256), or "".
func keyIssue(k any) string {
	switch k := k.(type) {
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() {
			return ""
		}
		return "an EC key on " + curveName(k) + "; passes use P-256"
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return fmt.Sprintf("an RSA key of %d bits; at least 2048 are required", n)
		}
		return ""
	}
	return fmt.Sprintf("a %T key", k)
}
