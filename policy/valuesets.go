package policy

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// ValueSets are the named code lists rules test membership of (vaccine
// products, test types, results), as external.valueSets.
type ValueSets map[string][]string

//go:embed valuesets.json
var builtinValueSets []byte

// BuiltinValueSets returns the value sets munjigi's profiles need.
func BuiltinValueSets() ValueSets {
	v, err := ParseValueSets(builtinValueSets)
	if err != nil {
		panic("policy: built-in value sets: " + err.Error()) // embedded: a build defect
	}
	return v
}

// ParseValueSets reads value sets in either form they travel in: the
// compressed form the business rules use ({"id": ["code", ...]}), or one
// value-set file of the EU value-set repository ({"valueSetId": "id",
// "valueSetValues": {"code": {...}}}).
func ParseValueSets(data []byte) (ValueSets, error) {
	var one struct {
		ID     string                     `json:"valueSetId"`
		Values map[string]json.RawMessage `json:"valueSetValues"`
	}
	if err := json.Unmarshal(data, &one); err == nil && one.ID != "" {
		codes := make([]string, 0, len(one.Values))
		for code := range one.Values {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		return ValueSets{one.ID: codes}, nil
	}
	var v ValueSets
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("policy: value sets: %w", err)
	}
	return v, nil
}

// LoadValueSets reads value sets from files; later files override earlier
// ones set by set.
func LoadValueSets(paths ...string) (ValueSets, error) {
	out := ValueSets{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		v, err := ParseValueSets(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = out.Merge(v)
	}
	return out, nil
}

// Merge returns v with o's sets added, o's winning where both have one.
func (v ValueSets) Merge(o ValueSets) ValueSets {
	out := make(ValueSets, len(v)+len(o))
	for k, s := range v {
		out[k] = s
	}
	for k, s := range o {
		out[k] = s
	}
	return out
}

// data is the value sets as CertLogic data: arrays of strings.
func (v ValueSets) data() map[string]any {
	out := make(map[string]any, len(v))
	for k, codes := range v {
		list := make([]any, len(codes))
		for i, c := range codes {
			list[i] = c
		}
		out[k] = list
	}
	return out
}
