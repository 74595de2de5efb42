package ovhsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
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
	const (
		ovh    = OrderOVH
		legacy = OrderLegacy
	)
	tests := []struct {
		name  string
		order Order // the Sim's; the call may choose its own
		call  Call
		want  []string
	}{
		// The service's orders (OVH's dashboard's expectations).
		{"answered", ovh, Call{Line: testLine, Scenario: Answered},
			[]string{"start_ringing", "start_calling", "end_calling"}},
		{"missed", ovh, Call{Line: testLine, Scenario: Missed},
			[]string{"start_ringing", "end_ringing"}},
		{"outbound", ovh, Call{Line: testLine, Scenario: Outbound, Called: "0033123456789"},
			[]string{"start_calling", "end_calling"}},
		{"queue answered", ovh, Call{Line: testQueue, Scenario: QueueAnswered, Agent: testLine2},
			[]string{"member-queue-start", "member-count", "agent-offering", "bridge-agent-start", "bridge-agent-end", "member-queue-end", "member-count"}},
		{"queue abandoned", ovh, Call{Line: testQueue, Scenario: QueueAbandoned},
			[]string{"member-queue-start", "member-count", "agent-offering", "member-queue-end", "bridge-agent-fail", "member-count"}},
		{"queue timed out", ovh, Call{Line: testQueue, Scenario: QueueAbandoned, HangupCause: HangupNoAgentTimeout},
			[]string{"member-queue-start", "member-count", "agent-offering", "member-queue-end", "bridge-agent-fail", "member-count"}},
		{"duplicate", ovh, Call{Line: testLine, Scenario: Missed, Duplicate: true},
			[]string{"start_ringing", "start_ringing", "end_ringing", "end_ringing"}},
		{"reorder", ovh, Call{Line: testLine, Scenario: Answered, Reorder: true},
			[]string{"start_calling", "start_ringing", "end_calling"}},
		{"reorder missed", ovh, Call{Line: testLine, Scenario: Missed, Reorder: true},
			[]string{"end_ringing", "start_ringing"}},
		{"default scenario on a line", ovh, Call{Line: testLine},
			[]string{"start_ringing", "start_calling", "end_calling"}},
		{"default scenario on a queue", ovh, Call{Line: testQueue},
			[]string{"member-queue-start", "member-count", "agent-offering", "bridge-agent-start", "bridge-agent-end", "member-queue-end", "member-count"}},
		{"legacy call on an ovh sim", ovh, Call{Line: testLine, Scenario: Answered, Order: legacy},
			[]string{"start_ringing", "start_calling", "end_ringing", "end_calling"}},

		// The legacy orders, kept for the product's tolerance tests.
		{"legacy answered", legacy, Call{Line: testLine, Scenario: Answered},
			[]string{"start_ringing", "start_calling", "end_ringing", "end_calling"}},
		{"legacy answered without end_ringing", legacy, Call{Line: testLine, Scenario: Answered, SkipEndRinging: true},
			[]string{"start_ringing", "start_calling", "end_calling"}},
		{"legacy missed", legacy, Call{Line: testLine, Scenario: Missed},
			[]string{"start_ringing", "end_ringing"}},
		{"legacy queue answered", legacy, Call{Line: testQueue, Scenario: QueueAnswered, Agent: testLine2},
			[]string{"member-queue-start", "agent-offering", "bridge-agent-start", "bridge-agent-end", "member-queue-end"}},
		{"legacy queue abandoned", legacy, Call{Line: testQueue, Scenario: QueueAbandoned},
			[]string{"member-queue-start", "agent-offering", "member-queue-end"}},
		{"legacy reorder", legacy, Call{Line: testLine, Scenario: Answered, Reorder: true},
			[]string{"start_calling", "start_ringing", "end_ringing", "end_calling"}},
		{"ovh call on a legacy sim", legacy, Call{Line: testQueue, Order: ovh},
			[]string{"member-queue-start", "member-count", "agent-offering", "bridge-agent-start", "bridge-agent-end", "member-queue-end", "member-count"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// In a bubble the call plays on the fake clock, and synctest.Wait
			// shows when every event it sent has arrived.
			synctest.Test(t, func(t *testing.T) {
				sim, srv := newBubbleSim(t, Config{Order: tt.order})
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
				order := tt.order
				if c.Order != "" {
					order = c.Order
				}
				queue := c.Line == testQueue
				for i, e := range evs {
					if e.CallID() != id {
						t.Errorf("event %d %s: CallID %q, want %q", i, e.Name(), e.CallID(), id)
					}
					// OVH's dashboard matches queue events to their caller
					// by CallId; the legacy order leaves it empty.
					if queue && (e.Data.CallId != "") != (order == ovh) {
						t.Errorf("event %d %s (%s order): CallId %q", i, e.Name(), order, e.Data.CallId)
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
					checkQueueEvents(t, sim, c, order, evs)
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

// checkQueueEvents checks the keys of a queue call's events (evs, as
// received) in its order: what OVH's dashboard reads in OrderOVH, none of
// the added keys in OrderLegacy.
func checkQueueEvents(t *testing.T, sim *Sim, c Call, order Order, evs []ovhevent.Event) {
	t.Helper()
	byName := map[string][]ovhevent.Data{}
	for _, e := range evs {
		byName[e.Name()] = append(byName[e.Name()], e.Data)
	}
	start := byName[ovhevent.MemberQueueStart][0]
	if start.QueueMemberUUID == "" || start.QueueMemberCIDNumber == "" || start.Queue != testQueue || start.Action != ovhevent.MemberQueueStart || start.Calling != start.QueueMemberCIDNumber {
		t.Errorf("member-queue-start data %+v", start)
	}
	ovh := order == OrderOVH
	if got := string(start.Count); (got == "1") != ovh || (!ovh && got != "") {
		t.Errorf("member-queue-start Count %q (%s order)", got, order)
	}
	counts := byName[ovhevent.MemberCount]
	if ovh && (len(counts) != 2 || counts[0].Count != "1" || counts[1].Count != "0") {
		t.Errorf("member-count events %+v, want Count 1 then 0", counts)
	}
	end := byName[ovhevent.MemberQueueEnd][0]
	fails := byName[ovhevent.BridgeAgentFail]
	if c.Scenario == QueueAbandoned {
		if end.QueueCause != "Cancel" {
			t.Errorf("member-queue-end QueueCause %q, want Cancel", end.QueueCause)
		}
		want := c.HangupCause
		if want == "" {
			want = HangupOriginatorCancel
		}
		switch {
		case ovh && (len(fails) != 1 || fails[0].QueueHangupCause != want):
			t.Errorf("bridge-agent-fail %+v, want one with QueueHangupCause %s", fails, want)
		case !ovh && len(fails) != 0:
			t.Errorf("legacy order: bridge-agent-fail %+v", fails)
		}
		return
	}
	if end.QueueCause != "Terminated" {
		t.Errorf("member-queue-end QueueCause %q, want Terminated", end.QueueCause)
	}
	if a := string(byName[ovhevent.BridgeAgentStart][0].Agent); a != sim.defaultAgentForTest(c) {
		t.Errorf("bridge-agent-start Agent %q", a)
	}
	bridgeEnd := byName[ovhevent.BridgeAgentEnd][0]
	answered, joined := string(bridgeEnd.QueueAgentAnsweredTime), string(bridgeEnd.QueueMemberJoinedTime)
	if !ovh {
		if answered != "" || joined != "" {
			t.Errorf("legacy order: bridge-agent-end times %q %q", answered, joined)
		}
		return
	}
	a, errA := strconv.ParseInt(answered, 10, 64)
	j, errJ := strconv.ParseInt(joined, 10, 64)
	if errA != nil || errJ != nil || j <= 0 || a < j || float64(j) > float64(start.Ts)+1 {
		t.Errorf("bridge-agent-end QueueAgentAnsweredTime %q QueueMemberJoinedTime %q (member-queue-start Ts %v): want epoch seconds, joined ≤ answered", answered, joined, start.Ts)
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
	l.wait(t, 6, 5*time.Second)
	sim.EndCall(id)
	got := names(l.wait(t, 9, 5*time.Second))[2:]
	if want := []string{"member-queue-start", "member-count", "agent-offering", "bridge-agent-start", "bridge-agent-end", "member-queue-end", "member-count"}; !slices.Equal(got, want) {
		t.Errorf("queue call hung up while talking: %v", got)
	}
}

func TestAnonymousCaller(t *testing.T) {
	sim, srv := newTestSim(t, Config{})
	tok := mustToken(t, sim, testBA, "1 day")
	l := listen(t, sim, srv.URL, tok)
	sim.Ring(Call{Line: testLine, Scenario: Missed, Anonymous: true, RingFor: fastRing})
	sim.Ring(Call{Line: testQueue, Scenario: QueueAbandoned, Anonymous: true, RingFor: fastRing})
	for _, e := range l.wait(t, 8, 5*time.Second) {
		if e.Name() == ovhevent.MemberCount {
			continue // about the queue, not a caller
		}
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
	evs := l.wait(t, 3*n, 10*time.Second)
	perCall := map[string][]string{}
	for _, e := range evs {
		perCall[e.CallID()] = append(perCall[e.CallID()], e.Name())
	}
	want := []string{"start_ringing", "start_calling", "end_calling"}
	for id := range ids {
		if !slices.Equal(perCall[id], want) {
			t.Errorf("call %s: %v", id, perCall[id])
		}
	}
	if len(evs) != 3*n {
		t.Errorf("got %d events, want %d", len(evs), 3*n)
	}
	for _, e := range one.wait(t, 3, 5*time.Second) {
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
