package authority

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"munjigi/trustsrc"
)

// The key sources an authority publishes besides list/trust.json: the
// national backends' DSC lists and the VCI directory, as their publishers
// sign them, declared in list/sources.json. Every rebuild of the list
// converts each one again with trustsrc, so its signature is checked
// again; what verifies is kept in the store, and a source that stops
// verifying gives the list its last good content and is reported.

// SourcesFile is the declaration of the key sources, in list/.
const SourcesFile = "sources.json"

// Limits of the declaration.
const (
	maxSourcesFile = 64 << 10
	maxSources     = 16
)

// SourceSpec is one key source of list/sources.json. Paths are relative
// to list/ and inside it, so a change to any of them is a change of the
// list's sources (a new version when its content changes).
type SourceSpec struct {
	// Name names the source in the store, the logs and the reports:
	// lower-case letters, digits, '-', '_' and '.', at most 32.
	Name string `json:"name"`
	// Format is trustsrc's: de-dscg, vci-snapshot or dccg.
	Format trustsrc.Format `json:"format"`
	// File is the source as its publisher serves it.
	File string `json:"file"`
	// Key checks a de-dscg list (the backend's public key, PEM); Cert and
	// Sig a vci-snapshot (the directory's certificate and the detached
	// signature that comes with each snapshot).
	Key  string `json:"key,omitempty"`
	Cert string `json:"cert,omitempty"`
	Sig  string `json:"sig,omitempty"`
	// AllowUnsigned takes a dccg list, which has no signature of its
	// own: whoever puts it in list/ vouches for where it came from.
	AllowUnsigned bool `json:"allowUnsigned,omitempty"`
}

var sourceName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

// ErrSources is a list/sources.json that cannot be followed: the list's
// sources then make no new version, as a broken trust.json does not.
var ErrSources = errors.New("authority: list/sources.json")

// ParseSources reads and checks a declaration: every mistake found, each
// naming its source, so one edit fixes them all.
func ParseSources(data []byte) ([]SourceSpec, error) {
	if len(data) > maxSourcesFile {
		return nil, fmt.Errorf("%w: over %d KiB", ErrSources, maxSourcesFile>>10)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	// A misspelt member ("keyfile") would otherwise leave a source
	// unchecked with no word of why.
	dec.DisallowUnknownFields()
	var specs []SourceSpec
	if err := dec.Decode(&specs); err != nil {
		return nil, fmt.Errorf("%w: not a list of sources: %v", ErrSources, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the list", ErrSources)
	}
	if len(specs) > maxSources {
		return nil, fmt.Errorf("%w: %d sources; at most %d", ErrSources, len(specs), maxSources)
	}
	var problems []string
	seen := map[string]bool{}
	for i, s := range specs {
		name := fmt.Sprintf("sources[%d]", i)
		if s.Name != "" {
			name += fmt.Sprintf(" (%q)", s.Name)
		}
		bad := func(format string, args ...any) {
			problems = append(problems, name+": "+fmt.Sprintf(format, args...))
		}
		switch {
		case !sourceName.MatchString(s.Name):
			bad(`"name": 1 to 32 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit`)
		case seen[s.Name]:
			bad("a second source of this name")
		}
		seen[s.Name] = true
		if _, err := trustsrc.ParseFormat(string(s.Format)); err != nil {
			bad(`"format": %v`, err)
		}
		for _, f := range []struct{ member, path string }{{"file", s.File}, {"key", s.Key}, {"cert", s.Cert}, {"sig", s.Sig}} {
			if f.path == "" && f.member != "file" {
				continue
			}
			if why := badSourcePath(f.path); why != "" {
				bad("%q: %s", f.member, why)
			}
		}
		switch s.Format {
		case trustsrc.DEDSCG:
			if s.Key == "" || s.Cert != "" || s.Sig != "" || s.AllowUnsigned {
				bad(`a de-dscg list is checked with the backend's public key: "key", and no "cert", "sig" or "allowUnsigned"`)
			}
		case trustsrc.VCISnapshot:
			if s.Cert == "" || s.Sig == "" || s.Key != "" || s.AllowUnsigned {
				bad(`a vci-snapshot is checked with the directory's certificate and the snapshot's detached signature: "cert" and "sig", and no "key" or "allowUnsigned"`)
			}
		case trustsrc.DCCG:
			if !s.AllowUnsigned || s.Key != "" || s.Cert != "" || s.Sig != "" {
				bad(`a dccg list carries no signature: "allowUnsigned": true says you vouch for the file, and no "key", "cert" or "sig"`)
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrSources, strings.Join(problems, "; "))
	}
	return specs, nil
}

// badSourcePath says why a path cannot name a source's file, or "".
func badSourcePath(p string) string {
	switch {
	case p == "":
		return "required"
	case !filepath.IsLocal(p) || strings.Contains(p, `\`):
		return "a path inside list/ (relative, no '..')"
	case strings.IndexFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		// It is printed in the logs and at start.
		return "a path without control characters"
	}
	clean := filepath.ToSlash(filepath.Clean(p))
	switch {
	case clean == "trust.json" || clean == "valuesets.json" || clean == SourcesFile:
		return "list/" + clean + " is the list's own"
	case strings.HasPrefix(clean, "rules/"):
		return "list/rules/ holds the list's rules"
	}
	return ""
}

// SourceState is how a key source fared at the last rebuild.
type SourceState int

const (
	// SourceVerified: its signature verified; its content is the list's.
	SourceVerified SourceState = iota
	// SourceLastGood: it does not verify (or cannot be read); the list
	// keeps the content it had when it last verified.
	SourceLastGood
	// SourceLeftOut: it does not verify and never has: nothing of it is
	// in the list.
	SourceLeftOut
)

func (s SourceState) String() string {
	switch s {
	case SourceVerified:
		return "verified"
	case SourceLastGood:
		return "last-good"
	case SourceLeftOut:
		return "left-out"
	}
	return fmt.Sprintf("SourceState(%d)", int(s))
}

// SourceStatus is what the last rebuild made of one key source.
type SourceStatus struct {
	SourceSpec
	State SourceState
	// Err is why it did not verify (nil when it did).
	Err error
	// Report is the conversion's, when it verified.
	Report trustsrc.Report
	// Hash names the content in the list (hex SHA-256; "" when left out);
	// Size is its length. VerifiedAt is when that content was last
	// verified, by this server or another of the store.
	Hash       string
	Size       int
	VerifiedAt time.Time
}

// String is the status for a person: the serve command prints one line
// per source at start.
func (st SourceStatus) String() string {
	head := fmt.Sprintf("list source %s (%s, list/%s): ", st.Name, st.Format, st.File)
	switch st.State {
	case SourceVerified:
		r := st.Report
		what := fmt.Sprintf("%d document signers kept of %d entries (%d countries)", r.Kept, r.Read, r.Countries)
		if r.Format == trustsrc.VCISnapshot {
			what = fmt.Sprintf("%d issuers kept of %d (%d keys of %d)", r.IssuersKept, r.Issuers, r.Kept, r.Read)
		}
		return head + "verified: " + what + fmt.Sprintf("; %d skipped, %d normalised, %d warnings", len(r.Skipped), len(r.Normalised), len(r.Warnings))
	case SourceLastGood:
		return head + fmt.Sprintf("DOES NOT VERIFY (%v); the list keeps its last good content, verified %s", st.Err, st.VerifiedAt.UTC().Format(time.RFC3339))
	default:
		return head + fmt.Sprintf("DOES NOT VERIFY (%v) and never has: it is left out of the list", st.Err)
	}
}

// converted is a source that verified now: its content and when its
// files were last changed.
type converted struct {
	content []byte
	hash    string
	at      time.Time
}

// convertSource converts one source from the files under dir. Nothing
// is returned unless its signature verified and the whole of it was
// read (trustsrc's rule).
func convertSource(dir string, spec SourceSpec) (*converted, trustsrc.Report, error) {
	join := func(p string) string {
		if p == "" {
			return ""
		}
		return filepath.Join(dir, p)
	}
	out := &converted{}
	for _, p := range []string{spec.File, spec.Key, spec.Cert, spec.Sig} {
		if p == "" {
			continue
		}
		fi, err := os.Stat(join(p))
		if err != nil {
			return nil, trustsrc.Report{Format: spec.Format}, pathError(p, err)
		}
		if fi.ModTime().After(out.at) {
			out.at = fi.ModTime()
		}
	}
	v, err := trustsrc.ReadVerification(join(spec.Key), join(spec.Cert), join(spec.Sig), spec.AllowUnsigned)
	if err != nil {
		return nil, trustsrc.Report{Format: spec.Format}, err
	}
	f, err := os.Open(join(spec.File))
	if err != nil {
		return nil, trustsrc.Report{Format: spec.Format}, pathError(spec.File, err)
	}
	defer f.Close()
	content, rep, err := trustsrc.ConvertBytes(spec.Format, f, v)
	if err != nil {
		return nil, rep, fmt.Errorf("list/%s: %w", spec.File, err)
	}
	sum := sha256.Sum256(content)
	out.content, out.hash = content, hex.EncodeToString(sum[:])
	// As the stores keep times.
	out.at = out.at.UTC().Truncate(time.Microsecond)
	return out, rep, nil
}

// pathError names a file by its place in list/, not by the server's own
// path to it.
func pathError(rel string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("list/%s: %w", rel, err)
}
