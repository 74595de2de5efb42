package pages

// The pages' decisions that need no browser: how a call, a number, a
// duration or the relay's state is shown. The _js.go files only turn what
// these return into elements; these are tested natively (calls_test.go).

import (
	"strconv"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/wasm/background"
)

// formatDuration writes a call's timer as the phone's display does: m:ss,
// or h:mm:ss from an hour on. Negative durations (clock skew) show 0:00.
func formatDuration(d time.Duration) string {
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

// clock is what a call's timer shows.
type clock struct {
	Since   time.Time     // a running timer counts from here; zero when it does not run
	Elapsed time.Duration // a stopped timer shows this
	Shown   bool          // false: nothing to show (an event was missed)
}

// at returns the timer's text at now.
func (c clock) at(now time.Time) string {
	if !c.Shown {
		return ""
	}
	if !c.Since.IsZero() {
		return formatDuration(now.Sub(c.Since))
	}
	return formatDuration(c.Elapsed)
}

// callClock says what a call's timer shows: how long it has been ringing,
// or the conversation so far while it goes on; once over, how long the
// conversation lasted, or for a call never answered how long it rang.
func callClock(c call.Call) clock {
	switch c.State {
	case call.Ringing, call.Dialing:
		if c.RingAt.IsZero() {
			return clock{}
		}
		return clock{Since: c.RingAt, Shown: true}
	case call.Answered:
		if c.AnswerAt.IsZero() {
			return clock{}
		}
		return clock{Since: c.AnswerAt, Shown: true}
	}
	if d := c.TalkDuration(); d > 0 {
		return clock{Elapsed: d, Shown: true}
	}
	if d := c.RingDuration(); d > 0 {
		return clock{Elapsed: d, Shown: true}
	}
	return clock{}
}

// stateKey is the message key of a call state's name.
func stateKey(s call.State) string {
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

// missed reports whether a call was never answered by anyone here: the
// calls the badge counts and "mark all seen" clears (the relay decides it:
// call.Call.Missed).
func missed(cv background.CallView) bool { return cv.Call.Missed }

// otherParty is the number the agent cares about: the caller on an inbound
// call, the called number on an outbound one.
func otherParty(cv background.CallView) phone.Number {
	return pop.OtherParty(cv.Call, cv.Calling, cv.Called)
}

// linePart is the agent's own side of a call: the line's number.
func linePart(cv background.CallView) phone.Number {
	n := cv.Called
	if cv.Call.Direction == call.Outbound {
		n = cv.Calling
	}
	if n.Raw == "" {
		n.Raw = cv.Call.Line
	}
	return n
}

// text is a message to show: a message key and its substitutions, or,
// when Key is empty, Plain as it is (a phone number needs no translation).
type text struct {
	Key   string
	Subs  []string
	Plain string
}

func plain(s string) text { return text{Plain: s} }

func msg(key string, subs ...string) text { return text{Key: key, Subs: subs} }

// String renders t with tr, the browser's message lookup.
func (t text) String(tr func(string, ...string) string) string {
	if t.Key == "" {
		return t.Plain
	}
	return tr(t.Key, t.Subs...)
}

// numberLabel is how a number is written for the agent: grouped the way
// its country writes it when it is from the line's own country (home, a
// region such as "FR"), else in international form. Withheld and internal
// callers say so; garbage shows as it came.
func numberLabel(n phone.Number, home string) text {
	switch n.Kind {
	case phone.Valid:
		if n.Forms.Grouped != "" && (home == "" || strings.EqualFold(n.Region, home)) {
			return plain(n.Forms.Grouped)
		}
		if n.Forms.E164 != "" {
			return plain(n.Forms.E164)
		}
	case phone.Withheld:
		return msg("numberWithheld")
	case phone.Internal:
		return msg("numberInternal", n.Raw)
	}
	if strings.TrimSpace(n.Raw) == "" {
		return msg("numberWithheld")
	}
	return plain(n.Raw)
}

// callerLabel is the call's title: the CRM record's name when exactly one
// matched, else the other party's number.
func callerLabel(cv background.CallView) text {
	if len(cv.Matches) == 1 && cv.Matches[0].Name != "" {
		return plain(cv.Matches[0].Name)
	}
	if name := strings.TrimSpace(cv.CallerName); name != "" && name != strings.TrimSpace(otherParty(cv).Raw) {
		return plain(name)
	}
	return numberLabel(otherParty(cv), linePart(cv).Region)
}

// named reports whether callerLabel shows a name rather than the number.
func named(cv background.CallView) bool {
	l := callerLabel(cv)
	return l.Key == "" && l.Plain != numberLabel(otherParty(cv), linePart(cv).Region).Plain
}

// lineLabel names the line a call came in on: its name in the OVH
// manager, else its number.
func lineLabel(cv background.CallView) string {
	if name := strings.TrimSpace(cv.Call.LineName); name != "" {
		return name
	}
	n := linePart(cv)
	if n.Kind == phone.Valid && n.Forms.Grouped != "" {
		return n.Forms.Grouped
	}
	return cv.Call.Line
}

// form is one spelling of a number, labelled.
type form struct {
	LabelKey string
	Value    string
}

// numberForms lists the spellings of a number the side panel shows, so
// the agent can search the CRM by hand: international, national, as
// grouped, and as OVH sent it when that differs.
func numberForms(n phone.Number) []form {
	var out []form
	seen := map[string]bool{}
	add := func(key, v string) {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, form{key, v})
		}
	}
	if n.Kind == phone.Valid {
		add("formE164", n.Forms.E164)
		add("formGrouped", n.Forms.Grouped)
		add("formNational", n.Forms.National)
	}
	add("formRaw", strings.TrimSpace(n.Raw))
	return out
}

// canOpen reports whether "open in CRM" makes sense for a call: the
// background has its CRM address, or there is a public number to search.
func canOpen(cv background.CallView) bool {
	return cv.URL != "" || otherParty(cv).Kind == phone.Valid
}

// sameParty reports whether two calls are with the same person: the same
// other party, compared in E.164 when both numbers are valid, else as
// OVH sent them. Withheld callers are never the same person.
func sameParty(a, b background.CallView) bool {
	na, nb := otherParty(a), otherParty(b)
	if na.Kind == phone.Withheld || nb.Kind == phone.Withheld {
		return false
	}
	if na.Forms.E164 != "" && nb.Forms.E164 != "" {
		return na.Forms.E164 == nb.Forms.E164
	}
	ra, rb := strings.TrimSpace(na.Raw), strings.TrimSpace(nb.Raw)
	if ra == "" || rb == "" {
		return false
	}
	if ra == rb {
		return true
	}
	// One side parsed and the other not (an older view): compare digits.
	return phone.SameLine(ra, rb)
}

// history lists the earlier calls with cur's other party, newest first
// (as Recent is), without cur itself; at most max.
func history(recent []background.CallView, cur background.CallView, max int) []background.CallView {
	var out []background.CallView
	for _, cv := range recent {
		if cv.Call.Line == cur.Call.Line && cv.Call.ID == cur.Call.ID {
			continue
		}
		if sameParty(cv, cur) {
			out = append(out, cv)
			if len(out) == max {
				break
			}
		}
	}
	return out
}

// safeURL reports whether u may become a link: http and https only, so a
// view carrying javascript: or data: can never run anything.
func safeURL(u string) bool {
	l := strings.ToLower(strings.TrimSpace(u))
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

// relayState is how the popup presents the relay connection.
type relayState struct {
	Class    string // data-state for the style: ok, busy, down, settings
	Headline string // message key
	Advice   string // message key of what to do, "" when nothing
	Retry    bool   // offer "retry now"
	Settings bool   // offer "open the settings"
}

// relayStateFor maps the background's Status.State (a stable word) to
// what the popup shows; an unknown or missing state reads as not yet
// connected.
func relayStateFor(state string) relayState {
	switch state {
	case "connected":
		return relayState{Class: "ok", Headline: "relayConnected"}
	case "connecting":
		return relayState{Class: "busy", Headline: "relayConnecting"}
	case "down":
		return relayState{Class: "down", Headline: "relayDown", Advice: "relayDownAdvice", Retry: true, Settings: true}
	case "settings":
		return relayState{Class: "settings", Headline: "relaySettings", Advice: "relaySettingsAdvice", Settings: true}
	}
	return relayState{Class: "busy", Headline: "relayUnknown", Advice: "relayUnknownAdvice", Settings: true}
}

// maskSecret shows enough of an agent's secret to recognise it, never
// enough to use it: its prefix and last four characters.
func maskSecret(s string) string {
	if s == "" {
		return ""
	}
	if len(s) <= 8 {
		return strings.Repeat("•", 8)
	}
	prefix := ""
	if i := strings.IndexByte(s, '_'); i >= 0 && i < 4 {
		prefix = s[:i+1]
	}
	return prefix + strings.Repeat("•", 8) + s[len(s)-4:]
}

// reasonKeys name why a call did not pop (CallView.Reason), so the agent
// never wonders why nothing opened.
var reasonKeys = map[pop.Reason]string{
	pop.ReasonEventNotSelected:   "reasonEventNotSelected",
	pop.ReasonLineFiltered:       "reasonLineFiltered",
	pop.ReasonOutbound:           "reasonOutbound",
	pop.ReasonNotRinging:         "reasonLate",
	pop.ReasonCallOver:           "reasonLate",
	pop.ReasonWithheld:           "reasonWithheld",
	pop.ReasonInternal:           "reasonInternal",
	pop.ReasonInvalidNumber:      "reasonInvalidNumber",
	pop.ReasonCapped:             "reasonCapped",
	background.ReasonPaused:      "reasonPaused",
	background.ReasonBadTemplate: "reasonBadTemplate",
}

// notPopped says why a call did not open the CRM, or nil text (Key and
// Plain empty) when it popped or there is nothing worth saying: a
// duplicate, or an event that never pops.
func notPopped(cv background.CallView) text {
	if cv.Popped {
		return text{}
	}
	if k, ok := reasonKeys[cv.Reason]; ok {
		return msg(k)
	}
	return text{}
}
