// Package tty says whether a file is a terminal: a character device that
// answers a terminal's ioctl (/dev/null is a character device too). The
// kiosk needs one; a script's pipe gets plain lines.
package tty

import (
	"os"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether f (any value; only an *os.File can be) is a
// terminal.
func IsTerminal(file any) bool {
	f, ok := file.(*os.File)
	if !ok || f == nil {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	_, err = unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
