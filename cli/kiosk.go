package cli

import (
	"context"
	"fmt"
	"os"
	"sync"
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

// runKiosk runs the screen until staff quit it (or SIGTERM). The kiosk
// reads the keyboard itself, before the screen sees a key: a keyboard
// scanner's burst is a scan, and only a person's lone keys reach the
// screen as keys (package scanner, Keyboard). The terminal is restored
// whatever happens; the door's background work stops before the database
// closes.
func runKiosk(d *door.Door, o kioskOptions, io IO) error {
	cfg := d.Config()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	defer func() {
		cancel()
		<-ran
		d.Close()
	}()
	in, inOK := io.In.(*os.File)
	out, outOK := io.Out.(*os.File)
	if !inOK || !outOK {
		return usageError("the kiosk needs a terminal")
	}
	// Bubble Tea no longer owns the terminal's input, so the kiosk sets
	// raw mode itself, and puts it back last.
	restore, err := scanner.MakeRaw(in)
	if err != nil {
		return fmt.Errorf("the terminal: %w", err)
	}
	defer restore()
	kb, err := scanner.NewKeyboard(in, cfg.KeyOptions())
	if err != nil {
		return fmt.Errorf("the keyboard: %w", err)
	}
	defer kb.Close()
	sources := []<-chan scanner.Scan{scanner.Dedupe(kb, cfg.Scanner.DedupeWindow).Scans(ctx)}
	plugged := false
	switch {
	case o.scans != nil:
		sources = append(sources, o.scans)
	case cfg.Scanner.Source != "stdin":
		// A serial scanner, or a pipe; the keyboard still works beside it.
		sources = append(sources, cfg.Source(nil, d.Now).Scans(ctx))
		plugged = true
	}
	start := d.Start()
	// The screen owns the terminal: nothing else may write to it.
	go func() { ran <- d.Run(ctx) }()

	var rules ui.Policy
	if p := d.Profile(); p != nil {
		rules = ui.PolicyOf(p)
	}
	if os.Getenv("TERM") == "fbterm" {
		// fbterm (the Korean console) draws the 16 ANSI colours; its
		// 256-colour sequences are its own, and termenv would otherwise
		// draw no colour at all for a TERM it does not know.
		lipgloss.SetColorProfile(colourProfile("fbterm"))
	}
	stale := cfg.Upstream.StaleAfter
	m := ui.New(ui.Config{
		Door: d, History: history(d), Lang: cfg.Language,
		Venue:  ui.Venue{Name: cfg.Venue.Name, Type: cfg.Venue.Type},
		Policy: rules,
		Timing: ui.Timing{Hold: cfg.Kiosk.VerdictHold, FailHold: cfg.Kiosk.FailHold, Reading: cfg.Kiosk.ReadingTimeout,
			Now: d.Now, Location: cfg.Location},
		Scans: merge(ctx, sources...), Plugged: plugged,
		Trust: trustStatus(d.Status(), stale), StatusNow: func() ui.Status { return uiStatus(d.Status(), stale) },
		Demo: o.demo, StaffPINs: cfg.StaffPINs(),
		Cue: d.Announce, Start: start,
	})
	p := tea.NewProgram(m, tea.WithInput(kb.Keys()), tea.WithOutput(out), tea.WithAltScreen())
	if _, err := p.Run(); err != nil {
		return fmt.Errorf("the screen: %w", err)
	}
	return nil
}

// merge is one channel of every source's reports, closed when all have
// ended.
func merge(ctx context.Context, sources ...<-chan scanner.Scan) <-chan scanner.Scan {
	if len(sources) == 1 {
		return sources[0]
	}
	out := make(chan scanner.Scan)
	var wg sync.WaitGroup
	for _, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range src {
				select {
				case out <- s:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(out) }()
	return out
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

var (
	_ ui.Door    = (*door.Door)(nil)
	_ ui.History = (*store.DB)(nil)
)
