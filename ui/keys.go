package ui

import (
	"github.com/charmbracelet/bubbles/key"
)

// keyMap is every key staff use. The help screen is generated from it.
type keyMap struct {
	Manual, Stats, Log, Help, Back, Quit, Lang, Options key.Binding
}

func newKeys(t *Text) keyMap {
	return keyMap{
		Manual:  key.NewBinding(key.WithKeys("m"), key.WithHelp("m", t.KeyManual)),
		Options: key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "0"), key.WithHelp("1-7, 0", t.KeyOptions)),
		Stats:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", t.KeyStats)),
		Log:     key.NewBinding(key.WithKeys("l"), key.WithHelp("l", t.KeyLog)),
		Lang:    key.NewBinding(key.WithKeys("e"), key.WithHelp("e", t.KeyLang)),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", t.KeyHelp)),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", t.KeyBack)),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", t.KeyQuit)),
	}
}

// all is the key map in the order the help screen lists it.
func (k keyMap) all() []key.Binding {
	return []key.Binding{k.Manual, k.Options, k.Stats, k.Log, k.Lang, k.Help, k.Back, k.Quit}
}
