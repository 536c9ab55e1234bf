package scanner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
)

func collect(t *testing.T, ch <-chan Scan, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		select {
		case s, ok := <-ch:
			if !ok {
				return got
			}
			switch {
			case s.Kind != Read:
				got = append(got, s.Kind.String()+": "+s.Err.Error())
			case s.Err != nil:
				got = append(got, "err: "+s.Err.Error())
			default:
				got = append(got, string(s.Payload))
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("after %q, nothing more", got)
		}
	}
	return got
}

func TestFileSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scans.txt")
	os.WriteFile(path, []byte("HC1:A\r\nHC1:B\nHC1:C"), 0o600)
	ch := File(path, Options{}).Scans(context.Background())
	if got := collect(t, ch, 10); strings.Join(got, "|") != "HC1:A|HC1:B|HC1:C" {
		t.Errorf("got %q", got)
	}
}

func TestFileMissing(t *testing.T) {
	ch := File(filepath.Join(t.TempDir(), "nope"), Options{}).Scans(context.Background())
	got := collect(t, ch, 10)
	if len(got) != 1 || !strings.HasPrefix(got[0], "disconnected: reading file:") {
		t.Errorf("got %q", got)
	}
}

// A named pipe outlives its writers: a bridge that restarts is not an end.
func TestNamedPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "scanner.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := File(fifo, Options{}).Scans(ctx)
	for _, batch := range []string{"HC1:ONE\nHC1:TWO\n", "HC1:THREE\n"} {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.WriteString(batch)
		w.Close()
	}
	if got := collect(t, ch, 3); strings.Join(got, "|") != "HC1:ONE|HC1:TWO|HC1:THREE" {
		t.Errorf("got %q", got)
	}
	cancel()
	stopped(t, ch)
}

func TestReaderError(t *testing.T) {
	r := iotest.TimeoutReader(strings.NewReader("HC1:A\nHC1:B\n"))
	ch := Reader("stdin", iotest.OneByteReader(errorAfter{r}), Options{}).Scans(context.Background())
	got := collect(t, ch, 10)
	if len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "disconnected: reading stdin") {
		t.Errorf("got %q", got)
	}
}

type errorAfter struct {
	r interface{ Read([]byte) (int, error) }
}

func (e errorAfter) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if errors.Is(err, iotest.ErrTimeout) {
		return n, errors.New("the terminal went away")
	}
	return n, err
}
