package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// What a detail may say about a pass that cannot be read. A detail goes to
// the screen, the headless JSON line and the log, so it names the field and
// the rule broken, never the value: the value may be a name or a birth
// date. The decoders' own messages sometimes quote the data (a duplicate
// key, a date that does not parse, a number that is not one), so they are
// passed on only for the error types known to quote none; anything else is
// said in general terms.

// problem is an error of this package whose message quotes nothing from a
// pass.
type problem string

func (p problem) Error() string { return string(p) }

// problemf makes a problem. Its arguments must not come from a pass: only
// counts, positions, limits and names of fields.
func problemf(format string, args ...any) error { return problem(fmt.Sprintf(format, args...)) }

// cborProblem says what is wrong with a pass's CBOR.
func cborProblem(err error) string {
	var (
		dup   *cbor.DupMapKeyError
		typ   *cbor.UnmarshalTypeError
		syn   *cbor.SyntaxError
		sem   *cbor.SemanticError
		nest  *cbor.MaxNestedLevelError
		arr   *cbor.MaxArrayElementsError
		pairs *cbor.MaxMapPairsError
		extra *cbor.ExtraneousDataError
		own   problem
	)
	switch {
	case errors.As(err, &dup):
		return "a map repeats a key"
	case errors.As(err, &typ):
		return "a " + typ.CBORType + " where another kind of value belongs"
	case errors.As(err, &syn), errors.As(err, &sem), errors.As(err, &nest), errors.As(err, &arr),
		errors.As(err, &pairs), errors.As(err, &extra), errors.As(err, &own),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return plain(err)
	}
	return "a value that cannot be read"
}

// jsonProblem says what is wrong with a card's JSON.
func jsonProblem(err error) string {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		own problem
	)
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not well-formed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		// Field is the path of a field the card was read into: a name
		// this package chose, not the card's.
		return typ.Field + " is a JSON " + typ.Value + " where another kind of value belongs"
	case errors.As(err, &typ):
		return "a JSON " + typ.Value + " where another kind of value belongs"
	case errors.As(err, &own):
		return plain(err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the JSON ends too soon"
	}
	return "a value of the wrong kind"
}

// safePanic says what a panic was, for a detail: a runtime error's message
// (an index out of range, a nil dereference) quotes no data; any other
// value might.
func safePanic(p any) string {
	if e, ok := p.(interface {
		error
		RuntimeError()
	}); ok {
		return strings.TrimPrefix(e.Error(), "runtime error: ")
	}
	return fmt.Sprintf("a panic of type %T", p)
}
