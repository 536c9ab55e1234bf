package gate_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"munjigi/authority"
	"munjigi/demo"
	"munjigi/gate"
	"munjigi/policy"
	"munjigi/store"
	"munjigi/upstream"
	"munjigi/verify"
)

var seoul = time.FixedZone("KST", 9*3600)

// door is a gate over a real database, with a clock the test moves.
type door struct {
	g       *gate.Gate
	db      *store.DB
	now     time.Time
	samples map[string]demo.Sample
}

func newDoor(t *testing.T, start time.Time, opts store.Options, profile string) *door {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "munjigi.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d := &door{db: db, now: start, samples: map[string]demo.Sample{}}
	var decider *policy.Decider
	if profile != "" {
		p, err := policy.Builtin(profile)
		if err != nil {
			t.Fatal(err)
		}
		decider = policy.NewDecider(p, policy.Options{Location: seoul, VenueType: "gym", ValueSets: policy.BuiltinValueSets()})
	}
	clock := func() time.Time { return d.now }
	d.g, err = gate.New(gate.Config{Verifier: verify.New(demo.Trust(start), clock), Decider: decider, DB: db, Now: clock, Location: seoul})
	if err != nil {
		t.Fatal(err)
	}
	// Demo passes are signed for the start time, whatever the door's clock
	// says later.
	all, err := demo.Passes(start)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		d.samples[s.Label] = s
	}
	return d
}

func (d *door) scan(t *testing.T, label string) gate.Outcome {
	t.Helper()
	s, ok := d.samples[label]
	if !ok {
		t.Fatalf("no demo pass %q", label)
	}
	return d.g.Decide([]byte(s.Payload), time.Time{})
}

const vaccinated = "vaccinated, 2 of 2 doses"

var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func TestScanIsRecorded(t *testing.T) {
	d := newDoor(t, now, store.Options{}, "")
	o := d.scan(t, vaccinated)
	if o.Verdict != verify.Pass || !o.Logged || o.Seq != 1 || !o.ClockTrusted || o.Method != gate.MethodQR {
		t.Fatalf("%+v", o)
	}
	e, ok, err := d.db.Entry(o.Seq)
	if err != nil || !ok {
		t.Fatal("the entry is not in the log")
	}
	if e.Verdict != "pass" || e.Format != "dcc" || e.Type != "v" || e.Reason != "ok" || !e.Admitted || len(e.PassHash) != 32 || !e.At.Equal(now) {
		t.Errorf("entry %+v", e)
	}
	// Every outcome is recorded, refusals and unreadable codes too.
	for _, label := range []string{"expired certificate", "not a pass (a menu link)", "altered after signing"} {
		if o := d.scan(t, label); !o.Logged || o.Verdict == verify.Pass {
			t.Errorf("%s: %+v", label, o)
		}
	}
	if n, _ := d.db.Count(); n != 4 {
		t.Errorf("%d entries, want 4", n)
	}
}

// TestReuse: the same pass admitted again within the window is a manual
// check naming the first time; after the window it passes again.
func TestReuse(t *testing.T) {
	d := newDoor(t, now, store.Options{}, "")
	d.scan(t, vaccinated)
	d.now = now.Add(90 * time.Minute)
	o := d.scan(t, vaccinated)
	if o.Verdict != verify.Manual || o.Reason != verify.ReasonReused || !o.ReusedAt.Equal(now) || !strings.Contains(o.Detail, "21:00") {
		t.Fatalf("%s %s %q", o.Verdict, o.Reason, o.Detail)
	}
	// The manual outcome is not an admission: the window counts from the
	// first entry.
	d.now = now.Add(2*time.Hour + time.Second)
	if o := d.scan(t, vaccinated); o.Verdict != verify.Pass {
		t.Fatalf("after the window: %s %s", o.Verdict, o.Reason)
	}
	// A different pass is not a re-use.
	if o := d.scan(t, "vaccinated, booster"); o.Verdict != verify.Pass {
		t.Errorf("another pass: %s %s", o.Verdict, o.Reason)
	}
}

// TestClock is RELIABILITY row 17: a board that boots in 1970, a clock
// stepped back an hour, a clock two years ahead.
func TestClock(t *testing.T) {
	d := newDoor(t, now, store.Options{}, "")
	d.scan(t, vaccinated) // the clock is trusted and seen
	d.now = now.Add(2 * time.Minute)
	d.scan(t, "vaccinated, booster")
	// The high-water mark is written now and then; make sure it is.
	d.now = now.Add(3 * time.Minute)
	d.scan(t, "negative PCR test")

	for _, tc := range []struct {
		name   string
		at     time.Time
		reason string
	}{
		{"booted in 1970", time.Unix(0, 0).UTC(), "not set"},
		{"stepped back an hour", now.Add(-time.Hour), "went back"},
		{"two years ahead", now.AddDate(2, 0, 0), "jumped ahead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d.now = tc.at
			clock := d.g.ClockState()
			if clock.Trusted || !strings.Contains(clock.Reason, tc.reason) {
				t.Fatalf("clock %+v, want untrusted: %s", clock, tc.reason)
			}
			// No time-based pass: a valid pass is a manual check; a forged
			// one is still refused.
			o := d.scan(t, "recovered")
			if o.Verdict != verify.Manual || o.Reason != verify.ReasonClockUntrusted || o.ClockTrusted || !o.Logged {
				t.Errorf("a pass with the clock %s: %s %s", tc.name, o.Verdict, o.Reason)
			}
			if o := d.scan(t, "altered after signing"); o.Verdict != verify.Fail {
				t.Errorf("a forged pass with the clock %s: %s %s", tc.name, o.Verdict, o.Reason)
			}
			// Nothing is purged on a clock that cannot be trusted.
			before, _ := d.db.Count()
			if n, err := d.g.Purge(time.Hour, func() bool { return true }); err == nil || n != 0 {
				t.Errorf("purged %d with the clock %s (%v)", n, tc.name, err)
			}
			if after, _ := d.db.Count(); after != before {
				t.Errorf("entries went from %d to %d", before, after)
			}
		})
	}
	// Sequence numbers kept their order through it all.
	var last uint64
	d.db.Entries(0, func(e store.Entry) (bool, error) {
		if e.Seq <= last {
			t.Errorf("seq %d after %d", e.Seq, last)
		}
		last = e.Seq
		return true, nil
	})
}

// TestNotLogged is RELIABILITY row 4 at the door: with the database full,
// the verdict is still given, with "not logged".
func TestNotLogged(t *testing.T) {
	d := newDoor(t, now, store.Options{MaxSize: 128 << 10, NoSync: true}, "")
	var o gate.Outcome
	for i := 0; i < 10000; i++ {
		d.now = now.Add(time.Duration(i) * time.Second)
		if o = d.scan(t, "expired certificate"); !o.Logged {
			break
		}
	}
	if o.Logged || o.Log != gate.LogFull || o.Verdict != verify.Fail || o.Reason != verify.ReasonExpired {
		t.Fatalf("%+v", o)
	}
	if o := d.scan(t, vaccinated); o.Verdict != verify.Pass || o.Logged {
		t.Errorf("a pass on a full disk: %s logged=%v", o.Verdict, o.Logged)
	}
}

func TestManualAndGap(t *testing.T) {
	d := newDoor(t, now, store.Options{}, "")
	o := d.g.Manual(gate.CheckSticker, nil, "A3")
	if !o.Logged || o.Verdict != verify.Pass || o.Reason != "sticker" {
		t.Fatalf("%+v", o)
	}
	e, _, _ := d.db.Entry(o.Seq)
	if e.Method != "manual-sticker" || e.Staff != "A3" || !e.Admitted {
		t.Errorf("entry %+v", e)
	}
	g := d.g.Gap("the database was damaged and moved aside")
	e, _, _ = d.db.Entry(g.Seq)
	if e.Method != string(gate.MethodGap) || !strings.Contains(e.Note, "damaged") || e.Admitted {
		t.Errorf("gap entry %+v", e)
	}
}

func TestPolicyAtTheGate(t *testing.T) {
	d := newDoor(t, now, store.Options{}, "kr-2021-vaccine-pass")
	if o := d.scan(t, "first dose only"); o.Verdict != verify.Fail || o.Reason != verify.ReasonRuleFailed {
		t.Errorf("first dose at a gym: %s %s", o.Verdict, o.Reason)
	}
	if o := d.scan(t, vaccinated); o.Verdict != verify.Pass || o.Policy != "kr-2021-vaccine-pass" {
		t.Errorf("vaccinated: %s %s %q", o.Verdict, o.Reason, o.Policy)
	}
}

func TestHooks(t *testing.T) {
	dir := t.TempDir()
	out, release := filepath.Join(dir, "cues"), filepath.Join(dir, "release")
	// The manual hook blocks until released: Run must not wait for it.
	h := gate.Hooks{Pass: "echo pass $MUNJIGI_VERDICT $MUNJIGI_TYPE >> " + out, Fail: "echo fail $MUNJIGI_REASON >> " + out,
		Manual: "while [ ! -e " + release + " ]; do sleep 0.01; done; echo manual >> " + out, Timeout: time.Minute}
	d := newDoor(t, now, store.Options{}, "")
	returned := make(chan struct{})
	go func() {
		for _, label := range []string{"not a pass (a menu link)", vaccinated, "expired certificate"} {
			h.Run(d.scan(t, label))
		}
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(30 * time.Second): // a guard against hanging, not a measure
		t.Fatal("Run waited for a hook that had not finished")
	}
	var got string
	for i := 0; i < 500 && strings.Count(got, "\n") < 2; i++ {
		time.Sleep(10 * time.Millisecond)
		b, _ := os.ReadFile(out)
		got = string(b)
	}
	if !strings.Contains(got, "pass pass v") || !strings.Contains(got, "fail expired") || strings.Contains(got, "manual") {
		t.Errorf("hooks wrote %q", got)
	}
	os.WriteFile(release, nil, 0o600)
}

// tokenServer is the authority's server on loopback, and a way to mint
// its tokens.
func tokenServer(t *testing.T) (*upstream.Tokens, func() string) {
	t.Helper()
	const mintCredential = "gate-test-minting-credential"
	srv, err := authority.Open(authority.Config{DataDir: t.TempDir(), MintCredential: mintCredential, MaintainEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	c, err := upstream.New(upstream.Config{URL: hs.URL, Kiosk: "gate-test"})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := upstream.NewTokens(c, upstream.TokenConfig{Patterns: []string{upstream.DefaultTokenPattern}})
	if err != nil {
		t.Fatal(err)
	}
	mint := func() string {
		m, err := authority.Mint(context.Background(), hs.URL, mintCredential, upstream.MintRequest{Name: "김하늘", BirthYear: 1990})
		if err != nil {
			t.Fatal(err)
		}
		return m.Token
	}
	return tk, mint
}

// TestTokenAtTheGate: a one-time token is the authority's to decide, by
// its clock: recorded like any scan, used once, unaffected by the kiosk's
// clock.
func TestTokenAtTheGate(t *testing.T) {
	tk, mint := tokenServer(t)
	db, err := store.Open(filepath.Join(t.TempDir(), "munjigi.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	boot := time.Date(1970, 1, 1, 0, 0, 5, 0, time.UTC) // a board with no clock battery
	g, err := gate.New(gate.Config{Verifier: verify.New(demo.Trust(now), func() time.Time { return boot }), DB: db,
		Now: func() time.Time { return boot }, Tokens: tk, Location: seoul})
	if err != nil {
		t.Fatal(err)
	}
	tok := mint()
	o := g.Decide([]byte(tok), time.Time{})
	if o.Verdict != verify.Pass || o.Format != verify.FormatToken || !o.Logged || o.ClockTrusted || o.Holder.Name != "김*늘" {
		t.Fatalf("a token on an unset clock: %+v", o)
	}
	if o := g.Decide([]byte(tok), time.Time{}); o.Verdict != verify.Fail || o.Reason != verify.ReasonTokenUsed {
		t.Errorf("the same token again: %s %s", o.Verdict, o.Reason)
	}
	e, _, _ := db.Entry(1)
	if e.Format != "token" || len(e.PassHash) == 0 || bytes.Contains(e.PassHash, []byte(tok)) {
		t.Errorf("recorded %+v", e)
	}
}

// TestClockEvidence: the authority's word on the time counts only while
// fresh, never overrides the hard rules, and never lowers the high-water
// mark (issue 14, items 4 and 5). Every scenario starts from a kiosk that
// trusted its clock and heard one agreeing reply.
func TestClockEvidence(t *testing.T) {
	agreeing := func(d *door) {
		d.scan(t, vaccinated)
		d.g.Heard(gate.Evidence{At: d.now.Add(10 * time.Second), Heard: d.now})
		if c := d.g.ClockState(); !c.Trusted {
			t.Fatalf("a clock the server agrees with: %+v", c)
		}
	}
	for _, tc := range []struct {
		name string
		at   func(time.Time) time.Time
		code gate.ClockCode
	}{
		{"booted in 1970", func(time.Time) time.Time { return time.Unix(0, 0).UTC() }, gate.ClockNotSet},
		{"stepped back 400 days", func(n time.Time) time.Time { return n.AddDate(0, 0, -400) }, gate.ClockBehind},
		{"stepped back 60 days", func(n time.Time) time.Time { return n.AddDate(0, 0, -60) }, gate.ClockBehind},
		{"jumped two years", func(n time.Time) time.Time { return n.AddDate(2, 0, 0) }, gate.ClockAhead},
		{"a minute later, an hour behind", func(n time.Time) time.Time { return n.Add(-time.Hour) }, gate.ClockBehind},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoor(t, now, store.Options{}, "")
			agreeing(d)
			d.now = tc.at(now)
			if c := d.g.ClockState(); c.Trusted || c.Code != tc.code {
				t.Fatalf("clock %+v, want distrusted: %s", c, tc.code)
			}
			// The expired pass does not pass on it; nothing is purged.
			if o := d.scan(t, "expired certificate"); o.Verdict == verify.Pass {
				t.Errorf("the expired pass passes: %+v", o.Result)
			}
			if o := d.scan(t, vaccinated); o.Verdict != verify.Manual || o.Clock != tc.code {
				t.Errorf("a pass: %s %s clock %q", o.Verdict, o.Reason, o.Clock)
			}
			before, _ := d.db.Count()
			if n, err := d.g.Purge(time.Hour, func() bool { return true }); err == nil || n != 0 {
				t.Errorf("purged %d (%v)", n, err)
			}
			if after, _ := d.db.Count(); after != before {
				t.Errorf("entries went from %d to %d", before, after)
			}
		})
	}

	t.Run("a server agreeing with a clock 200 days behind", func(t *testing.T) {
		d := newDoor(t, now, store.Options{}, "")
		agreeing(d)
		hwm, _ := d.db.ClockHighWater()
		d.now = now.AddDate(0, 0, -200)
		d.g.Heard(gate.Evidence{At: d.now, Heard: d.now})
		if c := d.g.ClockState(); c.Trusted || c.Code != gate.ClockBehind {
			t.Errorf("clock %+v, want went-back whatever the server says", c)
		}
		if after, _ := d.db.ClockHighWater(); after.Before(hwm) {
			t.Errorf("the high-water mark went down from %v to %v", hwm, after)
		}
		// Later, with no server at all, it is still not trusted, and a
		// restart (a new gate on the same file) sees the same.
		d.now = d.now.Add(time.Hour)
		g2, err := gate.New(gate.Config{Verifier: verify.New(demo.Trust(now), func() time.Time { return d.now }), DB: d.db,
			Now: func() time.Time { return d.now }, Location: seoul})
		if err != nil {
			t.Fatal(err)
		}
		if c := g2.ClockState(); c.Trusted {
			t.Errorf("after a restart: %+v", c)
		}
	})

	t.Run("fresh evidence that disagrees", func(t *testing.T) {
		d := newDoor(t, now, store.Options{}, "")
		d.scan(t, vaccinated)
		d.g.Heard(gate.Evidence{At: now.AddDate(5, 0, 0), Heard: now})
		if c := d.g.ClockState(); c.Trusted || c.Code != gate.ClockOffServer {
			t.Errorf("a clock five years off the server: %+v", c)
		}
		// It goes stale: the hard rules are all that is left.
		d.now = now.Add(gate.EvidenceFresh + time.Minute)
		if c := d.g.ClockState(); !c.Trusted {
			t.Errorf("stale evidence still counts: %+v", c)
		}
	})

	t.Run("back from a long switch-off, confirmed by the server", func(t *testing.T) {
		d := newDoor(t, now, store.Options{}, "")
		d.scan(t, vaccinated)
		d.now = now.AddDate(1, 0, 0)
		if c := d.g.ClockState(); c.Code != gate.ClockAhead {
			t.Fatalf("a year later: %+v", c)
		}
		d.g.Heard(gate.Evidence{At: d.now.Add(-30 * time.Second), Heard: d.now})
		if c := d.g.ClockState(); !c.Trusted {
			t.Errorf("confirmed by fresh evidence: %+v", c)
		}
		// The mark moved up with it: stale evidence later changes nothing.
		d.now = d.now.Add(time.Hour)
		if c := d.g.ClockState(); !c.Trusted {
			t.Errorf("an hour later: %+v", c)
		}
	})

	t.Run("a signed list issued after the clock", func(t *testing.T) {
		d := newDoor(t, now, store.Options{}, "")
		d.scan(t, vaccinated)
		d.g.AtLeast(now.Add(time.Hour))
		if c := d.g.ClockState(); c.Trusted || c.Code != gate.ClockBehind {
			t.Errorf("a clock behind the list's issue time: %+v", c)
		}
	})
}

// TestManualSettlesItsVisitor: a check by hand on a verdict that waited
// for staff is linked to it, and counts as one visitor.
func TestManualSettlesItsVisitor(t *testing.T) {
	d := newDoor(t, now, store.Options{}, "")
	waiting := d.scan(t, "signed by an unknown issuer")
	if !waiting.Waiting() {
		t.Fatalf("%+v does not wait for staff", waiting)
	}
	settled := d.g.Manual(gate.CheckSMS, &waiting, "")
	if settled.Resolves != waiting.Seq || settled.Format != waiting.Format {
		t.Errorf("settled %+v", settled)
	}
	again := d.scan(t, "signed by an unknown issuer")
	left := d.g.Unresolved(again)
	if left.Method != gate.MethodUnresolved || left.Resolves != again.Seq || left.Verdict != verify.Manual {
		t.Errorf("unresolved %+v", left)
	}
	day, err := d.db.DayOf(now)
	if err != nil {
		t.Fatal(err)
	}
	if day.Total != 2 || day.Verdicts["pass"] != 1 || day.Verdicts["manual"] != 1 || day.Methods["manual-sms"] != 1 || day.Methods["unresolved"] != 1 {
		t.Errorf("day %+v", day)
	}
	misread := d.g.Misread("cut off")
	if misread.Waiting() {
		t.Error("a misread waits for staff")
	}
}

// TestTokenDeadline: a token scan's check gets the visitor's budget from
// the scan's arrival, less the time the write needs.
func TestTokenDeadline(t *testing.T) {
	var got time.Time
	tk := deadlineTokens{seen: &got}
	db, err := store.Open(filepath.Join(t.TempDir(), "munjigi.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g, err := gate.New(gate.Config{Verifier: verify.New(verify.NewTrust(), time.Now), DB: db, Now: time.Now,
		Tokens: tk, TokenBudget: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	arrived := time.Now().Add(-300 * time.Millisecond) // it waited in the queue
	o := g.Decide([]byte("MJT1:ANYTHING"), arrived)
	if !o.Deadline.Equal(arrived.Add(1500 * time.Millisecond)) {
		t.Errorf("deadline %v, want the scan's arrival plus the budget", o.Deadline.Sub(arrived))
	}
	if want := o.Deadline.Add(-200 * time.Millisecond); !got.Equal(want) {
		t.Errorf("the check's deadline is %v before the answer's, want 200ms kept for the write", o.Deadline.Sub(got))
	}
}

type deadlineTokens struct{ seen *time.Time }

func (deadlineTokens) Match(p []byte) bool { return bytes.HasPrefix(p, []byte("MJT1:")) }
func (d deadlineTokens) Check(ctx context.Context, _ []byte) verify.Result {
	*d.seen, _ = ctx.Deadline()
	return verify.Result{Format: verify.FormatToken, Verdict: verify.Pass, Reason: verify.ReasonOK}
}

// TestHookGetsOnlyCodes: a reason a server made up never reaches a hook's
// environment as it is (issue 14, item 15).
func TestHookGetsOnlyCodes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env")
	h := gate.Hooks{Fail: "printf '%s|%s|%s' \"$MUNJIGI_REASON\" \"$MUNJIGI_TYPE\" \"$MUNJIGI_FORMAT\" > " + out + ".tmp && mv " + out + ".tmp " + out}
	o := gate.Outcome{Result: verify.Result{Verdict: verify.Fail, Reason: `=HYPERLINK("http://x","y")`, Type: "$(reboot)", Format: verify.FormatToken}}
	h.Run(o)
	var got []byte
	for i := 0; i < 1000 && len(got) == 0; i++ {
		time.Sleep(10 * time.Millisecond)
		got, _ = os.ReadFile(out)
	}
	if string(got) != "other|other|token" {
		t.Errorf("the hook saw %q", got)
	}
	for _, r := range verify.Reasons {
		if gate.KnownReason(r) != r {
			t.Errorf("%s is not known", r)
		}
	}
}
