// Package ovhevent holds the events OVHcloud's telephony event service sends
// (the v1 long-poll API at events.voip.ovh.net) and decodes them tolerantly:
// real payloads carry Ts as a number or a string, and numeric fields in
// Details sometimes arrive as numbers.
//
// It is shared by the relay (which decodes what OVH sends), the emulator
// (which encodes it) and the extension's wasm (which receives the event
// inside each relay message), so it imports nothing heavy.
package ovhevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Event names on lines (Service "sip").
const (
	StartRinging = "start_ringing"
	EndRinging   = "end_ringing"
	StartCalling = "start_calling"
	EndCalling   = "end_calling"
	Registered   = "registered"
)

// Event names on hunting queues (Service "queues"). Some are seen spelled
// two ways in the wild; Normalize maps the variants to these.
const (
	MemberQueueStart = "member-queue-start"
	MemberQueueEnd   = "member-queue-end"
	AgentOffering    = "agent-offering"
	BridgeAgentStart = "bridge-agent-start"
	BridgeAgentEnd   = "bridge-agent-end"
	BridgeAgentFail  = "bridge-agent-fail"
	MemberCount      = "member-count"
)

// Services.
const (
	ServiceLine  = "sip"
	ServiceQueue = "queues"
)

// Normalize returns the canonical spelling of an event name.
func Normalize(name string) string {
	switch name {
	case "bridge-agent-failed":
		return BridgeAgentFail
	case "members-count":
		return MemberCount
	}
	return name
}

// Answer is one answer to a long poll: GET /?token=…&session=….
type Answer struct {
	Session string  `json:"Session"`
	Message string  `json:"Message"`
	Events  []Event `json:"Events"`
}

// Event is one telephony event as OVH documents it. Both Data and Details
// are always present on the wire: OVH's own dashboard stops polling for good
// when Details is missing, so encoders must never omit them.
type Event struct {
	Event     string  `json:"Event"`
	Token     string  `json:"Token"`
	Service   string  `json:"Service"`
	Ressource string  `json:"Ressource"` // the watched OVH number (sic: OVH's spelling)
	Timestamp Nanos   `json:"Timestamp"`
	Date      string  `json:"Date"`
	Data      Data    `json:"Data"`
	Details   Details `json:"Details"`
}

// Data is the event's payload. Line events use the SIP-style keys; queue
// events add FreeSWITCH-style keys.
type Data struct {
	Billing      string  `json:"Billing,omitempty"`
	Body         string  `json:"Body,omitempty"`
	CallId       string  `json:"CallId"`
	Called       string  `json:"Called"`
	Calling      string  `json:"Calling"`
	Cseq         string  `json:"Cseq,omitempty"`
	Dialed       string  `json:"Dialed"`
	Event        string  `json:"Event"`
	Protocol     string  `json:"Protocol,omitempty"`
	RelevantInfo string  `json:"RelevantInfo"`
	Ts           Seconds `json:"Ts"`
	TsGet        Nanos   `json:"TsGet,omitempty"`

	// Queue (hunting) keys.
	Action               string `json:"Action,omitempty"`
	Agent                Text   `json:"Agent,omitempty"`
	Count                Text   `json:"Count,omitempty"`
	Queue                Text   `json:"Queue,omitempty"`
	QueueAgent           Text   `json:"QueueAgent,omitempty"`
	QueueMemberCIDNumber string `json:"QueueMemberCIDNumber,omitempty"`
	QueueMemberCIDName   string `json:"QueueMemberCIDName,omitempty"`
	QueueMemberUUID      string `json:"QueueMemberUUID,omitempty"`
	QueueCause           string `json:"QueueCause,omitempty"`
}

// Details describes the watched line or queue.
type Details struct {
	Description      string `json:"Description"`
	Id               Text   `json:"Id"`
	IdBillingAccount Text   `json:"IdBillingAccount"`
	SimultaneousLine Text   `json:"SimultaneousLine"`
	Type             string `json:"Type"`
}

// Name returns the event's canonical name, from Event or, when that is
// empty, from Data.Event.
func (e *Event) Name() string {
	if e.Event != "" {
		return Normalize(e.Event)
	}
	return Normalize(e.Data.Event)
}

// CallID returns the identifier that ties a call's events together: Data.CallId
// on lines, QueueMemberUUID on queues when CallId is empty.
func (e *Event) CallID() string {
	if e.Data.CallId != "" {
		return e.Data.CallId
	}
	return e.Data.QueueMemberUUID
}

// CallingNumber returns the caller as OVH sent it. Queue events carry it
// as QueueMemberCIDNumber when Calling is empty.
func (e *Event) CallingNumber() string {
	if e.Data.Calling != "" {
		return e.Data.Calling
	}
	return e.Data.QueueMemberCIDNumber
}

// CalledNumber returns the called number; like OVH's dashboard it falls
// back to Ressource (the watched line) when Called is empty.
func (e *Event) CalledNumber() string {
	if e.Data.Called != "" {
		return e.Data.Called
	}
	return e.Ressource
}

// Decode parses one long-poll answer. It accepts "Events": null and
// events whose Ts is a number or a string. The error says what is wrong
// with the answer so the relay log is actionable.
//
// Decode copies b once; the decoded strings share that copy, so an Event
// kept for long keeps its whole answer (a few kilobytes) alive. The
// semantics are encoding/json's: see decode.go.
func Decode(b []byte) (Answer, error) {
	var a Answer
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return a, errors.New("ovhevent: empty answer from the event service (expected a JSON object with Session and Events)")
	}
	if b[0] != '{' {
		return a, fmt.Errorf("ovhevent: the event service answered something that is not a JSON object (starts with %q); is the events URL right?", preview(b))
	}
	d := decoder{s: string(b)}
	if err := d.answer(&a); err != nil {
		return Answer{}, fmt.Errorf("ovhevent: cannot decode the event service's answer: %v (starts with %q)", err, preview(b))
	}
	return a, nil
}

func preview(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// Seconds is a Unix time in seconds with a fraction. OVH sends it as a
// JSON number or as a string ("1425554670.102"); both decode. It encodes
// as a string, as documented.
type Seconds float64

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

// Nanos is an integer count of nanoseconds (Timestamp, TsGet), sent as a
// number or, rarely, as a string.
type Nanos int64

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

// Text is a string field that some payloads send as a number. Anything
// scalar decodes to its text; null decodes to "".
type Text string

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
