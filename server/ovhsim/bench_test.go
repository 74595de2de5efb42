package ovhsim

import (
	"context"
	"fmt"
	"testing"

	"github.com/screenpop/screenpop/internal/ovhevent"
)

// BenchmarkEmit measures one event fanned out to 100 sessions of a token.
func BenchmarkEmit(b *testing.B) {
	sim := New(Config{QueueMax: 64})
	sim.AddLine(testBA, testLine, "Accueil")
	tok := mustToken(b, sim, testBA, "unlimited")
	sim.mu.Lock()
	t := sim.tokens[tok]
	for i := range 100 {
		id := fmt.Sprint(i)
		t.sessions[id] = &session{id: id, token: t, wake: make(chan struct{})}
	}
	sim.mu.Unlock()
	ev := ovhevent.Event{Event: ovhevent.StartRinging, Ressource: testLine, Data: ovhevent.Data{CallId: newCallID(), Calling: "0033612345678"}}
	b.ReportAllocs()
	for b.Loop() {
		sim.Emit(ev)
	}
}

// BenchmarkPollRoundTrip measures a poll that finds one queued event, over
// real HTTP.
func BenchmarkPollRoundTrip(b *testing.B) {
	sim, srv := newTestSim(b, Config{})
	tok := mustToken(b, sim, testLine, "unlimited")
	ctx := context.Background()
	sim.Emit(ovhevent.Event{Event: ovhevent.StartRinging, Ressource: testLine}) // nobody listens yet
	session := ""
	// Open a session: its first poll holds, so give it an event.
	go func() {
		sim.WaitActivePolls(ctx, 1)
		sim.Emit(ovhevent.Event{Event: ovhevent.StartRinging, Ressource: testLine})
	}()
	session = mustPoll(b, srv.URL, tok, "").answer.Session
	ev := ovhevent.Event{Event: ovhevent.StartRinging, Ressource: testLine, Data: ovhevent.Data{CallId: newCallID()}}
	b.ReportAllocs()
	for b.Loop() {
		sim.Emit(ev)
		res := poll(ctx, srv.URL, tok, session)
		if res.err != nil || len(res.answer.Events) != 1 {
			b.Fatalf("poll: %v %s", res.err, res.raw)
		}
	}
}
