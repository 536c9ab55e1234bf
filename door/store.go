package door

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"munjigi/internal/words"
	"munjigi/store"
	"munjigi/verify"
)

// CheckTimeout bounds the integrity check of the database before start: a
// 28-day log checks in well under a second, and a damaged file can make the
// check loop. Scanning must resume within 15 s of a start.
const CheckTimeout = 8 * time.Second

// Exit statuses of 'munjigi db check', which the door runs in a child.
const (
	CheckSound   = 0
	CheckDamaged = 1
	CheckInUse   = 3 // another process holds the file: it is not judged
	CheckCannot  = 4 // the file cannot be read (permission): not judged either
)

// ErrInUse is a database another munjigi holds: a door already runs on
// it. Its message names the process when it can.
var ErrInUse = errors.New("door: the database is in use by another munjigi")

// openStore opens the door's database after checking it in a child
// process: a damaged file can crash the process that reads it, and the door
// must not be that process. Only proven damage moves a file aside (a fresh
// log starts, and the notes say so); a file in use is refused; a file or
// card that cannot be written is opened read-only, or not at all, and the
// door decides without a log (the notes say why). The notes are for the
// screen, the entry log (in English) and a person (in their language).
func openStore(path string, now time.Time, log *slog.Logger) (db *store.DB, notes []words.Text, err error) {
	if _, err := os.Stat(path); err == nil {
		switch err := CheckInChild(path); {
		case errors.Is(err, store.ErrLocked):
			return nil, nil, inUse(path)
		case errors.Is(err, store.ErrDamaged):
			aside, merr := store.MoveAside(path, now)
			if merr != nil {
				// It cannot even be moved (a read-only card): read what
				// can be read, write nothing.
				return nil, []words.Text{words.T(words.DBDamagedStuck, err, merr)}, nil
			}
			log.Error("database moved aside", "err", err, "to", aside)
			notes = append(notes, words.T(words.DBMovedAside, err, aside))
		case err != nil:
			log.Warn("database check", "err", err) // not judged: opening says what it is
		}
	}
	db, err = store.Open(path, store.Options{})
	switch {
	case err == nil:
		return db, notes, nil
	case errors.Is(err, store.ErrLocked):
		return nil, nil, inUse(path)
	case errors.Is(err, store.ErrDamaged) && !errors.Is(err, store.ErrReadOnly):
		// The check passed but opening did not: the file changed, or the
		// check missed it. Move it aside all the same.
		aside, merr := store.MoveAside(path, now)
		if merr != nil {
			return nil, append(notes, words.T(words.DBOpenStuck, err, merr)), nil
		}
		notes = append(notes, words.T(words.DBOpenMovedAside, err, aside))
		db, err = store.Open(path, store.Options{})
		if err == nil {
			return db, notes, nil
		}
	}
	// It cannot be written: a read-only card, a file that belongs to
	// someone else. The door still decides; it reads what it can (the
	// clock's mark, re-use) and says nothing is logged.
	why := words.T(words.DBReadOnly, path, err)
	if ro, rerr := store.Open(path, store.Options{ReadOnly: true}); rerr == nil {
		log.Error("database read-only", "err", err)
		return ro, append(notes, why), nil
	}
	log.Error("no database", "err", err)
	return nil, append(notes, why), nil
}

// inUse says which process holds the database, when it can be found.
func inUse(path string) error {
	if pid := lockHolder(path); pid > 0 && pid != os.Getpid() {
		return words.Wrap(ErrInUse, words.InUseBy, pid, path)
	}
	return words.Wrap(ErrInUse, words.InUse, path)
}

// lockHolder finds the process holding a lock on the file, from
// /proc/locks (bbolt takes a flock): 0 when it cannot tell.
func lockHolder(path string) int {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return 0
	}
	defer f.Close()
	// 1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF
	want := ":" + strconv.FormatUint(st.Ino, 10)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" {
			continue
		}
		if strings.HasSuffix(fields[5], want) {
			pid, _ := strconv.Atoi(fields[4])
			return pid
		}
	}
	return 0
}

// CheckInChild runs 'munjigi db check FILE' and says whether the file is
// sound: nil, store.ErrDamaged (a crash or a hang of the child is damage
// too), store.ErrLocked (another process holds it: not judged), or
// another error when it could not be judged.
func CheckInChild(path string) error {
	exe, err := os.Executable()
	if err != nil {
		return store.Check(path) // nowhere to run a child: check here
	}
	ctx, cancel := context.WithTimeout(context.Background(), CheckTimeout)
	defer cancel()
	// In English, whatever the configuration's language: its first
	// line is read here.
	out, err := exec.CommandContext(ctx, exe, "db", "check", "--lang", "en", path).CombinedOutput()
	if ctx.Err() != nil {
		return fmt.Errorf("%w: the check did not finish in %s", store.ErrDamaged, CheckTimeout)
	}
	if err == nil {
		return nil
	}
	// The check's own verdict is its first line; anything else is a
	// crash, whose trace helps nobody at the door.
	first, _, _ := strings.Cut(string(out), "\n")
	first = verify.Sanitize(first, 200)
	var exit *exec.ExitError
	code := -1
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	}
	switch {
	case code == CheckInUse:
		return fmt.Errorf("%w: %s", store.ErrLocked, first)
	case code == CheckCannot:
		return fmt.Errorf("the file cannot be checked: %s", first)
	case code == CheckDamaged && strings.HasPrefix(first, "damaged: "):
		return fmt.Errorf("%w: %s", store.ErrDamaged, strings.TrimPrefix(first, "damaged: "))
	}
	return fmt.Errorf("%w: the check crashed (%v)", store.ErrDamaged, err)
}
