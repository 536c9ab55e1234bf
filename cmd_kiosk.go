package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"munjigi/gate"
	"munjigi/scanner"
	"munjigi/ui"
)

type kioskOptions struct {
	demo  bool
	scans <-chan scanner.Scan // the demo's scripted scanner; nil: the configured one
}

// runKiosk runs the screen until staff quit it (or SIGTERM). The terminal
// is restored whatever happens: Bubble Tea does so on return and on panic.
func runKiosk(d *door, o kioskOptions, stdin io.Reader, stdout io.Writer) int {
	cfg := d.cfg
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	scans := o.scans
	if scans == nil && cfg.Scanner.Source != "stdin" {
		// A serial scanner, or a pipe; the keyboard still works beside it.
		scans = cfg.source(nil, d.now).Scans(ctx)
	}
	var start *gate.Outcome
	if d.gap != "" {
		g := d.gate.Gap(d.gap)
		start = &g
	}
	// The screen owns the terminal: nothing else may write to it.
	d.start(ctx)

	// The screen words the rules in both languages: it takes them from
	// the profile in force (the door checked the configuration before).
	var rules ui.Policy
	if dec, err := cfg.decider(); err == nil && dec != nil {
		rules = ui.PolicyOf(dec.Profile())
	}
	cue := func(o gate.Outcome) {
		if cfg.Sound.Bell {
			bell(stdout, o.Verdict)
		}
		d.hooks.Run(o)
		d.logDecision(o)
	}
	m := ui.New(ui.Config{
		Door: d, History: d.db, Scans: scans, Lang: cfg.Language,
		Venue:  ui.Venue{Name: cfg.Venue.Name, Type: cfg.Venue.Type},
		Policy: rules,
		Timing: ui.Timing{Hold: cfg.Kiosk.VerdictHold, FailHold: cfg.Kiosk.FailHold, Now: d.now, Location: cfg.location},
		Trust:  d.trustStatus(), StatusNow: d.status,
		Demo: o.demo, StaffPINs: cfg.staffPINs(),
		Cue: cue, Start: start,
		Keyboard: ui.Keyboard{
			Wedge:        scanner.Wedge[tea.KeyMsg]{Gap: cfg.Kiosk.WedgeGap, MinLen: cfg.Kiosk.WedgeMinLength},
			DedupeWindow: cfg.Scanner.DedupeWindow,
		},
	})
	opts := []tea.ProgramOption{tea.WithAltScreen()}
	if f, ok := stdin.(*os.File); ok {
		opts = append(opts, tea.WithInput(f))
	}
	if f, ok := stdout.(*os.File); ok {
		opts = append(opts, tea.WithOutput(f))
	}
	if _, err := tea.NewProgram(m, opts...).Run(); err != nil {
		fmt.Fprintf(os.Stderr, "munjigi: %v\n", err)
		return exitUsage
	}
	return exitOK
}

// trustStatus is what the status line says of the trust in force.
func (d *door) trustStatus() ui.TrustStatus {
	t := d.trustNow()
	ts := ui.TrustStatus{Keys: t.Signers() + t.SHCIssuers(), IssuedAt: t.IssuedAt, ExpiresAt: t.ExpiresAt, StaleAfter: d.cfg.Upstream.StaleAfter}
	if d.syncer != nil {
		if st := d.syncer.State(); st.Version > 0 {
			ts.IssuedAt, ts.ExpiresAt = st.IssuedAt, st.ExpiresAt
		}
	}
	return ts
}

// status is read by the screen once a second.
func (d *door) status() ui.Status {
	s := ui.Status{Trust: d.trustStatus()}
	if d.client != nil {
		h := d.client.Health()
		s.Upstream = ui.UpstreamStatus{Configured: true, Asked: h.Asked,
			Online: h.LastErr == nil && !h.LastOK.IsZero(), BreakerOpen: d.tokens.Open()}
	}
	return s
}

// staffPINs reads kiosk.staff_pins: "id:PIN" each.
func (c *config) staffPINs() map[string]string {
	if len(c.Kiosk.StaffPINs) == 0 {
		return nil
	}
	pins := map[string]string{}
	for _, s := range c.Kiosk.StaffPINs {
		id, pin, _ := strings.Cut(s, ":") // checked by check
		pins[pin] = id
	}
	return pins
}
