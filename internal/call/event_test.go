package call

import (
	"testing"

	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/phone"
)

// TestCallingIsTheLine: the spellings of OVH's numbers the state machine
// tells an outbound call by (Calling is the line: phone.SameLine).
func TestCallingIsTheLine(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"0033972101010", "0033972101010", true},
		{"0033972101010", "+33972101010", true},
		{"0033972101010", "33972101010", true},
		{"0033972101010", "0972101010", true},
		{"09 72 10 10 10", "+33 9 72 10 10 10", true},
		{"0033972101010", "0033972101011", false},
		{"0033972101010", "", false},
		{"", "", false},
		{"201", "0033972100201", false}, // a short extension is not the line
		{"0201", "0033972100201", false},
		{"anonymous", "0033972101010", false},
		{"anonymous", "anonymous", true}, // (never a line number)
		{"00339721010101234567890123456789", "0033972101010", false},
	} {
		if got := phone.SameLine(tc.a, tc.b); got != tc.same {
			t.Errorf("SameLine(%q, %q) = %v", tc.a, tc.b, got)
		}
		if got := phone.SameLine(tc.b, tc.a); got != tc.same {
			t.Errorf("SameLine(%q, %q) = %v", tc.b, tc.a, got)
		}
	}
}

func TestSortByTime(t *testing.T) {
	// One long-poll answer, shuffled: the end of ringing stamped like the
	// answer and delivered first, an untimed event after it.
	evs := []ovhevent.Event{
		*lineEv("end_ringing", lineA, "c1", caller, 4),
		*lineEv("end_calling", lineA, "c2", caller, noTs),
		*lineEv("start_calling", lineA, "c1", caller, 4),
		*lineEv("start_ringing", lineA, "c1", caller, 0),
	}
	SortByTime(evs)
	var got []string
	for i := range evs {
		got = append(got, evs[i].Name()+"/"+evs[i].Data.CallId)
	}
	want := []string{"start_ringing/c1", "start_calling/c1", "end_ringing/c1", "end_calling/c2"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
	b := NewBook()
	for i := range evs {
		b.Apply(&evs[i], at(10))
	}
	if c := mustGet(t, b, lineA, "c1"); c.State != Answered {
		t.Errorf("after sorting, c1 is %s, want answered", c.State)
	}
	SortByTime(nil)
	SortByTime(evs[:1])
}

// TestAgentOf: the agent of a queue event is Data.Agent, else QueueAgent,
// whose agent_<x>_<n> form (OVH's dashboard strips it) gives x.
func TestAgentOf(t *testing.T) {
	for _, tc := range []struct {
		agent, queueAgent, want string
	}{
		{"1001", "agent_9999_1", "1001"},
		{"", "1001", "1001"},
		{"", "agent_1001_1", "1001"},
		{"", "agent_0033972101011_12", "0033972101011"},
		{"", "agent_jean_dupont_3", "jean_dupont"},
		{"", "agent_1001", "agent_1001"},     // no _<n>
		{"", "agent_1001_x", "agent_1001_x"}, // n not digits
		{"", "agent__1", "agent__1"},         // no x
		{"", "agent_1001_", "agent_1001_"},
		{"", "", ""},
	} {
		ev := &ovhevent.Event{Data: ovhevent.Data{Agent: ovhevent.Text(tc.agent), QueueAgent: ovhevent.Text(tc.queueAgent)}}
		if got := agentOf(ev); got != tc.want {
			t.Errorf("agentOf(Agent %q, QueueAgent %q) = %q, want %q", tc.agent, tc.queueAgent, got, tc.want)
		}
	}
}
