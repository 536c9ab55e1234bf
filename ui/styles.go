package ui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// Colours: 256-colour numbers, which terminals without true colour show
// and the Linux console maps to its nearest. The word and the symbol say
// the same as the colour, for those who cannot tell red from green.
var (
	green = lipgloss.Color("28")
	red   = lipgloss.Color("160")
	amber = lipgloss.Color("214")
	blue  = lipgloss.Color("25")
	black = lipgloss.Color("16")
	white = lipgloss.Color("231")
	dim   = lipgloss.Color("245")
)

// tone is what a verdict screen asks of the person at the door, and so
// its colour: go in, stay out, staff check, scan again.
type tone int

const (
	tonePass   tone = iota // green
	toneFail               // red
	toneManual             // amber: staff act
	toneAgain              // blue: nothing is wrong with the visitor, the read failed
)

// Tone is one verdict colour: every cell of the screen above the status
// lines is painted with Base, so no cell shows the terminal's own
// background (the words are rendered with styles built on Base).
type Tone struct {
	Bg, Fg lipgloss.Color
	Base   lipgloss.Style
}

// Styles are every style the screen uses, built once from one renderer
// (a test forces its colour profile, whatever terminal runs the test).
type Styles struct {
	r *lipgloss.Renderer

	Plain, Bold, Dim, Title lipgloss.Style
	Error                   lipgloss.Style
	Box, BoxWarn            lipgloss.Style // the ready screen's big box
	PIN                     lipgloss.Style
	Status, StatusBad       lipgloss.Style
	Tones                   map[tone]Tone
	Help                    help.Styles
}

// NewStyles builds the styles for a renderer (nil: lipgloss's default,
// which reads the colour profile of standard output).
func NewStyles(r *lipgloss.Renderer) *Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	s := &Styles{r: r}
	s.Plain = r.NewStyle()
	s.Bold = r.NewStyle().Bold(true)
	s.Dim = r.NewStyle().Foreground(dim)
	s.Title = r.NewStyle().Bold(true)
	s.Error = r.NewStyle().Bold(true).Foreground(red)
	s.Box = r.NewStyle().Border(lipgloss.RoundedBorder()).Padding(1, 4)
	s.BoxWarn = r.NewStyle().Border(lipgloss.ThickBorder()).BorderForeground(red).Padding(1, 4)
	s.PIN = r.NewStyle().Border(lipgloss.NormalBorder()).Width(14)
	s.Status = r.NewStyle().Foreground(dim)
	s.StatusBad = r.NewStyle().Bold(true).Reverse(true)
	tones := map[tone][2]lipgloss.Color{
		tonePass:   {green, white},
		toneFail:   {red, white},
		toneManual: {amber, black}, // black reads better on amber
		toneAgain:  {blue, white},
	}
	s.Tones = map[tone]Tone{}
	for t, c := range tones {
		s.Tones[t] = Tone{Bg: c[0], Fg: c[1], Base: r.NewStyle().Background(c[0]).Foreground(c[1])}
	}
	s.Help = help.Styles{
		ShortKey: s.Bold, ShortDesc: s.Dim, ShortSeparator: s.Dim, Ellipsis: s.Dim,
		FullKey: s.Bold, FullDesc: s.Plain, FullSeparator: s.Dim,
	}
	return s
}
