package relay

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/store"
)

func publishN(h *Hub, n int, at time.Time) {
	for i := 0; i < n; i++ {
		h.Publish([]*stream.Event{{Name: "start_ringing", Call: call.Call{ID: "c"}}}, at)
	}
}

func ids(t *testing.T, msgs []*Delivery) []uint64 {
	var out []uint64
	for _, d := range msgs {
		var m stream.Message
		if err := json.Unmarshal(d.Data, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m.ID)
	}
	return out
}

func TestHubReplay(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewHub(5, time.Hour, 10)
	publishN(h, 8, now) // IDs 1..8, log keeps 4..8
	tests := []struct {
		name   string
		cursor uint64
		want   []uint64
		gap    string
	}{
		{"no cursor: from now", 0, nil, ""},
		{"up to date", 8, nil, ""},
		{"in range", 5, []uint64{6, 7, 8}, ""},
		{"just before the oldest", 3, []uint64{4, 5, 6, 7, 8}, ""},
		{"too old", 1, []uint64{4, 5, 6, 7, 8}, "too-old"},
		{"from the future (relay restarted)", 42, nil, "unknown-cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replay, gap, newest, s := h.Subscribe(tt.cursor, tt.cursor > 0, anonymous, "test", now)
			defer h.Unsubscribe(s)
			if newest != 8 {
				t.Errorf("newest = %d", newest)
			}
			if got := ids(t, replay); len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
				t.Errorf("replay = %v, want %v", got, tt.want)
			}
			if (gap == nil) != (tt.gap == "") || gap != nil && gap.Reason != tt.gap {
				t.Errorf("gap = %+v, want %q", gap, tt.gap)
			}
		})
	}
}

func TestHubAgeLimit(t *testing.T) {
	h := NewHub(100, time.Minute, 10)
	t0 := time.Unix(1000, 0)
	publishN(h, 3, t0)
	publishN(h, 2, t0.Add(2*time.Minute))
	replay, gap, _, s := h.Subscribe(1, true, anonymous, "test", t0.Add(2*time.Minute))
	defer h.Unsubscribe(s)
	if got := ids(t, replay); len(got) != 2 || got[0] != 4 || gap == nil {
		t.Errorf("replay %v gap %+v: events older than a minute should be gone", got, gap)
	}
}

func TestHubLiveAndSlowClient(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewHub(100, time.Hour, 2)
	_, _, _, fast := h.Subscribe(0, false, anonymous, "test", now)
	_, _, _, slow := h.Subscribe(0, false, anonymous, "test", now)
	for i := 0; i < 3; i++ {
		h.Publish([]*stream.Event{{Name: "x"}}, now)
		<-fast.Wake()
		if got := h.Take(fast, nil); len(got) != 1 { // the fast client reads everything
			t.Fatalf("fast client took %d events, want 1", len(got))
		}
	}
	select {
	case <-slow.Done:
		if slow.Reason() != errTooSlow {
			t.Errorf("reason = %v, want too slow", slow.Reason())
		}
	default:
		t.Fatal("a client that stopped reading was not cut off")
	}
	if h.Clients() != 1 {
		t.Errorf("clients = %d, want 1", h.Clients())
	}
	h.Close()
	select {
	case <-fast.Done:
		if fast.Reason() != errShutdown {
			t.Error("shutdown not marked as bye")
		}
	default:
		t.Fatal("Close did not release the client")
	}
}

// publishOn publishes one event on line and returns its ID.
func publishOn(t *testing.T, h *Hub, line string, at time.Time) uint64 {
	t.Helper()
	ids, err := h.Publish([]*stream.Event{{Name: "start_ringing", Call: call.Call{ID: "c", Line: line}}}, at)
	if err != nil || len(ids) != 1 {
		t.Fatalf("publish: %v %v", ids, err)
	}
	return ids[0]
}

func deliveryIDs(ds []*Delivery) []uint64 {
	var out []uint64
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func TestHubWakeUpsCoalesce(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewHub(100, time.Hour, 10)
	_, _, _, s := h.Subscribe(0, false, anonymous, "test", now)
	publishN(h, 5, now)
	if n := len(s.wake); n != 1 {
		t.Fatalf("%d wake-ups pending after 5 events, want 1", n)
	}
	<-s.Wake()
	if got := deliveryIDs(h.Take(s, nil)); !slices.Equal(got, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("took %v, want 1..5 in one go", got)
	}
	if len(s.wake) != 0 {
		t.Error("a wake-up is left after everything was taken")
	}
	if got := h.Take(s, nil); len(got) != 0 {
		t.Errorf("took %v again", deliveryIDs(got))
	}
	publishN(h, 1, now)
	if got := deliveryIDs(h.Take(s, nil)); !slices.Equal(got, []uint64{6}) {
		t.Errorf("took %v, want 6", got)
	}
}

// TestHubSlowClientCountsItsLines: a client is cut off when more than
// queue events on its lines wait, whatever happens on other lines.
func TestHubSlowClientCountsItsLines(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewHub(5, time.Hour, 3)
	alice := Agent{Name: "alice", Lines: []string{testLine}}
	_, _, _, slow := h.Subscribe(0, false, alice, "test", now)
	_, _, _, fast := h.Subscribe(0, false, anonymous, "test", now)
	var want []uint64
	for i := 0; i < 20; i++ { // other lines: not the slow client's business, and trimmed meanwhile
		publishOn(t, h, testLine2, now)
		h.Take(fast, nil)
	}
	for i := 0; i < 3; i++ {
		want = append(want, publishOn(t, h, testLine, now))
		publishOn(t, h, testLine2, now)
		h.Take(fast, nil)
	}
	if slow.Reason() != nil {
		t.Fatalf("cut off with %d events waiting, queue 3: %v", len(want), slow.Reason())
	}
	// Its events left the log (5 entries) before it took them: still its.
	if got := deliveryIDs(h.Take(slow, nil)); !slices.Equal(got, want) {
		t.Fatalf("took %v, want %v", got, want)
	}
	for i := 0; i < 4; i++ {
		publishOn(t, h, testLine, now)
		h.Take(fast, nil)
	}
	if slow.Reason() != errTooSlow {
		t.Fatalf("reason = %v with 4 events waiting, want too slow", slow.Reason())
	}
	select {
	case <-slow.Wake():
	default:
		t.Error("the writer of a client cut off was not woken")
	}
	if fast.Reason() != nil || h.Clients() != 1 {
		t.Errorf("the fast client: %v, clients %d", fast.Reason(), h.Clients())
	}
}

// TestHubSetLinesFromTheNextEvent: events published before an agent's
// lines change are delivered as decided then.
func TestHubSetLinesFromTheNextEvent(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewHub(100, time.Hour, 10)
	_, _, _, s := h.Subscribe(0, false, Agent{Name: "alice", Lines: []string{testLine}}, "test", now)
	a1 := publishOn(t, h, testLine, now)
	publishOn(t, h, testLine2, now)
	h.SetLines("alice", []string{testLine2})
	publishOn(t, h, testLine, now)
	b2 := publishOn(t, h, testLine2, now)
	if got := deliveryIDs(h.Take(s, nil)); !slices.Equal(got, []uint64{a1, b2}) {
		t.Errorf("took %v, want %v", got, []uint64{a1, b2})
	}
}

// TestHubConcurrentPublish: publishers and clients at once, with a log
// short enough to be trimmed under the clients' feet; every client gets
// every event on its lines, once, in order. Run it with -race.
func TestHubConcurrentPublish(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewHub(20, time.Hour, 1<<20)
	lines := []string{testLine, testLine2}
	type client struct {
		agent Agent
		s     *Sub
		got   []uint64
	}
	var clients []*client
	for i := 0; i < 8; i++ {
		a := anonymous
		if i%2 == 1 {
			a = Agent{Name: "agent" + itoa(uint64(i)), Lines: []string{lines[i%4/2]}}
		}
		_, _, _, s := h.Subscribe(0, false, a, "test", now)
		clients = append(clients, &client{agent: a, s: s})
	}
	var mu sync.Mutex
	published := map[uint64]string{}
	done := make(chan struct{})
	var readers sync.WaitGroup
	for _, c := range clients {
		readers.Go(func() {
			var buf []*Delivery
			for {
				select {
				case <-c.s.Wake():
				case <-done:
					c.got = append(c.got, deliveryIDs(h.Take(c.s, buf[:0]))...)
					return
				}
				buf = h.Take(c.s, buf[:0])
				c.got = append(c.got, deliveryIDs(buf)...)
			}
		})
	}
	var publishers sync.WaitGroup
	for p := 0; p < 4; p++ {
		publishers.Go(func() {
			for i := 0; i < 300; i++ {
				var evs []*stream.Event
				for j := 0; j <= (p+i)%3; j++ {
					evs = append(evs, &stream.Event{Name: "x", Call: call.Call{ID: "c", Line: lines[(p+i+j)%2]}})
				}
				ids, _ := h.Publish(evs, now)
				mu.Lock()
				for j, id := range ids {
					published[id] = evs[j].Call.Line
				}
				mu.Unlock()
			}
		})
	}
	publishers.Wait()
	close(done)
	readers.Wait()
	for i, c := range clients {
		var want []uint64
		for id := uint64(1); id <= uint64(len(published)); id++ {
			if c.agent.Sees(published[id]) {
				want = append(want, id)
			}
		}
		if !slices.Equal(c.got, want) {
			t.Errorf("client %d (%v) got %d events, want %d; first differences: %v", i, c.agent.Lines, len(c.got), len(want), firstDiff(c.got, want))
		}
		if r := c.s.Reason(); r != nil {
			t.Errorf("client %d cut off: %v", i, r)
		}
	}
}

func firstDiff(got, want []uint64) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("at %d: %d, want %d", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(got), len(want))
}

// TestLineSetMatchesSees: the hub's precomputed filter answers as
// Agent.Sees, for every spelling of a line.
func TestLineSetMatchesSees(t *testing.T) {
	lines := []string{"", "0033972101010", "+33972101010", "33 9 72 10 10 10", "0033972101011", "queue-1", "Queue-1", "*", "+", "00"}
	agents := []Agent{anonymous, {Name: "none"}}
	for _, l := range lines {
		if l != "" {
			agents = append(agents, Agent{Name: "a", Lines: []string{l}}, Agent{Name: "b", Lines: []string{"0033972101011", l}})
		}
	}
	for _, a := range agents {
		ls := newLineSet(a)
		for _, line := range lines {
			if got, want := ls.sees(newDelivery(1, nil, time.Time{}, line)), a.Sees(line); got != want {
				t.Errorf("agent with lines %q, line %q: sees %v, Agent.Sees %v", a.Lines, line, got, want)
			}
		}
	}
}

// TestHubPersistDoesNotHoldTheHub: while the store commits a Publish's
// events (it waits for the disk), the clients go on taking what was
// published before; the new events reach them once logged.
func TestHubPersistDoesNotHoldTheHub(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewHub(100, time.Hour, 10)
	committing, release := make(chan struct{}), make(chan struct{})
	calls := 0
	h.Persist = func([]store.LoggedEvent) error {
		if calls++; calls == 2 {
			close(committing)
			<-release
		}
		return nil
	}
	_, _, _, s := h.Subscribe(0, false, anonymous, "test", now)
	publishN(h, 1, now)
	published := make(chan struct{})
	go func() {
		publishN(h, 1, now)
		close(published)
	}()
	<-committing
	took := make(chan []uint64)
	go func() { took <- deliveryIDs(h.Take(s, nil)) }()
	select {
	case got := <-took:
		if !slices.Equal(got, []uint64{1}) {
			t.Errorf("took %v while event 2 was being logged, want 1", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Take waited for the store's commit")
	}
	close(release)
	<-published
	if got := deliveryIDs(h.Take(s, nil)); !slices.Equal(got, []uint64{2}) {
		t.Errorf("took %v once logged, want 2", got)
	}
}
