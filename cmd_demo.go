package main

import (
	"fmt"
	"io"
	"time"

	"munjigi/demo"
)

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo", stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: munjigi demo trust|passes

  trust   print the demo trust list (munjigi's trust-list format)
  passes  print the demo passes, one per line, signed now

The demo signer's key is public: trust it only for a demonstration.
`)
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	switch fs.Arg(0) {
	case "trust":
		fmt.Fprintf(stdout, "%s\n", demo.TrustList(time.Now()))
		return exitOK
	case "passes":
		samples, err := demo.Passes(time.Now())
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
