package verify

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// CBOR decoding limits. A DCC is a few hundred bytes with nesting of four;
// these leave room for honest issuers and none for a decoder bomb (a claimed
// 2^32-element array is refused before anything is allocated).
const (
	maxCBORNesting  = 16
	maxCBORArray    = 1024
	maxCBORMapPairs = 1024
)

// decMode is the one CBOR decoder configuration for everything a pass
// carries: duplicate map keys are an error (a verifier and an issuer must
// never read different values from the same bytes), indefinite lengths are
// allowed because some issuers emit them but bounded by the same limits, and
// tag 0/1 dates inside a payload read as RFC 3339 text, the form the DCC
// schema describes.
var decMode = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  maxCBORNesting,
		MaxArrayElements: maxCBORArray,
		MaxMapPairs:      maxCBORMapPairs,
		IndefLength:      cbor.IndefLengthAllowed,
		TagsMd:           cbor.TagsAllowed,
		IntDec:           cbor.IntDecConvertSignedOrFail,
		DefaultMapType:   reflect.TypeOf(map[string]any(nil)),
		TimeTagToAny:     cbor.TimeTagToRFC3339Nano,
		NaN:              cbor.NaNDecodeForbidden,
		Inf:              cbor.InfDecodeForbidden,
	}.DecMode()
	if err != nil {
		panic(err) // the options above are constant: this is a programming error
	}
	return dm
}()

// CBOR tags that may wrap a COSE_Sign1 in a DCC (HCERT §3.3.2, RFC 9052).
const (
	tagCOSESign1 = 18
	tagCWT       = 61
)

var errCOSE = errors.New("verify: not a COSE_Sign1")

// sign1 is a COSE_Sign1 message as the DCC profile reads it.
type sign1 struct {
	protected []byte // serialised protected header, as signed
	payload   []byte
	signature []byte
	alg       cose.Algorithm
	hasAlg    bool // an alg claim was found
	kid       []byte
}

type sign1Array struct {
	_           struct{} `cbor:",toarray"`
	Protected   []byte   // a serialised map: decoded on its own
	Unprotected header
	Payload     []byte
	Signature   []byte
}

// header holds the two COSE header parameters the profile uses.
type header struct {
	Alg coseAlg `cbor:"1,keyasint"`
	KID []byte  `cbor:"4,keyasint"`
}

// coseAlg is a header's alg. A text algorithm name is legal COSE, so it is
// not a decoding error: it is recorded as an algorithm no key has, and the
// pass is refused with that reason.
type coseAlg struct {
	id  cose.Algorithm
	set bool
}

func (a *coseAlg) UnmarshalCBOR(b []byte) error {
	var n int64
	a.set, a.id = true, cose.AlgorithmReserved
	if decMode.Unmarshal(b, &n) == nil {
		a.id = cose.Algorithm(n)
	}
	return nil
}

// untag strips the tags a DCC may carry: 18, 61(18) or none. Any other tag
// means another COSE structure, which is not a pass.
func untag(b []byte) ([]byte, error) {
	var tags [3]uint64
	n := 0
	for ; n < len(tags) && len(b) > 0 && b[0]>>5 == 6; n++ {
		tag, size, ok := cborArgument(b)
		if !ok {
			return nil, fmt.Errorf("%w: %w", errCOSE, problem("truncated tag"))
		}
		tags[n], b = tag, b[size:]
	}
	switch {
	case n == 0,
		n == 1 && tags[0] == tagCOSESign1,
		n == 2 && tags[0] == tagCWT && tags[1] == tagCOSESign1:
		return b, nil
	}
	return nil, fmt.Errorf("%w: %w", errCOSE, problemf("tags %v (want 18, 61(18) or none)", tags[:n]))
}

// cborArgument reads the argument of the CBOR head at b[0].
func cborArgument(b []byte) (n uint64, size int, ok bool) {
	info := b[0] & 0x1f
	switch {
	case info < 24:
		return uint64(info), 1, true
	case info <= 27:
		size = 1 << (info - 24)
		if len(b) < 1+size {
			return 0, 0, false
		}
		for _, c := range b[1 : 1+size] {
			n = n<<8 | uint64(c)
		}
		return n, 1 + size, true
	}
	return 0, 0, false
}

// parseSign1 decodes a COSE_Sign1 and the header parameters the profile
// uses. The kid comes from the protected header; the unprotected one counts
// only when the protected has none (HCERT §3.3.1), as it is not signed.
func parseSign1(data []byte) (*sign1, error) {
	body, err := untag(data)
	if err != nil {
		return nil, err
	}
	var a sign1Array
	if err := decMode.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("%w: %w", errCOSE, err)
	}
	if a.Payload == nil {
		return nil, fmt.Errorf("%w: %w", errCOSE, problem("detached payload"))
	}
	m := &sign1{protected: a.Protected, payload: a.Payload, signature: a.Signature}
	var prot header
	if len(a.Protected) > 0 {
		if err := decMode.Unmarshal(a.Protected, &prot); err != nil {
			return nil, fmt.Errorf("%w: protected header: %w", errCOSE, err)
		}
	}
	unprot := a.Unprotected
	// The alg follows the kid's rule: the unprotected one is read only when
	// the protected header has none. Either way it is only a claim, checked
	// against the algorithm the trusted key fixes; it never chooses one.
	alg := prot.Alg
	if !alg.set {
		alg = unprot.Alg
	}
	m.alg, m.hasAlg = alg.id, alg.set
	m.kid = prot.KID
	if len(m.kid) == 0 {
		m.kid = unprot.KID
	}
	return m, nil
}

// claims is the CWT claims set of a DCC (HCERT §3.3.1).
// Absent claims stay zero: an empty iss, a zero time, a nil V1.
type claims struct {
	Iss   string      `cbor:"1,keyasint"`
	Exp   numericDate `cbor:"4,keyasint"`
	Iat   numericDate `cbor:"6,keyasint"`
	HCert hcert       `cbor:"-260,keyasint"`
}

// hcert holds the DCC as generic data: the schema is judged on it, and
// CertLogic rules read it as JSON.
type hcert struct {
	V1 any `cbor:"1,keyasint"`
}

// numericDate is a CWT NumericDate (RFC 8392): seconds since the epoch as an
// integer or, as some issuers write it, a float; optionally under tag 1.
// Dates before 1970 or after 9999 are refused: no pass has them, and a
// clock or a display cannot hold them.
type numericDate struct{ time.Time }

// maxNumericDate is 9999-12-31T23:59:59Z.
const maxNumericDate = 253402300799

func (d *numericDate) UnmarshalCBOR(b []byte) error {
	var sec, nsec int64
	switch b[0] >> 5 {
	case 0, 1: // integer
		if err := decMode.Unmarshal(b, &sec); err != nil {
			return err
		}
	case 7: // float, or a simple value the decoder refuses
		var f float64
		if err := decMode.Unmarshal(b, &f); err != nil {
			return err
		}
		if !(f >= 0 && f <= maxNumericDate) { // also refuses NaN
			return problem("NumericDate out of range")
		}
		s, frac := math.Modf(f)
		sec, nsec = int64(s), int64(frac*1e9)
	case 6: // tag 1 (epoch) or 0 (text): decMode reads both as RFC 3339
		var v any
		if err := decMode.Unmarshal(b, &v); err != nil {
			// The decoder's message quotes a date that does not parse.
			return problem("NumericDate: a tagged date that does not parse")
		}
		text, ok := v.(string)
		if !ok {
			return problemf("NumericDate is %s, want a number", kind(v))
		}
		t, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			return problem("NumericDate: a date that does not parse")
		}
		sec, nsec = t.Unix(), int64(t.Nanosecond())
	default:
		return problem("NumericDate is not a number")
	}
	if sec < 0 || sec > maxNumericDate {
		return problem("NumericDate out of range")
	}
	d.Time = time.Unix(sec, nsec).UTC()
	return nil
}
