package cli

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"munjigi/config"
	"munjigi/internal/words"
	"munjigi/verify"
)

// settings are a command's flags that set configuration keys: declared
// once, with the key each sets, and read by load in the one order
// (flags > MUNJIGI_* environment > file > defaults).
type settings struct {
	cmd      *cobra.Command
	file     string
	bindings []config.Binding
	// speaks is the language the command speaks, once load (or language)
	// has told it.
	speaks words.Lang
}

// newSettings adds --config to cmd.
func newSettings(cmd *cobra.Command) *settings {
	s := &settings{cmd: cmd}
	cmd.Flags().StringVar(&s.file, "config", "", "read settings from `FILE` (default ./config.yaml, then /etc/munjigi/config.yaml; MUNJIGI_CONFIG=none reads none)")
	return s
}

// flag declares a string flag that sets key.
func (s *settings) flag(name, key, usage string) {
	s.cmd.Flags().String(name, "", usage+" (config "+key+")")
	s.bind(name, key)
}

// bind ties an existing flag to key.
func (s *settings) bind(name, key string) {
	s.bindings = append(s.bindings, config.Binding{Key: key, Flag: s.cmd.Flags().Lookup(name)})
}

// Flags most commands share, by the key they set.
func (s *settings) db() { s.flag("db", "store.path", "the database `FILE`") }
func (s *settings) lang() {
	s.flag("lang", "language", "the `LANGUAGE` people read: ko or en")
}
func (s *settings) upstream() {
	s.flag("upstream", "upstream.url", "the authority's server `URL`: tokens, trust-list sync, upload")
}
func (s *settings) policy() {
	s.flag("policy", "policy.profile", "the venue rule profile `NAME` ('munjigi rules list'), or none")
}
func (s *settings) venue() {
	s.flag("venue", "venue.type", "the venue `TYPE` the rules see: restaurant, cafe, gym, ...")
}

// scanner adds the scanner's flags: --port alone says the scanner is a
// serial one, --file alone that it is a file.
func (s *settings) scanner() {
	s.flag("scanner", "scanner.source", "where scans come from: stdin, serial or file")
	s.flag("port", "scanner.port", "the serial scanner's `DEVICE`, or auto")
	s.cmd.Flags().Int("baud", 0, "the serial scanner's baud `RATE` (config scanner.baud)")
	s.bind("baud", "scanner.baud")
	s.flag("file", "scanner.file", "the `FILE` or named pipe to read scans from")
}

// load reads the configuration as the flags given say, and tells the
// language the command speaks (s.speaks).
func (s *settings) load() (*config.Config, error) {
	cfg, err := config.Load(config.Find(s.file), s.bindings...)
	if err != nil {
		s.language(nil)
		return nil, err
	}
	f := s.cmd.Flags()
	if given(f, "port") && !given(f, "scanner") {
		cfg.Scanner.Source = "serial"
	}
	if given(f, "file") && !given(f, "scanner") {
		cfg.Scanner.Source = "file"
	}
	s.language(cfg)
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func given(f *pflag.FlagSet, name string) bool {
	fl := f.Lookup(name)
	return fl != nil && fl.Changed
}

// clockFlag is --at: a pinned clock, for tests and replays.
type clockFlag struct{ at string }

func (c *clockFlag) add(cmd *cobra.Command, usage string) {
	cmd.Flags().StringVar(&c.at, "at", "", usage)
}

// now is the clock the flag asks for, and whether it is pinned.
func (c *clockFlag) now() (func() time.Time, bool, error) {
	if c.at == "" {
		return time.Now, false, nil
	}
	t, err := verify.ParseTime(c.at)
	if err != nil {
		return nil, false, usageError("--at: %v", err)
	}
	return func() time.Time { return t }, true, nil
}
