// Some issuers' document signer certificates carry negative serial numbers,
// which Go's x509 refuses by default; a DSC's serial number decides nothing
// here, so munjigi reads them.

//go:debug x509negativeserial=1

// Command munjigi (문지기, "gatekeeper") is a kiosk for the person at a venue
// door: it reads pass QR codes from a barcode scanner, decides them on the
// kiosk itself, records entries, and falls back to a manual check when a
// pass cannot be read or checked. 'munjigi --help' lists its commands; the
// command tree is package cli.
package main

import (
	"os"
	"runtime/debug"

	"munjigi/cli"
)

// memoryLimit is the heap size the garbage collector works to stay under
// (a soft limit: more is used if more is live): a Raspberry Pi Zero has
// 512 MB for everything. GOMEMLIMIT overrides it.
const memoryLimit = 24 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(cli.Run(os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
