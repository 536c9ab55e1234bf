package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"munjigi/door"
	"munjigi/store"
	"munjigi/trustsrc"
	"munjigi/upstream"
)

func newTrustCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trust sync|import|show",
		Short: "the signed trust list: fetch it now, install it from a file, or show what is trusted",
		Long: `sync: fetch the signed trust list from the server now. import: install a
signed list from a file (a USB stick, for a venue with no network). Either is
checked whole (the pinned key's signature, a newer version, dates, content)
and put in force before it replaces the list in force; anything wrong leaves
the last good list in force. show: what the kiosk trusts (it asks the running
kiosk when there is one).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return usageError("say sync, import or show") },
	}
	withSettings := func(c *cobra.Command) *settings {
		s := newSettings(c)
		s.db()
		s.upstream()
		s.flag("key", "upstream.trust_key", "the authority's trust-list key, a PEM `FILE`")
		return s
	}
	sync := &cobra.Command{Use: "sync", Short: "fetch the signed trust list from the server now", Args: cobra.NoArgs}
	ss := withSettings(sync)
	sync.RunE = func(c *cobra.Command, _ []string) error {
		return changeTrust(io, ss, func(s *upstream.Syncer, h *door.Trust) error {
			changed, err := s.Sync(context.Background())
			if err != nil {
				return notPass(fmt.Errorf("%v; the list in force stays", err))
			}
			if !changed {
				fmt.Fprintf(io.Out, "the list in force is current (version %d)\n", h.Version())
			}
			return nil
		}, true)
	}
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "install a signed list from a file (no network)",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("name the FILE to import")
			}
			return nil
		},
	}
	is := withSettings(imp)
	imp.RunE = func(c *cobra.Command, args []string) error {
		return changeTrust(io, is, func(s *upstream.Syncer, _ *door.Trust) error {
			if _, err := s.Import(args[0]); err != nil {
				return notPass(fmt.Errorf("%s: %v; the list in force stays", args[0], err))
			}
			return nil
		}, false)
	}
	show := &cobra.Command{Use: "show", Short: "what the kiosk trusts", Args: cobra.NoArgs}
	shs := withSettings(show)
	show.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := shs.load()
		if err != nil {
			return err
		}
		if _, err := os.Stat(cfg.Store.Path); errors.Is(err, os.ErrNotExist) {
			in, _, err := door.ReadTrust(cfg, nil)
			if err != nil {
				return err
			}
			return door.DescribeTrust(io.Out, cfg, in, upstream.SyncState{}, time.Now())
		}
		return door.Report(cfg, door.Query{Kind: "trust"}, io.Out)
	}
	cmd.AddCommand(sync, imp, show, newConvertCmd(io))
	return cmd
}

func newConvertCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "convert --from FORMAT [--key PEM | --cert CRT --sig SIG | --allow-unsigned] FILE",
		Short: "turn a published key list into munjigi's trust list (standard output)",
		Long: `Reads a published list of real keys, checks its signature, and writes munjigi's
trust-list JSON to standard output (for trust.files or --trust; see
docs/keys.md). A report of what was kept, mended and skipped goes to standard
error. A source whose signature does not verify writes nothing and exits 2.

Formats:
  de-dscg       the German national backend's DSC list (every EU country's
                document signers), checked with --key (the backend's PEM key)
  vci-snapshot  the VCI directory of SMART Health Card issuers, checked with
                --cert (its certificate) and --sig (the detached signature)
  dccg          the EU gateway's trust-list download: it carries no signature
                of its own, so --allow-unsigned must say you know that`,
		Example: `  munjigi trust convert --from de-dscg --key dsc-list-signing-key.pem dsc-list.json > eu.json
  munjigi trust convert --from vci-snapshot --cert vci_snapshot.crt --sig vci_snapshot.sig vci_snapshot.json > shc.json`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("name the FILE to convert")
			}
			return nil
		},
	}
	var from, key, cert, sig string
	var unsigned bool
	cmd.Flags().StringVar(&from, "from", "", "the source's `FORMAT`: de-dscg, vci-snapshot or dccg")
	cmd.Flags().StringVar(&key, "key", "", "the public key `PEM` that signs a de-dscg list")
	cmd.Flags().StringVar(&cert, "cert", "", "the certificate `CRT` that signs a vci-snapshot")
	cmd.Flags().StringVar(&sig, "sig", "", "the detached signature `FILE` of a vci-snapshot")
	cmd.Flags().BoolVar(&unsigned, "allow-unsigned", false, "accept a source with no signature of its own (dccg)")
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if from == "" {
			return usageError("--from is required: %s", strings.Join(formatNames(), ", "))
		}
		format, err := trustsrc.ParseFormat(from)
		if err != nil {
			return usageError("--from: %v", err)
		}
		v, err := trustsrc.ReadVerification(key, cert, sig, unsigned)
		if err != nil {
			return err
		}
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		out := bufio.NewWriter(io.Out)
		rep, err := trustsrc.Convert(out, format, f, v)
		if err == nil || errors.Is(err, trustsrc.ErrEmpty) {
			rep.WriteText(io.Err)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		return out.Flush()
	}
	return cmd
}

func formatNames() []string {
	var names []string
	for _, f := range trustsrc.Formats() {
		names = append(names, string(f))
	}
	return names
}

// changeTrust opens the database for writing (no door may be running: it
// syncs on its own) and runs fn with a syncer whose lists are put in force
// as a door would (the same checks), then says what is trusted.
func changeTrust(io IO, s *settings, fn func(*upstream.Syncer, *door.Trust) error, needServer bool) error {
	cfg, err := s.load()
	if err != nil {
		return err
	}
	if needServer && cfg.Upstream.URL == "" {
		return usageError("no server: give --upstream URL or set upstream.url")
	}
	if _, err := os.Stat(cfg.Store.Path); err == nil {
		if err := door.CheckInChild(cfg.Store.Path); err != nil {
			if errors.Is(err, store.ErrLocked) {
				return fmt.Errorf("%v: a kiosk runs on it and syncs on its own schedule (restart it to sync now)", err)
			}
			return fmt.Errorf("%s: %v (the kiosk moves a damaged file aside when it starts)", cfg.Store.Path, err)
		}
	}
	db, err := store.Open(cfg.Store.Path, store.Options{})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%v: a kiosk runs on it and syncs on its own schedule (restart it to sync now)", err)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	key, err := door.TrustKey(cfg)
	if err != nil {
		return err
	}
	if key == nil {
		return usageError("no trust-list key to check it with: pin it (upstream.trust_key, or --key)")
	}
	var client *upstream.Client
	if cfg.Upstream.URL != "" {
		u := cfg.Upstream
		if client, err = upstream.New(upstream.Config{URL: u.URL, Credential: u.Credential, Kiosk: u.KioskID, CAFile: u.CAFile}); err != nil {
			return err
		}
	}
	holder, err := door.NewReader(cfg, db)
	if err != nil {
		return err
	}
	syncer := upstream.NewSyncer(client, key, db, holder, time.Now, rand.New(rand.NewPCG(1, 2)))
	if _, err := syncer.Load(); err != nil {
		fmt.Fprintf(io.Err, "munjigi trust: %v\n", err)
	}
	if err := fn(syncer, holder); err != nil {
		return err
	}
	return door.DescribeTrust(io.Out, cfg, holder.InForce(), syncer.State(), time.Now())
}
