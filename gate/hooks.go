package gate

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// Hooks are commands run after a decision, one per verdict: a speaker, a
// light, a door relay. They run in the background with a deadline, so a
// hook that hangs never holds up the line.
type Hooks struct {
	Pass, Fail, Manual string        // shell commands; empty runs nothing
	Timeout            time.Duration // 0 means 5 s
}

// Run starts the hook for o's verdict and returns at once. The command
// sees the outcome in its environment (MUNJIGI_VERDICT, MUNJIGI_REASON,
// MUNJIGI_TYPE, MUNJIGI_FORMAT, MUNJIGI_SEQ), never the holder.
func (h Hooks) Run(o Outcome) {
	cmd := map[string]string{"pass": h.Pass, "fail": h.Fail, "manual": h.Manual}[string(o.Verdict)]
	if cmd == "" {
		return
	}
	timeout := h.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
		c.Env = append(os.Environ(),
			"MUNJIGI_VERDICT="+string(o.Verdict), "MUNJIGI_REASON="+string(o.Reason),
			"MUNJIGI_TYPE="+string(o.Type), "MUNJIGI_FORMAT="+string(o.Format),
			"MUNJIGI_SEQ="+strconv.FormatUint(o.Seq, 10))
		c.Run() // a failing hook is the hook's problem, not the door's
	}()
}
