package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/sony/gobreaker/v2"
	"golang.org/x/sync/singleflight"

	"munjigi/verify"
)

// DefaultBudget is how long a token scan may wait for the authority, end
// to end: past it the door checks by hand.
const DefaultBudget = 1500 * time.Millisecond

// The breaker's defaults: it opens after DefaultTrips failures in a row,
// for DefaultBreakerWait, then lets one trial call through.
const (
	DefaultTrips       = 3
	DefaultBreakerWait = 30 * time.Second
)

// Tokens checks one-time tokens with the authority. A token check never
// takes longer than the budget; once the server has failed a few times in
// a row the breaker opens and token scans go to a manual check at once,
// with one trial call let through every BreakerWait.
type Tokens struct {
	c        *Client
	budget   time.Duration
	patterns []*regexp.Regexp
	breaker  *gobreaker.CircuitBreaker[TokenReply]
	flight   singleflight.Group
}

// TokenConfig tunes Tokens.
type TokenConfig struct {
	Budget time.Duration // 0: DefaultBudget
	// Patterns recognise token scans (regular expressions); a scan that
	// matches none is not a token.
	Patterns []string
	// Trips is how many failures in a row open the breaker (0: 3);
	// BreakerWait how long it stays open (0: 30 s).
	Trips       uint32
	BreakerWait time.Duration
}

// DefaultTokenPattern is the reference server's tokens: MJT1: and 26
// base32 characters.
const DefaultTokenPattern = `^MJT1:[A-Z2-7]{26}$`

// NewTokens builds a token checker on c.
func NewTokens(c *Client, cfg TokenConfig) (*Tokens, error) {
	t := &Tokens{c: c, budget: cfg.Budget}
	if t.budget <= 0 {
		t.budget = DefaultBudget
	}
	for _, p := range cfg.Patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("upstream: token pattern %q: %v", p, err)
		}
		t.patterns = append(t.patterns, re)
	}
	trips := cfg.Trips
	if trips == 0 {
		trips = DefaultTrips
	}
	wait := cfg.BreakerWait
	if wait <= 0 {
		wait = DefaultBreakerWait
	}
	t.breaker = gobreaker.NewCircuitBreaker[TokenReply](gobreaker.Settings{
		Name:        "token-check",
		MaxRequests: 1,
		Timeout:     wait,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= trips },
		// A pause the server asked for is not a failure of the server.
		IsExcluded: func(err error) bool { return errors.Is(err, ErrBackOff) },
	})
	return t, nil
}

// Match reports whether a scan is a token.
func (t *Tokens) Match(payload []byte) bool {
	if len(payload) > 512 {
		return false
	}
	for _, re := range t.patterns {
		if re.Match(payload) {
			return true
		}
	}
	return false
}

// Open reports whether the breaker is open: token scans go to a manual
// check without a call.
func (t *Tokens) Open() bool {
	return t.breaker.State() == gobreaker.StateOpen
}

// Check asks the authority about a token and returns the verdict: the
// authority's, or a manual check when it cannot answer within the budget.
// Concurrent checks of one token make one call.
func (t *Tokens) Check(ctx context.Context, payload []byte) verify.Result {
	token := string(payload)
	ctx, cancel := context.WithTimeout(ctx, t.budget)
	defer cancel()
	ch := t.flight.DoChan(token, func() (any, error) {
		// The call runs under its own deadline, so one waiter's end does
		// not cut off another's.
		callCtx, cancel := context.WithTimeout(context.Background(), t.budget)
		defer cancel()
		return t.breaker.Execute(func() (TokenReply, error) { return t.call(callCtx, token) })
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return unavailable(token, res.Err)
		}
		return fromReply(token, res.Val.(TokenReply))
	case <-ctx.Done():
		return unavailable(token, fmt.Errorf("no answer within %s", t.budget))
	}
}

func (t *Tokens) call(ctx context.Context, token string) (TokenReply, error) {
	body, _ := json.Marshal(TokenRequest{Token: token})
	r, err := t.c.do(ctx, "POST", PathTokenVerify, body, nil, maxTokenReply)
	if err != nil {
		return TokenReply{}, err
	}
	var tr TokenReply
	if err := json.Unmarshal(r.body, &tr); err != nil {
		return TokenReply{}, fmt.Errorf("upstream: the token reply is not JSON: %w", err)
	}
	switch verify.Verdict(tr.Verdict) {
	case verify.Pass, verify.Fail, verify.Manual:
	default:
		return TokenReply{}, fmt.Errorf("upstream: the token reply has verdict %q", verify.Sanitize(tr.Verdict, 20))
	}
	return tr, nil
}

func unavailable(token string, err error) verify.Result {
	r := verify.Result{Format: verify.FormatToken, Verdict: verify.Manual, Reason: verify.ReasonUpstreamDown, PassID: "token:" + token}
	why := err.Error()
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		why = "the server is down (breaker open)"
	}
	r.Detail = "the authority's server could not check this code: check by hand (" + verify.Sanitize(why, 120) + ")"
	return r
}

// fromReply turns the authority's answer into a Result; everything it
// says is cleaned as if it came from a pass, and only munjigi's own codes
// leave here as codes: a verdict or reason the kiosk does not know becomes
// a check by hand or "token-refused", with the server's word (cleaned) in
// the detail.
func fromReply(token string, tr TokenReply) verify.Result {
	r := verify.Result{Format: verify.FormatToken, Verdict: verify.Verdict(tr.Verdict), PassID: "token:" + token}
	said := verify.Sanitize(tr.Reason, 40)
	switch r.Verdict {
	case verify.Pass:
		r.Reason = verify.ReasonOK
	case verify.Fail, verify.Manual:
		r.Reason = verify.Reason(said)
		if r.Reason != verify.ReasonTokenUsed && r.Reason != verify.ReasonTokenInvalid {
			r.Reason = verify.ReasonTokenRefused
		}
	default:
		r.Verdict, r.Reason = verify.Manual, verify.ReasonTokenRefused
	}
	switch tr.Type {
	case "v", "t", "r":
		r.Type = verify.Type(tr.Type)
	}
	// The server masks the name; the kiosk only cleans it and keeps it short.
	r.Holder = verify.Holder{Name: verify.Sanitize(tr.Holder.Name, 32), BirthYear: tr.Holder.BirthYear}
	if r.Holder.BirthYear < 1900 || r.Holder.BirthYear > 2100 {
		r.Holder.BirthYear = 0
	}
	r.ExpiresAt = tr.ExpiresAt
	r.Detail = map[verify.Reason]string{
		verify.ReasonOK:           "the authority accepted the code",
		verify.ReasonTokenUsed:    "the code was already used: ask for a new one",
		verify.ReasonTokenInvalid: "the authority does not know the code, or it expired",
	}[r.Reason]
	if r.Detail == "" {
		r.Detail = "the authority refused the code: " + said
	}
	return r
}
