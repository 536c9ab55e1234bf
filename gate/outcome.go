package gate

import (
	"time"

	"munjigi/store"
	"munjigi/verify"
)

// Method is how a visitor was checked, as the log records it.
type Method string

// Methods of entry.
const (
	MethodQR            Method = "qr"
	MethodManualSticker Method = "manual-sticker"
	MethodManualSMS     Method = "manual-sms"
	MethodManualPaper   Method = "manual-paper"
	MethodExemption     Method = "exemption"
	MethodOverride      Method = "override"
	// MethodUnresolved settles nothing: staff left a verdict that waited
	// for them (Esc, or the next visitor's scan), and the log says so.
	MethodUnresolved Method = "unresolved"
	MethodGap        Method = store.MethodGap // not a visitor: the log was interrupted
)

// Methods lists every method, for those who word them (the screen).
var Methods = []Method{MethodQR, MethodManualSticker, MethodManualSMS, MethodManualPaper, MethodExemption,
	MethodOverride, MethodUnresolved, MethodGap}

// LogCode says why an outcome was not logged; "" when it was.
type LogCode string

// Why an entry was not written.
const (
	LogOK         LogCode = ""
	LogNoDatabase LogCode = "no-database" // the door runs without one (it could not be opened)
	LogFull       LogCode = "disk-full"
	LogReadOnly   LogCode = "read-only" // the card or file cannot be written
	LogFailed     LogCode = "write-failed"
)

// LogCodes lists every failure code, for those who word them.
var LogCodes = []LogCode{LogNoDatabase, LogFull, LogReadOnly, LogFailed}

// Outcome is a decision at the door: the pass's result with what the door
// added (re-use, the clock, the log). Its codes are for people to word;
// Detail and LogDetail are plain English for logs and scripts.
type Outcome struct {
	verify.Result
	Seq          uint64    // the entry's sequence number, when it was logged
	At           time.Time // when it was decided, by the kiosk's clock
	Method       Method
	ClockTrusted bool
	Clock        ClockCode // why the clock was distrusted when it was decided
	Logged       bool      // the entry is durable
	Log          LogCode   // why it is not
	LogDetail    string    // the error, in English, for the log file
	ReusedAt     time.Time // when the pass was last admitted, for a re-use
	Staff        string    // who checked by hand, when PINs are used
	Note         string    // a gap's account of what happened
	// Resolves is the seq of the verdict a check by hand settled.
	Resolves uint64
	// Deadline is set when the decision waited on the authority: when
	// the visitor's answer was due, write included.
	Deadline time.Time
}

// Waiting reports whether the outcome waits for staff: a check by hand
// that a scan asked for (not a misread, which asks for another scan, nor
// the first part of a split card).
func (o Outcome) Waiting() bool {
	return o.Verdict == verify.Manual && o.Method == MethodQR &&
		o.Reason != verify.ReasonMisread && o.Reason != verify.ReasonIncomplete
}

// Entry is the outcome as the log keeps it: the one place a decision
// becomes a record (the upload and the export derive from the entry).
func (o Outcome) Entry(passHash []byte) store.Entry {
	return store.Entry{
		Seq: o.Seq, At: o.At, ClockTrusted: o.ClockTrusted, Verdict: string(o.Verdict), Method: string(o.Method),
		Format: string(o.Format), Type: string(o.Type), Reason: string(o.Reason), Staff: o.Staff,
		PassHash: passHash, Note: o.Note, Admitted: o.Verdict == verify.Pass, Resolves: o.Resolves,
	}
}

// Line is one decision as the headless door prints it: the entry as a
// tracer's export shows it, with what the door said and whether it was
// logged.
type Line struct {
	store.Entry
	Detail   string `json:"detail,omitempty"`
	Check    string `json:"check,omitempty"`
	Logged   bool   `json:"logged"`
	LogError string `json:"logError,omitempty"`
}

// Line is o as printed, at the venue's local time, as staff read it.
func (o Outcome) Line(loc *time.Location) Line {
	e := o.Entry(nil)
	e.At = e.At.In(loc)
	l := Line{Entry: e, Detail: o.Detail, Check: o.Check, Logged: o.Logged, LogError: string(o.Log)}
	if o.LogDetail != "" {
		l.LogError += ": " + o.LogDetail
	}
	return l
}
