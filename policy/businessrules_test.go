package policy

import (
	"path/filepath"
	"testing"

	"munjigi/internal/shareddata"
)

// knownRuleTestErrors are rule tests of the business-rules test data whose
// expectation munjigi does not meet, each with the reason. The issue asks
// for 99%; every failure must be here, explained.
var knownRuleTestErrors = map[string]string{}

// TestBusinessRules runs every rule test of the EU business-rules test data
// (<CC>/<rule>/rule.json with tests/testNNN.json) through the rule parser
// and the CertLogic evaluator.
func TestBusinessRules(t *testing.T) {
	root := shareddata.Path(t, "dgc-business-rules-testdata")
	countries, err := filepath.Glob(filepath.Join(root, "[A-Z][A-Z]"))
	if err != nil || len(countries) == 0 {
		t.Fatalf("no country folders in %s", root)
	}
	outcomes, err := RunTests(countries...)
	if err != nil {
		t.Fatal(err)
	}
	passed, excused := 0, 0
	for _, o := range outcomes {
		switch {
		case o.Err == nil:
			passed++
		case knownRuleTestErrors[o.Name] != "":
			excused++
			t.Logf("%s: %v (known: %s)", o.Name, o.Err, knownRuleTestErrors[o.Name])
		default:
			t.Errorf("%s: %v", o.Name, o.Err)
		}
	}
	rate := float64(passed) / float64(len(outcomes))
	t.Logf("%d rule tests: %d passed (%.1f%%), %d known failures", len(outcomes), passed, 100*rate, excused)
	if rate < 0.99 {
		t.Errorf("pass rate %.1f%%, want at least 99%%", 100*rate)
	}
}
