package e2e

// The rows of ../shared/RELIABILITY.md that need real processes: the
// headless door is a child of the test, fed scans on a pipe, killed and
// restarted, and given damaged database files.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/store"
)

// ack is a decision line of the headless door.
type ack struct {
	Seq     uint64 `json:"seq"`
	Verdict string `json:"verdict"`
	Method  string `json:"method"`
	Reason  string `json:"reason"`
	Logged  bool   `json:"logged"`
}

// doorProc is a running headless munjigi.
type doorProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer
	acks   chan ack
	start  time.Time
}

// startDoor starts 'munjigi run --headless' on the database at path.
func startDoor(t *testing.T, path string, extra ...string) *doorProc {
	t.Helper()
	args := append([]string{"run", "--headless", "--demo", "--policy", "none", "--db", path}, extra...)
	d := &doorProc{cmd: exec.Command(binPath, args...), acks: make(chan ack, 1024)}
	d.cmd.Stderr = &d.stderr
	var err error
	if d.stdin, err = d.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d.start = time.Now()
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(d.acks)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var a ack
			// A line cut short by a kill does not parse: it was never
			// acknowledged.
			if json.Unmarshal(sc.Bytes(), &a) == nil {
				d.acks <- a
			}
		}
	}()
	return d
}

// feed writes scans until the door stops reading.
func (d *doorProc) feed(payloads []string) {
	go func() {
		w := bufio.NewWriter(d.stdin)
		for i := 0; ; i++ {
			if _, err := w.WriteString(payloads[i%len(payloads)] + "\n"); err != nil {
				return
			}
			if w.Flush() != nil {
				return
			}
		}
	}()
}

func demoPayloads(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, s := range samples(t) {
		out = append(out, s.Payload)
	}
	return out
}

// exportSeqs reads the log through 'munjigi export'.
func exportSeqs(t *testing.T, path string) (seqs map[uint64]int, gaps int) {
	t.Helper()
	o := munjigi(t, nil, "export", "--db", path, "--format", "jsonl")
	if o.code != 0 {
		t.Fatalf("export: %d %s", o.code, o.stderr)
	}
	seqs = map[uint64]int{}
	for _, line := range bytes.Split(bytes.TrimSpace(o.stdout), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var e struct {
			Seq    uint64 `json:"seq"`
			Method string `json:"method"`
		}
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("export line %s: %v", line, err)
		}
		seqs[e.Seq]++
		if e.Method == "gap" {
			gaps++
		}
	}
	return seqs, gaps
}

// TestKillDuringScans is RELIABILITY row 1: the door is killed (SIGKILL) at
// a random moment while scanning, 200 times over one database. Every entry
// it acknowledged is there afterwards, none twice, and the file is sound.
func TestKillDuringScans(t *testing.T) {
	cycles := 200
	if testing.Short() {
		cycles = 20
	}
	path := filepath.Join(t.TempDir(), "munjigi.db")
	payloads := demoPayloads(t)
	acked := map[uint64]bool{}
	var worstReady time.Duration
	for c := 0; c < cycles; c++ {
		d := startDoor(t, path)
		d.feed(payloads)
		time.Sleep(time.Duration(5+rand.IntN(246)) * time.Millisecond)
		d.cmd.Process.Signal(syscall.SIGKILL)
		d.cmd.Wait()
		first := true
		for a := range d.acks {
			if !a.Logged {
				continue
			}
			if first {
				first = false
			}
			if acked[a.Seq] {
				t.Fatalf("cycle %d: seq %d acknowledged twice", c, a.Seq)
			}
			acked[a.Seq] = true
		}
		if crashed(d.stderr.Bytes()) {
			t.Fatalf("cycle %d: %s", c, d.stderr.String())
		}
	}
	// Ready again: the time from start to a decision, after the last kill.
	d := startDoor(t, path)
	d.feed(payloads[:1])
	a, ok := <-d.acks
	worstReady = time.Since(d.start)
	d.cmd.Process.Kill()
	d.cmd.Wait()
	if !ok || !a.Logged {
		t.Fatalf("after %d kills the door does not record: %s", cycles, d.stderr.String())
	}
	if o := munjigi(t, nil, "db", "check", path); o.code != 0 {
		t.Fatalf("integrity check after %d kills: %s", cycles, o.stdout)
	}
	inLog, gaps := exportSeqs(t, path)
	lost := 0
	for seq := range acked {
		if inLog[seq] == 0 {
			lost++
		}
	}
	for seq, n := range inLog {
		if n > 1 {
			t.Errorf("seq %d is in the log %d times", seq, n)
		}
	}
	if lost > 0 || gaps > 0 {
		t.Errorf("%d of %d acknowledged entries lost, %d gaps (the file was never damaged)", lost, len(acked), gaps)
	}
	if len(acked) < cycles {
		t.Errorf("only %d entries acknowledged in %d cycles: the test proves little", len(acked), cycles)
	}
	t.Logf("%d kills, %d acknowledged entries, 0 lost; ready again %v after the last", cycles, len(acked), worstReady)
}

// TestKillDuringFirstStart is RELIABILITY row 3: killed 0-20 ms after it
// first opens a new database, the door starts again and records.
func TestKillDuringFirstStart(t *testing.T) {
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	payloads := demoPayloads(t)[:1]
	dir := t.TempDir()
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for r := 0; r < rounds; r++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			path := filepath.Join(dir, fmt.Sprintf("first-%d.db", r))
			d := startDoor(t, path)
			d.feed(payloads)
			time.Sleep(time.Duration(rand.IntN(21)) * time.Millisecond)
			d.cmd.Process.Signal(syscall.SIGKILL)
			d.cmd.Wait()
			for range d.acks {
			}
			// The next start must work.
			o := munjigi(t, []byte(payloads[0]+"\n"), "run", "--headless", "--demo", "--policy", "none", "--db", path)
			lines := strings.Split(strings.TrimSpace(string(o.stdout)), "\n")
			var last ack
			json.Unmarshal([]byte(lines[len(lines)-1]), &last)
			if o.code != 0 || !last.Logged || last.Method != "qr" {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("round %d: exit %d, %s, stderr %s", r, o.code, o.stdout, o.stderr))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
}

// TestDamagedDatabase is RELIABILITY row 2: database files damaged below
// bbolt (pages of two versions mixed, 2% of pages zeroed). The door never
// panics: a file that is not sound is moved aside, a fresh log starts with
// the gap recorded, and the scan is decided and recorded.
func TestDamagedDatabase(t *testing.T) {
	images := 1000
	if testing.Short() {
		images = 50
	}
	dir := t.TempDir()
	older, newer := twoVersions(t, dir)
	payload := demoPayloads(t)[0]
	var mu sync.Mutex
	movedAside, kept := 0, 0
	var worst time.Duration
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := 0; i < images; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			sub := filepath.Join(dir, fmt.Sprintf("img-%d", i))
			os.Mkdir(sub, 0o700)
			path := filepath.Join(sub, "munjigi.db")
			if err := os.WriteFile(path, damage(older, newer, rand.New(rand.NewPCG(uint64(i), 7))), 0o600); err != nil {
				t.Error(err)
				return
			}
			start := time.Now()
			o := munjigi(t, []byte(payload+"\n"), "run", "--headless", "--demo", "--policy", "none", "--db", path)
			took := time.Since(start)
			lines := strings.Split(strings.TrimSpace(string(o.stdout)), "\n")
			var first, last ack
			json.Unmarshal([]byte(lines[0]), &first)
			json.Unmarshal([]byte(lines[len(lines)-1]), &last)
			aside, _ := filepath.Glob(path + ".corrupt-*")
			mu.Lock()
			defer mu.Unlock()
			worst = max(worst, took)
			switch {
			case o.code != 0 || crashed(o.stderr):
				t.Errorf("image %d: exit %d: %s", i, o.code, o.stderr)
			case !last.Logged || last.Method != "qr":
				t.Errorf("image %d: the scan was not recorded: %s", i, o.stdout)
			case len(aside) == 1 && first.Method != "gap":
				t.Errorf("image %d: moved aside without a gap in the log", i)
			case len(aside) == 0 && first.Method == "gap":
				t.Errorf("image %d: a gap without the file moved aside", i)
			case len(aside) == 1:
				movedAside++
			default:
				kept++
			}
		}()
	}
	wg.Wait()
	t.Logf("%d damaged images: %d moved aside, %d still sound enough to keep; slowest start to a recorded scan %v", images, movedAside, kept, worst)
	if movedAside == 0 {
		t.Error("no image was found damaged: the damage is not damage")
	}
}

// crashed reports whether a process's standard error holds the Go
// runtime's crash report. (A damaged file's description may say "panic":
// the child that checked it was allowed to.)
func crashed(stderr []byte) bool {
	for _, line := range bytes.Split(stderr, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("panic: ")) || bytes.HasPrefix(line, []byte("fatal error: ")) {
			return true
		}
	}
	return false
}

// twoVersions writes a database through the store, as a kiosk would, and
// returns its bytes at two moments.
func twoVersions(t *testing.T, dir string) (older, newer []byte) {
	t.Helper()
	path := filepath.Join(dir, "versions.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	add := func(n int) {
		for i := 0; i < n; i++ {
			e := store.Entry{At: time.Now(), ClockTrusted: true, Verdict: "pass", Method: "qr", Format: "dcc", Type: "v", Reason: "ok",
				PassHash: db.HashPassID(fmt.Sprint(i, n)), Admitted: true}
			if _, err := db.Append(e); err != nil {
				t.Fatal(err)
			}
		}
	}
	add(300)
	db.Close()
	older, _ = os.ReadFile(path)
	db, _ = store.Open(path, store.Options{})
	add(300)
	db.Purge(time.Now().Add(time.Hour)) // frees pages: the layouts differ
	add(100)
	db.Close()
	newer, _ = os.ReadFile(path)
	return older, newer
}

// damage mixes the pages of two versions of a file and zeroes 2% of them,
// as a lying fsync or an SD card losing pages would.
func damage(older, newer []byte, r *rand.Rand) []byte {
	const page = 4096
	out := append([]byte(nil), newer...)
	for p := 0; p*page < len(out); p++ {
		lo, hi := p*page, min((p+1)*page, len(out))
		switch x := r.IntN(100); {
		case x < 2:
			clear(out[lo:hi])
		case x < 30 && hi <= len(older):
			copy(out[lo:hi], older[lo:hi])
		}
	}
	return out
}

// TestPersonalDataCanary is RELIABILITY row 22: a pass for ZZCANARY, born
// 1901-02-03. Neither appears in the database file, the door's output or
// its log, nor does the certificate id; the file is 0600.
func TestPersonalDataCanary(t *testing.T) {
	const uvci = "URN:UVCI:01:KR:CANARY/0001#Z"
	now := time.Now()
	qr, err := demo.Signer().Issue(demo.Pass{
		HCert: map[string]any{
			"ver": "1.3.0", "dob": "1901-02-03",
			"nam": map[string]any{"fn": "ZZCANARY", "gn": "ZZCANARY", "fnt": "ZZCANARY", "gnt": "ZZCANARY"},
			"v": []any{map[string]any{"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215",
				"dn": 2, "sd": 2, "dt": now.AddDate(0, 0, -30).Format(time.DateOnly), "co": "KR", "is": "canary", "ci": uvci}},
		},
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.AddDate(0, 6, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "door", "munjigi.db")
	o := munjigi(t, []byte(qr+"\n"+qr+"\n"), "run", "--headless", "--demo", "--db", path)
	if o.code != 0 || !bytes.Contains(o.stdout, []byte(`"verdict":"pass"`)) {
		t.Fatalf("exit %d: %s %s", o.code, o.stdout, o.stderr)
	}
	exp := munjigi(t, nil, "export", "--db", path)
	db, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(filepath.Dir(path), "munjigi.log")
	logFile, err := os.ReadFile(logPath)
	if err != nil || !bytes.Contains(logFile, []byte(`"msg":"decision"`)) {
		t.Errorf("the kiosk's log has no decisions: %v\n%s", err, logFile)
	}
	for where, data := range map[string][]byte{"database file": db, "output": o.stdout, "stderr": o.stderr, "export": exp.stdout, "log file": logFile} {
		for _, secret := range []string{"ZZCANARY", "zzcanary", "1901-02-03", "19010203", uvci, "CANARY/0001"} {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s holds %q", where, secret)
			}
		}
	}
	for _, p := range []string{path, filepath.Dir(path), logPath} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := st.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s is mode %v: others can read it", p, perm)
		}
	}
	// And yet a tracer with the certificate id finds the visits.
	if l := munjigi(t, nil, "lookup", uvci, "--db", path); l.code != 0 || bytes.Count(l.stdout, []byte("\n")) != 2 {
		t.Errorf("lookup: exit %d: %s %s", l.code, l.stdout, l.stderr)
	}
}

// TestSIGTERM: the door asked to stop finishes the scan in hand, records it
// and exits cleanly.
func TestSIGTERM(t *testing.T) {
	path := filepath.Join(t.TempDir(), "munjigi.db")
	d := startDoor(t, path)
	d.feed(demoPayloads(t))
	a, ok := <-d.acks
	if !ok {
		t.Fatalf("no decision: %s", d.stderr.String())
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	err := d.cmd.Wait()
	last := a
	for a := range d.acks {
		last = a
	}
	if err != nil {
		t.Fatalf("exit after SIGTERM: %v: %s", err, d.stderr.String())
	}
	seqs, _ := exportSeqs(t, path)
	if seqs[last.Seq] != 1 {
		t.Errorf("the last acknowledged entry %d is not in the log", last.Seq)
	}
}
