package authority

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"munjigi/verify"
)

// A new version's keys are list/trust.json's, then each key source's in
// the order list/sources.json declares them, merged:
//
//   - Document signers: one entry per (kid, certificate). The same
//     certificate under the same kid from two places is one entry, the
//     first (its country with it). The same certificate under two kids
//     stays under both: a pass names its signer by kid, and each kid is
//     someone's. At most verify.MaxKeysPerKID certificates share a kid,
//     the first ones: a kiosk tries no more.
//   - SMART Health Card issuers: one entry per iss, exactly as written.
//     Keys by kid (a kid is its key's thumbprint, so one kid is one key:
//     the first listing is kept); the name first given. Two revocation
//     lists for one key are merged as trustsrc merges two in one
//     snapshot: revocation only grows, so the union of their rids with
//     the higher ctr; one that cannot be read (not of the rid method, a
//     ctr that is not a whole number, no rids) wins: the key's revocation
//     stays unknown, a check by hand, rather than half known.
//
// Everything else of trust.json (revoked, and members kiosks do not read)
// is the list's as it is; a source's content holds only dsc and shc.
//
// The document signers are written as they are read, one source at a
// time, so a national list is never held whole beside the list being
// signed; the issuers (a few hundred, under a MiB) are gathered first.

// mergeReport says what merging did.
type mergeReport struct {
	DSC           int // document signers written
	DSCDuplicates int // entries dropped as one already written
	DSCOverCap    int // dropped: more than verify.MaxKeysPerKID under one kid
	Issuers       int // SMART Health Card issuers written
	IssuersMerged int // of them, listed more than once and merged
	// Notes are the first few things a person should know, in words.
	Notes []string
}

const maxMergeNotes = 20

func (r *mergeReport) note(format string, args ...any) {
	if len(r.Notes) < maxMergeNotes {
		r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
	}
}

// dateMembers are what a version sets; trust.json's own are not used.
var dateMembers = []string{"version", "issuedAt", "expiresAt"}

// writeMerged writes a new version's payload to w: doc's members (from
// list/: trust.json's, rules, valueSets) and the version's dates, with
// dsc and shc merged with the key sources' content, each read through
// load when its turn comes. Members are in the order of their names.
func writeMerged(w io.Writer, doc, dates map[string]json.RawMessage, srcs []SourceStatus, load func(SourceStatus) ([]byte, error)) (mergeReport, error) {
	m := &merger{seen: map[string]string{}, perKID: map[string]int{}, issuers: map[string]*mergedIssuer{}}
	keys := []string{"dsc", "shc"}
	for k := range doc {
		if k != "dsc" && k != "shc" && !slices.Contains(dateMembers, k) {
			keys = append(keys, k)
		}
	}
	for k := range dates {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	o := newObjWriter(w)
	for _, k := range keys {
		o.key(k)
		var err error
		switch {
		case k == "dsc":
			err = m.writeDSC(o, doc, srcs, load)
		case k == "shc":
			err = m.writeSHC(o)
		case dates[k] != nil:
			err = o.raw(dates[k])
		default:
			err = o.compact(doc[k])
		}
		if err != nil {
			return m.rep, err
		}
	}
	return m.rep, o.end()
}

// writeDoc writes a payload whose members are written already (a list
// signed again), with the version's dates, in the order of their names.
func writeDoc(w io.Writer, doc, dates map[string]json.RawMessage) error {
	keys := make([]string, 0, len(doc)+len(dates))
	for k := range doc {
		if !slices.Contains(dateMembers, k) {
			keys = append(keys, k)
		}
	}
	for k := range dates {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	o := newObjWriter(w)
	for _, k := range keys {
		o.key(k)
		v := dates[k]
		if v == nil {
			v = doc[k]
		}
		if err := o.raw(v); err != nil {
			return err
		}
	}
	return o.end()
}

// objWriter writes a JSON object member by member.
type objWriter struct {
	w       *bufio.Writer
	n       int
	scratch bytes.Buffer
}

func newObjWriter(w io.Writer) *objWriter {
	o := &objWriter{w: bufio.NewWriterSize(w, 64<<10)}
	o.w.WriteByte('{')
	return o
}

func (o *objWriter) key(k string) {
	if o.n > 0 {
		o.w.WriteByte(',')
	}
	o.n++
	b, _ := json.Marshal(k)
	o.w.Write(b)
	o.w.WriteByte(':')
}

// raw writes JSON that is compact already; a write that fails (the list
// over its cap) stops the build.
func (o *objWriter) raw(b []byte) error {
	_, err := o.w.Write(b)
	return err
}

// compact writes JSON from a file, compacted (and so checked).
func (o *objWriter) compact(b []byte) error {
	o.scratch.Reset()
	if err := json.Compact(&o.scratch, b); err != nil {
		return err
	}
	return o.raw(o.scratch.Bytes())
}

func (o *objWriter) end() error {
	o.w.WriteByte('}')
	return o.w.Flush()
}

// merger merges the list's keys.
type merger struct {
	rep     mergeReport
	seen    map[string]string // kid ‖ the certificate's SHA-256 → where it was first
	perKID  map[string]int
	issuers map[string]*mergedIssuer
	order   []string // iss, first seen first
}

// mergedIssuer is one iss's entries, in order.
type mergedIssuer struct {
	raws []json.RawMessage
	from []string
}

// writeDSC writes the document signers: trust.json's, then each source's,
// gathering the issuers on the way (trust.json's first).
func (m *merger) writeDSC(o *objWriter, doc map[string]json.RawMessage, srcs []SourceStatus, load func(SourceStatus) ([]byte, error)) error {
	o.w.WriteByte('[')
	n := 0
	// trust.json may be written by hand, spread over lines; a source's
	// content is trustsrc's, an entry a line (and valid JSON either way,
	// read whole by the decoder): compacting 10,000 entries again would
	// cost a third of the merge.
	add := func(from string, compact bool) func(json.RawMessage) error {
		return func(raw json.RawMessage) error {
			if !m.keepDSC(raw, from) {
				return nil
			}
			if n > 0 {
				o.w.WriteByte(',')
			}
			n++
			if compact {
				return o.compact(raw)
			}
			return o.raw(raw)
		}
	}
	if err := m.readSHC(doc["shc"], "list/trust.json"); err != nil {
		return err
	}
	if raw := doc["dsc"]; raw != nil {
		if err := walkElems(json.NewDecoder(bytes.NewReader(raw)), add("list/trust.json", true)); err != nil {
			return fmt.Errorf("list/trust.json: dsc: %w", err)
		}
	}
	for _, src := range srcs {
		if src.Hash == "" {
			continue
		}
		data, err := load(src)
		if err != nil {
			return err
		}
		from := "source " + src.Name
		dec := json.NewDecoder(bytes.NewReader(data))
		err = walkMembers(dec, func(key string) error {
			switch key {
			case "dsc":
				return walkElems(dec, add(from, false))
			case "shc":
				return walkElems(dec, func(raw json.RawMessage) error { m.addIssuer(raw, from); return nil })
			}
			var skip json.RawMessage
			return dec.Decode(&skip)
		})
		if err != nil {
			return fmt.Errorf("%s: its kept content: %w", from, err)
		}
	}
	m.rep.DSC = n
	o.w.WriteByte(']')
	return nil
}

// keepDSC says whether a document signer is written: not one already
// written, nor one too many under its kid.
func (m *merger) keepDSC(raw json.RawMessage, from string) bool {
	var e struct {
		KID         string `json:"kid"`
		Certificate string `json:"certificate"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		// A kiosk refuses a whole list with an entry that is not one.
		m.rep.note("%s: a dsc entry that is not one is left out: %v", from, err)
		return false
	}
	der, err := base64.StdEncoding.DecodeString(e.Certificate)
	if err != nil || len(der) == 0 {
		m.rep.note("%s: a dsc entry whose certificate is not base64 is left out", from)
		return false
	}
	// The kid a kiosk files it under (verify.Trust.addEntry's rule).
	kid, err := base64.StdEncoding.DecodeString(e.KID)
	if err != nil || len(kid) == 0 {
		kid = verify.KeyID(der)
	}
	sum := sha256.Sum256(der)
	key := string(kid) + string(sum[:])
	if first, dup := m.seen[key]; dup {
		m.rep.DSCDuplicates++
		if first != from {
			m.rep.note("%s: a document signer (kid %s) that %s lists too: kept once", from, base64.StdEncoding.EncodeToString(kid), first)
		}
		return false
	}
	if m.perKID[string(kid)] >= verify.MaxKeysPerKID {
		m.rep.DSCOverCap++
		m.rep.note("%s: a document signer left out: %d certificates share its kid %s already, and a kiosk tries no more", from, verify.MaxKeysPerKID, base64.StdEncoding.EncodeToString(kid))
		return false
	}
	m.seen[key] = from
	m.perKID[string(kid)]++
	return true
}

// readSHC gathers trust.json's issuers.
func (m *merger) readSHC(raw json.RawMessage, from string) error {
	if raw == nil {
		return nil
	}
	err := walkElems(json.NewDecoder(bytes.NewReader(raw)), func(e json.RawMessage) error {
		m.addIssuer(e, from)
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: shc: %w", from, err)
	}
	return nil
}

func (m *merger) addIssuer(raw json.RawMessage, from string) {
	var e struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		m.rep.note("%s: an shc entry that is not one is left out: %v", from, err)
		return
	}
	is := m.issuers[e.Iss]
	if is == nil {
		is = &mergedIssuer{}
		m.issuers[e.Iss] = is
		m.order = append(m.order, e.Iss)
	}
	is.raws = append(is.raws, bytes.Clone(raw))
	is.from = append(is.from, from)
}

// writeSHC writes the issuers: one listed once as it is, one listed more
// than once merged.
func (m *merger) writeSHC(o *objWriter) error {
	o.w.WriteByte('[')
	for i, iss := range m.order {
		if i > 0 {
			o.w.WriteByte(',')
		}
		is := m.issuers[iss]
		if len(is.raws) == 1 {
			if err := o.compact(is.raws[0]); err != nil {
				return err
			}
			continue
		}
		m.rep.IssuersMerged++
		b, err := json.Marshal(m.mergeIssuer(iss, is))
		if err != nil {
			return err
		}
		if err := o.raw(b); err != nil {
			return err
		}
	}
	m.rep.Issuers = len(m.order)
	o.w.WriteByte(']')
	return nil
}

// outIssuer is a merged issuer, in munjigi's format.
type outIssuer struct {
	Iss  string `json:"iss"`
	Name string `json:"name,omitempty"`
	JWKS struct {
		Keys []json.RawMessage `json:"keys"`
	} `json:"jwks"`
	CRLs map[string]json.RawMessage `json:"crls,omitempty"`
}

func (m *merger) mergeIssuer(iss string, is *mergedIssuer) outIssuer {
	out := outIssuer{Iss: iss}
	out.JWKS.Keys = []json.RawMessage{}
	kids := map[string]bool{}
	crls := map[string][]json.RawMessage{}
	var crlKids []string
	for i, raw := range is.raws {
		var e struct {
			Name string `json:"name"`
			JWKS struct {
				Keys []json.RawMessage `json:"keys"`
			} `json:"jwks"`
			CRLs map[string]json.RawMessage `json:"crls"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			m.rep.note("%s: issuer %s: an entry that cannot be read is left out of the merge: %v", is.from[i], verify.Sanitize(iss, 100), err)
			continue
		}
		if out.Name == "" {
			out.Name = e.Name
		}
		for _, k := range e.JWKS.Keys {
			var kid struct {
				Kid string `json:"kid"`
			}
			json.Unmarshal(k, &kid)
			if kid.Kid != "" && kids[kid.Kid] {
				continue // the same key
			}
			kids[kid.Kid] = true
			out.JWKS.Keys = append(out.JWKS.Keys, compactJSON(k))
		}
		for _, kid := range slices.Sorted(maps.Keys(e.CRLs)) {
			if crls[kid] == nil {
				crlKids = append(crlKids, kid)
			}
			crls[kid] = append(crls[kid], e.CRLs[kid])
		}
	}
	if len(crlKids) > 0 {
		out.CRLs = map[string]json.RawMessage{}
	}
	for _, kid := range crlKids {
		out.CRLs[kid] = m.mergeCRLs(iss, kid, crls[kid])
	}
	return out
}

// crlIn is a revocation list as far as merging needs it.
type crlIn struct {
	Kid    string          `json:"kid"`
	Method string          `json:"method"`
	Ctr    json.RawMessage `json:"ctr"`
	Rids   *[]string       `json:"rids"`
}

// mergeCRLs merges the revocation lists given for one key.
func (m *merger) mergeCRLs(iss, kid string, raws []json.RawMessage) json.RawMessage {
	first := compactJSON(raws[0])
	var acc crlIn
	accOK := readCRL(first, kid, &acc)
	for _, raw := range raws[1:] {
		raw = compactJSON(raw)
		if bytes.Equal(raw, first) {
			continue
		}
		var c crlIn
		ok := readCRL(raw, kid, &c)
		switch {
		case !accOK:
			m.rep.note("issuer %s key %s: a revocation list that cannot be read is kept over another: the key's revocation stays unknown", verify.Sanitize(iss, 100), verify.Sanitize(kid, 48))
			return first
		case !ok:
			m.rep.note("issuer %s key %s: a second revocation list cannot be read, so the key's revocation is unknown", verify.Sanitize(iss, 100), verify.Sanitize(kid, 48))
			return raw
		}
		seen := map[string]bool{}
		var rids []string
		for _, r := range append(slices.Clone(*acc.Rids), *c.Rids...) {
			if !seen[r] {
				seen[r] = true
				rids = append(rids, r)
			}
		}
		if rids == nil {
			rids = []string{}
		}
		acc.Rids = &rids
		if ctrOf(c.Ctr) > ctrOf(acc.Ctr) {
			acc.Ctr = c.Ctr
		}
		first = nil // merged: written from acc
	}
	if first != nil {
		return first
	}
	b, _ := json.Marshal(acc)
	return b
}

// readCRL reads a revocation list as a kiosk must find it to use it:
// method rid, for this key, a ctr that is a whole number from 1, and a
// rids list. (The rids themselves are the kiosk's to judge: a bad one
// makes the merged list unreadable, and the key's revocation unknown.)
func readCRL(raw []byte, kid string, c *crlIn) bool {
	if json.Unmarshal(raw, c) != nil || c.Method != "rid" || c.Kid != kid || c.Rids == nil {
		return false
	}
	return ctrOf(c.Ctr) > 0
}

// ctrOf reads a ctr written as a plain whole number from 1, or 0.
func ctrOf(raw json.RawMessage) int64 {
	s := string(raw)
	if s == "" || s[0] < '1' || s[0] > '9' || len(s) > 9 || strings.Trim(s, "0123456789") != "" {
		return 0
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// walkMembers reads a JSON object, calling fn with each member's name;
// fn reads the member's value from dec.
func walkMembers(dec *json.Decoder, fn func(key string) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if err := fn(tok.(string)); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return err
}

// walkElems reads a JSON array (or null), handing each element to fn.
func walkElems(dec *json.Decoder, fn func(json.RawMessage) error) error {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return err
	}
	if tok != json.Delim('[') {
		return errors.New("not a list")
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := fn(raw); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return err
}
