package trustsrc

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"munjigi/verify"
)

// The VCI directory snapshot: {"directory", "time", "issuerInfo": [{"issuer":
// {"iss", "name", "website"}, "keys": [JWK...], "crls": [{"kid", "method",
// "ctr", "rids"}], "lastRetrieved"}]}, signed by a detached DER ECDSA
// signature (SHA-512) over the file's bytes.

// convertVCI checks the snapshot's detached signature over all its bytes,
// and only then reads the issuers.
func convertVCI(src io.Reader, v Verification, rep *Report) (*bytes.Buffer, error) {
	if v.Key != nil {
		return nil, fmt.Errorf("%w: a vci-snapshot is checked with the directory's certificate (--cert) and detached signature (--sig), not a key", ErrKey)
	}
	if v.Cert == nil || len(v.Sig) == 0 {
		return nil, fmt.Errorf("%w: a vci-snapshot is checked with the directory's certificate (--cert) and the detached signature (--sig)", ErrKey)
	}
	pub, ok := v.Cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: the certificate holds a %T key; the directory signs with ECDSA", ErrKey, v.Cert.PublicKey)
	}
	h := sha512.New()
	sp := newSpool(v.maxSize(), v.sizeHint)
	defer sp.Close()
	if _, err := io.Copy(io.MultiWriter(h, sp), src); err != nil {
		return nil, err
	}
	if !ecdsa.VerifyASN1(pub, h.Sum(nil), v.Sig) {
		hint := ""
		if v.Sig[0] != 0x30 {
			hint = "; the signature file is not DER (an ECDSA signature starts with a SEQUENCE, 0x30)"
		}
		return nil, fmt.Errorf("%w: not signed by the certificate %q (%s) (a changed, truncated or forged snapshot, or the wrong certificate or signature)%s",
			ErrSignature, verify.Sanitize(v.Cert.Subject.String(), 80), keyName(pub), hint)
	}
	rep.Verified = fmt.Sprintf("signature verified (ECDSA %s, SHA-512) by the certificate %q (%s)", curveName(pub), verify.Sanitize(v.Cert.Subject.String(), 80), keyName(pub))

	body := sp.Reader()
	vw := &vciWriter{rep: rep, byIss: map[string]*outIssuer{}}
	var directory, stamp string
	dec := json.NewDecoder(body)
	found, err := walkObject(dec, "the snapshot", "issuerInfo", vw.add, func(key string, raw json.RawMessage) {
		switch key {
		case "directory":
			_ = json.Unmarshal(raw, &directory)
		case "time":
			_ = json.Unmarshal(raw, &stamp)
		}
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: no \"issuerInfo\" list", ErrMalformed)
	}
	if err := atEnd(dec); err != nil {
		return nil, err
	}
	var issued time.Time
	if stamp != "" {
		t, err := verify.ParseTime(stamp)
		if err != nil {
			rep.warn("the snapshot", "its time %q cannot be read; the list carries no issue date", verify.Sanitize(stamp, 40))
		} else {
			issued = t.UTC()
			// A signature made outside its certificate's validity is not
			// the directory's word, whatever the mathematics says.
			if issued.Before(v.Cert.NotBefore) || issued.After(v.Cert.NotAfter) {
				return nil, fmt.Errorf("%w: the snapshot is dated %s, outside its certificate's validity (%s to %s)",
					ErrSignature, issued.Format(time.RFC3339), v.Cert.NotBefore.UTC().Format(time.RFC3339), v.Cert.NotAfter.UTC().Format(time.RFC3339))
			}
		}
	}
	return vw.finish(directory, issued), nil
}

// vciIssuerInfo is one issuer of the snapshot.
type vciIssuerInfo struct {
	Issuer struct {
		Iss  string `json:"iss"`
		Name string `json:"name"`
	} `json:"issuer"`
	Keys []json.RawMessage `json:"keys"`
	CRLs []json.RawMessage `json:"crls"`
}

// outIssuer is an issuer as munjigi's trust list writes it, while it is
// being built (an issuer listed twice is merged).
type outIssuer struct {
	label  string
	iss    string
	listed int // keys the directory lists for it
	name   string
	keys   []outJWK
	kids   map[string]bool // kept keys
	other  map[string]bool // keys listed but not kept
	crls   map[string]*crlState
	// orphans are revocation lists that name no key: they are given to
	// every kept key without a list of its own.
	orphans []json.RawMessage
}

// vciWriter gathers the issuers as they are read. The issuers are held
// until the end (an issuer may be listed twice, and its lists may come
// before its keys are known to be sound); they are a fraction of the
// source's size.
type vciWriter struct {
	rep     *Report
	issuers []*outIssuer
	byIss   map[string]*outIssuer
}

func (vw *vciWriter) add(i int, raw json.RawMessage) {
	vw.rep.Issuers++
	name := fmt.Sprintf("issuerInfo[%d]", i)
	var info vciIssuerInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		vw.rep.skip(name, "not an issuer entry: %v", err)
		return
	}
	iss := info.Issuer.Iss
	name += " (" + verify.Sanitize(iss, 100) + ")"
	vw.rep.Read += len(info.Keys)
	// Cards name their issuer exactly; the kiosk compares iss byte for
	// byte, so it is neither trimmed nor mended here.
	if !strings.HasPrefix(iss, "https://") || len(iss) == len("https://") || strings.ContainsAny(iss, " \t\r\n") {
		vw.rep.skip(name, "iss %q is not an https URL; its %d keys are not used", verify.Sanitize(iss, 100), len(info.Keys))
		return
	}
	is := vw.byIss[iss]
	if is == nil {
		is = &outIssuer{label: name, iss: iss, name: info.Issuer.Name, kids: map[string]bool{}, other: map[string]bool{}, crls: map[string]*crlState{}}
		vw.byIss[iss] = is
		vw.issuers = append(vw.issuers, is)
	} else {
		vw.rep.normalise(name, "the same issuer as %s: keys and revocation lists merged", is.label)
	}
	is.listed += len(info.Keys)
	for j, rawKey := range info.Keys {
		kname := fmt.Sprintf("%s key %d", name, j)
		k, skip := readJWK(rawKey, vw.rep, kname)
		if skip != "" {
			vw.rep.skip(kname, "%s", skip)
			if k.Kid != "" {
				is.other[k.Kid] = true
			}
			continue
		}
		if is.kids[k.Kid] {
			vw.rep.skip(kname, "key %s is listed twice", verify.Sanitize(k.Kid, 48))
			continue
		}
		is.kids[k.Kid] = true
		is.keys = append(is.keys, k)
		vw.rep.Kept++
	}
	for j, rawCRL := range info.CRLs {
		cname := fmt.Sprintf("%s revocation list %d", name, j)
		c := readCRL(rawCRL, vw.rep, cname)
		if c.kid == "" {
			vw.rep.warn(cname, "names no key (%s); it is given as published to every key of the issuer without a list of its own, so their cards' revocation is unknown (a manual check), never assumed clean", c.issue)
			is.orphans = append(is.orphans, rawCRL)
			continue
		}
		if old := is.crls[c.kid]; old != nil {
			is.crls[c.kid] = mergeCRL(old, c, vw.rep, cname)
			continue
		}
		is.crls[c.kid] = c
	}
}

// finish checks each kept key against its revocation list and writes the
// trust list.
func (vw *vciWriter) finish(directory string, issued time.Time) *bytes.Buffer {
	var b bytes.Buffer
	b.WriteString(`{"source":`)
	src, _ := json.Marshal(struct {
		Format    Format `json:"format"`
		Directory string `json:"directory,omitempty"`
	}{VCISnapshot, directory})
	b.Write(src)
	if !issued.IsZero() {
		fmt.Fprintf(&b, ",\n\"issuedAt\":%q", issued.Format(time.RFC3339))
	}
	b.WriteString(",\n\"shc\":[")
	n := 0
	for _, is := range vw.issuers {
		if len(is.keys) == 0 {
			if is.listed == 0 {
				vw.rep.skip(is.label, "the directory lists no key for it")
			} else {
				vw.rep.skip(is.label, "none of its %d keys can check a card (see them above)", is.listed)
			}
			continue
		}
		crls := map[string]json.RawMessage{}
		for _, kid := range sortedKeys(is.crls) {
			c := is.crls[kid]
			if !is.kids[kid] {
				if !is.other[kid] {
					vw.rep.warn(is.label, "a revocation list for key %s, which the issuer does not list: not needed", verify.Sanitize(kid, 48))
				}
				continue
			}
			crls[kid] = c.encode()
		}
		for _, k := range is.keys {
			if _, ok := crls[k.Kid]; !ok && len(is.orphans) > 0 {
				crls[k.Kid] = is.orphans[0]
			}
			checkCRLVersion(k, is.crls[k.Kid], vw.rep, is.label)
		}
		vw.rep.CRLs += len(crls)
		entry, _ := json.Marshal(struct {
			Iss  string `json:"iss"`
			Name string `json:"name,omitempty"`
			JWKS struct {
				Keys []outJWK `json:"keys"`
			} `json:"jwks"`
			CRLs map[string]json.RawMessage `json:"crls,omitempty"`
		}{Iss: is.iss, Name: verify.Sanitize(is.name, 120), JWKS: struct {
			Keys []outJWK `json:"keys"`
		}{is.keys}, CRLs: crls})
		if n > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n")
		b.Write(entry)
		n++
	}
	vw.rep.IssuersKept = n
	b.WriteString("\n]}\n")
	return &b
}

// checkCRLVersion notes a key whose crlVersion says a newer revocation list
// exists than the one the directory holds: a kiosk cannot vouch for those
// cards' revocation.
func checkCRLVersion(k outJWK, c *crlState, rep *Report, label string) {
	if k.crlVersion == 0 {
		return
	}
	switch {
	case c == nil:
		rep.warn(label, "key %s has crlVersion %d but the directory holds no revocation list for it", verify.Sanitize(k.Kid, 48), k.crlVersion)
	case c.raw == nil && c.ctr < k.crlVersion:
		rep.warn(label, "key %s has crlVersion %d but its revocation list is at ctr %d (stale)", verify.Sanitize(k.Kid, 48), k.crlVersion, c.ctr)
	}
}
