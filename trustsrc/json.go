package trustsrc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Sources are read with a streaming decoder, one entry at a time, so a
// national list is never held as a tree of Go values; each entry is decoded
// on its own, so one entry of the wrong shape is that entry's problem, not
// the list's.

// decodeErr turns a decoder's error into a refusal: a cap reached stays
// ErrTooLarge, anything else means the source is not in its format.
func decodeErr(where string, err error) error {
	if errors.Is(err, ErrTooLarge) {
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %s: the source ends early (truncated?)", ErrMalformed, where)
	}
	return fmt.Errorf("%w: %s: %v", ErrMalformed, where, err)
}

// walkArray reads a JSON array whose '[' is the next token, handing each
// element to elem whole. A null stands for an empty array.
func walkArray(dec *json.Decoder, where string, elem func(i int, raw json.RawMessage)) error {
	tok, err := dec.Token()
	if err != nil {
		return decodeErr(where, err)
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("%w: %s is not a list", ErrMalformed, where)
	}
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return decodeErr(fmt.Sprintf("%s[%d]", where, i), err)
		}
		elem(i, raw)
	}
	if _, err := dec.Token(); err != nil {
		return decodeErr(where, err)
	}
	return nil
}

// walkObject reads a JSON object whose '{' is the next token: the array
// under arrayField through walkArray, every other member whole through
// member (which may be nil). It reports whether arrayField was there.
func walkObject(dec *json.Decoder, where, arrayField string, elem func(i int, raw json.RawMessage), member func(key string, raw json.RawMessage)) (bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return false, decodeErr(where, err)
	}
	if tok != json.Delim('{') {
		return false, fmt.Errorf("%w: %s is not a JSON object", ErrMalformed, where)
	}
	found := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false, decodeErr(where, err)
		}
		key, _ := tok.(string)
		if key == arrayField {
			found = true
			if err := walkArray(dec, arrayField, elem); err != nil {
				return false, err
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return false, decodeErr(where+"."+key, err)
		}
		if member != nil {
			member(key, raw)
		}
	}
	if _, err := dec.Token(); err != nil {
		return false, decodeErr(where, err)
	}
	return found, nil
}

// atEnd checks that nothing but white space follows the source's value:
// two lists glued together are not one list.
func atEnd(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		if err == nil || !errors.Is(err, ErrTooLarge) {
			return fmt.Errorf("%w: data after the end of the list", ErrMalformed)
		}
		return err
	}
	return nil
}
