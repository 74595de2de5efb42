package pop

import (
	"strings"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/lean"
	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/phone"
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
	// Lines limits pops to these lines or queues; empty means all. Numbers
	// are compared by their digits, so 0033972101010, +33972101010,
	// +33 9 72 10 10 10 and 09 72 10 10 10 are one line. An entry without
	// digits is compared with the line's name (Details.Description),
	// ignoring case.
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
			return &RulesError{Field: "events", Message: "the event " + quote(e) + " cannot pop a call: choose among " + join(PoppableEvents(), ", ")}
		}
	}
	for _, l := range r.Lines {
		if lean.TrimSpace(l) == "" {
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
// eventName is the event's name (normalised here); c is the call after
// the relay applied the event; caller is the number to search for, the
// other party (OtherParty); alreadyPopped says whether the extension
// popped this call before (it keeps the popped call keys), so each call
// pops once. The first failing check, in the order of the Reason
// constants, is reported. A call whose State is empty (unknown) is not
// checked for state.
func (r Rules) ShouldPop(eventName string, c call.Call, caller phone.Number, alreadyPopped bool) (bool, Reason) {
	name := ovhevent.Normalize(eventName)
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
// on an inbound call, the called number on an outbound one.
func OtherParty(c call.Call, calling, called phone.Number) phone.Number {
	if c.Direction == call.Outbound {
		return called
	}
	return calling
}

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

func (r Rules) selectsLine(line, lineName string) bool {
	for _, want := range r.Lines {
		if hasDigit(want) {
			if SameLine(want, line) {
				return true
			}
		} else if w := lean.TrimSpace(want); w != "" && sameName(w, lean.TrimSpace(lineName)) {
			return true
		}
	}
	return false
}

// SameLine reports whether two spellings are the same phone line,
// comparing digits: 00 and + introduce the country code, a single leading
// 0 (or "(0)" after the country code) is the national trunk prefix.
// 0033972101010, +33 9 72 10 10 10, +33 (0)9 72 10 10 10 and 0972101010
// are the same line. Without knowing the country, a national
// number matches an international one that ends with it after a country
// code of 1 to 3 digits.
func SameLine(a, b string) bool {
	var bufA, bufB [32]byte
	da, natA := lineDigits(&bufA, a)
	db, natB := lineDigits(&bufB, b)
	if len(da) == 0 || len(db) == 0 {
		return false
	}
	if natA == natB {
		return string(da) == string(db)
	}
	n, i := da, db
	if natB {
		n, i = db, da
	}
	cc := len(i) - len(n)
	return cc >= 1 && cc <= 3 && len(n) >= 6 && string(i[cc:]) == string(n)
}

// lineDigits returns s's digits without the international (00) or trunk
// (0) prefix, and whether s was national (trunk prefix). Digits beyond
// the buffer are dropped: no phone number is that long.
func lineDigits(buf *[32]byte, s string) (digits []byte, national bool) {
	d := buf[:0]
	for i := 0; i < len(s) && len(d) < len(buf); i++ {
		if strings.HasPrefix(s[i:], "(0)") { // +33 (0)9 72…: the trunk prefix shown in brackets
			i += 2
			continue
		}
		if c := s[i]; '0' <= c && c <= '9' {
			d = append(d, c)
		}
	}
	plus := strings.HasPrefix(lean.TrimSpace(s), "+")
	switch {
	case plus:
	case len(d) >= 2 && d[0] == '0' && d[1] == '0':
		d = d[2:]
	case len(d) >= 1 && d[0] == '0':
		d, national = d[1:], true
	}
	return d, national
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			return true
		}
	}
	return false
}
