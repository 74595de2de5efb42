package call

import (
	"strconv"
	"time"

	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/phone"
)

// Change says what one event (or one expiry) did to a call.
type Change struct {
	Call      Call   // the call after the event; zero when the event is not about a call
	Prev      State  // its state before the event; "" when New or not about a call
	New       bool   // the event created the call
	Changed   bool   // the call's record changed (state or any field): worth streaming
	Event     string // the canonical event name (ovhevent.Normalize), or Expired
	Duplicate bool   // the call had already seen this event; nothing changed
}

// Apply applies one OVH event to the Book, as of now (the relay's clock),
// and says what changed. It never fails: whatever OVH sends, the Book stays
// consistent.
//
// Not about a call (Changed false, Call zero): registered, member-count,
// unknown event names, and events without a call id (CallId, or
// QueueMemberUUID on queues): without an id nothing ties the event to a
// call, and lumping id-less events together would merge unrelated calls.
//
// Calls are keyed by line (Ressource) and call id, so several lines on
// one billing-account token stay apart even when they share a CallId.
//
// Lines (sip):
//
//	start_ringing                 → Ringing (inbound), or Dialing when Calling is the line (outbound)
//	start_calling                 → Answered; a new call is Outbound when Calling is the line
//	end_ringing on Ringing        → Missed
//	end_ringing on Dialing/Answered → no change (the ringing stopped because someone answered)
//	end_calling                   → Ended (from any live state: a lost start_calling does not
//	                                make an answered call look missed; AnswerAt stays zero)
//
// OVH gives no distinct event for an outbound call being answered, so an
// outbound call is Answered from its start_calling, like an inbound one.
// Dialing only appears when OVH sends start_ringing for an outbound call;
// an end_ringing then leaves it Dialing (waiting for start_calling or
// end_calling), and expiry ends it as Ended with no AnswerAt.
//
// Queues (hunting):
//
//	member-queue-start            → Ringing (queued)
//	agent-offering                → Ringing, OfferedTo = the agent
//	bridge-agent-fail             → Ringing, the offer to that agent is withdrawn;
//	                                Abandoned when its QueueHangupCause is NO_AGENT_TIMEOUT
//	                                (the queue gave up on the caller)
//	bridge-agent-start            → Answered, Agent = the agent
//	bridge-agent-end              → Ended
//	member-queue-end on Ringing   → Abandoned (no bridge seen)
//	member-queue-end on Answered  → Ended (its bridge-agent-end is late or lost)
//
// A bridge-agent-fail with QueueHangupCause ORIGINATOR_CANCEL is not
// taken as the caller's end, although OVH's dashboard counts it as a lost
// call: in a ring-all queue the legs of the agents who lost the race may
// fail that way while another agent answers, and an ended call is final.
// The caller's member-queue-end (or Expire) ends it.
//
// bridge-agent-end's QueueMemberJoinedTime and QueueAgentAnsweredTime
// (epoch seconds) give RingAt and AnswerAt when the events that set them
// were not seen (lost, or sent before the relay started), so that the
// queue's wait and the talk time are still known.
//
// Robustness:
//   - Times come from the event (Data.Ts, else Timestamp), else now.
//   - An event a call has already seen is a Duplicate (Changed false). The
//     repeatable queue events (agent-offering, bridge-agent-fail) are
//     duplicates only when agent and OVH timestamps match too.
//   - A call only moves forward (ringing/dialing → answered → ended): an
//     event arriving late never demotes it. It may still fill in what is
//     missing (RingAt from a late start_ringing that is older than the
//     answer, a caller number, the line name).
//   - An ended call (Ended, Missed, Abandoned) is final: later events
//     change nothing until it is forgotten.
//   - The first event of a call creates it, whatever it is: start_calling
//     alone gives an Answered call, end_calling alone an Ended one.
//   - end_ringing makes a ringing call Missed at once. Should OVH deliver
//     an answered call's end_ringing before its start_calling, the call
//     stays Missed (ended is final). Sorting each long-poll answer with
//     SortByTime first puts a start_calling before an end_ringing of the
//     same or a later Ts.
func (b *Book) Apply(ev *ovhevent.Event, now time.Time) Change {
	name := ev.Name()
	ch := Change{Event: name}
	k := kindOf(name)
	if k == kindNone {
		return ch
	}
	id := ev.CallID()
	if id == "" {
		return ch
	}
	b.forget(now)
	at, stamped := eventTime(ev)
	if !stamped {
		at = now
	}
	key := Key{Line: ev.Ressource, ID: id}
	e := b.calls[key]
	if e == nil {
		e = &entry{
			call: Call{
				Line:      ev.Ressource,
				LineName:  ev.Details.Description,
				ID:        id,
				Queue:     k.queue() || ev.Service == ovhevent.ServiceQueue,
				Direction: Inbound,
				Calling:   ev.CallingNumber(),
				Called:    ev.CalledNumber(),
				Dialed:    ev.Data.Dialed,
				LastEvent: name,
			},
			last:  at,
			since: now,
		}
		if !k.queue() && phone.SameLine(ev.Data.Calling, ev.Ressource) {
			e.call.Direction = Outbound
		}
		e.see(k, ev)
		e.step(k, ev, at)
		e.call.Missed = e.call.missed()
		b.add(e, now)
		ch.Call, ch.New, ch.Changed = e.call, true, true
		return ch
	}

	ch.Prev = e.call.State
	if e.seen&(1<<k) != 0 && (!k.repeatable() || e.marked(fingerprint(k, ev))) {
		ch.Call, ch.Duplicate = e.call, true
		return ch
	}
	e.see(k, ev)
	if !e.call.Live() {
		ch.Call = e.call // final: a late event changes nothing
		return ch
	}
	before := e.call
	e.fill(ev)
	e.step(k, ev, at)
	e.call.Missed = e.call.missed()
	if e.call != before {
		e.call.LastEvent = name
		e.since = now
		ch.Changed = true
		if !e.call.Live() {
			e.call.OfferedTo = ""
			b.end(e, now)
		}
	}
	if at.After(e.last) {
		e.last = at
	}
	ch.Call = e.call
	return ch
}

// see records that the call has seen an event of kind k.
func (e *entry) see(k kind, ev *ovhevent.Event) {
	e.seen |= 1 << k
	if k.repeatable() {
		e.marks[e.mark%uint8(len(e.marks))] = fingerprint(k, ev)
		e.mark = (e.mark + 1) % uint8(len(e.marks))
	}
}

// marked reports whether a repeatable event with fingerprint fp was seen.
func (e *entry) marked(fp uint32) bool {
	for _, m := range e.marks {
		if m == fp {
			return true
		}
	}
	return false
}

// fill completes what the call does not know yet from a later event.
func (e *entry) fill(ev *ovhevent.Event) {
	c := &e.call
	if c.LineName == "" {
		c.LineName = ev.Details.Description
	}
	if c.Calling == "" {
		c.Calling = ev.CallingNumber()
	}
	if c.Dialed == "" {
		c.Dialed = ev.Data.Dialed
	}
}

// step moves a live call (or a new one, whose State is still "") on one
// event of kind k that happened at at.
func (e *entry) step(k kind, ev *ovhevent.Event, at time.Time) {
	c := &e.call
	// stale: the event is older than one already applied. It may still
	// advance the state (states only move forward) but must not overwrite
	// what a newer event said (which agent is being offered the call).
	stale := at.Before(e.last)
	switch k {
	case kindStartRinging, kindQueueStart:
		switch c.State {
		case "":
			c.State, c.RingAt = Ringing, at
			if c.Direction == Outbound {
				c.State = Dialing
			}
		case Ringing, Dialing:
			if c.RingAt.IsZero() {
				c.RingAt = at
			}
		case Answered:
			// Late: the call was answered already. Keep the ring time if
			// it is consistent with the answer.
			if c.RingAt.IsZero() && !c.AnswerAt.IsZero() && !at.After(c.AnswerAt) {
				c.RingAt = at
			}
		}

	case kindEndRinging:
		switch c.State {
		case "", Ringing:
			if c.Direction == Outbound {
				c.State = Dialing // the callee's phone stopped ringing: wait for the outcome
			} else {
				c.State, c.EndAt = Missed, at
			}
		}

	case kindStartCalling:
		switch c.State {
		case "", Ringing, Dialing:
			c.State, c.AnswerAt, c.OfferedTo = Answered, at, ""
		}

	case kindEndCalling:
		c.State, c.EndAt = Ended, at

	case kindOffering:
		if c.State == "" {
			c.State = Ringing
		}
		if agent := agentOf(ev); c.State == Ringing && agent != "" && !stale {
			c.OfferedTo = agent
		}

	case kindBridgeFail:
		if c.State == "" {
			c.State = Ringing
		}
		if c.State == Ringing && ev.Data.QueueHangupCause == HangupNoAgentTimeout {
			c.State, c.EndAt, c.OfferedTo = Abandoned, at, ""
			break
		}
		if agent := agentOf(ev); c.State == Ringing && !stale && (agent == "" || agent == c.OfferedTo) {
			c.OfferedTo = ""
		}

	case kindBridgeStart:
		agent := agentOf(ev)
		switch c.State {
		case "", Ringing, Dialing:
			c.State, c.AnswerAt = Answered, at
			c.Agent = agent
			if c.Agent == "" {
				c.Agent = c.OfferedTo
			}
			c.OfferedTo = ""
		case Answered:
			if c.Agent == "" {
				c.Agent = agent
			}
		}

	case kindBridgeEnd:
		if c.Agent == "" {
			c.Agent = agentOf(ev)
		}
		joined, okJ := epochText(ev.Data.QueueMemberJoinedTime)
		answered, okA := epochText(ev.Data.QueueAgentAnsweredTime)
		if okA && c.AnswerAt.IsZero() && !answered.After(at) {
			c.AnswerAt = answered
		}
		if okJ && c.RingAt.IsZero() && !joined.After(at) && (c.AnswerAt.IsZero() || !joined.After(c.AnswerAt)) {
			c.RingAt = joined
		}
		c.State, c.EndAt = Ended, at

	case kindQueueEnd:
		switch c.State {
		case "", Ringing:
			c.State, c.EndAt = Abandoned, at
		default:
			c.State, c.EndAt = Ended, at
		}
	}
}

// HangupNoAgentTimeout is the QueueHangupCause of a bridge-agent-fail
// whose caller the queue gave up on (its wait ran out).
const HangupNoAgentTimeout = "NO_AGENT_TIMEOUT"

// epochText reads OVH's queue times (QueueMemberJoinedTime,
// QueueAgentAnsweredTime): whole Unix seconds as text. ok is false when
// absent, not a number, or not a plausible time.
func epochText(v ovhevent.Text) (time.Time, bool) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n <= 0 || n > maxTs {
		return time.Time{}, false
	}
	return time.Unix(n, 0).UTC(), true
}
