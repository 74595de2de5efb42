// Package call turns OVH telephony events into calls: a state machine keyed
// by line and call id. It is plain data plus functions over it, so that the
// relay can keep its state anywhere (memory, disk, a Durable Object).
package call

import "time"

// State is where a call is.
type State string

const (
	Ringing   State = "ringing"   // inbound, ringing on a line or offered in a queue
	Answered  State = "answered"  // in conversation
	Ended     State = "ended"     // answered, then hung up
	Missed    State = "missed"    // rang and stopped without being answered
	Abandoned State = "abandoned" // queue caller hung up before any agent answered
	Dialing   State = "dialing"   // outbound, not answered yet
)

// Direction of a call, seen from the line.
type Direction string

const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
)

// Call is one call on one line (or queue).
type Call struct {
	Line      string    `json:"line"`             // the OVH number watched (event Ressource)
	LineName  string    `json:"lineName,omitempty"` // Details.Description, e.g. "Accueil"
	ID        string    `json:"id"`               // OVH CallId (or QueueMemberUUID)
	Queue     bool      `json:"queue,omitempty"`  // true for hunting-queue calls
	Direction Direction `json:"direction"`
	State     State     `json:"state"`
	Calling   string    `json:"calling"` // raw, as OVH sent it
	Called    string    `json:"called"`
	Dialed    string    `json:"dialed,omitempty"`
	Agent     string    `json:"agent,omitempty"` // answering agent, where known
	RingAt    time.Time `json:"ringAt,omitzero"`
	AnswerAt  time.Time `json:"answerAt,omitzero"`
	EndAt     time.Time `json:"endAt,omitzero"`
	LastEvent string    `json:"lastEvent"` // canonical name of the last event applied
}

// Live reports whether the call is still going on.
func (c *Call) Live() bool {
	return c.State == Ringing || c.State == Answered || c.State == Dialing
}

// Key identifies a call: several lines on one billing-account token stay apart.
type Key struct {
	Line string
	ID   string
}
