// Package upstream is the kiosk's side of the authority's server
// (docs/upstream.md; the server is package authority): a one-time token
// check inside a strict time budget, a signed trust-list sync, and entry
// upload. The protocol's types live here, with the kiosks that depend on
// them; the server imports them. It is written to be indifferent to the server's
// failure and polite to it: every call has a deadline, token checks stop at
// once while a circuit breaker is open, background work backs off with full
// jitter, and Retry-After is obeyed. Signed passes never come here.
package upstream

import (
	"time"
)

// The protocol's paths (version 1).
const (
	PathTokenVerify = "/v1/tokens/verify"
	PathTokenMint   = "/v1/tokens" // demo tokens, with the minting credential
	PathTrustList   = "/v1/trustlist"
	PathEntries     = "/v1/entries"
	PathTrustKey    = "/v1/trustkey"

	// HeaderKiosk names the kiosk; HeaderIdempotency makes an upload safe
	// to repeat.
	HeaderKiosk       = "Munjigi-Kiosk"
	HeaderIdempotency = "Idempotency-Key"

	// MediaTrustList is the signed trust list: a JWS compact serialization
	// (ES256) of the list's JSON.
	MediaTrustList = "application/jose"
)

// Caps on what the kiosk reads back, by call.
const (
	maxTokenReply  = 16 << 10
	maxUploadReply = 1 << 20
	// MaxTrustList is the largest signed trust list accepted: 10,000
	// document signer certificates fit in about 16 MiB of JWS.
	MaxTrustList = 32 << 20
)

// TokenRequest asks the authority about a one-time token.
type TokenRequest struct {
	Token string `json:"token"`
}

// TokenReply is the authority's word on a token.
type TokenReply struct {
	Verdict string `json:"verdict"` // pass, fail or manual
	Reason  string `json:"reason"`  // ok, token-used, token-invalid, or the authority's own
	Type    string `json:"type,omitempty"`
	Holder  struct {
		Name      string `json:"name,omitempty"` // masked by the server
		BirthYear int    `json:"birthYear,omitempty"`
	} `json:"holder"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

// Entry is one entry as uploaded: no pass hash, no names; the authority
// learns when the venue admitted whom by what kind of check, not who.
type Entry struct {
	Seq          uint64    `json:"seq"`
	At           time.Time `json:"at"`
	ClockTrusted bool      `json:"clockTrusted"`
	Verdict      string    `json:"verdict"`
	Method       string    `json:"method"`
	Format       string    `json:"format,omitempty"`
	Type         string    `json:"type,omitempty"`
	Reason       string    `json:"reason,omitempty"`
}

// EntryBatch is an upload.
type EntryBatch struct {
	Kiosk string `json:"kiosk"`
	// Epoch names the kiosk's log (store.DB.Epoch): a replaced database
	// starts at seq 1 again under a new epoch. The server keys entries by
	// (kiosk, epoch, seq); a batch without one (a kiosk from before
	// epochs) is filed under the empty epoch.
	Epoch   string  `json:"epoch,omitempty"`
	Entries []Entry `json:"entries"`
}

// MaxEpoch is the longest epoch a server takes; an epoch is made of
// letters, digits and '-' (the kiosk's are 32 hex digits).
const MaxEpoch = 64

// ValidEpoch reports whether e may name a log.
func ValidEpoch(e string) bool {
	if len(e) > MaxEpoch {
		return false
	}
	for _, c := range []byte(e) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// EntryReply lists what the server holds of a batch: stored now, or held
// already from an earlier attempt. Only those leave the kiosk's outbox.
type EntryReply struct {
	Stored    []uint64 `json:"stored"`
	Duplicate []uint64 `json:"duplicate"`
}

// MintRequest asks the reference server for a demo token.
type MintRequest struct {
	Verdict   string `json:"verdict,omitempty"` // default pass
	Type      string `json:"type,omitempty"`    // default v
	Name      string `json:"name,omitempty"`    // masked before it is stored
	BirthYear int    `json:"birthYear,omitempty"`
}

// MintReply is a new demo token.
type MintReply struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}
