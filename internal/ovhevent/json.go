//go:build !js

package ovhevent

// Decoding OVH's answers and the JSON forms of the fields OVH sends
// loosely: the relay's and the emulator's business, left out of the
// extension's wasm (see the package comment).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Decode parses one long-poll answer. It accepts "Events": null and
// events whose Ts is a number or a string. The error says what is wrong
// with the answer so the relay log is actionable.
//
// Decode copies b once; the decoded strings share that copy, so an Event
// kept for long keeps its whole answer (a few kilobytes) alive. The
// semantics are encoding/json's: see decode.go.
func Decode(b []byte) (Answer, error) {
	var a Answer
	b, err := trimAnswer(b)
	if err != nil {
		return a, err
	}
	d := decoder{s: string(b)}
	if err := d.answer(&a); err != nil {
		return Answer{}, answerError(err, b)
	}
	return a, nil
}

// trimAnswer trims the space around an answer, and says what is wrong
// with one that is not a JSON object at all.
func trimAnswer(b []byte) ([]byte, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, errors.New("ovhevent: empty answer from the event service (expected a JSON object with Session and Events)")
	}
	if b[0] != '{' {
		return nil, fmt.Errorf("ovhevent: the event service answered something that is not a JSON object (starts with %q); is the events URL right?", preview(b))
	}
	return b, nil
}

// answerError wraps what decoding the (trimmed) answer b met.
func answerError(err error, b []byte) error {
	return fmt.Errorf("ovhevent: cannot decode the event service's answer: %v (starts with %q)", err, preview(b))
}

func preview(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

func (s *Seconds) UnmarshalJSON(b []byte) error {
	v, err := flexNumber(b)
	if err != nil {
		return fmt.Errorf("Ts: %w", err)
	}
	f, err := parseSeconds(v)
	if err != nil {
		return fmt.Errorf("Ts: %w", err)
	}
	*s = f
	return nil
}

func parseSeconds(v string) (Seconds, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number of seconds", v)
	}
	return Seconds(f), nil
}

func (s Seconds) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatFloat(float64(s), 'f', 3, 64) + `"`), nil
}

func (n *Nanos) UnmarshalJSON(b []byte) error {
	v, err := flexNumber(b)
	if err != nil {
		return err
	}
	i, err := parseNanos(v)
	if err != nil {
		return err
	}
	*n = i
	return nil
}

func parseNanos(v string) (Nanos, error) {
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return Nanos(i), nil
	}
	// Some encoders print big integers in exponent form.
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer number of nanoseconds", v)
	}
	return Nanos(f), nil
}

// flexNumber returns the text of a JSON number or string; null and "" give "0".
func flexNumber(b []byte) (string, error) {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return "0", nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return "", err
		}
		return flexString(str), nil
	}
	return s, nil
}

// flexString is the text to parse of a number sent as a string.
func flexString(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return "0"
	}
	return s
}

func (t *Text) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "null":
		*t = ""
	case strings.HasPrefix(s, `"`):
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*t = Text(str)
	case strings.HasPrefix(s, "{") || strings.HasPrefix(s, "["):
		return fmt.Errorf("expected a string or number, got %s", preview(b))
	default:
		*t = Text(s)
	}
	return nil
}
