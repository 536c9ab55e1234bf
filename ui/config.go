package ui

import (
	"time"

	"github.com/charmbracelet/lipgloss"

	"munjigi/gate"
	"munjigi/scanner"
)

// Config is what the screen is given: plain values, grouped by what they
// are about. The command that runs the kiosk reads the configuration file
// and fills this in; ui reads no file and no environment.
type Config struct {
	Door    Door
	History History // nil: stats and log start empty

	// Lang is "ko" or "en" (Languages); staff switch with e.
	Lang   string
	Venue  Venue
	Policy Policy
	Timing Timing

	// Scans come from the keyboard (package scanner classifies its bytes
	// before the screen sees a key: a scanner's burst is a scan, and only
	// a person's lone keys reach the screen as keys), from a serial
	// scanner, or both.
	Scans <-chan scanner.Scan
	// Plugged says a scanner that can be unplugged (serial, a file) is
	// among the sources: the screen shows whether it is connected. False:
	// the keyboard alone.
	Plugged bool

	// StaffPINs maps a PIN to a staff id, recorded with each manual check.
	// Empty: no PIN is asked.
	StaffPINs map[string]string

	Trust TrustStatus
	// StatusNow, when set, is read once a second (off the screen's
	// goroutine) for the trust list and the server; it must not block.
	StatusNow func() Status

	// Cue is run, off the screen's goroutine, after each decision (not
	// after a verdict recorded as not checked): the bell and the hooks.
	Cue func(gate.Outcome)
	// Start is shown first, when set: a gap in the log, say.
	Start *gate.Outcome
	// Demo quits on q at once (the kiosk asks first: a visitor may touch
	// the keyboard, and for a staff PIN when there are any), and holds
	// its scripted scanner while a verdict waits for staff, so the
	// demo's amber screens wait as a door's do.
	Demo bool
	// Renderer draws the styles (nil: lipgloss's default, for standard
	// output). Tests force a colour profile through it.
	Renderer *lipgloss.Renderer
}

// Venue is where the kiosk stands.
type Venue struct {
	Name string
	Type string // restaurants and cafés get the dining-alone option
}

// Timing is how long things stay, and the clocks that tell.
type Timing struct {
	// Hold is how long a verdict stays on screen (0: 4 s); FailHold the
	// same for a fail (0: 8 s). A verdict that waits for staff stays
	// until they act.
	Hold, FailHold time.Duration
	// Reading is the longest "reading…" shows without a scan arriving
	// (0: 3 s): a burst that came to nothing must not hold the screen.
	Reading time.Duration
	// Now is the kiosk's clock, for what the screen says of time.
	Now      func() time.Time
	Location *time.Location
}

func (t *Timing) defaults() {
	if t.Now == nil {
		t.Now = time.Now
	}
	if t.Location == nil {
		t.Location = time.Local
	}
	if t.Hold <= 0 {
		t.Hold = 4 * time.Second
	}
	if t.FailHold <= 0 {
		t.FailHold = 8 * time.Second
	}
	if t.Reading <= 0 {
		t.Reading = 3 * time.Second
	}
}

// TrustStatus is what the status line says of the trust list.
type TrustStatus struct {
	Keys      int       // signing keys and issuers held
	IssuedAt  time.Time // zero when the list carries no date
	ExpiresAt time.Time
	// StaleAfter is the age at which a list is shown as stale; 0 means
	// 48 hours.
	StaleAfter time.Duration
}

// UpstreamStatus is what the status line says of the authority's server.
type UpstreamStatus struct {
	Configured  bool
	Asked       bool // a call has been made since start
	Online      bool // the last call worked
	BreakerOpen bool // token scans go to a manual check without a call
}

// Status is what may change while the kiosk runs, read once a second.
type Status struct {
	Trust    TrustStatus
	Upstream UpstreamStatus
}
