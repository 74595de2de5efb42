package relay

import (
	"fmt"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/ovhsim"
)

const testQueue = "0033972101099"

// TestEventOrders: the same calls, played in OVH's order (what OVH's own
// dashboard expects of the service) and in the emulator's legacy order
// (end_ringing after an answer; queue events without CallId, Count,
// member-count, bridge-agent-fail or queue times), end in the same state
// in the relay's history: answered or missed, the queue's wait and the
// answering agent, abandoned queue callers.
func TestEventOrders(t *testing.T) {
	type want struct {
		state  call.State
		missed bool
		dir    call.Direction
		agent  string // "" : not checked
		talk   bool   // a talk duration
		ring   bool   // a ring duration (a queue's wait)
	}
	answered := want{state: call.Ended, dir: call.Inbound, talk: true, ring: true}
	tests := []struct {
		name string
		call ovhsim.Call
		want want
	}{
		{"answered", ovhsim.Call{Line: testLine, Scenario: ovhsim.Answered}, answered},
		{"answered, duplicated", ovhsim.Call{Line: testLine, Scenario: ovhsim.Answered, Duplicate: true}, answered},
		{"answered, reordered", ovhsim.Call{Line: testLine, Scenario: ovhsim.Answered, Reorder: true}, answered},
		{"answered, no end_ringing", ovhsim.Call{Line: testLine2, Scenario: ovhsim.Answered, SkipEndRinging: true}, answered},
		{"missed", ovhsim.Call{Line: testLine, Scenario: ovhsim.Missed}, want{state: call.Missed, missed: true, dir: call.Inbound, ring: true}},
		{"missed, reordered", ovhsim.Call{Line: testLine2, Scenario: ovhsim.Missed, Reorder: true}, want{state: call.Missed, missed: true, dir: call.Inbound, ring: true}},
		{"outbound", ovhsim.Call{Line: testLine, Scenario: ovhsim.Outbound}, want{state: call.Ended, dir: call.Outbound, talk: true}},
		{"queue answered", ovhsim.Call{Line: testQueue, Scenario: ovhsim.QueueAnswered, Agent: testLine2},
			want{state: call.Ended, dir: call.Inbound, agent: testLine2, talk: true, ring: true}},
		{"queue answered, duplicated", ovhsim.Call{Line: testQueue, Scenario: ovhsim.QueueAnswered, Agent: testLine, Duplicate: true},
			want{state: call.Ended, dir: call.Inbound, agent: testLine, talk: true, ring: true}},
		{"queue abandoned", ovhsim.Call{Line: testQueue, Scenario: ovhsim.QueueAbandoned},
			want{state: call.Abandoned, missed: true, dir: call.Inbound, ring: true}},
		{"queue timed out", ovhsim.Call{Line: testQueue, Scenario: ovhsim.QueueAbandoned, HangupCause: ovhsim.HangupNoAgentTimeout},
			want{state: call.Abandoned, missed: true, dir: call.Inbound, ring: true}},
		{"queue abandoned, reordered", ovhsim.Call{Line: testQueue, Scenario: ovhsim.QueueAbandoned, Reorder: true},
			want{state: call.Abandoned, missed: true, dir: call.Inbound, ring: true}},
	}
	for _, order := range ovhsim.Orders {
		t.Run(string(order), func(t *testing.T) {
			h := newHarness(t, Config{})
			h.sim.AddQueue(testBA, testQueue, "File support", ovhsim.KindEasyHunting)
			ids := map[string]int{} // call id → test index
			for i, tt := range tests {
				c := tt.call
				c.Order = order
				c.Calling = fmt.Sprintf("00336123456%02d", i)
				if c.Scenario == ovhsim.Outbound {
					c.Calling, c.Called = "", c.Calling
				}
				c.RingFor, c.TalkFor = 100*time.Millisecond, 100*time.Millisecond
				id, err := h.sim.Ring(c)
				if err != nil {
					t.Fatal(err)
				}
				ids[id] = i
			}
			var got map[int]call.Call
			waitfor.Until(t, "every call to be over in the relay's history", func() bool {
				cs, err := h.store.RecentCalls(nil, 0, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				got = map[int]call.Call{}
				for _, c := range cs {
					if i, ok := ids[c.ID]; ok && !c.Live() {
						got[i] = c
					}
				}
				return len(got) == len(tests)
			})
			for i, tt := range tests {
				c, w := got[i], tt.want
				if c.State != w.state || c.WasMissed() != w.missed || c.Direction != w.dir ||
					(w.agent != "" && c.Agent != w.agent) ||
					(c.TalkDuration() > 0) != w.talk || (c.RingDuration() > 0) != w.ring {
					t.Errorf("%s (%s order): state %s missed %v %s agent %q ring %v talk %v; want %s missed %v %s agent %q ring %v talk %v",
						tt.name, order, c.State, c.WasMissed(), c.Direction, c.Agent, c.RingDuration(), c.TalkDuration(),
						w.state, w.missed, w.dir, w.agent, w.ring, w.talk)
				}
			}
		})
	}
}
