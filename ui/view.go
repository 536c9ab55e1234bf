package ui

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"munjigi/gate"
	"munjigi/scanner"
	"munjigi/verify"
)

// Colours: 256-colour numbers, which terminals without true colour show
// and the Linux console maps to its nearest. The word and the symbol say
// the same as the colour, for those who cannot tell red from green.
var (
	green = lipgloss.Color("28")
	red   = lipgloss.Color("160")
	amber = lipgloss.Color("214")
	black = lipgloss.Color("16")
	white = lipgloss.Color("231")
	dim   = lipgloss.Color("245")
)

// Big symbols, drawn with blocks, to be read from a metre away.
var symbols = map[verify.Verdict][]string{
	verify.Pass: {
		"          ██",
		"         ██ ",
		"  ██    ██  ",
		"   ██  ██   ",
		"    ████    ",
	},
	verify.Fail: {
		" ██    ██ ",
		"   ████   ",
		"    ██    ",
		"   ████   ",
		" ██    ██ ",
	},
	verify.Manual: {
		"  ██  ",
		"  ██  ",
		"  ██  ",
		"      ",
		"  ██  ",
	},
}

var marks = map[verify.Verdict]string{verify.Pass: "✓", verify.Fail: "✗", verify.Manual: "!"}

// View draws the screen: exactly the terminal's height in lines, none
// wider than its width.
func (m *Model) View() string {
	var body string
	var bg lipgloss.TerminalColor = lipgloss.NoColor{}
	switch m.screen {
	case verdictScreen:
		body, bg = m.verdictView()
	case manualScreen:
		body = m.manualView()
	case pinScreen:
		body = m.pinView()
	case statsScreen:
		body = m.statsView()
	case logScreen:
		body = m.logView()
	case helpScreen:
		body = m.helpView()
	case quitScreen:
		body = m.quitView()
	default:
		body = m.readyView()
	}
	status := m.statusLines()
	room := max(m.h-len(status), 1)
	page := lipgloss.Place(m.w, room, lipgloss.Center, lipgloss.Center, body, lipgloss.WithWhitespaceBackground(bg))
	return fit(page+"\n"+strings.Join(status, "\n"), m.w, m.h)
}

// fit cuts s to w cells by h lines, so a narrow terminal never wraps.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	return strings.Join(lines, "\n")
}

func (m *Model) readyView() string {
	title := lipgloss.NewStyle().Bold(true).Render(m.t.ScanPrompt)
	lines := []string{
		m.venueLine(),
		"",
		lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(1, 4).Render(title),
		"",
		lipgloss.NewStyle().Foreground(dim).Render(m.t.ScanHint),
	}
	if m.busy {
		lines = append(lines, "", lipgloss.NewStyle().Bold(true).Render(m.t.Checking))
	} else {
		lines = append(lines, "", "")
	}
	if m.note != "" {
		lines = append(lines, m.note)
	}
	if !m.clock.Trusted && m.clock.Code != "" {
		// Staff should know why passes that time decides go to them.
		lines = append(lines, lipgloss.NewStyle().Bold(true).Render(m.wrap(m.t.Clock+": "+m.t.ClockWhy[m.clock.Code])))
	}
	lines = append(lines, "", lipgloss.NewStyle().Foreground(dim).Render(m.t.KeysHint))
	return lipgloss.JoinVertical(lipgloss.Center, lines...)
}

func (m *Model) venueLine() string {
	policy := m.cfg.Policy
	if policy == "" {
		policy = m.t.NoPolicy
	}
	name := m.cfg.VenueName
	if name == "" {
		return m.t.Policy + ": " + policy
	}
	return m.t.Venue + ": " + verify.Sanitize(name, 40) + " · " + m.t.Policy + ": " + policy
}

// verdictView is the whole screen in the verdict's colour.
func (m *Model) verdictView() (string, lipgloss.TerminalColor) {
	o := m.shown
	bg := map[verify.Verdict]lipgloss.Color{verify.Pass: green, verify.Fail: red, verify.Manual: amber}[o.Verdict]
	fg := white
	if o.Verdict == verify.Manual {
		fg = black // black reads better on amber
	}
	base := lipgloss.NewStyle().Background(bg).Foreground(fg)
	word := map[verify.Verdict]string{verify.Pass: m.t.Pass, verify.Fail: m.t.Fail, verify.Manual: m.t.Manual}[o.Verdict]
	var lines []string
	short := m.h < 30 // 80x24: the symbol beside the word would crowd the options
	if !short || o.Verdict != verify.Manual || m.manualFor == nil {
		lines = append(lines, symbols[o.Verdict]...)
		lines = append(lines, "")
	}
	lines = append(lines, base.Bold(true).Render(marks[o.Verdict]+"  "+word+"  "+marks[o.Verdict]))
	lines = append(lines, "")
	if h := o.Holder; h.Name != "" || h.BirthYear != 0 {
		id := verify.Sanitize(h.Name, 40)
		if h.BirthYear != 0 {
			id = strings.TrimSpace(id + "  " + fmt.Sprintf(m.t.BornIn, h.BirthYear))
		}
		lines = append(lines, base.Bold(true).Render(id))
	}
	if t, ok := m.t.Types[o.Type]; ok {
		lines = append(lines, t)
	}
	if r := m.reason(o); r != "" {
		lines = append(lines, m.wrap(r))
	}
	if o.Verdict == verify.Manual && o.Check != "" {
		c, ok := m.t.Checks[o.Check]
		if !ok {
			c = verify.Sanitize(o.Check, 60)
		}
		lines = append(lines, base.Bold(true).Render(m.wrap(c)))
	}
	if m.manualFor != nil && m.manualFor == m.shown {
		lines = append(lines, "", m.t.ChooseCheck)
		lines = append(lines, m.optionLines()...)
	}
	if !o.Logged && o.Method != gate.MethodGap {
		lines = append(lines, "", base.Bold(true).Blink(true).Render(fmt.Sprintf(m.t.NotLogged, m.t.LogWhy[o.Log])))
	}
	if m.busy {
		lines = append(lines, "", m.t.Checking)
	}
	for i, l := range lines {
		lines[i] = base.Render(l)
	}
	return lipgloss.JoinVertical(lipgloss.Center, lines...), bg
}

// wrap breaks a long line of text to fit the screen with a margin.
func (m *Model) wrap(s string) string {
	w := min(m.w-4, 76)
	if lipgloss.Width(s) <= w {
		return s
	}
	return lipgloss.NewStyle().Width(w).Align(lipgloss.Center).Render(s)
}

// optionName is what a manual check's entry says, in words.
func (m *Model) optionName(method, reason string) (string, bool) {
	for _, k := range optionKeys {
		if c := options[k]; string(c.Method) == method && string(c.Reason) == reason {
			return m.t.Options[k], true
		}
	}
	return "", false
}

// reason says why, in plain words, in the kiosk's language.
func (m *Model) reason(o *gate.Outcome) string {
	switch {
	case o.Method == gate.MethodGap:
		return m.t.LogGap
	case o.Reason == verify.ReasonReused && !o.ReusedAt.IsZero():
		return fmt.Sprintf(m.t.AlreadyIn, o.ReusedAt.In(m.cfg.Location).Format("15:04"))
	case o.Method != gate.MethodQR:
		if name, ok := m.optionName(string(o.Method), string(o.Reason)); ok {
			return name
		}
	case o.Reason == verify.ReasonOK:
		return ""
	case o.Reason == verify.ReasonRuleFailed || o.Reason == verify.ReasonRuleManual:
		// The rule's own words, in the kiosk's language (the decider
		// wrote them so), say more than "the rules".
		if o.Detail != "" {
			return verify.Sanitize(o.Detail, 160)
		}
	}
	if r, ok := m.t.Reasons[o.Reason]; ok {
		return r
	}
	return verify.Sanitize(o.Detail, 120)
}

func (m *Model) optionLines() []string {
	var lines []string
	for _, k := range optionKeys {
		if k == "7" && !m.diningAlone() {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s  %s", k, m.t.Options[k]))
	}
	// One column, left-aligned within its block, reads best.
	block := lipgloss.NewStyle().Align(lipgloss.Left).Render(strings.Join(lines, "\n"))
	return strings.Split(block, "\n")
}

func (m *Model) manualView() string {
	lines := []string{lipgloss.NewStyle().Bold(true).Render(m.t.ManualTitle), ""}
	if m.manualFor != nil {
		lines = append(lines, fmt.Sprintf(m.t.ManualFor, m.reason(m.manualFor)), "")
	} else {
		lines = append(lines, m.t.ManualAny, "")
	}
	lines = append(lines, m.t.ChooseCheck)
	lines = append(lines, m.optionLines()...)
	lines = append(lines, "", lipgloss.NewStyle().Foreground(dim).Render("esc "+m.t.KeyBack))
	return lipgloss.JoinVertical(lipgloss.Center, lines...)
}

func (m *Model) pinView() string {
	what := m.t.QuitTitle
	if m.choice != "quit" {
		what = m.t.Options[m.choice]
	}
	lines := []string{
		lipgloss.NewStyle().Bold(true).Render(what), "",
		m.t.PINPrompt, "",
		lipgloss.NewStyle().Border(lipgloss.NormalBorder()).Width(14).Render(strings.Repeat("●", len(m.pin))),
	}
	if m.note != "" {
		lines = append(lines, "", lipgloss.NewStyle().Foreground(red).Render(m.note))
	}
	return lipgloss.JoinVertical(lipgloss.Center, lines...)
}

func (m *Model) quitView() string {
	return lipgloss.JoinVertical(lipgloss.Center, lipgloss.NewStyle().Bold(true).Render(m.t.QuitTitle), "", m.t.QuitQuestion)
}

func (m *Model) statsView() string {
	d := m.day
	title := lipgloss.NewStyle().Bold(true).Render(m.t.StatsTitle + "  " + d.Start.Format("2006-01-02"))
	if m.historyNote != "" {
		// The counts start from this run: the log could not be read.
		title += "\n" + m.wrap(verify.Sanitize(m.historyNote, 120))
	}
	if d.Total == 0 {
		return lipgloss.JoinVertical(lipgloss.Center, title, "", m.t.NoEntries)
	}
	// The bar chart: the hours from the first with an entry to the last,
	// scaled to the room there is.
	first, last := 23, 0
	peak := 0
	for h, n := range d.Hours {
		if n > 0 {
			first, last = min(first, h), max(last, h)
			peak = max(peak, n)
		}
	}
	barRoom := max(m.w-30, 10)
	var chart []string
	rows := last - first + 1
	room := m.h - 10
	if rows > room {
		first = max(last-room+1, 0) // the latest hours fit
	}
	for h := first; h <= last; h++ {
		n := d.Hours[h]
		bar := strings.Repeat("█", (n*barRoom+peak-1)/peak)
		chart = append(chart, fmt.Sprintf("%02d  %-*s %d", h, barRoom, bar, n))
	}
	var p95 string
	if len(m.latency) > 0 {
		s := slices.Clone(m.latency)
		slices.Sort(s)
		p95 = fmt.Sprintf(m.t.P95, s[len(s)*95/100].Round(time.Millisecond/10))
	}
	counts := func(label string, c map[string]int, names map[string]string, order ...string) string {
		keys := make([]string, 0, len(c))
		for k := range c {
			if !slices.Contains(order, k) {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range slices.Backward(order) {
			if c[k] > 0 {
				keys = append([]string{k}, keys...)
			}
		}
		parts := []string{label + ":"}
		for _, k := range keys {
			n := k
			if v, ok := names[k]; ok {
				n = v
			}
			parts = append(parts, fmt.Sprintf("%s %d", n, c[k]))
		}
		return strings.Join(parts, " ")
	}
	verdictNames := map[string]string{"pass": m.t.Pass, "fail": m.t.Fail, "manual": m.t.Manual}
	lines := []string{title, "", m.t.ByHour}
	lines = append(lines, chart...)
	lines = append(lines, "",
		counts(m.t.Verdicts, d.Verdicts, verdictNames, "pass", "fail", "manual"),
		counts(m.t.Methods, d.Methods, m.t.MethodNames, "qr"),
		strings.TrimSpace(fmt.Sprintf(m.t.PerMinute, m.perMinute())+"   "+p95))
	block := lipgloss.NewStyle().Align(lipgloss.Left).Render(strings.Join(lines, "\n"))
	return block
}

func (m *Model) perMinute() int {
	n := 0
	now := time.Now()
	for _, t := range m.recent {
		if now.Sub(t) <= time.Minute {
			n++
		}
	}
	return n
}

func (m *Model) logView() string {
	lines := []string{lipgloss.NewStyle().Bold(true).Render(m.t.LogTitle), ""}
	if len(m.log) == 0 {
		return lipgloss.JoinVertical(lipgloss.Center, append(lines, m.t.NoEntries)...)
	}
	c := m.t.LogColumns
	rows := [][]string{{c[0], c[1], c[2], c[3], c[4]}}
	room := max(m.h-6, 1)
	verdictNames := map[string]string{"pass": m.t.Pass, "fail": m.t.Fail, "manual": m.t.Manual}
	for _, e := range m.log[:min(len(m.log), room)] {
		when := e.At.In(m.cfg.Location).Format("15:04:05")
		if !e.ClockTrusted {
			when += "?"
		}
		method := verify.Sanitize(e.Method, 20) // the file is on an SD card anyone can pull
		if n, ok := m.t.MethodNames[method]; ok {
			method = n
		}
		typ := m.t.Types[verify.Type(e.Type)]
		reason := verify.Sanitize(e.Reason, 60)
		if r, ok := m.t.Reasons[verify.Reason(reason)]; ok {
			reason = r
		} else if r, ok := m.optionName(e.Method, e.Reason); ok {
			reason = r
		}
		rows = append(rows, []string{when, marks[verify.Verdict(e.Verdict)] + " " + verdictNames[e.Verdict], method, typ, reason})
	}
	// Columns as wide as their widest cell; the reason takes the rest.
	widths := make([]int, 5)
	for _, r := range rows {
		for i, cell := range r[:4] {
			widths[i] = max(widths[i], lipgloss.Width(cell))
		}
	}
	var out []string
	for i, r := range rows {
		var b strings.Builder
		for j, cell := range r[:4] {
			b.WriteString(cell + strings.Repeat(" ", widths[j]-lipgloss.Width(cell)+2))
		}
		b.WriteString(r[4])
		line := ansi.Truncate(b.String(), max(m.w-2, 10), "…")
		if i == 0 {
			line = lipgloss.NewStyle().Bold(true).Render(line)
		}
		out = append(out, line)
	}
	block := lipgloss.NewStyle().Align(lipgloss.Left).Render(strings.Join(out, "\n"))
	return lipgloss.JoinVertical(lipgloss.Center, append(lines, block)...)
}

// helpView lists the key map, from the bindings themselves.
func (m *Model) helpView() string {
	var rows []string
	width := 0
	for _, b := range m.keys.all() {
		width = max(width, lipgloss.Width(b.Help().Key))
	}
	for _, b := range m.keys.all() {
		k := b.Help().Key
		rows = append(rows, k+strings.Repeat(" ", width-lipgloss.Width(k)+3)+b.Help().Desc)
	}
	block := lipgloss.NewStyle().Align(lipgloss.Left).Render(strings.Join(rows, "\n"))
	return lipgloss.JoinVertical(lipgloss.Center, lipgloss.NewStyle().Bold(true).Render(m.t.HelpTitle), "", block)
}

// statusLines are always true: the scanner, the trust list, upstream, the
// clock, today's counts. Two lines, so each fits 80 columns in Korean.
func (m *Model) statusLines() []string {
	t := m.t
	bad := lipgloss.NewStyle().Bold(true).Reverse(true)
	sc := t.ScannerKeyboard
	switch m.scanner.kind {
	case scanner.Connected:
		sc = t.ScannerOK
	case scanner.Disconnected:
		sc = bad.Render(t.ScannerDown)
	}
	trust := m.trustWord()
	clock := t.ClockOK
	if !m.clock.Trusted {
		clock = bad.Render(t.ClockBad)
	}
	up := t.UpstreamNone
	switch u := m.upstream; {
	case !u.Configured:
	case u.BreakerOpen:
		up = bad.Render(t.UpstreamBreaker)
	case !u.Asked:
		up = t.UpstreamWaiting
	case u.Online:
		up = t.UpstreamOnline
	default:
		up = bad.Render(t.UpstreamOffline)
	}
	first := fmt.Sprintf("%s %s · %s %s · %s %s · %s %s", t.Scanner, sc, t.Trust, trust, t.Upstream, up, t.Clock, clock)
	second := fmt.Sprintf(t.Today, m.day.Verdicts["pass"], m.day.Verdicts["fail"], m.day.Verdicts["manual"]) +
		"   " + m.now.In(m.cfg.Location).Format("15:04")
	style := lipgloss.NewStyle().Foreground(dim)
	return []string{style.Render(first), style.Render(second)}
}

func (m *Model) trustWord() string {
	ts := m.cfg.Trust
	bad := lipgloss.NewStyle().Bold(true).Reverse(true)
	stale := ts.StaleAfter
	if stale <= 0 {
		stale = 48 * time.Hour
	}
	switch {
	case ts.Keys == 0:
		return bad.Render(m.t.TrustNone)
	case !ts.ExpiresAt.IsZero() && !m.now.Before(ts.ExpiresAt):
		return bad.Render(m.t.TrustExpired)
	case ts.IssuedAt.IsZero():
		return m.t.TrustUndated
	case m.now.Sub(ts.IssuedAt) > stale:
		return bad.Render(m.t.TrustStale)
	}
	return m.t.TrustFresh
}
