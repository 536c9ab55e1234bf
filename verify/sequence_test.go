package verify_test

import (
	"testing"

	"munjigi/demo"
	"munjigi/verify"
)

// inSequenceCases: what InSequence says of each kind of payload. Only a
// part of a split health card depends on what was decided before it.
func inSequenceCases(t testing.TB) []struct {
	name    string
	payload string
	want    bool
} {
	jws := sign(t, card())
	parts := demo.ChunkQRs(bigCard(t), 2)
	dcc, err := demo.Signer().Issue(demo.Pass{HCert: map[string]any{"ver": "1.3.0"}, IssuedAt: shcNow, ExpiresAt: shcNow})
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		name    string
		payload string
		want    bool
	}{
		{"a part of a split card", parts[0], true},
		{"the last part", parts[1], true},
		{"a card in one QR", demo.NumericQR(jws), false},
		{"a whole card wearing 1/1", "shc:/1/1/" + demo.NumericQR(jws)[len("shc:/"):], true}, // decided whole, but kept in order: no harm
		{"a damaged chunk header", "shc:/x/2/5676", true},
		{"a card as its JWS", jws, false},
		{"an EU DCC", dcc, false},
		{"a menu link", "https://example.com/menu/a/b", false},
		{"nothing", "", false},
		{"the prefix alone", "shc:/", false},
	}
}

func TestInSequence(t *testing.T) {
	for _, c := range inSequenceCases(t) {
		if got := verify.InSequence([]byte(c.payload)); got != c.want {
			t.Errorf("%s: InSequence = %v, want %v", c.name, got, c.want)
		}
	}
}

// FuzzInSequence holds InSequence to its promise: a payload it calls free
// of sequence, decided between two parts of a split card, changes nothing
// about the card: its last part still completes it.
func FuzzInSequence(f *testing.F) {
	for _, c := range inSequenceCases(f) {
		f.Add(c.payload)
	}
	parts := demo.ChunkQRs(bigCard(f), 2)
	f.Add(parts[0][:len(parts[0])-2]) // another card's first part, as far as the verifier can tell
	f.Fuzz(func(t *testing.T, payload string) {
		if verify.InSequence([]byte(payload)) {
			return
		}
		v := verify.New(shcTrust(t, ""), at(shcNow))
		if r := v.Verify([]byte(parts[0])); r.Reason != verify.ReasonIncomplete {
			t.Fatalf("part 1: %s %s", r.Verdict, r.Reason)
		}
		v.Verify([]byte(payload))
		if r := v.Verify([]byte(parts[1])); r.Verdict != verify.Pass {
			t.Fatalf("%q, which InSequence calls free of sequence, changed the split card's outcome: %s %s (%s)", payload, r.Verdict, r.Reason, r.Detail)
		}
	})
}
