package trustsrc_test

import (
	"bytes"
	"io"
	"testing"

	"munjigi/trustsrc"
)

// The real sources converted: time (the goal is under 2 s each on the
// development VM), throughput, allocations, and the peak heap seen while
// converting (sampled; it includes the benchmark's own copy of the source
// and of the output, about 1.3 times the source).

func BenchmarkConvertDEDSCG(b *testing.B) {
	src := loadRealDE(b)
	benchConvert(b, trustsrc.DEDSCG, src.list, src.v)
}

func BenchmarkConvertVCISnapshot(b *testing.B) {
	src := loadRealVCI(b)
	benchConvert(b, trustsrc.VCISnapshot, src.snapshot, src.v)
}

// BenchmarkVerifyOnlyDEDSCG is the floor under the German list's
// conversion: reading it and checking its signature, nothing parsed.
func BenchmarkVerifyOnlyDEDSCG(b *testing.B) {
	src := loadRealDE(b)
	b.SetBytes(int64(len(src.list)))
	b.ReportAllocs()
	// A signature that fails over the whole body costs what a good one
	// does, and stops before parsing.
	fixtures(b)
	v := trustsrc.Verification{Key: &backendKey.PublicKey}
	for b.Loop() {
		if _, err := trustsrc.Convert(io.Discard, trustsrc.DEDSCG, bytes.NewReader(src.list), v); err == nil {
			b.Fatal("verified with the wrong key")
		}
	}
}

func benchConvert(b *testing.B, f trustsrc.Format, data []byte, v trustsrc.Verification) {
	// The peak heap of one conversion, apart from the timed loop (the
	// sampler starts with a collection, which the loop should not pay).
	var out bytes.Buffer
	peak := peakHeap(func() {
		if _, err := trustsrc.Convert(&out, f, bytes.NewReader(data), v); err != nil {
			b.Fatal(err)
		}
	})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out.Reset()
		if _, err := trustsrc.Convert(&out, f, bytes.NewReader(data), v); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(out.Len())/1e6, "out-MB")
}
