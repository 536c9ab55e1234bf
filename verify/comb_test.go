package verify_test

import (
	"testing"

	"munjigi/demo"
	"munjigi/verify"
)

// TestSignerComb: a key that signs many passes gets its table after
// CombAfter of them, and every verdict before and after is the same: the
// genuine pass passes, the forged one is refused for its signature. A key
// that verifies nothing never gets one; no more than MaxCombs are alive.
func TestSignerComb(t *testing.T) {
	iss := issuer(t, "ec")
	good, err := iss.Issue(valid(vaccination()))
	if err != nil {
		t.Fatal(err)
	}
	p := valid(vaccination())
	p.Signature = make([]byte, 64) // r = s = 0: forged
	forged, err := iss.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	tr := trusting(t, "ec")
	v := verify.New(tr, at(clock))
	for i := range 3 * verify.CombAfter {
		if i == verify.CombAfter && !verify.HasComb(tr, iss.KID()) && verify.CombsAlive() < verify.MaxCombs {
			t.Fatalf("no table after %d genuine passes", i)
		}
		if r := v.Verify([]byte(good)); r.Verdict != verify.Pass {
			t.Fatalf("genuine pass %d: %s %s (%s)", i, r.Verdict, r.Reason, r.Detail)
		}
		if r := v.Verify([]byte(forged)); r.Reason != verify.ReasonSignature {
			t.Fatalf("forged pass %d: %s %s (%s)", i, r.Verdict, r.Reason, r.Detail)
		}
	}

	// Forgeries alone never earn a key a table.
	other := trusting(t, "ec-other")
	ov := verify.New(other, at(clock))
	op := valid(vaccination())
	op.Signature = make([]byte, 64)
	otherForged, err := issuer(t, "ec-other").Issue(op)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 * verify.CombAfter {
		ov.Verify([]byte(otherForged))
	}
	if verify.HasComb(other, issuer(t, "ec-other").KID()) {
		t.Error("a key that verified nothing has a table")
	}

	// Many busy keys: at most MaxCombs tables.
	for range verify.MaxCombs + 4 {
		busy, err := demo.GenerateIssuer(demo.IssuerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tr := verify.NewTrust()
		if err := tr.AddCertificate(busy.Certificate(), nil, ""); err != nil {
			t.Fatal(err)
		}
		qr, err := busy.Issue(valid(vaccination()))
		if err != nil {
			t.Fatal(err)
		}
		bv := verify.New(tr, at(clock))
		for range verify.CombAfter + 1 {
			if r := bv.Verify([]byte(qr)); r.Verdict != verify.Pass {
				t.Fatalf("%s %s", r.Verdict, r.Reason)
			}
		}
		if n := verify.CombsAlive(); n > verify.MaxCombs {
			t.Fatalf("%d tables alive, more than %d", n, verify.MaxCombs)
		}
	}
}
