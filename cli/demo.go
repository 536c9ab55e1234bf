package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mattn/go-runewidth"
	"github.com/spf13/cobra"

	"munjigi/authority"
	"munjigi/config"
	"munjigi/demo"
	"munjigi/door"
	"munjigi/internal/tty"
	"munjigi/policy"
	"munjigi/scanner"
	"munjigi/upstream"
	"munjigi/verify"
)

func newDemoCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo [--lang ko|en] [--table|--json]",
		Short: "the whole kiosk on its demo: a lunch rush of demo passes, no hardware, config or network",
		Long: `The whole kiosk on a temporary database, trusting the demo signer: a scripted
scanner presents a lunch rush of fresh demo passes, and you can scan, type or
paste too; q quits. Without a terminal (or with --table, --json): sign the
demo passes now and decide each, as the door would; exit 0 when each got the
verdict it was made for.

The demo signer's key is public: trust it only for trying munjigi out.`,
		Args: cobra.NoArgs,
	}
	var asJSON, asTable bool
	var lang string
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each decision as munjigi verify does, one JSON object per line")
	cmd.Flags().BoolVar(&asTable, "table", false, "print each decision as a line of a table (what the demo does without a terminal)")
	cmd.Flags().StringVar(&lang, "lang", "ko", "the kiosk's `LANGUAGE`: ko or en")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		if lang != "ko" && lang != "en" {
			return usageError("--lang %q: ko or en", lang)
		}
		now := time.Now()
		if asJSON || asTable || !tty.IsTerminal(io.Out) {
			return demoTable(now, asJSON, io)
		}
		return demoKiosk(lang, io)
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "trust",
		Short: "print the demo trust list (munjigi's trust-list format)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(io.Out, "%s\n", demo.TrustList(time.Now()))
			return err
		},
	}, &cobra.Command{
		Use:   "passes",
		Short: "print the demo passes, one per line, signed now",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			samples, err := demo.Passes(time.Now())
			if err != nil {
				return err
			}
			for _, s := range samples {
				fmt.Fprintln(io.Out, s.Payload)
			}
			return nil
		},
	})
	return cmd
}

// verdictMark is how a verdict reads at a glance: a word and a symbol, not
// only a colour.
var verdictMark = map[verify.Verdict]string{verify.Pass: "✓ pass  ", verify.Fail: "✗ fail  ", verify.Manual: "! manual"}

// demoTable decides the demo passes against the demo trust list and says
// whether each got the verdict it was made for.
func demoTable(now time.Time, asJSON bool, io IO) error {
	samples, err := demo.Passes(now)
	if err != nil {
		return err
	}
	v := verify.New(demo.Trust(now), func() time.Time { return now })
	profile, err := policy.Builtin(demo.Profile)
	if err != nil {
		return err
	}
	rules := policy.NewDecider(profile, policy.Options{Location: seoul(), Country: "KR", VenueType: demo.VenueType,
		ValueSets: policy.BuiltinValueSets(), Lang: "en"})
	enc := json.NewEncoder(io.Out)
	enc.SetEscapeHTML(false)
	wrong := 0
	for _, s := range samples {
		r := rules.Decide(v.Verify([]byte(s.Payload)), now)
		if r.Verdict != s.Door {
			wrong++
		}
		if asJSON {
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		holder := r.Holder.Name
		if r.Holder.BirthYear > 0 {
			holder += fmt.Sprintf(" (%d)", r.Holder.BirthYear)
		}
		// Hangul takes two cells: pad by display width, not by runes.
		fmt.Fprintf(io.Out, "%s  %-30s  %s  %s\n", verdictMark[r.Verdict], s.Label, runewidth.FillRight(holder, 18), r.Detail)
	}
	if wrong > 0 {
		return notPass(fmt.Errorf("%d of %d demo passes got the wrong verdict", wrong, len(samples)))
	}
	if !asJSON {
		fmt.Fprintf(io.Out, "\nEach of the %d demo passes got the verdict it was made for, at a restaurant under %s.\n", len(samples), demo.Profile)
	}
	return nil
}

// seoul is the demo door's time zone.
func seoul() *time.Location {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		return time.FixedZone("KST", 9*60*60)
	}
	return loc
}

// rushStep is one visitor of the demo's lunch rush: the pass they show,
// after how long.
type rushStep struct {
	after time.Duration
	label string // a demo pass, or "" for the text below
	text  string
}

// lunchRush is twelve visitors in under a minute: the passes a door sees,
// good and bad, a damaged code and a repeat.
var lunchRush = []rushStep{
	{2 * time.Second, "vaccinated, 2 of 2 doses", ""},
	{3 * time.Second, "vaccinated, booster", ""},
	{3 * time.Second, "negative PCR test", ""},
	{4 * time.Second, "expired certificate", ""},
	{4 * time.Second, "altered after signing", ""},
	{4 * time.Second, "", "HC1:NCF%RN%TSMAHN-HF~~DAMAGED~~"},
	{4 * time.Second, "vaccinated, 2 of 2 doses", ""}, // the same pass again: shared?
	{5 * time.Second, "recovered", ""},
	{4 * time.Second, "first dose only", ""},
	{5 * time.Second, "SMART Health Card, booster", ""},
	{4 * time.Second, "signed by an unknown issuer", ""},
	{4 * time.Second, "not a pass (a menu link)", ""},
	{4 * time.Second, "", tokenStep}, // a one-time code from an app, checked with the authority
}

// tokenStep stands for a token the demo mints on its own reference server
// just before it is scanned.
const tokenStep = "<token>"

// rush is the demo's scripted scanner. mint makes a one-time token.
func rush(ctx context.Context, samples []demo.Sample, mint func() string) <-chan scanner.Scan {
	byLabel := map[string]string{}
	for _, s := range samples {
		byLabel[s.Label] = s.Payload
	}
	out := make(chan scanner.Scan)
	go func() {
		defer close(out)
		send := func(s scanner.Scan) bool {
			select {
			case out <- s:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if !send(scanner.Scan{Kind: scanner.Connected, Source: "demo"}) {
			return
		}
		for _, step := range lunchRush {
			select {
			case <-ctx.Done():
				return
			case <-time.After(step.after):
			}
			p := step.text
			switch {
			case step.label != "":
				p = byLabel[step.label]
			case p == tokenStep:
				p = mint()
			}
			if !send(scanner.Scan{Payload: []byte(p), At: time.Now(), Source: "demo"}) {
				return
			}
		}
		<-ctx.Done() // the rush is over; the scanner stays "connected"
	}()
	return out
}

// demoKiosk is the whole kiosk with no hardware, no config and no network:
// a temporary database, the demo signer trusted, fresh passes signed now,
// and a lunch rush.
func demoKiosk(lang string, io IO) error {
	// The demo reads no configuration, from a file or the environment:
	// it is the same on every machine.
	cfg, err := config.Builtin()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "munjigi-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg.Store.Path = filepath.Join(dir, "munjigi.db")
	cfg.Language = lang
	cfg.Venue.Type, cfg.Policy.Profile = demo.VenueType, demo.Profile
	cfg.Venue.Name = map[string]string{"ko": "문지기 데모 식당", "en": "munjigi demo diner"}[lang]
	cfg.Kiosk.FailHold = 5 * time.Second // the rush moves on
	// The demo's own authority, on loopback: one-time tokens are checked
	// with it, as a kiosk checks them with the real one.
	// It mints the demo's tokens for the holder of a credential made now.
	mintRaw := make([]byte, 16)
	rand.Read(mintRaw)
	mintCredential := hex.EncodeToString(mintRaw)
	srv, err := authority.Open(authority.Config{DataDir: filepath.Join(dir, "upstream"), MintCredential: mintCredential})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	key, _ := upstream.MarshalKey(srv.PublicKey())
	cfg.Upstream.URL, cfg.Upstream.TrustKey, cfg.Upstream.KioskID = "http://"+ln.Addr().String(), string(key), "demo"
	if err := cfg.Check(); err != nil {
		return err
	}
	d, err := door.Open(door.Options{Config: cfg, DemoTrust: true, Notice: io.Err, Bell: io.Out, NoReports: true})
	if err != nil {
		return err
	}
	samples, err := demo.Passes(time.Now())
	if err != nil {
		d.Close()
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	mint := func() string {
		t, err := authority.Mint(ctx, cfg.Upstream.URL, mintCredential, upstream.MintRequest{Name: "이서윤", BirthYear: 1996})
		if err != nil {
			return "MJT1:DEMOTOKENCOULDNOTBEMINTED" // the door says what it makes of it
		}
		return t.Token
	}
	return runKiosk(d, kioskOptions{demo: true, scans: rush(ctx, samples, mint)}, io)
}
