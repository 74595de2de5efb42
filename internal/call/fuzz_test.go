//go:build !js

package call

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/ovhevent"
)

// fuzzNames are the event names FuzzApply draws from: every kind, the
// variant spellings, and names that are not about a call.
var fuzzNames = []string{
	"start_ringing", "end_ringing", "start_calling", "end_calling", "registered",
	"member-queue-start", "member-queue-end", "agent-offering", "bridge-agent-start",
	"bridge-agent-end", "bridge-agent-fail", "bridge-agent-failed", "member-count",
	"members-count", "start_hold", "",
}

// fuzzEvent builds one event (and the relay clock's step before it) from
// 4 bytes: name, call id and line, caller and agent, time.
func fuzzEvent(p []byte) (ev *ovhevent.Event, step time.Duration) {
	name := fuzzNames[int(p[0])%len(fuzzNames)]
	line := [...]string{lineA, lineB, ""}[int(p[1]>>3)%3]
	calling := [...]string{caller, line, "", "+33972101010", "anonymous"}[int(p[2])%5]
	ev = &ovhevent.Event{Service: ovhevent.ServiceLine, Ressource: line, Details: ovhevent.Details{Description: "L"}}
	if p[0]&0x80 != 0 {
		ev.Data.Event = name // some payloads only name the event in Data
	} else {
		ev.Event = name
	}
	id := [...]string{"", "a", "b", "c", "d"}[int(p[1]&7)%5]
	if p[1]&0x80 != 0 {
		ev.Service = ovhevent.ServiceQueue
		ev.Data.QueueMemberUUID, ev.Data.QueueMemberCIDNumber = id, calling
	} else {
		ev.Data.CallId, ev.Data.Calling = id, calling
	}
	ev.Data.Agent = ovhevent.Text([...]string{"", "1001", "1002"}[int(p[2]>>3)%3])
	switch ts := p[3]; ts {
	case 0: // no time
	case 1:
		ev.Data.Ts = ovhevent.Seconds(math.NaN())
	case 2:
		ev.Data.Ts = ovhevent.Seconds(math.Inf(1))
	case 3:
		ev.Timestamp = ovhevent.Nanos(t0.UnixNano())
	default:
		ev.Data.Ts = ovhevent.Seconds(float64(t0.Unix()) + float64(int(ts)-128)/4)
	}
	return ev, time.Duration(p[2]>>5) * time.Duration(p[3]&15) * 5 * time.Second
}

// stage orders states: a call only moves forward.
func stage(s State) int {
	switch s {
	case Ringing, Dialing:
		return 1
	case Answered:
		return 2
	}
	return 3
}

// FuzzApply feeds random event sequences to a Book and checks that it never
// panics, keeps its bookkeeping straight, never moves a call backwards or
// brings an ended call back to life, and survives a JSON round trip.
func FuzzApply(f *testing.F) {
	seq := func(evs ...[4]byte) []byte {
		var out []byte
		for _, e := range evs {
			out = append(out, e[:]...)
		}
		return out
	}
	f.Add(byte(0), seq([4]byte{0, 1, 0, 130}, [4]byte{2, 1, 0, 140}, [4]byte{1, 1, 0, 141}, [4]byte{3, 1, 0, 200}))
	f.Add(byte(1), seq([4]byte{5, 0x81, 8, 130}, [4]byte{7, 0x81, 8, 131}, [4]byte{11, 0x81, 8, 150}, [4]byte{8, 0x81, 16, 160}, [4]byte{9, 0x81, 16, 200}, [4]byte{6, 0x81, 0, 201}))
	f.Add(byte(0), seq([4]byte{3, 2, 1, 200}, [4]byte{1, 2, 1, 150}, [4]byte{0, 2, 1, 0}, [4]byte{0xff, 0, 0xff, 0xff}))
	f.Add(byte(1), seq([4]byte{0, 1, 0xe0, 0x1f}, [4]byte{0, 2, 0xe0, 0x1f}, [4]byte{0, 3, 0xe0, 0x1f}, [4]byte{0, 4, 0xe0, 0x1f}, [4]byte{0, 9, 0xe0, 0x1f}, [4]byte{1, 1, 0, 1}))
	f.Fuzz(fuzzApply)
}

func fuzzApply(t *testing.T, mode byte, data []byte) {
	b := NewBook()
	if mode&1 != 0 {
		b = &Book{Keep: 2 * time.Minute, MaxEnded: 3, MaxLive: 3} // small: forgetting and dropping happen
	}
	now := t0
	for i := 0; i+4 <= len(data) && i < 4*200; i += 4 {
		p := data[i : i+4]
		if p[0] == 0xff { // expiry instead of an event
			now = now.Add(time.Duration(p[3]) * 10 * time.Second)
			for _, ch := range b.Expire(now, time.Minute, 5*time.Minute) {
				if !stateLive(ch.Prev) || ch.Call.Live() || !ch.Changed || ch.Event != Expired {
					t.Fatalf("bad expiry %+v", ch)
				}
			}
			if err := b.check(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		ev, step := fuzzEvent(p)
		now = now.Add(step)
		k := Key{Line: ev.Ressource, ID: ev.CallID()}
		prev, had := b.Get(k)
		ch := b.Apply(ev, now)
		if err := b.check(); err != nil {
			t.Fatalf("event %d %+v: %v", i/4, ev, err)
		}
		if ch.Duplicate && ch.Changed {
			t.Fatalf("duplicate that changed: %+v", ch)
		}
		if ch.Call.ID == "" {
			if ch.Changed || ch.New || ch.Duplicate || ch.Prev != "" {
				t.Fatalf("not a call, yet %+v", ch)
			}
			continue
		}
		if got, ok := b.Get(k); !ok || got != ch.Call {
			t.Fatalf("Get after Apply = %+v, %v; Change says %+v", got, ok, ch.Call)
		}
		if ch.New {
			continue // (a forgotten call may come back as a new one)
		}
		if !had {
			t.Fatalf("call %+v not New but unknown before", k)
		}
		if ch.Prev != prev.State {
			t.Fatalf("Prev = %s, was %s", ch.Prev, prev.State)
		}
		if !prev.Live() && ch.Call != prev {
			t.Fatalf("ended call changed: %+v → %+v", prev, ch.Call)
		}
		if stage(ch.Call.State) < stage(prev.State) {
			t.Fatalf("call went backwards: %s → %s", prev.State, ch.Call.State)
		}
		if ch.Changed != (ch.Call != prev) {
			t.Fatalf("Changed = %v, but %+v → %+v", ch.Changed, prev, ch.Call)
		}
	}
	// JSON round trip.
	data1, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var r Book
	if err := json.Unmarshal(data1, &r); err != nil {
		t.Fatal(err)
	}
	if err := r.check(); err != nil {
		t.Fatal(err)
	}
	data2, _ := json.Marshal(&r)
	if !bytes.Equal(data1, data2) {
		t.Fatalf("round trip changed the Book:\n%s\n%s", data1, data2)
	}
	for k, e := range b.calls {
		if got, _ := r.Get(k); got != e.call {
			t.Fatalf("restored %+v, want %+v", got, e.call)
		}
	}
}

func stateLive(s State) bool { c := Call{State: s}; return c.Live() }
