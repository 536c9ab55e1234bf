package verify

import (
	"errors"
	"fmt"
)

// Base45 (RFC 9285) is the text encoding of an HC1 QR: it fits the QR
// alphanumeric mode, so a pass needs a smaller code than base64 would.

const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// ErrBase45 is wrapped by every base45 decoding error.
var ErrBase45 = errors.New("verify: invalid base45")

// base45Value maps a character to its value, or 0xff when the character is
// not in the alphabet. RFC 9285 has no lowercase letters and no padding.
var base45Value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = byte(i)
	}
	return t
}()

// Base45DecodedLen is the number of bytes that n base45 characters decode
// to, for a valid length.
func Base45DecodedLen(n int) int { return n/3*2 + n%3/2 }

// AppendBase45Decode appends the decoding of src to dst. It is strict, as
// RFC 9285 §4.2 asks: a length of 1 modulo 3, a character outside the
// alphabet, a triplet above 65535 or a trailing pair above 255 is an error,
// and dst is returned unchanged with it.
func AppendBase45Decode(dst, src []byte) ([]byte, error) {
	if len(src)%3 == 1 {
		return dst, fmt.Errorf("%w: length %d leaves a single character", ErrBase45, len(src))
	}
	start := len(dst)
	dst = grow(dst, Base45DecodedLen(len(src)))
	out := dst[start:]
	o := 0
	for i := 0; i < len(src); i += 3 {
		c, d := base45Value[src[i]], base45Value[src[i+1]]
		if c == 0xff {
			return dst[:start], badChar(src, i)
		}
		if d == 0xff {
			return dst[:start], badChar(src, i+1)
		}
		v := uint32(c) + uint32(d)*45
		if i+2 == len(src) {
			if v > 0xff {
				return dst[:start], fmt.Errorf("%w: final pair at %d is %d, above 255", ErrBase45, i, v)
			}
			out[o] = byte(v)
			o++
			break
		}
		e := base45Value[src[i+2]]
		if e == 0xff {
			return dst[:start], badChar(src, i+2)
		}
		v += uint32(e) * 45 * 45
		if v > 0xffff {
			return dst[:start], fmt.Errorf("%w: triplet at %d is %d, above 65535", ErrBase45, i, v)
		}
		out[o], out[o+1] = byte(v>>8), byte(v)
		o += 2
	}
	return dst[:start+o], nil
}

func badChar(src []byte, i int) error {
	return fmt.Errorf("%w: byte 0x%02x at %d is not in the alphabet", ErrBase45, src[i], i)
}

// Base45Decode decodes a base45 string; see AppendBase45Decode.
func Base45Decode(s string) ([]byte, error) {
	return AppendBase45Decode(nil, []byte(s))
}

// Base45Encode encodes b as RFC 9285 base45.
func Base45Encode(b []byte) string {
	out := make([]byte, 0, len(b)/2*3+len(b)%2*2)
	for i := 0; i+1 < len(b); i += 2 {
		v := uint32(b[i])<<8 | uint32(b[i+1])
		out = append(out, base45Alphabet[v%45], base45Alphabet[v/45%45], base45Alphabet[v/(45*45)])
	}
	if len(b)%2 == 1 {
		v := b[len(b)-1]
		out = append(out, base45Alphabet[v%45], base45Alphabet[v/45])
	}
	return string(out)
}

// grow returns b with room for n more bytes, extended to that length.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}
