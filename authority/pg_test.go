package authority

// A throwaway PostgreSQL cluster for the tests: the distribution's own
// binaries, initdb into a temporary folder, listening on loopback only on a
// free port, removed afterwards. Outside CI the tests that need it skip
// when no binaries are found; with CI=true they fail.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgBin finds the folder of initdb, pg_ctl and postgres: the newest
// /usr/lib/postgresql/N/bin (Debian keeps them there, off PATH), else PATH.
func pgBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		p, _ = filepath.EvalSymlinks(p)
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL binaries (initdb, pg_ctl, postgres) in /usr/lib/postgresql/*/bin or on PATH: install the distribution's postgresql package")
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// needPG skips (or in CI fails) a test that needs PostgreSQL when there is
// none.
func needPG(t testing.TB) string {
	t.Helper()
	bin, err := pgBin()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: %v", err)
		}
		t.Skip(err)
	}
	return bin
}

// cluster is a running throwaway PostgreSQL.
type cluster struct {
	bin, dir, data string
	port           int
	cred           *syscall.Credential // nil: run as ourselves
	mu             sync.Mutex
	dbs            atomic.Int64
}

// newCluster makes and starts a cluster; stop and remove it with
// destroy.
func newCluster(bin string) (*cluster, error) {
	c := &cluster{bin: bin}
	if os.Geteuid() == 0 {
		// PostgreSQL will not run as root: the tests run as root in CI.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, and no postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	dir, err := os.MkdirTemp("", "munjigi-pg-")
	if err != nil {
		return nil, err
	}
	c.dir, c.data = dir, filepath.Join(dir, "data")
	if err := os.Chmod(dir, 0o755); err != nil { // the postgres user passes through
		c.destroy()
		return nil, err
	}
	if err := os.Mkdir(c.data, 0o700); err != nil {
		c.destroy()
		return nil, err
	}
	if c.cred != nil {
		if err := os.Chown(c.data, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			c.destroy()
			return nil, err
		}
	}
	// --no-sync: initdb's own files need no fsync for a test; the running
	// server keeps fsync on (the benchmarks measure with it).
	if out, err := c.run("initdb", "-D", c.data, "-U", "munjigi", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"); err != nil {
		c.destroy()
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.destroy()
		return nil, err
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	if err := c.start(); err != nil {
		c.destroy()
		return nil, err
	}
	return c, nil
}

func (c *cluster) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

// start starts the server and waits until it takes connections.
func (c *cluster) start() error {
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c max_connections=200 -c shared_buffers=32MB -c fsync=on -c synchronous_commit=on", c.port, c.data)
	if out, err := c.run("pg_ctl", "-D", c.data, "-l", filepath.Join(c.data, "log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.data, "log"))
		return fmt.Errorf("pg_ctl start: %w: %s\n%s", err, out, log)
	}
	return nil
}

// stop stops the server (fast: sessions are ended, nothing is lost).
func (c *cluster) stop() error {
	if out, err := c.run("pg_ctl", "-D", c.data, "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, out)
	}
	return nil
}

// destroy stops the server, if it runs, and removes everything.
func (c *cluster) destroy() {
	if c.data != "" {
		if _, err := os.Stat(filepath.Join(c.data, "postmaster.pid")); err == nil {
			c.run("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop")
		}
	}
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

// pids are the cluster's processes: the postmaster and its children.
func (c *cluster) pids() ([]int, error) {
	f, err := os.Open(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	pm, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
	if err != nil {
		return nil, fmt.Errorf("postmaster.pid: %w", err)
	}
	out := []int{pm}
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read from
		// the last ')'.
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && fields[1] == strconv.Itoa(pm) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			out = append(out, pid)
		}
	}
	return out, nil
}

// signal sends sig to every process of the cluster: SIGSTOP makes a
// database that takes connections and never answers.
func (c *cluster) signal(sig syscall.Signal) error {
	pids, err := c.pids()
	if err != nil {
		return err
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil {
			return fmt.Errorf("signal %v to %d: %w", sig, pid, err)
		}
	}
	return nil
}

func (c *cluster) url(db string) string {
	return fmt.Sprintf("postgres://munjigi@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// newDB makes an empty database for one test.
func (c *cluster) newDB(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.dbs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	return c.url(name)
}

// The cluster most tests share, started once and removed by TestMain.
var (
	sharedOnce sync.Once
	shared     *cluster
	sharedErr  error
)

func sharedCluster(t testing.TB) *cluster {
	t.Helper()
	bin := needPG(t)
	sharedOnce.Do(func() { shared, sharedErr = newCluster(bin) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

// ownCluster is a cluster for a test that stops or freezes it.
func ownCluster(t testing.TB) *cluster {
	t.Helper()
	c, err := newCluster(needPG(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.signal(syscall.SIGCONT) // a frozen cluster cannot stop
		c.destroy()
	})
	return c
}

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(serveChild())
	}
	code := m.Run()
	cleanupBenchmarks()
	if shared != nil {
		shared.destroy()
	}
	os.Exit(code)
}
