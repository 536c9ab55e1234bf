package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"munjigi/demo"
	"munjigi/upstream"
)

func newUpstreamCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "upstream serve|token",
		Short: "the reference upstream server, and a demo token minted on it",
		Long: `serve: the reference server of the upstream protocol (docs/upstream.md), on
loopback by default: one-time tokens, the signed trust list built from
DIR/list/, and entry upload. token: mint a demo token on it and print it.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return usageError("say serve or token") },
	}
	serve := &cobra.Command{Use: "serve [--addr HOST:PORT] [--data DIR]", Short: "the reference upstream server", Args: cobra.NoArgs}
	var addr, data, creds string
	var tokenTTL time.Duration
	serve.Flags().StringVar(&addr, "addr", "127.0.0.1:8750", "listen on `HOST:PORT`")
	serve.Flags().StringVar(&data, "data", "munjigi-upstream", "the server's data `DIR` (created on first run)")
	serve.Flags().StringVar(&creds, "credentials", "", "a `FILE` of kiosk credentials, one KIOSK:CREDENTIAL a line; without it, any caller is served (loopback only)")
	serve.Flags().DurationVar(&tokenTTL, "token-ttl", time.Minute, "how long a minted token lives")
	serve.RunE = func(c *cobra.Command, _ []string) error {
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
		// A fresh data directory starts with the demo signer's list, so the
		// demo passes verify against it.
		trustJSON := filepath.Join(data, "list", "trust.json")
		if _, err := os.Stat(trustJSON); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(trustJSON), 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(trustJSON, demo.TrustList(time.Now()), 0o600); err != nil {
				return err
			}
		}
		srv, err := upstream.OpenServer(upstream.ServerConfig{DataDir: data, Credentials: credentials, TokenTTL: tokenTTL})
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
	token := &cobra.Command{Use: "token [--upstream URL]", Short: "mint a demo one-time token on the reference server", Args: cobra.NoArgs}
	var url string
	var req upstream.MintRequest
	token.Flags().StringVar(&url, "upstream", "http://127.0.0.1:8750", "the reference server's `URL`")
	token.Flags().StringVar(&req.Verdict, "verdict", "pass", "the `VERDICT` the token stands for: pass, fail or manual")
	token.Flags().StringVar(&req.Name, "name", "홍길동", "the holder's `NAME` (masked before it is stored)")
	token.Flags().IntVar(&req.BirthYear, "birth-year", 1985, "the holder's birth `YEAR`")
	token.RunE = func(c *cobra.Command, _ []string) error {
		tok, err := mintToken(context.Background(), url, req)
		if err != nil {
			return err
		}
		fmt.Fprintln(io.Out, tok.Token)
		return nil
	}
	cmd.AddCommand(serve, token)
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
		kiosk, cred, ok := strings.Cut(line, ":")
		if !ok || kiosk == "" || len(cred) < 16 {
			return nil, fmt.Errorf("%s:%d: want KIOSK:CREDENTIAL, a credential of 16 characters or more", path, n)
		}
		out[cred] = kiosk
	}
	return out, sc.Err()
}
