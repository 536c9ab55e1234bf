package e2e

// End-to-end tests of the munjigi command. They build the real binary once and
// run it as a person or a script would, through argv, stdin, stdout, stderr
// and the exit status, because that is the contract scripts at the door rely
// on: one JSON object per payload per line, exit 0/1/2.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"munjigi/demo"
)

// binPath is the munjigi binary built by TestMain.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "munjigi-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		os.Exit(1)
	}
	// Other users may run it (tests that drop root).
	os.Chmod(dir, 0o755)
	binPath = filepath.Join(dir, "munjigi")
	// Build with the go command rather than calling run(): the tests must see
	// what the shipped binary does, go:debug settings and os.Exit included.
	build := exec.Command("go", "build", "-o", binPath, "munjigi")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	// The binaries the tests start read no config.yaml of the machine's
	// (or the checkout's): each test says what it wants.
	os.Setenv("MUNJIGI_CONFIG", "none")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// outcome is what one run of the binary did.
type outcome struct {
	code           int
	stdout, stderr []byte
}

// munjigi runs the binary with args, feeding it stdin (nil means /dev/null).
// The kiosk's zone is set to Asia/Seoul so that any instant read or printed
// in local time instead of the zone it was given in shows up as a shifted
// verdict; the door's kiosks are not in UTC.
func munjigi(t *testing.T, stdin []byte, args ...string) outcome {
	t.Helper()
	return runBinary(t, nil, stdin, args...)
}

// runBinary runs the binary with extra environment and stdin.
func runBinary(t *testing.T, env []string, stdin []byte, args ...string) outcome {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), binPath, args...)
	cmd.Env = append(append(os.Environ(), "TZ=Asia/Seoul"), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("munjigi %q: %v", args, err)
	}
	return outcome{cmd.ProcessState.ExitCode(), stdout.Bytes(), stderr.Bytes()}
}

// checkNames are the nine steps every result line reports, in the contract's
// spelling.
var checkNames = []string{"prefix", "base45", "zlib", "cose", "signature", "expiry", "keyUsage", "schema", "revocation"}

// verdictLine is one line of verify's output, as a script reads it.
type verdictLine struct {
	Format    string           `json:"format"`
	Verdict   string           `json:"verdict"`
	Reason    string           `json:"reason"`
	Type      string           `json:"type"`
	Checks    map[string]*bool `json:"checks"`
	Issuer    string           `json:"issuer"`
	IssuedAt  time.Time        `json:"issuedAt"`
	ExpiresAt time.Time        `json:"expiresAt"`
	Holder    struct {
		Name      string `json:"name"`
		BirthYear int    `json:"birthYear"`
	} `json:"holder"`
}

// decodeLines splits verify's stdout into lines and holds each to the
// contract's shape: a JSON object per line, a known verdict, a reason, and
// all nine checks present as true, false or null. Checking the raw text as
// well as the decoded map matters: a missing key and a null both decode to a
// nil *bool.
func decodeLines(t *testing.T, stdout []byte) []verdictLine {
	t.Helper()
	if len(stdout) == 0 {
		return nil
	}
	if stdout[len(stdout)-1] != '\n' {
		t.Errorf("stdout does not end in a newline: %q", tail(stdout))
	}
	var out []verdictLine
	for i, line := range strings.Split(strings.TrimSuffix(string(stdout), "\n"), "\n") {
		var raw struct {
			Checks map[string]json.RawMessage `json:"checks"`
		}
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, line)
		}
		var v verdictLine
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("line %d does not decode: %v\n%s", i+1, err, line)
		}
		for _, k := range checkNames {
			r, ok := raw.Checks[k]
			if !ok {
				t.Errorf("line %d: checks.%s missing: %s", i+1, k, line)
				continue
			}
			if s := string(r); s != "true" && s != "false" && s != "null" {
				t.Errorf("line %d: checks.%s = %s, want true, false or null", i+1, k, s)
			}
		}
		if len(raw.Checks) != len(checkNames) {
			t.Errorf("line %d: %d checks, want exactly %v: %s", i+1, len(raw.Checks), checkNames, line)
		}
		switch v.Verdict {
		case "pass", "fail", "manual":
		default:
			t.Errorf("line %d: verdict %q, want pass, fail or manual", i+1, v.Verdict)
		}
		// "ok" is the one reason for a pass, and a pass has no other: a
		// script may test either.
		if (v.Verdict == "pass") != (v.Reason == "ok") || v.Reason == "" {
			t.Errorf("line %d: verdict %q with reason %q", i+1, v.Verdict, v.Reason)
		}
		if v.Format != "dcc" && v.Format != "shc" && v.Format != "unknown" {
			t.Errorf("line %d: format %q", i+1, v.Format)
		}
		if v.Type != "" && v.Type != "v" && v.Type != "t" && v.Type != "r" {
			t.Errorf("line %d: type %q, want v, t or r", i+1, v.Type)
		}
		out = append(out, v)
	}
	return out
}

// tail is the end of b, for messages about a long output.
func tail(b []byte) []byte {
	return b[max(0, len(b)-80):]
}

// samples signs the demo passes now, in the test process: the same signer
// the binary's --demo trusts, so the binary can check what the test made.
func samples(t *testing.T) []demo.Sample {
	t.Helper()
	s, err := demo.Passes(time.Now())
	if err != nil {
		t.Fatalf("demo.Passes: %v", err)
	}
	return s
}

// sample returns the demo pass with the given label.
func sample(t *testing.T, all []demo.Sample, label string) demo.Sample {
	t.Helper()
	for _, s := range all {
		if s.Label == label {
			return s
		}
	}
	t.Fatalf("no demo pass labelled %q", label)
	return demo.Sample{}
}

// validLabel is a demo pass that passes with the demo trust list; its holder
// is 홍길동, born 1985-03-01.
const validLabel = "vaccinated, 2 of 2 doses"

// trustFile writes the demo trust list to a file of its own and returns its
// path, as an operator would install a downloaded list.
func trustFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trust.json")
	if err := os.WriteFile(path, demo.TrustList(time.Now()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDemoJSON(t *testing.T) {
	t.Parallel()
	want := samples(t)
	o := munjigi(t, nil, "demo", "--json")
	if o.code != 0 {
		t.Fatalf("exit status %d, want 0\nstderr:\n%s", o.code, o.stderr)
	}
	lines := decodeLines(t, o.stdout)
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want one per demo pass (%d):\n%s", len(lines), len(want), o.stdout)
	}
	// Exit 0 from the demo claims each pass got the verdict it was made for;
	// hold the JSON to that claim too, so the exit status cannot lie.
	for i, s := range want {
		if got := lines[i].Verdict; got != string(s.Door) {
			t.Errorf("line %d (%s): verdict %q, want %q", i+1, s.Label, got, s.Door)
		}
	}
}

// TestDemoTable is README's first command: a person reads one line per demo
// pass, with the verdict as a word and a symbol, and a closing line.
func TestDemoTable(t *testing.T) {
	t.Parallel()
	want := samples(t)
	o := munjigi(t, nil, "demo")
	if o.code != 0 {
		t.Fatalf("exit status %d, want 0\nstderr:\n%s", o.code, o.stderr)
	}
	lines := strings.Split(strings.TrimSpace(string(o.stdout)), "\n")
	if len(lines) != len(want)+2 { // the passes, a blank line, the summary
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want)+2, o.stdout)
	}
	marks := map[string]string{"pass": "✓ pass", "fail": "✗ fail", "manual": "! manual"}
	for i, s := range want {
		if !strings.HasPrefix(lines[i], marks[string(s.Door)]) || !strings.Contains(lines[i], s.Label) {
			t.Errorf("line %d = %q, want %q and %q", i+1, lines[i], marks[string(s.Door)], s.Label)
		}
	}
	if !strings.Contains(string(o.stdout), "홍*동 (1985)") {
		t.Errorf("the table does not show the masked holder:\n%s", o.stdout)
	}
}

// TestVerifyDemoTrust: --demo adds the demo signer to what verify trusts and
// changes nothing else: payloads still come from stdin.
func TestVerifyDemoTrust(t *testing.T) {
	t.Parallel()
	want := samples(t)
	var in bytes.Buffer
	for _, s := range want {
		in.WriteString(s.Payload + "\n")
	}
	o := munjigi(t, in.Bytes(), "verify", "--demo")
	if o.code != 1 {
		t.Fatalf("exit status %d, want 1 (the demo set has failing passes)\nstderr:\n%s", o.code, o.stderr)
	}
	lines := decodeLines(t, o.stdout)
	if len(lines) != len(want) {
		t.Fatalf("%d lines for %d payloads", len(lines), len(want))
	}
	for i, s := range want {
		if lines[i].Verdict != string(s.Verify) {
			t.Errorf("line %d (%s): verdict %q, want %q", i+1, s.Label, lines[i].Verdict, s.Verify)
		}
	}
}

func TestVerifyRoundTripThroughFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, args ...string) []byte {
		t.Helper()
		o := munjigi(t, nil, args...)
		if o.code != 0 {
			t.Fatalf("munjigi %q: exit status %d\nstderr:\n%s", args, o.code, o.stderr)
		}
		if err := os.WriteFile(filepath.Join(dir, name), o.stdout, 0o644); err != nil {
			t.Fatal(err)
		}
		return o.stdout
	}
	write("trust.json", "demo", "trust")
	passes := write("passes.txt", "demo", "passes")

	want := samples(t)
	in := strings.Split(strings.TrimSuffix(string(passes), "\n"), "\n")
	if len(in) != len(want) {
		t.Fatalf("demo passes printed %d lines, want %d", len(in), len(want))
	}

	o := munjigi(t, passes, "verify", "--trust", filepath.Join(dir, "trust.json"))
	// The demo set holds passes made to fail, so the run as a whole did not pass.
	if o.code != 1 {
		t.Errorf("exit status %d, want 1\nstderr:\n%s", o.code, o.stderr)
	}
	lines := decodeLines(t, o.stdout)
	if len(lines) != len(in) {
		t.Fatalf("%d output lines for %d input lines:\n%s", len(lines), len(in), o.stdout)
	}
	// The passes are signed afresh on every run, so bytes differ between the
	// binary's set and ours; the verdicts, in order, must not.
	var got, wantV []string
	for i := range lines {
		got = append(got, lines[i].Verdict)
		wantV = append(wantV, string(want[i].Verify))
	}
	if !slices.Equal(got, wantV) {
		for i := range want {
			t.Logf("%-28s got %-6s want %s", want[i].Label, got[i], wantV[i])
		}
		t.Errorf("verdicts %v, want %v", got, wantV)
	}
}

func TestVerifyPayloadArguments(t *testing.T) {
	t.Parallel()
	all := samples(t)
	a := sample(t, all, validLabel).Payload
	b := sample(t, all, "negative PCR test").Payload
	// A failing pass on stdin: arguments, when given, are the only input, so
	// it must not be read and must not turn the exit status to 1.
	stdin := []byte(sample(t, all, "revoked certificate").Payload + "\n")

	o := munjigi(t, stdin, "verify", "--trust", trustFile(t), a, b)
	if o.code != 0 {
		t.Errorf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
	}
	lines := decodeLines(t, o.stdout)
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), o.stdout)
	}
	for i, wantType := range []string{"v", "t"} {
		if lines[i].Verdict != "pass" || lines[i].Type != wantType {
			t.Errorf("line %d: verdict %q type %q, want pass %q", i+1, lines[i].Verdict, lines[i].Type, wantType)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	malformed := filepath.Join(dir, "malformed.json")
	if err := os.WriteFile(malformed, []byte(`{"version": 1, "dsc": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.json")
	badConfig := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(badConfig, []byte("venue:\n  colour: red\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := trustFile(t)
	// A valid pass on stdin: a command that shrugged the error off and went
	// on would print a verdict line, which the empty-stdout check catches.
	stdin := []byte(sample(t, samples(t), validLabel).Payload + "\n")

	tests := []struct {
		name   string
		args   []string
		stderr string // a word the message must hold, so a person knows what to fix
	}{
		{"unknown flag", []string{"verify", "--bogus"}, "bogus"},
		{"unknown flag after trust", []string{"verify", "--trust", good, "-x"}, "-x"},
		{"at not a time", []string{"verify", "--trust", good, "--at", "yesterday"}, "yesterday"},
		{"at half a date", []string{"verify", "--trust", good, "--at", "2021-13-45T25:00:00Z"}, "--at"},
		{"at without value", []string{"verify", "--at"}, "-at"},
		{"trust missing file", []string{"verify", "--trust", missing}, "missing.json"},
		{"trust malformed JSON", []string{"verify", "--trust", malformed}, "malformed.json"},
		{"trust empty file", []string{"verify", "--trust", empty}, "empty"},
		{"trust directory", []string{"verify", "--trust", dir}, "is a directory"},
		{"trust good then missing", []string{"verify", "--trust", good, "--trust", missing}, "missing.json"},
		{"trust without value", []string{"verify", "--trust"}, "-trust"},
		{"unknown subcommand", []string{"frobnicate"}, "frobnicate"},
		{"no subcommand", nil, "munjigi --help"}, // in the configuration's language, Korean by default
		{"demo unknown what", []string{"demo", "keys"}, "Usage"},
		{"demo unknown flag", []string{"demo", "--tabel"}, "-tabel"},
		{"policy unknown", []string{"verify", "--policy", "eu-5g"}, "kr-2021-vaccine-pass"},
		{"config missing", []string{"verify", "--config", missing}, "no such file"},
		{"config unknown key", []string{"verify", "--config", badConfig}, "venue.colour"},
		{"config bad language", []string{"verify", "--lang", "fr"}, "ko, en"},
		{"rules without action", []string{"rules"}, "Usage"},
		{"rules test without path", []string{"rules", "test"}, "PATH"},
		{"rules test missing path", []string{"rules", "test", missing}, "missing.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := munjigi(t, stdin, tt.args...)
			if o.code != 2 {
				t.Errorf("exit status %d, want 2", o.code)
			}
			if len(o.stdout) != 0 {
				t.Errorf("stdout not empty:\n%s", o.stdout)
			}
			if !bytes.Contains(o.stderr, []byte(tt.stderr)) {
				t.Errorf("stderr does not mention %q:\n%s", tt.stderr, o.stderr)
			}
			if bytes.Contains(o.stderr, []byte("panic")) {
				t.Errorf("stderr:\n%s", o.stderr)
			}
		})
	}
}

func TestVerifyBadInputNeverCrashes(t *testing.T) {
	t.Parallel()
	all := samples(t)
	valid := sample(t, all, validLabel).Payload

	// Garbage from a fixed seed, so a failure can be replayed. A serial
	// scanner with the wrong baud rate sends bytes like these; '\n' and '\r'
	// are left out because they would end the line.
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := []byte{0x00, 0x1b, '[', '2', 'J', 0xff, 0xfe, 0x7f, 0x80, 0xc0, 0xed, 0xa0, 0x80, 0x07}
	for len(garbage) < 300 {
		if c := byte(rng.UintN(256)); c != '\n' && c != '\r' {
			garbage = append(garbage, c)
		}
	}
	huge := "HC1:" + strings.Repeat("A", 1<<20)

	// Each input line, with its ending, and what the answer must be. An
	// empty want means the line is blank and must get no answer; "!pass"
	// means any verdict but pass.
	lines := []struct {
		text, end string
		verdict   string
		reason    string
	}{
		{"", "\n", "", ""},
		{"HC1:", "\n", "!pass", ""},
		{"", "\r\n", "", ""},
		{"HC1:GGW", "\n", "!pass", ""},
		// Longer than any pass: refused unread, and the line after it is
		// read as usual rather than lost with the rest of the buffer.
		{huge, "\n", "fail", "too-large"},
		{valid, "\n", "pass", "ok"},
		{string(garbage), "\n", "!pass", ""},
		{"HC1:" + string(garbage), "\n", "!pass", ""},
		{valid, "\r\n", "pass", "ok"},
		{"", "\n", "", ""},
		{"", "\n", "", ""},
		{"https://example.com/menu", "\r\n", "manual", "unknown-format"},
		// Scanners and here-documents often omit the last newline.
		{valid, "", "pass", "ok"},
	}
	var in bytes.Buffer
	var want []int // index into lines of each line that must be answered
	for i, l := range lines {
		in.WriteString(l.text + l.end)
		if l.verdict != "" {
			want = append(want, i)
		}
	}

	o := munjigi(t, in.Bytes(), "verify", "--trust", trustFile(t))
	if bytes.Contains(o.stderr, []byte("panic")) {
		t.Fatalf("stderr:\n%s", o.stderr)
	}
	if o.code != 1 {
		t.Errorf("exit status %d, want 1\nstderr:\n%s", o.code, o.stderr)
	}
	// Output goes to terminals and logs: nothing from the input may reach
	// them as a control byte or as broken UTF-8.
	if !utf8.Valid(o.stdout) {
		t.Errorf("stdout is not valid UTF-8")
	}
	for i, c := range o.stdout {
		if c < 0x20 && c != '\n' {
			t.Errorf("stdout byte %d is %#x, a control character", i, c)
			break
		}
	}
	// JSON escapes would carry a control character past the byte check
	// above and into the terminal of any script that prints the field.
	for i, line := range bytes.Split(bytes.TrimSuffix(o.stdout, []byte("\n")), []byte("\n")) {
		var v any
		if err := json.Unmarshal(line, &v); err == nil {
			if s, ok := controlString(v); ok {
				t.Errorf("output line %d holds a control character in %q", i+1, s)
			}
		}
	}
	got := decodeLines(t, o.stdout)
	if len(got) != len(want) {
		t.Fatalf("%d output lines, want one per non-empty input line (%d):\n%s", len(got), len(want), o.stdout)
	}
	for k, i := range want {
		l, g := lines[i], got[k]
		switch {
		case l.verdict == "!pass" && g.Verdict == "pass",
			l.verdict != "!pass" && g.Verdict != l.verdict,
			l.reason != "" && g.Reason != l.reason:
			t.Errorf("input line %d (%.20q…): verdict %q reason %q, want %s %s",
				i+1, l.text, g.Verdict, g.Reason, l.verdict, l.reason)
		}
	}
}

func TestVerifyAtSpellings(t *testing.T) {
	t.Parallel()
	payload := sample(t, samples(t), validLabel).Payload
	trust := trustFile(t)

	// First, the pass as it stands now, to learn its window from the
	// binary itself rather than from the demo's internals.
	o := munjigi(t, nil, "verify", "--trust", trust, payload)
	base := decodeLines(t, o.stdout)
	if o.code != 0 || len(base) != 1 || base[0].IssuedAt.IsZero() || base[0].ExpiresAt.IsZero() {
		t.Fatalf("verifying the pass now: exit %d\n%s\n%s", o.code, o.stdout, o.stderr)
	}
	iat, exp := base[0].IssuedAt, base[0].ExpiresAt
	now := time.Now()

	spellings := []struct {
		name   string
		format func(time.Time, *time.Location) string
	}{
		{"RFC 3339 with offset", func(t time.Time, z *time.Location) string {
			return t.In(z).Format("2006-01-02T15:04:05-07:00")
		}},
		{"RFC 3339 UTC", func(t time.Time, _ *time.Location) string {
			return t.UTC().Format(time.RFC3339)
		}},
		{"no zone", func(t time.Time, _ *time.Location) string {
			return t.UTC().Format("2006-01-02T15:04:05")
		}},
		{"offset without colon", func(t time.Time, z *time.Location) string {
			return t.In(z).Format("2006-01-02T15:04:05-0700")
		}},
		{"fractional seconds", func(t time.Time, z *time.Location) string {
			return t.In(z).Add(123456789 * time.Nanosecond).Format("2006-01-02T15:04:05.000000000-07:00")
		}},
		{"space for T", func(t time.Time, z *time.Location) string {
			return t.In(z).Format("2006-01-02 15:04:05-07:00")
		}},
	}
	// Ten years away tells whether the spelling is read at all. Half an hour
	// past the window's edge, written in a zone whose offset points the
	// other way, tells whether the offset is honoured: read as UTC, +09:00
	// lands inside the window and so does -05:00.
	east, west := time.FixedZone("KST", 9*3600), time.FixedZone("EST", -5*3600)
	instants := []struct {
		name   string
		at     time.Time
		zone   *time.Location
		reason string
	}{
		{"ten years before", now.AddDate(-10, 0, 0), east, "not-yet-valid"},
		{"half an hour before issue", iat.Add(-30 * time.Minute), east, "not-yet-valid"},
		{"ten years after", now.AddDate(10, 0, 0), west, "expired"},
		{"half an hour after expiry", exp.Add(30 * time.Minute), west, "expired"},
	}
	for _, sp := range spellings {
		for _, in := range instants {
			at := sp.format(in.at, in.zone)
			t.Run(sp.name+"/"+in.name, func(t *testing.T) {
				t.Parallel()
				o := munjigi(t, nil, "verify", "--trust", trust, "--at", at, payload)
				if o.code != 1 {
					t.Errorf("--at %s: exit status %d, want 1\nstderr:\n%s", at, o.code, o.stderr)
				}
				got := decodeLines(t, o.stdout)
				if len(got) != 1 {
					t.Fatalf("--at %s: %d lines, want 1:\n%s", at, len(got), o.stdout)
				}
				g := got[0]
				if g.Verdict != "fail" || g.Reason != in.reason {
					t.Errorf("--at %s: verdict %q reason %q, want fail %q", at, g.Verdict, g.Reason, in.reason)
				}
				// Only the clock is wrong: the signature still holds, so the
				// reason is about time and not a trust problem in disguise.
				if c := g.Checks["signature"]; c == nil || !*c {
					t.Errorf("--at %s: signature check %v, want true", at, c)
				}
			})
		}
	}
}

func TestVerifyWithoutTrust(t *testing.T) {
	t.Parallel()
	payload := sample(t, samples(t), validLabel).Payload
	o := munjigi(t, nil, "verify", payload)
	if o.code != 1 {
		t.Errorf("exit status %d, want 1", o.code)
	}
	got := decodeLines(t, o.stdout)
	if len(got) != 1 {
		t.Fatalf("%d lines, want 1:\n%s", len(got), o.stdout)
	}
	// A kiosk that trusts nobody cannot tell a forgery from a real pass: it
	// must send the visitor to a person, never let them in or turn them away.
	if got[0].Verdict != "manual" || got[0].Reason != "unknown-signer" {
		t.Errorf("verdict %q reason %q, want manual unknown-signer", got[0].Verdict, got[0].Reason)
	}
	if !bytes.Contains(o.stderr, []byte("no trusted signers")) {
		t.Errorf("stderr does not say that no signers are trusted:\n%s", o.stderr)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	// A valid pass on stdin: if -h fell through to verifying, it would print
	// a verdict line and exit 0 all the same, so stdout must hold no JSON.
	stdin := []byte(sample(t, samples(t), validLabel).Payload + "\n")
	tests := []struct {
		args []string
		want string // in stdout+stderr
		out  bool   // the usage must be on stdout
	}{
		{[]string{"help"}, "munjigi verify", true},
		{[]string{"-h"}, "munjigi verify", true},
		{[]string{"--help"}, "munjigi verify", true},
		{[]string{"verify", "-h"}, "-trust", false},
		{[]string{"verify", "--help"}, "-at", false},
		{[]string{"demo", "-h"}, "passes", false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			o := munjigi(t, stdin, tt.args...)
			if o.code != 0 {
				t.Errorf("exit status %d, want 0\nstderr:\n%s", o.code, o.stderr)
			}
			if tt.out && !bytes.Contains(o.stdout, []byte(tt.want)) {
				t.Errorf("stdout does not hold the usage (%q):\n%s", tt.want, o.stdout)
			}
			all := append(slices.Clone(o.stdout), o.stderr...)
			if !bytes.Contains(all, []byte(tt.want)) {
				t.Errorf("output does not mention %q:\n%s", tt.want, all)
			}
			if bytes.Contains(o.stdout, []byte("{")) {
				t.Errorf("stdout holds JSON: help went on to verify:\n%s", o.stdout)
			}
		})
	}
}

func TestVerifyMasksHolder(t *testing.T) {
	t.Parallel()
	payload := sample(t, samples(t), validLabel).Payload
	trust := trustFile(t)
	tests := []struct {
		name string
		args []string
	}{
		{"payload argument", []string{"verify", "--trust", trust, payload}},
		{"demo set", []string{"demo", "--json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := munjigi(t, nil, tt.args...)
			if o.code != 0 {
				t.Fatalf("exit status %d, want 0\nstderr:\n%s", o.code, o.stderr)
			}
			decodeLines(t, o.stdout)
			// The door needs enough to match an ID card: the masked name
			// and the birth year.
			for _, s := range []string{`"홍*동"`, `"birthYear":1985`} {
				if !bytes.Contains(o.stdout, []byte(s)) {
					t.Errorf("stdout lacks %s:\n%s", s, o.stdout)
				}
			}
			// Everything else about the holder is personal data that must not
			// reach a log: the given name in either script, the birth date,
			// and the certificate id (result.go keeps it out of JSON).
			for _, s := range []string{"길동", "GILDONG", "1985-03-01", "URN:UVCI", "MUNJIGI/DEMO"} {
				if bytes.Contains(o.stdout, []byte(s)) {
					t.Errorf("stdout holds %q:\n%s", s, o.stdout)
				}
			}
		})
	}
}

// controlString finds a string in a decoded JSON value that holds a C0 or C1
// control character, keys included.
func controlString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		for _, r := range v {
			if r < 0x20 || r >= 0x7f && r < 0xa0 {
				return v, true
			}
		}
	case []any:
		for _, e := range v {
			if s, ok := controlString(e); ok {
				return s, true
			}
		}
	case map[string]any:
		for k, e := range v {
			if s, ok := controlString(k); ok {
				return s, true
			}
			if s, ok := controlString(e); ok {
				return s, true
			}
		}
	}
	return "", false
}

// TestVerifyPolicy: --policy judges genuine passes by the venue's rules and
// says which rules a pass did not meet; the demo door is a restaurant under
// the Korean profile.
func TestVerifyPolicy(t *testing.T) {
	t.Parallel()
	want := samples(t)
	var in bytes.Buffer
	for _, s := range want {
		in.WriteString(s.Payload + "\n")
	}
	o := munjigi(t, in.Bytes(), "verify", "--demo", "--policy", demo.Profile, "--venue", demo.VenueType, "--lang", "en")
	if o.code != 1 {
		t.Fatalf("exit status %d, want 1\nstderr:\n%s", o.code, o.stderr)
	}
	var results []struct {
		Verdict string `json:"verdict"`
		Policy  string `json:"policy"`
		Check   string `json:"check"`
		Rules   []struct {
			ID, Outcome, Description string
		} `json:"rules"`
	}
	for _, line := range bytes.Split(bytes.TrimSpace(o.stdout), []byte("\n")) {
		var r struct {
			Verdict string                                      `json:"verdict"`
			Policy  string                                      `json:"policy"`
			Check   string                                      `json:"check"`
			Rules   []struct{ ID, Outcome, Description string } `json:"rules"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		results = append(results, r)
	}
	if len(results) != len(want) {
		t.Fatalf("%d results for %d passes", len(results), len(want))
	}
	for i, s := range want {
		r := results[i]
		if r.Verdict != string(s.Door) {
			t.Errorf("%s: verdict %s, want %s", s.Label, r.Verdict, s.Door)
		}
		// Only a pass verify accepted is judged by the rules.
		if judged := s.Verify == "pass"; judged != (r.Policy == demo.Profile) {
			t.Errorf("%s: policy %q", s.Label, r.Policy)
		}
		if r.Verdict != "pass" && r.Policy != "" && len(r.Rules) == 0 {
			t.Errorf("%s: refused by the rules without naming one", s.Label)
		}
	}
	first := results[indexOf(t, want, "first dose only")]
	if first.Check != "solo-diner" || first.Rules[0].ID != "VR-KR-0002" || first.Rules[0].Outcome != "excused" {
		t.Errorf("first dose at a restaurant: %+v", first)
	}
}

func indexOf(t *testing.T, all []demo.Sample, label string) int {
	t.Helper()
	for i, s := range all {
		if s.Label == label {
			return i
		}
	}
	t.Fatalf("no demo pass labelled %q", label)
	return -1
}

// TestRulesTest: rule writers run their tests; a failure is named and the
// run ends with the count and a failing exit status.
func TestRulesTest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rule := `{"Identifier": "VR-XX-0001", "Type": "Acceptance", "CertificateType": "Vaccination",
		"Description": [{"lang": "en", "desc": "Two doses at least."}],
		"ValidFrom": "2021-01-01T00:00:00Z", "ValidTo": "2030-01-01T00:00:00Z",
		"Logic": {"if": [{"var": "payload.v.0"}, {">=": [{"var": "payload.v.0.dn"}, 2]}, true]}}`
	tests := map[string]string{
		"test001.json": `{"name": "two doses", "payload": {"v": [{"dn": 2}]}, "external": {}, "expected": true}`,
		"test002.json": `{"name": "one dose", "payload": {"v": [{"dn": 1}]}, "external": {}, "expected": false}`,
		"test003.json": `{"name": "wrongly expects a pass", "payload": {"v": [{"dn": 1}]}, "external": {}, "expected": true}`,
	}
	ruleDir := filepath.Join(dir, "VR-XX-0001")
	if err := os.MkdirAll(filepath.Join(ruleDir, "tests"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ruleDir, "rule.json"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, body := range tests {
		if err := os.WriteFile(filepath.Join(ruleDir, "tests", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o := munjigi(t, nil, "rules", "test", dir)
	lines := strings.Split(strings.TrimSpace(string(o.stdout)), "\n")
	if o.code != 1 || lines[len(lines)-1] != "2 passed, 1 failed" {
		t.Fatalf("exit %d, output:\n%s", o.code, o.stdout)
	}
	if !strings.Contains(string(o.stdout), "test003.json (wrongly expects a pass)") {
		t.Errorf("the failure is not named:\n%s", o.stdout)
	}
	os.Remove(filepath.Join(ruleDir, "tests", "test003.json"))
	if o := munjigi(t, nil, "rules", "test", ruleDir); o.code != 0 || !strings.HasSuffix(strings.TrimSpace(string(o.stdout)), "2 passed, 0 failed") {
		t.Errorf("exit %d, output:\n%s", o.code, o.stdout)
	}
}

func TestRulesList(t *testing.T) {
	t.Parallel()
	o := munjigi(t, nil, "rules", "list", "--lang", "ko")
	if o.code != 0 {
		t.Fatalf("exit %d: %s", o.code, o.stderr)
	}
	for _, name := range []string{"kr-2021-vaccine-pass (default)", "eu-3g", "eu-2g", "eu-2g-plus", "booster-only", "test-only", "기본접종"} {
		if !strings.Contains(string(o.stdout), name) {
			t.Errorf("rules list lacks %q", name)
		}
	}
}

// TestVersionAndCompletion: the binary says which it is, and writes a
// shell's completion script.
func TestVersionAndCompletion(t *testing.T) {
	t.Parallel()
	v := munjigi(t, nil, "version")
	if v.code != 0 || !bytes.HasPrefix(v.stdout, []byte("munjigi ")) || len(bytes.TrimSpace(v.stdout)) <= len("munjigi ") {
		t.Errorf("version: exit %d: %q", v.code, v.stdout)
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		c := munjigi(t, nil, "completion", shell)
		if c.code != 0 || !bytes.Contains(c.stdout, []byte("munjigi")) || len(c.stdout) < 500 {
			t.Errorf("completion %s: exit %d, %d bytes", shell, c.code, len(c.stdout))
		}
	}
	// Without a terminal, munjigi alone says what to run instead.
	o := munjigi(t, nil)
	if o.code != exitUsage || !bytes.Contains(o.stderr, []byte("munjigi demo --table")) || !bytes.Contains(o.stderr, []byte("munjigi run --headless")) || len(o.stderr) > 600 {
		t.Errorf("munjigi without a terminal: exit %d:\n%s", o.code, o.stderr)
	}
}
