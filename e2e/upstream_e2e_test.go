package e2e

// The upstream side end to end: the reference server and the kiosk as
// separate processes of the real binary, over loopback HTTP.

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"munjigi/demo"
	"munjigi/upstream"
)

// startUpstream runs 'munjigi upstream serve' on a free loopback port and
// returns its URL and data directory.
func startUpstream(t *testing.T) (url, data string) {
	t.Helper()
	data = filepath.Join(t.TempDir(), "upstream")
	if err := os.WriteFile(mintCredential(data), []byte("e2e-minting-credential\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, "upstream", "serve", "--addr", "127.0.0.1:0", "--data", data, "--mint-credential", mintCredential(data))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "serving http://") {
		t.Fatalf("upstream serve said %q", sc.Text())
	}
	url = strings.TrimPrefix(sc.Text(), "serving ")
	go func() {
		for sc.Scan() {
		}
	}()
	return url, data
}

// mintCredential is the file of the minting credential startUpstream
// gives its server.
func mintCredential(data string) string { return filepath.Join(filepath.Dir(data), "mint-credential") }

// TestUpstreamEndToEnd: the trust list synced from the reference server
// verifies the demo passes with no other trust; a one-time token minted on
// it passes once, then is "used".
func TestUpstreamEndToEnd(t *testing.T) {
	url, data := startUpstream(t)
	db := filepath.Join(t.TempDir(), "kiosk.db")
	if o := munjigi(t, nil, "trust", "sync", "--upstream", url, "--db", db); o.code != 0 || !strings.Contains(string(o.stdout), "version 1") {
		t.Fatalf("trust sync: exit %d: %s %s", o.code, o.stdout, o.stderr)
	}
	if o := munjigi(t, nil, "trust", "sync", "--upstream", url, "--db", db); o.code != 0 || !strings.Contains(string(o.stdout), "current (version 1)") {
		t.Errorf("a second sync: exit %d: %s %s", o.code, o.stdout, o.stderr)
	}
	if o := munjigi(t, nil, "upstream", "token", "--upstream", url); o.code == 0 {
		t.Errorf("a token minted without the minting credential: %s", o.stdout)
	}
	tok := munjigi(t, nil, "upstream", "token", "--upstream", url, "--mint-credential", mintCredential(data))
	token := strings.TrimSpace(string(tok.stdout))
	if tok.code != 0 || !strings.HasPrefix(token, "MJT1:") {
		t.Fatalf("upstream token: %d %s %s", tok.code, tok.stdout, tok.stderr)
	}
	valid := sample(t, samples(t), validLabel).Payload
	in := strings.Join([]string{token, token, valid}, "\n") + "\n"
	o := munjigi(t, []byte(in), "run", "--headless", "--upstream", url, "--db", db)
	if o.code != 0 {
		t.Fatalf("headless: exit %d: %s", o.code, o.stderr)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(o.stdout)), "\n") {
		var d struct{ Format, Verdict, Reason string }
		json.Unmarshal([]byte(line), &d)
		got = append(got, d.Format+"/"+d.Verdict+"/"+d.Reason)
	}
	want := []string{"token/pass/ok", "token/fail/token-used", "dcc/pass/ok"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("decided %v, want %v", got, want)
	}
	if o := munjigi(t, nil, "trust", "show", "--upstream", url, "--db", db); !strings.Contains(string(o.stdout), "1 document signer keys") {
		t.Errorf("trust show: %s %s", o.stdout, o.stderr)
	}
}

// TestTrustImportKilled is RELIABILITY row 20's SIGKILL during the swap:
// 'munjigi trust import' is killed at a random moment, 100 times; the list
// in force is always one whole list, old or new, and the file is sound.
func TestTrustImportKilled(t *testing.T) {
	cycles := 100
	if testing.Short() {
		cycles = 10
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pemKey, _ := upstream.MarshalKey(&key.PublicKey)
	keyPath := filepath.Join(dir, "key.pem")
	os.WriteFile(keyPath, pemKey, 0o600)
	db := filepath.Join(dir, "kiosk.db")
	list := func(version int) string {
		var doc map[string]any
		json.Unmarshal(demo.TrustList(time.Now()), &doc)
		doc["version"], doc["issuedAt"], doc["expiresAt"] = version, time.Now().Add(-time.Minute).Format(time.RFC3339), time.Now().Add(time.Hour).Format(time.RFC3339)
		body, _ := json.Marshal(doc)
		signed, err := upstream.Sign(body, key)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("v%d.jws", version))
		os.WriteFile(p, signed, 0o600)
		return p
	}
	if o := munjigi(t, nil, "trust", "import", list(1), "--key", keyPath, "--db", db); o.code != 0 {
		t.Fatalf("the first import: %s", o.stderr)
	}
	r := mrand.New(mrand.NewPCG(7, 7))
	inForce, killed := 1, 0
	for range cycles {
		cmd := exec.Command(binPath, "trust", "import", list(inForce+1), "--key", keyPath, "--db", db)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(r.IntN(40)) * time.Millisecond)
		cmd.Process.Kill()
		if cmd.Wait() != nil {
			killed++
		}
		show := munjigi(t, nil, "trust", "show", "--key", keyPath, "--db", db)
		var v int
		if _, err := fmt.Sscanf(strings.TrimPrefix(string(show.stdout), "signed trust list: version "), "%d", &v); err != nil || show.code != 0 {
			t.Fatalf("after a kill: exit %d: %s %s", show.code, show.stdout, show.stderr)
		}
		switch v {
		case inForce:
		case inForce + 1:
			inForce = v
		default:
			t.Fatalf("version %d in force after importing %d over %d", v, inForce+1, inForce)
		}
		if c := munjigi(t, nil, "db", "check", db); c.code != 0 {
			t.Fatalf("the database after a kill: %s", c.stdout)
		}
	}
	t.Logf("%d imports, %d killed before they finished; the list in force was always whole (now version %d)", cycles, killed, inForce)
}
