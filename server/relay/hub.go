package relay

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
)

// Hub keeps the recent event log and fans new events out to subscribers.
// Each message is encoded once and the same bytes go to every client.
type Hub struct {
	mu     sync.Mutex
	next   uint64 // ID of the next event
	log    []entry
	max    int
	maxAge time.Duration
	subs   map[*Sub]struct{}
	queue  int
}

type entry struct {
	id   uint64
	at   time.Time
	data []byte
}

// Sub is one connected client.
type Sub struct {
	C chan []byte // encoded messages, in order
	// Dropped is closed when the client fell too far behind and was cut off:
	// one slow client must never make the others wait.
	Dropped chan struct{}
	dropped bool
	// Bye is set (before Dropped closes) when the relay is shutting down
	// rather than cutting a slow client off.
	Bye bool
}

// NewHub returns a hub that replays at most max events no older than maxAge
// and queues at most queue messages per client.
func NewHub(max int, maxAge time.Duration, queue int) *Hub {
	return &Hub{next: 1, max: max, maxAge: maxAge, subs: map[*Sub]struct{}{}, queue: queue}
}

// Publish assigns the event its ID, logs it and sends it to every subscriber.
func (h *Hub) Publish(ev *stream.Event, now time.Time) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := h.next
	h.next++
	data, err := json.Marshal(stream.Message{Type: stream.TypeEvent, ID: id, Event: ev})
	if err != nil {
		panic(err) // only plain data types: cannot fail
	}
	h.log = append(h.log, entry{id, now, data})
	h.trim(now)
	for s := range h.subs {
		select {
		case s.C <- data:
		default:
			h.drop(s)
		}
	}
	return id
}

func (h *Hub) trim(now time.Time) {
	cut := 0
	for cut < len(h.log) && (len(h.log)-cut > h.max || now.Sub(h.log[cut].at) > h.maxAge) {
		cut++
	}
	if cut > 0 {
		h.log = append(h.log[:0], h.log[cut:]...)
	}
}

func (h *Hub) drop(s *Sub) {
	if !s.dropped {
		s.dropped = true
		close(s.Dropped)
	}
	delete(h.subs, s)
}

// Subscribe registers a client that has processed everything up to cursor
// (0: nothing, start from now). It returns the messages to replay first,
// a gap when the cursor can't be honoured, and the newest ID.
func (h *Hub) Subscribe(cursor uint64, now time.Time) (replay [][]byte, gap *stream.Gap, newest uint64, s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.trim(now)
	newest = h.next - 1
	s = &Sub{C: make(chan []byte, h.queue), Dropped: make(chan struct{})}
	h.subs[s] = struct{}{}
	if cursor == 0 {
		return nil, nil, newest, s
	}
	var oldest uint64
	if len(h.log) > 0 {
		oldest = h.log[0].id
	}
	switch {
	case cursor > newest:
		// The relay restarted and the client knows IDs we never issued.
		return nil, &stream.Gap{From: cursor, Oldest: oldest, Reason: "unknown-cursor"}, newest, s
	case cursor < newest && (oldest == 0 || cursor+1 < oldest):
		gap = &stream.Gap{From: cursor, Oldest: oldest, Reason: "too-old"}
	}
	for _, e := range h.log {
		if e.id > cursor {
			replay = append(replay, e.data)
		}
	}
	return replay, gap, newest, s
}

// Unsubscribe removes a client.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

// Clients returns the number of connected clients.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Close tells every subscriber to go away.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.Bye = true
		h.drop(s)
	}
}
