package verify

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/veraison/go-cose"
)

// Size caps for a DCC, stage by stage. The largest QR holds 4,296
// alphanumeric characters, so an honest HC1 payload is well under
// MaxPayload; a serial line has no such bound, so this one is ours.
const (
	MaxPayload  = 8 << 10  // bytes of scanned text
	MaxInflated = 64 << 10 // bytes after zlib: an HC1 QR inflating past this is a bomb
)

// PrefixDCC is the HCERT context identifier of a version 1 EU DCC.
const PrefixDCC = "HC1:"

// Verifier decides passes on the kiosk, with no network: it needs only a
// Trust and a clock. It is safe for concurrent use.
type Verifier struct {
	trust  *Trust
	now    func() time.Time
	chunks chunks // parts of a health card split over several QRs
}

// DefaultChunkWindow is how long the parts of a health card split over
// several QRs are kept while the visitor shows the rest.
const DefaultChunkWindow = time.Minute

// Option configures a Verifier.
type Option func(*Verifier)

// WithChunkWindow sets how long the parts of a split health card wait for
// the rest.
func WithChunkWindow(d time.Duration) Option { return func(v *Verifier) { v.chunks.window = d } }

// New returns a Verifier that trusts t and reads the time from now, which
// must not be nil. now is injected because time decides expiry, and the
// kiosk's clock may be wrong.
func New(t *Trust, now func() time.Time, opts ...Option) *Verifier {
	if t == nil {
		t = NewTrust()
	}
	v := &Verifier{trust: t, now: now}
	v.chunks.window = DefaultChunkWindow
	for _, o := range opts {
		o(v)
	}
	return v
}

// Trust returns the Trust the Verifier uses.
func (v *Verifier) Trust() *Trust { return v.trust }

// Verify decides one scanned payload: an EU DCC ("HC1:"), a SMART Health
// Card ("shc:/", or its JWS as text). It never panics and never blocks:
// every outcome, malformed input included, is a Result. A health card split
// over several QRs answers "incomplete" for each part until the last.
func (v *Verifier) Verify(payload []byte) (res Result) {
	defer v.recoverAsManual(&res)
	switch {
	case bytes.HasPrefix(payload, []byte(PrefixDCC)):
		return v.verifyDCC(payload[len(PrefixDCC):])
	case len(payload) > MaxPayload:
		return TooLarge(len(payload))
	case bytes.HasPrefix(payload, []byte(PrefixSHC)):
		return v.verifySHCQR(string(payload))
	case bytes.HasPrefix(payload, []byte("eyJ")) && isCompactJWS(string(payload)):
		res.Format = FormatSHC
		v.verifyJWS(&res, string(payload))
		return res
	}
	res.Format = FormatUnknown
	res.Checks.Prefix = Failed
	res.fail(Manual, ReasonUnknownFormat, "not a pass munjigi can read: check it by hand")
	return res
}

// recoverAsManual turns a panic inside a scan into a manual check. The
// libraries below are fuzzed, and so is this package; still, a panic here
// would take the door down.
func (v *Verifier) recoverAsManual(res *Result) {
	if p := recover(); p != nil {
		*res = Result{Format: res.Format}
		res.fail(Manual, ReasonInternal, "munjigi could not decide this pass (internal error: "+safePanic(p)+"): check it by hand")
	}
}

// plain is an error's message for a person: without the package prefixes
// that only help a programmer.
func plain(err error) string {
	return strings.ReplaceAll(err.Error(), "verify: ", "")
}

// Buffers and zlib readers are pooled: a zlib reader costs about 40 KB to
// make, more than the rest of a scan together.
var (
	bufPool  = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}
	zlibPool sync.Pool // io.ReadCloser implementing zlib.Resetter
)

func getBuf() *[]byte  { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) { *b = (*b)[:0]; bufPool.Put(b) }

var errTooLarge = errors.New("larger than the cap")

// isZlib reports whether b starts with a zlib header (RFC 1950 §2.2).
func isZlib(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}

// looksLikeCOSE reports whether b starts like a COSE_Sign1: tag 18, tag 61,
// or a four-element array.
func looksLikeCOSE(b []byte) bool {
	return len(b) > 0 && (b[0] == 0xd2 || b[0] == 0xd8 || b[0] == 0x84)
}

// inflate appends the zlib decompression of src to dst, refusing output past
// MaxInflated without producing it.
func inflate(dst, src []byte) ([]byte, error) {
	br := bytes.NewReader(src)
	var zr io.ReadCloser
	if p, ok := zlibPool.Get().(io.ReadCloser); ok {
		if err := p.(zlib.Resetter).Reset(br, nil); err != nil {
			zlibPool.Put(p)
			return dst, err
		}
		zr = p
	} else {
		var err error
		if zr, err = zlib.NewReader(br); err != nil {
			return dst, err
		}
	}
	defer zlibPool.Put(zr)
	return readCapped(dst, zr, MaxInflated)
}

// readCapped appends all of r to dst, but refuses output past max without
// reading it: decompressors are fed untrusted data, and an honest pass
// unpacks to a few KB.
func readCapped(dst []byte, r io.Reader, max int) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):min(cap(dst), max+1)])
		dst = dst[:len(dst)+n]
		if len(dst) > max {
			return dst, errTooLarge
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// step is one failed check and what to say about it.
type step struct {
	verdict Verdict
	reason  Reason
	detail  string
}

func (v *Verifier) verifyDCC(text []byte) (res Result) {
	res.Format = FormatDCC
	res.Checks.Prefix = Passed
	c := &res.Checks

	if len(text) > MaxPayload {
		c.Base45 = Failed
		res.fail(Fail, ReasonTooLarge, fmt.Sprintf("the pass is %d bytes, more than a QR code can hold", len(text)))
		return res
	}
	b45 := getBuf()
	defer putBuf(b45)
	raw, err := AppendBase45Decode((*b45)[:0], text)
	*b45 = raw
	if err != nil {
		c.Base45 = Failed
		res.fail(Fail, ReasonEncoding, "the QR code is damaged or not a pass ("+plain(err)+")")
		return res
	}
	c.Base45 = Passed
	v.verifyBinary(&res, raw)
	return res
}

// verifyBinary takes a DCC from its decoded bytes (zlib or COSE) on.
func (v *Verifier) verifyBinary(res *Result, raw []byte) {
	c := &res.Checks
	coseBytes := raw
	switch {
	case isZlib(raw):
		inf := getBuf()
		defer putBuf(inf)
		out, err := inflate((*inf)[:0], raw)
		*inf = out
		if errors.Is(err, errTooLarge) {
			c.Zlib = Failed
			res.fail(Fail, ReasonTooLarge, fmt.Sprintf("the pass unpacks to more than %d KiB; no pass is that large", MaxInflated>>10))
			return
		}
		if err != nil {
			c.Zlib = Failed
			res.fail(Fail, ReasonCompression, "the pass's compressed data is damaged ("+plain(err)+")")
			return
		}
		c.Zlib = Passed
		coseBytes = out
	case looksLikeCOSE(raw):
		// Not compressed. The HCERT specification requires zlib, and the reference
		// verifiers refuse a pass without it (dgc-testdata common Z2).
		// Compression is not signed, so this is no forgery; but no
		// conforming issuer made it, and a door that accepts what the
		// other verifiers refuse is the weak one.
		c.Zlib = Failed
		res.fail(Fail, ReasonCompression, "the pass's data is not compressed, as every EU DCC must be")
		return
	default:
		c.Zlib = Failed
		res.fail(Fail, ReasonCompression, "the pass's data is neither compressed nor a signed message")
		return
	}

	msg, err := parseSign1(coseBytes)
	if err != nil {
		c.COSE = Failed
		res.fail(Fail, ReasonStructure, "the pass is not a signed health certificate ("+cborProblem(err)+")")
		return
	}
	var cl claims
	if err := decMode.Unmarshal(msg.payload, &cl); err != nil {
		c.COSE = Failed
		res.fail(Fail, ReasonStructure, "the pass's claims cannot be read ("+cborProblem(err)+")")
		return
	}
	if cl.HCert.V1 == nil {
		c.COSE = Failed
		res.fail(Fail, ReasonStructure, "the signed message holds no health certificate (claim -260/1)")
		return
	}
	tree := cl.HCert.V1
	payload, ok := tree.(map[string]any)
	if !ok {
		c.COSE = Failed
		res.fail(Fail, ReasonStructure, "the health certificate is "+kind(tree)+", not an object")
		return
	}
	c.COSE = Passed

	dcc := readDCC(payload)
	res.Facts = dcc
	res.Type = dcc.Type
	// A DCC is known by its certificate identifier, which its issuer
	// signed; the signature and the unsigned wrapping (tags, unprotected
	// header, compression) can be changed by anyone and never name it. The
	// schema sets no minimum length for ci: an empty one is known by what
	// the issuer signed, the Sig_structure, so that it cannot escape the
	// re-use check by having no id.
	res.PassID = dcc.UVCI()
	if res.PassID == "" {
		d := sigStructureDigest(msg)
		res.PassID = "dcc:signed:" + hex.EncodeToString(d[:])
	}
	res.Holder = Holder{
		Name:      maskName(dcc.Surname, dcc.Forename, dcc.SurnameStd, dcc.ForenameStd),
		BirthYear: birthYear(dcc.DateOfBirth),
	}
	iss := cl.Iss
	res.Issuer = Sanitize(iss, 8)
	res.IssuedAt, res.ExpiresAt = cl.Iat.Time, cl.Exp.Time

	// Each remaining check is judged on its own, so a failed pass reports
	// everything wrong with it; the verdict names the most basic failure.
	fails := make([]step, 0, 5) // on the stack: at most one per check below
	signer, sigStep := v.checkSignature(msg)
	c.Signature = checkOf(signer != nil)
	if signer == nil {
		fails = append(fails, sigStep)
	} else {
		if hk, revoked := v.trust.revoked.isRevoked(res.PassID, iss, msg.signature, msg.alg); revoked {
			c.Revocation = Failed
			fails = append(fails, step{Fail, ReasonRevoked, "the pass has been revoked by its issuer (" + hk.String() + " list)"})
		} else {
			c.Revocation = Passed
		}
	}
	if s, ok := checkExpiry(res, signer, v.now()); !ok {
		c.Expiry = Failed
		fails = append(fails, s)
	} else {
		c.Expiry = Passed
	}
	if signer != nil {
		if signer.types.allows(dcc.Type) {
			c.KeyUsage = Passed
		} else {
			c.KeyUsage = Failed
			fails = append(fails, step{Fail, ReasonKeyUsage, fmt.Sprintf("the signing key may not sign %s passes", typeName(dcc.Type))})
		}
	}
	if err := validateDCC(payload); err != nil {
		c.Schema = Failed
		fails = append(fails, step{Fail, ReasonContent, "the certificate's content is invalid: " + Sanitize(err.Error(), 120)})
	} else {
		c.Schema = Passed
	}
	res.settle(fails)
}

// settle sets the verdict from the failed steps: the first one found, the
// most basic, names it; none failed is a pass.
func (r *Result) settle(fails []step) {
	for _, s := range fails {
		r.fail(s.verdict, s.reason, s.detail)
	}
	if len(fails) == 0 {
		r.Verdict, r.Reason, r.Detail = Pass, ReasonOK, validDetail[r.Type]
	}
}

var validDetail = map[Type]string{
	Vaccination: "valid vaccination certificate",
	Test:        "valid test certificate",
	Recovery:    "valid recovery certificate",
}

func typeName(t Type) string {
	switch t {
	case Vaccination:
		return "vaccination"
	case Test:
		return "test"
	case Recovery:
		return "recovery"
	}
	return "unknown"
}

// checkSignature finds the trusted key that signed msg. The kid picks the
// candidates; the key fixes the algorithm, and a header that names another
// is refused rather than obeyed.
func (v *Verifier) checkSignature(msg *sign1) (*signer, step) {
	if !msg.hasAlg {
		return nil, step{verdict: Fail, reason: ReasonAlgorithm, detail: "the pass names no signature algorithm"}
	}
	if len(msg.kid) == 0 {
		return nil, step{verdict: Manual, reason: ReasonUnknownSigner, detail: "the pass names no signing key: check it by hand"}
	}
	candidates := v.trust.lookup(msg.kid)
	if len(candidates) == 0 {
		return nil, step{verdict: Manual, reason: ReasonUnknownSigner, detail: "the pass's signing key is not in the trust list: check it by hand"}
	}
	digest := sigStructureDigest(msg)
	why := step{verdict: Fail, reason: ReasonAlgorithm}
	for _, s := range candidates {
		switch {
		case s.alg == 0:
			why.detail = "the signing key cannot sign passes: " + s.keyIssue
		case s.alg != msg.alg:
			if why.reason != ReasonSignature {
				why.detail = fmt.Sprintf("the pass claims algorithm %s, but its key is for %s", algName(msg.alg), s.alg)
			}
		default:
			if s.verifier.VerifyDigest(digest[:], msg.signature) == nil {
				return s, step{}
			}
			why.reason, why.detail = ReasonSignature, "the signature does not match: the pass was altered or forged"
		}
	}
	return nil, why
}

func algName(a cose.Algorithm) string {
	switch a {
	case cose.AlgorithmES256, cose.AlgorithmPS256:
		return a.String()
	}
	return fmt.Sprintf("%d", int64(a))
}

// sigStructureDigest hashes the COSE Sig_structure (RFC 9052 §4.4):
// ["Signature1", protected, external_aad = h”, payload], with the byte
// string heads in the deterministic encoding.
func sigStructureDigest(m *sign1) [sha256.Size]byte {
	bp := getBuf()
	defer putBuf(bp)
	b := append((*bp)[:0], 0x84, 0x6a)
	b = append(b, "Signature1"...)
	b = appendBstrHead(b, len(m.protected))
	b = append(b, m.protected...)
	b = append(b, 0x40)
	b = appendBstrHead(b, len(m.payload))
	b = append(b, m.payload...)
	*bp = b
	return sha256.Sum256(b)
}

func appendBstrHead(b []byte, n int) []byte {
	switch {
	case n < 24:
		return append(b, 0x40|byte(n))
	case n <= 0xff:
		return append(b, 0x58, byte(n))
	case n <= 0xffff:
		return append(b, 0x59, byte(n>>8), byte(n))
	default:
		return append(b, 0x5a, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// checkExpiry judges the pass's time window at now: iat ≤ now ≤ exp, and,
// when the signing key is known, the pass issued and expiring within the
// key's own validity.
func checkExpiry(res *Result, s *signer, now time.Time) (step, bool) {
	switch {
	case res.IssuedAt.IsZero():
		return step{verdict: Fail, reason: ReasonStructure, detail: "the pass has no issue date"}, false
	case res.ExpiresAt.IsZero():
		return step{verdict: Fail, reason: ReasonStructure, detail: "the pass has no expiry date"}, false
	case now.Before(res.IssuedAt):
		return step{verdict: Fail, reason: ReasonNotYetValid, detail: "the pass is issued in the future (" + res.IssuedAt.Format(time.RFC3339) + "): check the kiosk's clock"}, false
	case now.After(res.ExpiresAt):
		return step{verdict: Fail, reason: ReasonExpired, detail: "the pass expired on " + res.ExpiresAt.Format(time.DateOnly)}, false
	case s != nil && res.IssuedAt.Before(s.notBefore):
		return step{verdict: Fail, reason: ReasonSignerWindow, detail: "the pass was issued before its signing key was valid"}, false
	case s != nil && res.ExpiresAt.After(s.notAfter):
		return step{verdict: Fail, reason: ReasonSignerWindow, detail: "the pass outlives its signing key's validity"}, false
	}
	return step{}, true
}
