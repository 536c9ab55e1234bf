package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/mattn/go-runewidth"

	"munjigi/demo"
	"munjigi/policy"
	"munjigi/verify"
)

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo", stderr)
	asJSON := fs.Bool("json", false, "print each decision as munjigi verify does, one JSON object per line")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: munjigi demo [--json]
       munjigi demo trust|passes

  (none)  sign the demo passes now and decide each, as the door would; exit 0
          when each got the verdict it was made for
  trust   print the demo trust list (munjigi's trust-list format)
  passes  print the demo passes, one per line, signed now

The demo signer's key is public: trust it only for trying munjigi out.

`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	now := time.Now()
	switch fs.Arg(0) {
	case "":
		return runDemo(now, *asJSON, stdout, stderr)
	case "trust":
		fmt.Fprintf(stdout, "%s\n", demo.TrustList(now))
		return exitOK
	case "passes":
		samples, err := demo.Passes(now)
		if err != nil {
			fmt.Fprintf(stderr, "munjigi demo: %v\n", err)
			return exitUsage
		}
		for _, s := range samples {
			fmt.Fprintln(stdout, s.Payload)
		}
		return exitOK
	}
	fs.Usage()
	return exitUsage
}

// verdictMark is how a verdict reads at a glance: a word and a symbol, not
// only a colour.
var verdictMark = map[verify.Verdict]string{verify.Pass: "✓ pass  ", verify.Fail: "✗ fail  ", verify.Manual: "! manual"}

// runDemo decides the demo passes against the demo trust list and says
// whether each got the verdict it was made for.
func runDemo(now time.Time, asJSON bool, stdout, stderr io.Writer) int {
	samples, err := demo.Passes(now)
	if err != nil {
		fmt.Fprintf(stderr, "munjigi demo: %v\n", err)
		return exitUsage
	}
	v := verify.New(demo.Trust(now), func() time.Time { return now })
	profile, err := policy.Builtin(demo.Profile)
	if err != nil {
		fmt.Fprintf(stderr, "munjigi demo: %v\n", err)
		return exitUsage
	}
	door := policy.NewDecider(profile, policy.Options{Location: seoul(), Country: "KR", VenueType: demo.VenueType,
		ValueSets: policy.BuiltinValueSets(), Lang: "en"})
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	wrong := 0
	for _, s := range samples {
		r := door.Decide(v.Verify([]byte(s.Payload)), now)
		if r.Verdict != s.Door {
			wrong++
		}
		if asJSON {
			if err := enc.Encode(r); err != nil {
				fmt.Fprintf(stderr, "munjigi demo: %v\n", err)
				return exitUsage
			}
			continue
		}
		holder := r.Holder.Name
		if r.Holder.BirthYear > 0 {
			holder += fmt.Sprintf(" (%d)", r.Holder.BirthYear)
		}
		// Hangul takes two cells: pad by display width, not by runes.
		fmt.Fprintf(stdout, "%s  %-30s  %s  %s\n", verdictMark[r.Verdict], s.Label, runewidth.FillRight(holder, 18), r.Detail)
	}
	if wrong > 0 {
		fmt.Fprintf(stderr, "munjigi demo: %d of %d demo passes got the wrong verdict\n", wrong, len(samples))
		return exitNotPass
	}
	if !asJSON {
		fmt.Fprintf(stdout, "\nEach of the %d demo passes got the verdict it was made for, at a restaurant under %s.\n", len(samples), demo.Profile)
	}
	return exitOK
}

// seoul is the demo door's time zone.
func seoul() *time.Location {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		return time.FixedZone("KST", 9*60*60)
	}
	return loc
}
