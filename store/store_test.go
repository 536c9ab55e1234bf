package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var day0 = time.Date(2022, 1, 1, 12, 0, 0, 0, time.UTC)

func openTemp(t testing.TB, opts Options) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "kiosk", "munjigi.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func entry(at time.Time) Entry {
	return Entry{At: at, ClockTrusted: true, Verdict: "pass", Method: "qr", Format: "dcc", Type: "v", Reason: "ok"}
}

func TestOpenCreates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "munjigi.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h1 := db.HashPassID("URN:UVCI:01:KR:X#1")
	db.Close()
	for _, p := range []string{path, filepath.Dir(path)} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o600)
		if st.IsDir() {
			want = 0o700 | os.ModeDir
		}
		if st.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, st.Mode(), want)
		}
	}
	// The secret survives a restart: the same pass hashes the same.
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if h2 := db.HashPassID("URN:UVCI:01:KR:X#1"); !bytes.Equal(h1, h2) {
		t.Error("the pass hash changed across a restart")
	}
	other := openTemp(t, Options{})
	if bytes.Equal(h1, other.HashPassID("URN:UVCI:01:KR:X#1")) {
		t.Error("two kiosks hash a pass alike: the secret is not per kiosk")
	}
	if bytes.Equal(h1, db.HashPassID("URN:UVCI:01:KR:X#2")) || len(h1) != 32 {
		t.Error("hash collision or wrong length")
	}
}

func TestAppendAndRead(t *testing.T) {
	db := openTemp(t, Options{})
	want := []Entry{entry(day0), {At: day0.Add(time.Minute), Verdict: "manual", Method: "manual-sms", Staff: "A3", Reason: "exemption"},
		{At: day0.Add(2 * time.Minute), Verdict: "manual", Method: "gap", Note: "the database was damaged"}}
	want[0].PassHash, want[0].Admitted = db.HashPassID("p1"), true
	for i, e := range want {
		seq, err := db.Append(e)
		if err != nil {
			t.Fatal(err)
		}
		if seq != uint64(i+1) {
			t.Errorf("seq %d, want %d", seq, i+1)
		}
	}
	var got []Entry
	if err := db.Entries(0, func(e Entry) (bool, error) { got = append(got, e); return true, nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i := range want {
		w := want[i]
		w.Seq, w.AtNano = uint64(i+1), w.At.UnixNano()
		w.At = w.At.UTC()
		if !equalEntry(got[i], w) {
			t.Errorf("entry %d: %+v, want %+v", i, got[i], w)
		}
	}
	if n, _ := db.Count(); n != 3 {
		t.Errorf("count %d", n)
	}
	e, ok, err := db.Entry(2)
	if err != nil || !ok || e.Staff != "A3" {
		t.Errorf("Entry(2) = %+v %v %v", e, ok, err)
	}
	if _, ok, _ := db.Entry(99); ok {
		t.Error("Entry(99) found")
	}
}

func equalEntry(a, b Entry) bool {
	return a.Seq == b.Seq && a.At.Equal(b.At) && a.ClockTrusted == b.ClockTrusted && a.Verdict == b.Verdict &&
		a.Method == b.Method && a.Format == b.Format && a.Type == b.Type && a.Reason == b.Reason && a.Staff == b.Staff &&
		bytes.Equal(a.PassHash, b.PassHash) && a.Note == b.Note && a.Admitted == b.Admitted
}

func TestLastAdmitted(t *testing.T) {
	db := openTemp(t, Options{})
	h := db.HashPassID("p")
	if _, _, ok, _ := db.LastAdmitted(h); ok {
		t.Fatal("found before any entry")
	}
	refused := entry(day0)
	refused.PassHash, refused.Verdict = h, "fail"
	db.Append(refused)
	if _, _, ok, _ := db.LastAdmitted(h); ok {
		t.Fatal("a refused visit counts as an admission")
	}
	in := entry(day0.Add(time.Hour))
	in.PassHash, in.Admitted = h, true
	seq, _ := db.Append(in)
	s, at, ok, err := db.LastAdmitted(h)
	if err != nil || !ok || s != seq || !at.Equal(in.At) {
		t.Errorf("LastAdmitted = %d %v %v %v", s, at, ok, err)
	}
}

func TestOutbox(t *testing.T) {
	db := openTemp(t, Options{})
	for i := 0; i < 5; i++ {
		db.Append(entry(day0.Add(time.Duration(i) * time.Minute)))
	}
	ob, err := db.Outbox(3)
	if err != nil || len(ob) != 3 || ob[0].Seq != 1 || ob[2].Seq != 3 {
		t.Fatalf("Outbox(3) = %v, %v", ob, err)
	}
	if err := db.Acknowledge([]uint64{1, 2}); err != nil {
		t.Fatal(err)
	}
	ob, _ = db.Outbox(10)
	if len(ob) != 3 || ob[0].Seq != 3 {
		t.Errorf("after acknowledging 1 and 2: %v", seqs(ob))
	}
	// Acknowledged entries stay in the log: the outbox is only what is
	// still to upload.
	if n, _ := db.Count(); n != 5 {
		t.Errorf("count %d after acknowledging", n)
	}
}

func seqs(es []Entry) []uint64 {
	var out []uint64
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

// TestPurge is RELIABILITY row 6: entries over 40 days, a 28-day
// retention: nothing older remains, nothing newer goes, and the re-use
// index forgets with the log.
func TestPurge(t *testing.T) {
	db := openTemp(t, Options{NoSync: true})
	now := day0.AddDate(0, 0, 40)
	var untrustedSeq uint64
	const perDay = 60
	for d := 0; d <= 40; d++ {
		for i := 0; i < perDay; i++ {
			e := entry(day0.AddDate(0, 0, d).Add(time.Duration(i) * time.Minute))
			e.PassHash, e.Admitted = db.HashPassID(e.At.String()), true
			if d == 5 && i == 0 {
				// Logged while the clock was wrong: its time says nothing.
				e.ClockTrusted, e.At = false, day0.AddDate(5, 0, 0)
			}
			seq, err := db.Append(e)
			if err != nil {
				t.Fatal(err)
			}
			if !e.ClockTrusted {
				untrustedSeq = seq
			}
		}
	}
	cutoff := now.Add(-DefaultRetention)
	total, rounds := 0, 0
	for more := true; more; rounds++ {
		n, m, err := db.Purge(cutoff)
		if err != nil {
			t.Fatal(err)
		}
		total, more = total+n, m
	}
	if rounds < 2 {
		t.Errorf("%d entries purged in %d round: batches should be small", total, rounds)
	}
	oldest := time.Time{}
	db.Entries(0, func(e Entry) (bool, error) {
		if oldest.IsZero() {
			oldest = e.At
		}
		if e.ClockTrusted && e.At.Before(cutoff) {
			t.Errorf("entry %d at %v survived a %v cutoff", e.Seq, e.At, cutoff)
		}
		if e.Seq == untrustedSeq {
			t.Errorf("the entry logged with a wrong clock outlived its neighbours")
		}
		return true, nil
	})
	// Days 0 to 11 are due; day 12 starts at the cutoff's hour.
	if n, _ := db.Count(); n != 41*perDay-total || total != 12*perDay {
		t.Errorf("%d entries left, %d purged; want %d purged", n, total, 12*perDay)
	}
	// The re-use index went with the log.
	if _, _, ok, _ := db.LastAdmitted(db.HashPassID(day0.String())); ok {
		t.Error("an admission older than the retention is still remembered")
	}
	if _, _, ok, _ := db.LastAdmitted(db.HashPassID(now.Add(-time.Hour * 24).Truncate(time.Hour * 24).Add(12 * time.Hour).String())); !ok {
		t.Error("a recent admission was forgotten")
	}
	ob, _ := db.Outbox(100000)
	if len(ob) != 41*perDay-total {
		t.Errorf("outbox holds %d, want %d: purged entries leave it too", len(ob), 41*perDay-total)
	}
}

func TestLocked(t *testing.T) {
	db := openTemp(t, Options{})
	_, err := Open(db.Path(), Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("a second Open: %v, want ErrLocked", err)
	}
}

func TestNewerSchema(t *testing.T) {
	db := openTemp(t, Options{})
	path := db.Path()
	db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, u64(SchemaVersion+1)) })
	db.Close()
	if _, err := Open(path, Options{}); !errors.Is(err, ErrNewer) {
		t.Fatalf("Open: %v, want ErrNewer", err)
	}
}

// TestDiskFull is RELIABILITY row 4: a full database says so, loses
// nothing it acknowledged, and writes again once space is freed.
func TestDiskFull(t *testing.T) {
	db := openTemp(t, Options{MaxSize: 256 << 10, NoSync: true})
	var acked []uint64
	var err error
	for i := 0; i < 100000; i++ {
		var seq uint64
		if seq, err = db.Append(entry(day0.Add(time.Duration(i) * time.Second))); err != nil {
			break
		}
		acked = append(acked, seq)
	}
	if !errors.Is(err, ErrFull) {
		t.Fatalf("after %d entries: %v, want ErrFull", len(acked), err)
	}
	for _, s := range []uint64{acked[0], acked[len(acked)/2], acked[len(acked)-1]} {
		if _, ok, err := db.Entry(s); !ok || err != nil {
			t.Errorf("acknowledged entry %d lost: %v", s, err)
		}
	}
	// Space returns: the retention purge frees pages inside the file.
	for more := true; more; {
		_, more, err = db.Purge(day0.Add(time.Duration(len(acked)/2) * time.Second))
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Append(entry(day0.Add(200 * time.Hour))); err != nil {
		t.Errorf("after freeing space: %v", err)
	}
}

func TestCheckAndMoveAside(t *testing.T) {
	db := openTemp(t, Options{})
	for i := 0; i < 100; i++ {
		db.Append(entry(day0))
	}
	path := db.Path()
	db.Close()
	if err := Check(path); err != nil {
		t.Fatalf("a sound file: %v", err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.db")
	os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 1000), 0o600)
	if err := Check(garbage); !errors.Is(err, ErrDamaged) {
		t.Errorf("garbage: %v, want ErrDamaged", err)
	}
	aside, err := MoveAside(garbage, day0)
	if err != nil || filepath.Base(aside) != "garbage.db.corrupt-20220101T120000Z" {
		t.Errorf("MoveAside = %s, %v", aside, err)
	}
	if _, err := os.Stat(garbage); !os.IsNotExist(err) {
		t.Error("the damaged file is still in place")
	}
	// A sound file whose entry bytes are garbage is damaged too.
	db2 := openTemp(t, Options{})
	db2.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketEntries).Put(u64(1), []byte{0xff, 0x00}) })
	p2 := db2.Path()
	db2.Close()
	if err := Check(p2); !errors.Is(err, ErrDamaged) {
		t.Errorf("a garbled entry: %v, want ErrDamaged", err)
	}
}

func TestTrustListAndClock(t *testing.T) {
	db := openTemp(t, Options{})
	if l, m, err := db.TrustList(); l != nil || m != nil || err != nil {
		t.Fatal("a new database holds a trust list")
	}
	db.SaveTrustList([]byte(`{"version":1}`), []byte("v1"))
	db.SaveTrustList([]byte(`{"version":2}`), []byte("v2"))
	if l, m, _ := db.TrustList(); string(l) != `{"version":2}` || string(m) != "v2" {
		t.Errorf("trust list %s %s", l, m)
	}
	if hwm, _ := db.ClockHighWater(); !hwm.IsZero() {
		t.Error("a new database has a clock high-water mark")
	}
	db.AdvanceClock(day0)
	db.AdvanceClock(day0.Add(-time.Hour)) // never lowers
	if hwm, _ := db.ClockHighWater(); !hwm.Equal(day0) {
		t.Errorf("high-water %v, want %v", hwm, day0)
	}
}

// TestSizeOf28Days is RELIABILITY row 5's size: 28 days at 2,000 entries
// a day, on the 32-bit boards too (CI runs this as GOARCH=386).
func TestSizeOf28Days(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 56,000 entries")
	}
	db := openTemp(t, Options{NoSync: true})
	fill(t, db, 28*2000, day0, 43*time.Second)
	st, err := os.Stat(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	var used int64
	db.bolt.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	t.Logf("28 days x 2,000 entries: %.1f MiB of pages in a %.1f MiB file", float64(used)/(1<<20), float64(st.Size())/(1<<20))
	// About 250 bytes an entry with its outbox and re-use records; the
	// file grows a MiB at a time.
	if used > 16<<20 || st.Size() > used+2<<20 {
		t.Errorf("%d bytes of pages in a %d-byte file for 28 days: want under 16 MiB, grown a MiB at a time", used, st.Size())
	}
}

// fill writes n entries quickly, many to a transaction, as the kiosk's
// would look: each with a pass hash, most admitted.
func fill(t testing.TB, db *DB, n int, start time.Time, step time.Duration) {
	t.Helper()
	const perTx = 10000
	for done := 0; done < n; {
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			b, ob, ps := tx.Bucket(bucketEntries), tx.Bucket(bucketOutbox), tx.Bucket(bucketPasses)
			b.FillPercent, ob.FillPercent = 1, 1 // as Append does
			for i := 0; i < perTx && done < n; i, done = i+1, done+1 {
				e := entry(start.Add(time.Duration(done) * step))
				e.PassHash, e.Admitted = db.HashPassID(string(binary.BigEndian.AppendUint64(nil, uint64(done)))), done%5 != 0
				e.AtNano = e.At.UnixNano()
				seq, _ := b.NextSequence()
				v, err := encMode.Marshal(e)
				if err != nil {
					return err
				}
				if err := b.Put(u64(seq), v); err != nil {
					return err
				}
				ob.Put(u64(seq), nil)
				if e.Admitted {
					ps.Put(e.PassHash, append(u64(seq), u64(uint64(e.AtNano))...))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkAppend is one durable entry (committed and fsynced), reported
// with p50 and p99 beside the bare bbolt Update of the same bytes, both
// timed in the same run.
func BenchmarkAppend(b *testing.B) {
	db := openTemp(b, Options{})
	e := entry(day0)
	e.PassHash, e.Admitted = db.HashPassID("pass"), true
	val, _ := encMode.Marshal(e)
	bare := openTemp(b, Options{})
	var tApp, tBare []time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		if _, err := db.Append(e); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		err := bare.bolt.Update(func(tx *bolt.Tx) error {
			seq, _ := tx.Bucket(bucketEntries).NextSequence()
			return tx.Bucket(bucketEntries).Put(u64(seq), val)
		})
		if err != nil {
			b.Fatal(err)
		}
		tApp, tBare = append(tApp, t1.Sub(t0)), append(tBare, time.Since(t1))
	}
	b.ReportMetric(float64(pct(tApp, 50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(pct(tApp, 99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(pct(tBare, 50).Microseconds()), "bare-p50-µs")
	b.ReportMetric(float64(pct(tBare, 99).Microseconds()), "bare-p99-µs")
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

// BenchmarkExport1M reads a million entries, as an export does.
func BenchmarkExport1M(b *testing.B) {
	db := openTemp(b, Options{NoSync: true})
	fill(b, db, 1_000_000, day0, time.Second)
	for b.Loop() {
		n := 0
		db.Entries(0, func(Entry) (bool, error) { n++; return true, nil })
		if n != 1_000_000 {
			b.Fatalf("%d entries", n)
		}
	}
}

// BenchmarkPurge1M purges a million entries, batch by batch, as the
// kiosk's retention does (with fsync, as the kiosk writes).
func BenchmarkPurge1M(b *testing.B) {
	var batches []time.Duration
	for b.Loop() {
		b.StopTimer()
		db := openTemp(b, Options{NoSync: true})
		fill(b, db, 1_000_000, day0, time.Second)
		db.bolt.NoSync = false
		b.StartTimer()
		for more := true; more; {
			var err error
			t0 := time.Now()
			if _, more, err = db.Purge(day0.AddDate(1, 0, 0)); err != nil {
				b.Fatal(err)
			}
			batches = append(batches, time.Since(t0))
		}
	}
	// What a scan could wait behind: one batch, not the whole purge.
	b.ReportMetric(float64(pct(batches, 50).Microseconds())/1000, "batch-p50-ms")
	b.ReportMetric(float64(slices.Max(batches).Microseconds())/1000, "batch-max-ms")
}

// BenchmarkSize28Days reports the database's size after 28 days at 2,000
// entries a day (TestSizeOf28Days holds the bound).
func BenchmarkSize28Days(b *testing.B) {
	var used, file int64
	for b.Loop() {
		b.StopTimer()
		db := openTemp(b, Options{NoSync: true})
		b.StartTimer()
		fill(b, db, 28*2000, day0, 43*time.Second)
		db.bolt.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
		st, err := os.Stat(db.Path())
		if err != nil {
			b.Fatal(err)
		}
		file = st.Size()
	}
	b.ReportMetric(float64(used)/(1<<20), "MiB-pages")
	b.ReportMetric(float64(file)/(1<<20), "MiB-file")
	b.ReportMetric(float64(used)/(28*2000), "B/entry")
}

// TestEpoch: a log's epoch is made with its file and kept for good; a new
// file is a new epoch; a file from before epochs gets one when opened, and
// keeps it.
func TestEpoch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "munjigi.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e1 := db.Epoch()
	if len(e1) != 32 || strings.Trim(e1, "0123456789abcdef") != "" {
		t.Fatalf("epoch %q: want 32 hex digits", e1)
	}
	db.Close()
	if db, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	if e := db.Epoch(); e != e1 {
		t.Errorf("the epoch changed across a restart: %s, then %s", e1, e)
	}
	if other := openTemp(t, Options{}); other.Epoch() == e1 {
		t.Error("two files share an epoch")
	}

	// Back to format 1: no epoch. Opening migrates it once.
	if _, err := db.Append(entry(day0)); err != nil {
		t.Fatal(err)
	}
	db.bolt.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		m.Delete(keyEpoch)
		return m.Put(keySchema, u64(1))
	})
	db.Close()
	if db, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	migrated := db.Epoch()
	if len(migrated) != 32 || migrated == e1 {
		t.Errorf("a format-1 file got epoch %q", migrated)
	}
	if n, _ := db.Count(); n != 1 {
		t.Errorf("%d entries after the migration, want 1", n)
	}
	db.Close()
	if db, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Epoch() != migrated {
		t.Error("the migrated epoch changed on the next open")
	}
}
