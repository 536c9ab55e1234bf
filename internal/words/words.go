// Package words is every sentence munjigi's operator tools say to a person
// (doctor, config check, stats, db check, the door's start-up notices and
// errors, configuration advice), in English and Korean side by side in one
// place (sentences.go), so that neither language can miss one: a test
// walks the keys. The kiosk's screen has its own words (ui/text.go); what
// machines read (export, verify's JSON, the headless JSON lines, the log)
// has codes and English and no words from here.
//
// A sentence has placeholders for its values (paths, keys, numbers, which
// stay as they are in either language). A value that is an error is told
// in the same language when it can be (an *Error, a List, a file error);
// any other error is quoted as it is.
package words

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"

	"github.com/charmbracelet/x/ansi"
)

// Lang is a language munjigi speaks to people.
type Lang string

// The languages, by their configuration names.
const (
	English Lang = "en"
	Korean  Lang = "ko"
)

// Langs are the languages munjigi speaks.
var Langs = []Lang{Korean, English}

// Parse reads a configuration's language name.
func Parse(s string) (Lang, bool) {
	switch Lang(s) {
	case English, Korean:
		return Lang(s), true
	}
	return "", false
}

// FromLocale is the language the system's locale asks for: Korean for a
// Korean locale (LANG=ko_KR.UTF-8), else English. The variables are read as
// the C library reads them: LC_ALL, then LC_MESSAGES, then LANG.
func FromLocale(getenv func(string) string) Lang {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(name); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "ko") {
				return Korean
			}
			return English
		}
	}
	return English
}

// A Key names a sentence in the catalogue.
type Key string

// Tell says the sentence k in l with its values.
func Tell(l Lang, k Key, args ...any) string {
	p, ok := sentences[k]
	if !ok {
		// A defect, not a reason to lose the values: say them.
		return fmt.Sprintf("%s %v", k, args)
	}
	format := p.en
	if l == Korean {
		format = p.ko
	}
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = value(l, a)
	}
	return fmt.Sprintf(format, vals...)
}

// value is a sentence's value as l says it: a sentence or an error in l,
// anything else as it is.
func value(l Lang, a any) any {
	switch v := a.(type) {
	case Sayer:
		return v.In(l)
	case error:
		return Say(l, v)
	}
	return a
}

// A Sayer says itself in a language.
type Sayer interface {
	In(Lang) string
}

// Text is a sentence with its values, said when the language is known.
type Text struct {
	Key  Key
	Args []any
}

// T is the sentence k with its values.
func T(k Key, args ...any) Text { return Text{Key: k, Args: args} }

// In says the sentence in l.
func (t Text) In(l Lang) string { return Tell(l, t.Key, t.Args...) }

// String says it in English.
func (t Text) String() string { return t.In(English) }

// Error is an error told in a sentence: Error says it in English (for
// logs and wrapping), In in any language. Its values that are errors are
// its causes, and Kind, a sentinel it is without saying so: errors.Is and
// errors.As see both.
type Error struct {
	Text
	Kind error
}

var _ Sayer = (*Error)(nil)

// New is the error the sentence k tells.
func New(k Key, args ...any) *Error { return &Error{Text: T(k, args...)} }

// Wrap is the error the sentence k tells, which is kind.
func Wrap(kind error, k Key, args ...any) *Error {
	return &Error{Text: T(k, args...), Kind: kind}
}

func (e *Error) Error() string { return e.In(English) }

// Unwrap is the error's kind and the errors among its values.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	for _, a := range e.Args {
		if err, ok := a.(error); ok {
			errs = append(errs, err)
		}
	}
	return errs
}

// List is several errors, said one to a line, each indented: a
// configuration's mistakes, all at once.
type List []error

var _ Sayer = List(nil)

func (l List) Error() string { return l.In(English) }

// In says each error on its own line.
func (l List) In(lang Lang) string {
	lines := make([]string, len(l))
	for i, err := range l {
		lines[i] = "  " + strings.ReplaceAll(Say(lang, err), "\n", "\n  ")
	}
	return strings.Join(lines, "\n")
}

// Unwrap is the errors.
func (l List) Unwrap() []error { return l }

// Say tells err in l: a Sayer in l; a file the system could not use in l
// (its path and what went wrong); any other error as it is (its text is
// the program's or the system's, a value like a path).
func Say(l Lang, err error) string {
	if err == nil {
		return ""
	}
	if s, ok := err.(Sayer); ok {
		return s.In(l)
	}
	if pe, ok := err.(*fs.PathError); ok {
		if k, ok := errnoKeys[errno(pe.Err)]; ok {
			return Tell(l, k, pe.Path)
		}
	}
	return err.Error()
}

func errno(err error) syscall.Errno {
	var n syscall.Errno
	if errors.As(err, &n) {
		return n
	}
	return 0
}

// errnoKeys are the file errors a person can act on, said in their words.
var errnoKeys = map[syscall.Errno]Key{
	syscall.ENOENT:  FileMissing,
	syscall.EACCES:  FileDenied,
	syscall.EPERM:   FileDenied,
	syscall.EISDIR:  FileIsDir,
	syscall.ENOTDIR: FileNotDir,
	syscall.EROFS:   FileReadOnly,
	syscall.ENOSPC:  FileNoSpace,
}

// Pad fills s with spaces to cells terminal cells: Hangul takes two, so
// counting bytes or runes would break a column.
func Pad(s string, cells int) string {
	if w := ansi.StringWidth(s); w < cells {
		return s + strings.Repeat(" ", cells-w)
	}
	return s
}
