package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"munjigi/demo"
	"munjigi/policy"
	"munjigi/upstream"
	"munjigi/verify"
)

// maxLine is the longest stdin line read as a payload: room for any pass
// with its prefix. A longer line is answered as too large and skipped, and
// the next line is read as usual.
const maxLine = verify.MaxPayload + 64

func cmdVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("verify", stderr)
	var trustFiles listFlag
	fs.Var(&trustFiles, "trust", "trust `FILE`: a munjigi trust list (JSON), or PEM or DER certificates; repeat to add more")
	at := fs.String("at", "", "decide as at `TIME` (RFC 3339, e.g. 2021-06-01T12:00:00+09:00) instead of now")
	useDemo := fs.Bool("demo", false, "trust the demo signer too (its key is public: for trying things out)")
	configPath := fs.String("config", "", "read settings from `FILE` (see config.yaml)")
	profile := fs.String("policy", "", "apply the venue rules of profile `NAME` ('munjigi rules list' shows them); without it, only the pass itself is judged")
	venue := fs.String("venue", "", "the venue `TYPE` the rules see: restaurant, cafe, gym, ... (config venue.type)")
	lang := fs.String("lang", "", "the `LANGUAGE` of the rules' reasons: ko or en (config language)")
	rulesDir := fs.String("rules", "", "add the venue's own rule files from `DIR` (config policy.rules)")
	upstreamURL := fs.String("upstream", "", "check one-time tokens with the authority's server at `URL` (config upstream.url)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: munjigi verify [--trust FILE]... [--at TIME] [--demo] [--policy NAME] [--upstream URL] [PAYLOAD...]

Verifies each PAYLOAD, or each line of standard input when none is given, and
prints one JSON object per payload on its own line. With --policy, a pass
that verifies is also judged by the venue's rules, and the rules it did not
meet are listed. Exit status: 0 when every payload passed, 1 when any did
not, 2 for a usage error.

`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	usageErr := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "munjigi verify: "+format+"\n", args...)
		return exitUsage
	}
	cfg, err := loadConfig(findConfig(*configPath))
	if err != nil {
		return usageErr("%v", err)
	}
	// Flags win over the configuration.
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "policy":
			cfg.Policy.Profile = *profile
		case "venue":
			cfg.Venue.Type = *venue
		case "lang":
			cfg.Language = *lang
		case "rules":
			cfg.Policy.Rules = *rulesDir
		case "upstream":
			cfg.Upstream.URL = *upstreamURL
		}
	})
	if err := cfg.check(); err != nil {
		return usageErr("%v", err)
	}

	now := time.Now
	if *at != "" {
		t, err := verify.ParseTime(*at)
		if err != nil {
			return usageErr("--at: %v", err)
		}
		now = func() time.Time { return t }
	}
	trust := verify.NewTrust()
	for _, f := range append(cfg.Trust.Files, trustFiles...) {
		if err := trust.AddFile(f); err != nil {
			return usageErr("trust: %v", err)
		}
	}
	if *useDemo {
		if err := trust.AddList(demo.TrustList(now())); err != nil {
			return usageErr("demo trust list: %v", err)
		}
	}
	for _, w := range trust.Warnings() {
		fmt.Fprintf(stderr, "munjigi verify: trust: %s\n", w)
	}
	if trust.Signers() == 0 {
		fmt.Fprintln(stderr, "munjigi verify: no trusted signers (--trust FILE or --demo): signed passes will need a manual check")
	}
	var decider *policy.Decider
	if *profile != "" {
		if decider, err = cfg.decider(); err != nil {
			return usageErr("--policy: %v", err)
		}
	}
	v := verify.New(trust, now)
	var tokens *upstream.Tokens
	if cfg.Upstream.URL != "" {
		c, err := upstream.New(upstream.Config{URL: cfg.Upstream.URL, Credential: cfg.Upstream.Credential, Kiosk: cfg.Upstream.KioskID, CAFile: cfg.Upstream.CAFile})
		if err != nil {
			return usageErr("%v", err)
		}
		if tokens, err = upstream.NewTokens(c, upstream.TokenConfig{Budget: cfg.Upstream.TokenBudget, Patterns: cfg.Upstream.TokenPatterns}); err != nil {
			return usageErr("%v", err)
		}
	}

	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	emit := func(r verify.Result) error { return enc.Encode(r) }

	allPass := true
	decide := func(payload []byte) error {
		var r verify.Result
		if tokens != nil && tokens.Match(payload) {
			r = tokens.Check(context.Background(), payload) // within the budget, or a manual check
		} else {
			r = v.Verify(payload)
			if decider != nil {
				r = decider.Decide(r, now())
			}
		}
		allPass = allPass && r.Verdict == verify.Pass
		return emit(r)
	}
	if fs.NArg() > 0 {
		for _, p := range fs.Args() {
			if err = decide([]byte(p)); err != nil {
				break
			}
		}
	} else {
		err = eachLine(stdin, maxLine, func(line []byte, size int) error {
			if size > maxLine {
				allPass = false
				return emit(verify.TooLarge(size))
			}
			return decide(line)
		})
	}
	if err != nil {
		fmt.Fprintf(stderr, "munjigi verify: %v\n", err)
		return exitUsage
	}
	if !allPass {
		return exitNotPass
	}
	return exitOK
}

// eachLine calls fn with each non-empty line of r, without its line ending.
// A line longer than max is not kept: fn gets a nil line and its full size,
// and reading goes on with the next line. Unlike bufio.Scanner, one long
// line never stops the loop.
func eachLine(r io.Reader, max int, fn func(line []byte, size int) error) error {
	br := bufio.NewReaderSize(r, max+2)
	// A file saved by a Windows editor may start with a byte-order mark.
	if bom, err := br.Peek(3); err == nil && string(bom) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	for {
		line, err := br.ReadSlice('\n')
		size := len(line)
		if errors.Is(err, bufio.ErrBufferFull) {
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				size += len(line)
			}
			if ferr := fn(nil, size); ferr != nil {
				return ferr
			}
		} else if line = bytes.TrimRight(line, "\r\n"); len(line) > 0 {
			if ferr := fn(line, len(line)); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading standard input: %w", err)
		}
	}
}
