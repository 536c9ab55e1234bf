package authority

import (
	"errors"
	"strings"
	"testing"
)

// sourcesCases are declarations and what ParseSources makes of them: ""
// for accepted, else words the refusal must hold.
var sourcesCases = []struct {
	name, json, want string
}{
	{"the three formats", `[{"name":"eu","format":"de-dscg","file":"de/dsc-list.json","key":"de/key.pem"},
		{"name":"shc","format":"vci-snapshot","file":"vci/s.json","cert":"vci/s.crt","sig":"vci/s.sig"},
		{"name":"gateway","format":"dccg","file":"gw/trustlist.json","allowUnsigned":true}]`, ""},
	{"none", `[]`, ""},
	{"null", `null`, ""},
	{"not a list", `{"name":"eu"}`, "not a list of sources"},
	{"not JSON", `[{"name":`, "not a list of sources"},
	{"two lists", `[] []`, "data after the list"},
	{"a misspelt member", `[{"name":"eu","format":"de-dscg","file":"a.json","keyfile":"k.pem"}]`, `unknown field "keyfile"`},
	{"no name", `[{"format":"de-dscg","file":"a.json","key":"k.pem"}]`, `sources[0]: "name"`},
	{"a name in capitals", `[{"name":"EU","format":"de-dscg","file":"a.json","key":"k.pem"}]`, `sources[0] ("EU"): "name"`},
	{"a name with a slash", `[{"name":"e/u","format":"de-dscg","file":"a.json","key":"k.pem"}]`, `"name"`},
	{"a name too long", `[{"name":"` + strings.Repeat("a", 33) + `","format":"de-dscg","file":"a.json","key":"k.pem"}]`, `"name"`},
	{"two of one name", `[{"name":"eu","format":"de-dscg","file":"a.json","key":"k.pem"},{"name":"eu","format":"de-dscg","file":"b.json","key":"k.pem"}]`, `sources[1] ("eu"): a second source`},
	{"an unknown format", `[{"name":"eu","format":"nl-dsc","file":"a.json","key":"k.pem"}]`, `"format"`},
	{"no file", `[{"name":"eu","format":"de-dscg","key":"k.pem"}]`, `"file": required`},
	{"a file outside list/", `[{"name":"eu","format":"de-dscg","file":"../a.json","key":"k.pem"}]`, `"file": a path inside list/`},
	{"an absolute file", `[{"name":"eu","format":"de-dscg","file":"/etc/a.json","key":"k.pem"}]`, `"file": a path inside list/`},
	{"a key outside list/", `[{"name":"eu","format":"de-dscg","file":"a.json","key":"de/../../k.pem"}]`, `"key": a path inside list/`},
	{"a line break in a path", `[{"name":"eu","format":"de-dscg","file":"a\njson","key":"k.pem"}]`, `"file": a path without control characters`},
	{"a backslash", `[{"name":"eu","format":"de-dscg","file":"de\\a.json","key":"k.pem"}]`, `"file": a path inside list/`},
	{"trust.json as a source", `[{"name":"eu","format":"de-dscg","file":"trust.json","key":"k.pem"}]`, "list/trust.json is the list's own"},
	{"a source among the rules", `[{"name":"eu","format":"de-dscg","file":"rules/a.json","key":"k.pem"}]`, "list/rules/ holds the list's rules"},
	{"de-dscg without its key", `[{"name":"eu","format":"de-dscg","file":"a.json"}]`, `checked with the backend's public key`},
	{"de-dscg with a certificate", `[{"name":"eu","format":"de-dscg","file":"a.json","key":"k.pem","cert":"c.crt"}]`, `checked with the backend's public key`},
	{"de-dscg unsigned", `[{"name":"eu","format":"de-dscg","file":"a.json","key":"k.pem","allowUnsigned":true}]`, `checked with the backend's public key`},
	{"vci-snapshot without its signature", `[{"name":"shc","format":"vci-snapshot","file":"s.json","cert":"s.crt"}]`, `"cert" and "sig"`},
	{"vci-snapshot with a key", `[{"name":"shc","format":"vci-snapshot","file":"s.json","cert":"s.crt","sig":"s.sig","key":"k.pem"}]`, `"cert" and "sig"`},
	{"dccg not vouched for", `[{"name":"gw","format":"dccg","file":"t.json"}]`, `"allowUnsigned": true`},
	{"dccg with a key", `[{"name":"gw","format":"dccg","file":"t.json","allowUnsigned":true,"key":"k.pem"}]`, `"allowUnsigned": true`},
	{"17 sources", `[` + strings.Repeat(`{"name":"x","format":"dccg","file":"t.json","allowUnsigned":true},`, 16) + `{"name":"x","format":"dccg","file":"t.json","allowUnsigned":true}]`, "17 sources; at most 16"},
	{"every mistake at once", `[{"name":"","format":"x","file":""}]`, `starting with a letter or digit; sources[0]: "format": trustsrc: unknown format "x": use one of de-dscg, vci-snapshot, dccg; sources[0]: "file": required`},
}

func TestParseSources(t *testing.T) {
	for _, c := range sourcesCases {
		t.Run(c.name, func(t *testing.T) {
			specs, err := ParseSources([]byte(c.json))
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrSources) || !strings.Contains(err.Error(), c.want) || specs != nil {
				t.Fatalf("%v, want an ErrSources saying %q", err, c.want)
			}
		})
	}
	if _, err := ParseSources([]byte(`[` + strings.Repeat(" ", maxSourcesFile) + `]`)); !errors.Is(err, ErrSources) {
		t.Errorf("a declaration over 64 KiB: %v", err)
	}
}

// FuzzParseSources: any declaration is read or refused with ErrSources;
// one read names each source once, and only paths inside list/.
func FuzzParseSources(f *testing.F) {
	for _, c := range sourcesCases {
		f.Add(c.json)
	}
	f.Fuzz(func(t *testing.T, in string) {
		specs, err := ParseSources([]byte(in))
		if err != nil {
			if !errors.Is(err, ErrSources) {
				t.Fatalf("refused without ErrSources: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, s := range specs {
			if seen[s.Name] || !sourceName.MatchString(s.Name) {
				t.Fatalf("a name read: %q", s.Name)
			}
			seen[s.Name] = true
			for _, p := range []string{s.File, s.Key, s.Cert, s.Sig} {
				if p != "" && badSourcePath(p) != "" {
					t.Fatalf("a path read: %q", p)
				}
			}
		}
	})
}
