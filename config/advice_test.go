package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"munjigi/internal/words"
)

// adviceCases are configuration mistakes and the advice each gets, in
// English and in Korean: where it is, and what to write instead.
var adviceCases = []struct {
	name   string
	body   string // the file; "-" for none
	env    map[string]string
	en, ko string // in what Load says
}{
	// Keys that are not: the nearest one.
	{"a slip", "venue:\n  typ: cafe\n", nil,
		"line 2: venue.typ is not a setting: did you mean venue.type?", "2번째 줄: venue.typ: 없는 설정입니다. 혹시 venue.type인가요?"},
	{"two letters swapped", "venue:\n  tpye: cafe\n", nil, "did you mean venue.type?", "혹시 venue.type인가요?"},
	{"the wrong section", "verdict_hold: 4s\n", nil, "verdict_hold is not a setting: did you mean kiosk.verdict_hold?", "혹시 kiosk.verdict_hold인가요?"},
	{"a key in another section", "venue:\n  language: en\n", nil, "did you mean language?", "혹시 language인가요?"},
	{"the start of a key", "store:\n  retention: 30\n", nil, "did you mean store.retention_days?", "혹시 store.retention_days인가요?"},
	{"two near keys", "venue:\n  file: x\n", nil, "did you mean log.file or scanner.file?", "혹시 log.file 또는 scanner.file인가요?"},
	{"nothing near: the section's keys", "venue:\n  colour: red\n", nil,
		"venue.colour is not a setting; venue has venue.country, venue.name, venue.timezone, venue.type", "venue에 있는 설정: venue.country"},
	{"nothing near at all", "frobnicate: 1\n", nil, "frobnicate is not a setting (the shipped config.yaml lists every one)", "frobnicate: 없는 설정입니다"},
	{"a misspelt section", "polcy:\n  profile: eu-2g\n", nil, "line 1: polcy is not a section: did you mean policy?", "polcy: 없는 섹션입니다. 혹시 policy인가요?"},
	{"a section and a value swapped", "venue: cafe\n", nil, "venue is a section, not a value: it holds venue.country, venue.name", "venue: 값이 아니라 섹션입니다"},
	{"a value as a section", "language:\n  ko: true\n", nil, "language takes a value, not a section: write it on one line, like language: ko", "한 줄로 적으세요 (예: language: ko)"},
	{"twice", "venue:\n  type: cafe\n  type: gym\n", nil, "line 3: venue.type is set twice (lines 2 and 3): keep one", "venue.type 설정이 두 번 있습니다 (2번째 줄과 3번째 줄)"},

	// Values of the wrong kind: what is expected, with an example.
	{"days", "store:\n  retention_days: many\n", nil,
		`line 2: store.retention_days must be a whole number of days, like 28 (not "many")`, `store.retention_days: 일수를 정수로 적어야 합니다 (예: 28, 지금 값: "many")`},
	{"a whole number", "scanner:\n  baud: 9600.5\n", nil, `scanner.baud must be a whole number, like 9600 (not "9600.5")`, "scanner.baud: 정수여야 합니다 (예: 9600"},
	{"true or false", "sound:\n  bell: loud\n", nil, `sound.bell must be true or false (not "loud")`, "sound.bell: true 또는 false여야 합니다"},
	{"a duration", "gate:\n  reuse_window: soon\n", nil, `gate.reuse_window must be a time with its unit, like 2h: ms, s, m or h (not "soon")`, "gate.reuse_window: 단위가 붙은 시간이어야 합니다 (예: 2h"},
	{"a list", "trust:\n  files: trust.json\n", nil, "trust.files must be a list: write [trust.json]", "trust.files: 목록이어야 합니다. [trust.json] 처럼 적으세요"},
	{"a list with an example", "upstream:\n  token_patterns: {a: b}\n", nil, "upstream.token_patterns takes a value, not a section", "upstream.token_patterns: 섹션이 아니라"},
	{"a PIN is not said back", "kiosk:\n  staff_pins: 24681357\n", nil, `kiosk.staff_pins must be a list: write ["kim:2468"]`, `["kim:2468"] 처럼 적으세요`},
	{"a list where a value belongs", "venue:\n  type: [cafe, gym]\n", nil, "venue.type must be a single value, like restaurant (not a list)", "venue.type: 값 하나여야 합니다 (예: restaurant, 지금 값: 목록)"},

	// A bare number where a duration belongs: the unit that makes sense.
	{"seconds", "kiosk:\n  verdict_hold: 4\n", nil, "line 2: kiosk.verdict_hold: 4 has no unit: write 4s", "kiosk.verdict_hold: 4에 단위가 없습니다. 4s 처럼 단위를 붙이세요"},
	{"milliseconds", "kiosk:\n  wedge_gap: 25\n", nil, "kiosk.wedge_gap: 25 has no unit: write 25ms", "25ms 처럼"},
	{"hours", "gate:\n  reuse_window: 2\n", nil, "gate.reuse_window: 2 has no unit: write 2h", "2h 처럼"},
	{"a fraction", "upstream:\n  token_budget: 1.5\n", nil, "upstream.token_budget: 1.5 has no unit: write 1.5s", "1.5s 처럼"},
	{"in quotes", "upstream:\n  upload_every: \"30\"\n", nil, "upstream.upload_every: 30 has no unit: write 30m", "30m 처럼"},
	{"not in the default's unit", "kiosk:\n  verdict_hold: 800\n", nil, "write 800ms", "800ms 처럼"},

	// YAML that is not: the line and the likely cause.
	{"a tab", "venue:\n\ttype: cafe\n", nil,
		"line 2: the line is indented with a tab: YAML indents with spaces only", "2번째 줄: 탭으로 들여쓴 줄입니다: YAML은 공백(스페이스)으로만 들여씁니다"},
	{"a tab after spaces", "venue:\n  type: cafe\n \tname: x\n", nil, "line 3: the line is indented with a tab", "3번째 줄: 탭으로 들여쓴 줄입니다"},
	{"a colon in a value", "venue:\n  name: Cafe: Seoul\n", nil, `line 2: not valid YAML (mapping values are not allowed in this context): a value with ": " in it must be in quotes`, "YAML 문법 오류입니다"},
	{"not closed", "venue: [\n", nil, "line 1: not valid YAML (did not find expected node content): a quote, [ or { is opened and not closed", "따옴표나 [ 또는 { 를 열고 닫지 않았습니다"},
	{"a quote not closed", "venue:\n  name: \"Cafe\n", nil, "a quote, [ or { is opened and not closed", "열고 닫지 않았습니다"},
	{"indentation", "venue:\n  type: cafe\n name: x\n", nil, "the indentation does not line up", "들여쓰기가 맞지 않습니다"},
	{"a character that starts nothing", "venue:\n  name: @home\n", nil, "a value cannot start with @, ` or %: put it in quotes", "값은 @, `, % 로 시작할 수 없습니다"},
	{"a list of settings", "- language: ko\n", nil, "the file must hold settings as key: value lines", "'키: 값' 줄로 적어야 합니다"},

	// The file itself.
	{"empty", "", nil, "the file is empty", "파일이 비어 있습니다"},
	{"blank", "  \n\n", nil, "MUNJIGI_CONFIG=none to run on the defaults", "기본값으로 실행하려면 MUNJIGI_CONFIG=none"},
	{"not text", "language: ko\x00\x01", nil, "is not text (it holds zero bytes)", "텍스트가 아닙니다"},

	// Values munjigi cannot act on, said where they were set.
	{"a range", "store:\n  retention_days: 0\n", nil, "line 2: store.retention_days is 0; it must be 1 to 3650", "store.retention_days 값이 0입니다. 1에서 3650 사이여야 합니다"},
	{"another language's name", "language: korean\n", nil, `language is "korean"; it must be one of ko, en: did you mean ko?`, "혹시 ko인가요?"},
	{"all at once", "store:\n  retention_days: 0\nlog:\n  level: loud\nvenue:\n  typ: x\n", nil,
		"3 mistakes in the configuration:\n  ", "설정에 잘못된 곳이 3군데 있습니다:\n  "},

	// The environment: the same advice, naming the variable.
	{"a variable's unit", "-", map[string]string{"MUNJIGI_KIOSK_VERDICT_HOLD": "4"}, `MUNJIGI_KIOSK_VERDICT_HOLD: kiosk.verdict_hold: 4 has no unit: write 4s`, "4s 처럼 단위를 붙이세요"},
	{"a variable's number", "-", map[string]string{"MUNJIGI_SCANNER_BAUD": "fast"}, `MUNJIGI_SCANNER_BAUD: scanner.baud must be a whole number, like 9600`, "scanner.baud: 정수여야 합니다"},
	{"a variable's bool", "-", map[string]string{"MUNJIGI_SOUND_BELL": "loud"}, "MUNJIGI_SOUND_BELL", "true 또는 false여야 합니다"},
	{"a variable's slip", "-", map[string]string{"MUNJIGI_VENUE_TYP": "cafe"}, "MUNJIGI_VENUE_TYP is not a setting: did you mean MUNJIGI_VENUE_TYPE?", "혹시 MUNJIGI_VENUE_TYPE인가요?"},
	{"a variable's range", "-", map[string]string{"MUNJIGI_STORE_RETENTION_DAYS": "9999"}, `MUNJIGI_STORE_RETENTION_DAYS: store.retention_days is 9999; it must be 1 to 3650`, "store.retention_days 값이 9999입니다"},
	{"the file and the environment", "venue:\n  typ: x\n", map[string]string{"MUNJIGI_KIOSK_FAIL_HOLD": "8"}, "2 mistakes in the configuration", "2군데"},
}

func TestAdvice(t *testing.T) {
	for _, c := range adviceCases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			path := ""
			if c.body != "-" {
				path = writeConfig(t, c.body)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("no mistake found")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%v is not config.ErrInvalid", err)
			}
			if got := words.Say(words.English, err); !strings.Contains(got, c.en) {
				t.Errorf("english:\n%s\nwant %q in it", got, c.en)
			}
			if got := words.Say(words.Korean, err); !strings.Contains(got, c.ko) {
				t.Errorf("korean:\n%s\nwant %q in it", got, c.ko)
			}
		})
	}
}

// FuzzLoad: whatever the file, Load answers without a panic, and a
// mistake is ErrInvalid and says something in both languages.
func FuzzLoad(f *testing.F) {
	for _, c := range adviceCases {
		if c.body != "-" {
			f.Add(c.body)
		}
	}
	b, err := os.ReadFile("../config.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body string) {
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil {
			return
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%v is not ErrInvalid", err)
		}
		for _, l := range words.Langs {
			if s := words.Say(l, err); s == "" || strings.Contains(s, "%!") {
				t.Errorf("%s: %q", l, s)
			}
		}
	})
}

func TestUnreadable(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, path, en, ko string
	}{
		{"missing", filepath.Join(dir, "nothing.yaml"), "nothing.yaml: no such file (give --config the right path", "nothing.yaml: 파일이 없습니다"},
		{"a folder", dir, "is a folder, not a file: name the file in it (like " + dir + "/config.yaml)", "파일이 아니라 폴더입니다"},
	} {
		_, err := Load(c.path)
		if got := words.Say(words.English, err); !strings.Contains(got, c.en) {
			t.Errorf("%s: %q, want %q", c.name, got, c.en)
		}
		if got := words.Say(words.Korean, err); !strings.Contains(got, c.ko) {
			t.Errorf("%s: %q, want %q", c.name, got, c.ko)
		}
	}
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, []byte("# "+strings.Repeat("x", MaxFile)+"\n"), 0o600)
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "is larger than a configuration can be (over 1024 KiB)") {
		t.Errorf("a file of a megabyte: %v", err)
	}
	denied := writeConfig(t, "language: en\n")
	os.Chmod(denied, 0)
	if f, err := os.Open(denied); err == nil {
		f.Close()
		t.Skip("this user reads a file of mode 0 (root): the permission advice is tested on the binary, run as another user (e2e TestConfigCheckWords)")
	}
	_, err := Load(denied)
	if got := words.Say(words.English, err); !strings.Contains(got, "permission denied: munjigi runs as "+whoAmI()+", who may not read it") {
		t.Errorf("a file munjigi may not read: %q", got)
	}
}

func TestNearest(t *testing.T) {
	for _, c := range []struct {
		name string
		want []string
	}{
		{"venue.typ", []string{"venue.type"}},
		{"venue.tpye", []string{"venue.type"}},
		{"venue.types", []string{"venue.type"}},
		{"kiosk.verdict_hol", []string{"kiosk.verdict_hold"}},
		{"polcy.profile", []string{"policy.profile"}},
		{"verdict_hold", []string{"kiosk.verdict_hold"}},
		{"staff_pins", []string{"kiosk.staff_pins"}},
		{"venue.language", []string{"language"}},
		{"langauge", []string{"language"}},
		{"store.retention", []string{"store.retention_days"}},
		{"scanner.file", []string{"scanner.file"}},
		{"venue.colour", nil},
		{"colour", nil},
		{"x", nil},
		{"upstream.token", []string{"upstream.token_budget", "upstream.token_patterns"}},
	} {
		if got := nearest(c.name, knownKeys()); !slices.Equal(got, c.want) {
			t.Errorf("nearest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		a, b string
		want int
	}{{"type", "type", 0}, {"typ", "type", 1}, {"tpye", "type", 1}, {"", "abc", 3}, {"문지기", "문지가", 1}, {"kitten", "sitting", 3}} {
		if got := distance(c.a, c.b); got != c.want {
			t.Errorf("distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// TestKinds: every key has its kind from Config, every duration its range
// (so a bare number gets a unit in range and Check checks it), and every
// list its example.
func TestKinds(t *testing.T) {
	if len(kinds()) != len(Defaults) {
		t.Errorf("%d keys in Config, %d in Defaults", len(kinds()), len(Defaults))
	}
	var c Config
	durs := c.durations()
	for k, kind := range kinds() {
		if _, ok := Defaults[k]; !ok {
			t.Errorf("%s has no default", k)
		}
		_, ranged := durationRanges[k]
		_, checked := durs[k]
		if (kind == kindDuration) != ranged || ranged != checked {
			t.Errorf("%s: a duration %v, with a range %v, checked %v", k, kind == kindDuration, ranged, checked)
		}
		if d, _ := Defaults[k].([]string); kind == kindList && len(d) == 0 && listExamples[k] == "" {
			t.Errorf("%s: a list with no example", k)
		}
	}
	for key, r := range durationRanges {
		def, err := time.ParseDuration(Defaults[key].(string))
		if err != nil || def < r.min || def > r.max {
			t.Errorf("%s: the default %s is outside %v", key, Defaults[key], r)
		}
	}
}

// TestLanguage: the language of a configuration, told without loading it,
// for the words of an error about it.
func TestLanguage(t *testing.T) {
	flags := pflag.NewFlagSet("t", pflag.ContinueOnError)
	flags.String("lang", "", "")
	bound := []Binding{{Key: "language", Flag: flags.Lookup("lang")}}
	for _, c := range []struct {
		name string
		body string // "-": no file; "missing": a file that is not there
		env  string
		flag string
		want words.Lang
		ok   bool
	}{
		{"the default", "-", "", "", words.Korean, true},
		{"the file's", "language: en\nvenue:\n  typ: x\n", "", "", words.English, true},
		{"the file says nothing", "venue:\n  typ: x\n", "", "", words.Korean, true},
		{"the environment over the file", "language: en\n", "ko", "", words.Korean, true},
		{"the flag over all", "language: ko\n", "ko", "en", words.English, true},
		{"a file that cannot be read", "missing", "", "", "", false},
		{"the environment when the file cannot be read", "missing", "en", "", words.English, true},
		{"not YAML", "venue: [\n", "", "", "", false},
		{"not YAML, but its language line says", "language: en # the staff's\nvenue:\n\ttype: cafe\n", "", "", words.English, true},
		{"not YAML, and two language lines", "language: en\nlanguage: ko\nvenue: [\n", "", "", "", false},
		{"a language munjigi does not speak", "language: fr\n", "", "", "", false},
		{"a language as a list", "language: [ko]\n", "", "", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv("MUNJIGI_LANGUAGE", c.env)
			}
			flags.Set("lang", c.flag)
			flags.Lookup("lang").Changed = c.flag != ""
			path := ""
			switch c.body {
			case "-":
			case "missing":
				path = filepath.Join(t.TempDir(), "missing.yaml")
			default:
				path = writeConfig(t, c.body)
			}
			if got, ok := Language(path, bound...); got != c.want || ok != c.ok {
				t.Errorf("Language = %q, %v; want %q, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

// TestFlagAdvice: a flag bound to a key is read as the key's kind, and a
// mistake names the flag.
func TestFlagAdvice(t *testing.T) {
	flags := pflag.NewFlagSet("t", pflag.ContinueOnError)
	flags.String("hold", "", "")
	flags.Set("hold", "4")
	_, err := Load("", Binding{Key: "kiosk.verdict_hold", Flag: flags.Lookup("hold")})
	if got := words.Say(words.Korean, err); !strings.Contains(got, "--hold: kiosk.verdict_hold: 4에 단위가 없습니다") {
		t.Errorf("%q", got)
	}
	flags.Set("hold", "90s")
	_, err = Load("", Binding{Key: "kiosk.verdict_hold", Flag: flags.Lookup("hold")})
	if got := words.Say(words.English, err); got != "--hold: kiosk.verdict_hold is 1m30s; it must be 500ms to 1m0s" {
		t.Errorf("%q", got)
	}
}

// TestOtherVariables: MUNJIGI_* variables that are no setting (which file
// to read, what a hook is told, the tests' and scripts') are left alone;
// only a slip away from a setting's is a mistake.
func TestOtherVariables(t *testing.T) {
	others := []string{"MUNJIGI_CONFIG=none", "MUNJIGI_VERDICT=pass", "MUNJIGI_REASON=ok", "MUNJIGI_TYPE=v", "MUNJIGI_FORMAT=dcc",
		"MUNJIGI_SEQ=1", "MUNJIGI_METHOD=qr", "MUNJIGI_TESTDATA=/x", "MUNJIGI_LUNCH_SECONDS=300", "MUNJIGI_PEAK_URL=http://x",
		"MUNJIGI_PEAK_DIR=/x", "MUNJIGI_PEAK_CASE=a", "MUNJIGI_DIST=/x", "MUNJIGI_AUTHORITY_TEST_STORE=x", "MUNJIGI_AUTHORITY_TEST_MINT=x",
		"MUNJIGI_AUTHORITY_TEST_DATA=x", "MUNJIGI_=x", "MUNJIGI_VENUE=x"}
	if e := readEnv(others); len(e.mistakes) != 0 || len(e.values) != 0 {
		t.Errorf("mistakes %v, values %v", e.mistakes, e.values)
	}
	e := readEnv([]string{"MUNJIGI_LANGAUGE=en", "MUNJIGI_SCANNER_BUAD=9600", "PATH=/bin"})
	if len(e.mistakes) != 2 {
		t.Errorf("two slips, %d mistakes: %v", len(e.mistakes), e.mistakes)
	}
	// A slip's value is not said: it may be the secret it was meant to
	// set.
	e = readEnv([]string{"MUNJIGI_UPSTREAM_CREDENTAIL=s3cret-token"})
	for _, l := range words.Langs {
		if got := words.Say(l, tell(e.mistakes)); !strings.Contains(got, "MUNJIGI_UPSTREAM_CREDENTIAL") || strings.Contains(got, "s3cret") {
			t.Errorf("%s: %q", l, got)
		}
	}
}

// BenchmarkLoad reads the shipped configuration as every command does at
// start (the kiosk's start to first frame has a budget of 300 ms).
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load("../config.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMistakesInOrder: several mistakes are told as a person fixes them:
// the file line by line (whether a key's shape or its value was wrong),
// then the variables.
func TestMistakesInOrder(t *testing.T) {
	t.Setenv("MUNJIGI_KIOSK_FAIL_HOLD", "8")
	_, err := Load(writeConfig(t, "store:\n  retention_days: 0\nlog:\n  level: loud\nvenue:\n  typ: x\n"))
	got := words.Say(words.English, err)
	var at []int
	for _, w := range []string{"line 2: store.retention_days", "line 4: log.level", "line 6: venue.typ", "MUNJIGI_KIOSK_FAIL_HOLD: kiosk.fail_hold: 8 has no unit"} {
		at = append(at, strings.Index(got, w))
	}
	if !slices.IsSorted(at) || at[0] < 0 {
		t.Errorf("out of order (%v):\n%s", at, got)
	}
}
