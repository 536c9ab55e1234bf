// Command baseline is the straightforward library pipeline that 'munjigi
// verify' is measured against (e2e's BenchmarkVerifyBatch): the EU DCC
// checked the way a short program built on the libraries would check it,
// one process, one pass after another.
//
//	baseline TRUST.json < passes.txt
//
// For each line of standard input: strip "HC1:", base45-decode, inflate
// with a zlib reader reused from a pool, decode the COSE_Sign1
// (veraison/go-cose, on fxamacker/cbor), find the trusted key by the kid
// of the protected header (else the unprotected one), verify the
// signature, decode the CWT claims (fxamacker/cbor) and check iat <= now
// <= exp. It prints one word a line: pass or fail. It reads munjigi's
// trust-list format ({"dsc":[{"kid","certificate"}]}, base64).
//
// It is deliberately not munjigi: no schema, key-usage, signer-validity or
// revocation check, no JSON line, no size caps; and it imports nothing of
// munjigi's, so it pays none of munjigi's start-up.
package main

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: baseline TRUST.json < passes.txt")
		os.Exit(2)
	}
	keys, err := readTrust(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<10), 64<<10)
	now := time.Now()
	for in.Scan() {
		if err := check(keys, in.Bytes(), now); err != nil {
			out.WriteString("fail\n")
		} else {
			out.WriteString("pass\n")
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(2)
	}
	if err := out.Flush(); err != nil {
		os.Exit(2)
	}
}

// readTrust reads the document signers of a munjigi trust list, by kid.
func readTrust(path string) (map[string][]cose.Verifier, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list struct {
		DSC []struct {
			KID         string `json:"kid"`
			Certificate string `json:"certificate"`
		} `json:"dsc"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, err
	}
	keys := map[string][]cose.Verifier{}
	for _, d := range list.DSC {
		der, err := base64.StdEncoding.DecodeString(d.Certificate)
		if err != nil {
			return nil, err
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		alg := cose.AlgorithmES256
		if cert.PublicKeyAlgorithm == x509.RSA {
			alg = cose.AlgorithmPS256
		}
		v, err := cose.NewVerifier(alg, cert.PublicKey)
		if err != nil {
			return nil, err
		}
		kid, err := base64.StdEncoding.DecodeString(d.KID)
		if err != nil {
			return nil, err
		}
		keys[string(kid)] = append(keys[string(kid)], v)
	}
	return keys, nil
}

var zlibPool sync.Pool

func inflate(b []byte) ([]byte, error) {
	var zr io.ReadCloser
	if p, ok := zlibPool.Get().(io.ReadCloser); ok {
		if err := p.(zlib.Resetter).Reset(bytes.NewReader(b), nil); err != nil {
			return nil, err
		}
		zr = p
	} else {
		var err error
		if zr, err = zlib.NewReader(bytes.NewReader(b)); err != nil {
			return nil, err
		}
	}
	defer zlibPool.Put(zr)
	return io.ReadAll(zr)
}

type claims struct {
	Iss   string          `cbor:"1,keyasint"`
	Exp   int64           `cbor:"4,keyasint"`
	Iat   int64           `cbor:"6,keyasint"`
	HCert cbor.RawMessage `cbor:"-260,keyasint"`
}

func check(keys map[string][]cose.Verifier, line []byte, now time.Time) error {
	text, ok := bytes.CutPrefix(line, []byte("HC1:"))
	if !ok {
		return errors.New("not HC1")
	}
	raw, err := base45(text)
	if err != nil {
		return err
	}
	data, err := inflate(raw)
	if err != nil {
		return err
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(data); err != nil {
		return err
	}
	kid, _ := msg.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
	if len(kid) == 0 {
		kid, _ = msg.Headers.Unprotected[cose.HeaderLabelKeyID].([]byte)
	}
	err = errors.New("unknown signer")
	for _, v := range keys[string(kid)] {
		if err = msg.Verify(nil, v); err == nil {
			break
		}
	}
	if err != nil {
		return err
	}
	var c claims
	if err := cbor.Unmarshal(msg.Payload, &c); err != nil {
		return err
	}
	if c.HCert == nil || now.Unix() < c.Iat || now.Unix() > c.Exp {
		return errors.New("not valid now")
	}
	return nil
}

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var digit = func() (d [256]int) {
	for i := range d {
		d[i] = -1
	}
	for i, c := range alphabet {
		d[c] = i
	}
	return d
}()

// base45 is the straightforward decoder of RFC 9285.
func base45(s []byte) ([]byte, error) {
	out := make([]byte, 0, len(s)*2/3+1)
	for i := 0; i < len(s); i += 3 {
		n := min(3, len(s)-i)
		if n == 1 {
			return nil, errors.New("base45: dangling character")
		}
		v, m := 0, 1
		for j := range n {
			d := digit[s[i+j]]
			if d < 0 {
				return nil, errors.New("base45: not in the alphabet")
			}
			v += d * m
			m *= 45
		}
		if n == 3 {
			if v > 0xffff {
				return nil, errors.New("base45: out of range")
			}
			out = append(out, byte(v>>8), byte(v))
		} else {
			if v > 0xff {
				return nil, errors.New("base45: out of range")
			}
			out = append(out, byte(v))
		}
	}
	return out, nil
}
