package trustsrc_test

import (
	"bytes"
	"os"
	"testing"

	"munjigi/trustsrc"
)

// TestLargeSourceSpoolsToDisk: a source larger than the memory spool is
// kept in a temporary file between the signature check and the parsing,
// converts to the same list, and leaves no file behind, on success or
// refusal.
func TestLargeSourceSpoolsToDisk(t *testing.T) {
	fixtures(t)
	var es []any
	for _, k := range []string{"a", "b", "c", "p384", "rsa-2048"} {
		es = append(es, entry(dsc(t, k), "DSC", ""))
	}
	de := signDE(t, backendKey, deBody(t, es...))
	vci := snapshot(t, issuerInfo("https://issuer.test", []any{jwk(t, p256(t, false)), jwk(t, p256(t, false))}))
	cases := []struct {
		format trustsrc.Format
		data   []byte
		v      trustsrc.Verification
	}{{trustsrc.DEDSCG, de, deVerification(t)}, {trustsrc.VCISnapshot, vci, vciVerification(t, vci)}}

	convert := func(f trustsrc.Format, data []byte, v trustsrc.Verification) ([]byte, error) {
		var out bytes.Buffer
		// hideSize: no size known in advance, as from a pipe.
		_, err := trustsrc.Convert(&out, f, hideSize{bytes.NewReader(data)}, v)
		return out.Bytes(), err
	}
	var inMemory [][]byte
	for _, c := range cases {
		out, err := convert(c.format, c.data, c.v)
		if err != nil {
			t.Fatal(err)
		}
		inMemory = append(inMemory, out)
	}

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	old := *trustsrc.SpoolMemory
	*trustsrc.SpoolMemory = 512
	t.Cleanup(func() { *trustsrc.SpoolMemory = old })
	for i, c := range cases {
		out, err := convert(c.format, c.data, c.v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, inMemory[i]) {
			t.Errorf("%s: spooled to disk, the list differs", c.format)
		}
		if _, err := convert(c.format, flip(c.data, len(c.data)-2), c.v); err == nil {
			t.Errorf("%s: a changed source read from disk", c.format)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
