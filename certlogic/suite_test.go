package certlogic

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"munjigi/internal/shareddata"
)

// TestSpecificationSuite runs every file of the specification's evaluator
// test suite. Assertions the suite itself marks "skip" are reported, not
// run: they describe behaviour the specification leaves open.
func TestSpecificationSuite(t *testing.T) {
	dir := shareddata.Path(t, "certlogic", "testSuite")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test-suite files in %s: %v", dir, err)
	}
	passed, skipped := 0, 0
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			outcomes, err := RunSuite(data)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range outcomes {
				switch {
				case o.Skipped:
					skipped++
				case o.Err != nil:
					t.Errorf("%s: %v", o.Name, o.Err)
				default:
					passed++
				}
			}
		})
	}
	t.Logf("%d assertions passed, %d skipped by the suite's own directives", passed, skipped)
}

// TestValidationSuite runs the specification's validation test suite:
// each expression's issues, in number and in which (sub)expression they
// point at.
func TestValidationSuite(t *testing.T) {
	dir := shareddata.Path(t, "certlogic", "validation-testSuite")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Fatalf("no validation test-suite files in %s", dir)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var suite struct {
			Name  string `json:"name"`
			Cases []struct {
				Expr   json.RawMessage `json:"certLogicExpression"`
				Issues []struct {
					Expr    json.RawMessage `json:"expr"`
					Message string          `json:"message"`
				} `json:"issues"`
			} `json:"cases"`
		}
		if err := json.Unmarshal(data, &suite); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range suite.Cases {
			expr, err := decodeJSON(c.Expr)
			if err != nil {
				t.Fatal(err)
			}
			got := Validate(expr)
			if len(got) != len(c.Issues) {
				t.Errorf("%s: Validate(%s) = %v, want %d issues", suite.Name, c.Expr, got, len(c.Issues))
				continue
			}
			for i, want := range c.Issues {
				wantExpr, _ := decodeJSON(want.Expr)
				if !reflect.DeepEqual(got[i].Expr, wantExpr) || got[i].Message != want.Message {
					t.Errorf("%s: issue %d = %v, want %q at %s", suite.Name, i, got[i], want.Message, want.Expr)
				}
			}
		}
	}
}
