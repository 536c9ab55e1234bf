package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"munjigi/gate"
	"munjigi/verify"
)

// The stats screen: today's visitors in plain words (a visitor whose
// verdict waited for staff counts once, by how it was settled), the
// misreads apart from them, how quickly scans are decided, and a bar per
// hour.

func (m *Model) statsPage(room int) *page {
	d := m.day
	t := m.t
	p := newPage(m.st.Plain, m.w)
	w := p.room()
	var lines []string
	add := func(s string) { lines = append(lines, wrapText(s, w)...) }
	lines = append(lines, m.st.Title.Render(clip(fmt.Sprintf(t.StatsTitle, d.Start.Format(t.DateLayout)), w)))
	if m.historyNote != "" {
		// The counts start from this run: the log could not be read.
		note := t.HistoryUnread
		if t.Lang == "en" {
			note += " (" + verify.Sanitize(m.historyNote, 120) + ")"
		}
		add(note)
	}
	if d.Total == 0 && d.Misreads == 0 {
		lines = append(lines, "")
		add(t.NoEntries)
		return p.group(lines[:min(len(lines), room)])
	}
	var verdicts []string
	for _, v := range []verify.Verdict{verify.Pass, verify.Fail, verify.Manual} {
		if n := d.Verdicts[string(v)]; n > 0 {
			verdicts = append(verdicts, fmt.Sprintf("%s %d", t.Verdicts[v], n))
		}
	}
	lines = append(lines, "")
	add(fmt.Sprintf(t.Visitors, d.Total) + ": " + strings.Join(verdicts, " · "))
	var methods []string
	for _, meth := range gate.Methods {
		if n := d.Methods[string(meth)]; n > 0 {
			methods = append(methods, fmt.Sprintf("%s %d", t.Methods[meth], n))
		}
	}
	if len(methods) > 0 {
		add(t.How + ": " + strings.Join(methods, " · "))
	}
	if d.Misreads > 0 {
		add(fmt.Sprintf(t.MisreadCount, d.Misreads))
	}
	if len(m.latency) > 0 {
		s := slices.Clone(m.latency)
		slices.Sort(s)
		add(fmt.Sprintf(t.Speed, t.Seconds(s[len(s)/2].Seconds()), t.Seconds(s[len(s)*95/100].Seconds())))
	}
	add(fmt.Sprintf(t.LastMinute, m.perMinute()))

	// The bar chart: the hours from the first with an entry to the last,
	// as many as there is room for (the latest), scaled to the width.
	if chartRoom := room - len(lines) - 2; chartRoom > 0 && d.Total > 0 {
		first, last, peak := 23, 0, 0
		for h, n := range d.Hours {
			if n > 0 {
				first, last = min(first, h), max(last, h)
				peak = max(peak, n)
			}
		}
		first = max(first, last-chartRoom+1)
		barRoom := max(w-10, 4)
		lines = append(lines, "", clip(t.ByHour, w))
		for h := first; h <= last; h++ {
			n := d.Hours[h]
			bar := strings.Repeat("█", (n*barRoom+peak-1)/peak)
			lines = append(lines, clip(fmt.Sprintf("%02d  %s %d", h, bar, n), w))
		}
	}
	return p.group(lines[:min(len(lines), room)])
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

// trimFloat writes a number of seconds with as few digits as say it:
// 0.0034, 0.041, 1.2.
func trimFloat(s float64) string {
	prec := 1
	switch {
	case s < 0.01:
		prec = 4
	case s < 1:
		prec = 3
	}
	out := strconv.FormatFloat(s, 'f', prec, 64)
	return strings.TrimSuffix(strings.TrimRight(out, "0"), ".")
}

// englishSeconds writes a duration as a person says it: 3.4 ms, 41 ms, 1.2 s.
func englishSeconds(s float64) string {
	switch ms := s * 1000; {
	case ms < 10:
		return strings.TrimSuffix(strconv.FormatFloat(ms, 'f', 1, 64), ".0") + " ms"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	}
	return strconv.FormatFloat(s, 'f', 1, 64) + " s"
}
