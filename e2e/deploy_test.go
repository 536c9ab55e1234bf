package e2e

// Deployment: 'munjigi config check', 'munjigi doctor', and the figures a
// Raspberry Pi cares about (start to first frame, memory with a 10,000-key
// trust list and with the real published lists). The systemd unit and the
// Debian package: package deploy.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"munjigi/demo"
	"munjigi/internal/shareddata"
)

// runEnv runs the binary with extra environment.
func runEnv(t *testing.T, env []string, args ...string) outcome {
	t.Helper()
	return runBinary(t, env, nil, args...)
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	trust := trustFile(t)
	cases := []struct {
		name string
		body string
		env  []string
		code int
		want string // in stdout on success, in stderr on failure
	}{
		{"the shipped file", readFileString(t, "../config.yaml"), nil, 0, "ok ("},
		{"a venue", "venue:\n  name: 문지기 분식\n  type: cafe\nlanguage: en\n", nil, 0, `"문지기 분식", a cafe in KR`},
		{"a serial scanner", "scanner:\n  source: serial\n  port: /dev/ttyUSB0\n  baud: 115200\n", nil, 0, "serial /dev/ttyUSB0, 115200 baud, 8N1"},
		{"the environment wins over the file", "language: ko\n", []string{"MUNJIGI_LANGUAGE=en"}, 0, "screen in en"},
		{"a trust file", "trust:\n  files: [" + strconv.Quote(trust) + "]\n", nil, 0, "ok ("},
		{"an unknown key", "venue:\n  colour: red\n", nil, exitUsage, "venue.colour is not a setting; venue has venue.country, venue.name"},
		{"a wrong type", "store:\n  retention_days: many\n", nil, exitUsage, "retention_days"},
		{"an impossible value", "store:\n  retention_days: 0\n", nil, exitUsage, "store.retention_days is 0; it must be 1 to 3650"},
		{"a bad value from the environment", "# the environment says it all\n", []string{"MUNJIGI_SCANNER_BAUD=12"}, exitUsage, "baud 12"},
		{"a missing trust file", "trust:\n  files: [/no/such/list.json]\n", nil, exitUsage, "trust.files"},
		{"a missing rules folder", "policy:\n  rules: /no/such/rules\n", nil, exitUsage, "policy"},
		{"an upstream without a key", "upstream:\n  url: https://pass.example.kr\n", nil, exitUsage, "upstream.trust_key is empty"},
		{"a bad token pattern", "upstream:\n  token_patterns: [\"([\"]\n", nil, exitUsage, "upstream.token_patterns"},
		{"a bad log level", "log:\n  level: loud\n", nil, exitUsage, "log.level"},
		{"not YAML", "venue: [\n", nil, exitUsage, ", line 1: not valid YAML"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := write(fmt.Sprintf("c%d.yaml", i), c.body)
			// In English: the default language is the screen's, Korean
			// (TestConfigCheckWords hears it).
			o := runEnv(t, append([]string{"MUNJIGI_LANGUAGE=en"}, c.env...), "config", "check", "--config", path)
			out := string(o.stdout)
			if c.code != 0 {
				out = string(o.stderr)
			}
			if o.code != c.code || !strings.Contains(out, c.want) {
				t.Errorf("exit %d, want %d, with %q:\n%s%s", o.code, c.code, c.want, o.stdout, o.stderr)
			}
		})
	}
	// The kiosk refuses to start on the same mistakes, with the same words
	// (in the configuration's language: Korean, the default).
	bad := write("bad.yaml", "store:\n  retention_days: 0\n")
	if o := runEnv(t, nil, "run", "--headless", "--config", bad); o.code != exitUsage || !strings.Contains(string(o.stderr), "bad.yaml 2번째 줄: store.retention_days 값이 0입니다. 1에서 3650 사이여야 합니다") {
		t.Errorf("the kiosk on a bad config: exit %d: %s", o.code, o.stderr)
	}
	// MUNJIGI_CONFIG names the file when --config does not.
	if o := runEnv(t, []string{"MUNJIGI_CONFIG=" + bad}, "config", "check"); o.code != exitUsage {
		t.Errorf("MUNJIGI_CONFIG was not read: exit %d", o.code)
	}
}

func readFileString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDoctor: ready with a scanner, a sound database and trust; not ready,
// saying why, without them.
func TestDoctor(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "ttyACM0")
	plugScanner(t, link)
	db := filepath.Join(dir, "kiosk", "munjigi.db")
	// A database with entries in it.
	munjigi(t, []byte(sample(t, samples(t), validLabel).Payload+"\n"), "run", "--headless", "--demo", "--db", db)
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("scanner:\n  source: serial\n  port: %s\ntrust:\n  files: [%q]\nstore:\n  path: %s\n", link, trustFile(t), db)), 0o600)
	// In English (TestDoctorKorean hears the default, Korean).
	env := []string{"TERM=xterm-256color", "LANG=C.UTF-8", "MUNJIGI_LANGUAGE=en"}

	o := runEnv(t, env, "doctor", "--config", cfg)
	for _, want := range []string{"✓ scanner   " + link + " opens", "✓ database  " + db + " is sound: 1 entries", "✓ trust     2 keys", "✓ clock", "✓ terminal  xterm-256color, 256 colours", "ready"} {
		if !strings.Contains(string(o.stdout), want) {
			t.Errorf("no %q:\n%s", want, o.stdout)
		}
	}
	if o.code != 0 {
		t.Errorf("exit %d for a ready kiosk:\n%s%s", o.code, o.stdout, o.stderr)
	}

	// The upstream side: answering, or not (the door works without it).
	url, _ := startUpstream(t)
	if o := runEnv(t, env, "doctor", "--config", cfg, "--upstream", url); o.code != 0 || !strings.Contains(string(o.stdout), "✓ upstream  "+url+" answers") {
		t.Errorf("with the reference server: exit %d:\n%s", o.code, o.stdout)
	}
	if o := runEnv(t, env, "doctor", "--config", cfg, "--upstream", "http://127.0.0.1:9"); o.code != 0 || !strings.Contains(string(o.stdout), "! upstream") {
		t.Errorf("with the server down: exit %d:\n%s", o.code, o.stdout)
	}

	for _, c := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"the scanner unplugged", env, []string{"--port", filepath.Join(dir, "ttyACM9")}, "✗ scanner"},
		{"nothing trusted", env, []string{"--config", filepath.Join(dir, "none.yaml")}, "✗ trust     nothing trusted"},
		{"Hangul on the Linux console", []string{"TERM=linux", "LANG=C.UTF-8"}, nil, "✗ terminal  the Linux console cannot draw Hangul"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"doctor", "--config", cfg}, c.args...)
			if c.name == "nothing trusted" {
				os.WriteFile(filepath.Join(dir, "none.yaml"), []byte("store:\n  path: "+filepath.Join(dir, "other.db")+"\n"), 0o600)
				args = append([]string{"doctor"}, c.args...)
			}
			o := runEnv(t, c.env, args...)
			if o.code != exitNotPass || !strings.Contains(string(o.stdout), c.want) || !strings.Contains(string(o.stdout), "not ready") {
				t.Errorf("exit %d, want 1 with %q:\n%s%s", o.code, c.want, o.stdout, o.stderr)
			}
		})
	}
	// English on the Linux console is fine.
	if o := runEnv(t, []string{"TERM=linux", "LANG=C.UTF-8"}, "doctor", "--config", cfg, "--lang", "en"); o.code != 0 {
		t.Errorf("English on the console: exit %d:\n%s", o.code, o.stdout)
	}
}

// trustList10k writes a trust list of 10,000 document signer keys, as a
// large national list is.
func trustList10k(tb testing.TB) string {
	tb.Helper()
	type dsc struct {
		Certificate string `json:"certificate"`
	}
	list := struct {
		Version int    `json:"version"`
		DSC     []dsc  `json:"dsc"`
		Note    string `json:"note"`
	}{Version: 1, Note: "10,000 generated signers"}
	list.DSC = append(list.DSC, dsc{base64.StdEncoding.EncodeToString(demo.Signer().Certificate())})
	for len(list.DSC) < 10000 {
		iss, err := demo.GenerateIssuer(demo.IssuerOptions{Country: "XX"})
		if err != nil {
			tb.Fatal(err)
		}
		list.DSC = append(list.DSC, dsc{base64.StdEncoding.EncodeToString(iss.Certificate())})
	}
	data, _ := json.Marshal(list)
	path := filepath.Join(tb.TempDir(), "trust-10k.json")
	os.WriteFile(path, data, 0o600)
	return path
}

// rss reads a process's resident memory and its peak, in MiB.
func rss(tb testing.TB, pid int) (now, peak float64) {
	tb.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			kb, _ := strconv.ParseFloat(f[1], 64)
			if f[0] == "VmRSS:" {
				now = kb / 1024
			} else {
				peak = kb / 1024
			}
		}
	}
	return now, peak
}

// kioskOnPty starts the kiosk in a pseudo-terminal of w x h, its scanner
// the given serial link, and returns it with its screen output.
func kioskOnPty(tb testing.TB, args ...string) (*exec.Cmd, *os.File) {
	tb.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color", "LANG=C.UTF-8")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 80, Rows: 24})
	if err != nil {
		tb.Skipf("no pseudo-terminal: %v", err)
	}
	return cmd, f
}

// waitScreen reads the kiosk's output until it holds text, answering the
// cursor-position query as a terminal does (the Linux console included):
// the terminal libraries ask it at start, and wait for the answer.
func waitScreen(tb testing.TB, r *bufio.Reader, tty *os.File, text string) {
	tb.Helper()
	var seen []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(seen, []byte(text)) {
		n, err := r.Read(buf)
		if err != nil {
			tb.Fatalf("the screen ended before %q: %v", text, err)
		}
		if bytes.Contains(buf[:n], []byte("\x1b[6n")) {
			tty.Write([]byte("\x1b[1;1R"))
		}
		seen = append(seen, buf[:n]...)
		if len(seen) > 1<<20 {
			seen = seen[len(seen)-4096:]
		}
	}
}

// BenchmarkStartToFirstFrame is the time from starting the kiosk (with an
// existing database) to its first frame on the terminal, with a 10,000-key
// synthetic trust list, and with the two real lists converted and in force
// together (the German DSC list and the VCI directory, see realTrust).
// Goal: 300 ms.
func BenchmarkStartToFirstFrame(b *testing.B) {
	b.Run("synthetic-10k", func(b *testing.B) {
		benchFirstFrame(b, "--trust", trustList10k(b))
	})
	b.Run("real-de+vci", func(b *testing.B) {
		benchFirstFrame(b, realTrust(b)...)
	})
}

func benchFirstFrame(b *testing.B, trust ...string) {
	db := filepath.Join(b.TempDir(), "munjigi.db")
	var times []time.Duration
	for b.Loop() {
		t0 := time.Now()
		cmd, f := kioskOnPty(b, append([]string{"run", "--lang", "en", "--db", db}, trust...)...)
		waitScreen(b, bufio.NewReader(f), f, "Scan your pass")
		times = append(times, time.Since(t0))
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		f.Close()
	}
	b.ReportMetric(float64(median(times).Microseconds())/1000, "first-frame-ms")
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

// BenchmarkKioskMemory is the kiosk's resident memory, idle after start
// and after 10,000 scans from its serial scanner, with a 10,000-key
// synthetic trust list, and with the two real lists in force together
// (and the demo signer, whose passes are scanned). Goal: under 40 MB.
func BenchmarkKioskMemory(b *testing.B) {
	b.Run("synthetic-10k", func(b *testing.B) {
		benchMemory(b, "--trust", trustList10k(b))
	})
	b.Run("real-de+vci", func(b *testing.B) {
		benchMemory(b, append(realTrust(b), "--demo")...)
	})
}

func benchMemory(b *testing.B, trust ...string) {
	dir := b.TempDir()
	link := filepath.Join(dir, "ttyACM0")
	master, slave, err := pty.Open()
	if err != nil {
		b.Skipf("no pseudo-terminals: %v", err)
	}
	defer master.Close()
	os.Symlink(slave.Name(), link)
	slave.Close()
	all, err := demo.Passes(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cmd, f := kioskOnPty(b, append([]string{"run", "--lang", "en", "--port", link, "--db", filepath.Join(dir, "munjigi.db")}, trust...)...)
		screen := bufio.NewReader(f)
		waitScreen(b, screen, f, "Scanner connected")
		go func() { // keep the screen flowing
			buf := make([]byte, 64<<10)
			for {
				if _, err := screen.Read(buf); err != nil {
					return
				}
			}
		}()
		time.Sleep(500 * time.Millisecond)
		idle, _ := rss(b, cmd.Process.Pid)
		for i := range 10000 {
			master.Write([]byte(all[i%len(all)].Payload + "\r\n"))
			time.Sleep(time.Millisecond)
		}
		time.Sleep(2 * time.Second)
		after, peak := rss(b, cmd.Process.Pid)
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		f.Close()
		b.ReportMetric(idle, "idle-MiB")
		b.ReportMetric(after, "after-10k-MiB")
		b.ReportMetric(peak, "peak-MiB")
		if peak > 40 {
			b.Errorf("peak RSS %.1f MiB, over the 40 MB goal", peak)
		}
	}
}

// realTrust converts the two real published lists with the binary's own
// 'munjigi trust convert' (the German national backend's DSC list and the
// VCI directory of health-card issuers, their signatures checked) and
// returns the --trust flags that put both in force. The conversion is
// timed in package trustsrc's benchmarks.
func realTrust(b *testing.B) []string {
	b.Helper()
	src := shareddata.Path(b, "trust-sources")
	dir := b.TempDir()
	convert := func(out string, args ...string) string {
		path := filepath.Join(dir, out)
		cmd := exec.Command(binPath, append([]string{"trust", "convert"}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("munjigi trust convert %q: %v\n%s", args, err, stderr.Bytes())
		}
		if err := os.WriteFile(path, stdout.Bytes(), 0o600); err != nil {
			b.Fatal(err)
		}
		return path
	}
	de := filepath.Join(src, "de-dscg")
	vci := filepath.Join(src, "vci-directory")
	return []string{
		"--trust", convert("de.json", "--from", "de-dscg", "--key", filepath.Join(de, "dsc-list-signing-key.pem"), filepath.Join(de, "dsc-list.json")),
		"--trust", convert("vci.json", "--from", "vci-snapshot", "--cert", filepath.Join(vci, "vci_snapshot.crt"), "--sig", filepath.Join(vci, "vci_snapshot.sig"), filepath.Join(vci, "vci_snapshot.json")),
	}
}
