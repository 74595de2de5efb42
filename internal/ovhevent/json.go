//go:build !js

package ovhevent

// The JSON forms of the fields OVH sends loosely: the relay's and the
// emulator's business, left out of the extension's wasm (see the package
// comment).
//
// A value that does not fit is a *json.UnmarshalTypeError, so that
// encoding/json adds the field's path to it and Decode can say where it is.

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

func (s *Seconds) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(flexNumber(b), 64)
	if err != nil {
		return typeError(b, reflect.TypeFor[Seconds]())
	}
	*s = Seconds(f)
	return nil
}

func (s Seconds) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatFloat(float64(s), 'f', 3, 64) + `"`), nil
}

func (n *Nanos) UnmarshalJSON(b []byte) error {
	v := flexNumber(b)
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		*n = Nanos(i)
		return nil
	}
	// Some encoders print big integers in exponent form.
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return typeError(b, reflect.TypeFor[Nanos]())
	}
	*n = Nanos(f)
	return nil
}

// flexNumber returns the text to parse of a JSON number or string: a
// number's text, a string's trimmed content; null and "" give "0".
// Anything else is returned as is, for the parse to refuse.
func flexNumber(b []byte) string {
	if len(b) == 0 || b[0] != '"' {
		if string(b) == "null" {
			return "0"
		}
		return string(b)
	}
	s, err := unquote(b)
	if err != nil {
		return string(b)
	}
	if s = strings.TrimSpace(s); s == "" {
		return "0"
	}
	return s
}

func (t *Text) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
		return typeError(b, reflect.TypeFor[Text]())
	case string(b) == "null":
		*t = ""
	case b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		*t = Text(s)
	case b[0] == '{' || b[0] == '[':
		return typeError(b, reflect.TypeFor[Text]())
	default: // a number, true or false
		*t = Text(b)
	}
	return nil
}

// unquote returns the text of the JSON string b, which encoding/json has
// checked. One with no escape and valid UTF-8 is its bytes: a nested
// json.Unmarshal, with its own validation pass, for each of an event's
// four loose fields was a third of Decode's time.
func unquote(b []byte) (string, error) {
	if len(b) >= 2 && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// typeError says that the JSON value b does not fit a field of type t,
// in encoding/json's words: "number 1e400", `string "soon"`, "object".
func typeError(b []byte, t reflect.Type) error {
	var value string
	switch {
	case len(b) == 0:
		value = "nothing"
	case b[0] == '"':
		value = "string " + preview(b)
	case b[0] == '{':
		value = "object"
	case b[0] == '[':
		value = "array"
	case b[0] == 't' || b[0] == 'f':
		value = "bool"
	default:
		value = "number " + preview(b)
	}
	return &json.UnmarshalTypeError{Value: value, Type: t}
}
