// Command failstart is a kiosk that cannot start, as the lead wires
// startup into munjigi: the error in os.Args[1] is reported, held on the
// screen, and the exit status says whether it was asked to stop (0) or
// gave up (2). For TestUnderSystemd.
package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"munjigi/internal/startup"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	startup.ForProcess(os.Stdout, os.Stderr, "/etc/munjigi/config.yaml").Fail(ctx, errors.New(os.Args[1]))
	if ctx.Err() != nil {
		os.Exit(0)
	}
	os.Exit(2)
}
