// Package e2e holds the end-to-end tests of the munjigi binary: they build
// the real binary once and run it as a person, a script or a venue would,
// through argv, stdin, stdout, stderr, exit statuses, real files, a pty
// serial scanner, a real terminal (tmux) and real HTTP on loopback. It has
// no code of its own.
package e2e

// Exit statuses the binary promises (package cli).
const (
	exitOK      = 0
	exitNotPass = 1
	exitUsage   = 2
)
