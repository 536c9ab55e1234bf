package authority

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"munjigi/verify"
)

// sources is what a server's list/ folder holds: trust.json (a munjigi
// trust list), rules/*.json (rule.json files) and valuesets.json.
type sources struct {
	stat string    // names, sizes and times: cheap to take, to notice a change
	hash string    // the content: the same on every server with the same files
	at   time.Time // the newest file or folder (a folder's time moves when a file goes)
	doc  map[string]json.RawMessage
	err  error // why the files do not make a list

	// The key sources list/sources.json declares, and what this rebuild
	// made of each (set by the server: it takes the store).
	specs []SourceSpec
	keys  []SourceStatus
}

// size is about how long the payload of these sources is: what the
// signed list is allocated for.
func (src *sources) size() int {
	n := 256
	for _, v := range src.doc {
		n += len(v)
	}
	for _, k := range src.keys {
		n += k.Size
	}
	return n
}

// statSources names the files under dir as they are now, without reading
// them.
func statSources(dir string) (string, error) {
	var parts []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%s:%d:%d", path, fi.Size(), fi.ModTime().UnixNano()))
		return nil
	})
	sort.Strings(parts)
	return strings.Join(parts, "|"), err
}

// readSources reads dir and makes the list's content of it: the document
// without its version and dates, and a hash of the files' names and bytes.
func readSources(dir, stat string) *sources {
	s := &sources{stat: stat, doc: map[string]json.RawMessage{}}
	h := sha256.New()
	var files []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.ModTime().After(s.at) {
			s.at = fi.ModTime()
		}
		if !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	read := func(rel string) ([]byte, bool) {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && s.err == nil {
				s.err = err
			}
			return nil, false
		}
		fmt.Fprintf(h, "%s\x00%d\x00", rel, len(data))
		h.Write(data)
		return data, true
	}
	if data, ok := read("trust.json"); ok {
		if err := json.Unmarshal(data, &s.doc); err != nil {
			s.err = fmt.Errorf("list/trust.json: %w", err)
		} else if err := verify.NewTrust().AddList(data); err != nil {
			s.err = fmt.Errorf("list/trust.json: %w", err)
		}
	}
	rules := []json.RawMessage{}
	for _, p := range files {
		rel, _ := filepath.Rel(dir, p)
		if filepath.Dir(rel) != "rules" || filepath.Ext(rel) != ".json" {
			continue
		}
		if data, ok := read(rel); ok {
			if !json.Valid(data) {
				s.err = fmt.Errorf("list/%s is not JSON", rel)
			}
			rules = append(rules, json.RawMessage(data))
		}
	}
	s.doc["rules"], _ = json.Marshal(rules)
	if data, ok := read("valuesets.json"); ok {
		if !json.Valid(data) {
			s.err = fmt.Errorf("list/valuesets.json is not JSON")
		}
		s.doc["valueSets"] = json.RawMessage(data)
	}
	if data, err := os.ReadFile(filepath.Join(dir, SourcesFile)); err == nil {
		if s.specs, err = ParseSources(data); err != nil && s.err == nil {
			s.err = err
		}
	} else if !errors.Is(err, fs.ErrNotExist) && s.err == nil {
		s.err = err
	}
	s.hash = hex.EncodeToString(h.Sum(nil))
	// As a database keeps it, so that the same files compare equal.
	s.at = s.at.UTC().Truncate(time.Microsecond)
	return s
}

// signList makes a version of the list: the payload write writes, with
// the version's dates, signed as it is written. sizeHint is about how
// long the payload is.
func signList(write func(w io.Writer, dates map[string]json.RawMessage) error, sizeHint int, key *ecdsa.PrivateKey, version int64, now time.Time, ttl time.Duration) (*List, error) {
	l := &List{Version: version, IssuedAt: now.UTC().Truncate(time.Second), ExpiresAt: now.Add(ttl).UTC().Truncate(time.Second)}
	dates := map[string]json.RawMessage{}
	dates["version"], _ = json.Marshal(version)
	dates["issuedAt"], _ = json.Marshal(l.IssuedAt.Format(time.RFC3339))
	dates["expiresAt"], _ = json.Marshal(l.ExpiresAt.Format(time.RFC3339))
	j := newJWS(sizeHint)
	if err := write(j, dates); err != nil {
		return nil, err
	}
	var err error
	if l.Signed, err = j.Sign(key); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(l.Signed)
	l.ETag = fmt.Sprintf(`"v%d-%s"`, version, hex.EncodeToString(sum[:6]))
	return l, nil
}

// listDoc reads the document back out of a signed list (its JWS payload),
// to sign the same content again with new dates.
func listDoc(signed []byte) (map[string]json.RawMessage, error) {
	parts := bytes.Split(signed, []byte("."))
	if len(parts) != 3 {
		return nil, errors.New("the stored list is not a JWS")
	}
	body, err := base64.RawURLEncoding.DecodeString(string(parts[1]))
	if err != nil {
		return nil, fmt.Errorf("the stored list's payload: %w", err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("the stored list's payload: %w", err)
	}
	return doc, nil
}
