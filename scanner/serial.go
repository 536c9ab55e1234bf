package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"syscall"
	"time"

	"github.com/tarm/serial"
)

// Serial is a scanner on a serial port: USB CDC-ACM (/dev/ttyACM0), a
// USB-serial adapter (/dev/ttyUSB0) or RS-232. It opens the port, reads
// scans, and when the device goes away reports it and opens it again as
// soon as it is back, with a backoff that never spins.
type Serial struct {
	// Port is the device's path, or "auto": the first device under
	// /dev/serial/by-id/, then /dev/ttyACM*, then /dev/ttyUSB*.
	Port     string
	Baud     int    // 0 means 9600
	DataBits int    // 0 means 8
	Parity   string // none (default), odd or even
	StopBits int    // 0 means 1; or 2
	// ReadTimeout bounds each read, so the source notices a stop, a
	// silence or a removed device; 0 means 100 ms (the port's unit).
	ReadTimeout time.Duration
	// MaxBackoff caps the wait between attempts to open the port; 0
	// means 2 s, so a scanner plugged back in is read within 5 s.
	MaxBackoff time.Duration
	// DevDir is where "auto" looks; "" means /dev. For tests.
	DevDir string
	Options
}

// bauds are the rates a serial scanner is set to.
var bauds = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600}

// Check says what is wrong with the port's settings, before it is opened.
func (s *Serial) Check() error {
	if s.Baud != 0 && !slices.Contains(bauds, s.Baud) {
		return fmt.Errorf("baud %d: one of %v", s.Baud, bauds)
	}
	if s.DataBits != 0 && s.DataBits != 7 && s.DataBits != 8 {
		return fmt.Errorf("data bits %d: 7 or 8", s.DataBits)
	}
	_, err := s.config(s.Port)
	return err
}

// Auto finds the scanner's port the way "auto" does.
func Auto(devDir string) (string, error) {
	if devDir == "" {
		devDir = "/dev"
	}
	for _, pattern := range []string{"serial/by-id/*", "ttyACM*", "ttyUSB*"} {
		found, _ := filepath.Glob(filepath.Join(devDir, pattern))
		sort.Strings(found)
		if len(found) > 0 {
			return found[0], nil
		}
	}
	return "", fmt.Errorf("no serial scanner found (looked in %s/serial/by-id, %s/ttyACM*, %s/ttyUSB*): is it plugged in?", devDir, devDir, devDir)
}

func (s *Serial) readTimeout() time.Duration {
	if s.ReadTimeout <= 0 {
		return 100 * time.Millisecond
	}
	return s.ReadTimeout
}

func (s *Serial) config(path string) (*serial.Config, error) {
	c := &serial.Config{Name: path, Baud: s.Baud, Size: byte(s.DataBits), ReadTimeout: s.readTimeout()}
	if c.Baud == 0 {
		c.Baud = 9600
	}
	if c.Size == 0 {
		c.Size = 8
	}
	switch s.Parity {
	case "", "none":
		c.Parity = serial.ParityNone
	case "odd":
		c.Parity = serial.ParityOdd
	case "even":
		c.Parity = serial.ParityEven
	default:
		return nil, fmt.Errorf("parity %q: none, odd or even", s.Parity)
	}
	switch s.StopBits {
	case 0, 1:
		c.StopBits = serial.Stop1
	case 2:
		c.StopBits = serial.Stop2
	default:
		return nil, fmt.Errorf("stop bits %d: 1 or 2", s.StopBits)
	}
	return c, nil
}

// Scans implements Source: Connected when the port opens, the scans,
// Disconnected (once per outage) when it goes or cannot be opened, and
// so on until ctx is done.
func (s *Serial) Scans(ctx context.Context) <-chan Scan {
	out := make(chan Scan)
	go func() {
		defer close(out)
		const minBackoff = 100 * time.Millisecond
		maxBackoff := s.MaxBackoff
		if maxBackoff <= 0 {
			maxBackoff = 2 * time.Second
		}
		backoff := minBackoff
		online := true // so the first failure is reported
		report := func(sc Scan) bool {
			select {
			case out <- sc:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for ctx.Err() == nil {
			path, port, identity, err := s.open()
			if err == nil {
				backoff = minBackoff
				online = true
				name := "serial:" + path
				if !report(Scan{Kind: Connected, At: s.now(), Source: name}) {
					port.Close()
					return
				}
				chunks := make(chan chunk)
				rctx, stop := context.WithCancel(ctx)
				go s.readPort(rctx, port, path, identity, chunks)
				err = frame(rctx, chunks, out, name, s.Options)
				stop()
				for range chunks {
					// Wait for the reader to close the port.
				}
				if ctx.Err() != nil {
					return
				}
				if err == nil {
					err = errors.New("the port closed")
				}
			}
			if online {
				online = false
				if !report(Scan{Kind: Disconnected, At: s.now(), Source: "serial:" + s.Port, Err: fmt.Errorf("scanner disconnected: %w", err)}) {
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, maxBackoff)
		}
	}()
	return out
}

// open opens the port, and names the device it opened, so that a name
// later pointing elsewhere is noticed.
func (s *Serial) open() (string, io.ReadCloser, [2]uint64, error) {
	var none [2]uint64
	path := s.Port
	if path == "" || path == "auto" {
		var err error
		if path, err = Auto(s.DevDir); err != nil {
			return "", nil, none, err
		}
	}
	c, err := s.config(path)
	if err != nil {
		return path, nil, none, err
	}
	before, err := deviceID(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil, none, fmt.Errorf("there is no %s: is the scanner plugged in?", path)
	}
	if err != nil {
		return path, nil, none, err
	}
	port, err := serial.OpenPort(c)
	if err != nil {
		return path, nil, none, fmt.Errorf("opening %s: %w", path, err)
	}
	if after, err := deviceID(path); err != nil || after != before {
		port.Close()
		return path, nil, none, fmt.Errorf("%s changed while it was opened", path)
	}
	return path, port, before, nil
}

// readPort reads the open port into chunks until ctx is done or the
// device goes away, then closes the port and chunks. A read returns at
// least every read timeout; one that returns nothing at once, over and
// over, is a hung-up device (a USB scanner pulled out reads as an
// endless end of file), and a device node that is gone or replaced is
// gone.
func (s *Serial) readPort(ctx context.Context, port io.ReadCloser, path string, identity [2]uint64, chunks chan<- chunk) {
	defer close(chunks)
	defer port.Close()
	fail := func(err error) {
		select {
		case chunks <- chunk{err: err, at: time.Now()}:
		case <-ctx.Done():
		}
	}
	timeout := s.readTimeout()
	buf := make([]byte, 4096)
	empty := 0
	for ctx.Err() == nil {
		t0 := time.Now()
		n, err := port.Read(buf)
		if n > 0 {
			empty = 0
			select {
			case chunks <- chunk{data: bytes.Clone(buf[:n]), at: s.now()}:
			case <-ctx.Done():
				return
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is said once
			}
			fail(fmt.Errorf("reading %s: %w", path, err))
			return
		}
		// Nothing: a timeout, or a device that has hung up.
		if time.Since(t0) < timeout/2 {
			if empty++; empty >= 3 {
				fail(fmt.Errorf("%s hung up", path))
				return
			}
			time.Sleep(timeout / 4) // a hung-up device must not spin
		} else {
			empty = 0
		}
		if id, err := deviceID(path); err != nil || id != identity {
			fail(fmt.Errorf("%s is gone", path))
			return
		}
	}
}

// deviceID names the device behind path (symlinks followed, as
// /dev/serial/by-id/ are), so a node replaced by another is noticed.
func deviceID(path string) ([2]uint64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return [2]uint64{}, err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return [2]uint64{}, nil
	}
	return [2]uint64{uint64(sys.Rdev), uint64(sys.Ino)}, nil
}
