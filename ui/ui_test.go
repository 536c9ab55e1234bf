package ui

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"munjigi/demo"
	"munjigi/gate"
	"munjigi/policy"
	"munjigi/scanner"
	"munjigi/store"
	"munjigi/verify"
)

var update = flag.Bool("update", false, "rewrite the golden files from what the screens draw now")

func TestMain(m *testing.M) {
	// Golden files hold the text without colours; TestColours checks
	// those.
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

var seoul = func() *time.Location {
	l, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		panic(err)
	}
	return l
}()

// lunch is when the tests' door stands: a Friday lunch in Seoul.
var lunch = time.Date(2026, 11, 20, 12, 5, 0, 0, seoul)

// testDoor is the real decision step over a real database, on a clock the
// test sets, with the demo passes signed for lunch.
type testDoor struct {
	*gate.Gate
	db      *store.DB
	now     time.Time
	samples map[string]demo.Sample
}

func newTestDoor(t testing.TB) *testDoor {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "munjigi.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d := &testDoor{db: db, now: lunch, samples: map[string]demo.Sample{}}
	p, err := policy.Builtin(policy.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	decider := policy.NewDecider(p, policy.Options{Location: seoul, Country: "KR", VenueType: "restaurant", ValueSets: policy.BuiltinValueSets(), Lang: "ko"})
	clock := func() time.Time { return d.now }
	d.Gate, err = gate.New(gate.Config{Verifier: verify.New(demo.Trust(lunch), clock), Decider: decider, DB: db, Now: clock, Location: seoul, ClockConfirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	all, err := demo.Passes(lunch)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		d.samples[s.Label] = s
	}
	return d
}

// Handle is the door's one entry for a scan.
func (d *testDoor) Handle(s scanner.Scan) gate.Outcome {
	if s.Err != nil {
		return d.Misread(s.Err.Error())
	}
	return d.Decide(s.Payload, s.At)
}

// Scan decides a payload, as a scan would be.
func (d *testDoor) Scan(p []byte) gate.Outcome { return d.Handle(scanner.Scan{Payload: p}) }

func (d *testDoor) payload(t testing.TB, label string) []byte {
	t.Helper()
	s, ok := d.samples[label]
	if !ok {
		t.Fatalf("no demo pass %q", label)
	}
	return []byte(s.Payload)
}

func (d *testDoor) config(lang string) Config {
	return Config{
		Door: d, History: d.db, Lang: lang, VenueName: "문지기 분식", VenueType: "restaurant",
		Policy: policy.DefaultProfile, Now: func() time.Time { return d.now }, Location: seoul,
		Trust: TrustStatus{Keys: 2, IssuedAt: lunch.Add(-3 * time.Hour), ExpiresAt: lunch.AddDate(0, 0, 7)},
	}
}

// decide runs a scan through the door as the screen's command would, and
// hands the screen the result.
func decide(t testing.TB, m *Model, d *testDoor, label string) gate.Outcome {
	t.Helper()
	o := d.Scan(d.payload(t, label))
	m.Update(decidedMsg{o: o, arrived: time.Now().Add(-3 * time.Millisecond)})
	return o
}

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// press hands the screen a person's key, past the wedge.
func press(m *Model, s string) tea.Cmd {
	return m.handleKey(keyMsg(s))
}

const validLabel = "vaccinated, 2 of 2 doses"

// screens are the states every golden file shows, each built from a fresh
// door and screen.
var screens = []struct {
	name  string
	build func(t testing.TB, m *Model, d *testDoor)
}{
	{"ready", func(t testing.TB, m *Model, d *testDoor) {}},
	{"ready-checking", func(t testing.TB, m *Model, d *testDoor) { m.busy = true }},
	{"verdict-pass", func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, validLabel) }},
	{"verdict-pass-shc", func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "SMART Health Card, booster") }},
	{"verdict-fail-expired", func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "expired certificate") }},
	{"verdict-fail-forged", func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "altered after signing") }},
	{"verdict-fail-rule", func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "positive PCR test") }},
	{"verdict-manual-solo", func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "first dose only") }},
	{"verdict-manual-unknown", func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "not a pass (a menu link)") }},
	{"verdict-reused", func(t testing.TB, m *Model, d *testDoor) {
		decide(t, m, d, validLabel)
		d.now = d.now.Add(7 * time.Minute)
		decide(t, m, d, validLabel)
	}},
	{"verdict-not-logged", func(t testing.TB, m *Model, d *testDoor) {
		o := d.Scan(d.payload(t, "recovered"))
		o.Logged, o.Log = false, gate.LogFull
		m.Update(decidedMsg{o: o, arrived: time.Now()})
	}},
	{"verdict-manual-recorded", func(t testing.TB, m *Model, d *testDoor) {
		o := d.Manual(gate.CheckSticker, nil, "")
		m.Update(decidedMsg{o: o})
	}},
	{"manual", func(t testing.TB, m *Model, d *testDoor) { press(m, "m") }},
	{"pin", func(t testing.TB, m *Model, d *testDoor) {
		m.cfg.StaffPINs = map[string]string{"2468": "kim"}
		press(m, "m")
		press(m, "2")
		press(m, "1")
		press(m, "3")
	}},
	{"stats", func(t testing.TB, m *Model, d *testDoor) {
		for i, l := range []string{validLabel, "vaccinated, booster", "expired certificate", "negative PCR test", "recovered", "first dose only", "altered after signing"} {
			d.now = lunch.Add(time.Duration(i*17) * time.Minute)
			decide(t, m, d, l)
		}
		d.now = lunch.Add(-3 * time.Hour)
		decide(t, m, d, "SMART Health Card, booster")
		d.now = lunch.Add(2 * time.Hour)
		m.Update(tickMsg(d.now))
		m.latency = []time.Duration{2 * time.Millisecond, 3 * time.Millisecond, 41 * time.Millisecond} // measured ones vary
		press(m, "s")
	}},
	{"log", func(t testing.TB, m *Model, d *testDoor) {
		for i, l := range []string{validLabel, "expired certificate", "first dose only"} {
			d.now = lunch.Add(time.Duration(i) * time.Minute)
			decide(t, m, d, l)
		}
		m.Update(decidedMsg{o: d.Manual(gate.CheckSoloDiner, nil, "")})
		press(m, "l")
	}},
	{"help", func(t testing.TB, m *Model, d *testDoor) { press(m, "?") }},
	{"quit", func(t testing.TB, m *Model, d *testDoor) { press(m, "q") }},
	{"scanner-down", func(t testing.TB, m *Model, d *testDoor) {
		m.Update(scanMsg(scanner.Scan{Kind: scanner.Disconnected}))
		m.cfg.Trust = TrustStatus{Keys: 2, IssuedAt: lunch.AddDate(0, 0, -5), ExpiresAt: lunch.AddDate(0, 0, 2)}
		m.clock = gate.Clock{Trusted: false, Code: gate.ClockNotSet, Reason: "the clock is not set (it says 1970-01-01)"}
	}},
}

// TestScreens draws every screen at 80x24 and 120x40, in Korean and
// English, checks that each fills the terminal without a line too wide,
// and compares it with its golden file (go test ./ui -update rewrites them).
func TestScreens(t *testing.T) {
	for _, sc := range screens {
		for _, lang := range Languages() {
			for _, size := range [][2]int{{80, 24}, {120, 40}} {
				name := sc.name + "-" + lang + "-" + sizeName(size)
				t.Run(name, func(t *testing.T) {
					d := newTestDoor(t)
					m := New(d.config(lang))
					m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
					sc.build(t, m, d)
					view := m.View()
					checkFits(t, view, size[0], size[1])
					golden(t, name, view)
				})
			}
		}
	}
}

// TestEverySize: every screen fits every terminal from 80x24 up, in both
// languages, and (colours off) writes no escape sequence at all, so
// nothing a pass carries can reach the terminal as a command.
func TestEverySize(t *testing.T) {
	sizes := [][2]int{{80, 24}, {81, 25}, {90, 24}, {100, 30}, {132, 43}, {160, 50}, {211, 62}}
	for _, sc := range screens {
		for _, lang := range Languages() {
			d := newTestDoor(t)
			m := New(d.config(lang))
			sc.build(t, m, d)
			for _, size := range sizes {
				m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				view := m.View()
				checkFits(t, view, size[0], size[1])
				if strings.Contains(view, "\x1b") {
					t.Errorf("%s %s %v: an escape sequence on the screen", sc.name, lang, size)
				}
			}
		}
	}
}

// TestHostileText: text that a pass, a rule file or a damaged log could
// carry is shown cleaned, never as terminal commands.
func TestHostileText(t *testing.T) {
	d := newTestDoor(t)
	cfg := d.config("en")
	cfg.VenueName = "Café\x1b]0;pwned\x07\u202e"
	m := New(cfg)
	o := d.Scan(d.payload(t, "first dose only"))
	o.Holder.Name = "\x1b[2J\x1b[31mEVIL\u202e"
	o.Detail = "rule says \x1b]52;c;Zm9v\x07 hi"
	o.Check = "\x1b[5mcheck"
	m.Update(decidedMsg{o: o, arrived: time.Now()})
	m.log = append(m.log, store.Entry{Method: "qr\x1b[1m", Reason: "\x1b[2Jwiped", Verdict: "pass", At: lunch})
	for _, k := range []string{"", "l"} {
		if k != "" {
			press(m, k)
		}
		if v := m.View(); strings.ContainsAny(v, "\x1b\x07\u202e") {
			t.Errorf("screen %d shows a control character: %q", m.screen, v)
		}
	}
}

func sizeName(s [2]int) string {
	return strings.Join([]string{itoa(s[0]), itoa(s[1])}, "x")
}

func itoa(n int) string {
	return strings.TrimSpace(strings.Replace(time.Duration(n).String(), "ns", "", 1))
}

// checkFits: exactly h lines, none wider than w cells (Hangul is two).
func checkFits(t testing.TB, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := lipgloss.Width(l); got > w {
			t.Errorf("line %d is %d cells wide, the terminal %d: %q", i+1, got, w, l)
		}
	}
}

func golden(t testing.TB, name, view string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	// Trailing spaces are the layout's padding: kept out of the files so
	// a diff shows what a person sees.
	var b strings.Builder
	for _, l := range strings.Split(view, "\n") {
		b.WriteString(strings.TrimRight(l, " ") + "\n")
	}
	got := b.String()
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("the screen differs from %s (go test ./ui -update rewrites it):\n%s", path, got)
	}
}
