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
	"slices"
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
// signature checked), kept in the store, merged with trust.json, signed
// and stored. Reported: the list's size, and the heap's peak over a
// rebuild (the median of three, with the collector at GOGC=10 so that
// what is sampled is mostly live), beside two baselines measured in the
// same run: the same keys written into trust.json (as docs/keys.md had
// authorities do with jq) on a server of the same store, and the
// in-memory build the server made of such a trust.json before key
// sources (checked as a kiosk reads it, kept as a document, marshalled,
// signed by upstream.Sign; nothing stored).
func BenchmarkPublishNational(b *testing.B) {
	b.Run("bbolt", func(b *testing.B) { benchPublishNational(b, nil, nil) })
	b.Run("postgres", func(b *testing.B) { benchPublishNational(b, openPostgres(b), openPostgres(b)) })
}

func benchPublishNational(b *testing.B, st, baseSt Store) {
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
	publish := rebuilds(b, ts, func(i int) { l.write(euSpec.File, versions[i%2]) }, func(rep ListReport) bool {
		return len(rep.Sources) == 1 && rep.Sources[0].State == SourceVerified
	})
	var list *List
	peak := medianPeak(func() { list = publish() })

	// The same keys in trust.json, on a server of its own.
	trustJSON := [2][]byte{trustOf(b, ders[:benchDSCs-1]), trustOf(b, ders)}
	baseDir := b.TempDir()
	bl := newListDir(b, baseDir)
	bl.write("trust.json", trustJSON[0])
	base := newServer(b, Config{DataDir: baseDir}, baseSt)
	baseline := rebuilds(b, base, func(i int) { bl.write("trust.json", trustJSON[i%2]) }, func(rep ListReport) bool { return rep.Sources == nil })
	viaTrust := medianPeak(func() { baseline() })

	oldBuild := medianPeak(func() {
		if err := verify.NewTrust().AddList(trustJSON[1]); err != nil {
			b.Fatal(err)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(trustJSON[1], &doc); err != nil {
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
	b.StopTimer()
	b.ReportMetric(float64(len(list.Signed))/(1<<20), "list-MiB")
	b.ReportMetric(float64(len(versions[1]))/(1<<20), "source-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(viaTrust)/(1<<20), "trustjson-peak-heap-MiB")
	b.ReportMetric(float64(oldBuild)/(1<<20), "oldbuild-peak-heap-MiB")
}

// rebuilds returns a function that changes a server's list/ (change(i)
// for the i-th time) and has it publish the next version, which ok checks.
func rebuilds(b *testing.B, ts *testServer, change func(i int), ok func(ListReport) bool) func() *List {
	b.Helper()
	rep := ts.CheckList()
	if rep.List == nil || !ok(rep) {
		b.Fatalf("%+v", rep)
	}
	next := rep.List.Version
	i := 0
	return func() *List {
		i++
		change(i)
		rep := ts.CheckList()
		if next++; rep.List == nil || rep.List.Version != next || !ok(rep) {
			b.Fatalf("rebuild %d: %+v", i, rep)
		}
		return rep.List
	}
}

// trustOf is a trust.json holding the certificates.
func trustOf(b *testing.B, ders [][]byte) []byte {
	b.Helper()
	entries := make([]map[string]string, len(ders))
	for i, der := range ders {
		entries[i] = map[string]string{"kid": base64.StdEncoding.EncodeToString(verify.KeyID(der)), "country": "DE", "certificate": base64.StdEncoding.EncodeToString(der)}
	}
	data, err := json.Marshal(map[string]any{"dsc": entries})
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// medianPeak is peakHeap's median over three runs of f: a single sample
// moves with the collector's timing by tens of MB.
func medianPeak(f func()) uint64 {
	p := []uint64{peakHeap(f), peakHeap(f), peakHeap(f)}
	slices.Sort(p)
	return p[1]
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
