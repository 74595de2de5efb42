//go:build !js

package ovhevent

// Decoding OVH's long-poll answers with encoding/json. A hand-written
// decoder (until a5a74c2) took about 4 µs for a one-event answer where
// encoding/json takes 12 on the relay's whole path, from the answer's
// bytes to the frames read on the agents' sockets (BenchmarkRelayPath in
// server/relay, 2 cores): 8 µs more of about 40 for one agent on loopback
// and no store (relay/floor 2.3 → 2.7), 7% more with 10 agents, 1–3% with
// 100, lost in the event log's disk sync with the store. The hops either
// side, OVH's long poll and the browser opening the CRM, take
// milliseconds; so the standard library does the work.
//
// Only when the whole answer fails to decode is it read again, event by
// event (readEvents): to keep the events that decode when only some are
// wrong, and to say which event is wrong.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Decode parses one long-poll answer. It accepts "Events": null and
// events whose Ts is a number or a string, and keys in any case, as
// encoding/json does. The error says what is wrong with the answer, and
// where (Events[2].Data.Ts), so the relay log is actionable. When only
// some events are wrong, the error is a *BadEventsError and the answer
// holds the others.
func Decode(b []byte) (Answer, error) {
	b, err := trimAnswer(b)
	if err != nil {
		return Answer{}, err
	}
	var a Answer
	if err := json.Unmarshal(b, &a); err != nil {
		good, skipped, ownOK := readEvents(b)
		if ownOK && len(skipped) > 0 {
			return good, &BadEventsError{Skipped: skipped, Total: len(good.Events) + len(skipped)}
		}
		return Answer{}, answerError(explain(b, err, skipped), b)
	}
	return a, nil
}

// BadEventsError is the error of an answer whose events could not all be
// read: Decode returns the others (and the session) with it, so that one
// event OVH wrote wrong costs that event only, never the calls around it.
type BadEventsError struct {
	Skipped []string // what is wrong with each event left out, with its index
	Total   int      // the events in the answer
}

func (e *BadEventsError) Error() string {
	return fmt.Sprintf("ovhevent: %d of the %d events of the event service's answer cannot be read and were left out (%s); the others were kept; if this repeats, the event service's format has changed: report this message",
		len(e.Skipped), e.Total, strings.Join(e.Skipped, "; "))
}

// readEvents decodes the (valid JSON) answer b event by event: good holds
// its own fields and the events that decode, skipped says what is wrong
// with each other event, with its index, and ownOK whether the answer's
// own fields (Session, Message, Events an array or null) decode. Only an
// answer whose own fields decode is handed on without its wrong events;
// else the whole answer is refused.
func readEvents(b []byte) (good Answer, skipped []string, ownOK bool) {
	var shell struct {
		Session string            `json:"Session"`
		Message string            `json:"Message"`
		Events  []json.RawMessage `json:"Events"`
	}
	ownOK = json.Unmarshal(b, &shell) == nil // a type error elsewhere still fills Events
	good = Answer{Session: shell.Session, Message: shell.Message}
	for i, raw := range shell.Events {
		var ev Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			skipped = append(skipped, eventError(i, err))
			continue
		}
		good.Events = append(good.Events, ev)
	}
	return good, skipped, ownOK
}

// eventError says what is wrong with the answer's event i, which
// encoding/json refused with err: its path with the event's index, what
// was expected there and what came.
func eventError(i int, err error) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err.Error()
	}
	path := fmt.Sprintf("Events[%d]", i)
	if te.Field != "" {
		path += "." + te.Field
	}
	return wrongType(path, te)
}

// wrongType says that the value at path is not of te's type.
func wrongType(path string, te *json.UnmarshalTypeError) string {
	return fmt.Sprintf("%s: expected %s, got %s", path, expected(te.Type), got(te.Value))
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

// answerError wraps what is wrong with the (trimmed) answer b.
func answerError(what string, b []byte) error {
	return fmt.Errorf("ovhevent: cannot decode the event service's answer: %s (starts with %q); if this repeats, the event service's format has changed: report this message", what, preview(b))
}

func preview(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// explain says what encoding/json's err on the answer b means: for a
// syntax error, where it is; for a value of the wrong type, its path (in
// an event, the first of skipped, readEvents' words for the events that
// do not decode), what was expected there and what came.
func explain(b []byte, err error, skipped []string) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		// Offset counts the bytes read, the wrong one included.
		off := min(max(syntax.Offset, 0), int64(len(b)))
		if off > 0 && strings.HasPrefix(syntax.Error(), "invalid character") {
			off--
		}
		return fmt.Sprintf("%v (at byte %d, after %q)", syntax, off, b[max(0, off-24):off])
	}
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err.Error()
	}
	if (te.Field == "Events" || strings.HasPrefix(te.Field, "Events.")) && len(skipped) > 0 {
		// encoding/json's path has no index: say which event is wrong.
		return skipped[0]
	}
	return wrongType(te.Field, te)
}

// expected says what a value of type t is, in the answer's terms.
func expected(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[[]Event]():
		return "an array of events or null"
	case reflect.TypeFor[Event]():
		return "an event object"
	case reflect.TypeFor[Data]():
		return "an object (Data)"
	case reflect.TypeFor[Details]():
		return "an object (Details)"
	case reflect.TypeFor[Seconds]():
		return "a number of seconds, or a string holding one"
	case reflect.TypeFor[Nanos]():
		return "an integer number of nanoseconds, or a string holding one"
	case reflect.TypeFor[Text]():
		return "a string or number"
	case reflect.TypeFor[string]():
		return "a string"
	}
	return t.String()
}

// got turns encoding/json's description of a value ("number", "number
// 1e400", `string "soon"`) into words: "a number 1e400".
func got(value string) string {
	kind, rest, _ := strings.Cut(value, " ")
	switch kind {
	case "object", "array":
		kind = "an " + kind
	case "bool":
		kind = "a boolean"
	case "number", "string":
		kind = "a " + kind
	}
	if rest != "" {
		return kind + " " + rest
	}
	return kind
}
