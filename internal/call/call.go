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
	Line      string    `json:"line"`               // the OVH number watched (event Ressource)
	LineName  string    `json:"lineName,omitempty"` // Details.Description, e.g. "Accueil"
	ID        string    `json:"id"`                 // OVH CallId (or QueueMemberUUID)
	Queue     bool      `json:"queue,omitempty"`    // true for hunting-queue calls
	Direction Direction `json:"direction"`
	State     State     `json:"state"`
	Calling   string    `json:"calling"` // raw, as OVH sent it
	Called    string    `json:"called"`
	Dialed    string    `json:"dialed,omitempty"`
	Agent     string    `json:"agent,omitempty"`     // answering agent, where known
	OfferedTo string    `json:"offeredTo,omitempty"` // queue agent the call is being offered to, while it rings
	RingAt    time.Time `json:"ringAt,omitzero"`
	AnswerAt  time.Time `json:"answerAt,omitzero"`
	EndAt     time.Time `json:"endAt,omitzero"`
	LastEvent string    `json:"lastEvent"` // canonical name of the last event applied
	// Missed: the call rang here and ended without being answered (State
	// Missed or Abandoned, not an outbound call): what the badge counts
	// and a missed-call notification is for. The state machine keeps it
	// (Book.Apply, Book.Expire, Settle); clients read it, not the state.
	Missed bool `json:"missed,omitempty"`
}

// missed is the rule of Missed, for the state machine to set it.
func (c *Call) missed() bool {
	return c.Direction != Outbound && (c.State == Missed || c.State == Abandoned)
}

// WasMissed reports whether the call was missed: its Missed field, or,
// for a call saved before calls had that field (the relay's stored
// history), the rule the state machine sets it by. Whoever asks whether a
// call was missed asks this.
func (c *Call) WasMissed() bool { return c.Missed || c.missed() }

// Settle ends a live call whose end was never received, at at: a ringing
// line call is Missed, a ringing queue call Abandoned, any other live
// call Ended (Missed set accordingly). A call that is over is left as it
// is. It is what Book.Expire does to a call with no news, for a client
// that lost track of one (the extension, back after its worker slept).
func (c *Call) Settle(at time.Time) {
	switch c.State {
	case Ringing:
		c.State = Missed
		if c.Queue {
			c.State = Abandoned
		}
	case Dialing, Answered:
		c.State = Ended
	default:
		return
	}
	c.EndAt, c.OfferedTo = at, ""
	c.Missed = c.missed()
}

// Live reports whether the call is still going on.
func (c *Call) Live() bool {
	return c.State == Ringing || c.State == Answered || c.State == Dialing
}

// RingDuration is how long the call rang: from RingAt to AnswerAt, or to
// EndAt when it was never answered. It is 0 when either end is unknown (an
// event was missed) or the call is still ringing.
func (c *Call) RingDuration() time.Duration {
	if c.RingAt.IsZero() {
		return 0
	}
	end := c.AnswerAt
	if end.IsZero() {
		end = c.EndAt
	}
	return span(c.RingAt, end)
}

// TalkDuration is how long the call was in conversation: from AnswerAt to
// EndAt. It is 0 for a call never answered, still going on, or whose
// answer went unseen.
func (c *Call) TalkDuration() time.Duration {
	if c.AnswerAt.IsZero() {
		return 0
	}
	return span(c.AnswerAt, c.EndAt)
}

// span is to-from, or 0 when to is unknown or before from (clocks of
// two OVH machines, or an event time next to a relay time).
func span(from, to time.Time) time.Duration {
	if to.IsZero() || !to.After(from) {
		return 0
	}
	return to.Sub(from)
}

// Key identifies a call: several lines on one billing-account token stay apart.
type Key struct {
	Line string
	ID   string
}
