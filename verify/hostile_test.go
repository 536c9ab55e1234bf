package verify_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"munjigi/verify"
)

// terminalNasties is RELIABILITY row 13's holder name: screen clearing, a
// clipboard write (OSC 52), C1 controls (NEL, CSI), a bidi override, a
// zero-width joiner and 5,000 characters. (Invalid UTF-8 cannot be signed
// into a DCC: CBOR text must be UTF-8, so the decoder refuses it; Sanitize's
// own tests cover it.)
var terminalNasties = "\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07\u0085\u009b31mKIM\u202eGNOH\u200d" + strings.Repeat("가", 5000)

// TestTerminalInjection is RELIABILITY row 13: a genuinely signed pass whose
// text is hostile shows nothing a terminal would act on, cut to fit.
func TestTerminalInjection(t *testing.T) {
	iss := issuer(t, "ec")
	h := vaccination()
	h["nam"] = map[string]any{"fn": terminalNasties, "gn": terminalNasties, "fnt": "X\x1b[2J", "gnt": terminalNasties}
	h["v"].([]any)[0].(map[string]any)["is"] = "\x1b]0;owned\x07Issuer"
	p := valid(h)
	p.Claims = map[int64]any{1: "\x1b[2J\u009bKR", 4: p.ExpiresAt.Unix(), 6: p.IssuedAt.Unix(), -260: map[int64]any{1: h}}
	qr, err := iss.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	res := verify.New(trusting(t, "ec"), at(clock)).Verify([]byte(qr))
	if res.Checks.Signature != verify.Passed {
		t.Fatalf("the hostile pass must be genuinely signed for this test to mean anything: %s %s", res.Reason, res.Detail)
	}
	if res.Verdict == verify.Pass {
		t.Error("a 5,000-character name breaks the schema's maxLength: not a pass")
	}
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{res.Holder.Name, res.Issuer, res.Detail, string(out)} {
		if r, bad := unprintable(s); bad {
			t.Errorf("%U reaches the terminal in %.80q", r, s)
		}
	}
	if n := utf8.RuneCountInString(res.Holder.Name); n == 0 || n > 32 {
		t.Errorf("holder name %q is %d runes, want it shown and cut to fit", res.Holder.Name, n)
	}
}

// unprintable finds a rune a terminal could act on: a control character
// (C0, DEL, C1: every escape sequence starts with one) or an invisible
// format character such as a bidi override.
func unprintable(s string) (rune, bool) {
	if !utf8.ValidString(s) {
		return utf8.RuneError, true
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return r, true
		}
	}
	return 0, false
}

// FuzzVerify feeds arbitrary text to the whole pipeline, seeded with the
// pipeline table's passes and the EU test data's QR texts. Whatever comes
// in, the verifier returns a verdict with a reason, and nothing it says can
// drive a terminal.
func FuzzVerify(f *testing.F) {
	for _, c := range pipelineCases {
		qr, _ := runCase(f, c)
		f.Add([]byte(qr))
	}
	for _, qr := range verify.DGCQRSeeds() {
		f.Add([]byte(qr))
	}
	v := verify.New(trusting(f, "ec", "rsa"), at(clock))
	f.Fuzz(func(t *testing.T, payload []byte) {
		res := v.Verify(payload)
		switch res.Verdict {
		case verify.Pass:
			if res.Reason != verify.ReasonOK || res.Checks.Signature != verify.Passed {
				t.Fatalf("a pass without a verified signature: %+v", res)
			}
		case verify.Fail, verify.Manual:
			if res.Reason == "" || res.Detail == "" {
				t.Fatalf("%s without a reason: %+v", res.Verdict, res)
			}
		default:
			t.Fatalf("verdict %q", res.Verdict)
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatal(err)
		}
		// JSON would escape C0 controls, so look at the text itself.
		for _, s := range []string{res.Holder.Name, res.Issuer, res.Detail} {
			if r, bad := unprintable(s); bad {
				t.Fatalf("%U in %q", r, s)
			}
		}
	})
}
