package authority

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"munjigi/upstream"
)

// now0 is the suite's present: stores are opened with it, so the
// PostgreSQL store's partitions are the days around it.
var now0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func openBolt(t testing.TB) Store {
	t.Helper()
	st, err := OpenBolt(filepath.Join(t.TempDir(), "server.db"), StoreOptions{Now: func() time.Time { return now0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openPostgres(t testing.TB) Store { return openPostgresWith(t, "") }

// openPostgresWith opens a store on a new database, with more of pgx's
// URL parameters.
func openPostgresWith(t testing.TB, params string) Store {
	t.Helper()
	url := sharedCluster(t).newDB(t) + params
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := OpenPostgres(ctx, url, StoreOptions{Now: func() time.Time { return now0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// batch makes entries from..to, visits an hour apart before now0.
func batch(from, to uint64) []upstream.Entry {
	var out []upstream.Entry
	for s := from; s <= to; s++ {
		out = append(out, upstream.Entry{Seq: s, At: now0.Add(-time.Duration(s) * time.Hour).Truncate(time.Microsecond),
			ClockTrusted: true, Verdict: "pass", Method: "qr", Format: "dcc", Type: "v", Reason: "ok"})
	}
	return out
}

func seqs(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// held lists what the store holds: "kiosk/epoch/seq".
func held(t testing.TB, st Store, f Filter) []string {
	t.Helper()
	var out []string
	if err := st.Entries(ctxT(t), f, func(r Record) error {
		out = append(out, fmt.Sprintf("%s/%s/%d", r.Kiosk, r.Epoch, r.Seq))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// storeCases are what every Store must do, whatever is behind it.
var storeCases = []struct {
	name string
	run  func(t *testing.T, st Store)
}{
	{"a token is consumed once", func(t *testing.T, st Store) {
		ctx := ctxT(t)
		reply := upstream.TokenReply{Verdict: "pass", Reason: "ok", Type: "v"}
		reply.Holder.Name = "홍*동"
		if err := st.MintToken(ctx, "MJT1:A", Token{Reply: reply, ExpiresAt: now0.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		st.MintToken(ctx, "MJT1:OLD", Token{Reply: reply, ExpiresAt: now0.Add(-time.Second)})
		for _, c := range []struct {
			token string
			want  TokenState
		}{{"MJT1:A", TokenOK}, {"MJT1:A", TokenUsed}, {"MJT1:NONE", TokenUnknown}, {"MJT1:OLD", TokenUnknown}} {
			got, state, err := st.ConsumeToken(ctx, c.token, now0)
			if err != nil || state != c.want {
				t.Fatalf("%s: %v %v, want %v", c.token, state, err, c.want)
			}
			if state == TokenOK && got.Holder.Name != "홍*동" {
				t.Errorf("the reply came back as %+v", got)
			}
		}
	}},
	{"a token checked 50 times at once passes once", func(t *testing.T, st Store) {
		ctx := ctxT(t)
		if err := st.MintToken(ctx, "MJT1:RACE", Token{Reply: upstream.TokenReply{Verdict: "pass"}, ExpiresAt: now0.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		var ok, used atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, state, err := st.ConsumeToken(ctx, "MJT1:RACE", now0)
				switch {
				case err != nil:
					t.Error(err)
				case state == TokenOK:
					ok.Add(1)
				case state == TokenUsed:
					used.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if ok.Load() != 1 || used.Load() != 49 {
			t.Errorf("%d passes and %d token-used of 50 checks", ok.Load(), used.Load())
		}
	}},
	{"entries are held once by kiosk, epoch and seq", func(t *testing.T, st Store) {
		ctx := ctxT(t)
		steps := []struct {
			kiosk, epoch      string
			entries           []upstream.Entry
			stored, duplicate []uint64
		}{
			{"k1", "e1", batch(1, 5), seqs(1, 5), nil},
			{"k1", "e1", batch(1, 5), nil, seqs(1, 5)},                         // a retry
			{"k1", "e1", batch(4, 8), seqs(6, 8), seqs(4, 5)},                  // overlapping
			{"k1", "e2", batch(1, 3), seqs(1, 3), nil},                         // a replaced database
			{"k2", "e1", batch(1, 3), seqs(1, 3), nil},                         // another kiosk
			{"k1", "", batch(1, 2), seqs(1, 2), nil},                           // a kiosk from before epochs
			{"k1", "e1", append(batch(9, 9), batch(9, 9)...), seqs(9, 9), nil}, // one seq twice: one answer
		}
		for i, s := range steps {
			rep, err := st.Ingest(ctx, s.kiosk, s.epoch, s.entries, now0)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rep.Stored, s.stored) || !slices.Equal(rep.Duplicate, s.duplicate) {
				t.Errorf("step %d: stored %v duplicate %v, want %v and %v", i, rep.Stored, rep.Duplicate, s.stored, s.duplicate)
			}
		}
		if got := held(t, st, Filter{}); len(got) != 9+3+3+2 {
			t.Errorf("the store holds %d entries: %v", len(got), got)
		}
		if got := held(t, st, Filter{Kiosk: "k2"}); !slices.Equal(got, []string{"k2/e1/1", "k2/e1/2", "k2/e1/3"}) {
			t.Errorf("kiosk k2: %v", got)
		}
		// Visits of seq 2 and 3 (two and three hours before now0).
		f := Filter{Kiosk: "k2", Since: now0.Add(-3 * time.Hour), Until: now0.Add(-time.Hour)}
		if got := held(t, st, f); !slices.Equal(got, []string{"k2/e1/2", "k2/e1/3"}) {
			t.Errorf("kiosk k2 between 3 and 1 hours ago: %v", got)
		}
	}},
	{"entries come back as they went in", func(t *testing.T, st Store) {
		ctx := ctxT(t)
		in := batch(1, 3)
		in[1].ClockTrusted, in[1].Verdict, in[1].Method, in[1].Format, in[1].Type, in[1].Reason = false, "manual", "manual-sticker", "", "", "sticker"
		if _, err := st.Ingest(ctx, "kiosk-7", "0123abcd", in, now0); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		n, err := Export(ctx, &buf, st, Filter{})
		if err != nil || n != 3 {
			t.Fatalf("export: %d, %v", n, err)
		}
		var out []Record
		dec := json.NewDecoder(&buf)
		for dec.More() {
			var r Record
			if err := dec.Decode(&r); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		slices.SortFunc(out, func(a, b Record) int { return int(a.Seq) - int(b.Seq) })
		for i, r := range out {
			want := Record{Kiosk: "kiosk-7", Epoch: "0123abcd", Entry: in[i], ReceivedAt: now0}
			if !r.At.Equal(want.At) || !r.ReceivedAt.Equal(now0) {
				t.Errorf("entry %d: times %v %v, want %v %v", i, r.At, r.ReceivedAt, want.At, now0)
			}
			r.At, r.ReceivedAt, want.At, want.ReceivedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if r != want {
				t.Errorf("entry %d: %+v, want %+v", i, r, want)
			}
		}
	}},
	{"one publisher at a time, one version each", func(t *testing.T, st Store) {
		ctx := ctxT(t)
		if l, err := st.CurrentList(ctx, 0); l != nil || err != nil {
			t.Fatalf("a list before any: %+v %v", l, err)
		}
		var made atomic.Int32
		publish := func(want int64) func(cur *List, version int64) (*List, error) {
			return func(cur *List, version int64) (*List, error) {
				if cur != nil && cur.Version >= want {
					return nil, nil // another got there first
				}
				made.Add(1)
				return &List{Version: version, Signed: []byte(fmt.Sprintf("signed-%d", version)), ETag: fmt.Sprintf(`"v%d"`, version),
					SourceHash: "h", SourcesAt: now0, IssuedAt: now0, ExpiresAt: now0.Add(time.Hour)}, nil
			}
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := st.PublishList(ctx, publish(1)); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if made.Load() != 1 {
			t.Errorf("8 servers at once made %d lists, want 1", made.Load())
		}
		for v := int64(2); v <= 5; v++ {
			l, err := st.PublishList(ctx, publish(v))
			if err != nil || l.Version != v {
				t.Fatalf("publishing %d: %+v %v", v, l, err)
			}
		}
		l, err := st.CurrentList(ctx, 0)
		if err != nil || l.Version != 5 || string(l.Signed) != "signed-5" || l.ETag != `"v5"` || !l.ExpiresAt.Equal(now0.Add(time.Hour)) {
			t.Fatalf("the newest: %+v %v", l, err)
		}
		if l, err := st.CurrentList(ctx, 5); err != nil || l.Version != 5 || l.Signed != nil {
			t.Errorf("the newest, when known: %+v %v", l, err)
		}
		// Publishing nothing leaves the newest; its bytes are not read.
		l, err = st.PublishList(ctx, func(cur *List, _ int64) (*List, error) {
			if cur.Signed != nil {
				t.Errorf("the newest was read whole to publish: %q", cur.Signed)
			}
			return nil, nil
		})
		if err != nil || l.Version != 5 || l.ETag != `"v5"` || l.Signed != nil {
			t.Errorf("publishing nothing: %+v %v", l, err)
		}
		// A failing publisher changes nothing.
		if _, err := st.PublishList(ctx, func(*List, int64) (*List, error) { return nil, errors.New("no") }); err == nil {
			t.Error("a failed publication went unnoticed")
		}
	}},
	{"one trust-list key", func(t *testing.T, st Store) {
		ctx := ctxT(t)
		if err := st.PinKey(ctx, []byte("key A")); err != nil {
			t.Fatal(err)
		}
		if err := st.PinKey(ctx, []byte("key A")); err != nil {
			t.Errorf("the same key again: %v", err)
		}
		if err := st.PinKey(ctx, []byte("key B")); !errors.Is(err, ErrKeyMismatch) {
			t.Errorf("another key: %v", err)
		}
	}},
	{"purge", func(t *testing.T, st Store) {
		ctx := ctxT(t)
		day := 24 * time.Hour
		var in []upstream.Entry
		for i, ago := range []time.Duration{40 * day, 27 * day, 17 * day, day} {
			in = append(in, upstream.Entry{Seq: uint64(i + 1), At: now0.Add(-ago), Verdict: "pass", Method: "qr"})
		}
		if _, err := st.Ingest(ctx, "k", "e", in, now0); err != nil {
			t.Fatal(err)
		}
		st.MintToken(ctx, "MJT1:SOON", Token{ExpiresAt: now0.Add(time.Minute)})
		st.MintToken(ctx, "MJT1:LATER", Token{ExpiresAt: now0.Add(time.Hour)})
		// Ten days on: the visit 27 days before now0 is past the 28 days;
		// the one 40 days before arrived only now0, so it is kept by its
		// arrival, as is every entry a store cannot file by its visit.
		later := now0.Add(10 * day)
		p, err := st.Purge(ctx, later.Add(-DefaultRetention), now0.Add(30*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if got := held(t, st, Filter{}); !slices.Equal(got, []string{"k/e/1", "k/e/3", "k/e/4"}) {
			t.Errorf("after the purge: %v (%+v)", got, p)
		}
		if p.Tokens != 1 {
			t.Errorf("%d tokens purged, want the one expired", p.Tokens)
		}
		if _, state, _ := st.ConsumeToken(ctx, "MJT1:LATER", now0); state != TokenOK {
			t.Errorf("a live token after the purge: %v", state)
		}
		// 29 days after they arrived, all are gone.
		if _, err := st.Purge(ctx, now0.Add(29*day-DefaultRetention), now0.Add(29*day)); err != nil {
			t.Fatal(err)
		}
		if got := held(t, st, Filter{}); len(got) != 0 {
			t.Errorf("29 days on: %v", got)
		}
	}},
	{"a source's content is kept, the newest found, the oldest dropped", func(t *testing.T, st Store) {
		ctx := ctxT(t)
		if c, err := st.LoadSource(ctx, "eu", ""); c != nil || err != nil {
			t.Fatalf("before any: %v %v", c, err)
		}
		keep := func(hash string, at, verified time.Duration) {
			t.Helper()
			content := bytes.Repeat([]byte(hash), 1000)
			if err := st.KeepSource(ctx, SourceContent{Name: "eu", Hash: hash, At: now0.Add(at), VerifiedAt: now0.Add(verified), Content: content}); err != nil {
				t.Fatal(err)
			}
		}
		load := func(hash string) *SourceContent {
			t.Helper()
			c, err := st.LoadSource(ctx, "eu", hash)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		keep("v1", 0, 0)
		keep("v2", time.Hour, time.Hour)
		if c := load("v1"); c == nil || c.Hash != "v1" || !bytes.Equal(c.Content, bytes.Repeat([]byte("v1"), 1000)) || !c.At.Equal(now0) {
			t.Fatalf("v1 by its hash: %+v", c)
		}
		if c := load(""); c == nil || c.Hash != "v2" {
			t.Fatalf("the newest: %+v", c)
		}
		// v1 verified again later (a server with older files): still not
		// the newest by its files' time, and its content kept as it was.
		keep("v1", 0, 2*time.Hour)
		if c := load(""); c.Hash != "v2" {
			t.Fatalf("the newest after v1 was verified again: %s", c.Hash)
		}
		if c := load("v1"); !c.VerifiedAt.Equal(now0.Add(2*time.Hour)) || len(c.Content) != 2000 {
			t.Fatalf("v1 verified again: %+v", c.VerifiedAt)
		}
		// A fourth content: the least recently verified (v2) goes.
		keep("v3", 3*time.Hour, 3*time.Hour)
		keep("v4", 4*time.Hour, 4*time.Hour)
		if load("v2") != nil || load("v1") == nil || load("v4") == nil || load("").Hash != "v4" {
			t.Fatalf("kept after four: v1 %v v2 %v", load("v1") != nil, load("v2") != nil)
		}
		if c, _ := st.LoadSource(ctx, "shc", ""); c != nil {
			t.Errorf("another source's: %+v", c)
		}
		if c, _ := st.LoadSource(ctx, "e", ""); c != nil {
			t.Errorf("a name's prefix: %+v", c)
		}
	}},
}

func runStoreCases(t *testing.T, open func(testing.TB) Store) {
	for _, c := range storeCases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

func TestBoltStore(t *testing.T) { runStoreCases(t, openBolt) }

func TestPostgresStore(t *testing.T) { runStoreCases(t, openPostgres) }

// TestPostgresStoreSimpleProtocol: the same through a pooler such as
// PgBouncer in transaction mode, where no statement may be prepared.
func TestPostgresStoreSimpleProtocol(t *testing.T) {
	runStoreCases(t, func(t testing.TB) Store { return openPostgresWith(t, "&default_query_exec_mode=simple_protocol") })
}
