package verify

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// base45Vectors are the examples of RFC 9285 §4.3 and §4.4, plus the empty
// string: the encoding has no padding, so nothing encodes to nothing.
var base45Vectors = []struct {
	name     string
	raw, enc string
}{
	{"empty", "", ""},
	{"AB", "AB", "BB8"},
	{"Hello!!", "Hello!!", "%69 VD92EX0"},
	{"base-45", "base-45", "UJCLQE7W581"},
	{"ietf!", "ietf!", "QED8WEX0"},
	// The edges strict decoding must still accept: the largest pair and
	// triplet, and zeros.
	{"largest pair", "\xff", "U5"},
	{"largest triplet", "\xff\xff", "FGW"},
	{"zeros", "\x00\x00\x00", "00000"},
}

// base45Invalid are inputs RFC 9285 §4.2 requires a decoder to reject. Each
// trips a different check of AppendBase45Decode.
var base45Invalid = []struct {
	name, in string
}{
	// G=16: 16 + 16*45 + 32*45*45 = 65536, one above what two bytes hold.
	{"triplet 65536", "GGW"},
	{"triplet 91124", ":::"},
	{"one character", "A"},
	{"four characters", "ABCD"},
	{"seven characters", "BB8BB8B"},
	{"high bytes", "\xff\xff\xff"},
	{"high byte last in triplet", "AB\x80"},
	{"high byte in pair", "A\x80"},
	{"lowercase", "ab"},
	{"lowercase in second triplet", "BB8bb8"},
	{"NUL", "BB\x00"},
	// 16 + 16*45 = 736: a final pair encodes one byte, so at most 255.
	{"pair 736", "GG"},
	{"pair 256", "V5"}, // 31 + 5*45 = 256, the smallest pair above a byte
	{"valid triplet then bad pair", "BB8GG"},
}

func TestBase45Encode(t *testing.T) {
	for _, tc := range base45Vectors {
		t.Run(tc.name, func(t *testing.T) {
			if got := Base45Encode([]byte(tc.raw)); got != tc.enc {
				t.Errorf("Base45Encode(%q) = %q, want %q", tc.raw, got, tc.enc)
			}
		})
	}
}

func TestBase45Decode(t *testing.T) {
	for _, tc := range base45Vectors {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Base45Decode(tc.enc)
			if err != nil {
				t.Fatalf("Base45Decode(%q): %v", tc.enc, err)
			}
			if string(got) != tc.raw {
				t.Errorf("Base45Decode(%q) = %q, want %q", tc.enc, got, tc.raw)
			}
		})
	}
}

func TestBase45DecodeInvalid(t *testing.T) {
	for _, tc := range base45Invalid {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Base45Decode(tc.in)
			if !errors.Is(err, ErrBase45) {
				t.Fatalf("Base45Decode(%q) = %q, %v; want an error wrapping ErrBase45", tc.in, got, err)
			}
			if len(got) != 0 {
				t.Errorf("Base45Decode(%q) returned %q with its error, want nothing", tc.in, got)
			}
		})
	}
}

// TestAppendBase45Decode checks that decoding appends rather than
// overwrites: the verifier decodes into a pooled buffer.
func TestAppendBase45Decode(t *testing.T) {
	for _, tc := range base45Vectors {
		t.Run(tc.name, func(t *testing.T) {
			for _, dst := range [][]byte{nil, []byte("prefix"), make([]byte, 2, 64)} {
				want := append(bytes.Clone(dst), tc.raw...)
				got, err := AppendBase45Decode(bytes.Clone(dst), []byte(tc.enc))
				if err != nil {
					t.Fatalf("AppendBase45Decode(%q, %q): %v", dst, tc.enc, err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("AppendBase45Decode(%q, %q) = %q, want %q", dst, tc.enc, got, want)
				}
			}
		})
	}
}

// TestAppendBase45DecodeInvalidKeepsDst checks the promise that an error
// returns dst as it was: a caller that reuses its buffer must not see half
// a decoding in it.
func TestAppendBase45DecodeInvalidKeepsDst(t *testing.T) {
	for _, tc := range base45Invalid {
		t.Run(tc.name, func(t *testing.T) {
			// Both with spare capacity (decoded in place) and without
			// (decoded into a new array).
			for _, capacity := range []int{6, 64} {
				dst := append(make([]byte, 0, capacity), "prefix"...)
				got, err := AppendBase45Decode(dst, []byte(tc.in))
				if !errors.Is(err, ErrBase45) {
					t.Fatalf("cap %d: AppendBase45Decode(%q) error = %v, want one wrapping ErrBase45", capacity, tc.in, err)
				}
				if string(got) != "prefix" {
					t.Errorf("cap %d: AppendBase45Decode(%q) returned dst %q, want %q", capacity, tc.in, got, "prefix")
				}
				if string(dst) != "prefix" {
					t.Errorf("cap %d: AppendBase45Decode(%q) changed the caller's bytes to %q", capacity, tc.in, dst)
				}
			}
		})
	}
}

func TestBase45DecodedLen(t *testing.T) {
	for _, tc := range []struct{ n, want int }{
		{0, 0}, {2, 1}, {3, 2}, {5, 3}, {6, 4}, {8, 5}, {9, 6}, {11, 7},
	} {
		if got := Base45DecodedLen(tc.n); got != tc.want {
			t.Errorf("Base45DecodedLen(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
	// Every length the encoder produces must size its decoding exactly,
	// or AppendBase45Decode would write past or short of its buffer.
	for n := 0; n <= 100; n++ {
		enc := Base45Encode(make([]byte, n))
		if got := Base45DecodedLen(len(enc)); got != n {
			t.Errorf("Base45DecodedLen(%d) = %d for the encoding of %d bytes", len(enc), got, n)
		}
	}
}

// FuzzBase45 treats its input two ways: as bytes to encode, which must come
// back unchanged, and as text to decode, which must never panic. Because
// decoding is strict, a string that decodes is the one canonical encoding of
// its bytes: re-encoding gives it back.
func FuzzBase45(f *testing.F) {
	for _, tc := range base45Vectors {
		f.Add([]byte(tc.raw))
		f.Add([]byte(tc.enc))
	}
	for _, tc := range base45Invalid {
		f.Add([]byte(tc.in))
	}
	// Real issuers' base45, from the EU test data when it is there.
	for _, qr := range dgcQRSeeds() {
		f.Add([]byte(strings.TrimPrefix(qr, PrefixDCC)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		enc := Base45Encode(b)
		if len(enc) != len(b)/2*3+len(b)%2*2 {
			t.Errorf("Base45Encode(%q) has %d characters, want %d", b, len(enc), len(b)/2*3+len(b)%2*2)
		}
		dec, err := Base45Decode(enc)
		if err != nil {
			t.Fatalf("Base45Decode(Base45Encode(%q)) = %v", b, err)
		}
		if !bytes.Equal(dec, b) {
			t.Fatalf("Base45Decode(Base45Encode(%q)) = %q", b, dec)
		}

		s := string(b)
		out, err := Base45Decode(s)
		if err != nil {
			if !errors.Is(err, ErrBase45) {
				t.Fatalf("Base45Decode(%q) error %v does not wrap ErrBase45", s, err)
			}
			return
		}
		if back := Base45Encode(out); back != s {
			t.Fatalf("Base45Decode(%q) = %q, which encodes to %q: decoding is not strict", s, out, back)
		}
	})
}

func ExampleBase45Encode() {
	fmt.Println(Base45Encode([]byte("Hello!!")))
	// Output: %69 VD92EX0
}

func ExampleBase45Decode() {
	b, err := Base45Decode("QED8WEX0")
	fmt.Printf("%s %v\n", b, err)

	// A triplet above 65535 cannot come from two bytes: strict decoding
	// refuses it rather than wrapping around.
	_, err = Base45Decode("GGW")
	fmt.Println(errors.Is(err, ErrBase45))
	// Output:
	// ietf! <nil>
	// true
}
