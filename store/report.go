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

// Day is a day's entries counted: what 'munjigi stats' prints and the
// kiosk's stats screen shows. Gap records are not visitors and are left
// out.
type Day struct {
	Start    time.Time // midnight, in the venue's time zone
	Total    int
	Hours    [24]int
	Verdicts map[string]int
	Methods  map[string]int
}

// Count adds e to the day when it falls in it.
func (d *Day) Count(e Entry) {
	end := d.Start.AddDate(0, 0, 1)
	if e.At.Before(d.Start) || !e.At.Before(end) || e.Method == "gap" {
		return
	}
	if d.Verdicts == nil {
		d.Verdicts, d.Methods = map[string]int{}, map[string]int{}
	}
	d.Total++
	d.Hours[e.At.In(d.Start.Location()).Hour()]++
	d.Verdicts[e.Verdict]++
	d.Methods[e.Method]++
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
