package relay

import (
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/directory"
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

// FillCard names a card's other party from the CRM directory: a plain
// lookup in memory (no CRM round trip on the ring path). It sets
// Matches (at most stream.MaxMatches, in the directory's order: module,
// name, id) with each record's page from recordURL, MatchCount, the
// CallerName when exactly one record matches (a queue's caller name is
// kept otherwise), and Directory: found, looking (the directory does not
// know the number: the caller may start a live lookup) or no-number.
func FillCard(card *stream.Card, dir *directory.Directory, recordURL func(module, id string) string) {
	card.Matches, card.MatchCount = nil, 0
	if _, ok := directory.KeyOf(card.OtherParty); !ok {
		card.Directory = stream.DirectoryNoNumber
		return
	}
	found := dir.Lookup(card.OtherParty)
	if len(found) == 0 {
		card.Directory = stream.DirectoryLooking
		return
	}
	card.Directory, card.MatchCount = stream.DirectoryFound, len(found)
	found = found[:min(len(found), stream.MaxMatches)]
	card.Matches = make([]stream.Match, len(found))
	for i, m := range found {
		u := ""
		if recordURL != nil {
			u = recordURL(m.Module, m.ID)
		}
		card.Matches[i] = stream.Match{Name: m.Name, Module: m.Module, ID: m.ID, URL: u,
			Company: m.Company, Owner: m.Owner, Field: m.Field}
	}
	if len(found) == 1 && found[0].Name != "" {
		card.CallerName = found[0].Name
	}
}
