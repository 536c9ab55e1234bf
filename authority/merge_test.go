package authority

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"munjigi/demo"
	"munjigi/verify"
)

// The merge's inputs are written with placeholders: {A}..{I} stand for
// document signers' certificates (base64 DER) and {kidA}.. for their own
// kids; {K1}, {K2} for health-card issuer keys (JWKs) and {k1}, {k2} for
// their kids.
var (
	mergeOnce  sync.Once
	mergeRepl  *strings.Replacer
	mergeCerts = "ABCDEFGHI"
)

func mergeFixtures(t testing.TB) *strings.Replacer {
	t.Helper()
	mergeOnce.Do(func() {
		var pairs []string
		for _, c := range mergeCerts {
			iss, err := demo.GenerateIssuer(demo.IssuerOptions{Country: "KR"})
			if err != nil {
				panic(err)
			}
			pairs = append(pairs, "{"+string(c)+"}", base64.StdEncoding.EncodeToString(iss.Certificate()),
				"{kid"+string(c)+"}", base64.StdEncoding.EncodeToString(iss.KID()))
		}
		for i := 1; i <= 2; i++ {
			key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				panic(err)
			}
			is := demo.NewSHCIssuer("https://x.test", key)
			var set struct {
				Keys []json.RawMessage `json:"keys"`
			}
			json.Unmarshal(is.JWKS(), &set)
			pairs = append(pairs, fmt.Sprintf("{K%d}", i), string(set.Keys[0]), fmt.Sprintf("{k%d}", i), is.KID())
		}
		mergeRepl = strings.NewReplacer(pairs...)
	})
	return mergeRepl
}

// mergedList is the merged payload as far as the tests read it.
type mergedList struct {
	Version   int64  `json:"version"`
	IssuedAt  string `json:"issuedAt"`
	ExpiresAt string `json:"expiresAt"`
	DSC       []struct {
		KID         string `json:"kid"`
		Country     string `json:"country"`
		Certificate string `json:"certificate"`
	} `json:"dsc"`
	SHC []struct {
		Iss  string `json:"iss"`
		Name string `json:"name"`
		JWKS struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		} `json:"jwks"`
		CRLs map[string]json.RawMessage `json:"crls"`
	} `json:"shc"`
	Revoked json.RawMessage `json:"revoked"`
	Rules   json.RawMessage `json:"rules"`
	Source  json.RawMessage `json:"source"`
}

var mergeDates = map[string]json.RawMessage{"version": json.RawMessage(`7`), "issuedAt": json.RawMessage(`"2026-11-22T12:00:00Z"`), "expiresAt": json.RawMessage(`"2026-11-29T12:00:00Z"`)}

// merge merges trust (a trust.json) with the sources' contents, and
// checks that a kiosk takes the result.
func merge(t testing.TB, trust string, contents ...string) (mergedList, mergeReport, *verify.Trust, string) {
	t.Helper()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(trust), &doc); err != nil {
		t.Fatalf("the test's trust.json: %v", err)
	}
	var srcs []SourceStatus
	for i := range contents {
		srcs = append(srcs, SourceStatus{SourceSpec: SourceSpec{Name: fmt.Sprint("s", i)}, Hash: fmt.Sprint("h", i)})
	}
	var out bytes.Buffer
	rep, err := writeMerged(&out, doc, mergeDates, srcs, func(s SourceStatus) ([]byte, error) {
		return []byte(contents[slices.IndexFunc(srcs, func(x SourceStatus) bool { return x.Name == s.Name })]), nil
	})
	if err != nil {
		t.Fatalf("merge: %v", err)
	}
	var l mergedList
	if err := json.Unmarshal(out.Bytes(), &l); err != nil {
		t.Fatalf("the merged list is not JSON: %v\n%s", err, out.Bytes())
	}
	tr := verify.NewTrust()
	if err := tr.AddList(out.Bytes()); err != nil {
		t.Fatalf("a kiosk refuses the merged list: %v\n%s", err, out.Bytes())
	}
	return l, rep, tr, out.String()
}

var mergeCases = []struct {
	name     string
	trust    string
	contents []string
	check    func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string)
}{
	{"trust.json alone", `{"dsc":[{"kid":"{kidA}","country":"DE","certificate":"{A}"}],"rules":[],"version":3,"issuedAt":"2020-01-01T00:00:00Z"}`, nil,
		func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string) {
			if len(l.DSC) != 1 || l.DSC[0].Country != "DE" || l.Version != 7 || l.IssuedAt != "2026-11-22T12:00:00Z" || tr.Signers() != 1 || len(l.SHC) != 0 || rep.DSC != 1 {
				t.Errorf("%s", out)
			}
		}},
	{"a source adds its signers after trust.json's", `{"dsc":[{"certificate":"{A}"}]}`,
		[]string{`{"source":{"format":"de-dscg"},"dsc":[{"kid":"{kidB}","certificate":"{B}"},{"kid":"{kidC}","certificate":"{C}"}]}`},
		func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string) {
			if len(l.DSC) != 3 || l.DSC[0].KID != "" || l.DSC[1].KID != mergeRepl.Replace("{kidB}") || tr.Signers() != 3 || l.Source != nil {
				t.Errorf("%s", out)
			}
		}},
	{"the same certificate under its kid in two places: once, the first", `{"dsc":[{"kid":"{kidA}","country":"DE","certificate":"{A}"}]}`,
		[]string{`{"dsc":[{"kid":"{kidA}","country":"KR","certificate":"{A}"}]}`, `{"dsc":[{"certificate":"{A}"}]}`},
		func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string) {
			if len(l.DSC) != 1 || l.DSC[0].Country != "DE" || rep.DSCDuplicates != 2 || len(rep.Notes) != 2 || !strings.Contains(rep.Notes[0], "kept once") {
				t.Errorf("%+v\n%s", rep, out)
			}
		}},
	{"the same certificate under two kids: under both", `{"dsc":[{"kid":"{kidA}","certificate":"{A}"}]}`,
		[]string{`{"dsc":[{"kid":"AAAAAAAAAAA=","certificate":"{A}"}]}`},
		func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string) {
			if len(l.DSC) != 2 || tr.Signers() != 2 || rep.DSCDuplicates != 0 {
				t.Errorf("%+v\n%s", rep, out)
			}
		}},
	{"nine certificates under one kid: the first eight", `{}`,
		[]string{`{"dsc":[` + func() string {
			var e []string
			for _, c := range mergeCerts {
				e = append(e, `{"kid":"AAAAAAAAAAA=","certificate":"{`+string(c)+`}"}`)
			}
			return strings.Join(e, ",")
		}() + `]}`},
		func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string) {
			if len(l.DSC) != verify.MaxKeysPerKID || rep.DSCOverCap != 1 || l.DSC[7].Certificate != mergeRepl.Replace("{H}") || len(tr.Warnings()) != 0 {
				t.Errorf("%+v %q\n%s", rep, tr.Warnings(), out)
			}
		}},
	{"an entry that is not one is left out, and said", `{"dsc":[{"certificate":"{A}"}]}`,
		[]string{`{"dsc":[5,{"certificate":"not base64!"},{"certificate":"{B}"}]}`},
		func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string) {
			if len(l.DSC) != 2 || len(rep.Notes) != 2 || !strings.Contains(rep.Notes[0], "source s0") {
				t.Errorf("%+v\n%s", rep, out)
			}
		}},
	{"an issuer in trust.json and a source: one, its keys' union", `{"shc":[{"iss":"https://x.test","jwks":{"keys":[{K1}]}}]}`,
		[]string{`{"source":{"format":"vci-snapshot"},"issuedAt":"2026-01-01T00:00:00Z","shc":[{"iss":"https://x.test","name":"X","jwks":{"keys":[{K2},{K1}]}},{"iss":"https://y.test","jwks":{"keys":[{K2}]}}]}`},
		func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string) {
			if len(l.SHC) != 2 || l.SHC[0].Name != "X" || len(l.SHC[0].JWKS.Keys) != 2 || l.SHC[0].JWKS.Keys[0].Kid != mergeRepl.Replace("{k1}") ||
				rep.IssuersMerged != 1 || rep.Issuers != 2 || tr.SHCIssuers() != 2 || len(tr.Warnings()) != 0 || l.IssuedAt != "2026-11-22T12:00:00Z" {
				t.Errorf("%+v %q\n%s", rep, tr.Warnings(), out)
			}
		}},
	{"an issuer's name: the first given", `{"shc":[{"iss":"https://x.test","name":"From trust.json","jwks":{"keys":[{K1}]}}]}`,
		[]string{`{"shc":[{"iss":"https://x.test","name":"From the source","jwks":{"keys":[{K1}]}}]}`},
		func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string) {
			if len(l.SHC) != 1 || l.SHC[0].Name != "From trust.json" || len(l.SHC[0].JWKS.Keys) != 1 {
				t.Errorf("%s", out)
			}
		}},
	{"two revocation lists for a key: their rids' union, the higher ctr",
		`{"shc":[{"iss":"https://x.test","jwks":{"keys":[{K1}]},"crls":{"{k1}":{"kid":"{k1}","method":"rid","ctr":3,"rids":["AAAA","BBBB.1700000000"]}}}]}`,
		[]string{`{"shc":[{"iss":"https://x.test","jwks":{"keys":[{K1}]},"crls":{"{k1}":{"kid":"{k1}","method":"rid","ctr":2,"rids":["CCCC","AAAA"]}}}]}`},
		func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string) {
			want := mergeRepl.Replace(`{"kid":"{k1}","method":"rid","ctr":3,"rids":["AAAA","BBBB.1700000000","CCCC"]}`)
			if got := string(l.SHC[0].CRLs[mergeRepl.Replace("{k1}")]); got != want || len(tr.Warnings()) != 0 {
				t.Errorf("%s, want %s (%q)", got, want, tr.Warnings())
			}
		}},
	{"the same revocation list twice: as it is",
		`{"shc":[{"iss":"https://x.test","jwks":{"keys":[{K1}]},"crls":{"{k1}":{"kid":"{k1}","method":"rid","ctr":1,"rids":["AAAA"]}}}]}`,
		[]string{`{"shc":[{"iss":"https://x.test","jwks":{"keys":[{K1}]},"crls":{"{k1}":{"kid": "{k1}", "method": "rid", "ctr": 1, "rids": ["AAAA"]}}}]}`},
		func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string) {
			if got := string(l.SHC[0].CRLs[mergeRepl.Replace("{k1}")]); got != mergeRepl.Replace(`{"kid":"{k1}","method":"rid","ctr":1,"rids":["AAAA"]}`) || len(rep.Notes) != 0 {
				t.Errorf("%s %v", got, rep.Notes)
			}
		}},
	{"a revocation list that cannot be read wins over one that can",
		`{"shc":[{"iss":"https://x.test","jwks":{"keys":[{K1}]},"crls":{"{k1}":{"kid":"{k1}","method":"rid","ctr":"abc","rids":[]}}}]}`,
		[]string{`{"shc":[{"iss":"https://x.test","jwks":{"keys":[{K1}]},"crls":{"{k1}":{"kid":"{k1}","method":"rid","ctr":5,"rids":[]}}}]}`},
		func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string) {
			if got := string(l.SHC[0].CRLs[mergeRepl.Replace("{k1}")]); !strings.Contains(got, `"abc"`) || len(tr.Warnings()) != 1 || len(rep.Notes) != 1 {
				t.Errorf("%s %q %v", got, tr.Warnings(), rep.Notes)
			}
		}},
	{"a second one that cannot be read wins too",
		`{"shc":[{"iss":"https://x.test","jwks":{"keys":[{K1}]},"crls":{"{k1}":{"kid":"{k1}","method":"rid","ctr":5,"rids":[]}}}]}`,
		[]string{`{"shc":[{"iss":"https://x.test","jwks":{"keys":[{K1}]},"crls":{"{k1}":{"kid":"{k1}","method":"hash","ctr":6,"rids":[]}}}]}`},
		func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string) {
			if got := string(l.SHC[0].CRLs[mergeRepl.Replace("{k1}")]); !strings.Contains(got, `"hash"`) || len(tr.Warnings()) != 1 {
				t.Errorf("%s %q", got, tr.Warnings())
			}
		}},
	{"the rest of trust.json is the list's", `{"revoked":{"uci":["AAAAAAAAAAAAAAAAAAAAAA=="]},"rules":[{"a": 1}],"valueSets":{"x":  [1]},"note":"kept"}`,
		[]string{`{"dsc":[{"certificate":"{A}"}],"revoked":{"uci":["BBBBBBBBBBBBBBBBBBBBBB=="]}}`},
		func(t *testing.T, l mergedList, rep mergeReport, tr *verify.Trust, out string) {
			if string(l.Revoked) != `{"uci":["AAAAAAAAAAAAAAAAAAAAAA=="]}` || string(l.Rules) != `[{"a":1}]` || !strings.Contains(out, `"note":"kept"`) || tr.Revoked() != 1 || len(l.DSC) != 1 {
				t.Errorf("%s", out)
			}
			if !strings.HasPrefix(out, `{"dsc":[`) || !strings.HasSuffix(out, `"valueSets":{"x":[1]},"version":7}`) {
				t.Errorf("members out of order: %s", out)
			}
		}},
}

func TestWriteMerged(t *testing.T) {
	r := mergeFixtures(t)
	for _, c := range mergeCases {
		t.Run(c.name, func(t *testing.T) {
			contents := make([]string, len(c.contents))
			for i, s := range c.contents {
				contents[i] = r.Replace(s)
			}
			l, rep, tr, out := merge(t, r.Replace(c.trust), contents...)
			c.check(t, l, rep, tr, out)
		})
	}
}

// FuzzWriteMerged: whatever a kiosk takes as trust.json, and whatever it
// takes as a source's content, merge into a list a kiosk takes, with no
// more signers than the two hold.
func FuzzWriteMerged(f *testing.F) {
	r := mergeFixtures(f)
	for _, c := range mergeCases {
		content := ""
		if len(c.contents) > 0 {
			content = r.Replace(c.contents[0])
		}
		f.Add(r.Replace(c.trust), content)
	}
	f.Fuzz(func(t *testing.T, trust, content string) {
		var doc map[string]json.RawMessage
		tt, ct := verify.NewTrust(), verify.NewTrust()
		if json.Unmarshal([]byte(trust), &doc) != nil || doc == nil || tt.AddList([]byte(trust)) != nil {
			return
		}
		var contents []string
		if content != "" {
			var obj map[string]json.RawMessage
			if json.Unmarshal([]byte(content), &obj) != nil || obj == nil || ct.AddList([]byte(content)) != nil {
				return
			}
			contents = append(contents, content)
		}
		_, _, tr, _ := merge(t, trust, contents...)
		if tr.Signers() > tt.Signers()+ct.Signers() {
			t.Fatalf("%d signers merged from %d and %d", tr.Signers(), tt.Signers(), ct.Signers())
		}
	})
}
