package door

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"munjigi/config"
	"munjigi/gate"
	"munjigi/internal/words"
	"munjigi/store"
	"munjigi/upstream"
	"munjigi/verify"
)

// A Query asks for a report on the entry log: what a contact tracer or
// the venue's owner reads. Reports are answered by the running door when
// there is one (a tracer must never have to stop the door), else from the
// file.
type Query struct {
	Kind string // "export", "stats", "lookup" or "trust"
	// export: entries at or after Since and before Until (zero: open), as
	// "csv" or "jsonl".
	Since, Until time.Time
	Format       string
	// stats: the day that holds Day (in the venue's time zone).
	Day time.Time
	// lookup: a pass identifier.
	PassID string
	// Lang is the language of a report for a person (stats); what
	// machines read (export) has none.
	Lang words.Lang
}

// ErrNotSeen is a lookup's answer when the pass was not here.
var ErrNotSeen = errors.New("door: not seen here (within the retention period)")

// SocketPath is where a running door answers reports for the database at
// dbPath: beside it, in the folder only its user can enter.
func SocketPath(dbPath string) string { return dbPath + ".sock" }

// Report writes the report q asks for to w: from the door running on the
// configured database, over its socket, or from the file when no door
// runs.
func Report(cfg *config.Config, q Query, w io.Writer) error {
	err := askDoor(cfg.Store.Path, q, w)
	if !errors.Is(err, errNoDoor) {
		return err
	}
	if _, serr := os.Stat(cfg.Store.Path); serr != nil {
		return serr // it names the file, and words.Say tells it
	}
	// Check it first, as the door would: a damaged file can crash its
	// reader.
	if err := CheckInChild(cfg.Store.Path); err != nil {
		if errors.Is(err, store.ErrLocked) {
			return inUse(cfg.Store.Path)
		}
		return fmt.Errorf("%s: %w", cfg.Store.Path, err)
	}
	db, err := store.Open(cfg.Store.Path, store.Options{ReadOnly: true})
	if errors.Is(err, store.ErrLocked) {
		return inUse(cfg.Store.Path)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	r := reporter{db: db, cfg: cfg, trust: func() (InForce, upstream.SyncState, error) {
		return ReadTrust(cfg, db)
	}, clock: func() gate.Clock {
		g, err := gate.New(gate.Config{Verifier: verify.New(verify.NewTrust(), time.Now), DB: db, Now: time.Now, Location: cfg.Location})
		if err != nil {
			return gate.Clock{Reason: err.Error()}
		}
		return g.ClockState()
	}}
	return r.run(q, w)
}

// reporter writes reports from an open database, and says what is
// trusted.
type reporter struct {
	db    *store.DB
	cfg   *config.Config
	trust func() (InForce, upstream.SyncState, error)
	clock func() gate.Clock
	door  bool // a running door answers
}

// Inspection is how a door stands, for 'munjigi doctor': from the running
// door when there is one, else from the file.
type Inspection struct {
	Running   bool // a door runs on the database and answered
	Pid       int
	Entries   int
	Outbox    int
	Clock     gate.Clock
	Keys      int
	Version   int64 // the signed list in force; 0 for none
	IssuedAt  time.Time
	ExpiresAt time.Time
	TrustErr  string // why the stored signed list is not in force
}

func (r reporter) status(w io.Writer) error {
	n, err := r.db.Count()
	if err != nil {
		return err
	}
	out, err := r.db.Outbox(1 << 20)
	if err != nil {
		return err
	}
	in, _, terr := r.trust()
	ins := Inspection{Running: r.door, Pid: os.Getpid(), Entries: n, Outbox: len(out), Keys: in.Keys(), Version: in.Signed.Version,
		IssuedAt: in.IssuedAt(), ExpiresAt: in.ExpiresAt()}
	if terr != nil {
		ins.TrustErr = terr.Error()
	}
	if r.clock != nil {
		ins.Clock = r.clock()
	}
	return json.NewEncoder(w).Encode(ins)
}

// Inspect says how the door on the configured database stands (nil with
// no error when there is no database yet).
func Inspect(cfg *config.Config) (*Inspection, error) {
	var buf bytes.Buffer
	if err := Report(cfg, Query{Kind: "status"}, &buf); err != nil {
		return nil, err
	}
	var ins Inspection
	if err := json.Unmarshal(buf.Bytes(), &ins); err != nil {
		return nil, fmt.Errorf("the door's status: %w", err)
	}
	return &ins, nil
}

func (r reporter) run(q Query, w io.Writer) error {
	loc := r.cfg.Location
	switch q.Kind {
	case "export":
		return export(r.db, loc, q, w)
	case "stats":
		return stats(r.db, loc, q.Day, q.Lang, w)
	case "lookup":
		return lookup(r.db, loc, q.PassID, w)
	case "trust":
		in, st, err := r.trust()
		if err != nil {
			return err
		}
		return DescribeTrust(w, r.cfg, in, st, time.Now())
	case "status":
		return r.status(w)
	}
	return fmt.Errorf("door: no report %q", q.Kind)
}

// export writes the entry log for a contact tracer: one record per entry,
// with its seq, at the venue's time, and no personal data (not even the
// pass hashes, which would link visits across exports; lookup answers for
// one pass).
func export(db *store.DB, loc *time.Location, q Query, w io.Writer) error {
	var write func(store.Entry) error
	var flush func() error
	switch q.Format {
	case "csv", "":
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"seq", "at", "clock_trusted", "verdict", "method", "format", "type", "reason", "staff", "note", "resolves"}); err != nil {
			return err
		}
		write = func(e store.Entry) error {
			resolves := ""
			if e.Resolves != 0 {
				resolves = strconv.FormatUint(e.Resolves, 10)
			}
			return cw.Write([]string{strconv.FormatUint(e.Seq, 10), e.At.In(loc).Format(time.RFC3339Nano), strconv.FormatBool(e.ClockTrusted),
				cell(e.Verdict), cell(e.Method), cell(e.Format), cell(e.Type), cell(e.Reason), cell(e.Staff), cell(e.Note), resolves})
		}
		flush = func() error { cw.Flush(); return cw.Error() }
	case "jsonl":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		write = func(e store.Entry) error { e.At = e.At.In(loc); return enc.Encode(e) }
		flush = func() error { return nil }
	default:
		return fmt.Errorf("--format %q: csv or jsonl", q.Format)
	}
	err := db.Entries(0, func(e store.Entry) (bool, error) {
		if (!q.Since.IsZero() && e.At.Before(q.Since)) || (!q.Until.IsZero() && !e.At.Before(q.Until)) {
			return true, nil
		}
		return true, write(e)
	})
	if err != nil {
		return err
	}
	return flush()
}

// cell keeps a spreadsheet from reading text as a formula: a field that
// starts with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe (the OWASP advice for CSV injection). Every field is data from
// a file or a server, never trusted to be harmless.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// stats writes a day's visitors in lang: by hour, by verdict and by how
// they were settled. Codes munjigi does not know are written as they are.
func stats(db *store.DB, loc *time.Location, day time.Time, lang words.Lang, w io.Writer) error {
	d, err := db.DayOf(day.In(loc))
	if err != nil {
		return err
	}
	fmt.Fprintln(w, words.Tell(lang, words.StatsDay, d.Start.Format(time.DateOnly), d.Total))
	for h, n := range d.Hours {
		if n > 0 {
			fmt.Fprintf(w, "  %02d:00  %5d\n", h, n)
		}
	}
	row := func(name string, n int) { fmt.Fprintf(w, "  %s %5d\n", words.Pad(name, 16), n) }
	for _, m := range []map[string]int{d.Verdicts, d.Methods} {
		keys := make([]string, 0, len(m))
		for k, n := range m {
			if n != 0 {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			name := k
			if key, ok := codeWords[k]; ok {
				name = words.Tell(lang, key)
			}
			row(name, m[k])
		}
	}
	if d.Misreads > 0 {
		row(words.Tell(lang, words.StatsMisreads), d.Misreads)
	}
	return nil
}

// codeWords are the verdicts and methods the log records, as stats says
// them (in English, the codes themselves).
var codeWords = map[string]words.Key{
	string(verify.Pass): words.VerdictPass, string(verify.Fail): words.VerdictFail, string(verify.Manual): words.VerdictManual,
	string(gate.MethodQR): words.MethodQR, string(gate.MethodManualSticker): words.MethodSticker,
	string(gate.MethodManualSMS): words.MethodSMS, string(gate.MethodManualPaper): words.MethodPaper,
	string(gate.MethodExemption): words.MethodExempt, string(gate.MethodOverride): words.MethodOverride,
	string(gate.MethodUnresolved): words.MethodUnsettled, store.MethodGap: words.MethodGap,
}

// lookup answers a contact tracer who brings a pass identifier (a DCC's
// UVCI, a health card's issuer#rid): was it here, and when. The kiosk
// hashes it with its own secret; the identifier itself was never stored.
func lookup(db *store.DB, loc *time.Location, id string, w io.Writer) error {
	hash := db.HashPassID(id)
	found := 0
	err := db.Entries(0, func(e store.Entry) (bool, error) {
		if bytes.Equal(e.PassHash, hash) {
			found++
			fmt.Fprintf(w, "%s  seq %d  %s  %s %s\n", e.At.In(loc).Format(time.RFC3339), e.Seq, e.Verdict, e.Method, e.Reason)
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	if found == 0 {
		return ErrNotSeen
	}
	return nil
}

// trailerError carries an error found half way through a streamed report.
const trailerError = "Munjigi-Error"

// errNoDoor: no door answers on the socket.
var errNoDoor = errors.New("door: no door is running on this database")

// askDoor asks the running door for a report.
func askDoor(dbPath string, q Query, w io.Writer) error {
	sock := SocketPath(dbPath)
	if _, err := os.Stat(sock); err != nil {
		return errNoDoor
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	v := url.Values{"format": {q.Format}, "id": {q.PassID}, "lang": {string(q.Lang)}}
	for name, t := range map[string]time.Time{"since": q.Since, "until": q.Until, "day": q.Day} {
		if !t.IsZero() {
			v.Set(name, t.Format(time.RFC3339Nano))
		}
	}
	resp, err := hc.Get("http://door/" + q.Kind + "?" + v.Encode())
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && (errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)) {
			return errNoDoor // a socket left by a door that is gone
		}
		return fmt.Errorf("asking the running door: %w", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		if _, err := io.Copy(w, resp.Body); err != nil {
			return err
		}
		if msg := resp.Trailer.Get(trailerError); msg != "" {
			return fmt.Errorf("the running door: %s", msg)
		}
		return nil
	case http.StatusNotFound:
		io.Copy(w, resp.Body)
		return ErrNotSeen
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return fmt.Errorf("the running door: %s", strings.TrimSpace(string(msg)))
}

// reportServer answers reports on a unix socket that only the door's user
// (and root) may use: the socket is 0600 in the database's 0700 folder,
// and every caller's credentials are checked.
type reportServer struct {
	ln   net.Listener
	path string
	srv  *http.Server
}

func listenReports(d *Door) (*reportServer, error) {
	path := SocketPath(d.cfg.Store.Path)
	if len(path) > 100 { // sun_path holds 108 bytes
		return nil, fmt.Errorf("%s: too long a path for a socket", path)
	}
	// The door holds the database's lock, so a socket here is one a door
	// that died left behind.
	os.Remove(path)
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	rep := reporter{db: d.db, cfg: d.cfg, trust: func() (InForce, upstream.SyncState, error) {
		var st upstream.SyncState
		d.mu.Lock()
		if d.syncer != nil {
			st = d.syncer.State()
		}
		d.mu.Unlock()
		return d.trust.InForce(), st, nil
	}, clock: d.gate.ClockState, door: true}
	mux.HandleFunc("/{kind}", func(w http.ResponseWriter, r *http.Request) {
		q := Query{Kind: r.PathValue("kind"), Format: r.FormValue("format"), PassID: r.FormValue("id")}
		q.Lang, _ = words.Parse(r.FormValue("lang"))
		for name, t := range map[string]*time.Time{"since": &q.Since, "until": &q.Until, "day": &q.Day} {
			if v := r.FormValue(name); v != "" {
				var err error
				if *t, err = time.Parse(time.RFC3339Nano, v); err != nil {
					http.Error(w, name+": "+err.Error(), http.StatusBadRequest)
					return
				}
			}
		}
		if q.Kind != "export" {
			// Small reports are built whole, so an error can still be
			// told apart from a report.
			var buf bytes.Buffer
			err := rep.run(q, &buf)
			switch {
			case errors.Is(err, ErrNotSeen):
				w.WriteHeader(http.StatusNotFound)
			case err != nil:
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Write(buf.Bytes())
			return
		}
		// An export may be a month of entries: it streams (a Pi has no
		// memory for it), and an error on the way comes as a trailer.
		w.Header().Set("Trailer", trailerError)
		if err := rep.run(q, w); err != nil {
			w.Header().Set(trailerError, err.Error())
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return &reportServer{ln: peerChecked{ln}, path: path, srv: srv}, nil
}

func (s *reportServer) serve(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		s.srv.Close()
	}()
	if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("reports: %w", err)
	}
	return nil
}

func (s *reportServer) close() {
	s.srv.Close()
	s.ln.Close()
	os.Remove(s.path)
}

// peerChecked accepts only callers running as the door's user or root.
type peerChecked struct{ net.Listener }

func (l peerChecked) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if uc, ok := c.(*net.UnixConn); ok {
			if raw, err := uc.SyscallConn(); err == nil {
				var cred *syscall.Ucred
				var cerr error
				raw.Control(func(fd uintptr) {
					cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
				})
				if cerr == nil && (cred.Uid == uint32(os.Getuid()) || cred.Uid == 0) {
					return c, nil
				}
			}
		}
		c.Close()
	}
}
