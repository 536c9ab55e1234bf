package ui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// keyMap is every key staff use, in one place: the ready screen's key
// hint and the help screen are generated from it (bubbles' help.KeyMap),
// and the screens check keys with key.Matches against it.
type keyMap struct {
	Manual, Options, Stats, Log, Lang, Help, Back, Quit key.Binding

	// long is the help screen's line for each binding, by its key.
	long map[string]string
}

var _ help.KeyMap = keyMap{}

// optionKeys are the checks by hand (gate.Checks, in its order) by the key
// that chooses each: 1-7, and 0 for the refusal, far from the others.
var optionKeys = []string{"1", "2", "3", "4", "5", "6", "7", "0"}

func newKeys(t *Text) keyMap {
	k := keyMap{
		Manual:  key.NewBinding(key.WithKeys("m"), key.WithHelp("m", t.KeyManual)),
		Options: key.NewBinding(key.WithKeys(optionKeys...), key.WithHelp("1-7, 0", t.KeyOptions)),
		Stats:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", t.KeyStats)),
		Log:     key.NewBinding(key.WithKeys("l"), key.WithHelp("l", t.KeyLog)),
		Lang:    key.NewBinding(key.WithKeys("e"), key.WithHelp("e", t.KeyLang)),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", t.KeyHelp)),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", t.KeyBack)),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", t.KeyQuit)),
	}
	k.long = map[string]string{
		"m": t.HelpManual, "1-7, 0": t.HelpOptions, "s": t.HelpStats, "l": t.HelpLog,
		"e": t.HelpLang, "?": t.HelpHelp, "esc": t.HelpBack, "q": t.HelpQuit,
	}
	return k
}

// ShortHelp is the ready screen's key hint.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Manual, k.Stats, k.Log, k.Lang, k.Help}
}

// FullHelp is the help screen, one column.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Manual, k.Options, k.Stats, k.Log, k.Lang, k.Help, k.Back, k.Quit}}
}

// handleKey acts on a person's key: the PIN and quit screens take every
// key; elsewhere the key map decides.
func (m *Model) handleKey(k tea.KeyMsg) tea.Cmd {
	switch m.screen {
	case pinScreen:
		return m.pinKey(k)
	case quitScreen:
		return m.quitKey(k)
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		if m.cfg.Demo {
			return tea.Sequence(m.leave(), tea.Quit)
		}
		m.back, m.screen = m.restScreen(), quitScreen
	case key.Matches(k, m.keys.Help):
		m.back, m.screen = m.restScreen(), helpScreen
	case key.Matches(k, m.keys.Stats):
		m.back, m.screen = m.restScreen(), statsScreen
	case key.Matches(k, m.keys.Log):
		m.back, m.screen = m.restScreen(), logScreen
	case key.Matches(k, m.keys.Lang):
		if m.t.Lang == "ko" {
			m.setLang(&english)
		} else {
			m.setLang(&korean)
		}
	case key.Matches(k, m.keys.Back):
		return m.escape()
	case key.Matches(k, m.keys.Manual):
		m.screen, m.note = manualScreen, ""
	case key.Matches(k, m.keys.Options):
		return m.choose(k.String())
	}
	return nil
}

// escape goes back: from a screen that comes and goes to where it came
// from; from a check begun for a waiting verdict to that verdict; from a
// waiting verdict to the scan screen, recording it as unsettled.
func (m *Model) escape() tea.Cmd {
	switch m.screen {
	case helpScreen, statsScreen, logScreen:
		m.screen = m.back
	case manualScreen:
		m.screen = readyScreen
		if m.waiting != nil {
			m.screen = verdictScreen
		}
	case verdictScreen:
		if m.waiting != nil {
			return m.leave()
		}
		m.screen = readyScreen
	default:
		m.screen = readyScreen
	}
	m.note = ""
	return nil
}

// restScreen is where to come back to: the screen itself, unless it is
// one of those that come and go.
func (m *Model) restScreen() screen {
	switch m.screen {
	case helpScreen, statsScreen, logScreen, quitScreen:
		return m.back
	case verdictScreen:
		if m.waiting == nil {
			return readyScreen // its hold would end it anyway
		}
	}
	return m.screen
}

// isEnter: CR, or LF from a terminal that sends it.
func isEnter(k tea.KeyMsg) bool {
	return k.Type == tea.KeyEnter || k.Type == tea.KeyCtrlJ
}
