// Package ovhevent holds the events OVHcloud's telephony event service sends
// (the v1 long-poll API at events.voip.ovh.net) and decodes them tolerantly:
// real payloads carry Ts as a number or a string, and numeric fields in
// Details sometimes arrive as numbers.
//
// It is shared by the relay (which decodes what OVH sends), the emulator
// (which encodes it) and the extension's wasm (which receives the event
// inside each relay message). The decoding (decode.go, json.go: encoding/json)
// is left out of js builds: the wasm never decodes OVH's answers, and
// encoding/json and fmt would cost the background's wasm about 35 KB
// gzipped.
package ovhevent

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
	// QueueHangupCause is why a caller left the queue unanswered, on
	// bridge-agent-fail: ORIGINATOR_CANCEL (gave up) or NO_AGENT_TIMEOUT.
	QueueHangupCause string `json:"QueueHangupCause,omitempty"`
	// On bridge-agent-end, epoch seconds: when the agent answered and
	// when the caller joined the queue (OVH's dashboard computes the
	// wait from them).
	QueueAgentAnsweredTime Text `json:"QueueAgentAnsweredTime,omitempty"`
	QueueMemberJoinedTime  Text `json:"QueueMemberJoinedTime,omitempty"`
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

// Seconds is a Unix time in seconds with a fraction. OVH sends it as a
// JSON number or as a string ("1425554670.102"); both decode. It encodes
// as a string, as documented.
type Seconds float64

// Nanos is an integer count of nanoseconds (Timestamp, TsGet), sent as a
// number or, rarely, as a string.
type Nanos int64

// Text is a string field that some payloads send as a number. Anything
// scalar decodes to its text; null decodes to "".
type Text string
