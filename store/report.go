package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// Latest returns up to n entries, newest first.
func (d *DB) Latest(n int) ([]Entry, error) {
	var out []Entry
	err := d.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEntries).Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			e, err := decodeEntry(k, v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Day is a day's visitors counted: what 'munjigi stats' prints and the
// kiosk's stats screen shows. A visitor is counted once, by how they were
// settled: a verdict that waited for staff and the check by hand that
// settled it (Entry.Resolves) are one visitor. Gap records, misreads and
// the first parts of a split card are no visitors.
type Day struct {
	Start    time.Time // midnight, in the venue's time zone
	Total    int
	Hours    [24]int
	Verdicts map[string]int
	Methods  map[string]int
	Misreads int // reads the scanner cut off: the visitor scanned again

	// Entries are counted in either order (DayOf reads backwards): a
	// settled verdict and its resolution meet in one of these.
	waiting  map[uint64]Entry // counted verdicts a resolution may settle
	settling map[uint64]Entry // resolutions whose verdict is not yet seen
}

// Entries that are no visitor, by reason.
const (
	reasonMisread    = "misread"
	reasonIncomplete = "incomplete"
)

// Count adds e to the day when it falls in it.
func (d *Day) Count(e Entry) {
	end := d.Start.AddDate(0, 0, 1)
	if e.At.Before(d.Start) || !e.At.Before(end) || e.Method == MethodGap || e.Reason == reasonIncomplete {
		return
	}
	if d.Verdicts == nil {
		d.Verdicts, d.Methods = map[string]int{}, map[string]int{}
		d.waiting, d.settling = map[uint64]Entry{}, map[uint64]Entry{}
	}
	if e.Reason == reasonMisread {
		d.Misreads++
		return
	}
	if e.Resolves != 0 {
		if v, ok := d.waiting[e.Resolves]; ok {
			d.settle(v, e)
		} else {
			d.settling[e.Resolves] = e
		}
		return
	}
	d.Total++
	d.Hours[e.At.In(d.Start.Location()).Hour()]++
	d.Verdicts[e.Verdict]++
	d.Methods[e.Method]++
	if r, ok := d.settling[e.Seq]; ok {
		d.settle(e, r)
	} else if e.Verdict == "manual" {
		d.waiting[e.Seq] = e
	}
}

// settle moves a counted visitor from the verdict they waited on to how
// staff settled it.
func (d *Day) settle(v, r Entry) {
	delete(d.waiting, v.Seq)
	delete(d.settling, v.Seq)
	d.Verdicts[v.Verdict]--
	d.Methods[v.Method]--
	d.Verdicts[r.Verdict]++
	d.Methods[r.Method]++
}

// DayOf counts the entries of the day that contains t, in t's location.
// It reads backwards from the newest entry and stops a day before the
// day begins: entries are in time order, but for a clock that stepped.
func (d *DB) DayOf(t time.Time) (Day, error) {
	day := Day{Start: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())}
	stop := day.Start.AddDate(0, 0, -1)
	err := d.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEntries).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			e, err := decodeEntry(k, v)
			if err != nil {
				return err
			}
			if e.At.Before(stop) {
				return nil
			}
			day.Count(e)
		}
		return nil
	})
	return day, err
}
