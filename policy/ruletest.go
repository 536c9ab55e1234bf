package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"munjigi/certlogic"
)

// TestOutcome is the result of one rule test or test-suite assertion.
type TestOutcome struct {
	Name    string
	Skipped bool
	Err     error // nil when it passed
}

// ruleTest is tests/testNNN.json in the business-rules layout.
type ruleTest struct {
	Name     string          `json:"name"`
	Payload  json.RawMessage `json:"payload"`
	Expected json.RawMessage `json:"expected"`
	External json.RawMessage `json:"external"`
}

func decodeJSON(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// RunTests runs the rule tests under each path: a folder holding rule.json
// and tests/*.json, a folder of such folders (at any depth), or a CertLogic
// test-suite file ({name, cases}). It reports every test; an error means a
// path could not be read as tests at all.
func RunTests(paths ...string) ([]TestOutcome, error) {
	var out []TestOutcome
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return out, err
		}
		if !st.IsDir() {
			o, err := runSuiteFile(p)
			if err != nil {
				return out, err
			}
			out = append(out, o...)
			continue
		}
		var ruleDirs []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && d.Name() == "rule.json" {
				ruleDirs = append(ruleDirs, filepath.Dir(path))
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		if len(ruleDirs) == 0 {
			return out, fmt.Errorf("%s: no rule.json below it", p)
		}
		sort.Strings(ruleDirs)
		for _, dir := range ruleDirs {
			o, err := runRuleDir(dir)
			if err != nil {
				return out, err
			}
			out = append(out, o...)
		}
	}
	return out, nil
}

func runSuiteFile(path string) ([]TestOutcome, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	results, err := certlogic.RunSuite(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make([]TestOutcome, len(results))
	for i, r := range results {
		out[i] = TestOutcome{Name: filepath.Base(path) + ": " + r.Name, Skipped: r.Skipped, Err: r.Err}
	}
	return out, nil
}

// runRuleDir runs tests/*.json of the rule in dir. A rule that does not
// parse fails each of its tests with the reason, so a typo in a rule is a
// failure a writer sees, not a run that stops.
func runRuleDir(dir string) ([]TestOutcome, error) {
	tests, err := filepath.Glob(filepath.Join(dir, "tests", "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(tests)
	data, err := os.ReadFile(filepath.Join(dir, "rule.json"))
	if err != nil {
		return nil, err
	}
	rule, ruleErr := ParseRule(data)
	var out []TestOutcome
	for _, path := range tests {
		name := filepath.Join(filepath.Base(dir), filepath.Base(path))
		if ruleErr != nil {
			out = append(out, TestOutcome{Name: name, Err: ruleErr})
			continue
		}
		out = append(out, runRuleTest(rule, path, name))
	}
	return out, nil
}

func runRuleTest(rule *Rule, path, name string) TestOutcome {
	fail := func(format string, args ...any) TestOutcome {
		return TestOutcome{Name: name, Err: fmt.Errorf(format, args...)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fail("%v", err)
	}
	var t ruleTest
	if err := json.Unmarshal(data, &t); err != nil {
		return fail("not a rule test: %v", err)
	}
	if t.Name != "" {
		name += " (" + t.Name + ")"
	}
	payload, err1 := decodeJSON(t.Payload)
	external, err2 := decodeJSON(t.External)
	want, err3 := decodeJSON(t.Expected)
	if err1 != nil || err2 != nil || err3 != nil || len(t.Expected) == 0 {
		return fail("a rule test needs payload, external and expected as JSON")
	}
	got, err := rule.Logic.Evaluate(map[string]any{"payload": payload, "external": external})
	if err != nil {
		return fail("%v", err)
	}
	if !certlogic.Equal(got, want) {
		g, _ := json.Marshal(got)
		return fail("got %s, want %s", g, t.Expected)
	}
	return TestOutcome{Name: name}
}
