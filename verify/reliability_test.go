package verify

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"munjigi/internal/shareddata"
)

// These are the rows of ../shared/RELIABILITY.md that the verifier owns.
// Memory bounds are asserted (they are deterministic); speed is measured in
// the benchmarks beside them, never asserted here.

func compress(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// heapPerCall reports the bytes allocated by one call of f, averaged.
func heapPerCall(f func()) uint64 {
	const runs = 20
	f() // let pools fill: a kiosk pays that once
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

// inflateBomb is an HC1 pass that inflates to 2.9 MB: the largest QR holds
// about 2,861 compressed bytes, and zeros compress about 1,000 to 1.
func inflateBomb() []byte {
	return []byte(PrefixDCC + Base45Encode(compress(make([]byte, 2_900_000))))
}

// TestInflateBomb is RELIABILITY row 7: rejected, with bounded memory.
func TestInflateBomb(t *testing.T) {
	bomb := inflateBomb()
	if len(bomb) > MaxPayload {
		t.Fatalf("the bomb is %d bytes, bigger than a QR; the test would prove nothing", len(bomb))
	}
	v := New(NewTrust(), time.Now)
	res := v.Verify(bomb)
	if res.Verdict != Fail || res.Reason != ReasonTooLarge || res.Checks.Zlib != Failed || res.Checks.COSE != NotRun {
		t.Fatalf("got %s %s %+v, want fail too-large at zlib", res.Verdict, res.Reason, res.Checks)
	}
	if got := heapPerCall(func() { v.Verify(bomb) }); got > 1<<20 {
		t.Errorf("rejecting the bomb allocates %d bytes per scan; want under 1 MiB", got)
	}
}

// hostileCBOR are CBOR items built to exhaust a decoder (RELIABILITY row 8).
var hostileCBOR = []struct {
	name string
	cbor []byte
}{
	{"array claiming 2^32 elements", []byte{0x9b, 0, 0, 0, 1, 0, 0, 0, 0}},
	{"array claiming 2^32-1 elements", []byte{0x9a, 0xff, 0xff, 0xff, 0xff}},
	{"map claiming 2^64-1 pairs", []byte{0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	{"byte string claiming 2^63 bytes", []byte{0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0}},
	{"10,000 nested arrays", append(bytes.Repeat([]byte{0x81}, 10_000), 0x00)},
	{"10,000 nested indefinite arrays", append(bytes.Repeat([]byte{0x9f}, 10_000), 0x00)},
	{"10,000 nested tags", append(bytes.Repeat([]byte{0xd8, 0x64}, 10_000), 0x00)},
	{"indefinite array without end", append([]byte{0x9f}, bytes.Repeat([]byte{0x00}, 5000)...)},
	{"2,000-element indefinite array", append(append([]byte{0x9f}, bytes.Repeat([]byte{0x00}, 2000)...), 0xff)},
	{"duplicate map keys", []byte{0xa2, 0x04, 0x01, 0x04, 0x02}},
	{"duplicate keys in an indefinite map", []byte{0xbf, 0x04, 0x01, 0x04, 0x02, 0xff}},
	{"truncated", []byte{0x84, 0x43, 0xa1}},
	{"reserved additional info", []byte{0x1c}},
	{"break outside indefinite item", []byte{0xff}},
}

// hostileWrappings puts a hostile item where each decoding stage meets it:
// as the COSE message, as the CWT claims, as the health certificate.
func hostileWrappings(item []byte) map[string][]byte {
	bstr := func(b []byte) []byte { return appendBstrHead(nil, len(b)) }
	claims := append([]byte{0xa1, 0x04}, item...)                        // {4: item}
	hcert := append([]byte{0xa1, 0x39, 0x01, 0x03, 0xa1, 0x01}, item...) // {-260: {1: item}}
	msg := func(payload []byte) []byte {
		m := []byte{0xd2, 0x84, 0x43, 0xa1, 0x01, 0x26, 0xa0}
		m = append(m, bstr(payload)...)
		m = append(m, payload...)
		return append(m, 0x40)
	}
	return map[string][]byte{
		"as the message":            item,
		"as the claims":             msg(item),
		"inside the claims":         msg(claims),
		"as the health certificate": msg(hcert),
	}
}

// TestHostileCBOR is RELIABILITY row 8: each item is refused at every
// depth, with little memory, and the refusal says the pass is malformed.
func TestHostileCBOR(t *testing.T) {
	v := New(NewTrust(), time.Now)
	for _, h := range hostileCBOR {
		for where, raw := range hostileWrappings(h.cbor) {
			t.Run(h.name+"/"+where, func(t *testing.T) {
				qr := []byte(PrefixDCC + Base45Encode(compress(raw)))
				if len(qr) > MaxPayload {
					t.Fatalf("%d bytes: over the payload cap, the test would prove nothing", len(qr))
				}
				res := v.Verify(qr)
				if res.Verdict == Pass || res.Checks.COSE != Failed || res.Reason != ReasonStructure {
					t.Fatalf("got %s %s cose=%s, want refused at the COSE stage", res.Verdict, res.Reason, res.Checks.COSE)
				}
				if got := heapPerCall(func() { v.Verify(qr) }); got > 256<<10 {
					t.Errorf("refusing it allocates %d bytes per scan; want under 256 KiB", got)
				}
			})
		}
	}
}

// printable reports whether s is valid UTF-8 with no control or format
// character: text a terminal shows and never acts on.
func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// dgcCaseFields reads one field of every common case of the EU DCC test
// data, and case 1 of each country, to seed the fuzzers with real issuers'
// encodings; nothing when the data is absent (each fuzzer has its own seeds).
func dgcCaseFields(field string) []string {
	root := shareddata.Root()
	if root == "" {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(root, "dgc-testdata", "common", "2DCode", "raw", "*.json"))
	more, _ := filepath.Glob(filepath.Join(root, "dgc-testdata", "*", "2DCode", "raw", "1.json"))
	var out []string
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var c map[string]any
		if json.Unmarshal(b, &c) != nil {
			continue
		}
		if s, ok := c[field].(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// dgcSeeds returns the COSE messages of the EU DCC test data.
func dgcSeeds() (cose [][]byte) {
	for _, h := range dgcCaseFields("COSE") {
		if raw, err := hex.DecodeString(h); err == nil {
			cose = append(cose, raw)
		}
	}
	return cose
}

// dgcQRSeeds returns the QR texts of the EU DCC test data.
func dgcQRSeeds() []string { return dgcCaseFields("PREFIX") }

// FuzzCOSE feeds arbitrary bytes to the stages after base45, where the CBOR
// decoder meets them, seeded with real COSE messages and hostile items.
func FuzzCOSE(f *testing.F) {
	for _, c := range dgcSeeds() {
		f.Add(c)
		f.Add(compress(c))
	}
	for _, h := range hostileCBOR {
		for _, raw := range hostileWrappings(h.cbor) {
			f.Add(raw)
		}
	}
	v := New(NewTrust(), time.Now)
	f.Fuzz(func(t *testing.T, raw []byte) {
		res := Result{Format: FormatDCC}
		v.verifyBinary(&res, raw)
		checkResult(t, res)
	})
}

func checkResult(t *testing.T, res Result) {
	t.Helper()
	switch res.Verdict {
	case Fail, Manual:
		if res.Detail == "" || res.Reason == "" {
			t.Fatalf("%s without a reason: %+v", res.Verdict, res)
		}
	case Pass:
		// Nothing is trusted in the fuzzer: a pass would be a forgery.
		t.Fatalf("pass with an empty trust list: %+v", res)
	default:
		t.Fatalf("verdict %q", res.Verdict)
	}
	for _, s := range []string{res.Holder.Name, res.Issuer, res.Detail} {
		if !printable(s) {
			t.Fatalf("unprintable text %q", s)
		}
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatal(err)
	}
}

// TestCheckJSON: duplicate keys are found however they are spelt and
// wherever they are, and only within one object.
func TestCheckJSON(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tc := range []struct {
		in  string
		bad bool
	}{
		{`{"a":1,"b":2}`, false},
		{`{"a":1,"a":2}`, true},
		{`{"iss":1,"\u0069ss":2}`, true},
		{`{"a":{"a":1},"b":[{"a":1},{"a":2}]}`, false},
		{`{"a":"}{\"a\":","a":1}`, true},
		{`{"a":"}{\"a\":","b":"a"}`, false},
		{`[{"x":1},{"x":1}]`, false},
		{`{"a":[1,{"b":1,"b":2}]}`, true},
		{`{"k\\":1,"k\\":2}`, true},
		{deep(maxJSONDepth), false},
		{deep(maxJSONDepth + 1), true},
		{`{"a":"unterminated`, true},
	} {
		if err := checkJSON([]byte(tc.in)); (err != nil) != tc.bad {
			t.Errorf("checkJSON(%.60s) = %v, want bad=%v", tc.in, err, tc.bad)
		}
	}
}

// FuzzSHCNumeric: numeric QR text decodes strictly, and whatever decodes
// is the one text that encodes to it.
func FuzzSHCNumeric(f *testing.F) {
	for _, s := range []string{"shc:/5676290952432060346029243740446031222959532654603460292540772804336028702865", "shc:/1/2/56", "shc:/7", "shc:/78", "shc:/0/2/56"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		q, err := parseSHCQR(text)
		if err != nil {
			if !errors.Is(err, ErrSHC) {
				t.Fatalf("%v does not wrap ErrSHC", err)
			}
			return
		}
		var enc strings.Builder
		enc.WriteString(PrefixSHC)
		if q.total > 0 {
			fmt.Fprintf(&enc, "%d/%d/", q.index, q.total)
		}
		for i := 0; i < len(q.jws); i++ {
			fmt.Fprintf(&enc, "%02d", q.jws[i]-45)
		}
		if enc.String() != text {
			t.Fatalf("%q decodes to %q, which encodes to %q", text, q.jws, enc.String())
		}
	})
}
