package config

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/user"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"munjigi/internal/words"
)

// ErrInvalid is what every configuration mistake is (errors.Is): the
// configuration cannot be used as it is. Its message says what to do.
var ErrInvalid = errors.New("config: the configuration cannot be used")

// MaxFile caps a configuration file: the shipped one, every key with its
// comments, is 7 KiB; a file of megabytes is the wrong file.
const MaxFile = 1 << 20

// kind is what a key holds.
type kind int

const (
	kindString kind = iota
	kindInt
	kindBool
	kindDuration
	kindList
)

// kinds are every key's kind, read from Config's fields, so a key cannot
// be added without its kind.
var kinds = sync.OnceValue(func() map[string]kind {
	m := map[string]kind{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("mapstructure")
			if tag == "" || tag == "-" {
				continue
			}
			key := prefix + tag
			switch {
			case f.Type.Kind() == reflect.Struct:
				walk(f.Type, key+".")
			case f.Type == reflect.TypeFor[time.Duration]():
				m[key] = kindDuration
			case f.Type.Kind() == reflect.Int:
				m[key] = kindInt
			case f.Type.Kind() == reflect.Bool:
				m[key] = kindBool
			case f.Type.Kind() == reflect.Slice:
				m[key] = kindList
			default:
				m[key] = kindString
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return m
})

// sections are the keys that hold keys (venue, scanner, ...), each with
// the names of its keys.
var sections = sync.OnceValue(func() map[string][]string {
	m := map[string][]string{}
	for k := range kinds() {
		if sec, leaf, ok := strings.Cut(k, "."); ok {
			m[sec] = append(m[sec], leaf)
		}
	}
	for _, leaves := range m {
		sort.Strings(leaves)
	}
	return m
})

// listExamples are what goes in a list, for advice about one whose default
// is empty.
var listExamples = map[string]string{
	"policy.value_sets":       "/etc/munjigi/valuesets.json",
	"trust.files":             "/etc/munjigi/trust.json",
	"kiosk.staff_pins":        `"kim:2468"`,
	"upstream.token_patterns": `"^TOKEN-[0-9]+$"`,
}

// A place is where a value was set: a line of the file, a MUNJIGI_*
// variable or a flag. Mistakes are told with it, so the person knows what
// to edit.
type place struct {
	file string
	line int
	env  string // the variable's name (never its value: it may be a secret)
	flag string
}

// told is the mistake m where it was made; every configuration mistake is
// ErrInvalid.
func (p place) told(m *words.Error) *words.Error {
	switch {
	case p.file != "" && p.line > 0:
		return words.Wrap(ErrInvalid, words.AtLine, p.file, p.line, m)
	case p.file != "":
		return words.Wrap(ErrInvalid, words.InFile, p.file, m)
	case p.env != "":
		return words.Wrap(ErrInvalid, words.InVar, p.env, m)
	case p.flag != "":
		return words.Wrap(ErrInvalid, words.InFlag, "--"+p.flag, m)
	}
	return &words.Error{Text: m.Text, Kind: ErrInvalid}
}

// readFile reads a configuration file, saying what a person can do when
// it cannot be used: missing, unreadable, a folder, empty, too large, not
// text.
func readFile(path string) ([]byte, error) {
	at := place{file: path}
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, at.told(words.New(words.ConfigMissing))
	case errors.Is(err, fs.ErrPermission):
		return nil, at.told(words.New(words.ConfigDenied, whoAmI()))
	case err != nil:
		return nil, at.told(words.New(words.ConfigUnreadable, err))
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, at.told(words.New(words.ConfigIsDir, path))
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFile+1))
	switch {
	case errors.Is(err, syscall.EISDIR):
		return nil, at.told(words.New(words.ConfigIsDir, path))
	case err != nil:
		return nil, at.told(words.New(words.ConfigUnreadable, err))
	case len(data) > MaxFile:
		return nil, at.told(words.New(words.ConfigTooLarge, MaxFile>>10))
	case len(bytes.TrimSpace(data)) == 0:
		// A file of nothing is a copy that failed or a redirect that
		// truncated it: running on the defaults would start another
		// database in another place, so say so instead.
		return nil, at.told(words.New(words.ConfigEmpty))
	case bytes.IndexByte(data, 0) >= 0:
		return nil, at.told(words.New(words.ConfigNotText))
	}
	return data, nil
}

// whoAmI names the user munjigi runs as, for advice about permissions.
func whoAmI() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return strconv.Itoa(os.Getuid())
}

// yamlLine finds the line number in a YAML error message.
var yamlLine = regexp.MustCompile(`line (\d+): `)

// parseYAML parses a configuration's text, telling a syntax error with its
// line and its likely cause: a tab in the indentation (YAML indents with
// spaces only), a colon or a character a value cannot start with, a
// quote or bracket not closed, indentation that does not line up.
func parseYAML(path string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	err := yaml.Unmarshal(data, &doc)
	if err == nil {
		return &doc, nil
	}
	// A tab where the indentation is: yaml's own message for it is
	// "found character that cannot start any token", on a line near it.
	for i, line := range strings.Split(string(data), "\n") {
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if strings.Contains(indent, "\t") && strings.TrimSpace(line) != "" && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			return nil, place{file: path, line: i + 1}.told(words.New(words.YAMLTab))
		}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1 // yaml leaves the line out on the first
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.Replace(msg, m[0], "", 1)
	}
	hint := words.HintYAML
	switch {
	case strings.Contains(msg, "mapping values are not allowed"):
		hint = words.HintColon
	case strings.Contains(msg, "cannot start any token"):
		hint = words.HintStartChar
	case strings.Contains(msg, "end of stream"), strings.Contains(msg, "did not find expected node content"),
		strings.Contains(msg, "did not find expected ',' or"), strings.Contains(msg, "found unexpected end"):
		hint = words.HintUnclosed
	case strings.Contains(msg, "did not find expected key"), strings.Contains(msg, "did not find expected '-'"):
		hint = words.HintIndent
	}
	return nil, place{file: path, line: line}.told(words.New(words.YAMLBad, msg, words.T(hint)))
}

// reading is one configuration file read into the values viper gets,
// with the mistakes found on the way and where each key was set.
type reading struct {
	path     string
	values   map[string]any // nested, as viper merges it
	from     map[string]place
	mistakes []error
}

func (r *reading) mistake(p place, m *words.Error) {
	r.mistakes = append(r.mistakes, p.told(m))
}

// set puts a key's value in the nested map viper merges.
func (r *reading) set(key string, v any, p place) {
	m := r.values
	parts := strings.Split(key, ".")
	for _, s := range parts[:len(parts)-1] {
		sub, ok := m[s].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[s] = sub
		}
		m = sub
	}
	m[parts[len(parts)-1]] = v
	r.from[key] = p
}

// readDocument walks a parsed file: every key known, of its kind, once.
func readDocument(path string, doc *yaml.Node) *reading {
	r := &reading{path: path, values: map[string]any{}, from: map[string]place{}}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		n := resolve(doc.Content[0])
		switch {
		case n.Kind == yaml.MappingNode:
			r.mapping(n, "")
		case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
			// Only comments: the defaults, as the file says.
		default:
			r.mistake(place{file: path, line: n.Line}, words.New(words.ConfigNotSettings))
		}
	}
	return r
}

// resolve follows an alias to what it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func (r *reading) mapping(n *yaml.Node, prefix string) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], resolve(n.Content[i+1])
		name := strings.ToLower(kn.Value)
		at := place{file: r.path, line: kn.Line}
		if name == "<<" && kn.Tag == "!!merge" {
			// A YAML merge: its keys are this mapping's.
			if vn.Kind == yaml.MappingNode {
				r.mapping(vn, prefix)
			}
			continue
		}
		key := prefix + name
		if first, ok := seen[name]; ok {
			r.mistake(at, words.New(words.KeyTwice, key, first, kn.Line))
			continue
		}
		seen[name] = kn.Line
		_, isKey := kinds()[key]
		leaves, isSection := sections()[key]
		switch {
		case isSection && vn.Kind == yaml.MappingNode:
			r.mapping(vn, key+".")
		case isSection && vn.Kind == yaml.ScalarNode && vn.Tag == "!!null":
			// An empty section: its defaults.
		case isSection:
			r.mistake(at, words.New(words.SectionNotValue, key, strings.Join(prefixed(key, leaves), ", ")))
		case isKey:
			r.value(key, vn)
		case vn.Kind == yaml.MappingNode && prefix == "":
			r.mistake(at, unknownSection(key))
		default:
			r.mistake(at, unknownKey(key, ""))
		}
	}
}

func prefixed(sec string, leaves []string) []string {
	out := make([]string, len(leaves))
	for i, l := range leaves {
		out[i] = sec + "." + l
	}
	return out
}

// value reads a known key's value as its kind.
func (r *reading) value(key string, n *yaml.Node) {
	at := place{file: r.path, line: n.Line}
	null := n.Kind == yaml.ScalarNode && n.Tag == "!!null"
	if n.Kind == yaml.MappingNode {
		leaf := key[strings.LastIndex(key, ".")+1:]
		r.mistake(at, words.New(words.ValueNotSection, key, leaf+": "+example(key)))
		return
	}
	if kinds()[key] == kindList {
		switch {
		case null:
			r.set(key, []string{}, at)
		case n.Kind == yaml.SequenceNode:
			list := make([]string, 0, len(n.Content))
			for _, item := range n.Content {
				item = resolve(item)
				if item.Kind != yaml.ScalarNode {
					r.mistake(place{file: r.path, line: item.Line}, wantList(key, ""))
					return
				}
				list = append(list, item.Value)
			}
			r.set(key, list, at)
		default:
			r.mistake(at, wantList(key, flowItem(n.Value)))
		}
		return
	}
	if n.Kind != yaml.ScalarNode {
		r.mistake(at, want(key, words.T(words.AList)))
		return
	}
	if null && kinds()[key] == kindString {
		r.set(key, "", at)
		return
	}
	v, m := parseValue(key, n.Value)
	if m != nil {
		r.mistake(at, m)
		return
	}
	r.set(key, v, at)
}

// parseValue reads text as key's kind (not a list): text in quotes too,
// as a variable's is ("4" is still a number without its unit).
func parseValue(key, s string) (any, *words.Error) {
	switch kinds()[key] {
	case kindInt:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, want(key, strconv.Quote(s))
		}
		return n, nil
	case kindBool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "yes", "on":
			return true, nil
		case "false", "no", "off":
			return false, nil
		}
		return nil, want(key, strconv.Quote(s))
	case kindDuration:
		t := strings.TrimSpace(s)
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			if f == 0 {
				return time.Duration(0), nil // 0 needs no unit
			}
			return nil, words.New(words.DurationNoUnit, key, t, withUnit(key, t, f))
		}
		d, err := time.ParseDuration(t)
		if err != nil {
			return nil, want(key, strconv.Quote(s))
		}
		return d, nil
	}
	return s, nil
}

// want is the advice for a value that is not of key's kind: what is
// expected, with an example. given is what was written, quoted, or a
// words.Text ("a list").
func want(key string, given any) *words.Error {
	switch kinds()[key] {
	case kindInt:
		if strings.HasSuffix(key, "_days") {
			return words.New(words.WantDays, key, example(key), given)
		}
		return words.New(words.WantWhole, key, example(key), given)
	case kindBool:
		return words.New(words.WantBool, key, given)
	case kindDuration:
		return words.New(words.WantDuration, key, example(key), given)
	case kindList:
		g, _ := given.(string)
		return wantList(key, g)
	}
	return words.New(words.WantText, key, example(key), given)
}

// wantList is the advice for a list written as one value: the value in a
// list, or an example of one. A staff PIN is never said back (it is a
// secret, and [2468] would be wrong advice: an entry is ID:PIN).
func wantList(key, given string) *words.Error {
	if given == "" || key == "kiosk.staff_pins" {
		given = listExamples[key]
		if d, ok := Defaults[key].([]string); ok && len(d) > 0 {
			given = strconv.Quote(d[0])
		}
	}
	return words.New(words.WantList, key, "["+given+"]")
}

// flowItem writes a value as an item of a [list], quoted when it must be.
func flowItem(s string) string {
	if s == "" || strings.ContainsAny(s, ":,[]{}#&*!|>'\"%@` \t") {
		return strconv.Quote(s)
	}
	return s
}

// example is a key's default as it is written in the file.
func example(key string) string {
	switch d := Defaults[key].(type) {
	case string:
		if d == "" {
			return `""`
		}
		return d
	case []string:
		return "[" + strings.Join(d, ", ") + "]"
	case int:
		return strconv.Itoa(d)
	case bool:
		return strconv.FormatBool(d)
	}
	return ""
}

// withUnit is a bare number for a duration written with the unit that
// makes sense for key: the default's unit when the number is then within
// the key's range, else the first of s, ms, m, h that is.
func withUnit(key, text string, f float64) string {
	def, _ := Defaults[key].(string)
	units := []string{unitOf(def), "s", "ms", "m", "h"}
	r, ok := durationRanges[key]
	for _, u := range units {
		d := time.Duration(f * float64(unitDurations[u]))
		if !ok || (d >= r.min && d <= r.max) {
			return text + u
		}
	}
	return text + units[0]
}

var unitDurations = map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour}

// unitOf is the unit a duration is written in: "s" for "1.5s".
func unitOf(d string) string {
	u := strings.TrimLeft(d, "0123456789.")
	if _, ok := unitDurations[u]; ok {
		return u
	}
	return "s"
}

// languageLine is a top-level language setting on a line of its own.
var languageLine = regexp.MustCompile(`(?m)^language:[ \t]*["']?([a-z]+)["']?[ \t]*(?:#.*)?\r?$`)

// Language is the language a configuration asks munjigi to speak to
// people, told without loading the whole of it (for the words of an error
// about it): a bound flag given on the command line, else
// MUNJIGI_LANGUAGE, else the file's language, else the default. ok is
// false when it cannot be told: the setting that decides names a language
// munjigi does not speak, or the file cannot be read (as YAML, or for a
// line of its own that says language:).
func Language(path string, bound ...Binding) (lang words.Lang, ok bool) {
	for _, b := range bound {
		if b.Key == "language" && b.Flag != nil && b.Flag.Changed {
			return words.Parse(b.Flag.Value.String())
		}
	}
	if v, set := os.LookupEnv(envName("language")); set {
		return words.Parse(strings.TrimSpace(v))
	}
	def, _ := Defaults["language"].(string)
	if path == "" {
		return words.Parse(def)
	}
	data, err := readFile(path)
	if err != nil {
		return "", false
	}
	doc, err := parseYAML(path, data)
	if err != nil {
		// Not YAML, but its language line may still say: the advice
		// about the rest is then in the venue's language.
		if m := languageLine.FindAllSubmatch(data, -1); len(m) == 1 {
			return words.Parse(string(m[0][1]))
		}
		return "", false
	}
	if len(doc.Content) == 1 {
		if n := resolve(doc.Content[0]); n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if strings.ToLower(n.Content[i].Value) == "language" {
					v := resolve(n.Content[i+1])
					if v.Kind != yaml.ScalarNode {
						return "", false
					}
					return words.Parse(v.Value)
				}
			}
		}
	}
	return words.Parse(def)
}
