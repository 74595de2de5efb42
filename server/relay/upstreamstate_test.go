package relay

import (
	"net/http/httptest"

	"encoding/json"
	"github.com/screenpop/screenpop/server/ovhsim"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/server/upstream"
)

func TestUpstreamFor(t *testing.T) {
	at := time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)
	next := at.Add(30 * time.Second)
	polling := upstream.Health{Status: upstream.StatusPolling, Since: at}
	rejected := upstream.Health{Status: upstream.StatusRejected, Since: at, NextAttempt: next, LastError: "OVH rejected the event token"}
	backoff := upstream.Health{Status: upstream.StatusBackoff, Since: at, NextAttempt: next, LastError: "HTTP 502"}
	lineTok := func(l string) store.Token { return store.Token{Scope: store.ScopeLine, Line: l} }
	billing := store.Token{Scope: store.ScopeBillingAccount, BillingAccount: testBA}
	alice := Agent{Name: "alice", Lines: []string{testLine}}
	for _, tt := range []struct {
		name    string
		agent   Agent
		pollers []pollerState
		want    stream.Upstream
	}{
		{"no poller at all", alice, nil, stream.Upstream{State: stream.UpstreamNoToken}},
		{"polling", alice, []pollerState{{health: polling}}, stream.Upstream{State: stream.UpstreamPolling, Since: at}},
		{"a rejected token of unknown scope may be the agent's", alice, []pollerState{{health: polling, token: billing}, {health: rejected}},
			stream.Upstream{State: stream.UpstreamRejected, Since: at, NextTry: next, Error: "OVH rejected the event token"}},
		{"another line's rejected token is not the agent's", alice, []pollerState{{health: polling, token: lineTok(testLine)}, {health: rejected, token: lineTok(testLine2)}},
			stream.Upstream{State: stream.UpstreamPolling, Since: at}},
		{"the agent's line in another spelling", alice, []pollerState{{health: backoff, token: lineTok("+33972101010")}},
			stream.Upstream{State: stream.UpstreamBackoff, Since: at, NextTry: next, Error: "HTTP 502"}},
		{"only other lines' tokens", alice, []pollerState{{health: polling, token: lineTok(testLine2)}}, stream.Upstream{State: stream.UpstreamNoToken}},
		{"every line sees every token", Agent{Name: "boss", Lines: []string{store.AllLines}}, []pollerState{{health: backoff, token: lineTok(testLine2)}, {health: polling}},
			stream.Upstream{State: stream.UpstreamBackoff, Since: at, NextTry: next, Error: "HTTP 502"}},
		{"the worst wins: rejected over backoff", anonymous, []pollerState{{health: backoff}, {health: rejected}, {health: polling}},
			stream.Upstream{State: stream.UpstreamRejected, Since: at, NextTry: next, Error: "OVH rejected the event token"}},
		{"a state from a newer poller is no failure", alice, []pollerState{{health: upstream.Health{Status: "resting", Since: at}}},
			stream.Upstream{State: stream.UpstreamStarting, Since: at}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := upstreamFor(tt.agent, tt.pollers)
			if tt.want.State == stream.UpstreamNoToken {
				if got.State != tt.want.State || !strings.Contains(got.Error, "token add") {
					t.Errorf("got %+v, want no-token saying how to give the relay one", got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestUpstreamStreamed: the agent learns from the relay that its OVH
// token was rejected, in the hello and as a message when it changes,
// over WebSocket, SSE and (when asked) long-poll; and an agent on
// another line's token does not.
func TestUpstreamStreamed(t *testing.T) {
	h := newHarness(t, Config{})
	secret := h.agent(t, "alice", testLine)
	ws := h.dialWS(t, 0, authMessage(secret))
	hello := ws.next(t, 3*time.Second)
	if hello.Hello == nil || hello.Hello.Upstream == nil {
		t.Fatalf("hello %+v has no upstream state", hello)
	}
	waitfor.Until(t, "the upstream state to be polling", func() bool {
		return h.relay.upstreamOf(Agent{Name: "alice", Lines: []string{testLine}}).State == stream.UpstreamPolling
	})
	sse := h.dialSSE(t, secret, 0)
	if m, _ := sse.nextMessage(t, 3*time.Second); m.Hello == nil || m.Hello.Upstream == nil || m.Hello.Upstream.State != stream.UpstreamPolling {
		t.Fatalf("SSE hello %+v: want the upstream state, polling", m)
	}
	cursor := h.relay.hub.Stats().Newest
	polled := make(chan stream.Poll, 1)
	go func() {
		// Held until the state changes: upstream=1 asks for it.
		resp, b := h.request(t, "GET", stream.PathPoll+"?upstream=1&wait=20&cursor="+itoa(cursor), secret, nil)
		var p stream.Poll
		if resp.StatusCode == 200 {
			json.Unmarshal(b, &p)
		}
		polled <- p
	}()

	h.sim.RevokeToken(h.token)
	var got *stream.Upstream
	waitfor.Until(t, "a token-rejected message on the WebSocket", func() bool {
		m := ws.next(t, 10*time.Second)
		if m.Type == stream.TypeUpstream && m.Upstream != nil && m.Upstream.State == stream.UpstreamRejected {
			got = m.Upstream
		}
		return got != nil
	})
	if got.Since.IsZero() || got.NextTry.IsZero() || got.NextTry.Before(got.Since) || !strings.Contains(got.Error, "rejected") {
		t.Errorf("rejected state %+v: want since, next try and the relay's reason", got)
	}
	var sseGot bool
	waitfor.Until(t, "a token-rejected message on SSE", func() bool {
		m, ev := sse.nextMessage(t, 10*time.Second)
		if m.Type == stream.TypeUpstream && ev.id != "" {
			t.Errorf("the upstream message has SSE id %q: it would move the client's Last-Event-ID", ev.id)
		}
		sseGot = m.Type == stream.TypeUpstream && m.Upstream.State == stream.UpstreamRejected
		return sseGot
	})
	p := <-polled
	if len(p.Messages) == 0 || p.Messages[len(p.Messages)-1].Type != stream.TypeUpstream || p.Cursor != cursor {
		t.Errorf("long-poll with upstream=1 = %+v: want its upstream state, the cursor unchanged", p)
	}
	if p := h.poll(t, secret, cursor, 0); len(p.Messages) != 0 {
		t.Errorf("a long-poll without upstream=1 (an older client) got %+v, want nothing new", p.Messages)
	}
	// Not counted as deliveries of events.
	if n := h.relay.hub.Stats().Newest; n != cursor {
		t.Errorf("the upstream messages moved the event IDs to %d", n)
	}
}

// TestUpstreamOtherLine: a rejected line token says nothing to an agent of
// another line, and the pollers' state reaches a client that connected
// before any poller (no-token, then polling).
func TestUpstreamOtherLine(t *testing.T) {
	sim, simSrv, token := lineSim(t)
	r, err := New(Config{Log: quiet(t), Store: openStore(t, t.TempDir()+"/s.db"), EventsURL: simSrv.URL + "/",
		PollBackoff: upstream.Backoff{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond}, KeepAlive: time.Second, PublicURL: "http://relay.test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	h := &harness{relay: r, store: r.cfg.Store, sim: sim, simSrv: simSrv}
	h.srv = newServer(t, r)
	bob := h.agent(t, "bob", testLine2)
	ws := h.dialWS(t, 0, authMessage(bob))
	if m := ws.next(t, 3*time.Second); m.Hello == nil || m.Hello.Upstream == nil || m.Hello.Upstream.State != stream.UpstreamNoToken {
		t.Fatalf("hello %+v: want no-token (the relay polls nothing yet)", m)
	}
	// A token of bob's line: he hears it start.
	if err := r.Poll(store.Token{Value: token, Scope: store.ScopeLine, BillingAccount: testBA, Line: testLine2}); err != nil {
		t.Fatal(err)
	}
	waitfor.Until(t, "bob to hear his line's token poll", func() bool {
		m := ws.next(t, 10*time.Second)
		return m.Type == stream.TypeUpstream && m.Upstream.State == stream.UpstreamPolling
	})
	// Alice's line has no token: she is told so, whatever bob's does.
	alice := h.agent(t, "alice", testLine)
	wa := h.dialWS(t, 0, authMessage(alice))
	if m := wa.next(t, 3*time.Second); m.Hello == nil || m.Hello.Upstream.State != stream.UpstreamNoToken {
		t.Fatalf("alice's hello %+v: want no-token", m)
	}
}

// lineSim is an OVH emulator with the test lines and a token for
// testLine2 only.
func lineSim(t *testing.T) (*ovhsim.Sim, *httptest.Server, string) {
	t.Helper()
	sim := ovhsim.New(ovhsim.Config{HoldTime: 500 * time.Millisecond})
	sim.AddLine(testBA, testLine, "Accueil")
	sim.AddLine(testBA, testLine2, "Support")
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	token, err := sim.NewToken(testLine2, "1 day")
	if err != nil {
		t.Fatal(err)
	}
	return sim, srv, token
}
