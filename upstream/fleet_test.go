package upstream

import (
	"container/heap"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// The fleet simulation runs the kiosks' real scheduling code (Plan, with
// TrustSchedule and UploadSchedule) for thousands of kiosks on a virtual
// clock, and counts what arrives at the server each second.

type event struct {
	at    time.Duration // since the fleet booted
	plan  *Plan
	trust bool
}

type events []event

func (e events) Len() int           { return len(e) }
func (e events) Less(i, j int) bool { return e[i].at < e[j].at }
func (e events) Swap(i, j int)      { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)        { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

type fleetRun struct {
	perSecond map[int64]int // requests by second since boot
	perKiosk  float64       // requests per kiosk inside the outage
}

// peak is the most requests in one second within [from, to).
func (f fleetRun) peak(from, to time.Duration) int {
	p := 0
	for s := int64(from / time.Second); s < int64(to/time.Second); s++ {
		p = max(p, f.perSecond[s])
	}
	return p
}

// simulate boots kiosks together and runs them for d, the server down
// during [down, up). retry, when set, replaces the backoff with a fixed
// wait: the baseline the backoff is measured against.
func simulate(kiosks int, d, down, up time.Duration, retry time.Duration) fleetRun {
	r := rand.New(rand.NewPCG(1, 2))
	run := fleetRun{perSecond: map[int64]int{}}
	q := &events{}
	for range kiosks {
		kr := rand.New(rand.NewPCG(r.Uint64(), r.Uint64()))
		tp, upl := NewPlan(TrustSchedule, kr), NewPlan(UploadSchedule, kr)
		heap.Push(q, event{at: tp.First(), plan: tp, trust: true})
		heap.Push(q, event{at: upl.First(), plan: upl})
	}
	inOutage := 0
	for q.Len() > 0 {
		e := heap.Pop(q).(event)
		if e.at >= d {
			break
		}
		run.perSecond[int64(e.at/time.Second)]++
		var wait time.Duration
		if e.at >= down && e.at < up {
			inOutage++
			wait = e.plan.Failed(0)
			if retry > 0 {
				wait = retry
			}
		} else {
			wait = e.plan.Succeeded()
		}
		heap.Push(q, event{at: e.at + wait, plan: e.plan, trust: e.trust})
	}
	run.perKiosk = float64(inOutage) / float64(kiosks)
	return run
}

// TestFleet is RELIABILITY row 19: 5,000 kiosks booting at one moment, and
// a 2-hour outage an hour later. At boot the server sees at most 25
// requests a second; during the outage the backoff's requests per kiosk
// are set beside a fixed 30 s retry's, run the same way.
func TestFleet(t *testing.T) {
	const kiosks = 5000
	hour := time.Hour
	backoff := simulate(kiosks, 6*hour, hour, 3*hour, 0)
	fixed := simulate(kiosks, 6*hour, hour, 3*hour, 30*time.Second)

	boot := backoff.peak(0, 30*time.Minute)
	t.Logf("boot: peak %d requests/s in the first 30 min (goal ≤ 25)", boot)
	t.Logf("2-hour outage: %.1f requests per kiosk with backoff and full jitter, %.1f with a fixed 30 s retry; peak %d/s against %d/s",
		backoff.perKiosk, fixed.perKiosk, backoff.peak(hour, 3*hour), fixed.peak(hour, 3*hour))
	t.Logf("after the outage: peak %d/s in the first 10 min with backoff, %d/s with the fixed retry",
		backoff.peak(3*hour, 3*hour+10*time.Minute), fixed.peak(3*hour, 3*hour+10*time.Minute))
	if boot > 25 {
		t.Errorf("%d requests/s at boot, over 25", boot)
	}
	if backoff.perKiosk >= fixed.perKiosk/5 {
		t.Errorf("the backoff sends %.1f requests per kiosk in the outage, not far below the fixed retry's %.1f", backoff.perKiosk, fixed.perKiosk)
	}
}

func TestPlan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := Schedule{FirstMax: 10 * time.Minute, Every: 24 * time.Hour, Jitter: time.Hour, Base: 30 * time.Second, Cap: time.Hour}
	for range 1000 {
		p := NewPlan(s, r)
		if f := p.First(); f < 0 || f >= s.FirstMax {
			t.Fatalf("first wait %v outside [0, %v)", f, s.FirstMax)
		}
		for attempt := range 12 {
			w := p.Failed(0)
			ceiling := min(s.Base<<attempt, s.Cap)
			if w > max(ceiling, time.Second) {
				t.Fatalf("failure %d waits %v, over %v", attempt+1, w, ceiling)
			}
		}
		if w := p.Failed(20 * time.Minute); w < 20*time.Minute {
			t.Fatalf("a Retry-After of 20 min, and a wait of %v", w)
		}
		if w := p.Succeeded(); w < 23*time.Hour || w > 25*time.Hour || p.Failures() != 0 {
			t.Fatalf("after a success: %v, %d failures", w, p.Failures())
		}
	}
}

// TestRunPlan: the loop the syncer and the uploader run: a kick makes an
// attempt at once, a failure backs off, the context ends it.
func TestRunPlan(t *testing.T) {
	// Millisecond backoffs: the loop's logic, not its waits, is tested.
	p := NewPlan(Schedule{Every: time.Millisecond, Base: time.Millisecond, Cap: time.Millisecond}, rand.New(rand.NewPCG(1, 1)))
	attempts := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		runPlan(ctx, p, 0, func(context.Context) error {
			select {
			case attempts <- struct{}{}:
			case <-ctx.Done():
			}
			return errors.New("down")
		})
		close(done)
	}()
	for range 3 {
		select {
		case <-attempts:
		case <-time.After(10 * time.Second): // a guard against hanging, not a measure
			t.Fatal("no attempt")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop outlived its context")
	}
	if p.Failures() < 3 {
		t.Errorf("%d failures counted, want at least 3", p.Failures())
	}
}
