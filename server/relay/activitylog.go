package relay

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/stream"
)

// activity is what the relay logs at info for a person watching it (the
// terminal of `make run`, a service's journal): one line as each call
// rings and one as it is answered or missed, with how many agents'
// clients it was sent to, and one as each agent's client connects or
// leaves. Numbers are masked, as at every level above debug.
//
// It is fed by two hooks: publishLocked (relay.go) hands it every event
// published, and the hub tells it of each client it adds and removes
// (Hub.watch). Long-poll clients come and go with every poll (each is a
// request held up to PollWait), so theirs are logged at debug only.
type activity struct {
	mu    sync.Mutex
	calls map[string]call.State // line + call ID → the state last logged; gone once final
	conns map[string]int        // agent name ("" anonymous) → its WebSocket and SSE clients
	// reached counts the calls that rang and were sent to at least one
	// client: the demo rings more slowly once an agent saw one.
	reached atomic.Uint64
}

// maxLoggedCalls bounds activity.calls: every call ends (OVH, or the
// relay's expiry, ends it), so this only guards against a leak.
const maxLoggedCalls = 10000

// CallsReached is the number of calls that rang and were sent to at least
// one agent's client since the relay started.
func (r *Relay) CallsReached() uint64 { return r.activity.reached.Load() }

// logCalls logs the calls evs move to a new state worth a line: ringing
// (or dialing out), answered, missed or abandoned at info, ended at debug.
// r.mu is held: events come in call order.
func (r *Relay) logCalls(evs []*stream.Event) {
	a := &r.activity
	for _, ev := range evs {
		c := &ev.Call
		key := c.Line + "\x00" + c.ID
		a.mu.Lock()
		if a.calls == nil || len(a.calls) >= maxLoggedCalls {
			a.calls = map[string]call.State{}
		}
		prev := a.calls[key]
		if final(c.State) {
			delete(a.calls, key)
		} else {
			a.calls[key] = c.State
		}
		a.mu.Unlock()
		if prev == c.State {
			continue // another event of the same state: an offer to another queue agent, say
		}
		level, msg := slog.LevelInfo, ""
		switch c.State {
		case call.Ringing:
			msg = "call ringing"
		case call.Dialing:
			msg = "call dialing out"
		case call.Answered:
			msg = "call answered"
		case call.Missed:
			msg = "call missed"
		case call.Abandoned:
			msg = "call abandoned in the queue"
		default:
			level, msg = slog.LevelDebug, "call "+string(c.State)
		}
		log := r.cfg.Log
		rang := c.State == call.Ringing || c.State == call.Dialing
		if !rang && !log.Enabled(context.Background(), level) {
			continue
		}
		n := r.hub.clientsOn(c.Line)
		if rang && n > 0 {
			a.reached.Add(1) // counted at any log level: the demo's pace depends on it
		}
		if !log.Enabled(context.Background(), level) {
			continue
		}
		caller := maskNumber(c.Calling)
		if caller == "" {
			caller = "withheld"
		}
		args := []any{"line", maskNumber(c.Line), "caller", caller, "sent_to_agents", n}
		if c.Queue {
			args = append(args, "queue", true)
		}
		if c.Agent != "" {
			args = append(args, "by", maskNumber(c.Agent))
		}
		log.Log(context.Background(), level, msg, args...)
	}
}

func final(s call.State) bool {
	return s == call.Ended || s == call.Missed || s == call.Abandoned
}

// clientWatched logs a client of the hub connecting or leaving; it is
// Hub.watch, called with the hub's mu held, so it only counts and logs.
func (r *Relay) clientWatched(s *Sub, connected bool) {
	a := &r.activity
	name := s.agent.Name
	if s.agent.Anonymous {
		name = ""
	}
	level := slog.LevelInfo
	n := 0
	if s.transport == transportPoll {
		level = slog.LevelDebug
	} else {
		a.mu.Lock()
		if a.conns == nil {
			a.conns = map[string]int{}
		}
		if connected {
			a.conns[name]++
		} else if a.conns[name]--; a.conns[name] <= 0 {
			delete(a.conns, name)
		}
		n = a.conns[name]
		a.mu.Unlock()
	}
	log := r.cfg.Log
	if !log.Enabled(context.Background(), level) {
		return
	}
	agent := name
	if agent == "" {
		agent = "(anonymous)"
	}
	if connected {
		log.Log(context.Background(), level, "agent connected", "agent", agent, "transport", s.transport, "connections", n)
		return
	}
	why := "left"
	if s.reason != nil {
		why = s.reason.Code
	}
	log.Log(context.Background(), level, "agent disconnected", "agent", agent, "transport", s.transport, "why", why, "connections", n)
}

// clientsOn is the number of clients whose agent sees line: those of
// every line, and those of line's key (lineIndex).
func (h *Hub) clientsOn(line string) int {
	k := phone.LineKey(line)
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.lines.all)
	if k != "" {
		n += len(h.lines.byKey[k])
	}
	return n
}

// watched tells watch, if set, that s connected or left; mu is held.
func (h *Hub) watched(s *Sub, connected bool) {
	if h.watch != nil {
		h.watch(s, connected)
	}
}
