package relay

import (
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/phone/parse"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/stream"
)

// Process is the relay's whole decision for one OVH event, as a plain
// function over explicit state: apply it to the calls, parse the numbers
// (each call's numbers once, through the cache), and say what to stream.
// It returns false when the event changes nothing (a duplicate, a
// `registered`, a queue-size update): it is processed once.
func Process(book *call.Book, numbers *parse.Cache, ev *ovhevent.Event, now time.Time, region string) (stream.Event, bool) {
	ch := book.Apply(ev, now)
	if ch.Duplicate || !ch.Changed {
		return stream.Event{}, false
	}
	return streamEvent(numbers, ch.Event, ch.Call, now, region), true
}

func streamEvent(numbers *parse.Cache, name string, c call.Call, now time.Time, region string) stream.Event {
	calling, called := numbers.Number(c.Calling, region), numbers.Number(c.Called, region)
	return stream.Event{
		Name:     name,
		Call:     c,
		Calling:  calling,
		Called:   called,
		Received: now,
		Card:     stream.Card{OtherParty: pop.OtherParty(c, calling, called)},
	}
}

// LiveCalls lists the calls going on, parsed, for a client's hello.
func LiveCalls(book *call.Book, numbers *parse.Cache, region string) []stream.LiveCall {
	live := book.Live()
	out := make([]stream.LiveCall, 0, len(live))
	for _, c := range live {
		calling, called := numbers.Number(c.Calling, region), numbers.Number(c.Called, region)
		out = append(out, stream.LiveCall{Call: c, Calling: calling, Called: called, Card: stream.Card{OtherParty: pop.OtherParty(c, calling, called)}})
	}
	return out
}
