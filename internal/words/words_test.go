package words

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unicode"
)

// sameInBoth are the sentences that are only places and values, the same
// in either language.
var sameInBoth = []Key{InFile, InVar, InFlag, One}

// latinInKorean are the Korean sentences written in Latin letters.
var latinInKorean = []Key{MethodQR}

// TestEverySentenceInBothLanguages: every Key declared in the package has
// its sentence in both languages, the Korean is Korean, and both say the
// same values with the same verbs (a Korean sentence may take them in
// another order).
func TestEverySentenceInBothLanguages(t *testing.T) {
	declared := declaredKeys(t)
	if len(declared) < 50 {
		t.Fatalf("found %d keys in the source: the walk is broken", len(declared))
	}
	for _, k := range declared {
		if _, ok := sentences[k]; !ok {
			t.Errorf("%s is declared and has no sentence", k)
		}
	}
	for k, p := range sentences {
		if !slices.Contains(declared, k) {
			t.Errorf("%s has a sentence and no constant", k)
		}
		if p.en == "" || p.ko == "" {
			t.Errorf("%s: english %q, korean %q: one is missing", k, p.en, p.ko)
			continue
		}
		en, err := verbs(p.en)
		if err != nil {
			t.Errorf("%s: english: %v", k, err)
		}
		ko, err := verbs(p.ko)
		if err != nil {
			t.Errorf("%s: korean: %v", k, err)
		}
		if !maps.Equal(en, ko) {
			t.Errorf("%s: english says values %v, korean %v", k, en, ko)
		}
		for i := 1; i <= len(en); i++ {
			if _, ok := en[i]; !ok {
				t.Errorf("%s: value %d is never said (values %v)", k, i, en)
			}
		}
		if slices.Contains(sameInBoth, k) {
			continue
		}
		if p.en == p.ko {
			t.Errorf("%s: the korean is the english: %q", k, p.ko)
		}
		if !slices.Contains(latinInKorean, k) && !strings.ContainsFunc(p.ko, func(r rune) bool { return unicode.Is(unicode.Hangul, r) }) {
			t.Errorf("%s: the korean has no Hangul: %q", k, p.ko)
		}
	}
}

// declaredKeys are the constants of type Key in the package's source.
func declaredKeys(t *testing.T) []Key {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	var keys []Key
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Key" {
					continue
				}
				for i, name := range vs.Names {
					lit := vs.Values[i].(*ast.BasicLit)
					v, _ := strconv.Unquote(lit.Value)
					if v != name.Name {
						t.Errorf("%s is %q: a key's value is its name, so a message names it", name.Name, v)
					}
					keys = append(keys, Key(v))
				}
			}
		}
	}
	return keys
}

// verbs are the values a format says, by their number (from 1), each
// with its verb.
func verbs(format string) (map[int]byte, error) {
	out := map[int]byte{}
	arg := 1
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			continue
		}
		for i < len(format) && strings.IndexByte("+-# 0", format[i]) >= 0 {
			i++
		}
		if i < len(format) && format[i] == '[' {
			j := strings.IndexByte(format[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("%q: an index without ]", format)
			}
			n, err := strconv.Atoi(format[i+1 : i+j])
			if err != nil {
				return nil, fmt.Errorf("%q: index %q", format, format[i+1:i+j])
			}
			arg, i = n, i+j+1
		}
		for i < len(format) && (format[i] >= '0' && format[i] <= '9' || format[i] == '.') {
			i++
		}
		if i >= len(format) {
			return nil, fmt.Errorf("%q ends in a verb", format)
		}
		if prev, ok := out[arg]; ok && prev != format[i] {
			return nil, fmt.Errorf("%q says value %d as %%%c and %%%c", format, arg, prev, format[i])
		}
		out[arg] = format[i]
		arg++
	}
	return out, nil
}

func TestVerbs(t *testing.T) {
	for _, c := range []struct {
		format string
		want   map[int]byte
		bad    bool
	}{
		{"plain", map[int]byte{}, false},
		{"100%% sure", map[int]byte{}, false},
		{"%s and %d", map[int]byte{1: 's', 2: 'd'}, false},
		{"%[2]d before %[1]s", map[int]byte{1: 's', 2: 'd'}, false},
		{"%[1]s twice %[1]s", map[int]byte{1: 's'}, false},
		{"%-16s %5d", map[int]byte{1: 's', 2: 'd'}, false},
		{"%[1]s and %[1]d", nil, true},
		{"%[x]s", nil, true},
		{"ends %", nil, true},
	} {
		got, err := verbs(c.format)
		if (err != nil) != c.bad || (!c.bad && !maps.Equal(got, c.want)) {
			t.Errorf("verbs(%q) = %v, %v; want %v (error %v)", c.format, got, err, c.want, c.bad)
		}
	}
}

func TestTell(t *testing.T) {
	cause := New(FileEmpty)
	for _, c := range []struct {
		lang Lang
		key  Key
		args []any
		want string
	}{
		{English, IntRange, []any{"store.retention_days", 0, 1, 3650}, "store.retention_days is 0; it must be 1 to 3650"},
		{Korean, IntRange, []any{"store.retention_days", 0, 1, 3650}, "store.retention_days 값이 0입니다. 1에서 3650 사이여야 합니다"},
		// A value that is a sentence or an error is said in the same
		// language.
		{Korean, InFlag, []any{"--file", cause}, "--file: scanner.file이 비어 있습니다."},
		{English, UnknownKeyNear, []any{"venue.typ", T(One, "venue.type")}, "venue.typ is not a setting: did you mean venue.type?"},
		{Korean, UnknownKeyNear, []any{"venue.typ", T(Or, "scanner.file", "log.file")}, "혹시 scanner.file 또는 log.file인가요?"},
		// A key not in the catalogue still says its values.
		{Korean, Key("NoSuchKey"), []any{"/var/lib/munjigi"}, "/var/lib/munjigi"},
	} {
		if got := Tell(c.lang, c.key, c.args...); !strings.Contains(got, c.want) {
			t.Errorf("Tell(%s, %s) = %q, want %q in it", c.lang, c.key, got, c.want)
		}
	}
}

func TestSay(t *testing.T) {
	sentinel := errors.New("door: in use")
	e := Wrap(sentinel, InFile, "/etc/munjigi/config.yaml", New(ConfigEmpty))
	if !errors.Is(e, sentinel) {
		t.Error("the kind is not seen by errors.Is")
	}
	var inner *Error
	if !errors.As(e, &inner) || inner != e {
		t.Error("errors.As does not find it")
	}
	if got := Say(Korean, fmt.Errorf("context: %w", e)); !strings.Contains(got, "file is empty") {
		t.Errorf("an error wrapped by another is said as that one says it: %q", got)
	}
	for _, c := range []struct {
		err  error
		lang Lang
		want string
	}{
		{e, English, "/etc/munjigi/config.yaml: the file is empty"},
		{e, Korean, "/etc/munjigi/config.yaml: 파일이 비어 있습니다"},
		{&fs.PathError{Op: "open", Path: "/x/trust.json", Err: syscall.ENOENT}, Korean, "/x/trust.json: 파일이나 폴더가 없습니다"},
		{&fs.PathError{Op: "open", Path: "/x/trust.json", Err: syscall.EACCES}, English, "/x/trust.json: permission denied"},
		{&fs.PathError{Op: "open", Path: "/x", Err: syscall.EIO}, Korean, "open /x: input/output error"},
		{errors.New("the system's words"), Korean, "the system's words"},
		{List{New(PortEmpty), New(FileEmpty)}, Korean, "  scanner.port가 비어 있습니다. 장치를 지정하거나 (예: /dev/ttyACM0) auto라고 적으세요\n  scanner.file이"},
		{nil, Korean, ""},
	} {
		if got := Say(c.lang, c.err); !strings.Contains(got, c.want) {
			t.Errorf("Say(%s, %v) = %q, want %q in it", c.lang, c.err, got, c.want)
		}
	}
	if _, err := os.Open(filepath.Join(t.TempDir(), "nothing")); Say(Korean, err) != Tell(Korean, FileMissing, filepath.Join(filepath.Dir(err.(*fs.PathError).Path), "nothing")) {
		t.Errorf("a real missing file: %q", Say(Korean, err))
	}
}

func TestFromLocale(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want Lang
	}{
		{map[string]string{"LANG": "ko_KR.UTF-8"}, Korean},
		{map[string]string{"LANG": "ko_KR.UTF-8", "LC_ALL": "C.UTF-8"}, English},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "ko_KR.UTF-8"}, Korean},
		{map[string]string{"LANG": "C.UTF-8"}, English},
		{map[string]string{"LANG": "de_DE.UTF-8"}, English},
		{map[string]string{}, English},
	} {
		if got := FromLocale(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: %s, want %s", c.env, got, c.want)
		}
	}
	for _, s := range []string{"ko", "en"} {
		if l, ok := Parse(s); !ok || string(l) != s {
			t.Errorf("Parse(%q) = %q, %v", s, l, ok)
		}
	}
	if _, ok := Parse("fr"); ok {
		t.Error("Parse(fr) is a language munjigi speaks")
	}
}

func TestPad(t *testing.T) {
	for _, c := range []struct {
		s     string
		cells int
		want  string
	}{
		{"pass", 8, "pass    "},
		{"통과", 8, "통과    "}, // two cells a syllable
		{"데이터베이스", 8, "데이터베이스"},
		{"✓", 2, "✓ "},
	} {
		if got := Pad(c.s, c.cells); got != c.want {
			t.Errorf("Pad(%q, %d) = %q, want %q", c.s, c.cells, got, c.want)
		}
	}
}

// FuzzTell: whatever the values, every sentence says them as they are,
// with the verbs it declares (no %!), in both languages.
func FuzzTell(f *testing.F) {
	for _, k := range slices.Sorted(maps.Keys(sentences)) {
		f.Add(string(k), "store.retention_days", 28)
	}
	f.Add(string(PINBad), "\x1b[2J%s%d%%", -1)
	f.Fuzz(func(t *testing.T, key, s string, n int) {
		p, ok := sentences[Key(key)]
		if !ok {
			return
		}
		vs, err := verbs(p.en)
		if err != nil {
			t.Fatal(err)
		}
		args := make([]any, len(vs))
		for i, v := range vs {
			if v == 'd' {
				args[i-1] = n
			} else {
				args[i-1] = s
			}
		}
		for _, l := range Langs {
			got := Tell(l, Key(key), args...)
			if strings.Contains(got, "%!") && !strings.Contains(s, "%!") {
				t.Errorf("%s in %s: %q", key, l, got)
			}
			for i, v := range vs {
				if v == 's' && !strings.Contains(got, s) {
					t.Errorf("%s in %s: value %d %q is not in %q", key, l, i, s, got)
				}
			}
		}
	})
}
