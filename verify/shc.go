package verify

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// SMART Health Cards: a compact JWS (ES256) whose payload is a raw-DEFLATE
// JSON verifiable credential holding a FHIR bundle, in a QR as "shc:/" and
// digits.

// PrefixSHC starts the text of a SMART Health Card QR.
const PrefixSHC = "shc:/"

// Caps for a health card. One QR (version 22) holds a JWS of 1,195
// characters; a longer one was split across QRs, which the specification
// has deprecated but cards in the wild still carry.
const (
	MaxJWS          = 128 << 10 // a JWS given whole (a health-card file); scans are bounded by MaxPayload
	MaxSHCInflated  = 128 << 10 // the largest example card inflates to 30 KB
	maxSingleQRJWS  = 1195
	maxChunks       = 10
	maxJSONDepth    = 64
	msEpochBoundary = 1e11 // seconds past this are the year 5138: the number was milliseconds
)

var b64url = base64.RawURLEncoding

// ErrSHC is wrapped by errors in the structure of a health card's QR.
var ErrSHC = errors.New("verify: invalid SMART Health Card QR")

// shcQR is one "shc:/" QR: a whole card, or part index of total. A whole
// card may wear the header "1/1" (index and total 1), which the
// specification reserves for split cards; it is read as the card it is.
type shcQR struct {
	index, total int // 0, 0 for a single QR without a header
	jws          string
}

// whole reports whether q holds a whole card.
func (q shcQR) whole() bool { return q.total <= 1 }

// parseSHCQR reads "shc:/[i/n/]digits". Each pair of digits is a character
// of the JWS plus 45; an odd count, or a pair above 77, is an error. Errors
// name the rule broken and where, never the text: it is the visitor's.
func parseSHCQR(text string) (shcQR, error) {
	var q shcQR
	rest, ok := strings.CutPrefix(text, PrefixSHC)
	if !ok {
		return q, fmt.Errorf("%w: does not start with %s", ErrSHC, PrefixSHC)
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		// Chunked: i/n/digits.
		parts := strings.SplitN(rest, "/", 3)
		if len(parts) != 3 {
			return q, fmt.Errorf("%w: a chunk header is shc:/i/n/, and this one lacks its last slash", ErrSHC)
		}
		var ok1, ok2 bool
		q.index, ok1 = headerNumber(parts[0])
		q.total, ok2 = headerNumber(parts[1])
		switch {
		case !ok1 || !ok2:
			return q, fmt.Errorf("%w: a chunk header is shc:/i/n/ with i and n in digits, no leading zero", ErrSHC)
		case q.total > maxChunks:
			return q, fmt.Errorf("%w: a card is split into at most %d QRs, not %d", ErrSHC, maxChunks, q.total)
		case q.index < 1 || q.index > q.total:
			return q, fmt.Errorf("%w: the chunk header names part %d of %d, which does not exist", ErrSHC, q.index, q.total)
		}
		rest = parts[2]
	}
	if rest == "" || len(rest)%2 != 0 {
		return q, fmt.Errorf("%w: %d digits; they come in pairs", ErrSHC, len(rest))
	}
	b := make([]byte, len(rest)/2)
	for i := range b {
		d1, d2 := rest[2*i], rest[2*i+1]
		if !isDigit(d1) || !isDigit(d2) {
			return q, fmt.Errorf("%w: the characters at %d are not a digit pair", ErrSHC, 2*i)
		}
		v := (d1-'0')*10 + (d2 - '0')
		if v > 77 {
			return q, fmt.Errorf("%w: the digit pair at %d is above 77", ErrSHC, 2*i)
		}
		b[i] = v + 45
	}
	q.jws = string(b)
	return q, nil
}

// headerNumber reads a chunk header number: digits, no sign, no leading
// zero, so each header has one spelling.
func headerNumber(s string) (int, bool) {
	if s == "" || len(s) > 3 || s[0] == '0' && s != "0" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// AssembleSHC joins the QRs of one chunked card, given in any order: every
// part exactly once, all of the same total. A card that fits one QR but was
// split anyway is refused, as the specification allows splitting only what
// does not fit.
func AssembleSHC(texts []string) (string, error) {
	if len(texts) == 0 {
		return "", fmt.Errorf("%w: no QR", ErrSHC)
	}
	parts := make([]string, 0, len(texts))
	total := 0
	for _, t := range texts {
		q, err := parseSHCQR(t)
		if err != nil {
			return "", err
		}
		if q.whole() {
			if len(texts) == 1 {
				return q.jws, nil
			}
			return "", fmt.Errorf("%w: a whole card among parts of one", ErrSHC)
		}
		if total == 0 {
			total = q.total
			parts = make([]string, total)
		}
		if q.total != total {
			return "", fmt.Errorf("%w: parts of %d and of %d QRs mixed", ErrSHC, total, q.total)
		}
		if parts[q.index-1] != "" {
			return "", fmt.Errorf("%w: part %d of %d given twice", ErrSHC, q.index, total)
		}
		parts[q.index-1] = q.jws
	}
	for i, p := range parts {
		if p == "" {
			return "", fmt.Errorf("%w: part %d of %d is missing", ErrSHC, i+1, total)
		}
	}
	return joinChunks(parts)
}

func joinChunks(parts []string) (string, error) {
	jws := strings.Join(parts, "")
	if len(jws) <= maxSingleQRJWS {
		return "", fmt.Errorf("%w: a %d-character card split into %d QRs; one QR holds it", ErrSHC, len(jws), len(parts))
	}
	return jws, nil
}

// chunks collects the parts of a chunked card from consecutive scans: the
// visitor shows each QR in turn, in any order, within the window.
type chunks struct {
	mu     sync.Mutex
	window time.Duration
	total  int
	parts  []string
	first  time.Time
}

// InSequence reports whether deciding payload depends on what the Verifier
// decided before it: a part of a health card split over several QRs ("shc:/
// i/n/...") waits for the others. A caller deciding many payloads at once
// (on several goroutines) decides these one at a time, in their order, to
// get the answers it would get one payload after another; every other
// payload is decided on its own, in any order, on any goroutine.
func InSequence(payload []byte) bool {
	rest, ok := bytes.CutPrefix(payload, []byte(PrefixSHC))
	return ok && bytes.IndexByte(rest, '/') >= 0
}

// add records q and returns the whole JWS once every part is in. A part
// seen twice with the same content is a double read; with other content
// it starts a new card.
func (c *chunks) add(q shcQR, now time.Time) (jws string, have int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.total != q.total || now.Sub(c.first) > c.window || now.Before(c.first) ||
		c.parts[q.index-1] != "" && c.parts[q.index-1] != q.jws {
		c.total, c.parts, c.first = q.total, make([]string, q.total), now
	}
	c.parts[q.index-1] = q.jws
	for _, p := range c.parts {
		if p != "" {
			have++
		}
	}
	if have < c.total {
		return "", have, nil
	}
	parts := c.parts
	c.total, c.parts = 0, nil
	jws, err = joinChunks(parts)
	return jws, have, err
}

// verifySHCQR decides the text of one "shc:/" QR.
func (v *Verifier) verifySHCQR(text string) (res Result) {
	res.Format = FormatSHC
	res.Checks.Prefix = checkOf(strings.HasPrefix(text, PrefixSHC))
	q, err := parseSHCQR(text)
	if err != nil {
		res.Checks.Base45 = Failed
		res.fail(Fail, ReasonEncoding, "the QR code is damaged or not a health card ("+plain(err)+")")
		return res
	}
	res.Checks.Base45 = Passed
	jws := q.jws
	if q.total == 1 {
		// A whole card wearing the header the specification reserves for
		// split cards ("only if more than one chunk is required"). The
		// header is not signed and says nothing else: the card is decided
		// as it is, and the detail says what is odd about its QR.
		v.verifyJWS(&res, jws)
		if res.Verdict == Pass {
			res.Detail += " (its QR code carries the chunk header 1/1, which only split cards need)"
		}
		return res
	}
	if q.total > 1 {
		var have int
		jws, have, err = v.chunks.add(q, v.now())
		switch {
		case err != nil:
			res.Checks.Base45 = Failed
			res.fail(Fail, ReasonEncoding, "the card's QR codes do not fit together ("+plain(err)+")")
			return res
		case jws == "":
			res.fail(Manual, ReasonIncomplete, fmt.Sprintf("part %d of %d of a card read (%d of %d so far): scan the other QR codes", q.index, q.total, have, q.total))
			return res
		}
	}
	v.verifyJWS(&res, jws)
	return res
}

// VerifyJWS decides a SMART Health Card given as its compact JWS.
func (v *Verifier) VerifyJWS(jws string) (res Result) {
	defer v.recoverAsManual(&res)
	res.Format = FormatSHC
	v.verifyJWS(&res, jws)
	return res
}

// VerifyHealthCardFile decides each card of a .smart-health-card file
// ({"verifiableCredential": [JWS, ...]}). A file that is not one, or holds
// anything after its JSON, is one failed Result.
func (v *Verifier) VerifyHealthCardFile(data []byte) []Result {
	var f struct {
		VC []string `json:"verifiableCredential"`
	}
	err := strictJSON(data, &f)
	if err == nil && !bytes.HasSuffix(data, []byte("}")) {
		// The reference validator refuses anything after the closing brace,
		// even white space: the file must be the issuer's bytes.
		err = problem("characters after the JSON object")
	}
	if err != nil || len(f.VC) == 0 {
		res := Result{Format: FormatSHC}
		res.Checks.COSE = Failed
		why := "no verifiableCredential"
		if err != nil {
			why = jsonProblem(err)
		}
		res.fail(Fail, ReasonStructure, "not a health-card file ("+Sanitize(why, 120)+")")
		return []Result{res}
	}
	out := make([]Result, len(f.VC))
	for i, jws := range f.VC {
		out[i] = v.VerifyJWS(jws)
	}
	return out
}

// isCompactJWS reports whether s is three base64url parts and nothing else:
// go-jose forgives whitespace, and a card with anything around it is not
// the card that was signed.
func isCompactJWS(s string) bool {
	dots := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			dots++
			if i == 0 || i == len(s)-1 || s[i-1] == '.' {
				return false
			}
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return dots == 2
}

// shcPayload is the JWS payload: a verifiable credential.
type shcPayload struct {
	Iss string          `json:"iss"`
	Nbf json.RawMessage `json:"nbf"` // numbers, read by numericTime: a string
	Exp json.RawMessage `json:"exp"` // that holds one is not one
	VC  struct {
		Type              []string `json:"type"`
		Rid               string   `json:"rid"`
		CredentialSubject struct {
			FHIRVersion string          `json:"fhirVersion"`
			FHIRBundle  json.RawMessage `json:"fhirBundle"`
		} `json:"credentialSubject"`
	} `json:"vc"`
}

func (v *Verifier) verifyJWS(res *Result, jws string) {
	c := &res.Checks
	if len(jws) > MaxJWS {
		c.COSE = Failed
		res.fail(Fail, ReasonTooLarge, fmt.Sprintf("the card is %d characters, more than any card holds", len(jws)))
		return
	}
	if !isCompactJWS(jws) {
		c.COSE = Failed
		res.fail(Fail, ReasonStructure, "not a signed health card (a compact JWS is three base64url parts, nothing else)")
		return
	}
	headerB64, payloadB64, _ := strings.Cut(jws, ".")
	payloadB64, _, _ = strings.Cut(payloadB64, ".")
	var header struct {
		Alg string `json:"alg"`
		Zip string `json:"zip"`
		Kid string `json:"kid"`
	}
	hb, err := b64url.DecodeString(headerB64)
	why := "not base64url"
	if err == nil {
		err = strictJSON(hb, &header)
		why = jsonProblem(err)
	}
	if err != nil {
		c.COSE = Failed
		res.fail(Fail, ReasonStructure, "the card's header cannot be read ("+Sanitize(why, 80)+")")
		return
	}
	if header.Alg != string(jose.ES256) {
		c.COSE = Failed
		res.fail(Fail, ReasonAlgorithm, "the card's header names another algorithm than ES256, or none; health cards are signed ES256")
		return
	}
	if header.Zip != "DEF" {
		c.Zlib = Failed
		res.fail(Fail, ReasonCompression, "the card's header does not say its payload is compressed (zip: DEF)")
		return
	}
	compressed, err := b64url.DecodeString(payloadB64)
	if err != nil {
		c.COSE = Failed
		res.fail(Fail, ReasonStructure, "the card's payload is not base64url")
		return
	}
	inf := getBuf()
	defer putBuf(inf)
	raw, err := inflateRaw((*inf)[:0], compressed)
	*inf = raw
	switch {
	case errors.Is(err, errTooLarge):
		c.Zlib = Failed
		res.fail(Fail, ReasonTooLarge, fmt.Sprintf("the card unpacks to more than %d KiB; no card is that large", MaxSHCInflated>>10))
		return
	case err != nil:
		c.Zlib = Failed
		res.fail(Fail, ReasonCompression, "the card's compressed data is damaged ("+plain(err)+")")
		return
	}
	c.Zlib = Passed
	var p shcPayload
	if err := strictJSON(raw, &p); err != nil || p.Iss == "" {
		c.COSE = Failed
		why := "no issuer (iss)"
		if err != nil {
			why = jsonProblem(err)
		}
		res.fail(Fail, ReasonStructure, "the card's content cannot be read ("+Sanitize(why, 100)+")")
		return
	}
	obj, err := jose.ParseSigned(jws, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(obj.Signatures) != 1 {
		c.COSE = Failed
		res.fail(Fail, ReasonStructure, "not a signed health card")
		return
	}
	c.COSE = Passed
	res.Issuer = Sanitize(p.Iss, MaxDisplay)

	// The card's facts, for the screen and the rules, before the checks
	// that judge them.
	facts, schemaErr := readSHC(&p)
	if facts != nil {
		res.Facts, res.Type = facts, facts.Type
		res.Holder = Holder{
			Name:      maskName(facts.Surname, facts.Forename, "", ""),
			BirthYear: birthYear(facts.DateOfBirth),
		}
	}
	// A card without a rid is known by what its issuer signed: the header
	// and payload as they stand in the JWS. Never by the signature: its
	// text can be re-spelt (the unused bits of its last base64url
	// character) and ECDSA's s swapped for n−s, and it still verifies.
	signed := jws[:strings.LastIndexByte(jws, '.')]
	res.PassID = "shc:signed:" + hex.EncodeToString(sha256Sum([]byte(signed)))
	if p.VC.Rid != "" {
		res.PassID = "shc:rid:" + p.Iss + "#" + p.VC.Rid
	}

	var fails []step
	key, why := v.trust.lookupSHC(p.Iss, header.Kid)
	if key == nil {
		c.Signature = Failed
		fails = append(fails, step{Manual, ReasonUnknownSigner, why + ": check it by hand"})
	} else if _, err := obj.Verify(key.jwk); err != nil {
		c.Signature = Failed
		fails = append(fails, step{Fail, ReasonSignature, "the signature does not match: the card was altered or forged, or its signature is not in the JOSE form"})
	} else {
		c.Signature = Passed
	}

	nbf, nbfErr := numericTime(p.Nbf)
	if c.Signature == Passed {
		switch {
		case key.crl != nil && p.VC.Rid != "" && key.crl.revokes(p.VC.Rid, nbf, nbfErr == nil):
			// Even a list that is out of date: what it revokes stays revoked.
			c.Revocation = Failed
			fails = append(fails, step{Fail, ReasonRevoked, "the card has been revoked by its issuer"})
		case key.crlIssue != "":
			fails = append(fails, step{Manual, ReasonRevocationUnknown, "whether the card is revoked is unknown (" + key.crlIssue + "): check the card by hand"})
		default:
			c.Revocation = Passed
		}
	}

	if s, ok := v.checkSHCTime(res, p, nbf, nbfErr); !ok {
		c.Expiry = Failed
		fails = append(fails, s)
	} else {
		c.Expiry = Passed
	}
	if schemaErr != nil {
		c.Schema = Failed
		fails = append(fails, step{Fail, ReasonContent, "the card's content is invalid: " + Sanitize(schemaErr.Error(), 120)})
	} else {
		c.Schema = Passed
	}
	res.settle(fails)
}

// checkSHCTime: nbf ≤ now, and now ≤ exp when there is one. Both are
// seconds since the epoch, fractions allowed; milliseconds are an error.
func (v *Verifier) checkSHCTime(res *Result, p shcPayload, nbf float64, nbfErr error) (step, bool) {
	if nbfErr != nil {
		return step{Fail, ReasonStructure, "the card has no valid issue time (nbf)"}, false
	}
	res.IssuedAt = floatTime(nbf)
	now := v.now()
	if p.Exp != nil {
		exp, err := numericTime(p.Exp)
		if err != nil {
			return step{Fail, ReasonStructure, "the card's expiry (exp) " + err.Error()}, false
		}
		res.ExpiresAt = floatTime(exp)
		if now.After(res.ExpiresAt) {
			return step{Fail, ReasonExpired, "the card expired on " + res.ExpiresAt.Format(time.DateOnly)}, false
		}
	}
	if now.Before(res.IssuedAt) {
		return step{Fail, ReasonNotYetValid, "the card is issued in the future (" + res.IssuedAt.Format(time.RFC3339) + "): check the kiosk's clock"}, false
	}
	return step{}, true
}

// numericTime reads seconds since the epoch, a JSON number (not a string
// that holds one); a value only milliseconds could be is an error. Its
// errors say what is wrong, not the value.
func numericTime(raw json.RawMessage) (float64, error) {
	if len(raw) == 0 {
		return 0, problem("is missing")
	}
	if !isDigit(raw[0]) {
		return 0, problem("is not a number of seconds")
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	switch {
	case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
		return 0, problem("is not a number of seconds")
	case f > msEpochBoundary:
		return 0, problem("looks like milliseconds, not seconds")
	}
	return f, nil
}

func floatTime(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func sha256Sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

// flatePool holds raw DEFLATE readers: like zlib's, one costs tens of KB
// to make, more than the rest of a card.
var flatePool sync.Pool

// inflateRaw appends the raw DEFLATE (RFC 1951) decompression of src to
// dst, refusing output past MaxSHCInflated without producing it.
func inflateRaw(dst, src []byte) ([]byte, error) {
	br := bytes.NewReader(src)
	r, ok := flatePool.Get().(io.ReadCloser)
	if ok {
		r.(flate.Resetter).Reset(br, nil)
	} else {
		r = flate.NewReader(br)
	}
	defer flatePool.Put(r)
	return readCapped(dst, r, MaxSHCInflated)
}

// strictJSON decodes one JSON value into v, refusing what encoding/json
// forgives and an issuer and a verifier could read differently: duplicate
// keys, data after the value, and nesting deeper than any card needs.
func strictJSON(data []byte, v any) error {
	if err := checkJSON(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem("data after the JSON value")
	}
	return nil
}

// checkJSON scans data for duplicate object keys and nesting deeper than
// maxJSONDepth, in one pass over the bytes; the decoder that follows
// checks the syntax. Keys are compared unescaped: "iss" and "\u0069ss" are
// one key.
func checkJSON(data []byte) error {
	type object struct{ keys []string }
	var stack []*object // nil entries are arrays
	expectKey := false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '"':
			end := i + 1
			escaped := false
			for ; end < len(data) && data[end] != '"'; end++ {
				if data[end] == '\\' {
					escaped = true
					end++
				}
			}
			if end >= len(data) {
				return problem("unterminated string")
			}
			if n := len(stack); expectKey && n > 0 && stack[n-1] != nil {
				key := string(data[i+1 : end])
				if escaped {
					k, err := strconv.Unquote(string(data[i : end+1]))
					if err != nil {
						return problem("a key with a bad escape")
					}
					key = k
				}
				top := stack[n-1]
				if slices.Contains(top.keys, key) {
					// The key is not quoted: it is the card's text.
					return problemf("an object repeats a key, at byte %d", i)
				}
				top.keys = append(top.keys, key)
				expectKey = false
			}
			i = end
		case '{', '[':
			if len(stack) == maxJSONDepth {
				return problemf("nested deeper than %d", maxJSONDepth)
			}
			var o *object
			if c == '{' {
				o = &object{}
			}
			stack = append(stack, o)
			expectKey = c == '{'
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] != nil
		}
	}
	return nil
}
