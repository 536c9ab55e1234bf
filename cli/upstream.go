package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"munjigi/authority"
	"munjigi/demo"
	"munjigi/upstream"
)

func newUpstreamCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "upstream serve|token|export|list",
		Short: "the authority's server (the reference one, on bbolt or PostgreSQL), and its tools",
		Long: `serve: the authority's server of the upstream protocol (docs/upstream.md):
one-time tokens, the signed trust list built from DIR/list/, and entry
upload. On one bbolt file for a venue (the default), or any number of
servers on one PostgreSQL database for a nation (--store postgres://...;
docs/national.md). token: mint a demo token on it. export: what the server
received, as JSON lines, for the authority's tracers. list: the signed trust
list in force, for object storage behind a CDN.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return usageError("say serve, token, export or list") },
	}
	// The server's own settings: the kiosk's configuration file holds
	// them too (authority.*), with the same flags > MUNJIGI_* > file order.
	storeFlags := func(c *cobra.Command, s *settings) {
		c.Flags().String("data", "munjigi-upstream", "the server's data `DIR`: its signing key, list/, and the bbolt store (created on first run)")
		s.flag("store", "authority.store", "where the server keeps tokens and entries: empty for bbolt in --data, or a postgres:// `URL`")
	}

	serve := &cobra.Command{Use: "serve [--addr HOST:PORT] [--data DIR] [--store URL]", Short: "the authority's server", Args: cobra.NoArgs}
	ss := newSettings(serve)
	storeFlags(serve, ss)
	var addr, creds string
	var tokenTTL time.Duration
	serve.Flags().StringVar(&addr, "addr", "127.0.0.1:8750", "listen on `HOST:PORT`")
	serve.Flags().StringVar(&creds, "credentials", "", "a `FILE` of kiosk credentials, one KIOSK:CREDENTIAL a line; without it, any caller is served (loopback only)")
	serve.Flags().DurationVar(&tokenTTL, "token-ttl", time.Minute, "how long a minted token lives")
	ss.flag("mint-credential", "authority.mint_credential_file", "a `FILE` holding the credential that mints demo tokens; without it, minting is off")
	serve.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := ss.load()
		if err != nil {
			return err
		}
		data, _ := c.Flags().GetString("data")
		credentials, err := readCredentials(creds)
		if err != nil {
			return err
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return usageError("--addr: %v", err)
		}
		if ip := net.ParseIP(host); len(credentials) == 0 && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return usageError("serving %s to anyone: give --credentials, or listen on loopback", addr)
		}
		// A fresh data directory starts with the demo signer's list, so
		// the demo passes verify against it.
		trustJSON := filepath.Join(data, "list", "trust.json")
		if _, err := os.Stat(trustJSON); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(trustJSON), 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(trustJSON, demo.TrustList(time.Now()), 0o600); err != nil {
				return err
			}
		}
		a := cfg.Authority
		mint, err := readMintCredential(a.MintCredentialFile)
		if err != nil {
			return err
		}
		srv, err := authority.Open(authority.Config{DataDir: data, Store: a.Store, Credentials: credentials, TokenTTL: tokenTTL,
			MintCredential: mint, Retention: a.Retention, DBTimeout: a.DBTimeout, RetryAfter: a.RetryAfter,
			Log: slog.New(slog.NewJSONHandler(io.Err, nil))})
		if err != nil {
			return err
		}
		defer srv.Close()
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
		fmt.Fprintf(io.Out, "serving http://%s\nthe trust-list key for kiosks to pin (upstream.trust_key): %s\n", ln.Addr(), srv.TrustKeyPath())
		// What the list is built from, and any source that no longer
		// verifies (its last good content stays in the list).
		srv.CheckList().WriteText(io.Out)
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			hs.Shutdown(sctx)
		}()
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}

	token := &cobra.Command{Use: "token [--upstream URL] [--mint-credential FILE]", Short: "mint a demo one-time token on the reference server", Args: cobra.NoArgs}
	var url, mintFile string
	var req upstream.MintRequest
	token.Flags().StringVar(&url, "upstream", "http://127.0.0.1:8750", "the reference server's `URL`")
	token.Flags().StringVar(&mintFile, "mint-credential", "", "a `FILE` holding the server's minting credential")
	token.Flags().StringVar(&req.Verdict, "verdict", "pass", "the `VERDICT` the token stands for: pass, fail or manual")
	token.Flags().StringVar(&req.Name, "name", "홍길동", "the holder's `NAME` (masked before it is stored)")
	token.Flags().IntVar(&req.BirthYear, "birth-year", 1985, "the holder's birth `YEAR`")
	token.RunE = func(c *cobra.Command, _ []string) error {
		mint, err := readMintCredential(mintFile)
		if err != nil {
			return err
		}
		tok, err := authority.Mint(context.Background(), url, mint, req)
		if err != nil {
			return err
		}
		fmt.Fprintln(io.Out, tok.Token)
		return nil
	}

	export := &cobra.Command{Use: "export [--store URL | --data DIR] [--kiosk K] [--since TIME] [--until TIME]",
		Short: "what the server received, as JSON lines (kiosk, epoch, seq and the entry), for the authority's tracers", Args: cobra.NoArgs}
	es := newSettings(export)
	storeFlags(export, es)
	var kiosk, since, until string
	export.Flags().StringVar(&kiosk, "kiosk", "", "only the entries of kiosk `K`")
	export.Flags().StringVar(&since, "since", "", "only entries at or after `TIME` (RFC 3339, or a date: the venue's midnight)")
	export.Flags().StringVar(&until, "until", "", "only entries before `TIME`")
	export.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := es.load()
		if err != nil {
			return err
		}
		f := authority.Filter{Kiosk: kiosk}
		if f.Since, err = venueTime(since, cfg); err != nil {
			return usageError("--since: %v", err)
		}
		if f.Until, err = venueTime(until, cfg); err != nil {
			return usageError("--until: %v", err)
		}
		data, _ := c.Flags().GetString("data")
		st, err := authority.OpenStore(context.Background(), cfg.Authority.Store, data, authority.StoreOptions{})
		if err != nil {
			return err
		}
		defer st.Close()
		w := bufio.NewWriterSize(io.Out, 64<<10)
		n, err := authority.Export(context.Background(), w, st, f)
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(io.Err, "%d entries\n", n)
		return nil
	}

	list := &cobra.Command{Use: "list [--store URL | --data DIR]", Short: "the signed trust list in force, for object storage behind a CDN", Args: cobra.NoArgs}
	ls := newSettings(list)
	storeFlags(list, ls)
	list.RunE = func(c *cobra.Command, _ []string) error {
		cfg, err := ls.load()
		if err != nil {
			return err
		}
		data, _ := c.Flags().GetString("data")
		st, err := authority.OpenStore(context.Background(), cfg.Authority.Store, data, authority.StoreOptions{})
		if err != nil {
			return err
		}
		defer st.Close()
		l, err := authority.WriteList(context.Background(), io.Out, st)
		if err != nil {
			return err
		}
		fmt.Fprintf(io.Err, "version %d\n", l.Version)
		return nil
	}
	cmd.AddCommand(serve, token, export, list)
	return cmd
}

// readCredentials reads KIOSK:CREDENTIAL lines.
func readCredentials(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, cred, ok := strings.Cut(line, ":")
		if !ok || k == "" || len(cred) < 16 {
			return nil, fmt.Errorf("%s:%d: want KIOSK:CREDENTIAL, a credential of 16 characters or more", path, n)
		}
		out[cred] = k
	}
	return out, sc.Err()
}

// readMintCredential reads the minting credential from a file: "" for
// none.
func readMintCredential(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	cred := strings.TrimSpace(string(data))
	if len(cred) < 16 {
		return "", fmt.Errorf("%s: a minting credential of 16 characters or more", path)
	}
	return cred, nil
}
