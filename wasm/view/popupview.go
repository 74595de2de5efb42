// Package view holds what the pages show of calls: the call views the
// background keeps (CallView, Calls), how a call is labelled (labels.go),
// and the toolbar popup rendered as an HTML string, in plain Go: the one
// renderer of the popup's frame and call lists. The
// background stores what it renders (background.PopupViewKey) with every
// write of the Calls view, so popup.html can paint the current calls
// before pages.wasm has loaded (extension/pages.js); pages.wasm then
// renders the same string from the Calls view and wires it up (hydration).
//
// It imports no browser API and nothing heavy, so that the background can
// carry it: the labels come through Env (chrome.i18n's messages, the
// browser's way of writing a time).
//
// Times: the moment a call rang is written absolute ("14:05"), right
// whenever the string is painted. A running timer (ringing, in call)
// would be wrong at paint, so a view rendered without Env.Now leaves its
// text empty with data-since, and the page fills it (pages' startTimers);
// style.css keeps its line so nothing moves when it is filled.
package view

import (
	"strconv"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/stream"
)

// CallView is one call as the pages show it.
type CallView struct {
	Call    call.Call    `json:"call"`
	Calling phone.Number `json:"calling"`
	Called  phone.Number `json:"called"`
	URL     string       `json:"url,omitempty"` // the CRM URL for "open in CRM": what the pop opens (Target)
	// Target is what URL opens: pop.TargetRecord (the one matching
	// record), pop.TargetSearch, pop.TargetNew (a new contact with the
	// number) or pop.TargetChoose (the search, while the pop lets the
	// agent choose among the matches); "" in a view saved before.
	Target string `json:"target,omitempty"`
	Popped bool   `json:"popped,omitempty"` // whether it popped
	Seen   bool   `json:"seen,omitempty"`   // a missed call the agent has seen
	// Card is who the other party is (stream.Card: the caller's name,
	// the CRM records found), as the relay sent it with the call's last
	// event; empty, the pages show the number's forms.
	stream.Card

	// Reason says why the call did not pop (a pop.Reason: "capped",
	// "paused", "line-filtered", "withheld", …); "" when it popped or no
	// event of the call was one that pops.
	Reason pop.Reason `json:"reason,omitempty"`
	// Error says why its pop failed (silent mode's GET, a template that
	// cannot be expanded); "" when it did not fail.
	Error string `json:"error,omitempty"`
	// Test marks RequestTestPop's sample call: not a real call.
	Test bool `json:"test,omitempty"`
	// Since is when the extension first saw the call (Unix ms).
	Since int64 `json:"since,omitempty"`
	// Notified: the ringing notification was shown (at most once per call).
	Notified bool `json:"notified,omitempty"`
}

// ReasonPaused is CallView.Reason for a call that would have popped while
// pops were paused (settings.Paused).
const ReasonPaused pop.Reason = "paused"

// ReasonBadTemplate is CallView.Reason for a call whose CRM URL could not
// be built from the template (its Error says why).
const ReasonBadTemplate pop.Reason = "bad-template"

// Calls is the call list the pages show.
type Calls struct {
	Live         []CallView `json:"live"`              // going on now, oldest first
	Recent       []CallView `json:"recent"`            // ended, newest first, bounded
	UnseenMissed int        `json:"unseenMissed"`      // missed calls not yet seen (the badge count)
	Current      *CallView  `json:"current,omitempty"` // the call the side panel shows: the newest ringing or answered one, else the last popped
	// Upstream is the relay's link to OVH for the agent's lines, as the
	// relay said last on the connection (nil: not known, or a relay
	// older than 0.3.0): the pages show it while connected.
	Upstream *stream.Upstream `json:"upstream,omitempty"`
}

// View is what the popup shows.
type View struct {
	Live, Recent []CallView
	UnseenMissed int
	Paused       bool // pops are paused (settings.Paused)
}

// Env is what the renderer needs from the browser.
type Env struct {
	// T is the message of key with its substitutions (chrome.i18n).
	T func(key string, subs ...string) string
	// When writes a moment in the browser's language; nil writes none.
	When func(time.Time) string
	// Now renders running timers' text; zero leaves it to the page.
	Now time.Time
	// SidePanel: the browser can open a side panel (sidebar).
	SidePanel bool
}

// Page is the popup's whole content (inside <main id="app">): the bar
// with the pause switch, the relay status box (blank: the pages fill it
// from RelayStatus), the paused banner, the error line, the call lists
// (Lists, inside <div id="lists">) and the footer.
func Page(v View, e Env) string {
	e = e.memo()
	var w writer
	label, hidden := e.T("popupPopsOn"), " hidden"
	if v.Paused {
		label, hidden = e.T("popupPopsPaused"), ""
	}
	w.raw(`<div><header class="bar"><h1><span class="logo" aria-hidden="true"></span>`)
	w.esc(e.T("popupTitle"))
	w.raw(`</h1><button id="pause" type="button" role="switch" class="switch" aria-checked="`)
	w.raw(strconv.FormatBool(!v.Paused))
	w.raw(`" data-paused="`)
	w.raw(strconv.FormatBool(v.Paused))
	w.raw(`" aria-label="`)
	w.esc(e.T("popupPopsSwitch"))
	w.raw(`"><span class="track" aria-hidden="true"><span class="thumb"></span></span><span class="switch-label">`)
	w.esc(label)
	w.raw(`</span></button></header><section id="status" class="relay" role="status" aria-live="polite">`)
	// The status is not in the Calls view: its box keeps the height of
	// the one line it shows when connected, for the page to fill.
	w.raw(`<div class="relay-head" aria-hidden="true"><strong>&#8203;</strong><span class="relay-host">&#8203;</span></div></section><p id="paused-banner" class="banner"`)
	w.raw(hidden)
	w.raw(`>`)
	w.esc(e.T("popupPausedBanner"))
	w.raw(`</p><p id="popup-error" class="error" role="alert"></p><div id="lists">`)
	w.lists(&v, e)
	w.raw(`</div><footer class="bar foot">`)
	if e.SidePanel {
		w.raw(`<button id="open-sidepanel" type="button">`)
		w.esc(e.T("popupOpenSidePanel"))
		w.raw(`</button>`)
	}
	w.raw(`<button id="open-options" type="button" class="ghost">`)
	w.esc(e.T("openSettings"))
	w.raw(`</button></footer></div>`)
	return w.String()
}

// Lists is the popup's call lists: the calls going on (their section
// hidden when there is none) and the recent ones, with the missed count,
// "mark all seen" and the empty state.
func Lists(v View, e Env) string {
	var w writer
	w.lists(&v, e.memo())
	return w.String()
}

func (w *writer) lists(v *View, e Env) {
	w.raw(`<section class="calls-section"`)
	if len(v.Live) == 0 {
		w.raw(` hidden`)
	}
	w.raw(`><h2 id="live-title">`)
	w.esc(e.T("popupLive"))
	w.raw(` <span class="count">`)
	w.raw(strconv.Itoa(len(v.Live)))
	w.raw(`</span></h2><ul id="live" class="calls" aria-labelledby="live-title">`)
	for i := range v.Live {
		w.row(&v.Live[i], e)
	}
	// With calls going on and none ended, the recent calls' heading over
	// an empty list would only say nothing: the section is hidden.
	w.raw(`</ul></section><section id="recent-section" class="calls-section"`)
	if len(v.Recent) == 0 && len(v.Live) > 0 {
		w.raw(` hidden`)
	}
	w.raw(`><div class="section-head"><h2 id="recent-title">`)
	w.esc(e.T("popupRecent"))
	w.raw(`</h2>`)
	if v.UnseenMissed > 0 {
		w.raw(`<span id="missed-count" class="missed-count">`)
		w.esc(e.T("popupMissed", strconv.Itoa(v.UnseenMissed)))
		w.raw(`</span><button id="mark-seen" type="button" class="link">`)
	} else {
		w.raw(`<span id="missed-count" class="missed-count" hidden></span><button id="mark-seen" type="button" class="link" hidden>`)
	}
	w.esc(e.T("popupMarkSeen"))
	w.raw(`</button></div><ul id="recent" class="calls" aria-labelledby="recent-title">`)
	for i := range v.Recent {
		w.row(&v.Recent[i], e)
	}
	w.raw(`</ul><p id="empty" class="empty"`)
	if len(v.Live) > 0 || len(v.Recent) > 0 {
		w.raw(` hidden`)
	}
	w.raw(`><strong>`)
	w.esc(e.T("popupEmpty"))
	w.raw(`</strong><span>`)
	w.esc(e.T("popupEmptyHint"))
	w.raw(`</span></p></section>`)
}

// memo makes e.T look each message up once per render: each lookup is a
// call to chrome.i18n, and most repeat from row to row.
func (e Env) memo() Env {
	lookup, seen := e.T, map[string]string{}
	e.T = func(key string, subs ...string) string {
		k := key
		for _, s := range subs {
			k += "\x00" + s
		}
		m, ok := seen[k]
		if !ok {
			m = lookup(key, subs...)
			seen[k] = m
		}
		return m
	}
	return e
}

// row writes one call of the lists.
func (w *writer) row(c *CallView, e Env) {
	k := CallerOf(*c)
	who := k.Title.String(e.T)
	if k.Company != "" && k.Company != who {
		who += " — " + k.Company // the card's headline (Headline)
	}
	state := string(c.Call.State)
	w.raw(`<li class="call" data-state="`)
	w.esc(state)
	w.raw(`" data-id="`)
	w.esc(c.Call.ID)
	w.raw(`"`)
	if c.Call.Missed && !c.Seen {
		w.raw(` data-unseen="true"`)
	}
	dir, arrow, dirLabel := "in", "↙", e.T("callInbound")
	if c.Call.Direction == call.Outbound {
		dir, arrow, dirLabel = "out", "↗", e.T("callOutbound")
	}
	w.raw(`><span class="dir" data-dir="`)
	w.raw(dir)
	w.raw(`" title="`)
	w.esc(dirLabel)
	w.raw(`" role="img" aria-label="`)
	w.esc(dirLabel)
	w.raw(`">`)
	w.raw(arrow)
	w.raw(`</span><div class="who"><span class="name">`)
	w.esc(who)
	w.raw(`</span>`)
	switch n := len(k.Records); {
	case n == 1:
		// The record's type and owner: which record opens.
		w.raw(`<span class="record">`)
		w.esc(k.Kind.String(e.T))
		if k.Owner != "" {
			w.raw(` · `)
			w.esc(e.T("cardOwner", k.Owner))
		}
		w.raw(`</span>`)
	case n > 1:
		w.raw(`<span class="record">`)
		w.esc(e.T("popupRecords", strconv.Itoa(max(n, c.MatchCount))))
		w.raw(`</span>`)
	}
	if k.Named {
		w.raw(`<span class="number">`)
		w.esc(k.Number.String(e.T))
		w.raw(`</span>`)
	}
	w.raw(`<span class="meta">`)
	if k.Queue {
		w.esc(e.T("cardQueue", k.Line))
	} else {
		w.esc(k.Line)
	}
	if e.When != nil && !c.Call.RingAt.IsZero() {
		if at := e.When(c.Call.RingAt); at != "" {
			w.raw(` · `)
			w.esc(at)
		}
	}
	w.raw(`</span>`)
	if c.Error != "" {
		w.raw(`<span class="why error-text">`)
		w.esc(e.T("callPopError", c.Error))
		w.raw(`</span>`)
	} else if why := NotPopped(*c); why.Key != "" {
		// The reason wraps (style.css): it is the answer to "why did
		// nothing open?", never to be cut off.
		w.raw(`<span class="why">`)
		w.esc(why.String(e.T))
		w.raw(`</span>`)
	}
	w.raw(`</div><div class="state">`)
	if c.Test {
		w.raw(`<span class="chip test">`)
		w.esc(e.T("callTest"))
		w.raw(`</span>`)
	}
	w.raw(`<span class="chip" data-state="`)
	w.esc(state)
	w.raw(`">`)
	w.esc(e.T(StateKey(c.Call.State)))
	w.raw(`</span>`)
	if k := CallClock(c.Call); k.Shown {
		if k.Since.IsZero() {
			w.raw(`<span class="timer">`)
			w.raw(k.At(e.Now))
		} else {
			w.raw(`<span class="timer" data-since="`)
			w.raw(strconv.FormatInt(k.Since.UnixMilli(), 10))
			w.raw(`" role="timer">`)
			if !e.Now.IsZero() {
				w.raw(k.At(e.Now))
			}
		}
		w.raw(`</span>`)
	}
	w.raw(`</div>`)
	if CanOpen(*c) {
		w.raw(`<button type="button" class="open" data-action="open" data-line="`)
		w.esc(c.Call.Line)
		w.raw(`" data-id="`)
		w.esc(c.Call.ID)
		w.raw(`" title="`)
		w.esc(e.T("openInCRM"))
		w.raw(`" aria-label="`)
		w.esc(e.T("openCallInCRM", who))
		w.raw(`">`)
		w.esc(e.T("openShort"))
		w.raw(`</button>`)
	}
	if CanCallBack(*c) {
		w.raw(`<button type="button" class="callback" data-action="call-back" data-line="`)
		w.esc(c.Call.Line)
		w.raw(`" data-id="`)
		w.esc(c.Call.ID)
		w.raw(`" data-number="`)
		w.esc(k.Number.String(e.T))
		w.raw(`" title="`)
		w.esc(e.T("callBackWho", who))
		w.raw(`" aria-label="`)
		w.esc(e.T("callBackWho", who))
		w.raw(`">`)
		w.esc(e.T("callBack"))
		w.raw(`</button>`)
	}
	w.raw(`</li>`)
}

// writer writes HTML: raw the markup, esc every value (text or attribute).
type writer struct{ b []byte }

// raw is kept out of line: inlined, its append grew the background's
// wasm by about 20 KB of code, one copy per piece of markup.
//
//go:noinline
func (w *writer) raw(s string) { w.b = append(w.b, s...) }

// esc writes s escaped for text and for a quoted attribute value, as
// html.EscapeString does (the html package would cost the background
// its entity table).
func (w *writer) esc(s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			w.raw("&amp;")
		case '<':
			w.raw("&lt;")
		case '>':
			w.raw("&gt;")
		case '"':
			w.raw("&#34;")
		case '\'':
			w.raw("&#39;")
		default:
			w.b = append(w.b, c)
		}
	}
}

func (w *writer) String() string { return string(w.b) }
