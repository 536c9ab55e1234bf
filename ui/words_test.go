package ui

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"munjigi/gate"
	"munjigi/policy"
	"munjigi/scanner"
	"munjigi/verify"
)

// TestEveryCodeWorded: every code the door can return has words in both
// languages. The codes come from the lists their packages export, so a new
// code without words fails here, not on a screen.
func TestEveryCodeWorded(t *testing.T) {
	for _, tx := range []*Text{&korean, &english} {
		need := func(what string, ok bool) {
			t.Helper()
			if !ok {
				t.Errorf("%s: no words for %s", tx.Lang, what)
			}
		}
		for _, r := range append(slices.Clone(verify.Reasons), gate.ReasonLogGap, reasonOther) {
			need("reason "+string(r), tx.Reasons[r] != "")
		}
		for _, c := range gate.ClockCodes {
			need("clock code "+string(c), tx.ClockWhy[c] != "")
		}
		for _, c := range gate.LogCodes {
			need("log code "+string(c), tx.LogWhy[c] != "")
		}
		for _, meth := range gate.Methods {
			need("method "+string(meth), tx.Methods[meth] != "")
		}
		for _, c := range gate.Checks {
			need("check by hand "+string(c.Reason), tx.Options[c.Reason] != "" && tx.OptionsShort[c.Reason] != "")
		}
		// verify exports no list of types or formats: these are all of
		// its constants.
		for _, ty := range []verify.Type{verify.Vaccination, verify.Test, verify.Recovery} {
			need("pass type "+string(ty), tx.Types[ty] != "")
		}
		for _, f := range []verify.Format{verify.FormatDCC, verify.FormatSHC, verify.FormatToken, verify.FormatUnknown} {
			need("format "+string(f), tx.Formats[f] != "")
		}
		for _, v := range []verify.Verdict{verify.Pass, verify.Fail, verify.Manual} {
			need("verdict "+string(v), tx.Verdicts[v] != "")
		}
		// Every scanner state: the kinds run from 0 until String has no
		// name for one.
		for k := scanner.Kind(0); k.String() != "unknown"; k++ {
			need("scanner state "+k.String(), tx.Scanners[k] != "")
		}
		// Every check a shipped profile's rules ask for, and every
		// profile's title.
		for _, name := range policy.Names() {
			p, err := policy.Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			need("the title of "+name, p.Title(tx.Lang) != "")
			for _, r := range p.Rules {
				if r.Check != "" {
					need(name+"'s check "+r.Check, tx.Checks[r.Check] != "")
				}
			}
		}
		need("another check", tx.Checks[checkOther] != "")
	}
	if len(optionKeys) != len(gate.Checks) {
		t.Errorf("%d option keys for %d checks by hand", len(optionKeys), len(gate.Checks))
	}
}

// TestTextsComplete: both languages fill every field, and their maps have
// the same keys.
func TestTextsComplete(t *testing.T) {
	ko, en := reflect.ValueOf(korean), reflect.ValueOf(english)
	for i := range ko.NumField() {
		name := ko.Type().Field(i).Name
		k, e := ko.Field(i), en.Field(i)
		switch k.Kind() {
		case reflect.String:
			if k.String() == "" || e.String() == "" {
				t.Errorf("%s is empty in a language", name)
			}
		case reflect.Map:
			if k.Len() != e.Len() {
				t.Errorf("%s: %d in Korean, %d in English", name, k.Len(), e.Len())
			}
			for _, key := range k.MapKeys() {
				if !e.MapIndex(key).IsValid() || e.MapIndex(key).String() == "" || k.MapIndex(key).String() == "" {
					t.Errorf("%s[%v] is missing in a language", name, key)
				}
			}
		case reflect.Array:
			for j := range k.Len() {
				if k.Index(j).String() == "" || e.Index(j).String() == "" {
					t.Errorf("%s[%d] is empty", name, j)
				}
			}
		case reflect.Func:
			if k.IsNil() || e.IsNil() {
				t.Errorf("%s is missing in a language", name)
			}
		}
	}
}

// latinAllowed are the Latin words a Korean screen may show, and why.
var latinAllowed = map[string]string{
	"QR":      "the code's name: Korean says QR 코드",
	"PIN":     "written so on Korean keypads and bank machines",
	"EU":      "the union's name as Korean writes it (EU 디지털 코로나 증명서)",
	"PCR":     "the test's name as Korean writes it (PCR 검사)",
	"Enter":   "the key's own label",
	"esc":     "the key's own label",
	"English": "the other language's own name, on the key that switches to it, so that a reader of English finds it",
	"m":       "a key to press", "s": "a key to press", "l": "a key to press", "e": "a key to press",
	"q": "a key to press", "y": "a key to press", "n": "a key to press",
}

var latinWord = regexp.MustCompile(`[A-Za-z]+`)

// TestKoreanHasNoEnglish: every screen state, drawn in Korean at every
// golden size and the largest, shows no English word and no raw id: only
// the words latinAllowed explains, and the visitor's own name from the
// pass.
func TestKoreanHasNoEnglish(t *testing.T) {
	for _, sc := range screens {
		for _, size := range append(slices.Clone(goldenSizes), [2]int{211, 62}) {
			m, view := build(t, sc, "ko", size, renderer(termenv.Ascii))
			name := latinWord.FindAllString(m.holder.Name, -1)
			for _, w := range latinWord.FindAllString(ansi.Strip(view), -1) {
				if _, ok := latinAllowed[w]; !ok && !slices.Contains(name, w) {
					t.Errorf("%s %s: %q on the Korean screen:\n%s", sc.name, sizeName(size), w, view)
				}
			}
		}
	}
}

// TestPolicyNames: the rules line names the profile in the screen's
// language, never by its id; a profile without a title in a language
// says so in that language; a venue's own rules are said to be added.
func TestPolicyNames(t *testing.T) {
	for _, name := range policy.Names() {
		p, err := policy.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		words := PolicyOf(p)
		for _, tx := range []*Text{&korean, &english} {
			got := words.name(tx)
			if got != p.Title(tx.Lang) || strings.Contains(got, name) {
				t.Errorf("%s in %s: %q", name, tx.Lang, got)
			}
		}
	}
	p, _ := policy.Builtin(policy.DefaultProfile)
	own := PolicyOf(p.With([]*policy.Rule{}))
	own.Names = map[string]string{"en": "Our rules"}
	own.VenueRules = true
	if got := own.name(&korean); got != korean.PolicyOwn+korean.PolicyPlus {
		t.Errorf("a profile titled only in English, on the Korean screen: %q", got)
	}
	if got := (Policy{}).name(&korean); got != korean.NoPolicy {
		t.Errorf("no profile: %q", got)
	}
	if got := PolicyOf(nil); got.ID != "" {
		t.Errorf("PolicyOf(nil) = %+v", got)
	}
}

// TestRuleWords: a rule's words are found by the failed rule's id, or by
// the words the decider wrote, in any language; words the profile does
// not have in a language are not made up.
func TestRuleWords(t *testing.T) {
	pol := Policy{ID: "p", Rules: map[string]map[string]string{
		"R-1": {"en": "too old", "ko": "너무 오래됨"},
		"M-1": {"en": "check their proof", "ko": "확인서를 보세요"},
		"R-2": {"en": "English only"},
	}}
	for _, c := range []struct {
		name string
		res  verify.Result
		lang string
		want string
		ok   bool
	}{
		{"failed rule by id", verify.Result{Reason: verify.ReasonRuleFailed, Detail: "너무 오래됨", Rules: []verify.RuleOutcome{{ID: "R-1", Outcome: "failed"}}}, "en", "too old", true},
		{"manual rule by its words", verify.Result{Reason: verify.ReasonRuleManual, Detail: "확인서를 보세요", Rules: []verify.RuleOutcome{{ID: "R-1", Outcome: "excused"}}}, "en", "check their proof", true},
		{"the other way", verify.Result{Reason: verify.ReasonRuleManual, Detail: "check their proof"}, "ko", "확인서를 보세요", true},
		{"no words in this language", verify.Result{Reason: verify.ReasonRuleFailed, Detail: "English only", Rules: []verify.RuleOutcome{{ID: "R-2", Outcome: "failed"}}}, "ko", "", false},
		{"unknown words", verify.Result{Reason: verify.ReasonRuleManual, Detail: "something else"}, "en", "", false},
		{"no detail", verify.Result{Reason: verify.ReasonRuleManual}, "en", "", false},
	} {
		got, ok := pol.ruleWords(c.res, c.lang)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %q %v, want %q %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// TestUnknownCodesWorded: a reason or a check that no list holds (a
// server's own word) is said as "another reason" in the screen's
// language, never as its code or the detail behind it.
func TestUnknownCodesWorded(t *testing.T) {
	d := newTestDoor(t)
	for _, tx := range []*Text{&korean, &english} {
		m := New(d.config(tx.Lang))
		o := gate.Outcome{Method: gate.MethodQR, Result: verify.Result{Verdict: verify.Manual, Reason: "made-up", Detail: "a server's own sentence", Check: "made-up-check"}}
		m.Update(decidedMsg{o: o})
		v := m.View()
		if !strings.Contains(v, tx.Reasons[reasonOther]) || !strings.Contains(v, tx.Checks[checkOther]) ||
			strings.Contains(v, "made-up") || strings.Contains(v, "own sentence") {
			t.Errorf("%s:\n%s", tx.Lang, v)
		}
	}
}
