package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"munjigi/store"
)

// Uploader sends the outbox to the server in batches. An entry leaves the
// outbox only when a 2xx reply lists it (stored now, or held already): a
// reply lost on the way, a 500 after the server committed, or a kill in
// between all end in the same batch being sent again, which the server
// holds once.
type Uploader struct {
	c     *Client
	db    *store.DB
	kiosk string
	batch int
	plan  *Plan
	// Timeout bounds one batch's call (0: 30 s).
	Timeout time.Duration
	// Log, when set, hears each attempt's outcome.
	Log *slog.Logger
}

// NewUploader builds an uploader for the kiosk's outbox.
func NewUploader(c *Client, db *store.DB, kiosk string, r *rand.Rand) *Uploader {
	return &Uploader{c: c, db: db, kiosk: kiosk, batch: 500, plan: NewPlan(UploadSchedule, r)}
}

// UploadOnce empties the outbox, batch by batch, and says how many entries
// the server now holds.
func (u *Uploader) UploadOnce(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := u.uploadBatch(ctx)
		total += n
		if err != nil || n == 0 {
			if u.Log != nil && (err != nil || total > 0) {
				u.Log.Log(ctx, map[bool]slog.Level{true: slog.LevelWarn, false: slog.LevelInfo}[err != nil], "upload", "sent", total, "err", err)
			}
			return total, err
		}
	}
}

func (u *Uploader) uploadBatch(ctx context.Context) (int, error) {
	out, err := u.db.Outbox(u.batch)
	if err != nil || len(out) == 0 {
		return 0, err
	}
	b := EntryBatch{Kiosk: u.kiosk, Epoch: u.db.Epoch()}
	sent := make([]uint64, 0, len(out))
	for _, e := range out {
		b.Entries = append(b.Entries, EntryOf(e))
		sent = append(sent, e.Seq)
	}
	body, err := json.Marshal(b)
	if err != nil {
		return 0, err
	}
	// The key names the batch: the same entries sent again carry the same
	// key, and a new log's (a new epoch) never the old one's.
	h := http.Header{HeaderIdempotency: {fmt.Sprintf("%s:%s:%d-%d:%d", u.kiosk, b.Epoch, sent[0], sent[len(sent)-1], len(sent))}}
	timeout := u.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err := u.c.do(ctx, "POST", PathEntries, body, h, maxUploadReply)
	if err != nil {
		return 0, err
	}
	var rep EntryReply
	if err := json.Unmarshal(r.body, &rep); err != nil {
		return 0, fmt.Errorf("upstream: the upload reply is not JSON: %w", err)
	}
	var held []uint64
	for _, seq := range append(rep.Stored, rep.Duplicate...) {
		if slices.Contains(sent, seq) {
			held = append(held, seq)
		}
	}
	if err := u.db.Acknowledge(held); err != nil {
		return 0, fmt.Errorf("clearing the outbox: %w", err)
	}
	if len(held) < len(sent) {
		return len(held), fmt.Errorf("upstream: the server holds %d of %d entries sent", len(held), len(sent))
	}
	return len(held), nil
}

// SetSchedule replaces the schedule; call it before Run.
func (u *Uploader) SetSchedule(s Schedule) { u.plan.s = s }

// Run uploads on the schedule until ctx ends.
func (u *Uploader) Run(ctx context.Context) {
	runPlan(ctx, u.plan, u.plan.First(), func(ctx context.Context) error {
		_, err := u.UploadOnce(ctx)
		return err
	})
}

// EntryOf is a logged entry as it is uploaded: the one place the two
// meet. No pass hash, no staff id, no note: the authority learns the
// venue's traffic, not who came or who checked them.
func EntryOf(e store.Entry) Entry {
	return Entry{Seq: e.Seq, At: e.At, ClockTrusted: e.ClockTrusted, Verdict: e.Verdict,
		Method: e.Method, Format: e.Format, Type: e.Type, Reason: e.Reason}
}
