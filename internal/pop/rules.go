package pop

import (
	"strings"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/stdlite"
)

// Reason says why ShouldPop decided as it did: a short stable string for
// the extension's status line, its logs and translations.
type Reason string

const (
	ReasonPop              Reason = "pop"                // pop
	ReasonNotACall         Reason = "not-a-call"         // registered, member-count, or no event name: never pops
	ReasonEventNotSelected Reason = "event-not-selected" // the rules do not pop on this event
	ReasonDuplicate        Reason = "duplicate"          // this call was popped already
	ReasonLineFiltered     Reason = "line-filtered"      // the call is on a line the rules leave out
	ReasonOutbound         Reason = "outbound"           // an outbound call, and outbound pops are off
	ReasonNotRinging       Reason = "not-ringing"        // a ring event for a call already answered or over (late or replayed event)
	ReasonCallOver         Reason = "call-over"          // a start event for a call already over (late or replayed event)
	ReasonWithheld         Reason = "withheld"           // the caller withheld the number: nothing to search
	ReasonInternal         Reason = "internal"           // the caller is an internal extension
	ReasonInvalidNumber    Reason = "invalid-number"     // the caller is not a number the CRM can be searched for
	ReasonCapped           Reason = "capped"             // the per-minute cap is reached (see Cap)
)

// Rules say which calls pop. The zero value is usable: empty Events
// means DefaultEvents. Rules are stored as JSON with the settings.
type Rules struct {
	// Events that pop, by canonical name (ovhevent constants). Empty means
	// DefaultEvents. registered and member-count never pop.
	Events []string `json:"events,omitempty"`
	// Outbound: also pop on calls the line makes. The number to search
	// for is then the called one (see OtherParty).
	Outbound bool `json:"outbound,omitempty"`
	// Lines limits pops to these lines or queues; empty means all. An
	// entry is compared (phone.SameLine) with the call's line and with
	// the line's name (Details.Description): 0033972101010, +33972101010,
	// +33 9 72 10 10 10 and 09 72 10 10 10 are one line, and a name
	// matches whatever its case.
	Lines []string `json:"lines,omitempty"`
	// Withheld: also pop when the caller withheld the number (there is
	// nothing to search for; useful only with a template that needs no
	// number). Internal: also pop for calls from internal extensions.
	Withheld bool `json:"withheld,omitempty"`
	Internal bool `json:"internal,omitempty"`
}

// DefaultEvents pop when a call starts ringing: start_ringing on lines,
// member-queue-start (a caller enters the queue) and agent-offering (the
// queue offers the call to an agent) on hunting queues. This is what
// OVH's dashboard pops on, plus agent-offering. A queue call seen through
// both queue events pops once: ShouldPop reports the second as duplicate.
func DefaultEvents() []string {
	return []string{ovhevent.StartRinging, ovhevent.MemberQueueStart, ovhevent.AgentOffering}
}

// DefaultRules is a fresh install's rules: pop inbound calls from public
// numbers when they start ringing, on every line, once per call.
func DefaultRules() Rules {
	return Rules{Events: DefaultEvents()}
}

// eventClass sorts the events by what they say about a call.
type eventClass uint8

const (
	notACall   eventClass = iota
	ringEvent             // the call starts ringing somewhere
	startEvent            // the call is answered or dialled
	endEvent              // the call (or a leg of it) ends
)

func classify(name string) eventClass {
	switch name {
	case ovhevent.StartRinging, ovhevent.MemberQueueStart, ovhevent.AgentOffering:
		return ringEvent
	case ovhevent.StartCalling, ovhevent.BridgeAgentStart:
		return startEvent
	case ovhevent.EndRinging, ovhevent.EndCalling, ovhevent.MemberQueueEnd, ovhevent.BridgeAgentEnd, ovhevent.BridgeAgentFail:
		return endEvent
	}
	return notACall // registered, member-count, "", and names we do not know
}

// PoppableEvents lists the events a rule may select.
func PoppableEvents() []string {
	return []string{
		ovhevent.StartRinging, ovhevent.MemberQueueStart, ovhevent.AgentOffering,
		ovhevent.StartCalling, ovhevent.BridgeAgentStart,
		ovhevent.EndRinging, ovhevent.EndCalling, ovhevent.MemberQueueEnd, ovhevent.BridgeAgentEnd, ovhevent.BridgeAgentFail,
	}
}

// Validate reports a rule that can never match: an event that is not a
// call event, or a line with neither digits nor a name.
func (r Rules) Validate() error {
	for _, e := range r.Events {
		if classify(ovhevent.Normalize(e)) == notACall {
			return &RulesError{Field: "events", Message: "the event " + quote(e) + " cannot pop a call: choose among " + strings.Join(PoppableEvents(), ", ")}
		}
	}
	for _, l := range r.Lines {
		if stdlite.TrimSpace(l) == "" {
			return &RulesError{Field: "lines", Message: "a line in the filter is empty: enter its number (e.g. 0033972101010) or its name, or remove it"}
		}
	}
	return nil
}

// RulesError is a problem with one field of Rules.
type RulesError struct {
	Field   string // "events", "lines"
	Message string // what is wrong and what to do
}

func (e *RulesError) Error() string { return e.Message }

// ShouldPop decides whether one event pops the CRM, and says why not.
//
// name is the event's canonical name, as the relay streams it
// (stream.Event.Name, call.Call.LastEvent: the relay normalises it once,
// in ovhevent.Event.Name); c is the call after the relay applied the
// event; caller is the number to search for, the other party
// (OtherParty); alreadyPopped says whether the extension popped this call
// before (it keeps the popped call keys), so each call pops once. The first failing check, in the order of the Reason
// constants, is reported. A call whose State is empty (unknown) is not
// checked for state.
func (r Rules) ShouldPop(name string, c call.Call, caller phone.Number, alreadyPopped bool) (bool, Reason) {
	class := classify(name)
	if class == notACall {
		return false, ReasonNotACall
	}
	if !r.selects(name) {
		return false, ReasonEventNotSelected
	}
	if alreadyPopped {
		return false, ReasonDuplicate
	}
	if len(r.Lines) > 0 && !r.selectsLine(c.Line, c.LineName) {
		return false, ReasonLineFiltered
	}
	if c.Direction == call.Outbound && !r.Outbound {
		return false, ReasonOutbound
	}
	if c.State != "" {
		switch {
		case class == ringEvent && c.State != call.Ringing:
			return false, ReasonNotRinging
		case class == startEvent && !c.Live():
			return false, ReasonCallOver
		}
	}
	switch caller.Kind {
	case phone.Valid:
	case phone.Withheld:
		if !r.Withheld {
			return false, ReasonWithheld
		}
	case phone.Internal:
		if !r.Internal {
			return false, ReasonInternal
		}
	default:
		return false, ReasonInvalidNumber
	}
	return true, ReasonPop
}

// OtherParty returns the number to search the CRM for: the calling number
// on an inbound call, the called number on an outbound one. When the
// relay did not parse it (its Raw is empty: a view kept from before),
// its Raw is the call's raw number, as OVH sent it.
func OtherParty(c call.Call, calling, called phone.Number) phone.Number {
	if c.Direction == call.Outbound {
		return orRaw(called, c.Called)
	}
	return orRaw(calling, c.Calling)
}

// orRaw is n, with raw as its Raw when it has none.
func orRaw(n phone.Number, raw string) phone.Number {
	if n.Raw == "" {
		n.Raw = raw
	}
	return n
}

// selects reports whether the rules pop on the event name (canonical).
// The rules' events are the agent's settings, normalised here: settings
// saved long ago may hold an older spelling (bridge-agent-failed).
func (r Rules) selects(name string) bool {
	events := r.Events
	if len(events) == 0 {
		return classify(name) == ringEvent // DefaultEvents, without allocating
	}
	for _, e := range events {
		if ovhevent.Normalize(e) == name {
			return true
		}
	}
	return false
}

// selectsLine reports whether one of the rules' lines is the call's line
// or its name.
func (r Rules) selectsLine(line, lineName string) bool {
	for _, want := range r.Lines {
		if phone.SameLine(want, line) || phone.SameLine(want, lineName) {
			return true
		}
	}
	return false
}
