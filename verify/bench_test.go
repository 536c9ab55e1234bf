package verify_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/verify"
)

// The goal: a full ES256 verify costs at most 1.2 times the bare signature
// check. Each benchmark reports the bare check and the whole pipeline on
// their own, then both in alternation: "interleaved" times each of the pair
// on every iteration and reports their ratio as "x-bare", so load on the
// machine that comes and goes falls on both sides of the ratio alike.
//
//	go test ./verify -run XXX -bench Verify -benchmem

func benchmarkVerify(b *testing.B, signer string, bareCheck func(iss *demo.Issuer) func() bool) {
	iss := issuer(b, signer)
	qr, err := iss.Issue(valid(vaccination()))
	if err != nil {
		b.Fatal(err)
	}
	v := verify.New(trusting(b, signer), at(clock))
	if r := v.Verify([]byte(qr)); r.Verdict != verify.Pass {
		b.Fatalf("benchmark pass does not verify: %s", r.Detail)
	}
	payload := []byte(qr)
	check := bareCheck(iss)
	full := func() bool { return v.Verify(payload).Verdict == verify.Pass }

	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !check() {
				b.Fatal("bare check failed")
			}
		}
	})
	b.Run("munjigi", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !full() {
				b.Fatal("verify failed")
			}
		}
	})
	b.Run("interleaved", func(b *testing.B) {
		var tBare, tFull time.Duration
		for b.Loop() {
			t0 := time.Now()
			ok := check()
			t1 := time.Now()
			ok = full() && ok
			tBare, tFull = tBare+t1.Sub(t0), tFull+time.Since(t1)
			if !ok {
				b.Fatal("check failed")
			}
		}
		b.ReportMetric(float64(tFull)/float64(tBare), "x-bare")
		b.ReportMetric(float64(tBare.Nanoseconds())/float64(b.N), "bare-ns/op")
		b.ReportMetric(float64(tFull.Nanoseconds())/float64(b.N), "munjigi-ns/op")
	})
}

// BenchmarkVerifyES256 compares a whole HC1 verify with crypto/ecdsa's
// P-256 check of a signature over a digest: the floor no verifier goes under.
func BenchmarkVerifyES256(b *testing.B) {
	benchmarkVerify(b, "ec", func(iss *demo.Issuer) func() bool {
		key, digest, sig := bareSignature(b, iss)
		pub := key.(*ecdsa.PublicKey)
		return func() bool { return ecdsa.VerifyASN1(pub, digest, sig) }
	})
}

// BenchmarkVerifyPS256 is the same for RSA-2048 with RSASSA-PSS.
func BenchmarkVerifyPS256(b *testing.B) {
	benchmarkVerify(b, "rsa", func(iss *demo.Issuer) func() bool {
		key, digest, sig := bareSignature(b, iss)
		pub := key.(*rsa.PublicKey)
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}
		return func() bool { return rsa.VerifyPSS(pub, crypto.SHA256, digest, sig, opts) == nil }
	})
}

// bareSignature signs a digest with a fresh key of the issuer's kind and
// returns what the bare check needs. The key differs from the issuer's
// (whose private key the test cannot reach), but not its type or size, so
// the cost is the same.
func bareSignature(b *testing.B, iss *demo.Issuer) (crypto.PublicKey, []byte, []byte) {
	b.Helper()
	cert, err := x509.ParseCertificate(iss.Certificate())
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("a Sig_structure of a few hundred bytes"))
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		k, err := ecdsa.GenerateKey(pub.Curve, rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		sig, err := ecdsa.SignASN1(rand.Reader, k, digest[:])
		if err != nil {
			b.Fatal(err)
		}
		return &k.PublicKey, digest[:], sig
	case *rsa.PublicKey:
		k, err := rsa.GenerateKey(rand.Reader, pub.N.BitLen())
		if err != nil {
			b.Fatal(err)
		}
		sig, err := rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		if err != nil {
			b.Fatal(err)
		}
		return &k.PublicKey, digest[:], sig
	}
	b.Fatalf("unexpected key %T", cert.PublicKey)
	return nil, nil, nil
}

// BenchmarkRejectInflateBomb measures refusing an HC1 that inflates to
// 2.9 MB (RELIABILITY row 7: the goal is well under 50 ms and 1 MiB).
func BenchmarkRejectInflateBomb(b *testing.B) {
	bomb := []byte(demo.Encode(make([]byte, 2_900_000), true))
	v := verify.New(verify.NewTrust(), time.Now)
	b.ReportAllocs()
	for b.Loop() {
		if v.Verify(bomb).Reason != verify.ReasonTooLarge {
			b.Fatal("bomb not refused as too large")
		}
	}
}

// BenchmarkKIDCollision measures a pass whose kid is shared by the most keys
// a trust list may hold under one id, the right one last (RELIABILITY row
// 11: bounded in time).
func BenchmarkKIDCollision(b *testing.B) {
	right := issuer(b, "ec")
	qr, err := right.Issue(valid(vaccination()))
	if err != nil {
		b.Fatal(err)
	}
	tr := verify.NewTrust()
	for range 199 {
		other, err := demo.GenerateIssuer(demo.IssuerOptions{})
		if err != nil {
			b.Fatal(err)
		}
		tr.AddCertificate(other.Certificate(), right.KID(), "")
	}
	tr.AddCertificate(right.Certificate(), right.KID(), "")
	v := verify.New(tr, at(clock))
	b.ReportAllocs()
	for b.Loop() {
		if v.Verify([]byte(qr)).Verdict == verify.Pass {
			b.Fatal("a key past the bound was tried")
		}
	}
}
