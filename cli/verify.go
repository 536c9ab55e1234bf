package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"munjigi/demo"
	"munjigi/door"
	"munjigi/policy"
	"munjigi/upstream"
	"munjigi/verify"
)

// maxLine is the longest stdin line read as a payload: room for any pass
// with its prefix. A longer line is answered as too large and skipped, and
// the next line is read as usual.
const maxLine = verify.MaxPayload + 64

func newVerifyCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify [PAYLOAD...]",
		Short: "verify each payload (or each line of standard input) offline; one JSON line each",
		Long: `Verifies each PAYLOAD, or each line of standard input when none is given, and
prints one JSON object per payload on its own line. With --policy, a pass
that verifies is also judged by the venue's rules, and the rules it did not
meet are listed. Exit status: 0 when every payload passed, 1 when any did
not, 2 for a usage error.`,
		Example: `  munjigi verify --demo "$(munjigi demo passes | head -1)"
  munjigi verify --trust trust.json --at 2021-06-01T12:00:00+09:00 < scans.txt`,
	}
	s := newSettings(cmd)
	var trustFiles []string
	var useDemo bool
	var clock clockFlag
	cmd.Flags().StringArrayVar(&trustFiles, "trust", nil, "trust `FILE`: a munjigi trust list (JSON), or PEM or DER certificates; repeat to add more")
	clock.add(cmd, "decide as at `TIME` (RFC 3339, e.g. 2021-06-01T12:00:00+09:00) instead of now")
	cmd.Flags().BoolVar(&useDemo, "demo", false, "trust the demo signer too (its key is public: for trying things out)")
	s.policy()
	s.venue()
	s.lang()
	s.flag("rules", "policy.rules", "add the venue's own rule files from `DIR`")
	s.upstream()
	cmd.RunE = func(c *cobra.Command, args []string) error {
		cfg, err := s.load()
		if err != nil {
			return err
		}
		now, _, err := clock.now()
		if err != nil {
			return err
		}
		trust := verify.NewTrust()
		for _, f := range append(cfg.Trust.Files, trustFiles...) {
			if err := door.AddTrustFile(trust, f); err != nil {
				return fmt.Errorf("trust: %w", err)
			}
		}
		if useDemo {
			if err := trust.AddList(demo.TrustList(now())); err != nil {
				return fmt.Errorf("demo trust list: %w", err)
			}
		}
		for _, w := range trust.Warnings() {
			fmt.Fprintf(io.Err, "munjigi verify: trust: %s\n", w)
		}
		if trust.Signers() == 0 {
			fmt.Fprintln(io.Err, "munjigi verify: no trusted signers (--trust FILE or --demo): signed passes will need a manual check")
		}
		var decider *policy.Decider
		if given(c.Flags(), "policy") {
			if decider, err = cfg.Decider(nil, nil); err != nil {
				return fmt.Errorf("--policy: %w", err)
			}
		}
		v := verify.New(trust, now)
		var tokens *upstream.Tokens
		if cfg.Upstream.URL != "" {
			cl, err := upstream.New(upstream.Config{URL: cfg.Upstream.URL, Credential: cfg.Upstream.Credential, Kiosk: cfg.Upstream.KioskID, CAFile: cfg.Upstream.CAFile})
			if err != nil {
				return err
			}
			if tokens, err = upstream.NewTokens(cl, upstream.TokenConfig{Budget: cfg.Upstream.TokenBudget, Patterns: cfg.Upstream.TokenPatterns}); err != nil {
				return err
			}
		}
		out := bufio.NewWriterSize(io.Out, 64<<10)
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		allPass := true
		emit := func(r verify.Result) error {
			allPass = allPass && r.Verdict == verify.Pass
			return enc.Encode(r)
		}
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
			return emit(r)
		}
		if len(args) > 0 {
			for _, p := range args {
				if err = decide([]byte(p)); err != nil {
					break
				}
			}
		} else {
			// Lines are answered in batches, flushed whenever the input
			// has nothing more waiting: a script that writes one pass and
			// waits for its line gets it at once.
			err = eachLine(io.In, maxLine, func(line []byte, size int) error {
				if size > maxLine {
					return emit(verify.TooLarge(size))
				}
				return decide(line)
			}, out.Flush)
		}
		if ferr := out.Flush(); err == nil {
			err = ferr
		}
		if err != nil {
			return err
		}
		if !allPass {
			return notPass(nil)
		}
		return nil
	}
	return cmd
}

// eachLine calls fn with each non-empty line of r, without its line ending.
// A line longer than max is not kept: fn gets a nil line and its full size,
// and reading goes on with the next line. Unlike bufio.Scanner, one long
// line never stops the loop. idle, when set, is called before a read that
// may wait (nothing is buffered).
func eachLine(r io.Reader, max int, fn func(line []byte, size int) error, idle func() error) error {
	br := bufio.NewReaderSize(r, max+2)
	// A file saved by a Windows editor may start with a byte-order mark.
	if bom, err := br.Peek(3); err == nil && string(bom) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	for {
		if idle != nil && br.Buffered() == 0 {
			if err := idle(); err != nil {
				return err
			}
		}
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
