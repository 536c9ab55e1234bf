package trustsrc_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"munjigi/internal/shareddata"
	"munjigi/trustsrc"
)

// The real sources in ../shared/testdata/trust-sources. Other versions of
// both are used to check this package, so nothing here counts on this
// copy: the expectations are floors computed from the source itself
// (at least 99% of its DSCs, of its issuers with a P-256 key), and every
// mended value is counted in the source independently of the converter.

type realDE struct {
	list []byte
	v    trustsrc.Verification
}

func loadRealDE(t testing.TB) realDE {
	t.Helper()
	dir := shareddata.Path(t, "trust-sources", "de-dscg")
	v, err := trustsrc.ReadVerification(filepath.Join(dir, "dsc-list-signing-key.pem"), "", "", false)
	if err != nil {
		t.Fatal(err)
	}
	return realDE{readFile(t, filepath.Join(dir, "dsc-list.json")), v}
}

type realVCI struct {
	snapshot []byte
	v        trustsrc.Verification
}

func loadRealVCI(t testing.TB) realVCI {
	t.Helper()
	dir := shareddata.Path(t, "trust-sources", "vci-directory")
	v, err := trustsrc.ReadVerification("", filepath.Join(dir, "vci_snapshot.crt"), filepath.Join(dir, "vci_snapshot.sig"), false)
	if err != nil {
		t.Fatal(err)
	}
	return realVCI{readFile(t, filepath.Join(dir, "vci_snapshot.json")), v}
}

// TestRealDEDSCG: the German backend's list: at least 99% of its DSCs
// kept, all of them loading into the kiosk without a warning.
func TestRealDEDSCG(t *testing.T) {
	src := loadRealDE(t)
	// The source's DSCs, counted without the converter.
	var body struct {
		Certificates []struct {
			CertificateType string `json:"certificateType"`
		} `json:"certificates"`
	}
	if err := json.Unmarshal(src.list[bytes.IndexByte(src.list, '\n')+1:], &body); err != nil {
		t.Fatal(err)
	}
	dscs := 0
	for _, c := range body.Certificates {
		if strings.EqualFold(c.CertificateType, "DSC") {
			dscs++
		}
	}
	if dscs == 0 {
		t.Fatal("no DSC in the source")
	}

	var out bytes.Buffer
	rep, err := trustsrc.Convert(&out, trustsrc.DEDSCG, bytes.NewReader(src.list), src.v)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	t.Log(text.String())
	if rep.Read != len(body.Certificates) || rep.Kept*100 < dscs*99 {
		t.Errorf("read %d of %d entries, kept %d of %d DSCs: under 99%%", rep.Read, len(body.Certificates), rep.Kept, dscs)
	}
	tr := load(t, out.Bytes())
	if tr.Signers()*100 < dscs*99 {
		t.Errorf("the kiosk holds %d signers of %d DSCs", tr.Signers(), dscs)
	}
	// The kiosk warns only of what the converter said cannot sign passes.
	cannot := 0
	for _, w := range rep.Warnings {
		if strings.Contains(w.What, "cannot sign passes") {
			cannot++
		}
	}
	if len(tr.Warnings()) != cannot {
		t.Errorf("the kiosk warns %d times (%q); the converter flagged %d", len(tr.Warnings()), tr.Warnings(), cannot)
	}
}

// TestRealDEDSCGRefusesChanges: the real list with one byte changed, cut,
// or checked with the wrong key is refused, and nothing is written.
func TestRealDEDSCGRefusesChanges(t *testing.T) {
	src := loadRealDE(t)
	nl := bytes.IndexByte(src.list, '\n')
	sig, err := base64.StdEncoding.DecodeString(string(src.list[:nl]))
	if err != nil {
		t.Fatal(err)
	}
	sig[0] ^= 1
	otherSig := append([]byte(base64.StdEncoding.EncodeToString(sig)), src.list[nl:]...)
	fixtures(t)
	for _, c := range []struct {
		name string
		list []byte
		v    trustsrc.Verification
	}{
		{"first byte of the body", flip(src.list, nl+1), src.v},
		{"a byte in the middle", flip(src.list, nl+len(src.list)/2), src.v},
		{"the last byte", flip(src.list, len(src.list)-1), src.v},
		{"the signature", otherSig, src.v},
		{"the last byte cut", src.list[:len(src.list)-1], src.v},
		{"half of it", src.list[:len(src.list)/2], src.v},
		{"another key", src.list, trustsrc.Verification{Key: &backendKey.PublicKey}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := trustsrc.Convert(&out, trustsrc.DEDSCG, bytes.NewReader(c.list), c.v)
			if !errors.Is(err, trustsrc.ErrSignature) || out.Len() != 0 {
				t.Fatalf("err %v, %d bytes written", err, out.Len())
			}
		})
	}
}

// TestRealVCISnapshot: the VCI directory: at least 99% of its issuers with
// a P-256 key kept, the revocation lists carried over, every string
// counter and short coordinate of the source mended, and the kiosk loading
// all of it.
func TestRealVCISnapshot(t *testing.T) {
	src := loadRealVCI(t)
	// What the source holds, counted without the converter.
	var snap struct {
		IssuerInfo []struct {
			Issuer struct {
				Iss string `json:"iss"`
			} `json:"issuer"`
			Keys []map[string]any `json:"keys"`
			CRLs []map[string]any `json:"crls"`
		} `json:"issuerInfo"`
	}
	if err := json.Unmarshal(src.snapshot, &snap); err != nil {
		t.Fatal(err)
	}
	// The entries the converter must mend (or, for a key, may skip for
	// another reason), by the names its report gives them.
	p256Issuers, crls := 0, 0
	var mendKeys, mendCRLs []string
	for i, is := range snap.IssuerInfo {
		name := fmt.Sprintf("issuerInfo[%d] (%s)", i, is.Issuer.Iss)
		hasP256 := false
		for j, k := range is.Keys {
			if k["kty"] == "EC" && k["crv"] == "P-256" {
				hasP256 = true
			}
			short := false
			for _, c := range []string{"x", "y"} {
				s, _ := k[c].(string)
				if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "=")); err == nil && len(b) < 32 {
					short = true
				}
			}
			if _, ok := k["crlVersion"].(string); ok || short {
				mendKeys = append(mendKeys, fmt.Sprintf("%s key %d", name, j))
			}
		}
		if hasP256 {
			p256Issuers++
		}
		crls += len(is.CRLs)
		for j, c := range is.CRLs {
			if _, ok := c["ctr"].(string); ok {
				mendCRLs = append(mendCRLs, fmt.Sprintf("%s revocation list %d", name, j))
			}
		}
	}
	if p256Issuers == 0 {
		t.Fatal("no P-256 issuer in the source")
	}

	var out bytes.Buffer
	rep, err := trustsrc.Convert(&out, trustsrc.VCISnapshot, bytes.NewReader(src.snapshot), src.v)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	t.Log(text.String())
	if rep.Issuers != len(snap.IssuerInfo) || rep.IssuersKept*100 < p256Issuers*99 {
		t.Errorf("kept %d of %d issuers with a P-256 key: under 99%%", rep.IssuersKept, p256Issuers)
	}
	if rep.CRLs*100 < crls*99 {
		t.Errorf("%d of the source's %d revocation lists carried over", rep.CRLs, crls)
	}
	noted := func(notes []trustsrc.Note, entry string) bool {
		for _, n := range notes {
			if n.Entry == entry || strings.HasPrefix(n.Entry, entry+" (") {
				return true
			}
		}
		return false
	}
	for _, e := range mendKeys {
		if !noted(rep.Normalised, e) && !noted(rep.Skipped, e) {
			t.Errorf("%s: a short coordinate or a crlVersion string, neither mended nor skipped", e)
		}
	}
	for _, e := range mendCRLs {
		if !noted(rep.Normalised, e) {
			t.Errorf("%s: a ctr string not mended", e)
		}
	}
	t.Logf("the source: %d keys and %d revocation lists to mend", len(mendKeys), len(mendCRLs))

	tr := load(t, out.Bytes())
	if tr.SHCIssuers()*100 < p256Issuers*99 {
		t.Errorf("the kiosk trusts %d of %d issuers", tr.SHCIssuers(), p256Issuers)
	}
	// The kiosk loads every issuer without a word, except those whose kid
	// the converter said is taken over the short spelling (verify's part:
	// TestKidOverShortCoordinates).
	var shortKid []string
	for _, w := range rep.Warnings {
		if strings.Contains(w.What, "leading zero bytes dropped") {
			shortKid = append(shortKid, w.Entry[strings.Index(w.Entry, "(")+1:strings.Index(w.Entry, ")")])
		}
	}
	for _, w := range tr.Warnings() {
		known := false
		for _, iss := range shortKid {
			known = known || strings.Contains(w, iss+":")
		}
		if !known {
			t.Errorf("the kiosk warns of a sound entry: %s", w)
		}
	}
	if len(tr.Warnings()) > 0 {
		t.Logf("the kiosk does not yet use the keys of %d issuers whose kid is over a short x: %q", len(shortKid), shortKid)
	}
}

// TestRealVCISnapshotRefusesChanges: the real snapshot with one byte
// changed, cut, or checked with another certificate is refused.
func TestRealVCISnapshotRefusesChanges(t *testing.T) {
	src := loadRealVCI(t)
	fixtures(t)
	other := src.v
	other.Cert = dirCert
	for _, c := range []struct {
		name string
		data []byte
		v    trustsrc.Verification
	}{
		{"the first byte", flip(src.snapshot, 0), src.v},
		{"a byte in the middle", flip(src.snapshot, len(src.snapshot)/2), src.v},
		{"the last byte", flip(src.snapshot, len(src.snapshot)-1), src.v},
		{"the last byte cut", src.snapshot[:len(src.snapshot)-1], src.v},
		{"another certificate", src.snapshot, other},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := trustsrc.Convert(&out, trustsrc.VCISnapshot, bytes.NewReader(c.data), c.v)
			if !errors.Is(err, trustsrc.ErrSignature) || out.Len() != 0 {
				t.Fatalf("err %v, %d bytes written", err, out.Len())
			}
		})
	}
}

// TestRealDEDSCGAsFile: the real list read as the command reads it, from
// a file, and refused at once when the file is over the cap.
func TestRealDEDSCGAsFile(t *testing.T) {
	dir := shareddata.Path(t, "trust-sources", "de-dscg")
	src := loadRealDE(t)
	f, err := os.Open(filepath.Join(dir, "dsc-list.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v := src.v
	v.MaxSize = int64(len(src.list)) - 1
	var out bytes.Buffer
	if _, err := trustsrc.Convert(&out, trustsrc.DEDSCG, f, v); !errors.Is(err, trustsrc.ErrTooLarge) {
		t.Fatalf("err %v", err)
	}
	if pos, _ := f.Seek(0, 1); pos != 0 {
		t.Errorf("%d bytes read of a file known to be too large", pos)
	}
}

// TestRealDEDSCGMemory: converting the German list stays well under the
// 40 MB a kiosk board can spare (the heap sampled while it runs).
func TestRealDEDSCGMemory(t *testing.T) {
	src := loadRealDE(t)
	peak := peakHeap(func() {
		var out bytes.Buffer
		if _, err := trustsrc.Convert(&out, trustsrc.DEDSCG, bytes.NewReader(src.list), src.v); err != nil {
			t.Error(err)
		}
	})
	t.Logf("peak heap %.1f MB converting a %.1f MB list", float64(peak)/1e6, float64(len(src.list))/1e6)
	if peak > 40e6 {
		t.Errorf("peak heap %.1f MB", float64(peak)/1e6)
	}
}

// peakHeap runs f and returns the most heap its objects held at any
// sample (every 100 µs, and at the end). Sampling can miss a peak between
// samples, never invent one.
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		peak := read()
		tick := time.NewTicker(100 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				done <- max(peak, read())
				return
			case <-tick.C:
				peak = max(peak, read())
			}
		}
	}()
	f()
	close(stop)
	return <-done
}
