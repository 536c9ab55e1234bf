package shots

import (
	"image/color"

	"github.com/charmbracelet/x/ansi"
)

// The terminal's own colours, for cells the frame leaves unstyled: xterm's
// defaults, a dark screen as on the kiosk's console.
var (
	DefaultBackground = color.RGBA{0x00, 0x00, 0x00, 0xff}
	DefaultForeground = color.RGBA{0xe5, 0xe5, 0xe5, 0xff}
)

// xterm's 16 system colours (its defaults, not a theme's).
var system = [16]color.RGBA{
	{0x00, 0x00, 0x00, 0xff}, {0xcd, 0x00, 0x00, 0xff}, {0x00, 0xcd, 0x00, 0xff}, {0xcd, 0xcd, 0x00, 0xff},
	{0x00, 0x00, 0xee, 0xff}, {0xcd, 0x00, 0xcd, 0xff}, {0x00, 0xcd, 0xcd, 0xff}, {0xe5, 0xe5, 0xe5, 0xff},
	{0x7f, 0x7f, 0x7f, 0xff}, {0xff, 0x00, 0x00, 0xff}, {0x00, 0xff, 0x00, 0xff}, {0xff, 0xff, 0x00, 0xff},
	{0x5c, 0x5c, 0xff, 0xff}, {0xff, 0x00, 0xff, 0xff}, {0x00, 0xff, 0xff, 0xff}, {0xff, 0xff, 0xff, 0xff},
}

// Xterm256 is the colour xterm shows for a 256-colour index: the 16
// system colours, the 6x6x6 cube (levels 0, 95, 135, ..., 255) and 24
// greys. It is computed here rather than taken from a library's table so
// that a dependency's update cannot repaint the pictures.
func Xterm256(i uint8) color.RGBA {
	switch {
	case i < 16:
		return system[i]
	case i < 232:
		level := func(v uint8) uint8 {
			if v == 0 {
				return 0
			}
			return 55 + 40*v
		}
		i -= 16
		return color.RGBA{level(i / 36), level(i / 6 % 6), level(i % 6), 0xff}
	default:
		g := 8 + 10*(i-232)
		return color.RGBA{g, g, g, 0xff}
	}
}

// resolve is the colour a cell's foreground or background shows: the
// terminal's own for none.
func resolve(c ansi.Color, def color.RGBA) color.RGBA {
	switch c := c.(type) {
	case nil:
		return def
	case ansi.BasicColor:
		return Xterm256(uint8(c) & 15)
	case ansi.IndexedColor:
		return Xterm256(uint8(c))
	default:
		r, g, b, _ := c.RGBA()
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
	}
}
