package relay

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/store"
)

// Hub keeps the recent event log and fans new events out to subscribers,
// each seeing only the lines its agent sees. Each message is encoded once
// and the same bytes go to every client.
//
// With Persist set, every event is written to the store before any
// client sees it, so that a cursor a client holds always survives a
// restart of the relay (Restore reloads the log and numbering).
type Hub struct {
	// Persist, when set, logs events durably; it is called with the hub
	// locked, once per Publish. Events it failed to log are retried with
	// the next Publish (IDs must reach the store in order).
	Persist func([]store.LoggedEvent) error

	mu     sync.Mutex
	next   uint64 // ID of the next event
	log    []*Delivery
	max    int
	maxAge time.Duration
	queue  int
	subs   map[*Sub]struct{}
	closed bool
	// trimmed is, per line, the newest event ID trimmed from log: a
	// client whose cursor is older has only missed something if one of
	// those lines is its agent's (gapFor).
	trimmed map[string]uint64
	// lostBelow: events below this ID were trimmed before this hub
	// started, on lines it does not know.
	lostBelow uint64
	unsaved   []store.LoggedEvent
}

// Delivery is one encoded event message, shared read-only by the log and
// every client's queue (queues hold pointers: 8 bytes a slot, which
// matters at 10,000 clients of 256 slots each).
type Delivery struct {
	ID   uint64
	Data []byte
	At   time.Time // when the relay published it: delivery latency counts from here
	line string
}

// Sub is one connected client.
type Sub struct {
	C chan *Delivery // encoded messages on the agent's lines, in order
	// Done is closed when the hub cut the client off: too slow (one slow
	// client must never make the others wait), agent revoked, or relay
	// shutting down. Reason says which.
	Done      chan struct{}
	reason    *apiError
	agent     Agent
	transport string
}

// Reason is why Done was closed (nil while it is open).
func (s *Sub) Reason() *apiError {
	select {
	case <-s.Done:
		return s.reason
	default:
		return nil
	}
}

// NewHub returns a hub that replays at most max events no older than maxAge
// and queues at most queue messages per client.
func NewHub(max int, maxAge time.Duration, queue int) *Hub {
	return &Hub{next: 1, lostBelow: 1, max: max, maxAge: maxAge, subs: map[*Sub]struct{}{}, queue: queue, trimmed: map[string]uint64{}}
}

// Restore loads the event log a previous relay left in the store: events
// (oldest first) and the newest ID ever issued, so that numbering goes on
// where it stopped. Call it before the first Publish.
func (h *Hub) Restore(evs []store.LoggedEvent, lastID uint64, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log = h.log[:0]
	for _, e := range evs {
		var m struct {
			Event struct {
				Call struct {
					Line string `json:"line"`
				} `json:"call"`
			} `json:"event"`
		}
		json.Unmarshal(e.Data, &m) // a damaged message gets no line: only all-lines agents see it
		h.log = append(h.log, &Delivery{e.ID, e.Data, e.At, m.Event.Call.Line})
	}
	h.next = lastID + 1
	h.lostBelow = h.next
	if len(h.log) > 0 {
		h.lostBelow = h.log[0].ID
	}
	h.trim(now)
}

// Publish assigns each event its ID, logs it and sends it to every
// subscriber whose agent sees its line. The events are sent even when
// logging them failed (a live pop matters more than the log); the error
// says so.
func (h *Hub) Publish(evs []*stream.Event, now time.Time) ([]uint64, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]uint64, len(evs))
	fresh := make([]*Delivery, len(evs))
	for i, ev := range evs {
		id := h.next
		h.next++
		data, err := json.Marshal(stream.Message{Type: stream.TypeEvent, ID: id, Event: ev})
		if err != nil {
			panic(err) // only plain data types: cannot fail
		}
		ids[i] = id
		fresh[i] = &Delivery{id, data, now, ev.Call.Line}
	}
	var err error
	if h.Persist != nil {
		pending := h.unsaved
		for _, e := range fresh {
			pending = append(pending, store.LoggedEvent{ID: e.ID, At: e.At, Data: e.Data})
		}
		if err = h.Persist(pending); err != nil {
			if len(pending) > h.max {
				pending = pending[len(pending)-h.max:]
			}
			h.unsaved = pending
		} else {
			h.unsaved = nil
		}
	}
	h.log = append(h.log, fresh...)
	h.trim(now)
	for s := range h.subs {
		for _, e := range fresh {
			if !s.agent.Sees(e.line) {
				continue
			}
			select {
			case s.C <- e:
			default:
				h.drop(s, errTooSlow)
			}
		}
	}
	return ids, err
}

func (h *Hub) trim(now time.Time) {
	cut := 0
	for cut < len(h.log) && (len(h.log)-cut > h.max || now.Sub(h.log[cut].At) > h.maxAge) {
		h.trimmed[h.log[cut].line] = h.log[cut].ID
		h.log[cut] = nil // let it be collected
		cut++
	}
	if cut > 0 {
		h.log = append(h.log[:0], h.log[cut:]...)
	}
}

// drop cuts a client off for reason; the caller holds mu.
func (h *Hub) drop(s *Sub, reason *apiError) {
	if _, ok := h.subs[s]; !ok {
		return
	}
	s.reason = reason
	close(s.Done)
	delete(h.subs, s)
}

// Subscribe registers a client of agent. With resume, it has processed
// every event up to cursor (0: none at all) and gets the messages to
// replay first (on the agent's lines) and a gap when the cursor can't be
// honoured; without, it starts from now. It also returns the newest ID.
// transport names the client's kind in metrics. After Close, the sub
// comes back already cut off.
func (h *Hub) Subscribe(cursor uint64, resume bool, agent Agent, transport string, now time.Time) (replay []*Delivery, gap *stream.Gap, newest uint64, s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.trim(now)
	newest = h.next - 1
	s = &Sub{C: make(chan *Delivery, h.queue), Done: make(chan struct{}), agent: agent, transport: transport}
	if h.closed {
		s.reason = errShutdown
		close(s.Done)
		return nil, nil, newest, s
	}
	h.subs[s] = struct{}{}
	if !resume {
		return nil, nil, newest, s
	}
	var oldest uint64
	if len(h.log) > 0 {
		oldest = h.log[0].ID
	}
	gap = gapFor(cursor, newest, oldest, h.lostBelow, h.trimmed, agent.Sees)
	if cursor > newest {
		return nil, gap, newest, s
	}
	for _, e := range h.log {
		if e.ID > cursor && agent.Sees(e.line) {
			replay = append(replay, e)
		}
	}
	return replay, gap, newest, s
}

// gapFor decides whether a client resuming after cursor (0: it has seen
// no event at all) missed events its
// agent would have seen, given the newest ID issued, the oldest still in
// the log (0: the log is empty), the IDs below lostBelow whose lines are
// unknown, and the newest trimmed ID of each line. A client that only
// missed events on other agents' lines gets no gap: its cursor only moves
// with the events it sees, so it is often old.
func gapFor(cursor, newest, oldest, lostBelow uint64, trimmed map[string]uint64, sees func(line string) bool) *stream.Gap {
	switch {
	case cursor == newest:
		return nil
	case cursor > newest:
		// The relay lost its log (no data file, or another one) and the
		// client knows IDs it never issued.
		return &stream.Gap{From: cursor, Oldest: oldest, Reason: "unknown-cursor"}
	case oldest != 0 && cursor+1 >= oldest:
		return nil // everything after the cursor is still here
	}
	tooOld := &stream.Gap{From: cursor, Oldest: oldest, Reason: "too-old"}
	if cursor+1 < lostBelow {
		return tooOld
	}
	for line, id := range trimmed {
		if id > cursor && sees(line) {
			return tooOld
		}
	}
	return nil
}

// Finish removes a client and returns what was queued for it and the
// newest ID: every event up to it on the agent's lines was either
// delivered or is in rest. The long-poll answers with that cursor.
func (h *Hub) Finish(s *Sub) (rest []*Delivery, newest uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
	for {
		select {
		case d := <-s.C:
			rest = append(rest, d)
		default:
			return rest, h.next - 1
		}
	}
}

// Unsubscribe removes a client.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

// DropAgent cuts off every client of the named agent with reason (it was
// revoked, or its secret replaced) and returns how many there were.
func (h *Hub) DropAgent(name string, reason *apiError) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for s := range h.subs {
		if !s.agent.Anonymous && s.agent.Name == name {
			h.drop(s, reason)
			n++
		}
	}
	return n
}

// SetLines changes the lines the named agent's connected clients see,
// from the next event on.
func (h *Hub) SetLines(name string, lines []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if !s.agent.Anonymous && s.agent.Name == name {
			s.agent.Lines = lines
		}
	}
}

// HubStats is what metrics and health show about the clients.
type HubStats struct {
	Clients     map[string]int // by transport
	Agents      int            // distinct named agents connected
	Anonymous   int            // anonymous clients
	Newest      uint64         // newest event ID
	Oldest      uint64         // oldest event ID still replayable (0: none)
	Logged      int            // events held for replay
	Unsaved     int            // events the store failed to log, pending retry
	Connections map[string]int // by agent name
}

// Stats counts the clients.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := HubStats{Clients: map[string]int{}, Connections: map[string]int{}, Newest: h.next - 1, Logged: len(h.log), Unsaved: len(h.unsaved)}
	if len(h.log) > 0 {
		st.Oldest = h.log[0].ID
	}
	for s := range h.subs {
		st.Clients[s.transport]++
		if s.agent.Anonymous {
			st.Anonymous++
		} else {
			st.Connections[s.agent.Name]++
		}
	}
	st.Agents = len(st.Connections)
	return st
}

// Clients returns the number of connected clients.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Close tells every subscriber to go away, and every later one too.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		h.drop(s, errShutdown)
	}
}
