package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/ovhsim"
)

func TestWebSocketAuth(t *testing.T) {
	h := newHarness(t, Config{})
	secret := h.agent(t, "alice", testLine)
	tests := []struct {
		name     string
		first    string
		wantCode string // "" : hello
	}{
		{"right secret", authMessage(secret), ""},
		{"wrong secret", authMessage(secret[:len(secret)-4] + "AAAA"), stream.CodeBadSecret},
		{"empty secret", authMessage(""), stream.CodeBadSecret},
		{"ping first", stream.ClientPing, stream.CodeNoAuth},
		{"not JSON", "hello", stream.CodeNoAuth},
		{"silence", "", stream.CodeNoAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := h.dialWS(t, 0, tt.first)
			m := c.next(t, 3*time.Second)
			if tt.wantCode == "" {
				if m.Type != stream.TypeHello || m.Hello.Agent != "alice" || len(m.Hello.Lines) != 1 {
					t.Fatalf("first message = %+v, want alice's hello", m)
				}
				return
			}
			if m.Type != stream.TypeError || m.Error.Code != tt.wantCode || m.Error.Message == "" {
				t.Fatalf("first message = %+v, want error %s", m, tt.wantCode)
			}
			if st := c.waitClosed(t, 3*time.Second); st != websocket.StatusPolicyViolation {
				t.Errorf("close status %v, want policy violation", st)
			}
		})
	}
}

func TestWebSocketAnonymous(t *testing.T) {
	h := newHarness(t, Config{AllowAnonymous: true})
	secret := h.agent(t, "alice", testLine)
	for _, tt := range []struct {
		name, first, agent string
	}{
		{"auth without a secret", authMessage(""), ""},
		{"an old extension: silence", "", ""},
		{"an old extension: ping", stream.ClientPing, ""},
		{"a secret still counts", authMessage(secret), "alice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := h.dialWS(t, 0, tt.first).next(t, 3*time.Second)
			if m.Type != stream.TypeHello || m.Hello.Agent != tt.agent {
				t.Fatalf("first message = %+v, want hello for %q", m, tt.agent)
			}
		})
	}
}

// TestAgentSeesOnlyItsLines: two agents on a billing-account token that
// watches two lines, each sees its line only; live, in replay and in the
// calls going on.
func TestAgentSeesOnlyItsLines(t *testing.T) {
	h := newHarness(t, Config{})
	alice := h.agent(t, "alice", "+33972101010") // typed in E.164: stored and compared by digits
	bob := h.agent(t, "bob", testLine2)
	boss := h.agent(t, "boss", "*")
	ca := h.dialWS(t, 0, authMessage(alice))
	cb := h.dialWS(t, 0, authMessage(bob))
	cboss := h.dialWS(t, 0, authMessage(boss))
	for _, c := range []*wsClient{ca, cb, cboss} {
		if m := c.next(t, 3*time.Second); m.Type != stream.TypeHello {
			t.Fatalf("hello: %+v", m)
		}
	}
	h.ring(t, testLine, ovhsim.Missed)
	h.ring(t, testLine2, ovhsim.Missed)
	lines := func(c *wsClient, n int) map[string]int {
		got := map[string]int{}
		for i := 0; i < n; i++ {
			m := c.nextEvent(t, 5*time.Second)
			got[m.Event.Call.Line]++
		}
		return got
	}
	// Each missed call is start_ringing then end_ringing.
	if got := lines(cboss, 4); got[testLine] != 2 || got[testLine2] != 2 {
		t.Fatalf("boss got %v, want both lines", got)
	}
	if got := lines(ca, 2); got[testLine] != 2 {
		t.Errorf("alice got %v, want her line only", got)
	}
	if got := lines(cb, 2); got[testLine2] != 2 {
		t.Errorf("bob got %v, want his line only", got)
	}
	// Nothing of bob's line reaches alice: a call on her line after them
	// is the next thing she gets (the hub sends in order).
	marker := h.ring(t, testLine, ovhsim.Missed)
	for range 2 {
		if m := ca.nextEvent(t, 5*time.Second); m.Type != stream.TypeEvent || m.Event.Call.ID != marker {
			t.Fatalf("alice got %+v, want the call on her line that came next", m)
		}
	}
	// Replay from the start: filtered the same way, and no gap (nothing
	// was trimmed).
	c := h.dialWS(t, 1, authMessage(bob))
	if m := c.next(t, 3*time.Second); m.Type != stream.TypeHello {
		t.Fatalf("hello: %+v", m)
	}
	m := c.nextEvent(t, 3*time.Second)
	if m.Type != stream.TypeEvent || m.Event.Call.Line != testLine2 {
		t.Errorf("bob's replay starts with %+v, want his line's event", m)
	}
	// Live calls in hello: alice sees only hers ringing.
	h.sim.Ring(ovhsim.Call{Line: testLine, Scenario: ovhsim.Ringing})
	h.sim.Ring(ovhsim.Call{Line: testLine2, Scenario: ovhsim.Ringing})
	ca.nextEvent(t, 5*time.Second)
	cb.nextEvent(t, 5*time.Second)
	hello := h.dialWS(t, 0, authMessage(alice)).next(t, 3*time.Second)
	if len(hello.Hello.Live) != 1 || hello.Hello.Live[0].Call.Line != testLine {
		t.Errorf("alice's hello lists %+v, want her ringing call only", hello.Hello.Live)
	}
}

// TestTransportsDeliverTheSameMessages: WebSocket, SSE and long-poll from
// the same cursor get the same event messages, byte for byte, with the
// same IDs.
func TestTransportsDeliverTheSameMessages(t *testing.T) {
	h := newHarness(t, Config{})
	secret := h.agent(t, "alice", "*")
	ws := h.dialWS(t, 0, authMessage(secret))
	hello := ws.next(t, 3*time.Second)
	start := hello.Hello.Cursor
	sse := h.dialSSE(t, secret, start)
	if m, _ := sse.nextMessage(t, 3*time.Second); m.Type != stream.TypeHello {
		t.Fatalf("SSE starts with %+v", m)
	}
	// start_ringing, start_calling, end_calling (its end_ringing changes
	// nothing: not an event).
	const n = 3
	h.ring(t, testLine, ovhsim.Answered)
	var wsMsgs, sseMsgs [][]byte
	deadline := time.After(5 * time.Second)
	for len(wsMsgs) < n {
		select {
		case m := <-ws.msgs:
			b := <-ws.raw
			if m.Type == stream.TypeEvent {
				wsMsgs = append(wsMsgs, b)
			}
		case <-deadline:
			t.Fatalf("WebSocket got %d events", len(wsMsgs))
		}
	}
	for len(sseMsgs) < n {
		m, ev := sse.nextMessage(t, 5*time.Second)
		if m.Type == stream.TypeEvent {
			if ev.id != itoa(m.ID) {
				t.Errorf("SSE id %q for message %d", ev.id, m.ID)
			}
			sseMsgs = append(sseMsgs, ev.data)
		}
	}
	var pollMsgs [][]byte
	cursor := start
	for len(pollMsgs) < n {
		p := h.poll(t, secret, cursor, 2)
		for _, m := range p.Messages {
			b, _ := json.Marshal(m)
			pollMsgs = append(pollMsgs, b)
		}
		if p.Cursor < cursor {
			t.Fatalf("the poll cursor went back: %d < %d", p.Cursor, cursor)
		}
		cursor = p.Cursor
	}
	for i := range wsMsgs {
		if !bytes.Equal(wsMsgs[i], sseMsgs[i]) {
			t.Errorf("message %d differs:\nWebSocket %s\nSSE       %s", i, wsMsgs[i], sseMsgs[i])
		}
		// The long-poll's messages went through a decode and encode here.
		var a, b stream.Message
		json.Unmarshal(wsMsgs[i], &a)
		json.Unmarshal(pollMsgs[i], &b)
		if a.ID != b.ID || a.Event.Name != b.Event.Name || a.Event.Call.State != b.Event.Call.State {
			t.Errorf("message %d differs:\nWebSocket %s\nlong-poll %s", i, wsMsgs[i], pollMsgs[i])
		}
	}
	var last stream.Message
	json.Unmarshal(wsMsgs[n-1], &last)
	if last.Event.Call.State != call.Ended || last.Event.Calling.Kind == "" {
		t.Errorf("last event %+v: want an ended call with its caller parsed", last.Event)
	}
	// A long-poll with nothing new answers empty with the newest cursor
	// (TestLongPollHold checks, on synctest's clock, how long it is held).
	p := h.poll(t, secret, cursor, 1)
	if len(p.Messages) != 0 || p.Cursor != cursor {
		t.Errorf("empty poll = %+v", p)
	}
	// Without a cursor: hello at once.
	_, b := h.request(t, "GET", stream.PathPoll+"?wait=10", secret, nil)
	var first stream.Poll
	if json.Unmarshal(b, &first); len(first.Messages) != 1 || first.Messages[0].Type != stream.TypeHello || first.Cursor != cursor {
		t.Errorf("poll without cursor = %s", b)
	}
}

// TestLongPollCursorSkipsOtherLines: an agent's long-poll cursor moves
// with events of other lines too, so a quiet agent never gets a gap.
func TestLongPollCursorSkipsOtherLines(t *testing.T) {
	h := newHarness(t, Config{})
	bob := h.agent(t, "bob", testLine2)
	p := h.poll(t, bob, 0, 0)
	h.ring(t, testLine, ovhsim.Missed)
	waitfor.Until(t, "both events to be published", func() bool { return h.relay.hub.Stats().Newest >= p.Cursor+2 })
	next := h.poll(t, bob, p.Cursor, 1)
	if len(next.Messages) != 0 || next.Cursor != p.Cursor+2 {
		t.Errorf("poll = %+v, want no message and cursor %d", next, p.Cursor+2)
	}
}

// TestRevokeClosesConnections: revoking an agent closes its WebSocket
// and SSE streams and ends its long-poll, each with CodeRevoked; others
// stay; its secret stops working.
func TestRevokeClosesConnections(t *testing.T) {
	h := newHarness(t, Config{})
	alice := h.agent(t, "alice", testLine)
	bob := h.agent(t, "bob", testLine)
	ws := h.dialWS(t, 0, authMessage(alice))
	wsBob := h.dialWS(t, 0, authMessage(bob))
	ws.next(t, 3*time.Second)
	wsBob.next(t, 3*time.Second)
	sse := h.dialSSE(t, alice, 0)
	sse.nextMessage(t, 3*time.Second)
	cursor := h.poll(t, alice, 0, 0).Cursor
	pollDone := make(chan []byte, 1)
	go func() {
		_, b := h.request(t, "GET", stream.PathPoll+"?cursor="+itoa(cursor)+"&wait=10", alice, nil)
		pollDone <- b
	}()
	waitfor.Until(t, "alice's three clients to be connected", func() bool { return h.relay.hub.Stats().Connections["alice"] >= 3 })

	// Through the admin API, as the CLI does.
	admin := httptest.NewServer(AdminHandler(h.relay, "admin-token", nil))
	defer admin.Close()
	n, err := AdminClient{URL: admin.URL, Token: "admin-token"}.RevokeAgent(context.Background(), "alice")
	if err != nil || n != 3 {
		t.Fatalf("revoke: %d connections closed, %v; want 3", n, err)
	}
	if m := ws.nextEvent(t, 3*time.Second); m.Type != stream.TypeError || m.Error.Code != stream.CodeRevoked {
		t.Errorf("WebSocket got %+v, want error revoked", m)
	}
	if st := ws.waitClosed(t, 3*time.Second); st != websocket.StatusPolicyViolation {
		t.Errorf("close status %v", st)
	}
	if m, _ := sse.nextMessage(t, 3*time.Second); m.Type != stream.TypeError || m.Error.Code != stream.CodeRevoked {
		t.Errorf("SSE got %+v, want error revoked", m)
	}
	select {
	case b := <-pollDone:
		if errorCode(b) != stream.CodeRevoked {
			t.Errorf("long-poll answered %s, want error revoked", b)
		}
	case <-time.After(3 * time.Second):
		t.Error("the held long-poll was not answered")
	}
	// Bob is still there and still gets events.
	h.ring(t, testLine, ovhsim.Missed)
	if m := wsBob.nextEvent(t, 5*time.Second); m.Type != stream.TypeEvent {
		t.Errorf("bob got %+v", m)
	}
	if m := h.dialWS(t, 0, authMessage(alice)).next(t, 3*time.Second); m.Type != stream.TypeError || m.Error.Code != stream.CodeBadSecret {
		t.Errorf("the revoked secret got %+v", m)
	}
	// A wrong admin token is refused.
	if _, err := (AdminClient{URL: admin.URL, Token: "nope"}).ListAgents(context.Background()); err == nil {
		t.Error("the admin API accepted a wrong token")
	}
}

// TestRotateAndSetLines: a rotation closes the old secret's connections;
// new lines apply to connected clients at once.
func TestRotateAndSetLines(t *testing.T) {
	h := newHarness(t, Config{})
	ctx := context.Background()
	old := h.agent(t, "alice", testLine)
	ws := h.dialWS(t, 0, authMessage(old))
	ws.next(t, 3*time.Second)
	ns, err := h.relay.RotateAgent(ctx, "alice")
	if err != nil || ns.Closed != 1 || ns.Connection != "http://relay.test/#"+ns.Secret {
		t.Fatalf("rotate = %+v, %v", ns, err)
	}
	if m := ws.nextEvent(t, 3*time.Second); m.Type != stream.TypeError || m.Error.Code != stream.CodeBadSecret {
		t.Errorf("old connection got %+v", m)
	}
	ws = h.dialWS(t, 0, authMessage(ns.Secret))
	ws.next(t, 3*time.Second)
	if _, err := h.relay.SetLines(ctx, "alice", []string{testLine2}); err != nil {
		t.Fatal(err)
	}
	h.ring(t, testLine, ovhsim.Missed)
	h.ring(t, testLine2, ovhsim.Missed)
	if m := ws.nextEvent(t, 5*time.Second); m.Event == nil || m.Event.Call.Line != testLine2 {
		t.Errorf("after SetLines got %+v, want line 2 only", m)
	}
}

func TestShutdownSaysBye(t *testing.T) {
	h := newHarness(t, Config{})
	secret := h.agent(t, "alice", "*")
	ws := h.dialWS(t, 0, authMessage(secret))
	ws.next(t, 3*time.Second)
	sse := h.dialSSE(t, secret, 0)
	sse.nextMessage(t, 3*time.Second)
	h.relay.Shutdown()
	if m := ws.nextEvent(t, 3*time.Second); m.Type != stream.TypeBye || m.Error.Code != stream.CodeShutdown {
		t.Errorf("WebSocket got %+v, want bye", m)
	}
	if st := ws.waitClosed(t, 3*time.Second); st != websocket.StatusGoingAway {
		t.Errorf("close status %v, want going away", st)
	}
	if m, _ := sse.nextMessage(t, 3*time.Second); m.Type != stream.TypeBye {
		t.Errorf("SSE got %+v, want bye", m)
	}
	// New clients are told the same at once.
	if p := h.poll(t, secret, 1, 5); len(p.Messages) == 0 || p.Messages[len(p.Messages)-1].Type != stream.TypeBye {
		t.Errorf("poll after shutdown = %+v", p)
	}
}
