package verify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"testing"

	"filippo.io/nistec"
)

func p256Key(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func p256Point(t testing.TB, pub *ecdsa.PublicKey) *nistec.P256Point {
	t.Helper()
	enc := elliptic.Marshal(elliptic.P256(), pub.X, pub.Y) //nolint:staticcheck // the encoding of a public key
	p, err := nistec.NewP256Point().SetBytes(enc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func scalar32(n *big.Int) *[32]byte {
	var b [32]byte
	n.FillBytes(b[:])
	return &b
}

// TestP256CombMul: the comb's k·Q is the library's, for scalars at every
// edge (0, 1, the order and around it, single bits, all bits) and at
// random.
func TestP256CombMul(t *testing.T) {
	n := p256Order
	one := big.NewInt(1)
	scalars := []*big.Int{
		big.NewInt(0), one, big.NewInt(2), big.NewInt(255), big.NewInt(256),
		new(big.Int).Sub(n, one), new(big.Int).Sub(n, big.NewInt(2)), n, new(big.Int).Add(n, one),
		new(big.Int).Lsh(one, 31), new(big.Int).Lsh(one, 32), new(big.Int).Lsh(one, 255),
		new(big.Int).Sub(new(big.Int).Lsh(one, 256), one),
	}
	for range 40 {
		k, _ := rand.Int(rand.Reader, new(big.Int).Lsh(one, 256))
		scalars = append(scalars, k)
	}
	for i := range 3 {
		key := p256Key(t)
		comb, err := newP256Comb(&key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		q := p256Point(t, &key.PublicKey)
		for _, k := range scalars {
			want, err := nistec.NewP256Point().ScalarMult(q, scalar32(k)[:])
			if err != nil {
				t.Fatal(err)
			}
			if got := comb.mul(scalar32(k)); hex.EncodeToString(got.Bytes()) != hex.EncodeToString(want.Bytes()) {
				t.Errorf("key %d: %x·Q differs from the library's", i, k)
			}
		}
	}
}

// combCase is a signature to check and what crypto/ecdsa says of it.
type combCase struct {
	name         string
	digest, sig  []byte
	differentKey bool
}

func combCases(t testing.TB, key *ecdsa.PrivateKey) []combCase {
	digest := sha256.Sum256([]byte("a pass"))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	n := p256Order
	sig := func(r, s *big.Int) []byte {
		b := make([]byte, 64)
		r.FillBytes(b[:32])
		s.FillBytes(b[32:])
		return b
	}
	add := func(a *big.Int, d int64) *big.Int { return new(big.Int).Add(a, big.NewInt(d)) }
	other := sha256.Sum256([]byte("another pass"))
	zero := sha256.Sum256(nil)
	var allZero [32]byte
	return []combCase{
		{"genuine", digest[:], sig(r, s), false},
		{"high s (n−s)", digest[:], sig(r, new(big.Int).Sub(n, s)), false},
		{"s + 1", digest[:], sig(r, add(s, 1)), false},
		{"r + 1", digest[:], sig(add(r, 1), s), false},
		{"r zero", digest[:], sig(big.NewInt(0), s), false},
		{"s zero", digest[:], sig(r, big.NewInt(0)), false},
		{"r = n", digest[:], sig(n, s), false},
		{"s = n", digest[:], sig(r, n), false},
		{"r = n − 1", digest[:], sig(add(n, -1), s), false},
		{"another digest", other[:], sig(r, s), false},
		{"the empty message's digest", zero[:], sig(r, s), false},
		{"a zero digest", allZero[:], sig(r, s), false},
		{"another key", digest[:], sig(r, s), true},
		{"short", digest[:], sig(r, s)[:63], false},
		{"long", digest[:], append(sig(r, s), 0), false},
		{"empty", digest[:], nil, false},
	}
}

// ecdsaSays is crypto/ecdsa's verdict on a COSE (r‖s) signature.
func ecdsaSays(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	return ecdsa.Verify(pub, digest, new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
}

// TestP256CombVerify: the comb's verdict is crypto/ecdsa's on genuine,
// malleated, altered, out-of-range and misshapen signatures.
func TestP256CombVerify(t *testing.T) {
	key, stranger := p256Key(t), p256Key(t)
	comb, err := newP256Comb(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	strangerComb, err := newP256Comb(&stranger.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range combCases(t, key) {
		tb, pub := comb, &key.PublicKey
		if c.differentKey {
			tb, pub = strangerComb, &stranger.PublicKey
		}
		want := ecdsaSays(pub, c.digest, c.sig)
		if got := tb.verify(c.digest, c.sig); got != want {
			t.Errorf("%s: the comb says %v, crypto/ecdsa %v", c.name, got, want)
		}
		if c.name == "genuine" && !want || c.name == "s + 1" && want {
			t.Fatalf("%s: crypto/ecdsa says %v: the case is not what it says", c.name, want)
		}
	}
	// Many genuine signatures, and each one altered.
	for i := range 50 {
		d := sha256.Sum256([]byte{byte(i)})
		b, err := ecdsa.SignASN1(rand.Reader, key, d[:])
		if err != nil {
			t.Fatal(err)
		}
		r, s := asn1Sig(t, b)
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		if !comb.verify(d[:], sig) {
			t.Fatalf("genuine signature %d refused", i)
		}
		sig[i%64] ^= 1 << (i % 8)
		if got, want := comb.verify(d[:], sig), ecdsaSays(&key.PublicKey, d[:], sig); got != want {
			t.Errorf("altered signature %d: the comb says %v, crypto/ecdsa %v", i, got, want)
		}
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if _, err := newP256Comb(&p384.PublicKey); err == nil {
		t.Error("a table for a P-384 key")
	}
}

func asn1Sig(t testing.TB, b []byte) (r, s *big.Int) {
	t.Helper()
	var v struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v.R, v.S
}

// FuzzP256Comb holds the comb to crypto/ecdsa on any digest and signature.
func FuzzP256Comb(f *testing.F) {
	key := p256Key(f)
	comb, err := newP256Comb(&key.PublicKey)
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range combCases(f, key) {
		if !c.differentKey {
			f.Add(c.digest, c.sig)
		}
	}
	f.Fuzz(func(t *testing.T, digest, sig []byte) {
		if len(digest) != 32 {
			return // SHA-256 digests only
		}
		if got, want := comb.verify(digest, sig), ecdsaSays(&key.PublicKey, digest, sig); got != want {
			t.Fatalf("the comb says %v, crypto/ecdsa %v", got, want)
		}
	})
}
