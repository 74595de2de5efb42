package call

import (
	"cmp"
	"slices"
	"time"
)

// Defaults for a Book's limits (a zero limit means the default).
const (
	// DefaultKeep is how long an ended call is remembered. OVH delivers
	// events kept for a session on the next poll (within about a minute,
	// plus the poller's backoff), so late duplicates arrive well within it.
	DefaultKeep = 5 * time.Minute
	// DefaultMaxEnded bounds the ended calls remembered (the oldest are
	// forgotten first): a few minutes of a busy 100-line account.
	DefaultMaxEnded = 500
	// DefaultMaxLive bounds the live calls: ten times the 100 simultaneous
	// calls we size for, so it only bites when Expire is never run.
	DefaultMaxLive = 1000
)

// Expired is the event name of the Changes Expire makes, and the LastEvent
// of the calls it ends.
const Expired = "expired"

// Book is every call the relay knows of, keyed by line and call id: the
// state machine's whole state, as plain data. It holds no goroutine, timer
// or clock (callers pass the time in), and it encodes to JSON and back
// without losing anything (MarshalJSON), so it can live in memory, on
// disk or in a Durable Object.
//
// Its size is bounded: ended calls are remembered for Keep (to recognise
// late duplicates), at most MaxEnded of them; live calls never ended by
// OVH are ended by Expire, and beyond MaxLive the least recently active
// one is dropped.
//
// The zero Book is ready to use. A Book is not safe for concurrent use:
// the caller serialises access (a mutex, or a Durable Object's single
// thread).
type Book struct {
	Keep     time.Duration // how long an ended call is remembered (DefaultKeep when 0)
	MaxEnded int           // most ended calls remembered (DefaultMaxEnded when 0)
	MaxLive  int           // most live calls (DefaultMaxLive when 0)

	calls map[Key]*entry
	ended []*entry // the ended calls, in the order they ended: oldest first
	live  int      // how many calls in calls are live
}

// entry is one call plus what the state machine needs to remember about it.
type entry struct {
	call  Call
	seen  uint16    // a bit per kind of event seen, to recognise duplicates
	marks [4]uint32 // fingerprints of the latest repeatable events (0 = empty)
	mark  uint8     // next slot of marks to overwrite
	last  time.Time // event time of the newest event applied: orders updates
	since time.Time // relay clock: when the call last changed (Expire counts from it)
	done  time.Time // relay clock: when the call ended; zero while live
}

func (e *entry) key() Key { return Key{Line: e.call.Line, ID: e.call.ID} }

// NewBook returns an empty Book with the default limits.
func NewBook() *Book {
	return &Book{Keep: DefaultKeep, MaxEnded: DefaultMaxEnded, MaxLive: DefaultMaxLive}
}

func (b *Book) keep() time.Duration { return cmp.Or(max(b.Keep, 0), DefaultKeep) }
func (b *Book) maxEnded() int       { return cmp.Or(max(b.MaxEnded, 0), DefaultMaxEnded) }
func (b *Book) maxLive() int        { return cmp.Or(max(b.MaxLive, 0), DefaultMaxLive) }

// Get returns the call with key k, live or recently ended.
func (b *Book) Get(k Key) (Call, bool) {
	if e, ok := b.calls[k]; ok {
		return e.call, true
	}
	return Call{}, false
}

// Len returns how many calls the Book holds, live and ended.
func (b *Book) Len() int { return len(b.calls) }

// Live returns the calls going on (ringing, dialing, answered), oldest
// first.
func (b *Book) Live() []Call {
	out := make([]Call, 0, b.live)
	for _, e := range b.calls {
		if e.call.Live() {
			out = append(out, e.call)
		}
	}
	slices.SortFunc(out, func(x, y Call) int {
		return cmp.Or(started(x).Compare(started(y)), cmp.Compare(x.Line, y.Line), cmp.Compare(x.ID, y.ID))
	})
	return out
}

// started is when a call began, as far as we know.
func started(c Call) time.Time {
	if !c.RingAt.IsZero() {
		return c.RingAt
	}
	if !c.AnswerAt.IsZero() {
		return c.AnswerAt
	}
	return c.EndAt
}

// Expire ends the calls OVH never ended, as of now: a call ringing (or
// dialing) with no news for longer than ringingMax, or answered with no
// news for longer than liveMax. "No news" is counted on the relay's clock
// from the call's last change, so a queue call offered to agent after
// agent keeps ringing. A zero or negative maximum never expires.
//
// A ringing line call becomes Missed, a ringing queue call Abandoned, a
// dialing or answered call Ended (Call.Settle); EndAt is now (the real end is unknown)
// and LastEvent is Expired. It also forgets ended calls older than Keep
// (that is not a Change). The Changes come sorted by line and id.
func (b *Book) Expire(now time.Time, ringingMax, liveMax time.Duration) []Change {
	b.forget(now)
	var out []Change
	for _, e := range b.calls {
		c := &e.call
		var limit time.Duration
		switch c.State {
		case Ringing, Dialing:
			limit = ringingMax
		case Answered:
			limit = liveMax
		default:
			continue
		}
		if limit <= 0 || now.Sub(e.since) <= limit {
			continue
		}
		prev := c.State
		c.Settle(now)
		c.LastEvent = Expired
		e.since = now
		b.end(e, now)
		out = append(out, Change{Call: *c, Prev: prev, Changed: true, Event: Expired})
	}
	slices.SortFunc(out, func(x, y Change) int {
		return cmp.Or(cmp.Compare(x.Call.Line, y.Call.Line), cmp.Compare(x.Call.ID, y.Call.ID))
	})
	return out
}

// add puts a new entry in the Book, making room if needed.
func (b *Book) add(e *entry, now time.Time) {
	if b.calls == nil {
		b.calls = make(map[Key]*entry)
	}
	b.calls[e.key()] = e
	if e.call.Live() {
		b.live++
		if b.live > b.maxLive() {
			b.dropStalest(e)
		}
		return
	}
	e.done = now
	b.ended = append(b.ended, e)
	b.trim()
}

// end records that a live entry has just ended.
func (b *Book) end(e *entry, now time.Time) {
	e.done = now
	b.live--
	b.ended = append(b.ended, e)
	b.trim()
}

// trim forgets the oldest ended calls beyond MaxEnded.
func (b *Book) trim() {
	for n := len(b.ended) - b.maxEnded(); n > 0; n-- {
		b.popEnded()
	}
}

// forget forgets the ended calls older than Keep.
func (b *Book) forget(now time.Time) {
	keep := b.keep()
	for len(b.ended) > 0 && now.Sub(b.ended[0].done) > keep {
		b.popEnded()
	}
}

func (b *Book) popEnded() {
	e := b.ended[0]
	b.ended[0] = nil // let it be collected
	b.ended = b.ended[1:]
	if k := e.key(); b.calls[k] == e {
		delete(b.calls, k)
	}
}

// dropStalest forgets the live call with the oldest news, other than
// keep. It only happens when live calls pile up past MaxLive because
// Expire is not run; it is not reported.
func (b *Book) dropStalest(keep *entry) {
	var stalest *entry
	for _, e := range b.calls {
		if e != keep && e.call.Live() && (stalest == nil || e.since.Before(stalest.since)) {
			stalest = e
		}
	}
	if stalest != nil {
		delete(b.calls, stalest.key())
		b.live--
	}
}
