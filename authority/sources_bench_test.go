package authority

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/upstream"
	"munjigi/verify"
)

// A national source: 10,000 document signers in a de-dscg list (about
// what the EU's gateway holds), each certificate about 1 KB as real DSCs
// are, each entry with a CMS signature of the size real ones have.

const benchDSCs = 10_000

var (
	benchDERsOnce sync.Once
	benchDERs     [][]byte
)

func nationalDERs(b *testing.B) [][]byte {
	b.Helper()
	benchDERsOnce.Do(func() {
		ca, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		// Real DSCs carry about 600 bytes more than a bare certificate:
		// policies, key identifiers, CRL distribution points.
		filler := make([]byte, 600)
		rand.Read(filler)
		for i := range benchDSCs {
			tmpl := &x509.Certificate{
				SerialNumber:    big.NewInt(int64(i + 1)),
				Subject:         pkix.Name{CommonName: "DSC national bench", Country: []string{"DE"}, Organization: []string{"Signing authority"}},
				NotBefore:       time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
				NotAfter:        time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
				KeyUsage:        x509.KeyUsageDigitalSignature,
				ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Value: filler}},
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), ca)
			if err != nil {
				panic(err)
			}
			benchDERs = append(benchDERs, der)
		}
	})
	return benchDERs
}

// nationalList is the de-dscg list of the DSCs, with a real-sized CMS
// signature in each entry, signed by key.
func nationalList(b *testing.B, key *ecdsa.PrivateKey, ders [][]byte) []byte {
	b.Helper()
	cms := make([]byte, 1500)
	rand.Read(cms)
	entries := make([]any, len(ders))
	for i, der := range ders {
		e := deEntry(der, "DE")
		e["signature"] = base64.StdEncoding.EncodeToString(cms)
		entries[i] = e
	}
	body, err := json.Marshal(map[string]any{"certificates": entries})
	if err != nil {
		b.Fatal(err)
	}
	return signDEBody(b, key, body)
}

// BenchmarkPublishNational rebuilds and publishes the list of a server
// whose list/ declares a 10,000-DSC national list: each round, a new
// version of the source (one signer more or less) is converted (its
// signature checked), kept in the store, merged with trust.json and
// signed. Reported: the list's size, and the heap's peak over one
// rebuild with the collector at GOGC=10 (so the peak is near what is
// live), beside the same list built as it was before key sources: a
// trust.json holding the 10,000 (as jq made it), checked as a kiosk reads
// it, kept as a document, marshalled and signed by upstream.Sign.
func BenchmarkPublishNational(b *testing.B) {
	b.Run("bbolt", func(b *testing.B) { benchPublishNational(b, nil) })
	b.Run("postgres", func(b *testing.B) { benchPublishNational(b, openPostgres(b)) })
}

func benchPublishNational(b *testing.B, st Store) {
	p := newPublishers(b)
	ders := nationalDERs(b)
	versions := [2][]byte{nationalList(b, p.backend, ders[:benchDSCs-1]), nationalList(b, p.backend, ders)}
	dir := b.TempDir()
	l := newListDir(b, dir)
	l.write("trust.json", demo.TrustList(now0))
	l.write(euSpec.Key, pubPEM(b, p.backend))
	l.write(euSpec.File, versions[0])
	l.writeJSON(SourcesFile, []SourceSpec{euSpec})
	ts := newServer(b, Config{DataDir: dir}, st)
	if rep := ts.CheckList(); rep.List == nil || rep.Sources[0].State != SourceVerified {
		b.Fatalf("%+v", rep)
	}
	round := 0
	publish := func() *List {
		round++
		l.write(euSpec.File, versions[round%2])
		rep := ts.CheckList()
		if rep.List == nil || rep.List.Version != int64(round+1) || rep.Sources[0].State != SourceVerified {
			b.Fatalf("round %d: %+v", round, rep)
		}
		return rep.List
	}
	var list *List
	peak := peakHeap(func() { list = publish() })

	// Before: the same keys in trust.json, read whole, marshalled, signed.
	var merged struct {
		DSC []json.RawMessage `json:"dsc"`
	}
	for _, der := range ders {
		e, _ := json.Marshal(map[string]string{"kid": base64.StdEncoding.EncodeToString(der[:8]), "certificate": base64.StdEncoding.EncodeToString(der)})
		merged.DSC = append(merged.DSC, e)
	}
	trustJSON, _ := json.Marshal(merged)
	merged.DSC = nil
	before := peakHeap(func() {
		// readSources read the file, checked it as a kiosk reads it, and
		// kept it as a document; signList marshalled and signed it.
		if err := verify.NewTrust().AddList(trustJSON); err != nil {
			b.Fatal(err)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(trustJSON, &doc); err != nil {
			b.Fatal(err)
		}
		doc["version"], doc["issuedAt"], doc["expiresAt"] = json.RawMessage(`2`), json.RawMessage(`"2026-11-22T12:00:00Z"`), json.RawMessage(`"2026-11-29T12:00:00Z"`)
		body, err := json.Marshal(doc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := upstream.Sign(body, ts.key); err != nil {
			b.Fatal(err)
		}
	})

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		publish()
	}
	b.ReportMetric(float64(len(list.Signed))/(1<<20), "list-MiB")
	b.ReportMetric(float64(len(versions[1]))/(1<<20), "source-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(before)/(1<<20), "before-peak-heap-MiB")
}

// peakHeap runs f and returns the most heap its objects took meanwhile
// (sampled every 100 µs), above what they took before, with the collector
// at GOGC=10 so that what is sampled is mostly live.
func peakHeap(f func()) uint64 {
	old := debug.SetGCPercent(10)
	defer debug.SetGCPercent(old)
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		peak := base
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
	return <-done - base
}
