// Package config is munjigi's configuration: every key with its default,
// read from defaults, then a YAML file, then MUNJIGI_* environment
// variables, then command-line flags, each overriding the last (viper is
// used here and nowhere else). Packages get plain values from it; what the
// configuration describes (a scanner, the venue's rules) is built here so
// every command builds it the same way. A mistake is told where it was
// made (the file's line, the variable, the flag) with what to write
// instead, in English or Korean (its words are in internal/words).
package config

import (
	"cmp"
	"io"
	"maps"
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
	"munjigi/internal/words"
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
	// Authority is the authority's own server ('munjigi upstream serve'),
	// not a kiosk's: where it keeps its state, and how it treats its
	// database.
	Authority struct {
		Store              string        `mapstructure:"store"`
		MintCredentialFile string        `mapstructure:"mint_credential_file"`
		Retention          time.Duration `mapstructure:"retention"`
		DBTimeout          time.Duration `mapstructure:"db_timeout"`
		RetryAfter         time.Duration `mapstructure:"retry_after"`
	} `mapstructure:"authority"`

	// Location is venue.timezone, loaded.
	Location *time.Location `mapstructure:"-"`
	// File is the file read, "" for none.
	File string `mapstructure:"-"`
	// from is where each key was set that was not left at its default.
	from map[string]place
}

// Defaults are every key and its default; config.yaml documents them.
var Defaults = map[string]any{
	"venue.name":                     "",
	"venue.type":                     "restaurant",
	"venue.country":                  "KR",
	"venue.timezone":                 "Asia/Seoul",
	"language":                       "ko",
	"policy.profile":                 policy.DefaultProfile,
	"policy.rules":                   "",
	"policy.value_sets":              []string{},
	"trust.files":                    []string{},
	"store.path":                     "munjigi.db",
	"store.retention_days":           28,
	"gate.reuse_window":              "2h",
	"scanner.source":                 "stdin",
	"scanner.port":                   "auto",
	"scanner.baud":                   9600,
	"scanner.data_bits":              8,
	"scanner.parity":                 "none",
	"scanner.stop_bits":              1,
	"scanner.read_timeout":           "100ms",
	"scanner.file":                   "",
	"scanner.terminator":             "line",
	"scanner.gap":                    "200ms",
	"scanner.dedupe_window":          "3s",
	"hooks.pass":                     "",
	"hooks.fail":                     "",
	"hooks.manual":                   "",
	"sound.bell":                     true,
	"authority.store":                "",
	"authority.mint_credential_file": "",
	"authority.retention":            "672h",
	"authority.db_timeout":           "800ms",
	"authority.retry_after":          "2s",
	"log.file":                       "",
	"log.level":                      "info",
	"upstream.url":                   "",
	"upstream.credential":            "",
	"upstream.kiosk_id":              "",
	"upstream.ca_file":               "",
	"upstream.trust_key":             "",
	"upstream.token_budget":          "1.5s",
	"upstream.token_patterns":        []string{upstream.DefaultTokenPattern},
	"upstream.first_sync_max":        "10m",
	"upstream.upload_every":          "30m",
	"upstream.stale_after":           "48h",
	"kiosk.verdict_hold":             "4s",
	"kiosk.fail_hold":                "8s",
	"kiosk.staff_pins":               []string{},
	"kiosk.wedge_gap":                "50ms",
	"kiosk.wedge_quiet":              "0s",
	"kiosk.wedge_min_length":         8,
	"kiosk.reading_timeout":          "3s",
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
// over both. Every mistake is an error (ErrInvalid) that says where it is
// (the file's line, the variable, the flag) and what to write instead: the
// nearest key for an unknown one, the kind of value with an example, the
// unit a bare number needs, the line and likely cause of a YAML error. All
// the mistakes of the file and the environment are told at once.
func Load(path string, bound ...Binding) (*Config, error) {
	return load(path, os.Environ(), bound)
}

// Builtin is the configuration of nothing but the defaults: no file, no
// environment. The demo runs on it, the same on every machine.
func Builtin() (*Config, error) {
	return load("", nil, nil)
}

func load(path string, environ []string, bound []Binding) (*Config, error) {
	v := viper.New()
	for k, d := range Defaults {
		v.SetDefault(k, d)
	}
	from := map[string]place{}
	var mistakes []error
	if path != "" {
		data, err := readFile(path)
		if err != nil {
			return nil, err
		}
		doc, err := parseYAML(path, data)
		if err != nil {
			return nil, err
		}
		r := readDocument(path, doc)
		mistakes = append(mistakes, r.mistakes...)
		if err := v.MergeConfigMap(r.values); err != nil {
			return nil, place{file: path}.told(words.New(words.ConfigUnreadable, err))
		}
		maps.Copy(from, r.from)
	}
	// The environment over the file: MUNJIGI_ and the key in capitals,
	// dots as underscores. Its values are text, read here as the key's
	// kind, so a mistake names the variable.
	env := readEnv(environ)
	mistakes = append(mistakes, env.mistakes...)
	for k, val := range env.values {
		v.Set(k, val)
	}
	maps.Copy(from, env.from)
	for _, b := range bound {
		if b.Flag == nil || !b.Flag.Changed {
			continue
		}
		at := place{flag: b.Flag.Name}
		val, err := flagValue(b.Key, b.Flag)
		if err != nil {
			mistakes = append(mistakes, at.told(err))
			continue
		}
		v.Set(b.Key, val)
		from[b.Key] = at
	}
	var c Config
	c.File = path
	c.from = from
	// Strict types: every value was read as its key's kind above, so a
	// mismatch here is munjigi's mistake, not a file called 7.
	strict := func(dc *mapstructure.DecoderConfig) { dc.WeaklyTypedInput = false }
	if err := v.UnmarshalExact(&c, strict); err != nil {
		return nil, place{}.told(words.New(words.ConfigUnreadable, err))
	}
	// What could be read is checked too (a value of the wrong kind stays
	// at its default), so every mistake is told at once.
	mistakes = append(mistakes, c.mistakes()...)
	if len(mistakes) > 0 {
		return nil, tell(mistakes)
	}
	return &c, nil
}

// tell is one mistake as it is, or several in a list in the order a
// person fixes them: the file's line by line, then the variables, then
// the flags.
func tell(mistakes []error) error {
	if len(mistakes) == 1 {
		return mistakes[0]
	}
	slices.SortStableFunc(mistakes, func(a, b error) int {
		ra, la := rank(a)
		rb, lb := rank(b)
		return cmp.Or(cmp.Compare(ra, rb), cmp.Compare(la, lb))
	})
	return words.Wrap(ErrInvalid, words.Mistakes, len(mistakes), words.List(mistakes))
}

// rank is where a mistake told by place.told was made: the file (and its
// line), a variable, a flag, or nowhere in particular.
func rank(err error) (where, line int) {
	e, ok := err.(*words.Error)
	if !ok {
		return 4, 0
	}
	switch e.Key {
	case words.AtLine:
		n, _ := e.Args[1].(int)
		return 0, n
	case words.InFile:
		return 0, 0
	case words.InVar:
		return 1, 0
	case words.InFlag:
		return 2, 0
	}
	return 3, 0
}

// environment is what the MUNJIGI_* variables set.
type environment struct {
	values   map[string]any
	from     map[string]place
	mistakes []error
}

// otherVars are MUNJIGI_* variables that are no setting: which file to
// read, what a hook is told, the tests'. Never a mistake.
var otherVars = []string{"MUNJIGI_CONFIG", "MUNJIGI_VERDICT", "MUNJIGI_REASON", "MUNJIGI_TYPE", "MUNJIGI_FORMAT",
	"MUNJIGI_SEQ", "MUNJIGI_METHOD", "MUNJIGI_TESTDATA", "MUNJIGI_LUNCH_SECONDS"}

// readEnv reads the settings in environ (KEY=value lines). A variable
// one slip away from a setting's is told as a mistake; others are left
// alone, as they may be another program's.
func readEnv(environ []string) environment {
	e := environment{values: map[string]any{}, from: map[string]place{}}
	byName := map[string]string{}
	for k := range kinds() {
		byName[envName(k)] = k
	}
	var names []string
	vals := map[string]string{}
	for _, kv := range environ {
		name, val, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "MUNJIGI_") {
			names = append(names, name)
			vals[name] = val
		}
	}
	sort.Strings(names)
	for _, name := range names {
		val := vals[name]
		at := place{env: name}
		key, ok := byName[name]
		if !ok {
			if !slices.Contains(otherVars, name) {
				// The advice names the variable; its value is not said
				// (MUNJIGI_UPSTREAM_CREDENTAIL holds a secret).
				if m := unknownKey("", name); m != nil {
					e.mistakes = append(e.mistakes, place{}.told(m))
				}
			}
			continue
		}
		var v any = val
		if kinds()[key] == kindList {
			list := []string{}
			for _, item := range strings.Split(val, ",") {
				if item = strings.TrimSpace(item); item != "" {
					list = append(list, item)
				}
			}
			v = list
		} else if kinds()[key] != kindString {
			var m *words.Error
			if v, m = parseValue(key, val); m != nil {
				e.mistakes = append(e.mistakes, at.told(m))
				continue
			}
		}
		e.values[key] = v
		e.from[key] = at
	}
	return e
}

// flagValue is a flag's value as the kind its key has.
func flagValue(key string, f *pflag.Flag) (any, *words.Error) {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.GetSlice(), nil
	}
	switch f.Value.Type() {
	case "int":
		n, err := strconv.Atoi(f.Value.String())
		if err != nil {
			return nil, want(key, strconv.Quote(f.Value.String()))
		}
		return n, nil
	case "bool":
		b, err := strconv.ParseBool(f.Value.String())
		if err != nil {
			return nil, want(key, strconv.Quote(f.Value.String()))
		}
		return b, nil
	case "duration":
		d, err := time.ParseDuration(f.Value.String())
		if err != nil {
			return nil, want(key, strconv.Quote(f.Value.String()))
		}
		return d, nil
	}
	if k, ok := kinds()[key]; ok && k != kindString && k != kindList {
		v, m := parseValue(key, f.Value.String())
		return v, m
	}
	return f.Value.String(), nil
}

// Check refuses values munjigi cannot act on, all of them at once, each
// said where it was set. Commands call it again after flags changed the
// configuration.
func (c *Config) Check() error {
	if m := c.mistakes(); len(m) > 0 {
		return tell(m)
	}
	return nil
}

// mistakes are the values munjigi cannot act on.
func (c *Config) mistakes() []error {
	var mistakes []error
	wrong := func(key string, m *words.Error) {
		mistakes = append(mistakes, c.from[key].told(m))
	}
	if !slices.Contains(Languages, c.Language) {
		if near := nearLanguage(c.Language); near != "" {
			wrong("language", words.New(words.LanguageNear, c.Language, strings.Join(Languages, ", "), near))
		} else {
			wrong("language", words.New(words.LanguageBad, c.Language, strings.Join(Languages, ", ")))
		}
	}
	if loc, err := time.LoadLocation(c.Venue.Timezone); err != nil {
		wrong("venue.timezone", words.New(words.TimezoneBad, c.Venue.Timezone))
	} else {
		c.Location = loc
	}
	if c.Store.RetentionDays < 1 || c.Store.RetentionDays > 3650 {
		wrong("store.retention_days", words.New(words.IntRange, "store.retention_days", c.Store.RetentionDays, 1, 3650))
	}
	if c.Store.Path == "" {
		wrong("store.path", words.New(words.StorePathEmpty))
	}
	durs := c.durations()
	for _, key := range slices.Sorted(maps.Keys(durs)) {
		r, d := durationRanges[key], durs[key]
		switch {
		case d >= r.min && d <= r.max:
		case key == "gate.reuse_window":
			wrong(key, words.New(words.ReuseRange, d.String(), r.max.String()))
		default:
			wrong(key, words.New(words.DurationRange, key, d.String(), r.min.String(), r.max.String()))
		}
	}
	c.checkScanner(wrong)
	c.checkKiosk(wrong)
	c.checkUpstream(wrong)
	if !slices.Contains(logLevels, c.Log.Level) {
		wrong("log.level", words.New(words.OneOf, "log.level", c.Log.Level, strings.Join(logLevels, ", ")))
	}
	if c.Policy.Profile != "none" && !slices.Contains(policy.Names(), c.Policy.Profile) {
		wrong("policy.profile", words.New(words.ProfileBad, c.Policy.Profile, strings.Join(policy.Names(), ", ")))
	}
	return mistakes
}

var logLevels = []string{"debug", "info", "warn", "error"}

// nearLanguage is the language a person meant by another name for it
// (kr, korean, 한국어, en-US), "" when none.
func nearLanguage(s string) string {
	l := strings.ToLower(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(l, "ko") || l == "kr" || l == "한국어" || l == "한국말":
		return "ko"
	case strings.HasPrefix(l, "en"):
		return "en"
	}
	return ""
}

// span is the range of a duration munjigi can act on.
type span struct{ min, max time.Duration }

// durationRanges are every duration key's range.
var durationRanges = map[string]span{
	"gate.reuse_window":       {0, 7 * 24 * time.Hour},
	"scanner.read_timeout":    {100 * time.Millisecond, 10 * time.Second},
	"scanner.gap":             {10 * time.Millisecond, 10 * time.Second},
	"scanner.dedupe_window":   {0, time.Minute},
	"kiosk.verdict_hold":      {500 * time.Millisecond, time.Minute},
	"kiosk.fail_hold":         {500 * time.Millisecond, time.Minute},
	"kiosk.wedge_gap":         {10 * time.Millisecond, 250 * time.Millisecond},
	"kiosk.reading_timeout":   {500 * time.Millisecond, time.Minute},
	"kiosk.wedge_quiet":       {0, 2 * time.Second}, // and twice the gap at the least: checkKiosk
	"authority.retention":     {24 * time.Hour, 3650 * 24 * time.Hour},
	"authority.db_timeout":    {50 * time.Millisecond, 10 * time.Second},
	"authority.retry_after":   {time.Second, time.Hour},
	"upstream.token_budget":   {100 * time.Millisecond, 10 * time.Second},
	"upstream.first_sync_max": {0, 24 * time.Hour},
	"upstream.upload_every":   {time.Second, 24 * time.Hour},
	"upstream.stale_after":    {time.Hour, 90 * 24 * time.Hour},
}

// durations are the duration settings by key.
func (c *Config) durations() map[string]time.Duration {
	return map[string]time.Duration{
		"gate.reuse_window":       c.Gate.ReuseWindow,
		"scanner.read_timeout":    c.Scanner.ReadTimeout,
		"scanner.gap":             c.Scanner.Gap,
		"scanner.dedupe_window":   c.Scanner.DedupeWindow,
		"kiosk.verdict_hold":      c.Kiosk.VerdictHold,
		"kiosk.fail_hold":         c.Kiosk.FailHold,
		"kiosk.wedge_gap":         c.Kiosk.WedgeGap,
		"kiosk.reading_timeout":   c.Kiosk.ReadingTimeout,
		"kiosk.wedge_quiet":       c.Kiosk.WedgeQuiet,
		"authority.retention":     c.Authority.Retention,
		"authority.db_timeout":    c.Authority.DBTimeout,
		"authority.retry_after":   c.Authority.RetryAfter,
		"upstream.token_budget":   c.Upstream.TokenBudget,
		"upstream.first_sync_max": c.Upstream.FirstSyncMax,
		"upstream.upload_every":   c.Upstream.UploadEvery,
		"upstream.stale_after":    c.Upstream.StaleAfter,
	}
}

// mistakeFunc notes a mistake in key's value.
type mistakeFunc func(key string, m *words.Error)

func (c *Config) checkKiosk(wrong mistakeFunc) {
	k := c.Kiosk
	if k.WedgeMinLength < 4 || k.WedgeMinLength > 64 {
		wrong("kiosk.wedge_min_length", words.New(words.IntRange, "kiosk.wedge_min_length", k.WedgeMinLength, 4, 64))
	}
	if k.WedgeQuiet != 0 && c.KeyOptions().Check() != nil {
		least := max(2*k.WedgeGap, 100*time.Millisecond)
		wrong("kiosk.wedge_quiet", words.New(words.WedgeQuietBad, k.WedgeQuiet.String(), least.String()))
	}
	seen := map[string]string{}
	for i, s := range k.StaffPINs {
		id, pin, ok := strings.Cut(s, ":")
		if !ok || id == "" || len(pin) < 4 || len(pin) > 12 || strings.Trim(pin, "0123456789") != "" {
			// A PIN is a secret, and an entry without its colon may be
			// one: the mistake names the entry by its place.
			wrong("kiosk.staff_pins", words.New(words.PINBad, i+1))
			continue
		}
		if other, ok := seen[pin]; ok {
			wrong("kiosk.staff_pins", words.New(words.PINTwice, other, id))
			continue
		}
		seen[pin] = id
	}
}

func (c *Config) checkUpstream(wrong mistakeFunc) {
	u := c.Upstream
	for _, p := range u.TokenPatterns {
		if _, err := regexp.Compile(p); err != nil {
			wrong("upstream.token_patterns", words.New(words.PatternBad, p, err))
		}
	}
	if u.URL == "" {
		return
	}
	if pu, err := url.Parse(u.URL); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		wrong("upstream.url", words.New(words.URLBad, u.URL))
		return
	}
	if _, err := upstream.New(upstream.Config{URL: u.URL}); err != nil {
		wrong("upstream.url", words.New(words.URLUnusable, u.URL, err))
		return
	}
	switch {
	case u.TrustKey == "" && !Loopback(u.URL):
		wrong("upstream.trust_key", words.New(words.TrustKeyEmpty))
	case u.TrustKey != "":
		if _, err := upstream.ParseKey(u.TrustKey); err != nil {
			wrong("upstream.trust_key", words.New(words.TrustKeyBad, err))
		}
	}
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

func (c *Config) checkScanner(wrong mistakeFunc) {
	sc := c.Scanner
	if !slices.Contains(scannerSources, sc.Source) {
		wrong("scanner.source", words.New(words.OneOf, "scanner.source", sc.Source, strings.Join(scannerSources, ", ")))
	}
	if _, err := scanner.ParseTerminator(sc.Terminator); err != nil {
		wrong("scanner.terminator", words.New(words.OneOf, "scanner.terminator", sc.Terminator, "line, nul, gap"))
	}
	// The serial settings one at a time, so each mistake names its key;
	// the scanner package says what it allows.
	for _, f := range []struct {
		key string
		s   scanner.Serial
	}{
		{"scanner.baud", scanner.Serial{Baud: sc.Baud}}, {"scanner.data_bits", scanner.Serial{DataBits: sc.DataBits}},
		{"scanner.parity", scanner.Serial{Parity: sc.Parity}}, {"scanner.stop_bits", scanner.Serial{StopBits: sc.StopBits}},
	} {
		if err := f.s.Check(); err != nil {
			wrong(f.key, words.New(words.SerialBad, f.key, err))
		}
	}
	switch {
	case sc.Source == "serial" && sc.Port == "":
		wrong("scanner.port", words.New(words.PortEmpty))
	case sc.Source == "file" && sc.File == "":
		wrong("scanner.file", words.New(words.FileEmpty))
	}
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
