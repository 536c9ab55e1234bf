package verify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"math/big"
	"runtime"
	"sync/atomic"

	"filippo.io/nistec"
)

// ES256 verification with a table per signing key.
//
// The P-256 check is most of what a scan costs (about 87 of 100 µs on
// amd64, more on a board without P-256 assembly). Of it, about three
// quarters is u2·Q, the scalar multiple of the signer's public key: the
// generator's multiple uses tables built into the library, the key's is
// computed from scratch every time (256 doublings). A key that signs many
// passes gets a table of its own here, a Lim-Lee comb of 8 teeth (256
// points, 24 KiB), which turns u2·Q into 31 doublings and at most 32
// additions: the whole check takes about half the time.
//
// The arithmetic is Go's own P-256 (crypto/internal/fips140/nistec,
// published as filippo.io/nistec); this file adds only the comb and the
// ECDSA verification equation (SEC 1 §4.1.4), and the tests hold it to
// crypto/ecdsa on every input they make. Nothing here is secret, so
// nothing needs constant time.

// combAfter is the number of passes a key verifies the ordinary way before
// it gets a table: a key that signs one pass is not worth 24 KiB and a
// table's build (about three checks' time), and a key that never verifies
// anything (a hostile list's colliding keys) never gets one.
const combAfter = 4

// maxCombs bounds the tables alive at once, so a list of ten thousand keys,
// all in use, costs at most this many (1.5 MiB); the rest are checked the
// ordinary way.
const maxCombs = 64

var combs atomic.Int32 // tables alive

// p256Order is n, the order of the P-256 group.
var p256Order = elliptic.P256().Params().N

// p256Comb is T[m] = Σ_j m_j·2^(32j)·Q for every byte m: the comb of a
// public key Q.
type p256Comb [256]nistec.P256Point

var errNotP256 = errors.New("verify: not a P-256 key")

func newP256Comb(pub *ecdsa.PublicKey) (*p256Comb, error) {
	if pub.Curve != elliptic.P256() {
		return nil, errNotP256
	}
	var enc [65]byte
	enc[0] = 4
	pub.X.FillBytes(enc[1:33])
	pub.Y.FillBytes(enc[33:])
	q, err := nistec.NewP256Point().SetBytes(enc[:]) // checks that Q is on the curve
	if err != nil {
		return nil, err
	}
	var teeth [8]nistec.P256Point // 2^(32j)·Q
	teeth[0].Set(q)
	for j := 1; j < len(teeth); j++ {
		teeth[j].Set(&teeth[j-1])
		for range 32 {
			teeth[j].Double(&teeth[j])
		}
	}
	t := new(p256Comb)
	t[0].Set(nistec.NewP256Point()) // the point at infinity
	for m := 1; m < len(t); m++ {
		low := m & -m // T[m] = T[m without its lowest bit] + that bit's tooth
		j := 0
		for 1<<j != low {
			j++
		}
		t[m].Add(&t[m&^low], &teeth[j])
	}
	return t, nil
}

// mul returns k·Q, k a 32-byte big-endian scalar.
func (t *p256Comb) mul(k *[32]byte) *nistec.P256Point {
	r := nistec.NewP256Point()
	for i := 31; i >= 0; i-- {
		r.Double(r)
		m := 0
		for j := range 8 {
			bit := 32*j + i // bit 32j+i of k
			m |= int(k[31-bit/8]>>(bit%8)&1) << j
		}
		if m != 0 {
			r.Add(r, &t[m])
		}
	}
	return r
}

// verify reports whether sig, r‖s of 32 bytes each (the COSE form), is a
// valid ECDSA signature of digest (SHA-256) by Q.
func (t *p256Comb) verify(digest, sig []byte) bool {
	if len(sig) != 64 || len(digest) != 32 {
		return false
	}
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	if r.Sign() <= 0 || s.Sign() <= 0 || r.Cmp(p256Order) >= 0 || s.Cmp(p256Order) >= 0 {
		return false
	}
	// The digest is as long as the order: no truncation (SEC 1 §4.1.4
	// step 3).
	e := new(big.Int).SetBytes(digest)
	w := new(big.Int).ModInverse(s, p256Order)
	u1 := e.Mul(e, w)
	u1.Mod(u1, p256Order)
	u2 := w.Mul(r, w)
	u2.Mod(u2, p256Order)
	var k1, k2 [32]byte
	u1.FillBytes(k1[:])
	u2.FillBytes(k2[:])
	x, err := nistec.NewP256Point().ScalarBaseMult(k1[:])
	if err != nil {
		return false
	}
	x.Add(x, t.mul(&k2))
	xb, err := x.BytesX() // an error at the point at infinity
	if err != nil {
		return false
	}
	v := new(big.Int).SetBytes(xb)
	v.Mod(v, p256Order)
	return v.Cmp(r) == 0
}

// verifyDigest checks sig over digest with the signer's key: with its
// table once it has one, else the ordinary way, and counts what an ES256
// key verifies until it is worth a table.
func (s *signer) verifyDigest(digest, sig []byte) bool {
	if t := s.comb.Load(); t != nil {
		return t.verify(digest, sig)
	}
	ok := s.verifier.VerifyDigest(digest, sig) == nil
	if ok && s.es256 && s.uses.Add(1) == combAfter {
		s.buildComb()
	}
	return ok
}

// buildComb gives the signer its table, within maxCombs; a signer that is
// dropped (a newer list) gives its place back.
func (s *signer) buildComb() {
	if combs.Add(1) > maxCombs {
		combs.Add(-1)
		return
	}
	pub, _ := s.key.(*ecdsa.PublicKey)
	if pub == nil {
		combs.Add(-1)
		return
	}
	t, err := newP256Comb(pub)
	if err != nil {
		combs.Add(-1)
		return
	}
	s.comb.Store(t)
	runtime.AddCleanup(s, func(*atomic.Int32) { combs.Add(-1) }, &combs)
}
