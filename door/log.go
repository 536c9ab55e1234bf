package door

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"munjigi/config"
	"munjigi/internal/words"
)

// maxLogSize is where the log file is cut: the SD card under the counter
// holds the entry log first.
const maxLogSize = 10 << 20

// OpenLog opens the door's structured log. It never writes to the kiosk's
// terminal: a file (cut at 10 MB, one older file kept), or standard error
// when the configuration says "-". A log that cannot be opened (a
// read-only card) is an error the caller may live with: the door must
// still open.
func OpenLog(cfg *config.Config, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		return nil, nil, err
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.File == "-" {
		return slog.New(slog.NewJSONHandler(stderr, opts)), io.NopCloser(nil), nil
	}
	path := cfg.LogPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, words.New(words.LogCannotOpen, path, err)
	}
	w, err := openRotating(path, maxLogSize)
	if err != nil {
		return nil, nil, words.New(words.LogCannotOpen, path, err)
	}
	return slog.New(slog.NewJSONHandler(w, opts)), w, nil
}

// rotating is a log file that starts afresh (keeping one older file) when
// it reaches its size.
type rotating struct {
	mu   sync.Mutex
	path string
	max  int64
	f    *os.File
	size int64
}

func openRotating(path string, max int64) (*rotating, error) {
	r := &rotating{path: path, max: max}
	return r, r.open()
}

func (r *rotating) open() error {
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	r.f, r.size = f, st.Size()
	return nil
}

func (r *rotating) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.size+int64(len(p)) > r.max && r.size > 0 {
		r.f.Close()
		os.Rename(r.path, r.path+".1")
		if err := r.open(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

func (r *rotating) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Close()
}
