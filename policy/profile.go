package policy

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Profile is a named rule set: what a venue requires.
type Profile struct {
	Name string
	// Titles is the profile's short name by language, for a line on a
	// screen ("방역패스 (2022년)"); Description says what it requires.
	Titles      map[string]string
	Description map[string]string // by language
	Rules       []*Rule           // in identifier order
}

// Describe returns the profile's description in lang, or in English.
func (p *Profile) Describe(lang string) string {
	if d := p.Description[lang]; d != "" {
		return d
	}
	return p.Description["en"]
}

// Title returns the profile's short name in lang, or "" when it has none
// in lang: a screen in one language must not show another's words, so
// the caller chooses its own fallback.
func (p *Profile) Title(lang string) string { return p.Titles[lang] }

//go:embed profiles/*.json
var builtinProfiles embed.FS

// DefaultProfile is the profile a kiosk applies unless configured otherwise.
const DefaultProfile = "kr-2021-vaccine-pass"

// Names lists the profiles munjigi ships.
func Names() []string {
	entries, _ := builtinProfiles.ReadDir("profiles")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	return names
}

// Builtin returns the shipped profile called name.
func Builtin(name string) (*Profile, error) {
	data, err := builtinProfiles.ReadFile("profiles/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("policy: no profile %q (there are: %s)", name, strings.Join(Names(), ", "))
	}
	p, err := ParseProfile(data)
	if err != nil {
		return nil, fmt.Errorf("policy: built-in profile %s: %w", name, err)
	}
	return p, nil
}

// profileFile is a profile as munjigi writes one: a name, a description
// per language, and rules in the rule.json format.
type profileFile struct {
	Name        string            `json:"name"`
	Title       map[string]string `json:"title"`
	Description map[string]string `json:"description"`
	Rules       []json.RawMessage `json:"rules"`
}

// ParseProfile reads a profile file.
func ParseProfile(data []byte) (*Profile, error) {
	var f profileFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: profile: %v", ErrRule, err)
	}
	if f.Name == "" || len(f.Rules) == 0 {
		return nil, fmt.Errorf("%w: a profile needs a name and rules", ErrRule)
	}
	p := &Profile{Name: f.Name, Titles: f.Title, Description: f.Description}
	for _, raw := range f.Rules {
		r, err := ParseRule(raw)
		if err != nil {
			return nil, err
		}
		p.Rules = append(p.Rules, r)
	}
	return p, p.check()
}

// check sorts the rules and refuses duplicate identifiers.
func (p *Profile) check() error {
	sort.Slice(p.Rules, func(i, j int) bool { return p.Rules[i].ID < p.Rules[j].ID })
	for i := 1; i < len(p.Rules); i++ {
		if p.Rules[i].ID == p.Rules[i-1].ID {
			return fmt.Errorf("%w: %s appears twice", ErrRule, p.Rules[i].ID)
		}
	}
	return nil
}

// With returns a copy of p with extra rules: a venue's own. A rule with the
// identifier of one of p's replaces it.
func (p *Profile) With(extra []*Rule) *Profile {
	out := &Profile{Name: p.Name, Titles: p.Titles, Description: p.Description}
	for _, r := range p.Rules {
		if !slices.ContainsFunc(extra, func(e *Rule) bool { return e.ID == r.ID }) {
			out.Rules = append(out.Rules, r)
		}
	}
	out.Rules = append(out.Rules, extra...)
	if len(extra) > 0 {
		out.Name += "+venue"
	}
	out.check() // identifiers are unique: duplicates were replaced
	return out
}

// LoadRules reads a venue's rule files from dir: every *.json file in it
// that is a rule, and every */rule.json (the business-rules layout, where
// tests sit beside the rule). A file that is not a valid rule is an error
// naming it: a rule that silently did not load would let people in.
func LoadRules(dir string) ([]*Rule, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && d.Name() == "tests" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".json") {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("policy: rules: %w", err)
	}
	var rules []*Rule
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("policy: rules: %w", err)
		}
		if !bytes.Contains(data, []byte(`"Identifier"`)) {
			continue // not a rule: a note, a value-set file
		}
		r, err := ParseRule(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}
