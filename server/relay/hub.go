package relay

import (
	"bytes"
	"encoding/json"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/store"
)

// Hub keeps the recent event log and fans new events out to subscribers,
// each seeing only the lines its agent sees. Each message is encoded once
// and the same bytes go to every client.
//
// A subscriber has no queue of its own: it holds a position in the log
// and a one-slot wake-up channel. Publish appends to the log, counts for
// each subscriber the new events on its agent's lines and wakes it (a
// send that never blocks); the subscriber's writer then takes everything
// after its position at once (Take) and writes it. A subscriber that has
// more than queue events on its lines not taken yet is cut off: too slow.
// Memory per client does not grow with queue, and a writer that was busy
// writes its backlog in one go.
//
// A client whose transport can write without waiting (a WebSocket over
// plain TCP: SetPusher) is not woken: the hub's fan-out goroutine takes
// its events and writes them itself, as far as the socket takes them
// without blocking. With thousands of clients a wake-up per client and
// event costs as much as the write (goroutine switches, timers, the
// scheduler), and it is one goroutine, not thousands, that writes. A
// client the socket does not take everything for is woken as before: its
// writer finishes the job and waits for the socket, under its watchdog,
// and nobody else waits for it.
//
// With Persist set, every event is written to the store before any
// client sees it, so that a cursor a client holds always survives a
// restart of the relay (Restore reloads the log and numbering).
type Hub struct {
	// Persist, when set, logs events durably; it is called once per
	// Publish, one Publish at a time, with the hub unlocked: a commit
	// waits for the disk (milliseconds), and the fan-out of the events
	// before goes on meanwhile. Events it failed to log are retried with
	// the next Publish (IDs must reach the store in order).
	Persist func([]store.LoggedEvent) error

	// pubMu makes Publish one at a time: IDs are given, logged and
	// appended in order. It is taken before mu, never while holding it.
	pubMu   sync.Mutex
	unsaved []store.LoggedEvent // guarded by pubMu, and by mu for Stats
	wakeBuf []*Sub              // Publish's list of subscribers to wake, kept for the next one; guarded by pubMu

	mu   sync.Mutex
	next uint64 // ID of the next event
	log  []*Delivery
	// base is the position of log[0] among every entry this hub ever
	// logged: subscribers hold positions, which trimming does not move.
	base   uint64
	max    int
	maxAge time.Duration
	queue  int
	subs   map[*Sub]struct{}
	lines  lineIndex // subs by the lines they see, for fanOut
	closed bool
	// trimmed is, per line (by phone.LineKey, itself a spelling of its
	// line), the newest event ID trimmed from log: a client whose cursor
	// is older has only missed something if one of those lines is its
	// agent's (gapFor).
	trimmed map[string]uint64
	// lostBelow: events below this ID were trimmed before this hub
	// started, on lines it does not know.
	lostBelow uint64

	// toPush are the clients with a pusher that have something to take,
	// for the fan-out goroutine (pushLoop), which pushNow wakes. It runs
	// from the first SetPusher until Close.
	toPush    []*Sub
	pushSpare []*Sub // the list pushLoop last went through, for reuse
	pushNow   chan struct{}

	watch func(s *Sub, connected bool) // told of each client added and removed, with mu held (activitylog.go)
}

// A pusher writes a client's events itself, without waiting for its
// socket, from the hub's fan-out goroutines, never with the hub locked.
// A push is two steps, so that the fan-out takes the events of a whole
// block of clients under one lock of the hub, not one lock each (with
// thousands of clients the lock, passed between the cores, cost as much
// as the rest of a push):
//
//   - claim readies the connection: false when it cannot be pushed to
//     now (its writer is busy, or has something left to write, or it is
//     closing), and the hub wakes the writer instead;
//   - pushBatch writes batch, the events taken for the client after a claim,
//     releases the claim and reports whether everything went; if not,
//     the hub wakes the writer, which finishes.
type pusher interface {
	claim() bool
	pushBatch(batch []*Delivery, w *pushWork) bool
}

// pushWork is one fan-out goroutine's scratch space, kept from round to
// round: the events taken for a block of clients, the frames last built
// (clients that see the same lines get the same events, framed once), and
// the metrics, added up here and published once per round.
type pushWork struct {
	claimed []*Sub
	taken   []*Delivery
	ends    []int // ends[i]: where claimed[i]'s events end in taken; -1: cut off

	framed []*Delivery // the events frame was built for
	frame  []byte

	metrics *metrics // set by the first write
	tally   tally
}

// reuseFrame reports whether frame holds exactly batch, framed.
func (w *pushWork) reuseFrame(batch []*Delivery) bool {
	return len(batch) > 0 && slices.Equal(batch, w.framed)
}

// Delivery is one encoded event message, shared read-only by the log and
// every client that takes it.
type Delivery struct {
	ID   uint64
	Data []byte
	At   time.Time // when the relay published it: delivery latency counts from here
	// key is the phone.LineKey of the event's line, worked out once:
	// every client's filter and the hub's index compare it (lineSet).
	key string
}

func newDelivery(id uint64, data []byte, at time.Time, line string) *Delivery {
	return &Delivery{ID: id, Data: data, At: at, key: phone.LineKey(line)}
}

// lineSet is Agent.Sees for the hub, with the agent's lines reduced to
// their keys once, at Subscribe and SetLines: Publish asks every client
// about every event, and reducing both sides at each question cost more
// than the rest of a fan-out to agents on other lines.
type lineSet struct {
	all  bool
	keys []string // phone.LineKey of each of the agent's lines ("" for a blank one)
}

func newLineSet(a Agent) lineSet {
	ls := lineSet{all: a.Anonymous || slices.Contains(a.Lines, store.AllLines)}
	for _, l := range a.Lines {
		ls.keys = append(ls.keys, phone.LineKey(l))
	}
	return ls
}

// sees is a.Sees(e's line), with its key worked out once for all clients.
func (ls *lineSet) sees(e *Delivery) bool { return ls.seesLine(e.key) }

// seesLine is the rule of Agent.Sees for a line whose phone.LineKey is
// key: every line for an anonymous agent or one given every line, else
// one of its lines with that key.
func (ls *lineSet) seesLine(key string) bool {
	if ls.all {
		return true
	}
	return key != "" && slices.Contains(ls.keys, key)
}

// Sub is one connected client.
type Sub struct {
	// Done is closed when the hub cut the client off: too slow (one slow
	// client must never make the others wait), agent revoked, or relay
	// shutting down. Reason says which.
	Done      chan struct{}
	wake      chan struct{} // one slot: wake-ups while the writer is busy coalesce
	reason    *apiError
	agent     Agent
	lines     lineSet // agent's lines, for the hub's filtering
	transport string

	// Guarded by the hub's mu.
	pos     uint64 // log position of the first entry neither taken nor skipped
	pending int    // events on the agent's lines not taken yet: owed, then after pos
	// owed are events this client must get that are no longer after pos:
	// trimmed from the log before it took them, or published before its
	// agent's lines changed (SetLines applies from the next event on).
	owed   []*Delivery
	pusher pusher // nil: woken, its writer takes
	mark   uint64 // the hub's lineIndex.each visited it
	queued bool   // in the hub's toPush, or in the round going on and not taken yet
	// announced is the last Announce message this client was given (or
	// its hello's, Announced): an Announce that would give it the same
	// again gives it nothing.
	announced  []byte
	noAnnounce bool // Unannounced
}

// Wake receives a value when the client may have something to take or
// was cut off; wake-ups coalesce. The transports also use it for their
// own timers (Notify).
func (s *Sub) Wake() <-chan struct{} { return s.wake }

// Notify wakes the client's writer, if it is not awake already.
func (s *Sub) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
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
// and lets a client fall at most queue events behind.
func NewHub(max int, maxAge time.Duration, queue int) *Hub {
	return &Hub{next: 1, lostBelow: 1, max: max, maxAge: maxAge, subs: map[*Sub]struct{}{}, lines: newLineIndex(), queue: queue, trimmed: map[string]uint64{}}
}

// Restore loads the event log a previous relay left in the store: events
// (oldest first) and the newest ID ever issued, so that numbering goes on
// where it stopped. Call it before the first Publish and Subscribe.
func (h *Hub) Restore(evs []store.LoggedEvent, lastID uint64, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.base += uint64(len(h.log))
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
		h.log = append(h.log, newDelivery(e.ID, e.Data, e.At, m.Event.Call.Line))
	}
	h.next = lastID + 1
	h.lostBelow = h.next
	if len(h.log) > 0 {
		h.lostBelow = h.log[0].ID
	}
	h.trim(now)
}

// Publish assigns each event its ID, logs it and wakes every subscriber
// whose agent sees its line. The events are sent even when logging them
// failed (a live pop matters more than the log); the error says so.
func (h *Hub) Publish(evs []*stream.Event, now time.Time) ([]uint64, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	// Only Publish moves next, and one at a time: the IDs from next on
	// are this one's. They are issued (next moves) once the events are in
	// the log, so that a client never hears of an ID it cannot get.
	h.mu.Lock()
	next := h.next
	h.mu.Unlock()
	ids := make([]uint64, len(evs))
	fresh := make([]*Delivery, len(evs))
	for i, ev := range evs {
		id := next + uint64(i)
		data, err := json.Marshal(stream.Message{Type: stream.TypeEvent, ID: id, Event: ev})
		if err != nil {
			panic(err) // only plain data types: cannot fail
		}
		ids[i] = id
		fresh[i] = newDelivery(id, data, now, ev.Call.Line)
	}
	unsaved, err := h.persist(fresh)

	h.mu.Lock()
	h.unsaved = unsaved
	h.next = next + uint64(len(evs))
	wake := h.fanOut(h.wakeBuf[:0], fresh, now)
	h.mu.Unlock()
	// The writers are woken once the hub is unlocked, so that they don't
	// wait for it to take.
	for _, s := range wake {
		s.Notify()
	}
	clear(wake)
	h.wakeBuf = wake[:0]
	return ids, err
}

// persist logs fresh after what earlier Publishes failed to log, and
// returns what is still not logged; the caller holds pubMu.
func (h *Hub) persist(fresh []*Delivery) ([]store.LoggedEvent, error) {
	if h.Persist == nil {
		return nil, nil
	}
	pending := slices.Clip(h.unsaved) // appending must not touch what Stats may read
	for _, e := range fresh {
		pending = append(pending, store.LoggedEvent{ID: e.ID, At: e.At, Data: e.Data})
	}
	err := h.Persist(pending)
	if err == nil {
		return nil, nil
	}
	if len(pending) > h.max {
		pending = pending[len(pending)-h.max:]
	}
	return pending, err
}

// fanOut appends fresh to the log and appends to wake the subscribers
// to wake; the clients with a pusher are queued for the fan-out instead.
// The caller holds mu.
func (h *Hub) fanOut(wake []*Sub, fresh []*Delivery, now time.Time) []*Sub {
	h.log = append(h.log, fresh...)
	h.trim(now)
	pushes := len(h.toPush)
	h.lines.each(fresh, func(s *Sub) {
		n := 0
		for _, e := range fresh {
			if s.lines.sees(e) {
				n++
			}
		}
		if n == 0 {
			return
		}
		if s.pending += n; s.pending > h.queue {
			h.drop(s, errTooSlow)
			return
		}
		if s.pusher != nil {
			if !s.queued {
				s.queued = true
				h.toPush = append(h.toPush, s)
			}
			return
		}
		wake = append(wake, s)
	})
	if len(h.toPush) > pushes {
		select {
		case h.pushNow <- struct{}{}:
		default: // it will find them on its next round
		}
	}
	return wake
}

// pushSplit is the number of clients per core above which a fan-out
// round is shared between cores: below it, a goroutine costs more than
// it saves.
const pushSplit = 256

// pushBlock is how many clients a fan-out goroutine claims and takes
// for at once; between blocks it lets other goroutines run (the upstream
// poller above all, whose next events would otherwise wait for the end
// of the round).
const pushBlock = 64

// pushAll pushes to every client of list, block by block.
func (h *Hub) pushAll(list []*Sub, w *pushWork) {
	for block := range slices.Chunk(list, pushBlock) {
		w.claimed = w.claimed[:0]
		for _, s := range block {
			if s.pusher.claim() {
				w.claimed = append(w.claimed, s)
			} else {
				s.Notify()
			}
		}
		w.taken, w.ends = w.taken[:0], w.ends[:0]
		h.mu.Lock()
		for _, s := range w.claimed {
			if s.reason != nil { // cut off: its writer says goodbye
				w.ends = append(w.ends, -1)
				continue
			}
			w.taken = h.take(s, w.taken)
			w.ends = append(w.ends, len(w.taken))
		}
		h.mu.Unlock()
		start := 0
		for i, s := range w.claimed {
			end := w.ends[i]
			if end < 0 {
				s.pusher.pushBatch(nil, w)
				s.Notify()
				continue
			}
			if !s.pusher.pushBatch(w.taken[start:end], w) {
				s.Notify()
			}
			start = end
		}
		clear(w.claimed)
		clear(w.taken)
		runtime.Gosched()
	}
	clear(w.framed)
	w.framed = w.framed[:0]
	if w.metrics != nil {
		w.metrics.addTally(transportWebSocket, &w.tally)
	}
}

// SetPusher has the hub's fan-out goroutine write s's events with p from
// now on, instead of waking s's writer. The caller has written s's
// opening: what the hub pushes must come after it.
func (h *Hub) SetPusher(s *Sub, p pusher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if h.pushNow == nil {
		h.pushNow = make(chan struct{}, 1)
		go h.pushLoop(h.pushNow)
	}
	s.pusher = p
}

// pushLoop is the hub's fan-out goroutine: each round, it pushes to every
// client queued since the last, and wakes those the push did not finish.
// A client stays queued until it takes (take): events published during
// a round join what the clients not reached yet take in this one, and
// the next round has only the clients this one had already written to,
// not every client again. It stops when wake is closed (Close).
func (h *Hub) pushLoop(wake <-chan struct{}) {
	var work []*pushWork // one per goroutine of a round
	for range wake {
		h.mu.Lock()
		list := h.toPush
		h.toPush = h.pushSpare
		h.pushSpare = nil
		h.mu.Unlock()
		// A long list is split between the cores: a push is mostly the
		// kernel's work (the write), which runs in parallel.
		n := max(1, min(runtime.GOMAXPROCS(0), len(list)/pushSplit))
		for len(work) < n {
			work = append(work, &pushWork{})
		}
		if n > 1 {
			var wg sync.WaitGroup
			per := (len(list) + n - 1) / n
			i := 0
			for part := range slices.Chunk(list, per) {
				w := work[i]
				i++
				wg.Go(func() { h.pushAll(part, w) })
			}
			wg.Wait()
		} else {
			h.pushAll(list, work[0])
		}
		clear(list)
		h.mu.Lock()
		h.pushSpare = list[:0]
		h.mu.Unlock()
	}
}

// end is the log position after the newest entry.
func (h *Hub) end() uint64 { return h.base + uint64(len(h.log)) }

func (h *Hub) trim(now time.Time) {
	cut := 0
	for cut < len(h.log) && (len(h.log)-cut > h.max || now.Sub(h.log[cut].At) > h.maxAge) {
		h.trimmed[h.log[cut].key] = h.log[cut].ID
		cut++
	}
	if cut == 0 {
		return
	}
	// A client still behind the cut keeps what it has yet to take.
	upTo := h.base + uint64(cut)
	for s := range h.subs {
		if s.pos < upTo {
			h.owe(s, upTo)
		}
	}
	clear(h.log[:cut]) // let them be collected
	h.log = append(h.log[:0], h.log[cut:]...)
	h.base = upTo
}

// owe moves the entries on s's lines from its position up to upTo into
// its owed list, and its position to upTo; the caller holds mu.
func (h *Hub) owe(s *Sub, upTo uint64) {
	if s.pending > len(s.owed) { // some of them are after pos
		for _, e := range h.log[s.pos-h.base : upTo-h.base] {
			if s.lines.sees(e) {
				s.owed = append(s.owed, e)
			}
		}
	}
	s.pos = upTo
}

// Take appends to buf every event on the client's lines it has not taken
// yet, oldest first, and returns it. The deliveries are shared: read only.
func (h *Hub) Take(s *Sub, buf []*Delivery) []*Delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.take(s, buf)
}

func (h *Hub) take(s *Sub, out []*Delivery) []*Delivery {
	out = append(out, s.owed...)
	need := s.pending - len(s.owed)
	s.owed = nil
	// A client cut off or gone is no longer kept up with trimming: what
	// was trimmed is lost to it (it resumes from its cursor).
	pos := max(s.pos, h.base)
	for _, e := range h.log[pos-h.base:] {
		if need <= 0 {
			break
		}
		if s.lines.sees(e) {
			out = append(out, e)
			need--
		}
	}
	s.pos = h.end()
	s.pending = 0
	s.queued = false // the next event queues it again
	return out
}

// drop cuts a client off for reason; the caller holds mu.
func (h *Hub) drop(s *Sub, reason *apiError) {
	if _, ok := h.subs[s]; !ok {
		return
	}
	s.reason = reason
	close(s.Done)
	h.remove(s)
	s.Notify()
}

// Subscribe registers a client of agent. With resume, it has processed
// every event up to cursor (0: none at all) and gets the messages to
// replay first (on the agent's lines) and a gap when the cursor can't be
// honoured; without, it starts from now. It also returns the newest ID.
// Events published from then on are for Take. transport names the
// client's kind in metrics. After Close, the sub comes back already cut
// off.
func (h *Hub) Subscribe(cursor uint64, resume bool, agent Agent, transport string, now time.Time) (replay []*Delivery, gap *stream.Gap, newest uint64, s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.trim(now)
	newest = h.next - 1
	s = &Sub{Done: make(chan struct{}), wake: make(chan struct{}, 1), agent: agent, lines: newLineSet(agent), transport: transport, pos: h.end()}
	if h.closed {
		s.reason = errShutdown
		close(s.Done)
		return nil, nil, newest, s
	}
	h.subs[s] = struct{}{}
	h.lines.add(s)
	h.watched(s, true)
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
		if e.ID > cursor && s.lines.sees(e) {
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

// Finish removes a client and returns what it had not taken yet and the
// newest ID: every event up to it on the agent's lines was either
// delivered or is in rest. The long-poll answers with that cursor.
func (h *Hub) Finish(s *Sub) (rest []*Delivery, newest uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(s)
	return h.take(s, nil), h.next - 1
}

// Unsubscribe removes a client.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	h.remove(s)
	h.mu.Unlock()
}

// remove takes s out of the subscribers; the caller holds mu.
func (h *Hub) remove(s *Sub) {
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		h.lines.remove(s)
		h.watched(s, false)
	}
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
			h.owe(s, h.end()) // what was published before stays decided
			h.lines.remove(s)
			s.agent.Lines = lines
			s.lines = newLineSet(s.agent)
			h.lines.add(s)
		}
	}
}

// Announce gives each client the message msg returns for its agent (nil:
// nothing), unless it was the last one it got: a message outside the
// event log (ID 0, no cursor), such as the relay's link to OVH for the
// agent's lines. It goes before the events the client has not taken yet,
// and replaces an announced message the client has not taken yet: only
// the newest matters. msg is called with the hub locked, and must not
// call the hub.
func (h *Hub) Announce(msg func(Agent) []byte, now time.Time) {
	h.mu.Lock()
	var wake []*Sub
	for s := range h.subs {
		if s.noAnnounce {
			continue
		}
		m := msg(s.agent)
		if m == nil || bytes.Equal(m, s.announced) {
			continue
		}
		s.announced = m
		d := &Delivery{Data: m, At: now}
		if i := slices.IndexFunc(s.owed, (*Delivery).announced); i >= 0 {
			s.owed[i] = d
		} else {
			// Owed entries go first (take): before the events after pos.
			s.owed = append(s.owed, d)
			s.pending++
		}
		wake = append(wake, s)
	}
	h.mu.Unlock()
	for _, s := range wake {
		s.Notify()
	}
}

// Announced records m as the last announced message s got (in its
// opening), unless an Announce gave it one since.
func (h *Hub) Announced(s *Sub, m []byte) {
	h.mu.Lock()
	if s.announced == nil {
		s.announced = m
	}
	h.mu.Unlock()
}

// Unannounced has Announce skip s from now on: a long-poll client that
// did not ask for those messages.
func (h *Hub) Unannounced(s *Sub) {
	h.mu.Lock()
	s.noAnnounce = true
	h.mu.Unlock()
}

// announced reports whether d is an Announce message, not an event.
func (d *Delivery) announced() bool { return d.ID == 0 }

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
	if h.pushNow != nil {
		close(h.pushNow)
		h.pushNow = nil
	}
}
