package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"munjigi/authority"
	"munjigi/demo"
	"munjigi/upstream"
)

// cmdUpstream is the reference server and its small tools.
func cmdUpstream(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			return cmdUpstreamServe(args[1:], stdout, stderr)
		case "token":
			return cmdUpstreamToken(args[1:], stdout, stderr)
		}
	}
	fmt.Fprint(stderr, `Usage: munjigi upstream serve [--addr HOST:PORT] [--data DIR] [--credentials FILE] [--mint-credential FILE]
       munjigi upstream token --upstream URL --mint-credential FILE [--verdict pass|fail|manual] [--name NAME] [--birth-year YEAR]

serve: the reference server of the upstream protocol (docs/upstream.md), on
loopback by default: one-time tokens, the signed trust list built from
DIR/list/, and entry upload. token: mint a demo token on it and print it.
`)
	return exitUsage
}

func cmdUpstreamServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("upstream serve", stderr)
	addr := fs.String("addr", "127.0.0.1:8750", "listen on `HOST:PORT`")
	data := fs.String("data", "munjigi-upstream", "the server's data `DIR` (created on first run)")
	creds := fs.String("credentials", "", "a `FILE` of kiosk credentials, one KIOSK:CREDENTIAL a line; without it, any caller is served (loopback only)")
	tokenTTL := fs.Duration("token-ttl", time.Minute, "how long a minted token lives")
	mintFile := fs.String("mint-credential", "", "a `FILE` holding the credential that mints demo tokens; without it, minting is off")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "munjigi upstream serve: "+format+"\n", args...)
		return exitUsage
	}
	credentials, err := readCredentials(*creds)
	if err != nil {
		return fail("%v", err)
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fail("--addr: %v", err)
	}
	if ip := net.ParseIP(host); len(credentials) == 0 && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fail("serving %s to anyone: give --credentials, or listen on loopback", *addr)
	}
	// A fresh data directory starts with the demo signer's list, so the
	// demo passes verify against it.
	trustJSON := filepath.Join(*data, "list", "trust.json")
	if _, err := os.Stat(trustJSON); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(trustJSON), 0o700); err != nil {
			return fail("%v", err)
		}
		if err := os.WriteFile(trustJSON, demo.TrustList(time.Now()), 0o600); err != nil {
			return fail("%v", err)
		}
	}
	mint, err := readMintCredential(*mintFile)
	if err != nil {
		return fail("%v", err)
	}
	srv, err := authority.Open(authority.Config{DataDir: *data, Credentials: credentials, TokenTTL: *tokenTTL, MintCredential: mint})
	if err != nil {
		return fail("%v", err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail("%v", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stdout, "serving http://%s\nthe trust-list key for kiosks to pin (upstream.trust_key): %s\n", ln.Addr(), srv.TrustKeyPath())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fail("%v", err)
	}
	return exitOK
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

func cmdUpstreamToken(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("upstream token", stderr)
	url := fs.String("upstream", "http://127.0.0.1:8750", "the reference server's `URL`")
	mintFile := fs.String("mint-credential", "", "a `FILE` holding the server's minting credential")
	var req upstream.MintRequest
	fs.StringVar(&req.Verdict, "verdict", "pass", "the `VERDICT` the token stands for: pass, fail or manual")
	fs.StringVar(&req.Name, "name", "홍길동", "the holder's `NAME` (masked before it is stored)")
	fs.IntVar(&req.BirthYear, "birth-year", 1985, "the holder's birth `YEAR`")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	mint, err := readMintCredential(*mintFile)
	if err != nil {
		fmt.Fprintf(stderr, "munjigi upstream token: %v\n", err)
		return exitUsage
	}
	tok, err := authority.Mint(context.Background(), *url, mint, req)
	if err != nil {
		fmt.Fprintf(stderr, "munjigi upstream token: %v\n", err)
		return exitUsage
	}
	fmt.Fprintln(stdout, tok.Token)
	return exitOK
}
