package call

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/ovhevent"
)

// kind is an OVH event the state machine understands, as a small number so
// that a call remembers the kinds it has seen in one word (duplicates).
type kind uint8

const (
	kindNone kind = iota // not about a call: registered, member-count, unknown names
	kindStartRinging
	kindEndRinging
	kindStartCalling
	kindEndCalling
	kindQueueStart  // member-queue-start
	kindOffering    // agent-offering
	kindBridgeFail  // bridge-agent-fail
	kindBridgeStart // bridge-agent-start
	kindBridgeEnd   // bridge-agent-end
	kindQueueEnd    // member-queue-end
)

func kindOf(name string) kind {
	switch name {
	case ovhevent.StartRinging:
		return kindStartRinging
	case ovhevent.EndRinging:
		return kindEndRinging
	case ovhevent.StartCalling:
		return kindStartCalling
	case ovhevent.EndCalling:
		return kindEndCalling
	case ovhevent.MemberQueueStart:
		return kindQueueStart
	case ovhevent.AgentOffering:
		return kindOffering
	case ovhevent.BridgeAgentFail:
		return kindBridgeFail
	case ovhevent.BridgeAgentStart:
		return kindBridgeStart
	case ovhevent.BridgeAgentEnd:
		return kindBridgeEnd
	case ovhevent.MemberQueueEnd:
		return kindQueueEnd
	}
	return kindNone
}

// queue reports whether the kind only happens on hunting queues.
func (k kind) queue() bool { return k >= kindQueueStart }

// repeatable kinds legitimately happen several times in one call: a queue
// offers a call to one agent after another. Seeing the kind again is not
// enough to call it a duplicate; see fingerprint.
func (k kind) repeatable() bool { return k == kindOffering || k == kindBridgeFail }

// rank orders kinds that share a timestamp (SortByTime): the start of
// something before its end, and an answer before the end of ringing, so
// that an end_ringing stamped like its start_calling cannot make a missed
// call out of an answered one.
var rank = [...]uint8{
	kindNone:         0,
	kindStartRinging: 1,
	kindQueueStart:   2,
	kindOffering:     3,
	kindBridgeFail:   4,
	kindStartCalling: 5,
	kindBridgeStart:  6,
	kindEndRinging:   7,
	kindBridgeEnd:    8,
	kindEndCalling:   9,
	kindQueueEnd:     10,
}

// maxTs is the last second time.Time can still encode as JSON (year 9999):
// a Ts beyond it (or NaN, which ParseFloat accepts) is treated as absent
// rather than poisoning the Book's serialisation.
const maxTs = 253402300799

// eventTime is when OVH says the event happened: Data.Ts, else Timestamp.
// ok is false when the event carries neither; the caller then uses the
// relay's clock.
func eventTime(ev *ovhevent.Event) (t time.Time, ok bool) {
	if f := float64(ev.Data.Ts); f > 0 && f < maxTs {
		sec := math.Floor(f)
		// Ts has millisecond precision; rounding to the microsecond drops
		// float noise (…102 rather than …101999998).
		us := math.Round((f - sec) * 1e6)
		return time.Unix(int64(sec), int64(us)*1e3).UTC(), true
	}
	if n := ev.Timestamp; n > 0 {
		return time.Unix(0, int64(n)).UTC(), true
	}
	return time.Time{}, false
}

// agentOf returns the queue agent an event is about. QueueAgent may come
// as agent_<x>_<n> (OVH's dashboard strips that form): the agent is <x>.
func agentOf(ev *ovhevent.Event) string {
	if ev.Data.Agent != "" {
		return string(ev.Data.Agent)
	}
	return stripAgent(string(ev.Data.QueueAgent))
}

// stripAgent turns agent_<x>_<n> (n digits) into x; anything else is
// returned as it is.
func stripAgent(a string) string {
	rest, ok := strings.CutPrefix(a, "agent_")
	if !ok {
		return a
	}
	i := strings.LastIndexByte(rest, '_')
	if i <= 0 || i == len(rest)-1 {
		return a
	}
	for _, c := range rest[i+1:] {
		if c < '0' || c > '9' {
			return a
		}
	}
	return rest[:i]
}

// fingerprint identifies one delivery of a repeatable event (FNV-1a over
// kind, agent and OVH's own timestamps; never 0, which marks an empty
// slot). The relay's clock is left out on purpose: the same event
// delivered twice must give the same fingerprint.
func fingerprint(k kind, ev *ovhevent.Event) uint32 {
	const prime = 16777619
	h := uint32(2166136261)
	h = (h ^ uint32(k)) * prime
	for _, v := range [2]uint64{math.Float64bits(float64(ev.Data.Ts)), uint64(ev.Timestamp)} {
		for i := 0; i < 64; i += 8 {
			h = (h ^ uint32(byte(v>>i))) * prime
		}
	}
	agent := agentOf(ev)
	for i := 0; i < len(agent); i++ {
		h = (h ^ uint32(agent[i])) * prime
	}
	return h | 1
}

// SortByTime puts one batch of events (one long-poll answer) in the order
// they happened, by Data.Ts (else Timestamp), so that Apply sees a call's
// events in order even when OVH delivers them shuffled. Events of the same
// instant are ordered start before end, answer before end of ringing. An
// event without a time stays right after the one it followed. The sort is
// stable and touches nothing else; ordering across batches is Apply's job
// (it never lets a late event undo a later state).
func SortByTime(evs []ovhevent.Event) {
	if len(evs) < 2 {
		return
	}
	type sortKey struct {
		at   int64 // Unix nanoseconds (0: before any stamped event)
		rank uint8
		i    int
	}
	keys := make([]sortKey, len(evs))
	var at int64
	var r uint8
	sorted := true
	for i := range evs {
		// An event without a time inherits its predecessor's time and
		// rank, so the stable sort keeps it right behind it.
		if t, ok := eventTime(&evs[i]); ok {
			at, r = t.UnixNano(), rank[kindOf(evs[i].Name())]
		}
		keys[i] = sortKey{at, r, i}
		if i > 0 && cmpKey(keys[i-1].at, keys[i-1].rank, at, r) > 0 {
			sorted = false
		}
	}
	if sorted {
		return
	}
	slices.SortStableFunc(keys, func(a, b sortKey) int { return cmpKey(a.at, a.rank, b.at, b.rank) })
	out := make([]ovhevent.Event, len(evs))
	for j, k := range keys {
		out[j] = evs[k.i]
	}
	copy(evs, out)
}

func cmpKey(at1 int64, r1 uint8, at2 int64, r2 uint8) int {
	switch {
	case at1 < at2:
		return -1
	case at1 > at2:
		return 1
	}
	return int(r1) - int(r2)
}
