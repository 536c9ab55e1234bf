package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"munjigi/store"
	"munjigi/verify"
)

// cmdDB holds the database's maintenance commands. 'db check' is also what
// the kiosk runs in a child process before it opens the file.
func cmdDB(args []string, stdout, stderr io.Writer) int {
	if len(args) < 1 || args[0] != "check" {
		fmt.Fprintln(stderr, "Usage: munjigi db check [FILE] [--config FILE]\n\nChecks a database file (by default the configured one); exit status 0 when\nit is sound, 1 when it is damaged.")
		return exitUsage
	}
	var path string
	rest := args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		path, rest = rest[0], rest[1:]
	}
	fs := newFlags("db check", stderr)
	configPath := fs.String("config", "", "read settings from `FILE` (store.path)")
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	if path == "" {
		cfg, err := loadConfig(findConfig(*configPath))
		if err != nil {
			fmt.Fprintf(stderr, "munjigi db check: %v\n", err)
			return exitUsage
		}
		path = cfg.Store.Path
	}
	if err := store.Check(path); err != nil {
		fmt.Fprintf(stdout, "damaged: %v\n", err)
		return exitNotPass
	}
	fmt.Fprintln(stdout, "ok")
	return exitOK
}

// openForReading opens the configured database for a report.
func openForReading(fs *flag.FlagSet, args []string, stderr io.Writer) (*store.DB, *config, int, bool) {
	dbPath := fs.String("db", "", "the database `FILE` (config store.path)")
	configPath := fs.String("config", "", "read settings from `FILE` (see config.yaml)")
	if code, ok := parseFlags(fs, args); !ok {
		return nil, nil, code, false
	}
	cfg, err := loadConfig(findConfig(*configPath))
	if err != nil {
		fmt.Fprintf(stderr, "munjigi: %v\n", err)
		return nil, nil, exitUsage, false
	}
	if *dbPath != "" {
		cfg.Store.Path = *dbPath
	}
	if err := checkInChild(cfg.Store.Path); err != nil {
		fmt.Fprintf(stderr, "munjigi: %s: %v\n", cfg.Store.Path, err)
		return nil, nil, exitUsage, false
	}
	db, err := store.Open(cfg.Store.Path, store.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "munjigi: %v\n", err)
		return nil, nil, exitUsage, false
	}
	return db, cfg, 0, true
}

// cmdExport writes the entry log for a contact tracer: one record per
// entry, with its seq, and no personal data (not even the pass hashes,
// which would link visits across exports; 'munjigi lookup' answers for one
// pass).
func cmdExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("export", stderr)
	since := fs.String("since", "", "only entries at or after `TIME` (RFC 3339 or a date)")
	until := fs.String("until", "", "only entries before `TIME`")
	format := fs.String("format", "csv", "csv or jsonl")
	db, _, code, ok := openForReading(fs, args, stderr)
	if !ok {
		return code
	}
	defer db.Close()
	var from, to time.Time
	var err error
	if *since != "" {
		if from, err = verify.ParseTime(*since); err != nil {
			fmt.Fprintf(stderr, "munjigi export: --since: %v\n", err)
			return exitUsage
		}
	}
	if *until != "" {
		if to, err = verify.ParseTime(*until); err != nil {
			fmt.Fprintf(stderr, "munjigi export: --until: %v\n", err)
			return exitUsage
		}
	}
	var write func(store.Entry) error
	switch *format {
	case "csv":
		w := csv.NewWriter(stdout)
		defer w.Flush()
		w.Write([]string{"seq", "at", "clock_trusted", "verdict", "method", "format", "type", "reason", "staff", "note"})
		write = func(e store.Entry) error {
			return w.Write([]string{strconv.FormatUint(e.Seq, 10), e.At.Format(time.RFC3339Nano), strconv.FormatBool(e.ClockTrusted),
				e.Verdict, e.Method, e.Format, e.Type, e.Reason, e.Staff, e.Note})
		}
	case "jsonl":
		enc := json.NewEncoder(stdout)
		write = func(e store.Entry) error { return enc.Encode(exportRecord(e)) }
	default:
		fmt.Fprintf(stderr, "munjigi export: --format %q: csv or jsonl\n", *format)
		return exitUsage
	}
	err = db.Entries(0, func(e store.Entry) (bool, error) {
		if (!from.IsZero() && e.At.Before(from)) || (!to.IsZero() && !e.At.Before(to)) {
			return true, nil
		}
		return true, write(e)
	})
	if err != nil {
		fmt.Fprintf(stderr, "munjigi export: %v\n", err)
		return exitUsage
	}
	return exitOK
}

type exported struct {
	Seq          uint64    `json:"seq"`
	At           time.Time `json:"at"`
	ClockTrusted bool      `json:"clockTrusted"`
	Verdict      string    `json:"verdict"`
	Method       string    `json:"method"`
	Format       string    `json:"format,omitempty"`
	Type         string    `json:"type,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	Staff        string    `json:"staff,omitempty"`
	Note         string    `json:"note,omitempty"`
}

func exportRecord(e store.Entry) exported {
	return exported{e.Seq, e.At, e.ClockTrusted, e.Verdict, e.Method, e.Format, e.Type, e.Reason, e.Staff, e.Note}
}

// cmdLookup answers a contact tracer who brings a pass identifier (a DCC's
// UVCI, a health card's issuer#rid): was it here, and when. The kiosk
// hashes it with its own secret; the identifier itself was never stored.
func cmdLookup(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("lookup", stderr)
	// The identifier comes first: munjigi lookup PASS-ID [--db FILE].
	if len(args) == 0 || len(args[0]) == 0 || args[0][0] == '-' {
		fmt.Fprintln(stderr, "Usage: munjigi lookup PASS-ID [--db FILE]\n\nPASS-ID: a DCC's certificate id (URN:UVCI:...), or a health card's shc:rid:ISS#RID.")
		return exitUsage
	}
	id := args[0]
	db, cfg, code, ok := openForReading(fs, args[1:], stderr)
	if !ok {
		return code
	}
	defer db.Close()
	hash := db.HashPassID(id)
	found := 0
	err := db.Entries(0, func(e store.Entry) (bool, error) {
		if bytes.Equal(e.PassHash, hash) {
			found++
			fmt.Fprintf(stdout, "%s  seq %d  %s  %s %s\n", e.At.In(cfg.location).Format(time.RFC3339), e.Seq, e.Verdict, e.Method, e.Reason)
		}
		return true, nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "munjigi lookup: %v\n", err)
		return exitUsage
	}
	if found == 0 {
		fmt.Fprintln(stdout, "not seen here (within the retention period)")
		return exitNotPass
	}
	return exitOK
}

// cmdStats prints today's counts: by hour, by verdict, by method.
func cmdStats(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("stats", stderr)
	day := fs.String("day", "", "the `DATE` to count (default today, in the venue's time zone)")
	db, cfg, code, ok := openForReading(fs, args, stderr)
	if !ok {
		return code
	}
	defer db.Close()
	start := time.Now().In(cfg.location)
	if *day != "" {
		t, err := time.ParseInLocation(time.DateOnly, *day, cfg.location)
		if err != nil {
			fmt.Fprintf(stderr, "munjigi stats: --day: %v\n", err)
			return exitUsage
		}
		start = t
	}
	d, err := db.DayOf(start)
	if err != nil {
		fmt.Fprintf(stderr, "munjigi stats: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "%s: %d entries\n", d.Start.Format(time.DateOnly), d.Total)
	for h, n := range d.Hours {
		if n > 0 {
			fmt.Fprintf(stdout, "  %02d:00  %5d\n", h, n)
		}
	}
	for _, m := range []map[string]int{d.Verdicts, d.Methods} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(stdout, "  %-16s %5d\n", k, m[k])
		}
	}
	return exitOK
}
