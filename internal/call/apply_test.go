package call

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/ovhevent"
)

const (
	lineA  = "0033972101010"
	lineB  = "0033972101011"
	caller = "0033612345678"
	remote = "0033145678901"
	queueQ = "0033972102020"
)

// t0 is when the scenarios start; event times are seconds after it.
var t0 = time.Date(2026, 3, 5, 11, 24, 30, 0, time.UTC)

// noTs marks an event without Ts: the Book uses the relay's clock.
const noTs = -1

// lineEv is a line event as OVH sends it: calling is the caller for an
// inbound call, the line itself for an outbound one.
func lineEv(name, line, id, calling string, sec float64) *ovhevent.Event {
	called := line
	if calling == line {
		called = remote
	}
	ev := &ovhevent.Event{
		Event: name, Service: ovhevent.ServiceLine, Ressource: line,
		Data:    ovhevent.Data{CallId: id, Calling: calling, Called: called, Dialed: called, Event: name, Protocol: "sip"},
		Details: ovhevent.Details{Description: "Accueil", Type: "sipCirpack"},
	}
	if sec != noTs {
		ev.Data.Ts = ovhevent.Seconds(float64(t0.Unix()) + sec)
	}
	return ev
}

// queueEv is a hunting-queue event, FreeSWITCH style: no CallId, the
// member's UUID and caller id instead.
func queueEv(name, uuid, agent string, sec float64) *ovhevent.Event {
	ev := &ovhevent.Event{
		Event: name, Service: ovhevent.ServiceQueue, Ressource: queueQ,
		Data: ovhevent.Data{QueueMemberUUID: uuid, QueueMemberCIDNumber: caller, Agent: ovhevent.Text(agent),
			Queue: "5001", Event: name},
		Details: ovhevent.Details{Description: "Support", Type: "easyHunting"},
	}
	if sec != noTs {
		ev.Data.Ts = ovhevent.Seconds(float64(t0.Unix()) + sec)
	}
	return ev
}

// ovhQueueEv is a queue event in OVH's order: the caller's CallId
// ("C1.") on every event, QueueMemberUUID too; edit changes its Data.
func ovhQueueEv(name, agent string, sec float64, edit func(*ovhevent.Data)) *ovhevent.Event {
	ev := queueEv(name, "u1", agent, sec)
	ev.Data.CallId = "C1."
	if name == "member-count" || name == "members-count" {
		ev.Data.QueueMemberUUID, ev.Data.QueueMemberCIDNumber = "", ""
	}
	if edit != nil {
		edit(&ev.Data)
	}
	return ev
}

// queueTimes sets bridge-agent-end's QueueMemberJoinedTime and
// QueueAgentAnsweredTime, seconds after t0.
func queueTimes(joined, answered int64) func(*ovhevent.Data) {
	return func(d *ovhevent.Data) {
		d.QueueMemberJoinedTime = ovhevent.Text(strconv.FormatInt(t0.Unix()+joined, 10))
		d.QueueAgentAnsweredTime = ovhevent.Text(strconv.FormatInt(t0.Unix()+answered, 10))
	}
}

func hangup(cause string) func(*ovhevent.Data) {
	return func(d *ovhevent.Data) { d.QueueHangupCause = cause }
}

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

// step is one event and what Apply must say about it. flags: N = New,
// C = Changed, D = Duplicate; the others must be false.
type step struct {
	ev    *ovhevent.Event
	flags string
	state State // after the event; "" when the event is not about a call
}

func TestApply(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		check func(t *testing.T, b *Book)
	}{
		{"answered inbound", []step{
			{lineEv("start_ringing", lineA, "c1", caller, 0), "NC", Ringing},
			{lineEv("start_calling", lineA, "c1", caller, 3), "C", Answered},
			{lineEv("end_ringing", lineA, "c1", caller, 3.1), "", Answered}, // after the answer: not missed
			{lineEv("end_calling", lineA, "c1", caller, 60), "C", Ended},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, lineA, "c1")
			want(t, "direction", c.Direction, Inbound)
			want(t, "calling", c.Calling, caller)
			want(t, "called", c.Called, lineA)
			want(t, "line name", c.LineName, "Accueil")
			want(t, "last event", c.LastEvent, "end_calling")
			want(t, "ring", c.RingDuration(), 3*time.Second)
			want(t, "talk", c.TalkDuration(), 57*time.Second)
			want(t, "live calls", len(b.Live()), 0)
		}},
		{"answered, end_ringing before start_calling in order of Ts", []step{
			{lineEv("start_ringing", lineA, "c1", caller, 0), "NC", Ringing},
			{lineEv("end_ringing", lineA, "c1", caller, 4), "C", Missed},
			{lineEv("start_calling", lineA, "c1", caller, 4), "", Missed}, // final: see TestSortByTime for the batch fix
		}, nil},
		{"missed", []step{
			{lineEv("start_ringing", lineA, "c1", caller, 0), "NC", Ringing},
			{lineEv("end_ringing", lineA, "c1", caller, 20), "C", Missed},
			{lineEv("end_calling", lineA, "c1", caller, 20.5), "", Missed},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, lineA, "c1")
			want(t, "ring", c.RingDuration(), 20*time.Second)
			want(t, "talk", c.TalkDuration(), time.Duration(0))
			want(t, "last event", c.LastEvent, "end_ringing")
		}},
		{"outbound, start_calling only", []step{
			{lineEv("start_calling", lineA, "o1", lineA, 0), "NC", Answered},
			{lineEv("end_calling", lineA, "o1", lineA, 30), "C", Ended},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, lineA, "o1")
			want(t, "direction", c.Direction, Outbound)
			want(t, "called", c.Called, remote)
			want(t, "talk", c.TalkDuration(), 30*time.Second)
		}},
		{"outbound with ringing, line in another form", []step{
			{lineEv("start_ringing", lineA, "o1", "+33972101010", 0), "NC", Dialing},
			{lineEv("end_ringing", lineA, "o1", "+33972101010", 5), "", Dialing},
			{lineEv("start_calling", lineA, "o1", "+33972101010", 5), "C", Answered},
			{lineEv("end_calling", lineA, "o1", "+33972101010", 65), "C", Ended},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, lineA, "o1")
			want(t, "direction", c.Direction, Outbound)
			want(t, "ring", c.RingDuration(), 5*time.Second)
			want(t, "talk", c.TalkDuration(), time.Minute)
		}},
		{"queue answered", []step{
			{queueEv("member-queue-start", "u1", "", 0), "NC", Ringing},
			{queueEv("agent-offering", "u1", "1001", 1), "C", Ringing},
			{queueEv("bridge-agent-failed", "u1", "1001", 16), "C", Ringing}, // variant spelling
			{queueEv("agent-offering", "u1", "1002", 17), "C", Ringing},
			{queueEv("bridge-agent-start", "u1", "1002", 20), "C", Answered},
			{queueEv("bridge-agent-end", "u1", "1002", 80), "C", Ended},
			{queueEv("member-queue-end", "u1", "", 80.2), "", Ended},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, queueQ, "u1")
			want(t, "queue", c.Queue, true)
			want(t, "agent", c.Agent, "1002")
			want(t, "offered to", c.OfferedTo, "")
			want(t, "calling", c.Calling, caller)
			want(t, "line name", c.LineName, "Support")
			want(t, "ring", c.RingDuration(), 20*time.Second)
			want(t, "talk", c.TalkDuration(), time.Minute)
		}},
		{"queue offering tracked", []step{
			{queueEv("member-queue-start", "u1", "", 0), "NC", Ringing},
			{queueEv("agent-offering", "u1", "1001", 1), "C", Ringing},
			{queueEv("agent-offering", "u1", "1002", 3), "C", Ringing},
			{queueEv("bridge-agent-fail", "u1", "1001", 2), "", Ringing}, // late, about the previous offer
			{queueEv("members-count", "", "", 3), "", ""},
		}, func(t *testing.T, b *Book) {
			want(t, "offered to", mustGet(t, b, queueQ, "u1").OfferedTo, "1002")
		}},
		{"queue abandoned", []step{
			{queueEv("member-queue-start", "u1", "", 0), "NC", Ringing},
			{queueEv("agent-offering", "u1", "1001", 1), "C", Ringing},
			{queueEv("member-queue-end", "u1", "", 9), "C", Abandoned},
			{queueEv("bridge-agent-start", "u1", "1001", 10), "", Abandoned},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, queueQ, "u1")
			want(t, "agent", c.Agent, "")
			want(t, "offered to", c.OfferedTo, "")
			want(t, "ring", c.RingDuration(), 9*time.Second)
		}},
		// OVH's order (what OVH's dashboard expects of the service): queue
		// events carry the caller's CallId, member-count the queue's size,
		// bridge-agent-fail a QueueHangupCause, bridge-agent-end the times.
		{"queue answered, OVH's order", []step{
			{ovhQueueEv("member-queue-start", "", 0, nil), "NC", Ringing},
			{ovhQueueEv("member-count", "", 0, func(d *ovhevent.Data) { d.Count = "1" }), "", ""},
			{ovhQueueEv("agent-offering", "1001", 1, nil), "C", Ringing},
			{ovhQueueEv("bridge-agent-start", "1001", 12, nil), "C", Answered},
			{ovhQueueEv("bridge-agent-end", "1001", 70, queueTimes(0, 12)), "C", Ended},
			{ovhQueueEv("member-queue-end", "", 70, nil), "", Ended},
			{ovhQueueEv("member-count", "", 70, func(d *ovhevent.Data) { d.Count = "0" }), "", ""},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, queueQ, "C1.")
			want(t, "agent", c.Agent, "1001")
			want(t, "ring (the queue's wait)", c.RingDuration(), 12*time.Second)
			want(t, "talk", c.TalkDuration(), 58*time.Second)
			want(t, "missed", c.WasMissed(), false)
		}},
		{"queue caller gave up, OVH's order", []step{
			{ovhQueueEv("member-queue-start", "", 0, nil), "NC", Ringing},
			{ovhQueueEv("agent-offering", "1001", 1, nil), "C", Ringing},
			{ovhQueueEv("member-queue-end", "", 9, nil), "C", Abandoned},
			{ovhQueueEv("bridge-agent-fail", "1001", 9, hangup("ORIGINATOR_CANCEL")), "", Abandoned},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, queueQ, "C1.")
			want(t, "missed", c.WasMissed(), true)
			want(t, "ring", c.RingDuration(), 9*time.Second)
		}},
		{"queue timed out: bridge-agent-fail NO_AGENT_TIMEOUT ends it", []step{
			{ovhQueueEv("member-queue-start", "", 0, nil), "NC", Ringing},
			{ovhQueueEv("agent-offering", "1001", 1, nil), "C", Ringing},
			{ovhQueueEv("bridge-agent-fail", "1001", 30, hangup("NO_AGENT_TIMEOUT")), "C", Abandoned},
			{ovhQueueEv("member-queue-end", "", 30.1, nil), "", Abandoned},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, queueQ, "C1.")
			want(t, "missed", c.WasMissed(), true)
			want(t, "offered to", c.OfferedTo, "")
			want(t, "ring", c.RingDuration(), 30*time.Second)
		}},
		{"ring-all: a losing leg's ORIGINATOR_CANCEL before the winner's answer", []step{
			{ovhQueueEv("member-queue-start", "", 0, nil), "NC", Ringing},
			{ovhQueueEv("agent-offering", "1001", 1, nil), "C", Ringing},
			{ovhQueueEv("bridge-agent-fail", "1002", 5, hangup("ORIGINATOR_CANCEL")), "", Ringing},
			{ovhQueueEv("bridge-agent-start", "1001", 5, nil), "C", Answered},
			{ovhQueueEv("bridge-agent-end", "1001", 60, queueTimes(0, 5)), "C", Ended},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, queueQ, "C1.")
			want(t, "missed", c.WasMissed(), false)
		}},
		{"queue, only bridge-agent-end seen: its times give the wait and the talk", []step{
			{ovhQueueEv("bridge-agent-end", "1001", 80, queueTimes(5, 20)), "NC", Ended},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, queueQ, "C1.")
			want(t, "ring (the queue's wait)", c.RingDuration(), 15*time.Second)
			want(t, "talk", c.TalkDuration(), time.Minute)
			want(t, "agent", c.Agent, "1001")
		}},
		{"queue, member-queue-start lost: the wait from QueueMemberJoinedTime", []step{
			{ovhQueueEv("bridge-agent-start", "1001", 20.5, nil), "NC", Answered},
			{ovhQueueEv("bridge-agent-end", "1001", 80, queueTimes(5, 20)), "C", Ended},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, queueQ, "C1.")
			want(t, "ring (the queue's wait)", c.RingDuration(), 15500*time.Millisecond)
			want(t, "talk", c.TalkDuration(), 59500*time.Millisecond) // from the bridge-agent-start seen
		}},
		{"queue times that make no sense are ignored", []step{
			{ovhQueueEv("bridge-agent-end", "1001", 80, func(d *ovhevent.Data) {
				d.QueueMemberJoinedTime, d.QueueAgentAnsweredTime = "soon", ovhevent.Text(strconv.FormatInt(t0.Unix()+500, 10))
			}), "NC", Ended},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, queueQ, "C1.")
			want(t, "ring", c.RingDuration(), time.Duration(0))
			want(t, "talk", c.TalkDuration(), time.Duration(0))
		}},
		{"queue, member-queue-end before bridge-agent-end", []step{
			{queueEv("bridge-agent-start", "u1", "1001", 20), "NC", Answered},
			{queueEv("member-queue-end", "u1", "", 50), "C", Ended},
			{queueEv("bridge-agent-end", "u1", "1001", 50), "", Ended},
		}, nil},
		{"duplicates", []step{
			{lineEv("start_ringing", lineA, "c1", caller, 0), "NC", Ringing},
			{lineEv("start_ringing", lineA, "c1", caller, 0), "D", Ringing},
			{lineEv("start_calling", lineA, "c1", caller, 2), "C", Answered},
			{lineEv("start_calling", lineA, "c1", caller, 2), "D", Answered},
			{lineEv("start_ringing", lineA, "c1", caller, 0), "D", Answered},
			{lineEv("end_calling", lineA, "c1", caller, 9), "C", Ended},
			{lineEv("end_calling", lineA, "c1", caller, 9), "D", Ended},
			{lineEv("start_calling", lineA, "c1", caller, 2), "D", Ended},
		}, nil},
		{"queue duplicates", []step{
			{queueEv("member-queue-start", "u1", "", 0), "NC", Ringing},
			{queueEv("agent-offering", "u1", "1001", 1), "C", Ringing},
			{queueEv("agent-offering", "u1", "1001", 1), "D", Ringing},
			{queueEv("bridge-agent-fail", "u1", "1001", 16), "C", Ringing},
			{queueEv("bridge-agent-fail", "u1", "1001", 16), "D", Ringing},
			{queueEv("agent-offering", "u1", "1001", 17), "C", Ringing}, // offered again: not a duplicate
			{queueEv("member-queue-start", "u1", "", 0), "D", Ringing},
		}, nil},
		{"missing start_ringing", []step{
			{lineEv("start_calling", lineA, "c1", caller, 2), "NC", Answered},
			{lineEv("end_calling", lineA, "c1", caller, 9), "C", Ended},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, lineA, "c1")
			want(t, "direction", c.Direction, Inbound)
			want(t, "ring", c.RingDuration(), time.Duration(0))
			want(t, "talk", c.TalkDuration(), 7*time.Second)
		}},
		{"end_calling alone", []step{
			{lineEv("end_calling", lineA, "c1", caller, 9), "NC", Ended},
		}, nil},
		{"missing start_calling", []step{
			{lineEv("start_ringing", lineA, "c1", caller, 0), "NC", Ringing},
			{lineEv("end_calling", lineA, "c1", caller, 9), "C", Ended},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, lineA, "c1")
			want(t, "answered at", c.AnswerAt.IsZero(), true)
			want(t, "ring", c.RingDuration(), 9*time.Second)
		}},
		{"end_ringing alone", []step{
			{lineEv("end_ringing", lineA, "c1", caller, 9), "NC", Missed},
		}, nil},
		{"out of order: end_ringing after end_calling", []step{
			{lineEv("start_ringing", lineA, "c1", caller, 0), "NC", Ringing},
			{lineEv("start_calling", lineA, "c1", caller, 2), "C", Answered},
			{lineEv("end_calling", lineA, "c1", caller, 9), "C", Ended},
			{lineEv("end_ringing", lineA, "c1", caller, 2), "", Ended},
			{lineEv("start_ringing", lineA, "c1", caller, 0), "D", Ended},
		}, func(t *testing.T, b *Book) {
			want(t, "last event", mustGet(t, b, lineA, "c1").LastEvent, "end_calling")
		}},
		{"out of order: start_ringing after start_calling", []step{
			{lineEv("start_calling", lineA, "c1", caller, 2), "NC", Answered},
			{lineEv("start_ringing", lineA, "c1", caller, 0), "C", Answered}, // fills the ring time only
			{lineEv("end_ringing", lineA, "c1", caller, 2), "", Answered},
		}, func(t *testing.T, b *Book) {
			c := mustGet(t, b, lineA, "c1")
			want(t, "ring", c.RingDuration(), 2*time.Second)
		}},
		{"out of order: start_ringing without Ts after start_calling", []step{
			{lineEv("start_calling", lineA, "c1", caller, 2), "NC", Answered},
			{lineEv("start_ringing", lineA, "c1", caller, noTs), "", Answered}, // relay clock is later than the answer
		}, nil},
		{"out of order: everything after end_calling", []step{
			{lineEv("end_calling", lineA, "c1", caller, 9), "NC", Ended},
			{lineEv("start_ringing", lineA, "c1", caller, 0), "", Ended},
			{lineEv("start_calling", lineA, "c1", caller, 2), "", Ended},
		}, nil},
		{"two lines, same CallId", []step{
			{lineEv("start_ringing", lineA, "same", caller, 0), "NC", Ringing},
			{lineEv("start_ringing", lineB, "same", caller, 0), "NC", Ringing},
			{lineEv("end_ringing", lineA, "same", caller, 5), "C", Missed},
			{lineEv("start_calling", lineB, "same", caller, 5), "C", Answered},
		}, func(t *testing.T, b *Book) {
			want(t, "calls", b.Len(), 2)
			live := b.Live()
			if len(live) != 1 || live[0].Line != lineB || live[0].State != Answered {
				t.Errorf("live = %+v, want only line B answered", live)
			}
		}},
		{"not calls", []step{
			{lineEv("registered", lineA, "r1", lineA, 0), "", ""},
			{lineEv("start_ringing", lineA, "", caller, 0), "", ""}, // no call id
			{queueEv("member-count", "", "", 0), "", ""},
			{queueEv("members-count", "u1", "", 0), "", ""},
			{lineEv("start_hold", lineA, "c1", caller, 0), "", ""},
			{lineEv("", lineA, "c1", caller, 0), "", ""},
		}, func(t *testing.T, b *Book) {
			want(t, "calls", b.Len(), 0)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBook()
			for i, s := range tt.steps {
				now := t0.Add(time.Duration(i+1) * 100 * time.Second) // later than every Ts
				ch := b.Apply(s.ev, now)
				got := flags(ch)
				if got != s.flags || ch.Call.State != s.state {
					t.Fatalf("step %d (%s): got %q %q, want %q %q; call %+v", i, s.ev.Name(), got, ch.Call.State, s.flags, s.state, ch.Call)
				}
				if ch.Event != s.ev.Name() {
					t.Errorf("step %d: Event = %q, want %q", i, ch.Event, s.ev.Name())
				}
				if ch.New && ch.Prev != "" {
					t.Errorf("step %d: new call with Prev %q", i, ch.Prev)
				}
				if err := b.check(); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			if tt.check != nil {
				tt.check(t, b)
			}
		})
	}
}

func TestApplyPrev(t *testing.T) {
	b := NewBook()
	b.Apply(lineEv("start_ringing", lineA, "c1", caller, 0), at(0))
	ch := b.Apply(lineEv("start_calling", lineA, "c1", caller, 1), at(1))
	if ch.Prev != Ringing || ch.Call.State != Answered || ch.New {
		t.Errorf("change = %+v", ch)
	}
}

func TestApplyTimes(t *testing.T) {
	b := NewBook()
	ev := lineEv("start_ringing", lineA, "c1", caller, noTs)
	ev.Timestamp = ovhevent.Nanos(t0.Add(time.Second).UnixNano())
	if c := b.Apply(ev, at(50)).Call; !c.RingAt.Equal(at(1)) {
		t.Errorf("RingAt = %v, want the event's Timestamp %v", c.RingAt, at(1))
	}
	ev = lineEv("start_ringing", lineA, "c2", caller, noTs)
	if c := b.Apply(ev, at(50)).Call; !c.RingAt.Equal(at(50)) {
		t.Errorf("RingAt = %v, want the relay's clock %v", c.RingAt, at(50))
	}
	ev = lineEv("start_ringing", lineA, "c3", caller, 0.102)
	if c := b.Apply(ev, at(50)).Call; !c.RingAt.Equal(t0.Add(102 * time.Millisecond)) {
		t.Errorf("RingAt = %v, want Ts to the millisecond", c.RingAt)
	}
	for _, bad := range []float64{1e300, -5} {
		ev = lineEv("start_ringing", lineA, fmt.Sprint("bad", bad), caller, noTs)
		ev.Data.Ts = ovhevent.Seconds(bad)
		if c := b.Apply(ev, at(50)).Call; !c.RingAt.Equal(at(50)) {
			t.Errorf("Ts %v: RingAt = %v, want the relay's clock", bad, c.RingAt)
		}
	}
}

func flags(ch Change) string {
	var s strings.Builder
	if ch.New {
		s.WriteByte('N')
	}
	if ch.Changed {
		s.WriteByte('C')
	}
	if ch.Duplicate {
		s.WriteByte('D')
	}
	return s.String()
}

func mustGet(t *testing.T, b *Book, line, id string) Call {
	t.Helper()
	c, ok := b.Get(Key{Line: line, ID: id})
	if !ok {
		t.Fatalf("no call %s/%s", line, id)
	}
	return c
}

func want[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// BenchmarkApply measures one state-machine step in a steady state: 4096
// calls each ringing, answered 50 steps later, ended 50 steps after that
// (about 100 live at once), created, ended and forgotten again and again.
func BenchmarkApply(b *testing.B) {
	const n = 4096
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("call-%d", i)
	}
	var evs []*ovhevent.Event
	for s := 0; s < n+100; s++ {
		if s < n {
			evs = append(evs, lineEv("start_ringing", lineA, ids[s], caller, float64(s)))
		}
		if j := s - 50; j >= 0 && j < n {
			evs = append(evs, lineEv("start_calling", lineA, ids[j], caller, float64(s)))
		}
		if j := s - 100; j >= 0 && j < n {
			evs = append(evs, lineEv("end_calling", lineA, ids[j], caller, float64(s)))
		}
	}
	b.Run("cycle", func(b *testing.B) {
		book := NewBook()
		now := t0
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			now = now.Add(10 * time.Millisecond)
			book.Apply(evs[i%len(evs)], now)
			i++
		}
		if err := book.check(); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		book := NewBook()
		ev := evs[0]
		book.Apply(ev, t0)
		b.ReportAllocs()
		for b.Loop() {
			if !book.Apply(ev, t0).Duplicate {
				b.Fatal("not a duplicate")
			}
		}
	})
}

// TestMissed: the state machine says which calls were missed, on the
// call (Missed), for the clients to read: inbound calls and queue calls
// that rang and ended unanswered, by OVH's events or by expiry.
func TestMissed(t *testing.T) {
	for _, tc := range []struct {
		name string
		evs  []*ovhevent.Event
		want bool
	}{
		{"rang, not answered", []*ovhevent.Event{lineEv("start_ringing", lineA, "c", caller, 0), lineEv("end_ringing", lineA, "c", caller, 9)}, true},
		{"ringing", []*ovhevent.Event{lineEv("start_ringing", lineA, "c", caller, 0)}, false},
		{"answered", []*ovhevent.Event{lineEv("start_ringing", lineA, "c", caller, 0), lineEv("start_calling", lineA, "c", caller, 3), lineEv("end_calling", lineA, "c", caller, 9)}, false},
		{"outbound, no answer", []*ovhevent.Event{lineEv("start_ringing", lineA, "c", lineA, 0), lineEv("end_ringing", lineA, "c", lineA, 9), lineEv("end_calling", lineA, "c", lineA, 10)}, false},
		{"queue caller hung up", []*ovhevent.Event{queueEv("member-queue-start", "u", "", 0), queueEv("member-queue-end", "u", "", 9)}, true},
		{"queue call answered", []*ovhevent.Event{queueEv("member-queue-start", "u", "", 0), queueEv("bridge-agent-start", "u", "201", 3), queueEv("member-queue-end", "u", "", 9)}, false},
	} {
		b := NewBook()
		var c Call
		for _, ev := range tc.evs {
			c = b.Apply(ev, at(10)).Call
		}
		if c.Missed != tc.want {
			t.Errorf("%s: %s %s, Missed = %v, want %v", tc.name, c.Direction, c.State, c.Missed, tc.want)
		}
	}

	b := NewBook()
	b.Apply(lineEv("start_ringing", lineA, "c", caller, 0), at(0))
	b.Apply(queueEv("member-queue-start", "u", "", 0), at(0))
	b.Apply(lineEv("start_calling", lineB, "d", caller, 0), at(0))
	for _, ch := range b.Expire(at(600), time.Minute, time.Minute) {
		if want := ch.Call.ID != "d"; ch.Call.Missed != want {
			t.Errorf("expired %s (%s): Missed = %v, want %v", ch.Call.ID, ch.Call.State, ch.Call.Missed, want)
		}
	}
}

// TestSettle: a call a client lost track of ends as Expire would end it.
func TestSettle(t *testing.T) {
	end := at(60)
	for _, tc := range []struct {
		c      Call
		state  State
		missed bool
	}{
		{Call{State: Ringing, Direction: Inbound}, Missed, true},
		{Call{State: Ringing, Direction: Inbound, Queue: true, OfferedTo: "201"}, Abandoned, true},
		{Call{State: Dialing, Direction: Outbound}, Ended, false},
		{Call{State: Answered, Direction: Inbound}, Ended, false},
	} {
		c := tc.c
		c.Settle(end)
		if c.State != tc.state || c.Missed != tc.missed || !c.EndAt.Equal(end) || c.OfferedTo != "" {
			t.Errorf("Settle(%+v) = %+v", tc.c, c)
		}
	}
	over := Call{State: Ended, EndAt: at(1)}
	c := over
	if c.Settle(end); c != over {
		t.Errorf("Settle changed a call that is over: %+v", c)
	}
}
