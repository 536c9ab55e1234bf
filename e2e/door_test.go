package e2e

// The door on a database that is in use, unreadable or on a read-only
// card, and with a server that is down (issue 14: nothing lost, nobody
// locked out).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"munjigi/demo"
)

// waitAcks reads n decisions from a running door (a guard against a hang,
// not a measure).
func (d *doorProc) waitAcks(t *testing.T, n int) []ack {
	t.Helper()
	var out []ack
	for len(out) < n {
		select {
		case a, ok := <-d.acks:
			if !ok {
				t.Fatalf("the door ended after %d decisions:\n%s", len(out), d.stderr.String())
			}
			out = append(out, a)
		case <-time.After(30 * time.Second):
			t.Fatalf("%d decisions of %d after 30 s:\n%s", len(out), n, d.stderr.String())
		}
	}
	return out
}

func (d *doorProc) send(t *testing.T, payloads ...string) {
	t.Helper()
	for _, p := range payloads {
		if _, err := d.stdin.Write([]byte(p + "\n")); err != nil {
			t.Fatal(err)
		}
	}
}

// stop closes the door's input and waits for it to finish.
func (d *doorProc) stop(t *testing.T) {
	t.Helper()
	d.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the door ended with %v:\n%s", err, d.stderr.String())
		}
	case <-time.After(30 * time.Second):
		d.cmd.Process.Kill()
		t.Fatal("the door did not stop")
	}
}

func corruptFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.corrupt-*"))
	return m
}

// TestDatabaseInUse: a second door on a database in use is refused in
// words a person understands and moves nothing aside; the first goes on
// writing to the file in place; reports are answered while the door runs
// (issue 14, item 1).
func TestDatabaseInUse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "munjigi.db")
	all := samples(t)
	valid := sample(t, all, validLabel).Payload
	first := startDoor(t, path)
	defer first.cmd.Process.Kill()
	first.send(t, valid, sample(t, all, "expired certificate").Payload, sample(t, all, "recovered").Payload)
	first.waitAcks(t, 3)

	second := runBinary(t, []string{"MUNJIGI_LANGUAGE=en"}, []byte(valid+"\n"), "run", "--headless", "--demo", "--db", path)
	if second.code != exitUsage || len(second.stdout) != 0 {
		t.Errorf("a second door: exit %d, stdout %q", second.code, second.stdout)
	}
	want := fmt.Sprintf("in use by another munjigi (process %d", first.cmd.Process.Pid)
	if !bytes.Contains(second.stderr, []byte(want)) {
		t.Errorf("the second door does not say %q:\n%s", want, second.stderr)
	}
	if aside := corruptFiles(t, dir); len(aside) > 0 {
		t.Fatalf("a database in use was moved aside: %v", aside)
	}
	first.send(t, sample(t, all, "negative PCR test").Payload, sample(t, all, "vaccinated, booster").Payload)
	first.waitAcks(t, 2)

	// Reports while the door runs: from the door itself.
	export := munjigi(t, nil, "export", "--db", path, "--format", "jsonl")
	if export.code != 0 || bytes.Count(export.stdout, []byte("\n")) != 5 {
		t.Errorf("export while the door runs: exit %d:\n%s%s", export.code, export.stdout, export.stderr)
	}
	if s := munjigi(t, nil, "stats", "--lang", "en", "--db", path); s.code != 0 || !bytes.Contains(s.stdout, []byte(": 5 visitors")) {
		t.Errorf("stats while the door runs: exit %d:\n%s%s", s.code, s.stdout, s.stderr)
	}
	if l := munjigi(t, nil, "lookup", "URN:UVCI:01:KR:MUNJIGI/DEMO/0001#A", "--db", path); l.code != 0 || bytes.Count(l.stdout, []byte("\n")) != 1 {
		t.Errorf("lookup while the door runs: exit %d:\n%s%s", l.code, l.stdout, l.stderr)
	}
	if c := munjigi(t, nil, "db", "check", path); c.code != 3 || !bytes.Contains(c.stdout, []byte("in use")) {
		t.Errorf("db check while the door runs: exit %d: %s", c.code, c.stdout)
	}
	if ts := munjigi(t, nil, "trust", "show", "--db", path); ts.code != 0 {
		t.Errorf("trust show while the door runs: exit %d:\n%s%s", ts.code, ts.stdout, ts.stderr)
	}
	first.stop(t)

	// The door has gone: the reports read the file, which holds all five.
	if export := munjigi(t, nil, "export", "--db", path, "--format", "jsonl"); export.code != 0 || bytes.Count(export.stdout, []byte("\n")) != 5 {
		t.Errorf("export after the door stopped: exit %d:\n%s%s", export.code, export.stdout, export.stderr)
	}
	if _, err := os.Stat(path + ".sock"); err == nil {
		t.Error("the door left its socket behind")
	}
}

// TestReportSocketIsTheDoorsUsers: the socket answers its own user and
// nobody else, even one who got past the folder and the file mode.
func TestReportSocketIsTheDoorsUsers(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Skip("needs root, to ask as another user")
	}
	dir := openDir(t)
	path := filepath.Join(dir, "munjigi.db")
	d := startDoor(t, path)
	defer d.cmd.Process.Kill()
	d.send(t, sample(t, samples(t), validLabel).Payload)
	d.waitAcks(t, 1)
	st, err := os.Stat(path + ".sock")
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("the socket is mode %v", st.Mode().Perm())
	}
	os.Chmod(path+".sock", 0o666)
	cmd := exec.Command(binPath, "export", "--db", path)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err == nil || len(out) > 0 {
		t.Errorf("another user got an export (%v):\n%s", err, out)
	}
	d.stop(t)
}

// openDir is a temporary folder other users may enter (t.TempDir's are
// 0700).
func openDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "munjigi-open-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestUnreadableDatabase: a file the kiosk's user cannot open (someone ran
// munjigi as root once) is a permission problem, not damage: it is not
// moved, and the door still decides, saying nothing is logged.
func TestUnreadableDatabase(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Skip("needs root, to make a file another user cannot read")
	}
	dir := openDir(t)
	os.Chmod(dir, 0o777)
	path := filepath.Join(dir, "munjigi.db")
	if o := munjigi(t, []byte(sample(t, samples(t), validLabel).Payload+"\n"), "run", "--headless", "--demo", "--db", path); o.code != 0 {
		t.Fatalf("the first door: %s", o.stderr)
	}
	os.Chmod(path, 0o600) // root's, and only root's
	cmd := exec.Command(binPath, "run", "--headless", "--demo", "--policy", "none", "--db", path)
	cmd.Env = append(os.Environ(), "TZ=Asia/Seoul", "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	cmd.Stdin = strings.NewReader(sample(t, samples(t), "vaccinated, booster").Payload + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the door as another user: %v:\n%s", err, stderr.String())
	}
	var line struct {
		Verdict  string `json:"verdict"`
		Logged   bool   `json:"logged"`
		LogError string `json:"logError"`
	}
	lines := bytes.Split(bytes.TrimSpace(stdout.Bytes()), []byte("\n"))
	if err := json.Unmarshal(lines[len(lines)-1], &line); err != nil {
		t.Fatalf("%q: %v", stdout.String(), err)
	}
	if line.Verdict != "pass" || line.Logged || line.LogError == "" {
		t.Errorf("the decision: %+v", line)
	}
	if !strings.Contains(stderr.String(), "permission denied") {
		t.Errorf("the door does not say why:\n%s", stderr.String())
	}
	if aside := corruptFiles(t, dir); len(aside) > 0 {
		t.Errorf("an unreadable file was moved aside: %v", aside)
	}
}

// TestReadOnlyCard: after the card is remounted read-only, the door still
// starts and decides, with logged false and the reason (issue 14, item 2).
// The read-only file system is a tmpfs in a mount namespace of its own.
func TestReadOnlyCard(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Skip("needs root, for a mount namespace")
	}
	if err := exec.Command("unshare", "-m", "true").Run(); err != nil {
		t.Skipf("no mount namespaces here (%v)", err)
	}
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed.db")
	all := samples(t)
	if o := munjigi(t, []byte(sample(t, all, validLabel).Payload+"\n"), "run", "--headless", "--demo", "--db", seed); o.code != 0 {
		t.Fatalf("the first door: %s", o.stderr)
	}
	card := filepath.Join(dir, "card")
	os.Mkdir(card, 0o700)
	script := fmt.Sprintf(`set -e
mount -t tmpfs tmpfs %[1]s
cp %[2]s %[1]s/munjigi.db
mount -o remount,ro %[1]s
exec %[3]s run --headless --demo --policy none --db %[1]s/munjigi.db`, card, seed, binPath)
	cmd := exec.Command("unshare", "-m", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "TZ=Asia/Seoul")
	cmd.Stdin = strings.NewReader(sample(t, all, "vaccinated, booster").Payload + "\n" + sample(t, all, "expired certificate").Payload + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the door on a read-only card: %v:\n%s", err, stderr.String())
	}
	type line struct {
		Verdict  string `json:"verdict"`
		Method   string `json:"method"`
		Logged   bool   `json:"logged"`
		LogError string `json:"logError"`
	}
	var got []line
	for _, l := range bytes.Split(bytes.TrimSpace(stdout.Bytes()), []byte("\n")) {
		var x line
		if err := json.Unmarshal(l, &x); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if x.Method != "gap" {
			got = append(got, x)
		}
	}
	if len(got) != 2 || got[0].Verdict != "pass" || got[1].Verdict != "fail" {
		t.Fatalf("decisions %+v\n%s", got, stderr.String())
	}
	for _, x := range got {
		if x.Logged || !strings.HasPrefix(x.LogError, "read-only") {
			t.Errorf("a decision on a read-only card: %+v", x)
		}
	}
	if !strings.Contains(stderr.String(), "cannot be written") {
		t.Errorf("the door does not say the card cannot be written:\n%s", stderr.String())
	}
}

// TestDoorStartsWithServerDown: a kiosk pointed at a server on its own
// machine that is down starts and decides signed passes (issue 14, item
// 17); when the server comes, a kiosk with no list syncs at once, not
// after the fleet's jittered minutes (item 18).
func TestDoorStartsWithServerDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	o := munjigi(t, []byte(sample(t, samples(t), validLabel).Payload+"\n"), "run", "--headless", "--demo", "--upstream", down,
		"--db", filepath.Join(t.TempDir(), "munjigi.db"))
	if o.code != 0 || !bytes.Contains(o.stdout, []byte(`"verdict":"pass"`)) {
		t.Errorf("with the server down: exit %d:\n%s%s", o.code, o.stdout, o.stderr)
	}

	url, _ := startUpstream(t)
	path := filepath.Join(t.TempDir(), "munjigi.db")
	d := startDoor(t, path, "--upstream", url)
	defer d.cmd.Process.Kill()
	deadline := time.Now().Add(60 * time.Second) // a guard; the fleet's first sync may wait 10 minutes
	for {
		ts := munjigi(t, nil, "trust", "show", "--db", path)
		if bytes.Contains(ts.stdout, []byte("signed trust list: version 1")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no signed list in force after a minute:\n%s%s", ts.stdout, ts.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	d.stop(t)
}

// TestDoctorExpiredList: an expired trust list is a problem doctor names,
// with the fix (issue 14, item 18).
func TestDoctorExpiredList(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := filepath.Join(dir, "old.json")
	if err := os.WriteFile(old, demo.TrustList(time.Now().AddDate(-1, 0, 0)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("trust:\n  files: [%q]\nstore:\n  path: %s\nlanguage: en\n", old, filepath.Join(dir, "munjigi.db"))), 0o600)
	o := runEnv(t, []string{"TERM=xterm-256color", "LANG=C.UTF-8"}, "doctor", "--config", cfg, "--service", filepath.Join(dir, "none.service"))
	if o.code != exitNotPass || !bytes.Contains(o.stdout, []byte("✗ trust")) || !bytes.Contains(o.stdout, []byte("expired")) || !bytes.Contains(o.stdout, []byte("munjigi trust sync")) {
		t.Errorf("doctor with an expired list: exit %d:\n%s%s", o.code, o.stdout, o.stderr)
	}
}

// TestDoctorJudgesTheServiceTerminal: doctor judges the terminal the
// installed service runs on (TERM=linux on tty1), not the one it is run
// from (xterm over SSH), and knows fbterm draws Hangul.
func TestDoctorJudgesTheServiceTerminal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("trust:\n  files: [%q]\nstore:\n  path: %s\n", trustFile(t), filepath.Join(dir, "munjigi.db"))), 0o600)
	unit := filepath.Join(dir, "munjigi.service")
	os.WriteFile(unit, []byte(readFileString(t, "../deploy/munjigi.service")), 0o600)
	// The venue's language is Korean (the default), so doctor speaks it.
	ssh := []string{"TERM=xterm-256color", "LANG=C.UTF-8"}
	o := runEnv(t, ssh, "doctor", "--config", cfg, "--service", unit)
	if !bytes.Contains(o.stdout, []byte("✗ 터미널")) || !bytes.Contains(o.stdout, []byte("리눅스 콘솔은 한글을 그릴 수 없습니다")) {
		t.Errorf("doctor over SSH, the service on tty1:\n%s", o.stdout)
	}
	drop := unit + ".d"
	os.Mkdir(drop, 0o700)
	os.WriteFile(filepath.Join(drop, "fbterm.conf"), []byte(readFileString(t, "../deploy/munjigi-fbterm.conf")), 0o600)
	o = runEnv(t, ssh, "doctor", "--config", cfg, "--service", unit)
	if !bytes.Contains(o.stdout, []byte("✓ 터미널")) || !bytes.Contains(o.stdout, []byte("fbterm, 16색")) {
		t.Errorf("doctor with the fbterm drop-in:\n%s", o.stdout)
	}
}
