package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"munjigi/gate"
	"munjigi/verify"
)

// The verdict screen: the whole screen in the verdict's colour, with a
// word and a symbol as well (for those who cannot tell red from green),
// the masked name and birth year for the ID check, the pass type and the
// reason in plain words; on a verdict that waits for staff, the checks to
// choose from. On a large terminal the word is drawn in block letters.

// Big symbols, drawn with blocks.
var symbols = map[tone][]string{
	tonePass: {
		"          ██",
		"         ██ ",
		"  ██    ██  ",
		"   ██  ██   ",
		"    ████    ",
	},
	toneFail: {
		" ██    ██ ",
		"   ████   ",
		"    ██    ",
		"   ████   ",
		" ██    ██ ",
	},
	toneManual: {
		"  ██  ",
		"  ██  ",
		"  ██  ",
		"      ",
		"  ██  ",
	},
}

var marks = map[tone]string{tonePass: "✓", toneFail: "✗", toneManual: "!", toneAgain: "↻"}

// bigFrom is the least height at which the verdict word is drawn in block
// letters: below it the lines are worth more to the text.
const bigFrom = 30

// headline is what the verdict asks of the people at the door, as a tone
// and a word.
func (m *Model) headline(o *gate.Outcome) (tone, string) {
	t := m.t
	switch {
	case o.Method == gate.MethodGap:
		return toneManual, t.Gap
	case o.Reason == verify.ReasonMisread:
		return toneAgain, t.Again
	case o.Reason == verify.ReasonIncomplete:
		return toneAgain, t.More
	case o.Verdict == verify.Pass:
		return tonePass, t.Pass
	case o.Verdict == verify.Fail:
		return toneFail, t.Fail
	}
	return toneManual, t.Manual
}

// verdictLayout is one way of laying the verdict out, from the richest
// (block letters, the symbol, room between) to the leanest.
type verdictLayout struct {
	big, symbol, spaced bool
	kind                bool // the pass's type and format
	check               bool // what the rules ask staff to check
	reason              int  // lines of reason at most; 0: all it needs
	cols                int  // the options' columns
	short               bool // the options in a word or two
}

var verdictLayouts = []verdictLayout{
	{big: true, symbol: true, spaced: true, kind: true, check: true, cols: 1},
	{big: true, spaced: true, kind: true, check: true, cols: 1},
	{big: true, kind: true, check: true, cols: 2},
	{symbol: true, spaced: true, kind: true, check: true, cols: 1},
	{spaced: true, kind: true, check: true, cols: 1},
	{kind: true, check: true, cols: 1},
	{kind: true, check: true, cols: 2},
	{check: true, cols: 2, short: true, reason: 2},
	{cols: 2, short: true, reason: 1},
	{cols: 3, short: true, reason: 1},
	{cols: 2, short: true, reason: -1},
}

func (m *Model) verdictPage(room int) *page {
	var builds []func() *page
	for _, l := range verdictLayouts {
		if l.big && m.h < bigFrom {
			continue
		}
		builds = append(builds, func() *page { return m.buildVerdict(l, room) })
	}
	return firstFit(room, builds...)
}

func (m *Model) buildVerdict(l verdictLayout, room int) *page {
	o := m.shown
	tn, word := m.headline(o)
	ton := m.st.Tones[tn]
	base, bold := ton.Base, ton.Base.Bold(true)
	p := newPage(base, m.w)
	gap := func() {
		if l.spaced {
			p.blank()
		}
	}

	// What must show is laid out first, so the word knows its room.
	var body []string
	add := func(s ...string) { body = append(body, s...) }
	text := func(s string, st func(string) string) {
		for _, line := range wrapText(s, p.room()) {
			add(st(line))
		}
	}
	plain, strong := func(s string) string { return base.Render(s) }, func(s string) string { return bold.Render(s) }
	if h := m.holder; h.Name != "" || h.BirthYear != 0 {
		id := verify.Sanitize(h.Name, 40)
		if h.BirthYear != 0 {
			id = strings.TrimSpace(id + "  " + fmt.Sprintf(m.t.BornIn, h.BirthYear))
		}
		add(strong(clip(id, p.room())))
	}
	if l.kind {
		if k := m.kindLine(o); k != "" {
			add(plain(clip(k, p.room())))
		}
	}
	if r := m.reasonText(o); r != "" && l.reason >= 0 {
		lines := wrapText(r, p.room())
		if l.reason > 0 && len(lines) > l.reason {
			// The rest of the reason is cut, and says so.
			lines = lines[:l.reason]
			lines[l.reason-1] = clip(lines[l.reason-1]+" …", p.room())
		}
		for _, line := range lines {
			add(plain(line))
		}
	}
	if l.check && o.Verdict == verify.Manual && o.Check != "" && o.Method == gate.MethodQR {
		c, ok := m.t.Checks[o.Check]
		if !ok {
			c = m.t.Checks[checkOther]
		}
		text(c, strong)
	}
	if m.waiting != nil && m.waiting == m.shown {
		if l.spaced {
			add(plain(""))
		}
		add(plain(clip(m.t.ChooseCheck, p.room())))
		opts, ok := m.options(base, l.cols, l.short, p.room())
		if !ok && l != verdictLayouts[len(verdictLayouts)-1] {
			return nil // the options would be cut: another layout
		}
		width := 0
		for _, line := range opts {
			width = max(width, ansi.StringWidth(line))
		}
		for _, line := range opts {
			add(line + p.pad(width-ansi.StringWidth(line)))
		}
	}
	if !o.Logged && o.Method != gate.MethodGap {
		text(fmt.Sprintf(m.t.NotLogged, m.t.LogWhy[o.Log]), func(s string) string { return bold.Blink(true).Render(s) })
	}
	var after []string
	for _, n := range []string{m.note, m.progress()} {
		if n != "" {
			for _, line := range wrapText(n, p.room()) {
				after = append(after, strong(line))
			}
		}
	}

	// The word, as large as the room left allows.
	var head []string
	if l.symbol {
		for _, s := range symbols[tn] {
			head = append(head, base.Render(s))
		}
	}
	used := len(head) + boolInt(len(head) > 0) + len(body) + len(after) // a blank between symbol and word
	if l.spaced {
		used += 1 + boolInt(len(after) > 0)
	}
	drawn := false
	if l.big {
		if rows, ok := bigText(word, p.room(), room-used); ok {
			if len(head) > 0 {
				head = append(head, base.Render(""))
			}
			for _, r := range rows {
				head = append(head, strong(r))
			}
			drawn = true
		}
	}
	if l.big && !drawn {
		return nil // the word does not fit big: the next layout
	}
	if !drawn {
		if len(head) > 0 && l.spaced {
			head = append(head, base.Render(""))
		}
		mark := marks[tn]
		head = append(head, strong(clip(mark+"  "+word+"  "+mark, p.room())))
	}
	p.add(head...)
	gap()
	p.add(body...)
	if len(after) > 0 {
		gap()
		p.add(after...)
	}
	return p
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// progress says what is happening with the next scan, over a verdict.
func (m *Model) progress() string {
	switch {
	case m.reading:
		return m.t.Reading
	case m.busy:
		return m.t.Checking
	}
	return ""
}

// kindLine names what was shown: the pass's type and format.
func (m *Model) kindLine(o *gate.Outcome) string {
	var words []string
	if t, ok := m.t.Types[o.Type]; ok {
		words = append(words, t)
	}
	if o.Format != "" && o.Format != verify.FormatUnknown && o.Method == gate.MethodQR {
		if f, ok := m.t.Formats[o.Format]; ok {
			words = append(words, f)
		}
	}
	return strings.Join(words, " · ")
}

// reasonText says why, in plain words, in the screen's language: a code
// without words is said as "another reason", never as its code or as the
// English detail behind it.
func (m *Model) reasonText(o *gate.Outcome) string {
	t := m.t
	switch {
	case o.Method == gate.MethodGap:
		if t.Lang == "en" && o.Note != "" {
			return verify.Sanitize(o.Note, 200) // the door's own account, in English
		}
	case o.Reason == verify.ReasonReused && !o.ReusedAt.IsZero():
		return fmt.Sprintf(t.AlreadyIn, o.ReusedAt.In(m.cfg.Timing.Location).Format("15:04"))
	case o.Method == gate.MethodQR && (o.Reason == verify.ReasonRuleFailed || o.Reason == verify.ReasonRuleManual):
		// The rule's own words say more than "the rules", in this
		// language when the profile has them in it.
		if w, ok := m.cfg.Policy.ruleWords(o.Result, t.Lang); ok {
			return verify.Sanitize(w, 200)
		}
	}
	return m.reasonWords(o.Method, o.Reason)
}

// reasonWords says a reason code as the log keeps it, with its method: a
// check by hand by its option's words, a verdict by its reason's.
func (m *Model) reasonWords(method gate.Method, reason verify.Reason) string {
	t := m.t
	switch {
	case method == gate.MethodGap:
		return t.GapLine
	case method != gate.MethodQR && method != gate.MethodUnresolved:
		if w, ok := t.Options[reason]; ok {
			return w
		}
	case reason == verify.ReasonOK:
		return ""
	}
	if r, ok := t.Reasons[reason]; ok {
		return r
	}
	return t.Reasons[reasonOther]
}
