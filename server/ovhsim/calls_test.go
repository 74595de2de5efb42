package ovhsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/waitfor"
)

const (
	fastRing = 40 * time.Millisecond
	fastTalk = 40 * time.Millisecond
)

func TestScenarios(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		call Call
		want []string
	}{
		{"answered", Call{Line: testLine, Scenario: Answered},
			[]string{"start_ringing", "start_calling", "end_ringing", "end_calling"}},
		{"answered without end_ringing", Call{Line: testLine, Scenario: Answered, SkipEndRinging: true},
			[]string{"start_ringing", "start_calling", "end_calling"}},
		{"missed", Call{Line: testLine, Scenario: Missed},
			[]string{"start_ringing", "end_ringing"}},
		{"outbound", Call{Line: testLine, Scenario: Outbound, Called: "0033123456789"},
			[]string{"start_calling", "end_calling"}},
		{"queue answered", Call{Line: testQueue, Scenario: QueueAnswered, Agent: testLine2},
			[]string{"member-queue-start", "agent-offering", "bridge-agent-start", "bridge-agent-end", "member-queue-end"}},
		{"queue abandoned", Call{Line: testQueue, Scenario: QueueAbandoned},
			[]string{"member-queue-start", "agent-offering", "member-queue-end"}},
		{"duplicate", Call{Line: testLine, Scenario: Missed, Duplicate: true},
			[]string{"start_ringing", "start_ringing", "end_ringing", "end_ringing"}},
		{"reorder", Call{Line: testLine, Scenario: Answered, Reorder: true},
			[]string{"start_calling", "start_ringing", "end_ringing", "end_calling"}},
		{"reorder missed", Call{Line: testLine, Scenario: Missed, Reorder: true},
			[]string{"end_ringing", "start_ringing"}},
		{"default scenario on a line", Call{Line: testLine},
			[]string{"start_ringing", "start_calling", "end_ringing", "end_calling"}},
		{"default scenario on a queue", Call{Line: testQueue},
			[]string{"member-queue-start", "agent-offering", "bridge-agent-start", "bridge-agent-end", "member-queue-end"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// In a bubble the call plays on the fake clock, and synctest.Wait
			// shows when every event it sent has arrived.
			synctest.Test(t, func(t *testing.T) {
				sim, srv := newBubbleSim(t, Config{})
				tok := mustToken(t, sim, testBA, "1 day")
				l := listen(t, sim, srv.URL, tok)
				c := tt.call
				c.RingFor, c.TalkFor = fastRing, fastTalk
				id, err := sim.Ring(c)
				if err != nil {
					t.Fatal(err)
				}
				l.wait(t, len(tt.want), 5*time.Second)
				// Nothing more may come: once the call is over and every
				// goroutine waits, the listener has all it will get.
				waitfor.Until(t, "the call to end", func() bool { return sim.Stats().ActiveCalls == 0 })
				synctest.Wait()
				evs := l.received()
				if got := names(evs); !slices.Equal(got, tt.want) {
					t.Fatalf("events %v, want %v", got, tt.want)
				}
				queue := c.Line == testQueue
				for i, e := range evs {
					if e.CallID() != id {
						t.Errorf("event %d CallID %q, want %q", i, e.CallID(), id)
					}
					if e.Ressource != c.Line || e.Token != tok || e.Data.Event != e.Event {
						t.Errorf("event %d: Ressource %q Token %q Data.Event %q", i, e.Ressource, e.Token, e.Data.Event)
					}
					wantService, wantType := ovhevent.ServiceLine, KindLine
					if queue {
						wantService, wantType = ovhevent.ServiceQueue, KindEasyHunting
					}
					if e.Service != wantService || e.Details.Type != wantType {
						t.Errorf("event %d: Service %q, Details.Type %q", i, e.Service, e.Details.Type)
					}
				}
				// Ts keeps the true order even when delivery does not.
				byTs := slices.Clone(evs)
				slices.SortStableFunc(byTs, func(a, b ovhevent.Event) int {
					switch {
					case a.Data.Ts < b.Data.Ts:
						return -1
					case a.Data.Ts > b.Data.Ts:
						return 1
					}
					return 0
				})
				if tt.call.Reorder && byTs[0].Name() == evs[0].Name() {
					t.Errorf("Reorder: by Ts the first event is %s, as delivered", byTs[0].Name())
				}
				if !tt.call.Reorder && !slices.Equal(names(byTs), names(evs)) {
					t.Errorf("Ts order %v differs from delivery order", names(byTs))
				}
				first := evs[0]
				switch {
				case queue:
					d := first.Data
					if d.QueueMemberUUID != id || d.QueueMemberCIDNumber == "" || d.Queue != testQueue || d.Action != first.Event || d.Calling != d.QueueMemberCIDNumber {
						t.Errorf("queue data %+v", d)
					}
					last := evs[len(evs)-1].Data
					want := "Cancel"
					if c.Scenario != QueueAbandoned {
						want = "Terminated"
						if string(evs[2].Data.Agent) != sim.defaultAgentForTest(c) {
							t.Errorf("bridge-agent-start Agent %q", evs[2].Data.Agent)
						}
					}
					if last.QueueCause != want {
						t.Errorf("member-queue-end QueueCause %q, want %q", last.QueueCause, want)
					}
				case c.Scenario == Outbound:
					if first.Data.Calling != testLine || first.Data.Called != "0033123456789" {
						t.Errorf("outbound: Calling %q Called %q", first.Data.Calling, first.Data.Called)
					}
				default:
					if !strings.HasPrefix(first.Data.Calling, "00336") || first.Data.Called != testLine || first.Data.Dialed != testLine {
						t.Errorf("inbound: Calling %q Called %q Dialed %q", first.Data.Calling, first.Data.Called, first.Data.Dialed)
					}
				}
				if st := sim.Stats(); st.ActiveCalls != 0 {
					t.Errorf("ActiveCalls = %d after the call ended", st.ActiveCalls)
				}
			})
		})
	}
}

// defaultAgentForTest is the agent a queue call of c gets.
func (s *Sim) defaultAgentForTest(c Call) string {
	if c.Agent != "" {
		return c.Agent
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.defaultAgentLocked(s.lines[c.Line])
}

func TestCallIDShape(t *testing.T) {
	for range 20 {
		id := newCallID()
		if !strings.HasSuffix(id, ".") {
			t.Fatalf("CallId %q does not end with a dot", id)
		}
		raw, err := base64.RawStdEncoding.DecodeString(strings.TrimSuffix(id, "."))
		if err != nil || len(raw) != 32 || strings.Trim(string(raw), "0123456789abcdef") != "" {
			t.Fatalf("CallId %q decodes to %q (%v), want 32 hex digits", id, raw, err)
		}
	}
	// The documented example has this shape.
	raw, _ := base64.RawStdEncoding.DecodeString("N2ZkZmEyNGMxZWM0N2VhN2M4NGJkMTY4ZGYwZmU2OTY")
	if len(raw) != 32 {
		t.Errorf("documented CallId decodes to %q", raw)
	}
}

func TestRingingUntilEnded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim, srv := newBubbleSim(t, Config{})
		tok := mustToken(t, sim, testLine, "1 day")
		l := listen(t, sim, srv.URL, tok)
		id, err := sim.Ring(Call{Line: testLine, Scenario: Ringing, RingFor: fastRing})
		if err != nil {
			t.Fatal(err)
		}
		l.wait(t, 1, 5*time.Second)
		// A minute on the fake clock, far past RingFor: the call still
		// rings, and synctest.Wait shows that nothing is on its way.
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := names(l.received()); !slices.Equal(got, []string{"start_ringing"}) {
			t.Fatalf("before EndCall: %v", got)
		}
		sim.EndCall(id)
		if got := names(l.wait(t, 2, 5*time.Second)); !slices.Equal(got, []string{"start_ringing", "end_ringing"}) {
			t.Errorf("after EndCall: %v", got)
		}
		sim.EndCall(id) // ended calls are ignored
	})
}

func TestEndCallEarly(t *testing.T) {
	sim, srv := newTestSim(t, Config{})
	tok := mustToken(t, sim, testBA, "1 day")
	l := listen(t, sim, srv.URL, tok)
	// Hung up while ringing: an answered call becomes a missed one.
	id, _ := sim.Ring(Call{Line: testLine, Scenario: Answered, RingFor: time.Minute})
	l.wait(t, 1, 5*time.Second)
	sim.EndCall(id)
	if got := names(l.wait(t, 2, 5*time.Second)); !slices.Equal(got, []string{"start_ringing", "end_ringing"}) {
		t.Errorf("answered call hung up while ringing: %v", got)
	}
	// Hung up while talking: the end events come at once.
	id, _ = sim.Ring(Call{Line: testQueue, Scenario: QueueAnswered, RingFor: fastRing, TalkFor: time.Minute})
	l.wait(t, 5, 5*time.Second)
	sim.EndCall(id)
	got := names(l.wait(t, 7, 5*time.Second))[2:]
	if want := []string{"member-queue-start", "agent-offering", "bridge-agent-start", "bridge-agent-end", "member-queue-end"}; !slices.Equal(got, want) {
		t.Errorf("queue call hung up while talking: %v", got)
	}
}

func TestAnonymousCaller(t *testing.T) {
	sim, srv := newTestSim(t, Config{})
	tok := mustToken(t, sim, testBA, "1 day")
	l := listen(t, sim, srv.URL, tok)
	sim.Ring(Call{Line: testLine, Scenario: Missed, Anonymous: true, RingFor: fastRing})
	sim.Ring(Call{Line: testQueue, Scenario: QueueAbandoned, Anonymous: true, RingFor: fastRing})
	for _, e := range l.wait(t, 5, 5*time.Second) {
		if e.CallingNumber() != AnonymousCaller {
			t.Errorf("%s: calling %q, want %q", e.Name(), e.CallingNumber(), AnonymousCaller)
		}
	}
}

func TestRingErrors(t *testing.T) {
	sim, _ := newTestSim(t, Config{})
	for _, c := range []Call{
		{},
		{Line: "0033999999999"},
		{Line: testLine, Scenario: "exploded"},
		{Line: testLine, Scenario: QueueAnswered},
		{Line: testQueue, Scenario: Answered},
		{Line: testLine, RingFor: -time.Second},
	} {
		if id, err := sim.Ring(c); err == nil {
			t.Errorf("Ring(%+v) = %q, want an error", c, id)
		}
	}
}

func TestHundredSimultaneousCalls(t *testing.T) {
	t.Parallel()
	sim, srv := newTestSim(t, Config{})
	const n = 100
	for i := range n {
		sim.AddLine("ab99999-ovh-1", fmt.Sprintf("00339721%05d", i), fmt.Sprintf("Poste %d", i))
	}
	tok := mustToken(t, sim, "ab99999-ovh-1", "1 day")
	l := listen(t, sim, srv.URL, tok)
	lineTok := mustToken(t, sim, "0033972100007", "1 day")
	one := listen(t, sim, srv.URL, lineTok)

	ids := map[string]bool{}
	for i := range n {
		id, err := sim.Ring(Call{Line: fmt.Sprintf("00339721%05d", i), Scenario: Answered, RingFor: 100 * time.Millisecond, TalkFor: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	evs := l.wait(t, 4*n, 10*time.Second)
	perCall := map[string][]string{}
	for _, e := range evs {
		perCall[e.CallID()] = append(perCall[e.CallID()], e.Name())
	}
	want := []string{"start_ringing", "start_calling", "end_ringing", "end_calling"}
	for id := range ids {
		if !slices.Equal(perCall[id], want) {
			t.Errorf("call %s: %v", id, perCall[id])
		}
	}
	if len(evs) != 4*n {
		t.Errorf("got %d events, want %d", len(evs), 4*n)
	}
	for _, e := range one.wait(t, 4, 5*time.Second) {
		if e.Ressource != "0033972100007" {
			t.Errorf("line token got an event of %s", e.Ressource)
		}
	}
	if st := sim.Stats(); st.Dropped != 0 {
		t.Errorf("Dropped = %d", st.Dropped)
	}
}

func TestBillingAccountTokenCoversItsLines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim, srv := newBubbleSim(t, Config{})
		sim.AddLine("ab00000-ovh-9", "0041221234567", "Genève")
		baTok := mustToken(t, sim, testBA, "1 day")
		lineTok := mustToken(t, sim, testLine2, "1 day")
		ba := listen(t, sim, srv.URL, baTok)
		ln := listen(t, sim, srv.URL, lineTok)

		sim.Ring(Call{Line: testLine, Scenario: Missed, RingFor: fastRing})
		sim.Ring(Call{Line: testLine2, Scenario: Missed, RingFor: fastRing})
		sim.Ring(Call{Line: "0041221234567", Scenario: Missed, RingFor: fastRing})

		got := map[string]int{}
		for _, e := range ba.wait(t, 4, 5*time.Second) {
			got[e.Ressource]++
			if e.Token != baTok {
				t.Errorf("Token %q, want the billing-account token", e.Token)
			}
		}
		if got[testLine] != 2 || got[testLine2] != 2 || len(got) != 2 {
			t.Errorf("billing-account token saw %v", got)
		}
		for _, e := range ln.wait(t, 2, 5*time.Second) {
			if e.Ressource != testLine2 || e.Token != lineTok {
				t.Errorf("line token saw %s with Token %s", e.Ressource, e.Token)
			}
		}
		// Nothing more comes: the calls are over, and every goroutine waits.
		waitfor.Until(t, "the calls to end", func() bool { return sim.Stats().ActiveCalls == 0 })
		synctest.Wait()
		if n := len(ba.received()); n != 4 {
			t.Errorf("billing-account token got %d events, want 4", n)
		}
	})
}

func TestRegister(t *testing.T) {
	sim, srv := newTestSim(t, Config{})
	tok := mustToken(t, sim, testLine, "1 day")
	l := listen(t, sim, srv.URL, tok)
	if err := sim.Register(testLine); err != nil {
		t.Fatal(err)
	}
	e := l.wait(t, 1, 5*time.Second)[0]
	if e.Name() != ovhevent.Registered || e.Data.Calling != testLine || e.Data.Called != testLine || e.Data.Dialed != testLine {
		t.Errorf("registered event %+v", e.Data)
	}
	if err := sim.Register(testQueue); err == nil {
		t.Error("Register on a queue: no error")
	}
}

func TestOneTokenPerScope(t *testing.T) {
	t.Parallel()
	for _, one := range []bool{false, true} {
		sim, srv := newTestSim(t, Config{OneTokenPerScope: one, HoldTime: 50 * time.Millisecond})
		old := mustToken(t, sim, testLine, "1 day")
		mustToken(t, sim, testLine, "1 day")
		res := poll(t.Context(), srv.URL, old, "")
		if wantOK := !one; (res.status == 200 && res.answer.Message == "") != wantOK {
			t.Errorf("OneTokenPerScope=%v: old token answered %d %s", one, res.status, res.raw)
		}
	}
}

func TestCallJSON(t *testing.T) {
	var c Call
	if err := json.Unmarshal([]byte(`{"line":"0033972101010","scenario":"missed","ringFor":1500,"talkFor":"2.5s","duplicate":true}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.RingFor != 1500*time.Millisecond || c.TalkFor != 2500*time.Millisecond || !c.Duplicate || c.Scenario != Missed {
		t.Errorf("decoded %+v", c)
	}
	b, _ := json.Marshal(c)
	if !strings.Contains(string(b), `"ringFor":"1.5s"`) {
		t.Errorf("encoded %s", b)
	}
	var back Call
	if err := json.Unmarshal(b, &back); err != nil || back != c {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	for _, bad := range []string{`{"line":"x","ring":"2s"}`, `{"ringFor":"soon"}`, `{"ringFor":-1}`, `{"ringFor":true}`} {
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
