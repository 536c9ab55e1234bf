package upstream

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// The fleet simulation runs the kiosks' real scheduling code (Plan, with
// TrustSchedule and UploadSchedule, and the first fetch of a kiosk with no
// list) for a fleet on a virtual clock, with the token checks of the
// lunch peak and each kiosk's breaker as Tokens sets it up (DefaultTrips,
// DefaultBreakerWait, one trial call, Retry-After obeyed and no failure of
// the server's), and counts what arrives at the server each second.
//
// The national sizing (issue 16): 30 million check-ins a day across about
// a million venues, 2,100 token checks a second at the lunch peak if every
// check were a token. So, per 1,000 kiosks: 2.1 token checks a second.
// The goals, per 1,000 kiosks:
//
//   - a fleet that boots together, lists in hand: at most 5 background
//     requests a second (trust list and upload), tokens aside;
//   - a new fleet, no list yet: every kiosk asks at once (a door with no
//     list must not wait for jitter), so every kiosk has one within 2
//     minutes and the first minute averages at most 20 list requests a
//     second; its first second is the whole fleet (a million kiosks: a
//     million requests, a CDN's job, not the servers'; reported beside
//     it);
//   - an outage (503 and Retry-After): backoff with full jitter sends at
//     most a fifth of what a fixed 30 s retry does, and no token check is
//     sent twice (token calls at most token scans);
//   - after it: at most 5 background requests a second in the first 10
//     minutes: no herd;
//   - a brownout (replies past the kiosk's budget): no retry storm (token
//     calls at most token scans).

// The scenario's server states.
const (
	healthy = iota
	outage
	brownout
	phases
)

// What arrives at the server.
const (
	kindToken = iota
	kindTrust
	kindUpload
	kinds
)

// fleetScenario is a fleet and the server's day.
type fleetScenario struct {
	kiosks    int
	noList    bool          // a new fleet: nothing signed in force yet
	tokenRate float64       // token scans a second per kiosk
	duration  time.Duration // simulated time
	// The server answers 503 with Retry-After at once during outage, and
	// slow (past the token budget; background calls still get through)
	// during brownout.
	outage, brownout [2]time.Duration
	slow             time.Duration
	retryAfter       time.Duration
	// fixedRetry, when set, replaces the background backoff with a fixed
	// wait: the baseline the backoff is measured against.
	fixedRetry time.Duration
}

// lunchTokens is 2,100 token checks a second per million kiosks.
const lunchTokens = 2100.0 / 1e6

func (sc fleetScenario) state(t time.Duration) int {
	switch {
	case t >= sc.outage[0] && t < sc.outage[1]:
		return outage
	case t >= sc.brownout[0] && t < sc.brownout[1]:
		return brownout
	}
	return healthy
}

// phaseCounts are the token scans of one server state and what became of
// them.
type phaseCounts struct {
	scans      int // token scans at the doors
	calls      int // token calls that reached the server
	trials     int // of them, a half-open breaker's trial call
	atOnce     int // scans answered "check by hand" at once: no call (breaker open, Retry-After), or a 503 at once
	waited     int // scans that waited out the budget (a call with no timely reply)
	background int // trust-list and upload requests that reached the server
}

type fleetRun struct {
	sc        fleetScenario
	perSecond [kinds][]int32 // requests at the server by second since boot
	phase     [phases]phaseCounts
	listedBy  time.Duration // when the last kiosk had a list (noList)
	allListed bool          // every kiosk had one by the end
}

// per1000 scales a count to 1,000 kiosks.
func (f *fleetRun) per1000(n int) float64 { return float64(n) * 1000 / float64(f.sc.kiosks) }

// peak is the most requests of the given kinds in one second within
// [from, to).
func (f *fleetRun) peak(from, to time.Duration, ks ...int) int {
	p := 0
	for s := int(from / time.Second); s < int(to/time.Second) && s < len(f.perSecond[0]); s++ {
		n := 0
		for _, k := range ks {
			n += int(f.perSecond[k][s])
		}
		p = max(p, n)
	}
	return p
}

// breaker is a kiosk's token breaker, as gobreaker runs it for Tokens.
type breaker struct {
	open  bool
	fails uint8
	until time.Duration // open until
}

type event struct {
	kiosk uint32
	trust bool
	at    time.Duration
}

// simulate runs the scenario. Events are kept in one bucket per simulated
// second; within a second they run in the order they were scheduled.
func simulate(sc fleetScenario) *fleetRun {
	r := rand.New(rand.NewPCG(1, 2))
	seconds := int(sc.duration / time.Second)
	run := &fleetRun{sc: sc}
	for k := range run.perSecond {
		run.perSecond[k] = make([]int32, seconds)
	}
	buckets := make([][]event, seconds)
	schedule := func(e event) {
		if s := int(e.at / time.Second); s < seconds {
			buckets[s] = append(buckets[s], e)
		}
	}
	n := sc.kiosks
	// One randomness for the whole fleet: the simulation is sequential, and
	// a source per kiosk would take a million of them.
	trust, upload := make([]Plan, n), make([]Plan, n)
	notBefore := make([]time.Duration, n)
	brk := make([]breaker, n)
	listed := make([]bool, n)
	missing := 0
	for i := range n {
		trust[i], upload[i] = *NewPlan(TrustSchedule, r), *NewPlan(UploadSchedule, r)
		listed[i] = !sc.noList
		if !listed[i] {
			missing++
		}
		schedule(event{kiosk: uint32(i), trust: true, at: firstSync(&trust[i], listed[i])})
		schedule(event{kiosk: uint32(i), at: upload[i].First()})
	}
	background := func(e event) {
		p := &upload[e.kiosk]
		if e.trust {
			p = &trust[e.kiosk]
		}
		var wait time.Duration
		switch st := sc.state(e.at); {
		case e.at < notBefore[e.kiosk]:
			wait = p.Failed(0) // ErrBackOff: no call
		default:
			kind := kindUpload
			if e.trust {
				kind = kindTrust
			}
			run.perSecond[kind][e.at/time.Second]++
			run.phase[st].background++
			if st == outage {
				notBefore[e.kiosk] = e.at + sc.retryAfter
				wait = p.Failed(sc.retryAfter)
				if sc.fixedRetry > 0 {
					wait = sc.fixedRetry
				}
				break
			}
			wait = p.Succeeded()
			if st == brownout {
				wait += sc.slow
			}
			if e.trust && !listed[e.kiosk] {
				listed[e.kiosk] = true
				if missing--; missing == 0 {
					run.listedBy, run.allListed = e.at, true
				}
			}
		}
		e.at += wait
		schedule(e)
	}
	token := func(k int, at time.Duration) {
		st := sc.state(at)
		ph := &run.phase[st]
		ph.scans++
		b := &brk[k]
		trial := false
		if b.open {
			if at < b.until {
				ph.atOnce++
				return
			}
			trial = true // half-open: this one goes through
		}
		if at < notBefore[k] {
			ph.atOnce++ // ErrBackOff: excluded, the breaker unchanged
			return
		}
		run.perSecond[kindToken][at/time.Second]++
		ph.calls++
		if trial {
			ph.trials++
		}
		switch st {
		case healthy:
			*b = breaker{}
			return
		case outage:
			notBefore[k] = at + sc.retryAfter
			ph.atOnce++
		case brownout:
			ph.waited++
		}
		if b.fails++; trial || b.fails >= DefaultTrips {
			*b = breaker{open: true, until: at + DefaultBreakerWait}
		}
	}
	carry := 0.0
	for s := range seconds {
		for i := 0; i < len(buckets[s]); i++ { // a handler may add to this second
			background(buckets[s][i])
		}
		buckets[s] = nil
		carry += sc.tokenRate * float64(n)
		scans := int(carry)
		carry -= float64(scans)
		for range scans {
			token(r.IntN(n), time.Duration(s)*time.Second+time.Duration(r.Int64N(int64(time.Second))))
		}
	}
	return run
}

// day is the scenario the goals are set on: a fleet that boots together
// (lists in hand) at the lunch peak's token rate all day; a 2-hour outage
// an hour later (503 with the server's Retry-After, 2 s); a 1-hour
// brownout at hour 4 (replies take 3 s).
func day(kiosks int) fleetScenario {
	h := time.Hour
	return fleetScenario{kiosks: kiosks, tokenRate: lunchTokens, duration: 6 * h,
		outage: [2]time.Duration{h, 3 * h}, brownout: [2]time.Duration{4 * h, 5 * h}, slow: 3 * time.Second, retryAfter: 2 * time.Second}
}

// firstDay is a new fleet, no list in force anywhere, on a healthy server.
func firstDay(kiosks int) fleetScenario {
	return fleetScenario{kiosks: kiosks, noList: true, tokenRate: lunchTokens, duration: 10 * time.Minute}
}

// fleetFigures are the goals' figures, per 1,000 kiosks.
type fleetFigures struct {
	bootBackground    float64 // peak background requests/s in the first 30 min
	newFleetPeak      float64 // peak list requests/s, first day
	newFleetMean      float64 // list requests/s over the first minute
	listedBy          time.Duration
	outagePerKiosk    float64 // background requests per kiosk in the outage
	fixedPerKiosk     float64 // the same with a fixed 30 s retry
	afterOutage       float64 // peak background requests/s in the 10 min after it
	afterOutageFixed  float64
	tokensHealthy     float64 // token calls/s
	tokenCalls        [phases]int
	tokenScans        [phases]int
	trialsPerSecond   [phases]float64 // trial calls a second per 1,000 kiosks
	atOnce, waited    [phases]float64 // shares of the token scans
	peakAll           float64         // the day's peak, every kind
	outagePeakAll     float64
	brownoutTokenPeak float64
}

func measure(kiosks int) fleetFigures {
	h := time.Hour
	d := day(kiosks)
	// The baseline's figures are per kiosk, and the same for 50,000 as for
	// a million (its 185 retries a kiosk would be most of the run).
	fixed := day(min(kiosks, 50_000))
	fixed.fixedRetry = 30 * time.Second
	run, base, first := simulate(d), simulate(fixed), simulate(firstDay(kiosks))
	var f fleetFigures
	f.bootBackground = run.per1000(run.peak(0, 30*time.Minute, kindTrust, kindUpload))
	f.newFleetPeak = first.per1000(first.peak(0, time.Minute, kindTrust))
	inFirstMinute := 0
	for _, n := range first.perSecond[kindTrust][:60] {
		inFirstMinute += int(n)
	}
	f.newFleetMean = first.per1000(inFirstMinute) / 60
	f.listedBy = first.listedBy
	if !first.allListed {
		f.listedBy = -1
	}
	f.outagePerKiosk = float64(run.phase[outage].background) / float64(kiosks)
	f.fixedPerKiosk = float64(base.phase[outage].background) / float64(fixed.kiosks)
	f.afterOutage = run.per1000(run.peak(3*h, 3*h+10*time.Minute, kindTrust, kindUpload))
	f.afterOutageFixed = base.per1000(base.peak(3*h, 3*h+10*time.Minute, kindTrust, kindUpload))
	lengths := [phases]time.Duration{6*h - 3*h, 2 * h, h}
	for ph := range phases {
		c := run.phase[ph]
		f.tokenCalls[ph], f.tokenScans[ph] = c.calls, c.scans
		f.trialsPerSecond[ph] = run.per1000(c.trials) / lengths[ph].Seconds()
		if c.scans > 0 {
			f.atOnce[ph], f.waited[ph] = float64(c.atOnce)/float64(c.scans), float64(c.waited)/float64(c.scans)
		}
	}
	f.tokensHealthy = run.per1000(run.phase[healthy].calls) / lengths[healthy].Seconds()
	f.peakAll = run.per1000(run.peak(0, 6*h, kindToken, kindTrust, kindUpload))
	f.outagePeakAll = run.per1000(run.peak(h, 3*h, kindToken, kindTrust, kindUpload))
	f.brownoutTokenPeak = run.per1000(run.peak(4*h, 5*h, kindToken))
	return f
}

// check holds the figures to the goals.
func (f fleetFigures) check(errorf func(string, ...any)) {
	if f.bootBackground > 5 {
		errorf("boot: %.1f background requests/s per 1,000 kiosks, over 5", f.bootBackground)
	}
	if f.newFleetMean > 20 || f.listedBy < 0 || f.listedBy > 2*time.Minute {
		errorf("a new fleet: %.1f list requests/s per 1,000 kiosks over the first minute (goal ≤ 20), the last list at %v (goal ≤ 2 min)", f.newFleetMean, f.listedBy)
	}
	if f.outagePerKiosk > f.fixedPerKiosk/5 {
		errorf("the outage: %.1f requests per kiosk with backoff, not a fifth of the fixed retry's %.1f", f.outagePerKiosk, f.fixedPerKiosk)
	}
	if f.afterOutage > 5 {
		errorf("after the outage: %.1f background requests/s per 1,000 kiosks, over 5", f.afterOutage)
	}
	for ph, name := range []string{"healthy", "the outage", "the brownout"} {
		if f.tokenCalls[ph] > f.tokenScans[ph] {
			errorf("%s: %d token calls for %d token scans", name, f.tokenCalls[ph], f.tokenScans[ph])
		}
	}
}

func (f fleetFigures) log(logf func(string, ...any), kiosks int) {
	logf("%d kiosks; per 1,000 kiosks:", kiosks)
	logf("  boot, lists in hand: peak %.2f background requests/s (goal ≤ 5); tokens %.2f/s all day at the lunch rate", f.bootBackground, f.tokensHealthy)
	logf("  a new fleet, no list: %.1f list requests/s over the first minute (goal ≤ 20), %.1f at the peak second; every kiosk listed after %v (goal ≤ 2 min)",
		f.newFleetMean, f.newFleetPeak, f.listedBy.Round(time.Second))
	logf("  2-hour outage (503, Retry-After 2 s): %.1f background requests per kiosk with backoff, %.1f with a fixed 30 s retry (goal: a fifth); peak %.2f/s all kinds",
		f.outagePerKiosk, f.fixedPerKiosk, f.outagePeakAll)
	logf("    token scans: %.0f%% answered \"check by hand\" at once: %.1f%% by the server's 503, %.1f%% with no call (breaker open, Retry-After); %.2f trial calls/s",
		100*f.atOnce[outage], 100*float64(f.tokenCalls[outage])/float64(f.tokenScans[outage]),
		100*float64(f.tokenScans[outage]-f.tokenCalls[outage])/float64(f.tokenScans[outage]), f.trialsPerSecond[outage])
	logf("  after it: peak %.2f background requests/s in 10 min with backoff (goal ≤ 5), %.2f with the fixed retry", f.afterOutage, f.afterOutageFixed)
	logf("  1-hour brownout (replies take 3 s): %.0f%% of token scans waited out the budget, %.0f%% went to a manual check at once; %.2f trial calls/s; token peak %.2f/s",
		100*f.waited[brownout], 100*f.atOnce[brownout], f.trialsPerSecond[brownout], f.brownoutTokenPeak)
	logf("  the day's peak, every kind: %.2f requests/s", f.peakAll)
}

// TestFleet is RELIABILITY row 19 for 5,000 kiosks against the goals per
// 1,000 (BenchmarkFleet runs a million).
func TestFleet(t *testing.T) {
	f := measure(5000)
	f.log(t.Logf, 5000)
	f.check(t.Errorf)
}

// BenchmarkFleet is the simulation for a nation's fleet, 1,000,000
// kiosks, against the same goals per 1,000; it reports the figures.
func BenchmarkFleet(b *testing.B) {
	const kiosks = 1_000_000
	var f fleetFigures
	for range b.N {
		f = measure(kiosks)
	}
	f.log(b.Logf, kiosks)
	f.check(b.Errorf)
	b.ReportMetric(f.bootBackground, "boot-req/s/1k")
	b.ReportMetric(f.newFleetMean, "newfleet-req/s/1k")
	b.ReportMetric(f.outagePerKiosk, "outage-req/kiosk")
	b.ReportMetric(f.fixedPerKiosk, "fixed-retry-req/kiosk")
	b.ReportMetric(f.afterOutage, "after-outage-req/s/1k")
	b.ReportMetric(f.peakAll*kiosks/1000, "peak-req/s")
	b.ReportMetric(100*f.waited[brownout], "brownout-waited-%")
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
