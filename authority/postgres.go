package authority

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"munjigi/upstream"
)

// Postgres is the store for many servers: one PostgreSQL database, through
// a pool of connections (pgx). Every outcome is one statement's: a token is
// consumed by an UPDATE that finds it unused (or does not), an entry is
// stored by an INSERT that finds it new (or does not), so servers never
// read and then write what another may write between. Entries are kept in
// a table partitioned by the day of the visit, and retention drops whole
// days. The schema is the server's: created and migrated when a server
// starts, one server at a time.
type Postgres struct {
	pool      *pgxpool.Pool
	retention time.Duration

	mu   sync.Mutex
	days map[string]bool // partitions known to exist, by name
}

var _ Store = (*Postgres)(nil)

// Advisory locks (pg_advisory_xact_lock): one migrator, one publisher of
// the trust list, one maker or dropper of partitions at a time.
const (
	lockSchema     int64 = 0x6d756e6a_00000001 // "munj"
	lockList       int64 = 0x6d756e6a_00000002
	lockPartitions int64 = 0x6d756e6a_00000003
)

// DefaultPoolConns is each server's connections to PostgreSQL unless the
// URL's pool_max_conns says otherwise. Servers times this must stay under
// the database's max_connections (100 by default), or go through a pooler.
const DefaultPoolConns = 16

// pgListsKept is how many versions of the list stay in the table.
const pgListsKept = 3

// pgMigrations[i] takes the schema from version i to i+1, in one
// transaction. Never change one that has shipped: add the next.
var pgMigrations = []string{
	`CREATE TABLE tokens (
		token      text PRIMARY KEY,
		reply      bytea NOT NULL,
		expires_at timestamptz NOT NULL,
		used_at    timestamptz
	);
	CREATE INDEX tokens_expires_at ON tokens (expires_at);

	CREATE TABLE entries (
		kiosk         text NOT NULL,
		epoch         text NOT NULL,
		seq           bigint NOT NULL,
		at            timestamptz NOT NULL,
		clock_trusted boolean NOT NULL,
		verdict       text NOT NULL,
		method        text NOT NULL,
		format        text NOT NULL,
		type          text NOT NULL,
		reason        text NOT NULL,
		received_at   timestamptz NOT NULL,
		-- The visit time completes the key because the table is
		-- partitioned by it; a kiosk sends the same time with every
		-- retry of an entry, so a retry lands on the same row.
		PRIMARY KEY (kiosk, epoch, seq, at)
	) PARTITION BY RANGE (at);
	-- Entries whose day has no partition (a kiosk clock far off): kept by
	-- their arrival.
	CREATE TABLE entries_default PARTITION OF entries DEFAULT;
	CREATE INDEX entries_default_received_at ON entries_default (received_at);

	CREATE TABLE trust_lists (
		version     bigint PRIMARY KEY,
		signed      bytea NOT NULL,
		etag        text NOT NULL,
		source_hash text NOT NULL,
		sources_at  timestamptz NOT NULL,
		issued_at   timestamptz NOT NULL,
		expires_at  timestamptz NOT NULL
	);

	CREATE TABLE meta (
		key   text PRIMARY KEY,
		value bytea NOT NULL
	);`,

	// The key sources' last good contents (list/sources.json).
	`CREATE TABLE list_sources (
		name        text NOT NULL,
		hash        text NOT NULL,
		source_at   timestamptz NOT NULL,
		verified_at timestamptz NOT NULL,
		content     bytea NOT NULL,
		PRIMARY KEY (name, hash)
	);`,
}

// OpenPostgres connects to the database at url (a postgres:// URL, pgx's
// parameters included: pool_max_conns and the like), and creates or
// migrates the schema.
func OpenPostgres(ctx context.Context, url string, opts StoreOptions) (*Postgres, error) {
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("%w: the PostgreSQL URL: %w", ErrStore, err)
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(url, "pool_max_conns"):
		// pgx's default is 4 (or the cores): a token check holds a
		// connection for one fsynced commit, and with 4 a server made
		// about 2,300 checks a second here, with 16 about 6,000.
		cfg.MaxConns = DefaultPoolConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// Requests bound their own waits; this bounds the pool's own
		// (health checks, minimum connections).
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	rp := cfg.ConnConfig.RuntimeParams
	if rp["application_name"] == "" {
		rp["application_name"] = "munjigi-authority"
	}
	// A server gives up on a statement at its own deadline; this stops the
	// database working on for nobody when the cancel is lost on the way.
	if rp["statement_timeout"] == "" {
		rp["statement_timeout"] = "30s"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	p := &Postgres{pool: pool, retention: opts.Retention, days: map[string]bool{}}
	if err := p.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := p.prepare(ctx, opts.Now()); err != nil {
		pool.Close()
		return nil, err
	}
	return p, nil
}

// Close closes the pool.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}

// inTx runs fn in a transaction holding an advisory lock.
func (p *Postgres) inTx(ctx context.Context, lock int64, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lock); err != nil {
			return err
		}
		return fn(tx)
	})
}

func (p *Postgres) migrate(ctx context.Context) error {
	err := p.inTx(ctx, lockSchema, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS munjigi_schema (version integer NOT NULL)"); err != nil {
			return err
		}
		var v int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM munjigi_schema").Scan(&v); err != nil {
			return err
		}
		if v > len(pgMigrations) {
			return fmt.Errorf("%w (schema %d; this munjigi knows up to %d)", ErrNewer, v, len(pgMigrations))
		}
		for ; v < len(pgMigrations); v++ {
			if _, err := tx.Exec(ctx, pgMigrations[v]); err != nil {
				return fmt.Errorf("migration %d: %w", v+1, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO munjigi_schema (version) VALUES ($1)", v+1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrNewer) {
		return fmt.Errorf("%w: the schema: %w", ErrStore, err)
	}
	return err
}

// SchemaVersion is the schema's version in the database (tests, tools).
func (p *Postgres) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := p.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM munjigi_schema").Scan(&v)
	return v, err
}

// day is the UTC day holding t.
func day(t time.Time) time.Time {
	return t.UTC().Truncate(24 * time.Hour)
}

func partitionName(d time.Time) string { return "entries_p" + d.Format("20060102") }

// window is the days that have partitions: from the retention's start to
// partitionsAhead after now.
func (p *Postgres) window(now time.Time) (from, to time.Time) {
	return day(now.Add(-p.retention)), day(now.Add(partitionsAhead))
}

// prepare makes the partitions of every day in the window.
func (p *Postgres) prepare(ctx context.Context, now time.Time) error {
	from, to := p.window(now)
	for d := from; !d.After(to); d = d.Add(24 * time.Hour) {
		if err := p.ensureDay(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// ensureDay makes day d's partition unless it is there. Entries of that
// day that went to the default partition before it existed move into it,
// in the same transaction, while nothing else can land in the default.
func (p *Postgres) ensureDay(ctx context.Context, d time.Time) error {
	name := partitionName(d)
	p.mu.Lock()
	known := p.days[name]
	p.mu.Unlock()
	if known {
		return nil
	}
	err := p.inTx(ctx, lockPartitions, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", name).Scan(&exists); err != nil || exists {
			return err
		}
		ident := pgx.Identifier{name}.Sanitize()
		from, to := d.Format("2006-01-02 15:04:05-07"), d.Add(24*time.Hour).Format("2006-01-02 15:04:05-07")
		for _, q := range []string{
			"SET LOCAL lock_timeout = '5s'",
			"LOCK TABLE entries_default IN SHARE ROW EXCLUSIVE MODE",
			"CREATE TABLE " + ident + " (LIKE entries INCLUDING DEFAULTS)",
			fmt.Sprintf("WITH moved AS (DELETE FROM entries_default WHERE at >= '%s' AND at < '%s' RETURNING *) INSERT INTO %s SELECT * FROM moved", from, to, ident),
			fmt.Sprintf("ALTER TABLE entries ATTACH PARTITION %s FOR VALUES FROM ('%s') TO ('%s')", ident, from, to),
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("partition %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	p.mu.Lock()
	p.days[name] = true
	p.mu.Unlock()
	return nil
}

// MintToken records a token.
func (p *Postgres) MintToken(ctx context.Context, token string, t Token) error {
	reply, err := json.Marshal(t.Reply)
	if err != nil {
		return err
	}
	_, err = p.pool.Exec(ctx, "INSERT INTO tokens (token, reply, expires_at) VALUES ($1, $2, $3)", token, reply, t.ExpiresAt)
	return err
}

// ConsumeToken uses a token with one UPDATE: of any number of servers
// asking at once, one finds it unused. Only when it is not found unused
// does a second statement say why (used, or unknown).
func (p *Postgres) ConsumeToken(ctx context.Context, token string, now time.Time) (upstream.TokenReply, TokenState, error) {
	var reply upstream.TokenReply
	var raw []byte
	err := p.pool.QueryRow(ctx, `UPDATE tokens SET used_at = $2
		WHERE token = $1 AND used_at IS NULL AND expires_at > $2 RETURNING reply`, token, now).Scan(&raw)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &reply); err != nil {
			return reply, TokenUnknown, fmt.Errorf("%w: token reply: %w", ErrStore, err)
		}
		return reply, TokenOK, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return reply, TokenUnknown, err
	}
	var used bool
	err = p.pool.QueryRow(ctx, "SELECT used_at IS NOT NULL FROM tokens WHERE token = $1 AND expires_at > $2", token, now).Scan(&used)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return reply, TokenUnknown, nil
	case err != nil:
		return reply, TokenUnknown, err
	case used:
		return reply, TokenUsed, nil
	}
	// Unused and unexpired, yet the UPDATE did not take it: only a clock
	// that moved between the statements does that. Unknown, not used.
	return reply, TokenUnknown, nil
}

// Ingest inserts a batch with one statement; the rows it returns are the
// entries stored now, and the rest of the batch was held already.
func (p *Postgres) Ingest(ctx context.Context, kiosk, epoch string, entries []upstream.Entry, now time.Time) (upstream.EntryReply, error) {
	entries = dedupe(entries)
	var rep upstream.EntryReply
	if len(entries) == 0 {
		return rep, nil
	}
	from, to := p.window(now)
	var (
		seqs                              []int64
		ats                               []time.Time
		trusted                           []bool
		verdicts, methods, formats, types []string
		reasons                           []string
		days                              = map[time.Time]bool{}
	)
	for _, e := range entries {
		seqs, ats, trusted = append(seqs, int64(e.Seq)), append(ats, e.At), append(trusted, e.ClockTrusted)
		verdicts, methods, formats = append(verdicts, e.Verdict), append(methods, e.Method), append(formats, e.Format)
		types, reasons = append(types, e.Type), append(reasons, e.Reason)
		if d := day(e.At); !d.Before(from) && !d.After(to) {
			days[d] = true
		}
	}
	for d := range days {
		// A day's partition is made two days ahead; should this one fail
		// (a lock not granted in time), the entries wait in the default
		// partition and move when the next upload or purge makes it.
		p.ensureDay(ctx, d)
	}
	rows, err := p.pool.Query(ctx, `INSERT INTO entries
		(kiosk, epoch, seq, at, clock_trusted, verdict, method, format, type, reason, received_at)
		SELECT $1, $2, u.seq, u.at, u.trusted, u.verdict, u.method, u.format, u.type, u.reason, $11
		FROM unnest($3::bigint[], $4::timestamptz[], $5::boolean[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
			AS u(seq, at, trusted, verdict, method, format, type, reason)
		ON CONFLICT DO NOTHING
		RETURNING seq`,
		kiosk, epoch, seqs, ats, trusted, verdicts, methods, formats, types, reasons, now)
	if err != nil {
		return rep, err
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return rep, err
	}
	slices.Sort(stored)
	for _, e := range entries {
		if _, found := slices.BinarySearch(stored, int64(e.Seq)); found {
			rep.Stored = append(rep.Stored, e.Seq)
		} else {
			rep.Duplicate = append(rep.Duplicate, e.Seq)
		}
	}
	return rep, nil
}

// Purge drops whole days past the retention, deletes the default
// partition's entries that arrived before cutoff and the expired tokens,
// and makes the coming days' partitions.
func (p *Postgres) Purge(ctx context.Context, cutoff, now time.Time) (Purged, error) {
	var out Purged
	if err := p.prepare(ctx, now); err != nil {
		return out, err
	}
	rows, err := p.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'entries'::regclass AND c.relname LIKE 'entries\_p%'`)
	if err != nil {
		return out, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return out, err
	}
	for _, name := range names {
		d, err := time.Parse("20060102", strings.TrimPrefix(name, "entries_p"))
		if err != nil || d.Add(24*time.Hour).After(cutoff) {
			continue // not ours, or not wholly past the retention
		}
		err = p.inTx(ctx, lockPartitions, func(tx pgx.Tx) error {
			// Dropping a partition locks the whole table, and uploads
			// queue behind the request while it waits: wait little, and
			// try again next hour.
			if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '1s'"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{name}.Sanitize())
			return err
		})
		if err != nil {
			return out, fmt.Errorf("dropping %s: %w", name, err)
		}
		p.mu.Lock()
		delete(p.days, name)
		p.mu.Unlock()
		out.Partitions++
	}
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM entries_default WHERE received_at < $1", cutoff)
		if err != nil {
			return err
		}
		out.Entries = tag.RowsAffected()
		if tag, err = tx.Exec(ctx, "DELETE FROM tokens WHERE expires_at < $1", now); err != nil {
			return err
		}
		out.Tokens = tag.RowsAffected()
		return nil
	})
	return out, err
}

// Partitions lists the days that have partitions (tests, tools).
func (p *Postgres) Partitions(ctx context.Context) ([]time.Time, error) {
	rows, err := p.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'entries'::regclass AND c.relname LIKE 'entries\_p%' ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	var out []time.Time
	for _, n := range names {
		if d, err := time.Parse("20060102", strings.TrimPrefix(n, "entries_p")); err == nil {
			out = append(out, d)
		}
	}
	return out, err
}

const listColumns = "version, etag, source_hash, sources_at, issued_at, expires_at"

func scanList(row pgx.Row, signed *[]byte) (*List, error) {
	var l List
	err := row.Scan(&l.Version, &l.ETag, &l.SourceHash, &l.SourcesAt, &l.IssuedAt, &l.ExpiresAt, signed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	l.Signed = *signed
	return &l, nil
}

// CurrentList reads the newest list, leaving its bytes in the database
// when the caller has them: servers ask every second or so.
func (p *Postgres) CurrentList(ctx context.Context, known int64) (*List, error) {
	var signed []byte
	return scanList(p.pool.QueryRow(ctx, "SELECT "+listColumns+
		", CASE WHEN version = $1 THEN NULL ELSE signed END FROM trust_lists ORDER BY version DESC LIMIT 1", known), &signed)
}

// PublishList publishes under an advisory lock: one publisher at a time
// among all servers, and each version signed once.
func (p *Postgres) PublishList(ctx context.Context, next func(cur *List, version int64) (*List, error)) (*List, error) {
	var out *List
	err := p.inTx(ctx, lockList, func(tx pgx.Tx) error {
		var signed []byte
		cur, err := scanList(tx.QueryRow(ctx, "SELECT "+listColumns+", NULL::bytea FROM trust_lists ORDER BY version DESC LIMIT 1"), &signed)
		if err != nil {
			return err
		}
		out = cur
		var version int64 = 1
		if cur != nil {
			version = cur.Version + 1
		}
		l, err := next(cur, version)
		if err != nil || l == nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO trust_lists ("+listColumns+", signed) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			l.Version, l.ETag, l.SourceHash, l.SourcesAt, l.IssuedAt, l.ExpiresAt, l.Signed); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM trust_lists WHERE version <= $1", l.Version-pgListsKept); err != nil {
			return err
		}
		out = l
		return nil
	})
	return out, err
}

// PinKey records the key, or compares it.
func (p *Postgres) PinKey(ctx context.Context, pub []byte) error {
	if _, err := p.pool.Exec(ctx, "INSERT INTO meta (key, value) VALUES ('trust-key', $1) ON CONFLICT (key) DO NOTHING", pub); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	var have []byte
	if err := p.pool.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'trust-key'").Scan(&have); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	if string(have) != string(pub) {
		return ErrKeyMismatch
	}
	return nil
}

// Entries streams the entries f selects: rows are read as they come, so an
// export of millions holds a few in memory. Point it at a read replica.
func (p *Postgres) Entries(ctx context.Context, f Filter, fn func(Record) error) error {
	q := "SELECT kiosk, epoch, seq, at, clock_trusted, verdict, method, format, type, reason, received_at FROM entries WHERE true"
	var args []any
	if f.Kiosk != "" {
		args = append(args, f.Kiosk)
		q += fmt.Sprintf(" AND kiosk = $%d", len(args))
	}
	if !f.Since.IsZero() {
		args = append(args, f.Since)
		q += fmt.Sprintf(" AND at >= $%d", len(args))
	}
	if !f.Until.IsZero() {
		args = append(args, f.Until)
		q += fmt.Sprintf(" AND at < $%d", len(args))
	}
	// An export takes as long as it takes: no statement timeout, in a
	// transaction of its own.
	return pgx.BeginTxFunc(ctx, p.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Record
			var seq int64
			if err := rows.Scan(&r.Kiosk, &r.Epoch, &seq, &r.At, &r.ClockTrusted, &r.Verdict, &r.Method, &r.Format, &r.Type, &r.Reason, &r.ReceivedAt); err != nil {
				return err
			}
			r.Seq = uint64(seq)
			if err := fn(r); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// KeepSource records a source's content: its times move on when the
// store has it (the content is not sent again), else it is inserted and
// the least recently verified beyond SourcesKept are dropped.
func (p *Postgres) KeepSource(ctx context.Context, c SourceContent) error {
	if c.Name == "" || c.Hash == "" {
		return fmt.Errorf("%w: a source needs a name and a hash", ErrStore)
	}
	tag, err := p.pool.Exec(ctx, `UPDATE list_sources SET verified_at = greatest(verified_at, $3), source_at = greatest(source_at, $4)
		WHERE name = $1 AND hash = $2`, c.Name, c.Hash, c.VerifiedAt, c.At)
	if err != nil || tag.RowsAffected() > 0 {
		return err
	}
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		// Two servers keeping the same new content at once: one insert.
		if _, err := tx.Exec(ctx, `INSERT INTO list_sources (name, hash, source_at, verified_at, content) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (name, hash) DO NOTHING`, c.Name, c.Hash, c.At, c.VerifiedAt, c.Content); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM list_sources WHERE name = $1 AND hash NOT IN
			(SELECT hash FROM list_sources WHERE name = $1 ORDER BY verified_at DESC LIMIT $2)`, c.Name, SourcesKept)
		return err
	})
}

// LoadSource reads a source's content.
func (p *Postgres) LoadSource(ctx context.Context, name, hash string) (*SourceContent, error) {
	c := SourceContent{Name: name}
	q := "SELECT hash, source_at, verified_at, content FROM list_sources WHERE name = $1 AND hash = $2"
	args := []any{name, hash}
	if hash == "" {
		q, args = "SELECT hash, source_at, verified_at, content FROM list_sources WHERE name = $1 ORDER BY source_at DESC, verified_at DESC LIMIT 1", args[:1]
	}
	err := p.pool.QueryRow(ctx, q, args...).Scan(&c.Hash, &c.At, &c.VerifiedAt, &c.Content)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.At, c.VerifiedAt = c.At.UTC(), c.VerifiedAt.UTC()
	return &c, nil
}
