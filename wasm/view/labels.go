package view

// How a call is labelled, for the popup, the side panel and the card.

import (
	"strconv"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/stdlite"
)

// Text is a message to show: a message key and its substitutions, or,
// when Key is empty, Plain as it is (a phone number needs no translation).
type Text struct {
	Key   string
	Subs  []string
	Plain string
}

// Plain is text shown as it is; Msg a message key and its substitutions.
func Plain(s string) Text { return Text{Plain: s} }

func Msg(key string, subs ...string) Text { return Text{Key: key, Subs: subs} }

// String renders t with tr, the browser's message lookup.
func (t Text) String(tr func(string, ...string) string) string {
	if t.Key == "" {
		return t.Plain
	}
	return tr(t.Key, t.Subs...)
}

// OtherParty is the number the agent cares about: the caller on an
// inbound call, the called number on an outbound one, as the relay chose
// it (stream.Card.OtherParty). A view stored by an extension older than
// that field has none: the same rule (pop.OtherParty) then picks it.
func OtherParty(c CallView) phone.Number {
	if c.Card.OtherParty.Raw != "" {
		return c.Card.OtherParty
	}
	return pop.OtherParty(c.Call, c.Calling, c.Called)
}

// LinePart is the agent's own side of a call: the line's number.
func LinePart(c CallView) phone.Number {
	n := c.Called
	if c.Call.Direction == call.Outbound {
		n = c.Calling
	}
	if n.Raw == "" {
		n.Raw = c.Call.Line
	}
	return n
}

// NumberLabel is how a number is written for the agent: grouped the way
// its country writes it when it is from the line's own country (home),
// else in international form. Withheld and internal callers say so;
// garbage shows as it came.
func NumberLabel(n phone.Number, home string) Text {
	switch n.Kind {
	case phone.Valid:
		if n.Forms.Grouped != "" && (home == "" || sameRegion(n.Region, home)) {
			return Text{Plain: n.Forms.Grouped}
		}
		if n.Forms.E164 != "" {
			return Text{Plain: n.Forms.E164}
		}
	case phone.Withheld:
		return Text{Key: "numberWithheld"}
	case phone.Internal:
		return Text{Key: "numberInternal", Subs: []string{n.Raw}}
	}
	if strings.TrimSpace(n.Raw) == "" {
		return Text{Key: "numberWithheld"}
	}
	return Text{Plain: n.Raw}
}

// CallerLabel is the call's title: the CRM record's name when exactly one
// matched, else the caller's name, else the other party's number.
func CallerLabel(c CallView) Text {
	if len(c.Matches) == 1 && c.Matches[0].Name != "" {
		return Text{Plain: c.Matches[0].Name}
	}
	if name := strings.TrimSpace(c.CallerName); name != "" && name != strings.TrimSpace(OtherParty(c).Raw) {
		return Text{Plain: name}
	}
	return NumberLabel(OtherParty(c), LinePart(c).Region)
}

// LineLabel names the line a call came in on: its name in the OVH
// manager, else its number.
func LineLabel(c CallView) string {
	if name := strings.TrimSpace(c.Call.LineName); name != "" {
		return name
	}
	n := LinePart(c)
	if n.Kind == phone.Valid && n.Forms.Grouped != "" {
		return n.Forms.Grouped
	}
	return c.Call.Line
}

// CanOpen reports whether "open in CRM" makes sense: the background has
// the CRM address, or there is a public number to search.
func CanOpen(c CallView) bool { return c.URL != "" || OtherParty(c).Kind == phone.Valid }

// CanCallBack reports whether c offers "call back" (click-to-call
// through the relay, background.RequestDial): a call that is over (one
// going on is still on the line) with a number to call, not the test
// pop.
func CanCallBack(c CallView) bool {
	return !c.Test && !c.Call.Live() && OtherParty(c).Kind == phone.Valid
}

// StateKey is the message key of a call state's name.
func StateKey(s call.State) string {
	switch s {
	case call.Ringing:
		return "stateRinging"
	case call.Answered:
		return "stateAnswered"
	case call.Ended:
		return "stateEnded"
	case call.Missed:
		return "stateMissed"
	case call.Abandoned:
		return "stateAbandoned"
	case call.Dialing:
		return "stateDialing"
	}
	return "stateUnknown"
}

// Clock is what a call's timer shows.
type Clock struct {
	Since   time.Time     // a running timer counts from here; zero when it does not run
	Elapsed time.Duration // a stopped timer shows this
	Shown   bool          // false: nothing to show (an event was missed)
}

// At returns the timer's text at now.
func (c Clock) At(now time.Time) string {
	if !c.Shown {
		return ""
	}
	if !c.Since.IsZero() {
		return FormatDuration(now.Sub(c.Since))
	}
	return FormatDuration(c.Elapsed)
}

// CallClock says what a call's timer shows: how long it has been ringing,
// or the conversation so far while it goes on; once over, how long the
// conversation lasted, or for a call never answered how long it rang.
func CallClock(c call.Call) Clock {
	switch c.State {
	case call.Ringing, call.Dialing:
		if c.RingAt.IsZero() {
			return Clock{}
		}
		return Clock{Since: c.RingAt, Shown: true}
	case call.Answered:
		if c.AnswerAt.IsZero() {
			return Clock{}
		}
		return Clock{Since: c.AnswerAt, Shown: true}
	}
	if d := c.TalkDuration(); d > 0 {
		return Clock{Elapsed: d, Shown: true}
	}
	if d := c.RingDuration(); d > 0 {
		return Clock{Elapsed: d, Shown: true}
	}
	return Clock{}
}

// FormatDuration writes a call's timer as the phone's display does: m:ss,
// or h:mm:ss from an hour on. Negative durations (clock skew) show 0:00.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	h, m, sec := s/3600, s/60%60, s%60
	two := func(n int64) string {
		if n < 10 {
			return "0" + strconv.FormatInt(n, 10)
		}
		return strconv.FormatInt(n, 10)
	}
	if h > 0 {
		return strconv.FormatInt(h, 10) + ":" + two(m) + ":" + two(sec)
	}
	return strconv.FormatInt(m, 10) + ":" + two(sec)
}

// NotPopped says why a call did not open the CRM (a message key), or an
// empty Text when it popped or there is nothing worth saying: a
// duplicate, or an event that never pops.
func NotPopped(c CallView) Text {
	if c.Popped {
		return Text{}
	}
	k := ""
	switch c.Reason {
	case pop.ReasonEventNotSelected:
		k = "reasonEventNotSelected"
	case pop.ReasonLineFiltered:
		k = "reasonLineFiltered"
	case pop.ReasonOutbound:
		k = "reasonOutbound"
	case pop.ReasonNotRinging, pop.ReasonCallOver:
		k = "reasonLate"
	case pop.ReasonWithheld:
		k = "reasonWithheld"
	case pop.ReasonInternal:
		k = "reasonInternal"
	case pop.ReasonInvalidNumber:
		k = "reasonInvalidNumber"
	case pop.ReasonCapped:
		k = "reasonCapped"
	case ReasonPaused:
		k = "reasonPaused"
	case ReasonBadTemplate:
		k = "reasonBadTemplate"
	}
	return Text{Key: k}
}

// sameRegion compares two ISO 3166 region codes, which are ASCII, in
// either case (strings.EqualFold would bring the Unicode fold tables).
func sameRegion(a, b string) bool { return stdlite.ToUpperASCII(a) == stdlite.ToUpperASCII(b) }
