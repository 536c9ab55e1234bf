package ui

import (
	"fmt"
	"time"

	"github.com/charmbracelet/x/ansi"

	"munjigi/scanner"
)

// The status lines are always true: the scanner, the trust list, the
// authority's server, the clock, today's counts and the time. They take
// two lines where they fit (a phrase per state); on a narrow screen a
// state that is fine shrinks to its label and ✓, and trouble keeps its
// words.

// segment is one state on the status line.
type segment struct {
	long, short string
	bad         bool
}

func (m *Model) segments() []segment {
	t := m.t
	sc := segment{long: t.Scanners[scanner.Read], short: t.ScannerShort + "✓"}
	switch m.scanner.kind {
	case scanner.Connected:
		sc.long = t.Scanners[scanner.Connected]
		if m.reading {
			sc.long = t.Scanners[scanner.Reading]
		}
	case scanner.Disconnected:
		sc = segment{long: t.Scanners[scanner.Disconnected], bad: true}
	}
	trust, trustBad := m.trustWord()
	tr := segment{long: trust, short: t.TrustShort + "✓", bad: trustBad}
	up := segment{long: t.UpstreamNone}
	switch u := m.upstream; {
	case !u.Configured:
	case u.BreakerOpen:
		up = segment{long: t.UpstreamBreaker, bad: true}
	case !u.Asked:
		up = segment{long: t.UpstreamWaiting, short: t.UpstreamShort + "…"}
	case u.Online:
		up = segment{long: t.UpstreamOnline, short: t.UpstreamShort + "✓"}
	default:
		up = segment{long: t.UpstreamOffline, bad: true}
	}
	clock := segment{long: t.ClockOK, short: t.ClockShort + "✓"}
	if !m.clock.Trusted {
		clock = segment{long: t.ClockBad, bad: true}
	}
	return []segment{sc, tr, up, clock}
}

// statusLines are the status, as many lines as the width needs (two on
// anything from 57 columns).
func (m *Model) statusLines() []string {
	segs := m.segments()
	render := func(short bool) []string {
		var words []string
		for _, s := range segs {
			w := s.long
			if short && !s.bad {
				w = s.short // "" for a server not in use: nothing to say
			}
			if w == "" {
				continue
			}
			if s.bad {
				words = append(words, m.st.StatusBad.Render(w))
			} else {
				words = append(words, m.st.Status.Render(w))
			}
		}
		return flow(words, m.st.Status.Render(" · "), m.w)
	}
	health := render(false)
	if len(health) > 2 || len(health) == 2 && m.h < 24 {
		health = render(true) // a small screen keeps its lines for the page
	}
	if len(health) > 2 {
		health = health[:2]
	}
	d := m.day
	clock := m.now.In(m.cfg.Timing.Location).Format("15:04")
	today := fmt.Sprintf(m.t.Today, d.Verdicts["pass"], d.Verdicts["fail"], d.Verdicts["manual"]) + "   " + clock
	if ansi.StringWidth(today) > m.w {
		today = fmt.Sprintf(m.t.TodayShort, d.Verdicts["pass"], d.Verdicts["fail"], d.Verdicts["manual"]) + "  " + clock
	}
	return append(health, m.st.Status.Render(clip(today, m.w)))
}

// flow puts words on lines of at most w cells, joined by sep.
func flow(words []string, sep string, w int) []string {
	var lines []string
	var cur string
	for _, word := range words {
		switch {
		case cur == "":
			cur = word
		case ansi.StringWidth(cur+sep+word) <= w:
			cur += sep + word
		default:
			lines = append(lines, cur)
			cur = word
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	return lines
}

// trustWord says how old the trust list is, and whether that is trouble.
func (m *Model) trustWord() (string, bool) {
	ts := m.cfg.Trust
	stale := ts.StaleAfter
	if stale <= 0 {
		stale = 48 * time.Hour
	}
	switch {
	case ts.Keys == 0:
		return m.t.TrustNone, true
	case !ts.ExpiresAt.IsZero() && !m.now.Before(ts.ExpiresAt):
		return m.t.TrustExpired, true
	case ts.IssuedAt.IsZero():
		return m.t.TrustUndated, false
	case m.now.Sub(ts.IssuedAt) > stale:
		return m.t.TrustStale, true
	}
	return m.t.TrustFresh, false
}
