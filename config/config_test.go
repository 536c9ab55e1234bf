package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestShippedConfigIsTheDefaults: config.yaml documents every key with its
// default, so loading it must change nothing.
func TestShippedConfigIsTheDefaults(t *testing.T) {
	fromFile, err := Load("../config.yaml")
	if err != nil {
		t.Fatalf("config.yaml: %v", err)
	}
	defaults, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	fromFile.Location, defaults.Location = nil, nil
	fromFile.File, fromFile.from = "", nil // where it came from is not a setting
	if got, want := dump(fromFile), dump(defaults); got != want {
		t.Errorf("config.yaml differs from the defaults:\n file     %s\n defaults %s", got, want)
	}
	for key := range Defaults {
		if !strings.Contains(readText(t, "../config.yaml"), lastPart(key)+":") {
			t.Errorf("config.yaml does not document %s", key)
		}
	}
}

func dump(c *Config) string {
	return fmt.Sprintf("%+v", *c)
}

func lastPart(key string) string { return key[strings.LastIndex(key, ".")+1:] }

func readText(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		env     map[string]string
		wantErr string // a substring of the error, "" for none
		check   func(*Config) bool
	}{
		{name: "venue and language", body: "venue:\n  type: gym\nlanguage: en\n",
			check: func(c *Config) bool {
				return c.Venue.Type == "gym" && c.Language == "en" && c.Policy.Profile == "kr-2021-vaccine-pass"
			}},
		{name: "profile", body: "policy:\n  profile: eu-2g\n", check: func(c *Config) bool { return c.Policy.Profile == "eu-2g" }},
		{name: "environment wins over the file", body: "venue:\n  type: gym\n", env: map[string]string{"MUNJIGI_VENUE_TYPE": "cafe"},
			check: func(c *Config) bool { return c.Venue.Type == "cafe" }},
		{name: "time zone", body: "venue:\n  timezone: Europe/Berlin\n", check: func(c *Config) bool { return c.Location.String() == "Europe/Berlin" }},
		{name: "unknown key", body: "venue:\n  colour: red\n", wantErr: "venue.colour is not a setting"},
		{name: "misspelt section", body: "polcy:\n  profile: eu-2g\n", wantErr: "polcy is not a section: did you mean policy?"},
		{name: "unknown language", body: "language: fr\n", wantErr: `language is "fr"; it must be one of ko, en`},
		{name: "unknown profile", body: "policy:\n  profile: eu-5g\n", wantErr: `policy.profile is "eu-5g"; it must be one of`},
		{name: "bad time zone", body: "venue:\n  timezone: Mars/Olympus\n", wantErr: "venue.timezone"},
		{name: "retention", body: "store:\n  retention_days: 0\n", wantErr: "store.retention_days is 0"},
		{name: "reuse window", body: "gate:\n  reuse_window: 30m\n", check: func(c *Config) bool { return c.Gate.ReuseWindow == 30*time.Minute }},
		{name: "reuse window not a duration", body: "gate:\n  reuse_window: soon\n", wantErr: "reuse_window"},
		{name: "scanner source", body: "scanner:\n  source: bluetooth\n", wantErr: "scanner.source"},
		{name: "serial scanner", body: "scanner:\n  source: serial\n  port: /dev/ttyUSB0\n  baud: 115200\n  parity: even\n  data_bits: 7\n  stop_bits: 2\n",
			check: func(c *Config) bool {
				s := c.Serial()
				return s.Port == "/dev/ttyUSB0" && s.Baud == 115200 && s.Parity == "even" && s.DataBits == 7 && s.StopBits == 2
			}},
		{name: "scanner defaults", body: "# the defaults\n", check: func(c *Config) bool {
			s := c.Scanner
			return s.Source == "stdin" && s.Port == "auto" && s.Baud == 9600 && s.Terminator == "line" && s.Gap == 200*time.Millisecond && s.DedupeWindow == 3*time.Second
		}},
		{name: "baud", body: "scanner:\n  baud: 9601\n", wantErr: "baud 9601"},
		{name: "parity", body: "scanner:\n  parity: mark\n", wantErr: "parity"},
		{name: "stop bits", body: "scanner:\n  stop_bits: 3\n", wantErr: "stop bits"},
		{name: "terminator", body: "scanner:\n  terminator: tab\n", wantErr: "scanner.terminator"},
		{name: "gap", body: "scanner:\n  gap: 1ms\n", wantErr: "scanner.gap is 1ms"},
		{name: "dedupe window", body: "scanner:\n  dedupe_window: 1h\n", wantErr: "scanner.dedupe_window"},
		{name: "dedupe off", body: "scanner:\n  dedupe_window: 0s\n", check: func(c *Config) bool { return c.Scanner.DedupeWindow == 0 }},
		{name: "read timeout", body: "scanner:\n  read_timeout: 10ms\n", wantErr: "scanner.read_timeout"},
		{name: "serial without a port", body: "scanner:\n  source: serial\n  port: \"\"\n", wantErr: "scanner.port is empty"},
		{name: "file without a file", body: "scanner:\n  source: file\n", wantErr: "scanner.file is empty"},
		{name: "kiosk defaults", body: "# the defaults\n", check: func(c *Config) bool {
			k := c.Kiosk
			return k.VerdictHold == 4*time.Second && k.FailHold == 8*time.Second && k.WedgeGap == 50*time.Millisecond && k.WedgeQuiet == 0 && k.ReadingTimeout == 3*time.Second && k.WedgeMinLength == 8 && c.StaffPINs() == nil
		}},
		{name: "wedge quiet below twice the gap", body: "kiosk:\n  wedge_gap: 80ms\n  wedge_quiet: 100ms\n", wantErr: "kiosk.wedge_quiet"},
		{name: "wedge gap too slow", body: "kiosk:\n  wedge_gap: 300ms\n", wantErr: "kiosk.wedge_gap"},
		{name: "staff PINs", body: "kiosk:\n  staff_pins: [\"kim:2468\", \"lee:13579\"]\n", check: func(c *Config) bool {
			p := c.StaffPINs()
			return p["2468"] == "kim" && p["13579"] == "lee" && len(p) == 2
		}},
		{name: "a PIN too short", body: "kiosk:\n  staff_pins: [\"kim:12\"]\n", wantErr: "kiosk.staff_pins"},
		{name: "a PIN without an ID", body: "kiosk:\n  staff_pins: [\"2468\"]\n", wantErr: "ID:PIN"},
		{name: "a PIN of letters", body: "kiosk:\n  staff_pins: [\"kim:abcd\"]\n", wantErr: "digits"},
		{name: "one PIN for two", body: "kiosk:\n  staff_pins: [\"kim:2468\", \"lee:2468\"]\n", wantErr: "two people"},
		{name: "verdict hold", body: "kiosk:\n  verdict_hold: 2h\n", wantErr: "kiosk.verdict_hold"},
		{name: "wedge gap", body: "kiosk:\n  wedge_gap: 1s\n", wantErr: "kiosk.wedge_gap"},
		{name: "wedge length", body: "kiosk:\n  wedge_min_length: 1\n", wantErr: "kiosk.wedge_min_length"},
		{name: "scanner from the environment", body: "# the defaults\n", env: map[string]string{"MUNJIGI_SCANNER_SOURCE": "serial", "MUNJIGI_SCANNER_PORT": "/dev/ttyACM1"},
			check: func(c *Config) bool { return c.Scanner.Source == "serial" && c.Scanner.Port == "/dev/ttyACM1" }},
		{name: "no policy", body: "policy:\n  profile: none\n", check: func(c *Config) bool { return c.Policy.Profile == "none" }},
		{name: "wrong type", body: "trust:\n  files: 7\n", wantErr: "trust.files must be a list: write [7]"},
		{name: "not YAML", body: "venue: [\n", wantErr: "line 1: not valid YAML"},
		{name: "only comments", body: "# nothing changed\n", check: func(c *Config) bool { return c.Language == "ko" }},
		{name: "a number for a name", body: "venue:\n  name: 1988\n", check: func(c *Config) bool { return c.Venue.Name == "1988" }},
		{name: "an empty name", body: "venue:\n  name:\n", check: func(c *Config) bool { return c.Venue.Name == "" }},
		{name: "an empty section", body: "kiosk:\n", check: func(c *Config) bool { return c.Kiosk.VerdictHold == 4*time.Second }},
		{name: "keys in capitals", body: "Venue:\n  Type: gym\n", check: func(c *Config) bool { return c.Venue.Type == "gym" }},
		{name: "an anchor and a merge", body: "x: &v\n  type: gym\nvenue:\n  <<: *v\n", wantErr: "x is not a section; the sections are authority, gate, hooks"},
		{name: "a merge", body: "venue:\n  <<: {type: gym}\n  name: A\n", check: func(c *Config) bool { return c.Venue.Type == "gym" && c.Venue.Name == "A" }},
		{name: "yes for a bool", body: "sound:\n  bell: no\n", check: func(c *Config) bool { return !c.Sound.Bell }},
		{name: "a quoted number", body: "store:\n  retention_days: \"30\"\n", check: func(c *Config) bool { return c.Store.RetentionDays == 30 }},
		{name: "no reuse window", body: "gate:\n  reuse_window: 0\n", check: func(c *Config) bool { return c.Gate.ReuseWindow == 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := Load(writeConfig(t, tc.body))
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case !tc.check(c):
				t.Errorf("loaded %+v", c)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a missing config file: %v", err)
	}
}

// TestEnvironment: MUNJIGI_* variables are read as their key's type, and
// a mistake names the variable.
func TestEnvironment(t *testing.T) {
	for _, c := range []struct {
		env     map[string]string
		wantErr string
		check   func(*Config) bool
	}{
		{map[string]string{"MUNJIGI_SCANNER_BAUD": "115200"}, "", func(c *Config) bool { return c.Scanner.Baud == 115200 }},
		{map[string]string{"MUNJIGI_SOUND_BELL": "false"}, "", func(c *Config) bool { return !c.Sound.Bell }},
		{map[string]string{"MUNJIGI_TRUST_FILES": "a.json, b.pem"}, "", func(c *Config) bool { return len(c.Trust.Files) == 2 && c.Trust.Files[1] == "b.pem" }},
		{map[string]string{"MUNJIGI_GATE_REUSE_WINDOW": "45m"}, "", func(c *Config) bool { return c.Gate.ReuseWindow == 45*time.Minute }},
		{map[string]string{"MUNJIGI_SCANNER_BAUD": "fast"}, "MUNJIGI_SCANNER_BAUD", nil},
		{map[string]string{"MUNJIGI_SOUND_BELL": "loud"}, "MUNJIGI_SOUND_BELL", nil},
		{map[string]string{"MUNJIGI_GATE_REUSE_WINDOW": "soon"}, "reuse_window", nil},
	} {
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		cfg, err := Load("")
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%v: error %v, want one naming %s", c.env, err, c.wantErr)
			}
		case err != nil:
			t.Errorf("%v: %v", c.env, err)
		case !c.check(cfg):
			t.Errorf("%v: loaded %+v", c.env, cfg)
		}
		for k := range c.env {
			os.Unsetenv(k)
		}
	}
}

// TestBuiltinReadsNoEnvironment: the demo's configuration is the defaults,
// whatever MUNJIGI_* variables the machine has.
func TestBuiltinReadsNoEnvironment(t *testing.T) {
	t.Setenv("MUNJIGI_LANGUAGE", "en")
	t.Setenv("MUNJIGI_STORE_PATH", "/somewhere/else.db")
	c, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if c.Language != "ko" || c.Store.Path != "munjigi.db" {
		t.Errorf("Builtin read the environment: language %q, store.path %q", c.Language, c.Store.Path)
	}
	if c, err := Load(""); err != nil || c.Language != "en" {
		t.Errorf("Load does read it: %v %q", err, c.Language)
	}
}
