package verify

import (
	"encoding/json"
	"fmt"
	"time"
)

// Verdict is what the door does with a visitor.
type Verdict string

const (
	// Pass: let the visitor in.
	Pass Verdict = "pass"
	// Fail: the pass is proven not valid (forged, expired, revoked, wrong kind).
	Fail Verdict = "fail"
	// Manual: munjigi cannot decide; a person checks by hand (sticker, SMS, paper).
	Manual Verdict = "manual"
)

// Format names the kind of pass a payload carries.
type Format string

const (
	FormatUnknown Format = "unknown"
	FormatDCC     Format = "dcc" // EU Digital COVID Certificate, "HC1:"
	FormatSHC     Format = "shc" // SMART Health Card, "shc:/"
	// FormatToken is a one-time token that only the authority's server
	// can decide (package upstream).
	FormatToken Format = "token"
)

// Type is the kind of statement a pass makes, as the DCC names them.
type Type string

const (
	Vaccination Type = "v"
	Test        Type = "t"
	Recovery    Type = "r"
)

// Reason is a stable, machine-readable code for a verdict. The UI translates
// codes; scripts match on them. Never reuse a code for a new meaning.
type Reason string

const (
	ReasonOK            Reason = "ok"
	ReasonUnknownFormat Reason = "unknown-format" // not a pass munjigi reads
	ReasonTooLarge      Reason = "too-large"      // over a size cap at some stage
	ReasonEncoding      Reason = "bad-encoding"   // base45
	ReasonCompression   Reason = "bad-compression"
	ReasonStructure     Reason = "bad-structure"  // COSE, CWT or CBOR
	ReasonUnknownSigner Reason = "unknown-signer" // no trusted key has the pass's key id
	ReasonAlgorithm     Reason = "bad-algorithm"  // header algorithm disagrees with the key, or the key type is not allowed
	ReasonSignature     Reason = "bad-signature"
	ReasonNotYetValid   Reason = "not-yet-valid"
	ReasonExpired       Reason = "expired"
	ReasonSignerWindow  Reason = "signer-validity" // pass issued or expiring outside its signing key's validity
	ReasonKeyUsage      Reason = "wrong-key-usage" // the signing key may not sign this kind of pass
	ReasonContent       Reason = "invalid-content" // the payload breaks the DCC schema
	ReasonRevoked       Reason = "revoked"
	ReasonInternal      Reason = "internal-error" // a defect in munjigi; the scan gets a manual check
	ReasonRuleFailed    Reason = "rule-failed"    // a genuine pass that the venue's rules do not accept
	ReasonRuleManual    Reason = "rule-manual"    // the venue's rules send the visitor to a manual check
	ReasonRuleError     Reason = "rule-error"     // a venue rule could not be evaluated on this pass

	ReasonIncomplete        Reason = "incomplete"         // one QR of a card split over several: scan the rest
	ReasonRevocationUnknown Reason = "revocation-unknown" // the issuer's revocation list cannot be read

	// The decision step's reasons (package gate).
	ReasonReused         Reason = "reused"          // the same pass was admitted within the re-use window
	ReasonClockUntrusted Reason = "clock-untrusted" // time decides this pass and the kiosk's clock cannot be trusted
	ReasonMisread        Reason = "misread"         // the scanner's read was cut off or far too long: scan again

	// One-time tokens (package upstream).
	ReasonUpstreamDown Reason = "upstream-unavailable" // the authority did not answer within the budget: check by hand
	ReasonTokenUsed    Reason = "token-used"           // the token was already used
	ReasonTokenInvalid Reason = "token-invalid"        // the authority does not know the token, or it expired
	ReasonTokenRefused Reason = "token-refused"        // the authority refused the token for a reason of its own
)

// Check is the outcome of one step: not reached, passed or failed. It
// marshals to null, true or false.
type Check int8

const (
	NotRun Check = iota
	Passed
	Failed
)

func checkOf(ok bool) Check {
	if ok {
		return Passed
	}
	return Failed
}

// String is the check as JSON spells it: true, false or null.
func (c Check) String() string {
	b, _ := c.MarshalJSON()
	return string(b)
}

// MarshalJSON implements json.Marshaler.
func (c Check) MarshalJSON() ([]byte, error) {
	switch c {
	case Passed:
		return []byte("true"), nil
	case Failed:
		return []byte("false"), nil
	}
	return []byte("null"), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Check) UnmarshalJSON(b []byte) error {
	var v *bool
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch {
	case v == nil:
		*c = NotRun
	case *v:
		*c = Passed
	default:
		*c = Failed
	}
	return nil
}

// Checks holds the outcome of each step of a DCC's verification. A step that
// needs an earlier one's output is NotRun when that one failed; the rest are
// judged on their own, so a failed pass says everything that is wrong with it.
type Checks struct {
	Prefix     Check `json:"prefix"`
	Base45     Check `json:"base45"`
	Zlib       Check `json:"zlib"`
	COSE       Check `json:"cose"`
	Signature  Check `json:"signature"`
	Expiry     Check `json:"expiry"`
	KeyUsage   Check `json:"keyUsage"`
	Schema     Check `json:"schema"`
	Revocation Check `json:"revocation"`
}

// Holder is what the door shows for the ID check: never a whole name, never
// a whole birth date.
type Holder struct {
	Name      string `json:"name,omitempty"`      // masked, sanitised: 홍*동, JOHN D***
	BirthYear int    `json:"birthYear,omitempty"` // 0 when the pass does not say
}

// Result is one decision about one payload. It is safe to show and to log as
// JSON: text from the pass is sanitised and the holder is masked. The pass
// identifier and payload are kept out of JSON on purpose.
type Result struct {
	Format    Format    `json:"format"`
	Verdict   Verdict   `json:"verdict"`
	Reason    Reason    `json:"reason"`
	Detail    string    `json:"detail"` // the reason in plain English
	Type      Type      `json:"type,omitempty"`
	Checks    Checks    `json:"checks"`
	Issuer    string    `json:"issuer,omitempty"` // issuing country (CWT iss)
	IssuedAt  time.Time `json:"issuedAt,omitzero"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	Holder    Holder    `json:"holder,omitzero"`

	// Policy is the rule profile applied, Rules the rules the pass did not
	// meet, and Check the manual check the rules ask for (such as
	// "solo-diner" or "exemption"), when they ask for one.
	Policy string        `json:"policy,omitempty"`
	Rules  []RuleOutcome `json:"rules,omitempty"`
	Check  string        `json:"check,omitempty"`

	// PassID identifies the certificate for re-use checks and the entry
	// log's keyed hash, always from what its issuer signed and never from
	// its signature, whose spelling anyone can change: a DCC's UVCI (ci),
	// or "dcc:signed:" and the hash of its Sig_structure when ci is empty;
	// a health card's "shc:rid:" iss#rid, or "shc:signed:" and the hash of
	// its JWS header and payload when it has no rid. It is personal data:
	// never show or store it as is.
	PassID string `json:"-"`

	// Facts are what the pass says, when it could be read: what the venue
	// rules judge. Personal data: never shown or logged as they are.
	Facts *Facts `json:"-"`
}

// fail sets the verdict to reason unless an earlier, more basic reason was
// already recorded: the first failure is the one a person needs to hear.
func (r *Result) fail(v Verdict, reason Reason, detail string) {
	if r.Verdict == Fail || r.Verdict == Manual {
		return
	}
	r.Verdict, r.Reason, r.Detail = v, reason, detail
}

// Misread is the Result for a scanner read that was not a whole scan (cut
// off half way, or far longer than any pass): nothing about the visitor
// is known, so they scan again. detail says what the scanner did.
func Misread(detail string) Result {
	r := Result{Format: FormatUnknown}
	r.fail(Manual, ReasonMisread, "the scanner misread: scan again ("+Sanitize(detail, 120)+")")
	return r
}

// RuleOutcome is a venue rule that a pass did not simply meet.
type RuleOutcome struct {
	ID          string `json:"id"`
	Outcome     string `json:"outcome"` // "failed", "error", or "excused" by a manual-check rule
	Description string `json:"description"`
}

// TooLarge is the Result for input longer than any pass, refused before it
// is read: n is its size in bytes.
func TooLarge(n int) Result {
	r := Result{Format: FormatUnknown}
	r.fail(Fail, ReasonTooLarge, fmt.Sprintf("the scan is %d bytes, more than any pass holds", n))
	return r
}

// Reasons lists every reason code verify gives, for those who word them
// (the kiosk's screen) and those who pass only known codes on (hooks).
var Reasons = []Reason{
	ReasonOK, ReasonUnknownFormat, ReasonTooLarge, ReasonEncoding, ReasonCompression, ReasonStructure,
	ReasonUnknownSigner, ReasonAlgorithm, ReasonSignature, ReasonNotYetValid, ReasonExpired, ReasonSignerWindow,
	ReasonKeyUsage, ReasonContent, ReasonRevoked, ReasonInternal, ReasonRuleFailed, ReasonRuleManual, ReasonRuleError,
	ReasonIncomplete, ReasonRevocationUnknown, ReasonReused, ReasonClockUntrusted, ReasonMisread,
	ReasonUpstreamDown, ReasonTokenUsed, ReasonTokenInvalid, ReasonTokenRefused,
}
