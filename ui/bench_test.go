package ui

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/muesli/termenv"

	"munjigi/gate"
	"munjigi/scanner"
)

// timedDoor times the decision step itself, to set beside the screen's
// figure.
type timedDoor struct {
	*testDoor
	mu   sync.Mutex
	took []time.Duration
}

func (d *timedDoor) Handle(s scanner.Scan) gate.Outcome {
	t0 := time.Now()
	o := d.testDoor.Handle(s)
	d.mu.Lock()
	d.took = append(d.took, time.Since(t0))
	d.mu.Unlock()
	return o
}

// BenchmarkScanToScreen is the time from the last byte of a scan written
// to the scanner's pty to its verdict in a frame the screen has drawn,
// through the real serial source, decision step and Bubble Tea renderer;
// beside it, the decision step's own time (verify, rules, record).
func BenchmarkScanToScreen(b *testing.B) {
	master, slave, err := pty.Open()
	if err != nil {
		b.Skipf("no pseudo-terminals here (%v)", err)
	}
	defer master.Close()
	link := filepath.Join(b.TempDir(), "ttyACM0")
	os.Symlink(slave.Name(), link)
	slave.Close()

	d := &timedDoor{testDoor: newTestDoor(b)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := d.config("en")
	cfg.Door = d
	cfg.Scans = (&scanner.Serial{Port: link}).Scans(ctx)
	p, _, out, _ := run(b, New(cfg))
	mark := out.waitFor(b, 0, "Scanner connected", 5*time.Second)
	code := append(d.payload(b, "expired certificate"), '\r', '\n') // a fail is never a re-use
	var lat []time.Duration
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; b.Loop(); i++ {
		// A visitor does not wait for the screen's next frame: scans come
		// at any moment of the 60 Hz frame.
		time.Sleep(time.Duration(r.IntN(17000)) * time.Microsecond)
		if _, err := master.Write(code); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		mark = out.waitFor(b, mark, fmt.Sprintf("· %d refused ·", i+1), 5*time.Second)
		lat = append(lat, time.Since(t0))
	}
	p.Quit()
	pct := func(s []time.Duration, q int) float64 {
		s = slices.Clone(s)
		slices.Sort(s)
		return float64(s[min(len(s)-1, len(s)*q/100)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(lat, 50), "p50-ms")
	b.ReportMetric(pct(lat, 99), "p99-ms")
	d.mu.Lock()
	b.ReportMetric(pct(d.took, 50), "decide-p50-ms")
	b.ReportMetric(pct(d.took, 99), "decide-p99-ms")
	d.mu.Unlock()
}

// BenchmarkView is the cost of drawing one frame of a verdict screen in
// 256 colours, at the sizes a door has: the renderer draws a frame on
// every message, so on a Raspberry Pi this is the screen's CPU per
// message. ns/op is one frame.
func BenchmarkView(b *testing.B) {
	for _, state := range []string{"verdict-pass", "verdict-manual-solo"} {
		var sc screenState
		for _, s := range screens {
			if s.name == state {
				sc = s
			}
		}
		for _, lang := range Languages() {
			for _, size := range [][2]int{{57, 17}, {80, 24}, {120, 40}, {211, 62}} {
				b.Run(state+"-"+lang+"-"+sizeName(size), func(b *testing.B) {
					m, _ := build(b, sc, lang, size, renderer(termenv.ANSI256))
					b.ReportAllocs()
					for b.Loop() {
						m.View()
					}
				})
			}
		}
	}
}
