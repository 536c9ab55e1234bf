package authority

// Servers as processes of their own, for the tests and benchmarks of many
// servers on one database: the test binary runs itself again as a server
// (TestMain sees childEnv). That is the real Server, store and HTTP stack
// in a process that can be SIGKILLed; it is not the munjigi binary, whose
// command tree is being rebuilt, and it needs no build step.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	childEnv     = "MUNJIGI_AUTHORITY_TEST_STORE" // the store: set, the binary is a server
	childDataEnv = "MUNJIGI_AUTHORITY_TEST_DATA"
	childMintEnv = "MUNJIGI_AUTHORITY_TEST_MINT"
	// childTimeoutEnv sets the server's database deadline: tests of what
	// many servers agree on give it room on a loaded machine (the
	// deadline's own behaviour is tested apart, on its default).
	childTimeoutEnv = "MUNJIGI_AUTHORITY_TEST_DB_TIMEOUT"
)

// serveChild is a server process: it prints its address and serves until
// SIGTERM.
func serveChild() int {
	timeout, _ := time.ParseDuration(os.Getenv(childTimeoutEnv)) // unset: the default
	srv, err := Open(Config{DataDir: os.Getenv(childDataEnv), Store: os.Getenv(childEnv),
		MintCredential: os.Getenv(childMintEnv), MaintainEvery: -1, DBTimeout: timeout})
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		return 1
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		return 1
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	fmt.Printf("listening http://%s\n", ln.Addr())
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "server:", err)
		return 1
	}
	return 0
}

// child is a server process.
type child struct {
	URL    string
	cmd    *exec.Cmd
	stderr *syncWriter
	once   sync.Once
}

// startServer starts a server process on store, with the data folder dir
// (the signing key and list/ its siblings share), killed when the test
// ends.
func startServer(t testing.TB, store, dir, mint string) *child {
	t.Helper()
	c, err := spawnServer(store, dir, mint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.kill)
	return c
}

// spawnServer starts a server process; the caller kills it.
func spawnServer(store, dir, mint string) (*child, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+store, childDataEnv+"="+dir, childMintEnv+"="+mint)
	c := &child{cmd: cmd, stderr: &syncWriter{w: &bytes.Buffer{}}}
	cmd.Stderr = c.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(out)
	line := make(chan string, 1)
	go func() {
		sc.Scan()
		line <- sc.Text()
		for sc.Scan() {
		}
	}()
	select {
	case l := <-line:
		if !strings.HasPrefix(l, "listening ") {
			c.kill()
			return nil, fmt.Errorf("a server process said %q: %s", l, c.stderr)
		}
		c.URL = strings.TrimPrefix(l, "listening ")
	case <-time.After(60 * time.Second):
		c.kill()
		return nil, fmt.Errorf("a server process did not start in 60 s: %s", c.stderr)
	}
	return c, nil
}

// kill SIGKILLs the process (once) and reaps it.
func (c *child) kill() {
	c.once.Do(func() {
		c.cmd.Process.Kill()
		c.cmd.Wait()
	})
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
