package pages

// The pages' decisions that need no browser: how a call, a number, a
// duration or the relay's state is shown. The _js.go files only turn what
// these return into elements; these are tested natively (calls_test.go).

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/wasm/background"
	"github.com/screenpop/screenpop/wasm/view"
)

// missed reports whether a call was never answered by anyone here: the
// calls the badge counts and "mark all seen" clears (the relay decides it:
// call.Call.Missed).
func missed(cv background.CallView) bool { return cv.Call.Missed }

// named reports whether callerLabel shows a name rather than the number.
func named(cv background.CallView) bool {
	l := view.CallerLabel(cv)
	return l.Key == "" && l.Plain != view.NumberLabel(view.OtherParty(cv), view.LinePart(cv).Region).Plain
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

// sameParty reports whether two calls are with the same person: the same
// other party, compared in E.164 when both numbers are valid, else as
// OVH sent them. Withheld callers are never the same person.
func sameParty(a, b background.CallView) bool {
	na, nb := view.OtherParty(a), view.OtherParty(b)
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

// newContactURL is the new-contact form for call cv's number in the CRM
// of settings s (its preset and address), or "" when the preset has none
// or the number is not one.
func newContactURL(s settings.Settings, cv background.CallView) string {
	other := view.OtherParty(cv)
	if other.Kind != phone.Valid {
		return ""
	}
	tm, err := pop.NewContactTemplate(s.Preset, s.CRMBase)
	if err != nil || tm == "" {
		return ""
	}
	vals := pop.ValuesFor(cv.Call.LastEvent, cv.Call, cv.Calling, cv.Called)
	vals.Other = other
	u, err := pop.Expand(tm, vals)
	if err != nil {
		return ""
	}
	return u
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

// upstreamNote is what the pages say while the relay, connected, says no
// call can arrive on the agent's lines (stream.Upstream): the detail and
// what to do, as message keys, with the moments the detail names.
type upstreamNote struct {
	Detail  string    // message key; $1 is Since, $2 NextTry
	Advice  string    // message key
	Since   time.Time // when it began (the zero time: not known)
	NextTry time.Time // when the relay tries again (the zero time: now, or not known)
}

// upstreamWarning is the note for u; false when there is nothing to
// warn about (calls can arrive, or the relay did not say).
func upstreamWarning(u *stream.Upstream) (upstreamNote, bool) {
	if u == nil || stream.CallsArrive(u.State) {
		return upstreamNote{}, false
	}
	n := upstreamNote{Since: u.Since, NextTry: u.NextTry}
	switch u.State {
	case stream.UpstreamRejected:
		n.Detail, n.Advice = "upstreamRejected", "upstreamRejectedAdvice"
	case stream.UpstreamBackoff:
		n.Detail, n.Advice = "upstreamBackoff", "upstreamBackoffAdvice"
		if u.NextTry.IsZero() {
			n.Detail = "upstreamBackoffNow"
		}
	case stream.UpstreamRenewing:
		n.Detail, n.Advice = "upstreamRenewing", "upstreamRenewingAdvice"
	default: // stream.UpstreamNoToken
		n.Detail, n.Advice = "upstreamNoToken", "upstreamNoTokenAdvice"
	}
	return n, true
}

// sentence makes a message of the relay's (lower-case, no final stop, as
// Go errors are written) a sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if r, size := utf8.DecodeRuneInString(s); unicode.IsLower(r) {
		s = string(unicode.ToUpper(r)) + s[size:]
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s
}

// codeSpans splits text written with `code` spans (the relay's messages
// name commands that way, for a terminal) into its parts: odd indexes
// are code, shown as <code>, never with the backticks. An unpaired
// backtick is kept as text.
func codeSpans(s string) []string {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an odd number of backticks: the last one is text
		last := len(parts) - 1
		parts[last-1] += "`" + parts[last]
		parts = parts[:last]
	}
	return parts
}
