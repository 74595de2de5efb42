package relay

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/server/upstream"
)

// Each agent is told whether calls on its lines can reach the relay (the
// hello's Upstream, then a TypeUpstream message at each change): the
// state of the pollers that may bring them. "Connected to the relay"
// alone says nothing of the relay's OVH token.

// pollerState is one poller as upstreamFor reads it: its health and the
// token's scope ("" when unknown: a token given by flag, a poller the
// caller runs itself).
type pollerState struct {
	health upstream.Health
	token  store.Token
}

// upstreamRank orders the states from the best to the worst: an agent
// whose lines several tokens cover is shown the worst.
var upstreamRank = []string{stream.UpstreamPolling, stream.UpstreamStarting, stream.UpstreamRenewing, stream.UpstreamBackoff, stream.UpstreamRejected, stream.UpstreamNoToken}

// upstreamFor is the relay's link to OVH for a's lines, given every
// poller's state: the worst state among the pollers that may bring calls
// on a's lines (a line token for one of them, a billing-account token or
// one whose scope is unknown: the relay cannot tell which lines those
// cover), or UpstreamNoToken when there is none.
func upstreamFor(a Agent, ps []pollerState) stream.Upstream {
	out := stream.Upstream{State: stream.UpstreamNoToken}
	worst := -1
	for _, p := range ps {
		if p.token.Scope == store.ScopeLine && p.token.Line != "" && !a.Sees(p.token.Line) {
			continue
		}
		rank := slices.Index(upstreamRank, p.health.Status)
		if rank < 0 {
			rank = slices.Index(upstreamRank, stream.UpstreamStarting) // a state this relay does not know: not a failure
		}
		if rank <= worst {
			continue
		}
		worst = rank
		out = stream.Upstream{State: upstreamRank[rank], Since: p.health.Since, Error: p.health.LastError}
		if !stream.CallsArrive(out.State) {
			out.NextTry = p.health.NextAttempt
		} else {
			out.Error = ""
		}
	}
	if worst < 0 {
		out.Error = "the relay polls no OVH event token that covers this agent's lines: give it one (`screenpop-relay token add`, -token or SCREENPOP_OVH_TOKEN)"
	}
	return out
}

// upstreamMessage is upstreamFor's answer as a TypeUpstream message.
func upstreamMessage(u stream.Upstream) []byte {
	b, _ := json.Marshal(stream.Message{Type: stream.TypeUpstream, Upstream: &u})
	return b
}

// pollerSnapshot is every poller's state, for upstreamFor.
func (r *Relay) pollerSnapshot() []pollerState {
	r.pmu.Lock()
	defer r.pmu.Unlock()
	out := make([]pollerState, 0, len(r.pollers))
	for _, p := range r.pollers {
		st := pollerState{health: p.p.Health()}
		if p.cancel != nil { // started by Poll: its token's scope is known
			st.token = p.current()
		}
		out = append(out, st)
	}
	return out
}

// upstreamOf is a's Upstream now.
func (r *Relay) upstreamOf(a Agent) stream.Upstream {
	u := upstreamFor(a, r.pollerSnapshot())
	u.Directory = r.directoryStatus() // crm.go
	return u
}

// upstreamChanged tells every connected client its agent's Upstream when
// it changed: a poller's state changed, or pollers came or went. One at
// a time, so that an older snapshot never overtakes a newer one.
func (r *Relay) upstreamChanged() {
	r.upMu.Lock()
	defer r.upMu.Unlock()
	ps := r.pollerSnapshot()
	dir := r.directoryStatus()
	// Agents with the same lines get the same message: worked out once.
	byLines := map[string][]byte{}
	r.hub.Announce(func(a Agent) []byte {
		k := strings.Join(a.Lines, "\x00")
		if a.Anonymous {
			k = "\x01"
		}
		m, ok := byLines[k]
		if !ok {
			u := upstreamFor(a, ps)
			u.Directory = dir
			m = upstreamMessage(u)
			byLines[k] = m
		}
		return m
	}, time.Now())
}
