package ui

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"munjigi/demo"
	"munjigi/gate"
	"munjigi/policy"
	"munjigi/scanner"
	"munjigi/store"
	"munjigi/verify"
)

var update = flag.Bool("update", false, "rewrite the golden files from what the screens draw now")

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

var _ Door = (*testDoor)(nil)

func newTestDoor(t testing.TB) *testDoor {
	t.Helper()
	// Tests keep dozens of databases open: a 32-bit build has little address space.
	db, err := store.Open(filepath.Join(t.TempDir(), "munjigi.db"), store.Options{NoSync: true, MapSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d := &testDoor{db: db, now: lunch, samples: map[string]demo.Sample{}}
	p, err := defaultProfile()
	if err != nil {
		t.Fatal(err)
	}
	// The rules speak Korean, as the default kiosk's do: the English
	// screen must find the rule's English words itself.
	decider := policy.NewDecider(p, policy.Options{Location: seoul, Country: "KR", VenueType: "restaurant", ValueSets: policy.BuiltinValueSets(), Lang: "ko"})
	clock := func() time.Time { return d.now }
	d.Gate, err = gate.New(gate.Config{Verifier: verify.New(demo.Trust(lunch), clock), Decider: decider, DB: db, Now: clock, Location: seoul, ClockConfirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	all, err := lunchPasses()
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

// The demo passes and the profile are made once: every door is a new
// database, and a pass is only its text.
var (
	lunchPasses    = sync.OnceValues(func() ([]demo.Sample, error) { return demo.Passes(lunch) })
	defaultProfile = sync.OnceValues(func() (*policy.Profile, error) { return policy.Builtin(policy.DefaultProfile) })
)

func (d *testDoor) config(lang string) Config {
	p, err := defaultProfile()
	if err != nil {
		panic(err)
	}
	return Config{
		Door: d, History: d.db, Lang: lang,
		Venue:    Venue{Name: "문지기 분식", Type: "restaurant"},
		Policy:   PolicyOf(p),
		Timing:   Timing{Now: func() time.Time { return d.now }, Location: seoul},
		Trust:    TrustStatus{Keys: 2, IssuedAt: lunch.Add(-3 * time.Hour), ExpiresAt: lunch.AddDate(0, 0, 7)},
		Renderer: renderer(termenv.Ascii),
	}
}

// renderer draws styles in a colour profile of the test's choosing,
// whatever terminal (or none) runs the test.
func renderer(p termenv.Profile) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(p)
	return r
}

// scan hands the screen a scan as its scanner would, and runs the door's
// command as the program would (the timers it starts are left alone).
func scan(t testing.TB, m *Model, d *testDoor, label string) {
	t.Helper()
	scanPayload(m, d.payload(t, label), nil)
}

func scanPayload(m *Model, payload []byte, misread error) {
	m.enqueue(payload, misread, time.Now().Add(-3*time.Millisecond))
	if cmd := m.startNext(); cmd != nil {
		m.Update(cmd())
	}
}

// decide is scan, for a screen that must end on the verdict.
func decide(t testing.TB, m *Model, d *testDoor, label string) {
	t.Helper()
	scan(t, m, d, label)
	if m.screen != verdictScreen {
		t.Fatalf("%s: screen %d, not the verdict", label, m.screen)
	}
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

// press hands the screen a person's key, past the keyboard scanner's
// detector, and runs the door's command when the key made one.
func press(m *Model, s string) {
	if cmd := m.handleKey(keyMsg(s)); cmd != nil {
		if msg := cmd(); msg != nil {
			m.Update(msg)
		}
	}
}

const validLabel = "vaccinated, 2 of 2 doses"

// splitCard is the first of two QR codes of a SMART Health Card.
func splitCard(t testing.TB) []byte {
	jws, err := demo.SHCSigner().Sign(demo.HealthCard{IssuedAt: lunch.AddDate(0, 0, -20), Rid: "split0001", Family: "Lee", Given: []string{"Ana"},
		BirthDate: "1988-06-15", Shots: []demo.Shot{{CVX: "208", Date: "2026-05-01"}, {CVX: "208", Date: "2026-05-22"}}})
	if err != nil {
		t.Fatal(err)
	}
	return []byte(demo.ChunkQRs(jws, 2)[0])
}

// screenState is one state of the screen, built from a fresh door and
// screen; verdict says the state is a verdict screen (painted edge to
// edge in its colour).
type screenState struct {
	name    string
	verdict tone
	build   func(t testing.TB, m *Model, d *testDoor)
}

const notVerdict tone = -1

// screens are the states every golden file shows.
var screens = []screenState{
	{"ready", notVerdict, func(t testing.TB, m *Model, d *testDoor) {}},
	{"ready-checking", notVerdict, func(t testing.TB, m *Model, d *testDoor) { m.busy = true }},
	{"ready-reading", notVerdict, func(t testing.TB, m *Model, d *testDoor) {
		m.Update(scanMsg(scanner.Scan{Kind: scanner.Connected, Source: "serial:/dev/ttyACM0"}))
		m.Update(scanMsg(scanner.Scan{Kind: scanner.Reading}))
	}},
	{"scanner-down", notVerdict, func(t testing.TB, m *Model, d *testDoor) {
		m.Update(scanMsg(scanner.Scan{Kind: scanner.Disconnected, Err: fmt.Errorf("open /dev/ttyACM0: no such file or directory")}))
		m.cfg.Trust = TrustStatus{Keys: 2, IssuedAt: lunch.AddDate(0, 0, -5), ExpiresAt: lunch.AddDate(0, 0, 2)}
		m.clock = gate.Clock{Trusted: false, Code: gate.ClockNotSet, Reason: "the clock is not set (it says 1970-01-01)"}
	}},
	{"verdict-pass", tonePass, func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, validLabel) }},
	{"verdict-pass-shc", tonePass, func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "SMART Health Card, booster") }},
	{"verdict-pass-reading", tonePass, func(t testing.TB, m *Model, d *testDoor) {
		decide(t, m, d, "vaccinated, booster")
		m.Update(scanMsg(scanner.Scan{Kind: scanner.Reading}))
	}},
	{"verdict-fail-expired", toneFail, func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "expired certificate") }},
	{"verdict-fail-forged", toneFail, func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "altered after signing") }},
	{"verdict-fail-rule", toneFail, func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "positive PCR test") }},
	{"verdict-manual-solo", toneManual, func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "first dose only") }},
	{"verdict-manual-exemption", toneManual, func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "primary series, 200 days ago") }},
	{"verdict-manual-unknown", toneManual, func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "not a pass (a menu link)") }},
	{"verdict-manual-signer", toneManual, func(t testing.TB, m *Model, d *testDoor) { decide(t, m, d, "signed by an unknown issuer") }},
	{"verdict-reused", toneManual, func(t testing.TB, m *Model, d *testDoor) {
		decide(t, m, d, validLabel)
		d.now = d.now.Add(7 * time.Minute)
		decide(t, m, d, validLabel)
	}},
	{"verdict-not-logged", tonePass, func(t testing.TB, m *Model, d *testDoor) {
		o := d.Scan(d.payload(t, "recovered"))
		o.Logged, o.Log = false, gate.LogFull
		m.Update(decidedMsg{o: o, arrived: time.Now()})
	}},
	{"verdict-manual-recorded", tonePass, func(t testing.TB, m *Model, d *testDoor) {
		press(m, "m")
		press(m, "1")
	}},
	{"verdict-settled", tonePass, func(t testing.TB, m *Model, d *testDoor) {
		decide(t, m, d, "first dose only")
		press(m, "7")
	}},
	{"verdict-refused-by-hand", toneFail, func(t testing.TB, m *Model, d *testDoor) {
		decide(t, m, d, "signed by an unknown issuer")
		press(m, "0")
	}},
	{"verdict-next-visitor", tonePass, func(t testing.TB, m *Model, d *testDoor) {
		decide(t, m, d, "first dose only")
		decide(t, m, d, "negative PCR test") // the amber visitor was left unsettled
	}},
	{"verdict-misread", toneAgain, func(t testing.TB, m *Model, d *testDoor) {
		scanPayload(m, nil, scanner.ErrIncomplete)
	}},
	{"verdict-split-card", toneAgain, func(t testing.TB, m *Model, d *testDoor) { scanPayload(m, splitCard(t), nil) }},
	{"verdict-gap", toneManual, func(t testing.TB, m *Model, d *testDoor) {
		m.Update(decidedMsg{o: d.Gap("the database was damaged (bad page) and was moved aside to munjigi.db.damaged; a fresh log starts here")})
	}},
	{"verdict-waiting-misread", toneManual, func(t testing.TB, m *Model, d *testDoor) {
		decide(t, m, d, "primary series, 200 days ago")
		scanPayload(m, nil, scanner.ErrIncomplete) // nobody new: the visitor still waits
	}},
	{"manual", notVerdict, func(t testing.TB, m *Model, d *testDoor) { press(m, "m") }},
	{"manual-waiting", notVerdict, func(t testing.TB, m *Model, d *testDoor) {
		decide(t, m, d, "signed by an unknown issuer")
		press(m, "m")
	}},
	{"pin", notVerdict, func(t testing.TB, m *Model, d *testDoor) {
		m.cfg.StaffPINs = map[string]string{"2468": "kim"}
		press(m, "m")
		press(m, "2")
		press(m, "1")
		press(m, "3")
	}},
	{"stats", notVerdict, func(t testing.TB, m *Model, d *testDoor) {
		for i, l := range []string{validLabel, "vaccinated, booster", "expired certificate", "negative PCR test", "recovered", "altered after signing", "first dose only"} {
			d.now = lunch.Add(time.Duration(i*17) * time.Minute)
			scan(t, m, d, l)
		}
		press(m, "1") // the amber visitor showed a sticker: one visitor, counted as a pass
		scanPayload(m, nil, scanner.ErrIncomplete)
		d.now = lunch.Add(-3 * time.Hour)
		scan(t, m, d, "SMART Health Card, booster")
		d.now = lunch.Add(2 * time.Hour)
		m.Update(tickMsg(d.now))
		m.latency = []time.Duration{2 * time.Millisecond, 3 * time.Millisecond, 41 * time.Millisecond} // measured ones vary
		m.recent = nil
		press(m, "s")
	}},
	{"log", notVerdict, func(t testing.TB, m *Model, d *testDoor) {
		for i, l := range []string{validLabel, "expired certificate", "first dose only", "not a pass (a menu link)"} {
			d.now = lunch.Add(time.Duration(i) * time.Minute)
			scan(t, m, d, l)
		}
		press(m, "esc")
		m.Update(decidedMsg{o: d.Manual(gate.CheckSoloDiner, nil, "")})
		press(m, "l")
	}},
	{"help", notVerdict, func(t testing.TB, m *Model, d *testDoor) { press(m, "?") }},
	{"quit", notVerdict, func(t testing.TB, m *Model, d *testDoor) { press(m, "q") }},
}

// goldenSizes: the 7-inch screen of a Raspberry Pi under fbterm, the
// classic terminal, and a large one.
var goldenSizes = [][2]int{{57, 17}, {80, 24}, {120, 40}}

// allSizes: every size from the smallest the screen supports to a full
// HD monitor under fbterm.
var allSizes = [][2]int{{40, 12}, {44, 14}, {57, 17}, {64, 20}, {80, 24}, {81, 25}, {90, 24}, {100, 30}, {120, 40}, {132, 43}, {160, 50}, {211, 62}}

// build draws a state at a size in a language, with a renderer.
func build(t testing.TB, sc screenState, lang string, size [2]int, r *lipgloss.Renderer) (*Model, string) {
	t.Helper()
	d := newTestDoor(t)
	cfg := d.config(lang)
	cfg.Renderer = r
	m := New(cfg)
	m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
	sc.build(t, m, d)
	return m, m.View()
}

// TestScreens draws every screen at the golden sizes, in Korean and
// English, checks that each fills the terminal without a line too wide,
// and compares it with its golden file (go test ./ui -update rewrites
// them).
func TestScreens(t *testing.T) {
	for _, sc := range screens {
		for _, lang := range Languages() {
			for _, size := range goldenSizes {
				name := sc.name + "-" + lang + "-" + sizeName(size)
				t.Run(name, func(t *testing.T) {
					_, view := build(t, sc, lang, size, renderer(termenv.Ascii))
					checkFits(t, view, size[0], size[1])
					golden(t, name+".golden", textGolden(view))
				})
			}
		}
	}
}

// TestEverySize: every screen fits every terminal from 40x12 up, in both
// languages, and (colours off) writes no escape sequence at all, so
// nothing a pass carries can reach the terminal as a command.
func TestEverySize(t *testing.T) {
	for _, sc := range screens {
		for _, lang := range Languages() {
			d := newTestDoor(t)
			cfg := d.config(lang)
			m := New(cfg)
			sc.build(t, m, d)
			screen := m.screen
			for _, size := range allSizes {
				m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				view := m.View()
				if m.screen != screen {
					t.Fatalf("%s: the screen changed on resize", sc.name)
				}
				checkFits(t, view, size[0], size[1])
				if strings.ContainsAny(view, "\x1b\x07\x9b") {
					t.Errorf("%s %s %v: a control character on the screen", sc.name, lang, size)
				}
				if sc.verdict != notVerdict {
					checkVerdictShows(t, m, view, sc.name+" "+lang+" "+sizeName(size))
				}
			}
		}
	}
}

// checkVerdictShows: whatever the size, the verdict's word shows (big or
// as text), and every option of a verdict that waits for staff.
func checkVerdictShows(t *testing.T, m *Model, view string, name string) {
	t.Helper()
	_, word := m.headline(m.shown)
	if !strings.Contains(view, word) {
		big, _ := bigText(word, m.w, m.h)
		if len(big) == 0 || !strings.Contains(view, big[len(big)/2]) {
			t.Errorf("%s: the word %q does not show:\n%s", name, word, view)
		}
	}
	if m.waiting == nil {
		return
	}
	for _, k := range m.offered() {
		if !strings.Contains(view, k+"  ") {
			t.Errorf("%s: option %s does not show:\n%s", name, k, view)
		}
	}
}

// TestHostileText: text that a pass, a rule file or a damaged log could
// carry is shown cleaned, never as terminal commands.
func TestHostileText(t *testing.T) {
	d := newTestDoor(t)
	cfg := d.config("en")
	cfg.Venue.Name = "Café\x1b]0;pwned\x07\u202e"
	m := New(cfg)
	o := d.Scan(d.payload(t, "first dose only"))
	o.Holder.Name = "\x1b[2J\x1b[31mEVIL\u202e"
	o.Detail = "rule says \x1b]52;c;Zm9v\x07 hi"
	o.Check = "\x1b[5mcheck"
	m.Update(decidedMsg{o: o, arrived: time.Now()})
	m.log = append(m.log, store.Entry{Method: "qr\x1b[1m", Reason: "\x1b[2Jwiped", Verdict: "pass", At: lunch})
	for _, k := range []string{"", "l", "esc", "e"} {
		if k != "" {
			press(m, k)
		}
		if v := m.View(); strings.ContainsAny(v, "\x1b\x07\u202e") {
			t.Errorf("screen %d shows a control character: %q", m.screen, v)
		}
	}
}

func sizeName(s [2]int) string { return fmt.Sprintf("%dx%d", s[0], s[1]) }

// checkFits: exactly h lines, none wider than w cells (Hangul is two).
func checkFits(t testing.TB, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got > w {
			t.Errorf("line %d is %d cells wide, the terminal %d: %q", i+1, got, w, l)
		}
	}
}

// textGolden is a frame as a person reads it: trailing spaces are the
// layout's padding, kept out of the files so a diff shows what changed.
func textGolden(view string) string {
	var b strings.Builder
	for _, l := range strings.Split(view, "\n") {
		b.WriteString(strings.TrimRight(l, " ") + "\n")
	}
	return b.String()
}

func golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
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
