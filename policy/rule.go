// Package policy decides whether a genuine pass lets its holder in at this
// venue today: venue rules as data, in the EU DCC business-rule format with
// CertLogic logic, grouped into named profiles munjigi ships (the Korean
// 2021-22 vaccine pass, EU 3G/2G/2G+, booster-only, test-only) or a venue
// writes.
//
// It is a package of its own because the rules change on their own clock:
// a signature is genuine or not for good, but who may enter changed every
// few weeks in 2021-22. verify says what a pass is; policy says what the
// venue makes of it.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"munjigi/certlogic"
	"munjigi/verify"
)

// Rule types. Acceptance and Invalidation are the EU gateway's: the logic
// must hold. Manual is munjigi's: a rule that turns a refusal into a manual
// check (see Rule.Excuses).
const (
	TypeAcceptance   = "Acceptance"
	TypeInvalidation = "Invalidation"
	TypeManual       = "Manual"
)

// ErrRule is wrapped by every error about a rule file.
var ErrRule = errors.New("policy: bad rule")

// Rule is one venue rule, as the EU DCC business-rule format writes it
// (rule.json), with munjigi's additions for manual checks.
type Rule struct {
	ID              string
	Type            string // Acceptance, Invalidation or Manual
	CertificateType string // General, Vaccination, Test or Recovery
	ValidFrom       time.Time
	ValidTo         time.Time
	Description     map[string]string // by language: "en", "ko", ...
	Logic           *certlogic.Expr

	// Excuses (Manual rules only) lists the rules whose failure this rule
	// can turn into a manual check; a trailing * matches a prefix. The
	// pass gets a manual check when every failed rule is excused by one
	// Manual rule and that rule's Logic holds.
	Excuses []string
	// Check names the manual check to offer (Manual rules only), e.g.
	// "solo-diner" or "exemption".
	Check string
}

// ruleFile is rule.json. Unknown fields (Country, Version, Engine,
// AffectedFields, ...) are ignored.
type ruleFile struct {
	Identifier      string          `json:"Identifier"`
	Type            string          `json:"Type"`
	CertificateType string          `json:"CertificateType"`
	ValidFrom       string          `json:"ValidFrom"`
	ValidTo         string          `json:"ValidTo"`
	Description     []description   `json:"Description"`
	Logic           json.RawMessage `json:"Logic"`
	Excuses         []string        `json:"Excuses"`
	Check           string          `json:"Check"`
}

type description struct {
	Lang string `json:"lang"`
	Desc string `json:"desc"`
}

var certificateTypes = map[string]verify.Type{
	"General": "", "Vaccination": verify.Vaccination, "Test": verify.Test, "Recovery": verify.Recovery,
}

// ParseRule reads one rule.json.
func ParseRule(data []byte) (*Rule, error) {
	var f ruleFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRule, err)
	}
	bad := func(format string, args ...any) error {
		id := f.Identifier
		if id == "" {
			id = "(no Identifier)"
		}
		return fmt.Errorf("%w: %s: %s", ErrRule, id, fmt.Sprintf(format, args...))
	}
	if f.Identifier == "" {
		return nil, bad("Identifier is missing")
	}
	switch f.Type {
	case TypeAcceptance, TypeInvalidation, TypeManual:
	default:
		return nil, bad("Type %q is not Acceptance, Invalidation or Manual", f.Type)
	}
	if _, ok := certificateTypes[f.CertificateType]; !ok {
		return nil, bad("CertificateType %q is not General, Vaccination, Test or Recovery", f.CertificateType)
	}
	if f.Type != TypeManual && (len(f.Excuses) > 0 || f.Check != "") {
		return nil, bad("Excuses and Check belong to Manual rules")
	}
	if f.Type == TypeManual && len(f.Excuses) == 0 {
		return nil, bad("a Manual rule must list the rules it Excuses")
	}
	r := &Rule{ID: f.Identifier, Type: f.Type, CertificateType: f.CertificateType,
		Excuses: f.Excuses, Check: f.Check, Description: map[string]string{}}
	var err error
	if r.ValidFrom, err = verify.ParseTime(f.ValidFrom); err != nil {
		return nil, bad("ValidFrom: %v", err)
	}
	if r.ValidTo, err = verify.ParseTime(f.ValidTo); err != nil {
		return nil, bad("ValidTo: %v", err)
	}
	if !r.ValidFrom.Before(r.ValidTo) {
		return nil, bad("ValidFrom is not before ValidTo")
	}
	for _, d := range f.Description {
		r.Description[d.Lang] = d.Desc
	}
	if r.Description["en"] == "" {
		return nil, bad("no English Description")
	}
	if len(f.Logic) == 0 {
		return nil, bad("Logic is missing")
	}
	dec := json.NewDecoder(bytes.NewReader(f.Logic))
	dec.UseNumber()
	var logic any
	if err := dec.Decode(&logic); err != nil {
		return nil, bad("Logic: %v", err)
	}
	if r.Logic, err = certlogic.Compile(logic); err != nil {
		return nil, bad("Logic: %v", err)
	}
	return r, nil
}

// Describe returns the rule's description in lang, or in English.
func (r *Rule) Describe(lang string) string {
	if d := r.Description[lang]; d != "" {
		return d
	}
	return r.Description["en"]
}

// appliesTo reports whether the rule judges a pass of type t at now.
func (r *Rule) appliesTo(t verify.Type, now time.Time) bool {
	ct := certificateTypes[r.CertificateType]
	return (ct == "" || ct == t) && !now.Before(r.ValidFrom) && !now.After(r.ValidTo)
}

// excuses reports whether a Manual rule excuses the rule id.
func (r *Rule) excuses(id string) bool {
	for _, e := range r.Excuses {
		if e == id || strings.HasSuffix(e, "*") && strings.HasPrefix(id, strings.TrimSuffix(e, "*")) {
			return true
		}
	}
	return false
}
