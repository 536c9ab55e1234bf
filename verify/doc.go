// Package verify decides passes on the kiosk, offline: it reads a scanned
// payload, checks it against the keys and revocations the kiosk trusts, and
// returns a Result a screen and a log can use.
//
// The EU Digital COVID Certificate ("HC1:") is read through every stage of
// HCERT: base45 (RFC 9285), zlib, COSE_Sign1 (RFC 9052), CWT claims (RFC
// 8392) and the DCC payload. Each stage has a size cap, the CBOR decoder has
// limits on nesting, lengths and duplicate keys, and the signature algorithm
// is fixed by the trusted key, never chosen by the pass. Time is injected:
// the kiosk's clock may be wrong and tests pin it.
package verify
