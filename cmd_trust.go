package main

import (
	"context"
	"crypto/ecdsa"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"munjigi/store"
	"munjigi/upstream"
	"munjigi/verify"
)

// cmdTrust manages the signed trust list: sync it from the server, import
// it from a file, show what is trusted.
func cmdTrust(args []string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprint(stderr, `Usage: munjigi trust sync [--upstream URL] [--db FILE] [--config FILE]
       munjigi trust import FILE [--key PEM] [--db FILE] [--config FILE]
       munjigi trust show [--db FILE] [--config FILE]

sync: fetch the signed trust list from the server now. import: install a
signed list from a file (a USB stick, for a venue with no network). Either
is checked whole (the pinned key's signature, a newer version, dates,
content) before it replaces the list in force; anything wrong leaves the
last good list in force. show: what the kiosk trusts.
`)
		return exitUsage
	}
	if len(args) == 0 {
		return usage()
	}
	sub := args[0]
	fs := newFlags("trust "+sub, stderr)
	dbPath := fs.String("db", "", "the database `FILE` (config store.path)")
	configPath := fs.String("config", "", "read settings from `FILE` (see config.yaml)")
	url := fs.String("upstream", "", "the server `URL` (config upstream.url)")
	keyFlag := fs.String("key", "", "the authority's trust-list key, a PEM `FILE` (config upstream.trust_key)")
	rest := args[1:]
	var file string
	if sub == "import" {
		if len(rest) == 0 || len(rest[0]) == 0 || rest[0][0] == '-' {
			return usage()
		}
		file, rest = rest[0], rest[1:]
	}
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "munjigi trust %s: "+format+"\n", append([]any{sub}, args...)...)
		return exitUsage
	}
	cfg, err := loadConfig(findConfig(*configPath))
	if err != nil {
		return fail("%v", err)
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "db":
			cfg.Store.Path = *dbPath
		case "upstream":
			cfg.Upstream.URL = *url
		case "key":
			cfg.Upstream.TrustKey = *keyFlag
		}
	})
	if err := cfg.check(); err != nil {
		return fail("%v", err)
	}
	if sub != "sync" && sub != "import" && sub != "show" {
		return usage()
	}
	if _, err := os.Stat(cfg.Store.Path); err == nil {
		if err := checkInChild(cfg.Store.Path); err != nil {
			return fail("%s: %v (the kiosk moves a damaged file aside when it starts)", cfg.Store.Path, err)
		}
	}
	db, err := store.Open(cfg.Store.Path, store.Options{})
	if err != nil {
		return fail("%v (is the kiosk running? it syncs on its own)", err)
	}
	defer db.Close()

	var client *upstream.Client
	if cfg.Upstream.URL != "" {
		if client, err = upstream.New(upstream.Config{URL: cfg.Upstream.URL, Credential: cfg.Upstream.Credential, Kiosk: cfg.Upstream.KioskID, CAFile: cfg.Upstream.CAFile}); err != nil {
			return fail("%v", err)
		}
	}
	var key *ecdsa.PublicKey
	switch {
	case cfg.Upstream.TrustKey != "":
		key, err = upstream.ParseKey(cfg.Upstream.TrustKey)
	case client != nil && loopbackURL(cfg.Upstream.URL):
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		var pem []byte
		if pem, err = client.TrustKey(ctx); err == nil {
			key, err = upstream.ParseKey(string(pem))
		}
		cancel()
	case sub != "show":
		err = fmt.Errorf("no trust-list key to check it with: pin it (upstream.trust_key, or --key)")
	}
	if err != nil {
		return fail("%v", err)
	}
	var last *upstream.Bundle
	syncer := upstream.NewSyncer(client, key, db, func(b *upstream.Bundle) { last = b }, time.Now, rand.New(rand.NewPCG(1, 2)))
	if key != nil {
		if _, err := syncer.Load(); err != nil {
			fmt.Fprintf(stderr, "munjigi trust %s: %v\n", sub, err)
		}
	}
	switch sub {
	case "sync":
		if client == nil {
			return fail("no server: give --upstream URL or set upstream.url")
		}
		changed, err := syncer.Sync(context.Background())
		if err != nil {
			fmt.Fprintf(stderr, "munjigi trust sync: %v; the list in force stays\n", err)
			return exitNotPass
		}
		if !changed {
			fmt.Fprintf(stdout, "the list in force is current (version %d)\n", syncer.State().Version)
			return exitOK
		}
	case "import":
		if _, err := syncer.Import(file); err != nil {
			fmt.Fprintf(stderr, "munjigi trust import: %s: %v; the list in force stays\n", file, err)
			return exitNotPass
		}
	}
	describeTrust(stdout, cfg, syncer.State(), last)
	return exitOK
}

// describeTrust prints what is trusted.
func describeTrust(w io.Writer, cfg *config, st upstream.TrustState, b *upstream.Bundle) {
	now := time.Now()
	if b == nil {
		fmt.Fprintln(w, "signed trust list: none installed")
	} else {
		state := "fresh"
		switch {
		case !now.Before(b.ExpiresAt):
			state = "EXPIRED"
		case now.Sub(b.IssuedAt) > cfg.Upstream.StaleAfter:
			state = "stale"
		}
		fmt.Fprintf(w, "signed trust list: version %d, issued %s, expires %s (%s)\n", b.Version,
			b.IssuedAt.In(cfg.location).Format("2006-01-02 15:04"), b.ExpiresAt.In(cfg.location).Format("2006-01-02 15:04"), state)
		fmt.Fprintf(w, "  %d document signer keys, %d SMART Health Card issuers, %d revoked passes, %d rules, %d value sets\n",
			b.Trust.Signers(), b.Trust.SHCIssuers(), b.Trust.Revoked(), len(b.Rules), len(b.ValueSets))
		if !st.Fetched.IsZero() {
			fmt.Fprintf(w, "  last confirmed by the server %s\n", st.Fetched.In(cfg.location).Format("2006-01-02 15:04"))
		}
	}
	for _, f := range cfg.Trust.Files {
		t := verify.NewTrust()
		if err := t.AddFile(f); err != nil {
			fmt.Fprintf(w, "file %s: %v\n", f, err)
			continue
		}
		fmt.Fprintf(w, "file %s: %d document signer keys, %d SMART Health Card issuers\n", f, t.Signers(), t.SHCIssuers())
	}
}
