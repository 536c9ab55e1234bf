package door

import (
	"bytes"
	"testing"

	"munjigi/verify"
)

func TestBell(t *testing.T) {
	for _, c := range []struct {
		verdict string
		want    string
	}{{"pass", "\a"}, {"manual", "\a\a"}, {"fail", "\a\a\a"}, {"", ""}} {
		var b bytes.Buffer
		bell(&b, verify.Verdict(c.verdict))
		if b.String() != c.want {
			t.Errorf("bell(%q) = %q, want %q", c.verdict, b.String(), c.want)
		}
	}
}
