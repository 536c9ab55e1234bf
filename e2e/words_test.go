package e2e

// The venue's language in the operator's tools (issue 17, item 3): config
// check, doctor, stats and the door's start-up speak the configuration's
// language; configuration mistakes read like advice.

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestConfigCheckWords: 'munjigi config check' on a file with mistakes, in
// Korean and in English: each mistake where it is, with what to write.
func TestConfigCheckWords(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mistakes := "venue:\n  typ: cafe\nkiosk:\n  verdict_hold: 4\nstore:\n  retention_days: many\n"
	ko := write("ko.yaml", "language: ko\n"+mistakes)
	en := write("en.yaml", "language: en\n"+mistakes)
	tab := write("tab.yaml", "language: ko\nvenue:\n\ttype: cafe\n")
	empty := write("empty.yaml", "")
	env := []string{"LANG=C.UTF-8", "TERM=xterm-256color"}
	for _, c := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"Korean", env, []string{"--config", ko}, "munjigi config check: 설정에 잘못된 곳이 3군데 있습니다:\n" +
			"  " + ko + " 3번째 줄: venue.typ: 없는 설정입니다. 혹시 venue.type인가요?\n" +
			"  " + ko + " 5번째 줄: kiosk.verdict_hold: 4에 단위가 없습니다. 4s 처럼 단위를 붙이세요 (ms, s, m, h)\n" +
			"  " + ko + " 7번째 줄: store.retention_days: 일수를 정수로 적어야 합니다 (예: 28, 지금 값: \"many\")\n"},
		{"English", env, []string{"--config", en}, "munjigi config check: 3 mistakes in the configuration:\n" +
			"  " + en + ", line 3: venue.typ is not a setting: did you mean venue.type?\n" +
			"  " + en + ", line 5: kiosk.verdict_hold: 4 has no unit: write 4s (ms, s, m or h)\n" +
			"  " + en + ", line 7: store.retention_days must be a whole number of days, like 28 (not \"many\")\n"},
		{"English by the flag", env, []string{"--config", ko, "--lang", "en"}, "did you mean venue.type?"},
		{"a tab", env, []string{"--config", tab}, tab + " 3번째 줄: 탭으로 들여쓴 줄입니다: YAML은 공백(스페이스)으로만 들여씁니다"},
		{"an empty file", env, []string{"--config", empty}, empty + ": the file is empty: write the settings in it"},
		{"an empty file, a Korean locale", []string{"LANG=ko_KR.UTF-8", "TERM=xterm"}, []string{"--config", empty}, empty + ": 파일이 비어 있습니다"},
		{"a variable", append([]string{"MUNJIGI_VENUE_TYP=cafe"}, env...), nil, "munjigi config check: MUNJIGI_VENUE_TYP: 없는 설정입니다. 혹시 MUNJIGI_VENUE_TYPE인가요?"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := runEnv(t, c.env, append([]string{"config", "check"}, c.args...)...)
			if o.code != exitUsage || !strings.Contains(string(o.stderr), c.want) || len(o.stdout) != 0 {
				t.Errorf("exit %d, want 2 with\n%s\nin:\n%s%s", o.code, c.want, o.stdout, o.stderr)
			}
		})
	}
	// The kiosk refuses to start on them, in the same words.
	if o := runEnv(t, env, "run", "--headless", "--config", ko); o.code != exitUsage || !strings.Contains(string(o.stderr), "munjigi run: 설정에 잘못된 곳이 3군데 있습니다:\n  "+ko+" 3번째 줄") {
		t.Errorf("the kiosk on a bad file: exit %d: %s", o.code, o.stderr)
	}
	// A good file, in Korean.
	good := write("good.yaml", "venue:\n  name: 문지기 분식\n  type: cafe\n")
	if o := runEnv(t, env, "config", "check", "--config", good); o.code != 0 || !strings.Contains(string(o.stdout), "문제없음 ("+good+")\n  업소       \"문지기 분식\", KR의 cafe (Asia/Seoul); 화면 언어 ko\n") {
		t.Errorf("a good file: exit %d:\n%s%s", o.code, o.stdout, o.stderr)
	}
}

// TestConfigUnreadableWords: a file munjigi may not read says so, and
// who munjigi runs as. Root reads any file, so as root the binary runs as
// nobody (a copy of it, where nobody may run it).
func TestConfigUnreadableWords(t *testing.T) {
	dir, err := os.MkdirTemp("", "munjigi-words-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("language: ko\n"), 0o600)
	bin, user := binPath, ""
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		bin, user = filepath.Join(dir, "munjigi"), "nobody"
		copyFile(t, binPath, bin)
		cred = &syscall.Credential{Uid: 65534, Gid: 65534}
	} else {
		os.Chmod(cfg, 0)
	}
	cmd := exec.CommandContext(t.Context(), bin, "config", "check", "--config", cfg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LANG=ko_KR.UTF-8", "TERM=xterm")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if user == "" {
		user = currentUser(t)
	}
	// The file cannot be read, so its language cannot be told: the
	// locale's (Korean).
	want := cfg + ": 읽을 권한이 없습니다: munjigi는 " + user + " 사용자로 실행 중인데 이 파일을 읽을 수 없습니다 (chmod 0644, 또는 chown " + user + ")"
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != exitUsage || !strings.Contains(stderr.String(), want) {
		t.Errorf("%v: exit %v:\n%s\nwant %q", err, cmd.ProcessState, stderr.String(), want)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func currentUser(t *testing.T) string {
	out, err := exec.Command("id", "-un").Output()
	if err != nil {
		t.Skipf("id -un: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestDoctorKorean: doctor speaks the configuration's language: a ready
// kiosk in Korean, its findings in one column.
func TestDoctorKorean(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "ttyACM0")
	plugScanner(t, link)
	db := filepath.Join(dir, "kiosk", "munjigi.db")
	munjigi(t, []byte(sample(t, samples(t), validLabel).Payload+"\n"), "run", "--headless", "--demo", "--db", db)
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("language: ko\nscanner:\n  source: serial\n  port: %s\ntrust:\n  files: [%q]\nstore:\n  path: %s\n", link, trustFile(t), db)), 0o600)
	unit := filepath.Join(dir, "munjigi.service")
	os.WriteFile(unit, []byte("[Service]\nEnvironment=TERM=xterm-256color\nExecStart=/usr/bin/fbterm -- /usr/local/bin/munjigi\n"), 0o644)

	o := runEnv(t, []string{"TERM=xterm-256color", "LANG=C.UTF-8"}, "doctor", "--config", cfg, "--service", unit)
	for _, want := range []string{
		"✓ 설정      " + cfg + "\n",
		"✓ 스캐너    " + link + " 열림 (시리얼 " + link + ", 9600 baud, 8N1)\n",
		"✓ 출입 기록 " + db + ": 정상입니다. 기록 1건, 업로드 대기 ",
		"✓ 인증키    키 2개\n",
		"✓ 시계      ",
		"✓ 터미널    xterm-256color, 256색 사용 가능 (서비스 " + unit + ")\n",
		"\n준비 완료\n",
	} {
		if !strings.Contains(string(o.stdout), want) {
			t.Errorf("no %q in:\n%s", want, o.stdout)
		}
	}
	if o.code != 0 {
		t.Errorf("exit %d:\n%s%s", o.code, o.stdout, o.stderr)
	}
	// Not ready, in Korean: the scanner is not there.
	o = runEnv(t, []string{"TERM=xterm-256color", "LANG=C.UTF-8"}, "doctor", "--config", cfg, "--service", unit, "--port", filepath.Join(dir, "ttyACM9"))
	if o.code != exitNotPass || !strings.Contains(string(o.stdout), "✗ 스캐너    스캐너를 열 수 없습니다: ") || !strings.Contains(string(o.stdout), "준비 안 됨: 위의 문제 1개") {
		t.Errorf("exit %d:\n%s", o.code, o.stdout)
	}
}

// TestStatsWords: stats in the language asked for, from the file and from
// the running door (over its socket); export stays as machines read it.
func TestStatsWords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "munjigi.db")
	d := startDoor(t, path)
	t.Cleanup(func() { d.cmd.Process.Kill(); d.cmd.Wait() })
	fmt.Fprintln(d.stdin, sample(t, samples(t), validLabel).Payload)
	select {
	case a := <-d.acks:
		if a.Verdict != "pass" {
			t.Fatalf("the scan: %+v", a)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no decision: %s", d.stderr.String())
	}
	today := time.Now().In(seoul(t)).Format(time.DateOnly)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{nil, []string{today + ": 방문 1명\n", "  통과                 1\n", "  QR                   1\n"}},
		{[]string{"--lang", "en"}, []string{today + ": 1 visitors\n", "  pass                 1\n", "  qr                   1\n"}},
	} {
		o := munjigi(t, nil, append([]string{"stats", "--db", path}, c.args...)...)
		for _, w := range c.want {
			if o.code != 0 || !strings.Contains(string(o.stdout), w) {
				t.Errorf("stats %v from the running door: exit %d, no %q in:\n%s%s", c.args, o.code, w, o.stdout, o.stderr)
			}
		}
	}
	d.stdin.Close()
	if err := d.cmd.Wait(); err != nil {
		t.Fatalf("the door: %v: %s", err, d.stderr.String())
	}
	if o := munjigi(t, nil, "stats", "--db", path); !strings.Contains(string(o.stdout), today+": 방문 1명\n") {
		t.Errorf("stats from the file:\n%s%s", o.stdout, o.stderr)
	}
}

func seoul(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestStartNoticeWords: a damaged database at start is told to the person
// in the venue's language; the gap it leaves in the log is recorded in
// English, as the log is.
func TestStartNoticeWords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "munjigi.db")
	if err := os.WriteFile(path, bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	o := munjigi(t, []byte(sample(t, samples(t), validLabel).Payload+"\n"), "run", "--headless", "--demo", "--db", path)
	if o.code != 0 || !strings.Contains(string(o.stderr), "munjigi: 데이터베이스가 손상되어 (") || !strings.Contains(string(o.stderr), "여기서 새 기록을 시작합니다") {
		t.Errorf("exit %d: %s", o.code, o.stderr)
	}
	e := munjigi(t, nil, "export", "--db", path)
	rows, err := csv.NewReader(bytes.NewReader(e.stdout)).ReadAll()
	if err != nil || len(rows) != 3 || rows[1][4] != "gap" || !strings.HasPrefix(rows[1][9], "the database was damaged (") {
		t.Errorf("export: %v:\n%s", err, e.stdout)
	}
	// The door asks 'db check' in English and reads its answer (above);
	// a person asking hears the venue's language.
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("moved aside: %v", aside)
	}
	if c := munjigi(t, nil, "db", "check", aside[0]); c.code != exitNotPass || !strings.HasPrefix(string(c.stdout), "손상됨: ") {
		t.Errorf("db check in Korean: exit %d: %s%s", c.code, c.stdout, c.stderr)
	}
	if c := munjigi(t, nil, "db", "check", "--lang", "en", aside[0]); c.code != exitNotPass || !strings.HasPrefix(string(c.stdout), "damaged: ") {
		t.Errorf("db check in English: exit %d: %s%s", c.code, c.stdout, c.stderr)
	}
}
