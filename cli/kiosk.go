package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"munjigi/door"
	"munjigi/scanner"
	"munjigi/store"
	"munjigi/ui"
)

type kioskOptions struct {
	demo  bool
	scans <-chan scanner.Scan // the demo's scripted scanner; nil: the configured one
}

// runKiosk runs the screen until staff quit it (or SIGTERM). The terminal
// is restored whatever happens: Bubble Tea does so on return and on panic.
// The door's background work stops before the database closes.
func runKiosk(d *door.Door, o kioskOptions, io IO) error {
	cfg := d.Config()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	defer func() {
		cancel()
		<-ran
		d.Close()
	}()
	scans := o.scans
	if scans == nil && cfg.Scanner.Source != "stdin" {
		// A serial scanner, or a pipe; the keyboard still works beside it.
		scans = cfg.Source(nil, d.Now).Scans(ctx)
	}
	start := d.Start()
	// The screen owns the terminal: nothing else may write to it.
	go func() { ran <- d.Run(ctx) }()

	policyName := cfg.Policy.Profile
	if policyName == "none" {
		policyName = ""
	}
	m := ui.New(ui.Config{
		Door: d, History: history(d), Scans: scans, Lang: cfg.Language,
		VenueName: cfg.Venue.Name, VenueType: cfg.Venue.Type, Policy: policyName,
		Trust: trustStatus(d.Status(), cfg.Upstream.StaleAfter), StatusNow: func() ui.Status { return uiStatus(d.Status(), cfg.Upstream.StaleAfter) },
		Demo: o.demo, StaffPINs: cfg.StaffPINs(),
		Hold: cfg.Kiosk.VerdictHold, FailHold: cfg.Kiosk.FailHold,
		Now: d.Now, Location: cfg.Location, Cue: d.Announce, Start: start,
		Wedge:        scanner.Wedge[tea.KeyMsg]{Gap: cfg.Kiosk.WedgeGap, MinLen: cfg.Kiosk.WedgeMinLength},
		DedupeWindow: cfg.Scanner.DedupeWindow,
	})
	if os.Getenv("TERM") == "fbterm" {
		// fbterm (the Korean console) draws the 16 ANSI colours; its
		// 256-colour sequences are its own, and termenv would otherwise
		// draw no colour at all for a TERM it does not know.
		lipgloss.SetColorProfile(colourProfile("fbterm"))
	}
	opts := []tea.ProgramOption{tea.WithAltScreen()}
	if f, ok := io.In.(*os.File); ok {
		opts = append(opts, tea.WithInput(f))
	}
	if f, ok := io.Out.(*os.File); ok {
		opts = append(opts, tea.WithOutput(f))
	}
	if _, err := tea.NewProgram(m, opts...).Run(); err != nil {
		return fmt.Errorf("the screen: %w", err)
	}
	return nil
}

// history is the log the screen reads at start; none when the door has no
// database.
func history(d *door.Door) ui.History {
	if db := d.DB(); db != nil {
		return db
	}
	return nil
}

// trustStatus is what the status line says of the trust in force.
func trustStatus(s door.Status, staleAfter time.Duration) ui.TrustStatus {
	in := s.InForce
	return ui.TrustStatus{Keys: in.Keys(), IssuedAt: in.IssuedAt(), ExpiresAt: in.ExpiresAt(), StaleAfter: staleAfter}
}

// uiStatus is the door's status as the screen reads it once a second.
func uiStatus(s door.Status, staleAfter time.Duration) ui.Status {
	u := s.Upstream
	return ui.Status{Trust: trustStatus(s, staleAfter),
		Upstream: ui.UpstreamStatus{Configured: u.Configured, Asked: u.Asked, Online: u.Online, BreakerOpen: u.BreakerOpen}}
}

var _ ui.Door = (*door.Door)(nil)

var _ ui.History = (*store.DB)(nil)
