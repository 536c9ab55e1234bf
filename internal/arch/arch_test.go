package arch

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// pkg is what 'go list -json' says of a package.
type pkg struct {
	ImportPath string
	Imports    []string // direct, not tests
	Deps       []string // everything it builds on
}

func list(t *testing.T) map[string]pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "munjigi/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

func munjigi(paths []string) []string {
	var out []string
	for _, p := range paths {
		if p == "munjigi" || strings.HasPrefix(p, "munjigi/") {
			out = append(out, p)
		}
	}
	return out
}

// TestNeverArrows: the leaves stand alone (verify, scanner, store and
// certlogic import no munjigi package), the decision step knows no screen,
// and the screen knows no server.
func TestNeverArrows(t *testing.T) {
	pkgs := list(t)
	for _, leaf := range []string{"munjigi/verify", "munjigi/scanner", "munjigi/store", "munjigi/certlogic"} {
		p, ok := pkgs[leaf]
		if !ok {
			t.Errorf("%s: not found", leaf)
			continue
		}
		if got := munjigi(p.Imports); len(got) > 0 {
			t.Errorf("%s imports %v: it must stand alone", leaf, got)
		}
	}
	for _, rule := range []struct{ from, never string }{
		{"munjigi/gate", "munjigi/ui"},
		{"munjigi/gate", "munjigi/door"},
		{"munjigi/gate", "munjigi/cli"},
		{"munjigi/ui", "munjigi/upstream"},
		{"munjigi/ui", "munjigi/door"},
		{"munjigi/ui", "munjigi/config"},
		{"munjigi/door", "munjigi/ui"},
		{"munjigi/door", "munjigi/cli"},
	} {
		p, ok := pkgs[rule.from]
		if !ok {
			t.Errorf("%s: not found", rule.from)
			continue
		}
		if slices.Contains(p.Deps, rule.never) {
			t.Errorf("%s builds on %s, directly or through another package", rule.from, rule.never)
		}
	}
	// Package main is the entry point: it calls the command tree and
	// nothing else of munjigi's.
	if got := munjigi(pkgs["munjigi"].Imports); !slices.Equal(got, []string{"munjigi/cli"}) {
		t.Errorf("package main imports %v, want only munjigi/cli", got)
	}
}
