package upstream

import (
	"strings"
	"testing"

	"munjigi/verify"
)

// TestFromReplyKeepsOnlyCodes: what the authority's server says becomes one
// of munjigi's codes; its own words go to the detail, cleaned (issue 14,
// item 15: a reason "=HYPERLINK(...)" reached a spreadsheet).
func TestFromReplyKeepsOnlyCodes(t *testing.T) {
	for _, tc := range []struct {
		verdict, reason string
		want            verify.Verdict
		code            verify.Reason
	}{
		{"pass", "", verify.Pass, verify.ReasonOK},
		{"pass", "=HYPERLINK(\"http://x\",\"y\")", verify.Pass, verify.ReasonOK},
		{"fail", "token-used", verify.Fail, verify.ReasonTokenUsed},
		{"fail", "token-invalid", verify.Fail, verify.ReasonTokenInvalid},
		{"fail", "=HYPERLINK(\"http://x\",\"y\")", verify.Fail, verify.ReasonTokenRefused},
		{"manual", "needs-id\x1b[2J", verify.Manual, verify.ReasonTokenRefused},
		{"yes", "ok", verify.Manual, verify.ReasonTokenRefused},
		{"", "", verify.Manual, verify.ReasonTokenRefused},
	} {
		var tr TokenReply
		tr.Verdict, tr.Reason = tc.verdict, tc.reason
		r := fromReply("MJT1:X", tr)
		if r.Verdict != tc.want || r.Reason != tc.code {
			t.Errorf("%q %q: %s %s, want %s %s", tc.verdict, tc.reason, r.Verdict, r.Reason, tc.want, tc.code)
		}
		if strings.ContainsAny(r.Detail, "\x1b") {
			t.Errorf("%q: detail %q holds a control byte", tc.reason, r.Detail)
		}
	}
}
