// Package config is munjigi's configuration: every key with its default,
// read from defaults, then a YAML file, then MUNJIGI_* environment
// variables, then command-line flags, each overriding the last (viper is
// used here and nowhere else). Packages get plain values from it; what the
// configuration describes (a scanner, the venue's rules) is built here so
// every command builds it the same way.
package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // a kiosk image may have no zone database; the venue's zone decides local days

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"munjigi/internal/tty"
	"munjigi/policy"
	"munjigi/scanner"
	"munjigi/upstream"
)

// Config is munjigi's configuration.
type Config struct {
	Venue struct {
		Name     string `mapstructure:"name"`
		Type     string `mapstructure:"type"`
		Country  string `mapstructure:"country"`
		Timezone string `mapstructure:"timezone"`
	} `mapstructure:"venue"`
	Language string `mapstructure:"language"`
	Policy   struct {
		Profile   string   `mapstructure:"profile"`
		Rules     string   `mapstructure:"rules"`
		ValueSets []string `mapstructure:"value_sets"`
	} `mapstructure:"policy"`
	Trust struct {
		Files []string `mapstructure:"files"`
	} `mapstructure:"trust"`
	Store struct {
		Path          string `mapstructure:"path"`
		RetentionDays int    `mapstructure:"retention_days"`
	} `mapstructure:"store"`
	Gate struct {
		ReuseWindow time.Duration `mapstructure:"reuse_window"`
	} `mapstructure:"gate"`
	Scanner struct {
		Source       string        `mapstructure:"source"`
		Port         string        `mapstructure:"port"`
		Baud         int           `mapstructure:"baud"`
		DataBits     int           `mapstructure:"data_bits"`
		Parity       string        `mapstructure:"parity"`
		StopBits     int           `mapstructure:"stop_bits"`
		ReadTimeout  time.Duration `mapstructure:"read_timeout"`
		File         string        `mapstructure:"file"`
		Terminator   string        `mapstructure:"terminator"`
		Gap          time.Duration `mapstructure:"gap"`
		DedupeWindow time.Duration `mapstructure:"dedupe_window"`
	} `mapstructure:"scanner"`
	Hooks struct {
		Pass   string `mapstructure:"pass"`
		Fail   string `mapstructure:"fail"`
		Manual string `mapstructure:"manual"`
	} `mapstructure:"hooks"`
	Upstream struct {
		URL           string        `mapstructure:"url"`
		Credential    string        `mapstructure:"credential"`
		KioskID       string        `mapstructure:"kiosk_id"`
		CAFile        string        `mapstructure:"ca_file"`
		TrustKey      string        `mapstructure:"trust_key"`
		TokenBudget   time.Duration `mapstructure:"token_budget"`
		TokenPatterns []string      `mapstructure:"token_patterns"`
		FirstSyncMax  time.Duration `mapstructure:"first_sync_max"`
		UploadEvery   time.Duration `mapstructure:"upload_every"`
		StaleAfter    time.Duration `mapstructure:"stale_after"`
	} `mapstructure:"upstream"`
	Kiosk struct {
		VerdictHold    time.Duration `mapstructure:"verdict_hold"`
		FailHold       time.Duration `mapstructure:"fail_hold"`
		StaffPINs      []string      `mapstructure:"staff_pins"`
		WedgeGap       time.Duration `mapstructure:"wedge_gap"`
		WedgeQuiet     time.Duration `mapstructure:"wedge_quiet"`
		WedgeMinLength int           `mapstructure:"wedge_min_length"`
		ReadingTimeout time.Duration `mapstructure:"reading_timeout"`
	} `mapstructure:"kiosk"`
	Log struct {
		File  string `mapstructure:"file"`
		Level string `mapstructure:"level"`
	} `mapstructure:"log"`
	Sound struct {
		Bell bool `mapstructure:"bell"`
	} `mapstructure:"sound"`

	// Location is venue.timezone, loaded.
	Location *time.Location `mapstructure:"-"`
	// File is the file read, "" for none.
	File string `mapstructure:"-"`
}

// Defaults are every key and its default; config.yaml documents them.
var Defaults = map[string]any{
	"venue.name":              "",
	"venue.type":              "restaurant",
	"venue.country":           "KR",
	"venue.timezone":          "Asia/Seoul",
	"language":                "ko",
	"policy.profile":          policy.DefaultProfile,
	"policy.rules":            "",
	"policy.value_sets":       []string{},
	"trust.files":             []string{},
	"store.path":              "munjigi.db",
	"store.retention_days":    28,
	"gate.reuse_window":       "2h",
	"scanner.source":          "stdin",
	"scanner.port":            "auto",
	"scanner.baud":            9600,
	"scanner.data_bits":       8,
	"scanner.parity":          "none",
	"scanner.stop_bits":       1,
	"scanner.read_timeout":    "100ms",
	"scanner.file":            "",
	"scanner.terminator":      "line",
	"scanner.gap":             "200ms",
	"scanner.dedupe_window":   "3s",
	"hooks.pass":              "",
	"hooks.fail":              "",
	"hooks.manual":            "",
	"sound.bell":              true,
	"log.file":                "",
	"log.level":               "info",
	"upstream.url":            "",
	"upstream.credential":     "",
	"upstream.kiosk_id":       "",
	"upstream.ca_file":        "",
	"upstream.trust_key":      "",
	"upstream.token_budget":   "1.5s",
	"upstream.token_patterns": []string{upstream.DefaultTokenPattern},
	"upstream.first_sync_max": "10m",
	"upstream.upload_every":   "30m",
	"upstream.stale_after":    "48h",
	"kiosk.verdict_hold":      "4s",
	"kiosk.fail_hold":         "8s",
	"kiosk.staff_pins":        []string{},
	"kiosk.wedge_gap":         "50ms",
	"kiosk.wedge_quiet":       "0s",
	"kiosk.wedge_min_length":  8,
	"kiosk.reading_timeout":   "3s",
}

// Languages are the values of language.
var Languages = []string{"ko", "en"}

// Places are where a kiosk's configuration is looked for when no
// --config is given, in order.
var Places = []string{"config.yaml", "/etc/munjigi/config.yaml"}

// Find says which file to read: the one given; else MUNJIGI_CONFIG
// ("none": no file, defaults and the environment only); else the first of
// Places that exists; else none.
func Find(given string) string {
	if given != "" {
		return given
	}
	if env := os.Getenv("MUNJIGI_CONFIG"); env != "" {
		if env == "none" {
			return ""
		}
		return env
	}
	for _, p := range Places {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Binding ties a command-line flag to the configuration key it sets: one
// declaration gives the flag its place above the environment and the file.
type Binding struct {
	Key  string
	Flag *pflag.Flag
}

// Load reads the configuration. path may be empty: defaults and the
// environment only. Flags in bound that were given on the command line win
// over both. Unknown keys and impossible values are errors that name the
// key and say what is allowed.
func Load(path string, bound ...Binding) (*Config, error) {
	v := viper.New()
	for k, d := range Defaults {
		v.SetDefault(k, d)
	}
	if path != "" {
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			var notFound viper.ConfigFileNotFoundError
			if errors.As(err, &notFound) || os.IsNotExist(err) {
				return nil, fmt.Errorf("config %s: no such file", path)
			}
			return nil, fmt.Errorf("config %s: %v", path, err)
		}
		var unknown []string
		for _, k := range v.AllKeys() {
			if _, ok := Defaults[k]; !ok {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return nil, fmt.Errorf("config %s: unknown key %s (known keys are listed in config.yaml)", path, strings.Join(unknown, ", "))
		}
	}
	// The environment over the file: MUNJIGI_ and the key in capitals,
	// dots as underscores. Its values are text, read here as the key's
	// type, so a mistake names the variable.
	for k, d := range Defaults {
		name := "MUNJIGI_" + strings.ToUpper(strings.ReplaceAll(k, ".", "_"))
		val, ok := os.LookupEnv(name)
		if !ok {
			continue
		}
		switch d.(type) {
		case int:
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil {
				return nil, fmt.Errorf("config: %s=%q: %s must be a whole number", name, val, k)
			}
			v.Set(k, n)
		case bool:
			b, err := strconv.ParseBool(strings.TrimSpace(val))
			if err != nil {
				return nil, fmt.Errorf("config: %s=%q: %s must be true or false", name, val, k)
			}
			v.Set(k, b)
		case []string:
			var list []string
			for _, item := range strings.Split(val, ",") {
				if item = strings.TrimSpace(item); item != "" {
					list = append(list, item)
				}
			}
			v.Set(k, list)
		default:
			v.Set(k, val)
		}
	}
	for _, b := range bound {
		if b.Flag == nil || !b.Flag.Changed {
			continue
		}
		val, err := flagValue(b.Flag)
		if err != nil {
			return nil, fmt.Errorf("config: --%s: %v", b.Flag.Name, err)
		}
		v.Set(b.Key, val)
	}
	var c Config
	c.File = path
	// Strict types: "7" where a list of files belongs is a mistake to name,
	// not a file called 7. (The environment's text was typed above.)
	strict := func(dc *mapstructure.DecoderConfig) { dc.WeaklyTypedInput = false }
	if err := v.UnmarshalExact(&c, strict); err != nil {
		return nil, fmt.Errorf("config: %v", err)
	}
	return &c, c.Check()
}

// flagValue is a flag's value as the type its key has.
func flagValue(f *pflag.Flag) (any, error) {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.GetSlice(), nil
	}
	switch f.Value.Type() {
	case "int":
		return strconv.Atoi(f.Value.String())
	case "bool":
		return strconv.ParseBool(f.Value.String())
	case "duration":
		return time.ParseDuration(f.Value.String())
	}
	return f.Value.String(), nil
}

// Check refuses values munjigi cannot act on. Commands call it again
// after flags changed the configuration.
func (c *Config) Check() error {
	if !slices.Contains(Languages, c.Language) {
		return fmt.Errorf("config: language is %q; it must be one of %s", c.Language, strings.Join(Languages, ", "))
	}
	loc, err := time.LoadLocation(c.Venue.Timezone)
	if err != nil {
		return fmt.Errorf("config: venue.timezone %q is not a time zone (like Asia/Seoul or UTC)", c.Venue.Timezone)
	}
	c.Location = loc
	if c.Store.RetentionDays < 1 || c.Store.RetentionDays > 3650 {
		return fmt.Errorf("config: store.retention_days is %d; it must be 1 to 3650", c.Store.RetentionDays)
	}
	if c.Gate.ReuseWindow < 0 || c.Gate.ReuseWindow > 7*24*time.Hour {
		return fmt.Errorf("config: gate.reuse_window is %s; it must be 0 (off) to 168h", c.Gate.ReuseWindow)
	}
	if err := c.checkScanner(); err != nil {
		return err
	}
	if err := c.checkKiosk(); err != nil {
		return err
	}
	if err := c.checkUpstream(); err != nil {
		return err
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		return fmt.Errorf("config: log.level is %q; it must be debug, info, warn or error", c.Log.Level)
	}
	if c.Store.Path == "" {
		return fmt.Errorf("config: store.path is empty; it must name the database file")
	}
	if c.Policy.Profile != "none" && !slices.Contains(policy.Names(), c.Policy.Profile) {
		return fmt.Errorf("config: policy.profile is %q; it must be one of %s, or none", c.Policy.Profile, strings.Join(policy.Names(), ", "))
	}
	return nil
}

// durationKey is a duration setting and the range munjigi can act on.
type durationKey struct {
	key      string
	v        time.Duration
	min, max time.Duration
}

func checkDurations(keys []durationKey) error {
	for _, d := range keys {
		if d.v < d.min || d.v > d.max {
			return fmt.Errorf("config: %s is %s; it must be %s to %s", d.key, d.v, d.min, d.max)
		}
	}
	return nil
}

func (c *Config) checkKiosk() error {
	k := c.Kiosk
	if err := checkDurations([]durationKey{
		{"kiosk.verdict_hold", k.VerdictHold, 500 * time.Millisecond, time.Minute},
		{"kiosk.fail_hold", k.FailHold, 500 * time.Millisecond, time.Minute},
		{"kiosk.wedge_gap", k.WedgeGap, 10 * time.Millisecond, 250 * time.Millisecond},
		{"kiosk.reading_timeout", k.ReadingTimeout, 500 * time.Millisecond, time.Minute},
	}); err != nil {
		return err
	}
	if k.WedgeMinLength < 4 || k.WedgeMinLength > 64 {
		return fmt.Errorf("config: kiosk.wedge_min_length is %d; it must be 4 to 64", k.WedgeMinLength)
	}
	if err := c.KeyOptions().Check(); err != nil {
		return fmt.Errorf("config: kiosk.wedge_quiet is %s: it must be 0 (three times wedge_gap, 150ms at the least), or from twice wedge_gap (100ms at the least) to 2s", k.WedgeQuiet)
	}
	seen := map[string]bool{}
	for _, s := range k.StaffPINs {
		id, pin, ok := strings.Cut(s, ":")
		if !ok || id == "" || len(pin) < 4 || len(pin) > 12 || strings.Trim(pin, "0123456789") != "" {
			return fmt.Errorf("config: kiosk.staff_pins has %q; each must be ID:PIN, a PIN of 4 to 12 digits", s)
		}
		if seen[pin] {
			return fmt.Errorf("config: kiosk.staff_pins gives the PIN of %q to two people", id)
		}
		seen[pin] = true
	}
	return nil
}

func (c *Config) checkUpstream() error {
	u := c.Upstream
	if err := checkDurations([]durationKey{
		{"upstream.token_budget", u.TokenBudget, 100 * time.Millisecond, 10 * time.Second},
		{"upstream.first_sync_max", u.FirstSyncMax, 0, 24 * time.Hour},
		{"upstream.upload_every", u.UploadEvery, time.Second, 24 * time.Hour},
		{"upstream.stale_after", u.StaleAfter, time.Hour, 90 * 24 * time.Hour},
	}); err != nil {
		return err
	}
	for _, p := range u.TokenPatterns {
		if _, err := regexp.Compile(p); err != nil {
			return fmt.Errorf("config: upstream.token_patterns: %q is not a regular expression: %v", p, err)
		}
	}
	if u.URL == "" {
		return nil
	}
	if _, err := upstream.New(upstream.Config{URL: u.URL}); err != nil {
		return fmt.Errorf("config: upstream.url: %v", err)
	}
	if u.TrustKey == "" && !Loopback(u.URL) {
		return fmt.Errorf("config: upstream.trust_key is empty: pin the authority's trust-list key (a PEM file); only a server on this machine may go without")
	}
	if u.TrustKey != "" {
		if _, err := upstream.ParseKey(u.TrustKey); err != nil {
			return fmt.Errorf("config: upstream.trust_key: %v", err)
		}
	}
	return nil
}

// Loopback reports whether a URL names a server on this very machine (the
// reference server): there is nobody in between to pin a key against.
func Loopback(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// scannerSources are the values of scanner.source.
var scannerSources = []string{"stdin", "serial", "file"}

func (c *Config) checkScanner() error {
	sc := c.Scanner
	if !slices.Contains(scannerSources, sc.Source) {
		return fmt.Errorf("config: scanner.source is %q; it must be one of %s", sc.Source, strings.Join(scannerSources, ", "))
	}
	if _, err := scanner.ParseTerminator(sc.Terminator); err != nil {
		return fmt.Errorf("config: scanner.terminator: %v", err)
	}
	if err := c.Serial().Check(); err != nil {
		return fmt.Errorf("config: scanner: %v", err)
	}
	if err := checkDurations([]durationKey{
		{"scanner.read_timeout", sc.ReadTimeout, 100 * time.Millisecond, 10 * time.Second},
		{"scanner.gap", sc.Gap, 10 * time.Millisecond, 10 * time.Second},
		{"scanner.dedupe_window", sc.DedupeWindow, 0, time.Minute},
	}); err != nil {
		return err
	}
	switch {
	case sc.Source == "serial" && sc.Port == "":
		return fmt.Errorf("config: scanner.port is empty; name the device (like /dev/ttyACM0) or say auto")
	case sc.Source == "file" && sc.File == "":
		return fmt.Errorf("config: scanner.file is empty; scanner.source file reads a file or named pipe it names")
	}
	return nil
}

// Serial is the serial scanner the configuration describes.
func (c *Config) Serial() *scanner.Serial {
	sc := c.Scanner
	return &scanner.Serial{Port: sc.Port, Baud: sc.Baud, DataBits: sc.DataBits, Parity: sc.Parity, StopBits: sc.StopBits, ReadTimeout: sc.ReadTimeout}
}

// Source opens the configured scanner. stdin is standard input. Double
// reads are one scan for a scanner (serial, or a terminal where a
// keyboard scanner types); a script's pipe or file gets a decision for
// every line.
func (c *Config) Source(stdin io.Reader, now func() time.Time) scanner.Source {
	src, physical := c.RawSource(stdin, now, nil)
	if !physical {
		return src
	}
	return scanner.Dedupe(src, c.Scanner.DedupeWindow)
}

// RawSource is the configured scanner with every read, and whether it is a
// device a person scans at (where double reads happen). raw, when set,
// sees the bytes before framing.
func (c *Config) RawSource(stdin io.Reader, now func() time.Time, raw func([]byte, time.Time)) (src scanner.Source, physical bool) {
	sc := c.Scanner
	end, _ := scanner.ParseTerminator(sc.Terminator) // checked by check
	opts := scanner.Options{End: end, Gap: sc.Gap, Now: now, Raw: raw}
	switch sc.Source {
	case "serial":
		s := c.Serial()
		s.Options = opts
		return s, true
	case "file":
		st, err := os.Stat(sc.File)
		return scanner.File(sc.File, opts), err == nil && st.Mode()&os.ModeCharDevice != 0
	}
	return scanner.Reader("stdin", stdin, opts), tty.IsTerminal(stdin)
}

// Decider builds the policy decider the configuration describes: the
// profile, the rules and value sets a signed trust list brought (nil when
// none), then the venue's own (a venue file can add to the authority's,
// not take them away), munjigi's value sets and the venue's.
func (c *Config) Decider(listRules []*policy.Rule, listSets policy.ValueSets) (*policy.Decider, error) {
	if c.Policy.Profile == "none" {
		return nil, nil
	}
	p, err := policy.Builtin(c.Policy.Profile)
	if err != nil {
		return nil, err
	}
	if len(listRules) > 0 {
		p = p.With(listRules)
	}
	if c.Policy.Rules != "" {
		extra, err := policy.LoadRules(c.Policy.Rules)
		if err != nil {
			return nil, err
		}
		p = p.With(extra)
	}
	sets := policy.BuiltinValueSets()
	if listSets != nil {
		sets = sets.Merge(listSets)
	}
	if len(c.Policy.ValueSets) > 0 {
		more, err := policy.LoadValueSets(c.Policy.ValueSets...)
		if err != nil {
			return nil, err
		}
		sets = sets.Merge(more)
	}
	return policy.NewDecider(p, policy.Options{
		Location: c.Location, Country: c.Venue.Country, VenueType: c.Venue.Type, ValueSets: sets, Lang: c.Language,
	}), nil
}

// KeyOptions is how the keyboard tells a scanner's keys from a person's.
func (c *Config) KeyOptions() scanner.KeyOptions {
	k := c.Kiosk
	return scanner.KeyOptions{Gap: k.WedgeGap, Quiet: k.WedgeQuiet, MinLen: k.WedgeMinLength}
}

// StaffPINs reads kiosk.staff_pins ("id:PIN" each) as PIN → staff id;
// nil when no PIN is asked.
func (c *Config) StaffPINs() map[string]string {
	if len(c.Kiosk.StaffPINs) == 0 {
		return nil
	}
	pins := map[string]string{}
	for _, s := range c.Kiosk.StaffPINs {
		id, pin, _ := strings.Cut(s, ":") // checked by Check
		pins[pin] = id
	}
	return pins
}

// LogPath is the log file: configured, or munjigi.log beside the database.
func (c *Config) LogPath() string {
	if c.Log.File != "" {
		return c.Log.File
	}
	return filepath.Join(filepath.Dir(c.Store.Path), "munjigi.log")
}
