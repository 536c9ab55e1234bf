package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// needTool finds a tool the test needs: a skip outside CI, a failure in
// CI, whose machine .ci/run sets up with it.
func needTool(t *testing.T, name, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed, and CI must run this test (.ci/run installs %s)", name, pkg)
		}
		t.Skipf("%s is not installed (apt-get install %s)", name, pkg)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// verify runs systemd-analyze verify on munjigi.service in dir (with its
// drop-ins there), and fails on any complaint.
func verify(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command("systemd-analyze", "verify", "munjigi.service")
	// A unit name that is a file in the working directory is read from
	// there, drop-ins aside: run it elsewhere.
	cmd.Dir = "/"
	// The trailing ":" keeps the system's units (getty@, multi-user.target).
	cmd.Env = append(os.Environ(), "SYSTEMD_UNIT_PATH="+dir+":")
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSystemdUnit checks deploy/munjigi.service, alone and with the fbterm
// drop-in, as systemd reads them. verify insists that every command exists:
// the programs the unit names are not on this machine (the package test
// checks the installed unit with the real binary), so this test's own
// binary stands in for them.
func TestSystemdUnit(t *testing.T) {
	needTool(t, "systemd-analyze", "systemd")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	stand := strings.NewReplacer("/usr/bin/munjigi", self, "/usr/bin/fbterm", self)
	unit := readFile(t, "munjigi.service")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "munjigi.service"), []byte(stand.Replace(unit)), 0o644)
	verify(t, dir)
	os.Mkdir(filepath.Join(dir, "munjigi.service.d"), 0o755)
	os.WriteFile(filepath.Join(dir, "munjigi.service.d", "fbterm.conf"), []byte(stand.Replace(readFile(t, "munjigi-fbterm.conf"))), 0o644)
	verify(t, dir)

	// What the rest of the design leans on, said once here: the paths the
	// package installs, tty1 for the screen and the journal for errors,
	// and a kiosk that keeps trying.
	for _, want := range []string{
		"ExecStart=/usr/bin/munjigi --config /etc/munjigi/config.yaml\n",
		"StandardOutput=tty\n", "StandardError=journal\n", "TTYPath=/dev/tty1\n",
		"StartLimitIntervalSec=0\n", "Restart=always\n", "User=munjigi\n", "StateDirectory=munjigi\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit has no %q", want)
		}
	}
	if !strings.Contains(readFile(t, "munjigi-fbterm.conf"), "-- /usr/bin/munjigi --config /etc/munjigi/config.yaml\n") {
		t.Error("the fbterm drop-in does not run the packaged binary with the packaged configuration")
	}
}

// stopPost is the unit's ExecStopPost command as systemd hands it to
// /bin/sh: the single-quoted script, with "$$" unescaped to "$".
func stopPost(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^ExecStopPost=/bin/sh -c '([^']*)'$`).FindStringSubmatch(readFile(t, "munjigi.service"))
	if m == nil {
		t.Fatal("no ExecStopPost=/bin/sh -c '...' in the unit")
	}
	if strings.ContainsAny(m[1], `%\`) {
		t.Fatalf("the script holds a character systemd would rewrite (%% or \\): %s", m[1])
	}
	return strings.ReplaceAll(m[1], "$$", "$")
}

// TestStopMessage runs the unit's ExecStopPost script as systemd would
// after the kiosk stops, with the variables systemd sets
// (systemd.exec(5)): on a failure tty1 says what happened and where to
// look, and waits before systemd clears it; a clean stop says nothing.
// systemd cannot run here (it is not PID 1), so sh runs the script.
func TestStopMessage(t *testing.T) {
	script := stopPost(t)
	for _, c := range []struct {
		name, result, code, status string
		want                       string // "" for silence
	}{
		{"stopped (systemctl stop)", "success", "exited", "0", ""},
		{"a start-up error", "exit-code", "exited", "2", " munjigi stopped: exit-code (exited 2). It starts again in a moment.\n Why: journalctl -u munjigi -b\n"},
		{"the binary would not run", "exit-code", "exited", "203", "(exited 203)"},
		{"a crash", "core-dump", "dumped", "SEGV", "munjigi stopped: core-dump (dumped SEGV)"},
		{"killed", "signal", "killed", "KILL", "munjigi stopped: signal (killed KILL)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // each failure case waits 5 s, as on the Pi
			cmd := exec.Command("/bin/sh", "-c", script)
			cmd.Env = append(os.Environ(), "SERVICE_RESULT="+c.result, "EXIT_CODE="+c.code, "EXIT_STATUS="+c.status)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("the script failed (ExecStopPost would log it): %v", err)
			}
			if c.want == "" && len(out) > 0 || c.want != "" && !strings.Contains(string(out), c.want) {
				t.Errorf("got %q, want %q", out, c.want)
			}
		})
	}
}
