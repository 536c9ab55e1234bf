package gate

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"time"

	"munjigi/verify"
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
// MUNJIGI_TYPE, MUNJIGI_FORMAT, MUNJIGI_METHOD, MUNJIGI_SEQ), never the
// holder, and only as codes munjigi knows: a reason some server made up
// is passed as "other".
func (h Hooks) Run(o Outcome) {
	cmd := map[verify.Verdict]string{verify.Pass: h.Pass, verify.Fail: h.Fail, verify.Manual: h.Manual}[o.Verdict]
	if cmd == "" {
		return
	}
	timeout := h.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	env := append(os.Environ(),
		"MUNJIGI_VERDICT="+string(o.Verdict), "MUNJIGI_REASON="+string(KnownReason(o.Reason)),
		"MUNJIGI_TYPE="+known(string(o.Type), "v", "t", "r"),
		"MUNJIGI_FORMAT="+known(string(o.Format), string(verify.FormatDCC), string(verify.FormatSHC), string(verify.FormatToken), string(verify.FormatUnknown)),
		"MUNJIGI_METHOD="+string(o.Method),
		"MUNJIGI_SEQ="+strconv.FormatUint(o.Seq, 10))
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
		c.Env = env
		c.Run() // a failing hook is the hook's problem, not the door's
	}()
}

// KnownReason is r when it is a reason munjigi itself gives, and "other"
// when it is not (a server's own word): what leaves munjigi as a code is
// one of its codes.
func KnownReason(r verify.Reason) verify.Reason {
	if slices.Contains(verify.Reasons, r) || r == ReasonLogGap {
		return r
	}
	for _, c := range Checks {
		if c.Reason == r {
			return r
		}
	}
	return "other"
}

func known(v string, allowed ...string) string {
	if v == "" || slices.Contains(allowed, v) {
		return v
	}
	return "other"
}
