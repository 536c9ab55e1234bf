package cli

import (
	"context"
	"os"

	"github.com/spf13/cobra"

	"munjigi/config"
	"munjigi/internal/words"
)

// speech is the language one run of munjigi speaks to people in: told by
// the command once it has read its configuration (or found that it
// cannot), read by Run for the words of an error.
type speech struct {
	lang words.Lang
	told bool
}

type speechKey struct{}

// speechOf is the run's speech, nil outside Run.
func speechOf(ctx context.Context) *speech {
	if ctx == nil {
		return nil
	}
	sp, _ := ctx.Value(speechKey{}).(*speech)
	return sp
}

// guess is the language for an error before any configuration was read
// (a flag cobra refused, an unknown command): a --lang given, else
// MUNJIGI_LANGUAGE, else the system's locale, else English.
func guess(cmd *cobra.Command) words.Lang {
	if f := cmd.Flags().Lookup("lang"); f != nil && f.Changed {
		if l, ok := words.Parse(f.Value.String()); ok {
			return l
		}
	}
	if l, ok := words.Parse(os.Getenv("MUNJIGI_LANGUAGE")); ok {
		return onConsole(l)
	}
	return onConsole(words.FromLocale(os.Getenv))
}

// onConsole keeps Korean off the Linux console (TERM=linux), which draws
// no Hangul: there it would be a screen of boxes, so the words are
// English. A --lang the command was given is taken as it is.
func onConsole(l words.Lang) words.Lang {
	if l == words.Korean && os.Getenv("TERM") == "linux" {
		return words.English
	}
	return l
}

// language is the language the command speaks to people: cfg's, or when
// there is none the configuration's as far as it can be told (its file
// may be what is wrong), else the locale's. The run's speech is told.
func (s *settings) language(cfg *config.Config) words.Lang {
	var l words.Lang
	ok := false
	if cfg != nil {
		l, ok = words.Parse(cfg.Language)
	}
	if !ok {
		l, ok = config.Language(config.Find(s.file), s.bindings...)
	}
	if !ok {
		l = words.FromLocale(os.Getenv)
	}
	if f := s.cmd.Flags().Lookup("lang"); f == nil || !f.Changed || f.Value.String() != string(l) {
		l = onConsole(l)
	}
	s.speaks = l
	if sp := speechOf(s.cmd.Context()); sp != nil {
		sp.lang, sp.told = l, true
	}
	return l
}
