package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"munjigi/demo"
)

// run runs munjigi in the test's process as the binary would run.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return code, out.String(), errOut.String()
}

// quietEnv is an environment that says nothing of its own: no config
// file, no language, an English locale, a terminal that draws Hangul.
func quietEnv(t *testing.T) {
	t.Setenv("MUNJIGI_CONFIG", "none")
	os.Unsetenv("MUNJIGI_LANGUAGE")
	t.Setenv("LANG", "C.UTF-8")
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("TERM", "xterm-256color")
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigCheckLanguage: config check speaks the configuration's
// language; when the file cannot be read, MUNJIGI_LANGUAGE or the
// locale's; never Korean on the Linux console unless asked.
func TestConfigCheckLanguage(t *testing.T) {
	for _, c := range []struct {
		name   string
		body   string // "": no file; "missing": a file that is not there
		env    map[string]string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"the defaults are Korean", "", nil, nil, 0, "문제없음 (파일 없음: 기본값과 MUNJIGI_* 환경 변수)\n  업소       \"\", KR의 restaurant", ""},
		{"the file says English", "language: en\n", nil, nil, 0, "ok (", ""},
		{"the flag says English", "language: ko\n", nil, []string{"--lang", "en"}, 0, "  entry log  munjigi.db, kept 28 days", ""},
		{"the environment says English", "", map[string]string{"MUNJIGI_LANGUAGE": "en"}, nil, 0, "  upstream   none: the kiosk works alone", ""},
		{"a mistake in the file's language", "language: ko\nvenue:\n  typ: cafe\n", nil, nil, 2, "",
			"munjigi config check: " + "{file} 3번째 줄: venue.typ: 없는 설정입니다. 혹시 venue.type인가요?\n"},
		{"a mistake in a file that says nothing: the default, Korean", "kiosk:\n  verdict_hold: 4\n", nil, nil, 2, "", "4s 처럼 단위를 붙이세요"},
		{"a mistake in English", "language: en\nkiosk:\n  verdict_hold: 4\n", nil, nil, 2, "", "{file}, line 3: kiosk.verdict_hold: 4 has no unit: write 4s"},
		{"an unreadable file: the locale", "missing", map[string]string{"LANG": "ko_KR.UTF-8"}, nil, 2, "", "missing.yaml: 파일이 없습니다"},
		{"an unreadable file: English", "missing", nil, nil, 2, "", "missing.yaml: no such file"},
		{"an unreadable file: the environment", "missing", map[string]string{"MUNJIGI_LANGUAGE": "ko", "LANG": "en_US.UTF-8"}, nil, 2, "", "파일이 없습니다"},
		{"YAML that is not: the locale", "venue:\n\ttype: x\n", map[string]string{"LANG": "ko_KR.UTF-8"}, nil, 2, "", "2번째 줄: 탭으로 들여쓴 줄입니다"},
		{"a language munjigi does not speak", "language: fr\n", nil, nil, 2, "", `language is "fr"; it must be one of ko, en`},
		{"the Linux console draws no Hangul", "language: ko\n", map[string]string{"TERM": "linux"}, nil, 0, "ok (", ""},
		{"unless asked", "", map[string]string{"TERM": "linux"}, []string{"--lang", "ko"}, 0, "문제없음", ""},
		{"a rules folder that is not", "language: ko\npolicy:\n  rules: /no/such/rules\n", nil, nil, 2, "", "업소 규칙을 쓸 수 없습니다: "},
		{"a trust file that is empty", "language: ko\ntrust:\n  files: [{empty}]\n", nil, nil, 2, "", "trust.files를 쓸 수 없습니다: {empty}: 비어 있습니다"},
		{"a serial scanner in Korean", "scanner:\n  source: serial\n  port: /dev/ttyUSB0\n", nil, nil, 0, "  스캐너     시리얼 /dev/ttyUSB0, 9600 baud, 8N1", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			quietEnv(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			empty := writeFile(t, "empty.json", "")
			args := append([]string{"config", "check"}, c.args...)
			file := ""
			switch c.body {
			case "":
			case "missing":
				file = filepath.Join(t.TempDir(), "missing.yaml")
			default:
				file = writeFile(t, "config.yaml", strings.ReplaceAll(c.body, "{empty}", empty))
			}
			if file != "" {
				args = append(args, "--config", file)
			}
			code, stdout, stderr := run(t, args...)
			want := strings.NewReplacer("{file}", file, "{empty}", empty)
			if code != c.code || !strings.Contains(stdout, want.Replace(c.stdout)) || !strings.Contains(stderr, want.Replace(c.stderr)) {
				t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant %q / %q", code, c.code, stdout, stderr, c.stdout, want.Replace(c.stderr))
			}
		})
	}
}

// TestUsageInLanguage: the usage hint after a mistake in how a command
// was called is in the language the command speaks.
func TestUsageInLanguage(t *testing.T) {
	quietEnv(t)
	if code, _, stderr := run(t, "stats", "--day", "someday"); code != ExitUsage ||
		!strings.Contains(stderr, "--day 값이 \"someday\"입니다. 2026-11-30 같은 날짜여야 합니다\n사용법: munjigi stats") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	if code, _, stderr := run(t, "stats", "--day", "someday", "--lang", "en"); code != ExitUsage || !strings.Contains(stderr, "--day \"someday\" is not a date, like 2026-11-30\nUsage: munjigi stats") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	// Cobra's own complaint comes before any configuration is read: the
	// locale's words around it.
	t.Setenv("LANG", "ko_KR.UTF-8")
	if code, _, stderr := run(t, "config", "check", "--bogus"); code != ExitUsage || !strings.Contains(stderr, "bogus") || !strings.Contains(stderr, "사용법: munjigi config check") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}

// TestDoctorLanguage: doctor in Korean, every finding starting in the
// same terminal column (the names are padded in cells: 설정 and 출입 기록
// are 4 and 9 cells wide); in English as before.
func TestDoctorLanguage(t *testing.T) {
	quietEnv(t)
	dir := t.TempDir()
	trust := writeFile(t, "trust.json", string(demo.TrustList(time.Now())))
	scans := writeFile(t, "scans.txt", "")
	unit := writeFile(t, "munjigi.service", "[Service]\nEnvironment=TERM=xterm-256color\nExecStart=/usr/bin/fbterm -- /usr/local/bin/munjigi\n")
	cfg := writeFile(t, "config.yaml", "scanner:\n  source: file\n  file: "+scans+"\nstore:\n  path: "+filepath.Join(dir, "munjigi.db")+"\ntrust:\n  files: ["+trust+"]\n")

	code, stdout, _ := run(t, "doctor", "--config", cfg, "--service", unit)
	for _, want := range []string{
		"✓ 설정      " + cfg,
		"✓ 스캐너    " + scans + " 파일을 읽습니다",
		"✓ 출입 기록 " + filepath.Join(dir, "munjigi.db") + ": 처음 시작할 때 만들어집니다",
		"✓ 인증키    키 2개",
		"✓ 터미널    xterm-256color, 256색 사용 가능 (서비스 " + unit + ")",
		"\n준비 완료\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in:\n%s", want, stdout)
		}
	}
	if code != 0 {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
	code, stdout, _ = run(t, "doctor", "--config", cfg, "--service", unit, "--lang", "en")
	for _, want := range []string{"✓ scanner   reads " + scans, "✓ trust     2 keys", "✓ terminal  xterm-256color, 256 colours (the service " + unit + ")", "\nready\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in:\n%s", want, stdout)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}

	// A configuration that cannot be used: said in its language, and
	// nothing else is checked.
	bad := writeFile(t, "bad.yaml", "language: ko\nstore:\n  retention_days: 0\n")
	code, stdout, _ = run(t, "doctor", "--config", bad, "--service", unit)
	if code != ExitNotPass || !strings.Contains(stdout, "✗ 설정      "+bad+" 3번째 줄: store.retention_days 값이 0입니다") ||
		!strings.Contains(stdout, "준비 안 됨: 먼저 설정을 고치세요 ('munjigi config check')") || strings.Contains(stdout, "스캐너") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
	two := writeFile(t, "two.yaml", "language: ko\nstore:\n  retention_days: 0\nvenue:\n  typ: x\n")
	if _, stdout, _ := run(t, "doctor", "--config", two, "--service", unit); !strings.Contains(stdout,
		"✗ 설정      설정에 잘못된 곳이 2군데 있습니다:\n              "+two+" 3번째 줄: store.retention_days") {
		t.Errorf("several mistakes keep to the column:\n%s", stdout)
	}
	// Nothing trusted, and the Linux console for a Korean screen: two
	// problems, in Korean when the output is read elsewhere (--lang).
	none := writeFile(t, "none.yaml", "store:\n  path: "+filepath.Join(dir, "other.db")+"\n")
	console := writeFile(t, "console.service", "[Service]\nEnvironment=TERM=linux\nExecStart=/usr/local/bin/munjigi\n")
	code, stdout, _ = run(t, "doctor", "--config", none, "--service", console, "--lang", "ko")
	for _, want := range []string{"✗ 인증키    신뢰하는 키가 없습니다", "✗ 터미널    리눅스 콘솔은 한글을 그릴 수 없습니다 (서비스 " + console + ")", "준비 안 됨: 위의 문제 2개"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in:\n%s", want, stdout)
		}
	}
	if code != ExitNotPass {
		t.Errorf("exit %d", code)
	}
}
