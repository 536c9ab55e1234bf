package certlogic

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// A test-suite file, in the format of the CertLogic specification's
// testSuite folder: cases of an expression and assertions of data and the
// expected value. Rule writers use the same format for their own tests, so
// running one is part of the package, not only of its tests.
type suiteFile struct {
	Name      string      `json:"name"`
	Directive string      `json:"directive"`
	Cases     []suiteCase `json:"cases"`
}

type suiteCase struct {
	Name       string          `json:"name"`
	Expr       json.RawMessage `json:"certLogicExpression"`
	Directive  string          `json:"directive"`
	Assertions []assertion     `json:"assertions"`
}

type assertion struct {
	Expr      json.RawMessage `json:"certLogicExpression"`
	Data      json.RawMessage `json:"data"`
	Expected  json.RawMessage `json:"expected"`
	Directive string          `json:"directive"`
	Message   string          `json:"message"`
}

// Outcome is the result of one assertion of a test suite.
type Outcome struct {
	Name    string // suite › case › assertion
	Skipped bool   // the suite said "skip", or another test said "only"
	Err     error  // nil when it passed
}

// decodeJSON reads JSON with numbers kept exact (json.Number).
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// RunSuite runs a CertLogic test-suite file. An error means the file could
// not be read as one; failed assertions are Outcomes.
func RunSuite(data []byte) ([]Outcome, error) {
	var f suiteFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("certlogic: test suite: %w", err)
	}
	if f.Name == "" || f.Cases == nil {
		return nil, fmt.Errorf("certlogic: test suite: not a test suite (no name or cases)")
	}
	// "only" limits a run to the marked tests, as in the reference runner.
	only := false
	for _, c := range f.Cases {
		only = only || c.Directive == "only"
		for _, a := range c.Assertions {
			only = only || a.Directive == "only"
		}
	}
	var out []Outcome
	for ci, c := range f.Cases {
		for ai, a := range c.Assertions {
			name := fmt.Sprintf("%s › %s › #%d", f.Name, orIndex(c.Name, ci), ai+1)
			if a.Message != "" {
				name += " (" + a.Message + ")"
			}
			skip := f.Directive == "skip" || c.Directive == "skip" || a.Directive == "skip" ||
				only && c.Directive != "only" && a.Directive != "only"
			if skip {
				out = append(out, Outcome{Name: name, Skipped: true})
				continue
			}
			out = append(out, Outcome{Name: name, Err: runAssertion(c.Expr, a)})
		}
	}
	return out, nil
}

func orIndex(name string, i int) string {
	if name != "" {
		return name
	}
	return fmt.Sprintf("case %d", i+1)
}

func runAssertion(caseExpr json.RawMessage, a assertion) error {
	raw := caseExpr
	if len(a.Expr) > 0 {
		raw = a.Expr
	}
	if len(raw) == 0 {
		return fmt.Errorf("no certLogicExpression")
	}
	expr, err := decodeJSON(raw)
	if err != nil {
		return fmt.Errorf("expression: %w", err)
	}
	data, err := decodeJSON(a.Data)
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	want, err := decodeJSON(a.Expected)
	if err != nil {
		return fmt.Errorf("expected: %w", err)
	}
	got, err := Evaluate(expr, data)
	if err != nil {
		return err
	}
	if !Equal(got, want) {
		g, _ := json.Marshal(got)
		return fmt.Errorf("got %s, want %s", g, a.Expected)
	}
	return nil
}

// Equal compares two evaluation results as JSON values: numbers by value,
// whatever Go type carries them, and a date-time by its JSON form.
func Equal(a, b any) bool {
	a, b = jsonForm(a), jsonForm(b)
	if isNumber(a) || isNumber(b) {
		fa, aok := toFloat(a)
		fb, bok := toFloat(b)
		return aok && bok && fa == fb
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, present := y[k]
			if !present || !Equal(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}

// jsonForm is a value as JSON carries it: a date-time becomes its string.
func jsonForm(v any) any {
	if d, ok := v.(DateTime); ok {
		return d.UTC().Format(jsTimeLayout)
	}
	return v
}
