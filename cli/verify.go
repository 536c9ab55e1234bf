package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

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
not, 2 for a usage error.

Payloads are decided on every core the machine has, and answered in their
order. Answers are written in large blocks, and at once whenever every line
read so far is answered: a script that writes one pass and waits gets its
line without closing standard input.`,
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
		decide := func(payload []byte) verify.Result {
			if tokens != nil && tokens.Match(payload) {
				return tokens.Check(context.Background(), payload) // within the budget, or a manual check
			}
			r := v.Verify(payload)
			if decider != nil {
				r = decider.Decide(r, now())
			}
			return r
		}
		// Payloads are decided on every core and answered in their order.
		// A token goes to the authority, and a part of a split health card
		// waits for its other parts: both are decided one at a time, in
		// order, as they would be one after another.
		inSequence := func(payload []byte) bool {
			return verify.InSequence(payload) || tokens != nil && tokens.Match(payload)
		}
		b := newBatch(io.Out, decide, inSequence, runtime.GOMAXPROCS(0))
		if len(args) > 0 {
			for _, p := range args {
				if err = b.submit([]byte(p), len(p)); err != nil {
					break
				}
			}
		} else {
			err = eachLine(io.In, maxLine, b.submit, b.send)
		}
		allPass, ferr := b.finish()
		if err == nil {
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
// A line longer than limit is not kept: fn gets a nil line and its full
// size (line ending included), and reading goes on with the next line.
// Unlike bufio.Scanner, one long line never stops the loop. The line is
// valid only until fn returns. idle, when set, is called before a read
// that may wait (nothing is buffered).
func eachLine(r io.Reader, limit int, fn func(line []byte, size int) error, idle func()) error {
	// Read in large blocks (a file of passes is read a few hundred at a
	// time, so idle is rarely called on one), but never fewer than a
	// line too long to keep and its line ending.
	br := bufio.NewReaderSize(r, max(256<<10, limit+2))
	// A file saved by a Windows editor may start with a byte-order mark.
	if bom, err := br.Peek(3); err == nil && string(bom) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	for {
		if idle != nil && br.Buffered() == 0 {
			idle()
		}
		line, err := br.ReadSlice('\n')
		size, long := len(line), false
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = br.ReadSlice('\n')
			size, long = size+len(line), true
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case long || len(line) > limit:
			if ferr := fn(nil, size); ferr != nil {
				return ferr
			}
		case len(line) > 0:
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

// batch decides payloads on several goroutines and writes their answers,
// one JSON line each, in the order the payloads were submitted.
//
// Payloads travel in groups of up to groupSize: a handful of hand-overs
// between goroutines for a few hundred passes, not several for each. A
// group is sent off when it is full, and whenever the input has nothing
// more waiting (idle), so a script that writes one pass and waits gets its
// answer at once. At most window groups are in hand at once (filling,
// deciding, or decided and waiting for an earlier one), so memory stays
// bounded however long the input.
//
// Output is buffered, and flushed whenever every group sent off has been
// answered: at once for a script waiting on its line, in large blocks for
// a file of passes.
type batch struct {
	decide     func(payload []byte) verify.Result
	inSequence func(payload []byte) bool
	out        *bufio.Writer
	window     int

	cur    *group        // being filled by submit
	pool   chan *group   // to the workers, in any order
	serial chan *group   // to the one worker that keeps order
	done   chan *group   // decided, to the writer
	slots  chan struct{} // a token for each group in hand
	stop   chan struct{} // closed when the writer cannot write
	wrote  chan struct{} // closed when the writer has finished
	sent   atomic.Uint64 // groups sent off
	work   sync.WaitGroup

	// The writer's, read after wrote (err: after stop) is closed.
	allPass bool
	err     error
}

// groupSize is the most payloads a group holds.
const groupSize = 32

// group is a run of consecutive payloads and, once decided, their answers.
type group struct {
	seq        uint64
	data       []byte // the payloads, one after another
	items      []item
	inSequence bool // holds a payload that must be decided in order
	out        []byte
	pass       bool
}

// item is one payload of a group: data[start:end], or a line too long to
// keep (tooLong is its size).
type item struct{ start, end, tooLong int }

var groups = sync.Pool{New: func() any { return &group{} }}

// newBatch starts workers goroutines deciding payloads, one more for the
// payloads that must be decided in sequence, and the writer.
func newBatch(w io.Writer, decide func([]byte) verify.Result, inSequence func([]byte) bool, workers int) *batch {
	workers = max(workers, 1)
	window := 4*workers + 2
	b := &batch{
		decide: decide, inSequence: inSequence, out: bufio.NewWriterSize(w, 64<<10), window: window,
		// Sends never wait: no more than window groups exist at once.
		pool: make(chan *group, window), serial: make(chan *group, window), done: make(chan *group, window),
		slots: make(chan struct{}, window), stop: make(chan struct{}), wrote: make(chan struct{}),
		allPass: true,
	}
	b.work.Add(workers + 1)
	for range workers {
		go b.worker(b.pool)
	}
	go b.worker(b.serial)
	go b.writer()
	return b
}

// submit adds one payload (or, when payload is nil, the size of a line too
// long to keep) to be decided. payload is copied: the caller may reuse it.
// It waits while window groups are in hand, and returns the writer's error
// once writing has failed.
func (b *batch) submit(payload []byte, size int) error {
	if b.cur == nil {
		select {
		case b.slots <- struct{}{}:
		case <-b.stop:
			return b.err // set before stop was closed, and never again
		}
		g := groups.Get().(*group)
		g.data, g.items, g.inSequence = g.data[:0], g.items[:0], false
		b.cur = g
	}
	g := b.cur
	if payload == nil {
		g.items = append(g.items, item{tooLong: size})
	} else {
		g.items = append(g.items, item{start: len(g.data), end: len(g.data) + len(payload)})
		g.data = append(g.data, payload...)
		g.inSequence = g.inSequence || b.inSequence(payload)
	}
	if len(g.items) == groupSize {
		b.send()
	}
	return nil
}

// send sends off the group being filled, if any.
func (b *batch) send() {
	g := b.cur
	if g == nil {
		return
	}
	b.cur = nil
	g.seq = b.sent.Load()
	// Counted before it is sent, so the writer never sees every group
	// answered while this one is on its way.
	b.sent.Add(1)
	if g.inSequence {
		b.serial <- g
	} else {
		b.pool <- g
	}
}

func (b *batch) worker(in <-chan *group) {
	defer b.work.Done()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for g := range in {
		g.out, g.pass = g.out[:0], true
		for _, it := range g.items {
			var r verify.Result
			if it.tooLong > 0 {
				r = verify.TooLarge(it.tooLong)
			} else {
				r = b.decide(g.data[it.start:it.end])
			}
			buf.Reset()
			if err := enc.Encode(r); err != nil {
				// A Result always encodes; should one not, its line
				// still says so, in its place.
				buf.Reset()
				fmt.Fprintf(&buf, "{\"format\":%q,\"verdict\":\"manual\",\"reason\":%q,\"detail\":\"the answer could not be written\"}\n", verify.FormatUnknown, verify.ReasonInternal)
				r.Verdict = verify.Manual
			}
			g.out = append(g.out, buf.Bytes()...)
			g.pass = g.pass && r.Verdict == verify.Pass
		}
		b.done <- g
	}
}

// writer writes the answers in sequence, holding those that come early.
func (b *batch) writer() {
	defer close(b.wrote)
	// At most window groups are in hand, so each has a place of its own
	// in held.
	held := make([]*group, b.window)
	var next uint64
	for g := range b.done {
		held[g.seq%uint64(b.window)] = g
		for {
			h := held[next%uint64(b.window)]
			if h == nil || h.seq != next {
				break
			}
			held[next%uint64(b.window)] = nil
			b.allPass = b.allPass && h.pass
			if b.err == nil {
				if _, err := b.out.Write(h.out); err != nil {
					b.fail(err)
				}
			}
			if cap(h.data) <= 1<<20 { // a group of lines too long is let go
				groups.Put(h)
			}
			next++
			<-b.slots
		}
		if b.err == nil && next == b.sent.Load() {
			if err := b.out.Flush(); err != nil {
				b.fail(err)
			}
		}
	}
	if b.err == nil {
		if err := b.out.Flush(); err != nil {
			b.fail(err)
		}
	}
}

func (b *batch) fail(err error) {
	b.err = fmt.Errorf("writing standard output: %w", err)
	close(b.stop)
}

// finish sends off what is left, waits for every payload to be answered
// and written, and says whether all of them passed.
func (b *batch) finish() (allPass bool, err error) {
	b.send()
	close(b.pool)
	close(b.serial)
	b.work.Wait()
	close(b.done)
	<-b.wrote
	return b.allPass, b.err
}
