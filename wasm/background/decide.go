// Package background is the extension's background logic, run by the service worker
// (Chrome) or background page (Firefox): it keeps the connection to the
// relay, decides what each call should do, and does it.
//
// decide.go is the deciding part: plain functions over explicit state, with
// no browser in sight, so it is unit-tested natively. The state is saved to
// extension storage after every message, because Chrome stops the worker
// at any time and all Go memory goes with it. The browser part (executing
// the actions) is in *_js.go.
package background

import (
	"strconv"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stdlite"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/wasm/view"
)

// MemoryKey is the storage key Memory lives under ("state", as saved by
// earlier versions).
const MemoryKey = "state"

// Bounds on what the state remembers.
const (
	// poppedKeep and poppedMax bound the popped calls remembered: long
	// enough that a replay after a restart never pops twice.
	poppedKeep = 24 * time.Hour
	poppedMax  = 1000
	// recentMax bounds the ended calls listed (Calls.Recent).
	recentMax = 50
	// ringingStale and liveStale end calls whose end we never heard of
	// (relay restarted, events lost): no RING badge forever.
	ringingStale = 15 * time.Minute
	liveStale    = 6 * time.Hour
)

// Memory is everything the background must remember across worker restarts.
// It is saved as JSON (codec.go, wire_gen.go) under MemoryKey after every change.
type Memory struct {
	Relay  string `json:"relay"`  // relay URL the cursor belongs to
	Cursor uint64 `json:"cursor"` // ID of the last event processed
	// Popped is every call that popped in the last day (up to poppedMax),
	// call key → when (Unix ms): one pop per call. It is saved in buckets
	// of a few calls (PoppedBucketPrefix, codec.go), the bucket of a call
	// written before its pop, not with the rest: what a message costs to
	// save must not grow with the day's calls.
	Popped map[string]int64 `json:"-"`
	Live   []CallView       `json:"-"`                // calls going on, oldest first (saved in the Calls view)
	Recent []CallView       `json:"-"`                // ended calls, newest first, at most recentMax (saved in the Calls view)
	Last   *CallView        `json:"last,omitempty"`   // the call popped last (a test pop too): the side panel's fallback
	Cap    pop.Cap          `json:"cap"`              // pops of the last minute (settings.CapPerMinute)
	Tab    int              `json:"tab,omitempty"`    // reuse-tab mode: the CRM tab (0: none yet)
	Window int              `json:"window,omitempty"` // window mode: the popup window (0: none yet)
	// Refused identifies the relay and secret the relay refused (Refusal),
	// so that a restarted worker does not try them again: Chrome restarts
	// it every 30 s (alarm), and the relay rate-limits wrong secrets.
	Refused string `json:"refused,omitempty"`
	// Agent is whom the calls are of: the relay and connection secret
	// (Refusal's form: a hash, not the secret); "" in a state saved before
	// it was kept, which is then taken to be the current agent's.
	Agent string `json:"agent,omitempty"`

	// Per connection, not saved: every connection starts with a hello.
	replayTo    uint64          // events up to this ID are a replay of what happened while away
	liveAtHello map[string]bool // calls the hello said are going on
	sweepDue    bool            // calls that ended while away are still to be settled
	unpopped    []string        // storage keys to remove: buckets of popped calls all forgotten, older forms' records
	order       []poppedAt      // Popped's calls, oldest first: prune takes from the front (prunePopped)
	saved       poppedBuckets   // the bucket each call of Popped is saved in (codec.go)
	unsaved     []string        // calls of Popped in no bucket yet: saved by the next write (poppedRecords)
	legacy      []string        // calls read from an older version's record each: removed once saved in buckets
	badge       string          // badge text shown last
	badgeShown  bool
	dirty       bool // something to save

	// upstream is the relay's link to OVH for our lines, as it said last
	// on this connection (status.go); nil: not known.
	upstream *stream.Upstream
	// relayDown: the extension cannot reach the relay, or the relay
	// refused it (status.go, RelayReachable): no call can arrive either.
	relayDown bool
}

// Env is what a decision depends on besides the state.
type Env struct {
	Settings settings.Settings
	Now      time.Time
	// T returns the localised text for a message key (chrome.i18n); nil
	// gives the key and its arguments, for tests.
	T func(key string, args ...string) string

	template    *pop.Template // Settings.Template compiled, by expand
	templateErr error
	// The preset's new-contact form compiled, and its record pages, by
	// target and ownRecords (target.go), once per message when needed.
	newContact    *pop.Template
	newContactErr error
	records       pop.Records
	recordsOK     bool
	recordsDone   bool
}

func (e Env) t(key string, args ...string) string {
	if e.T != nil {
		return e.T(key, args...)
	}
	s := key
	for i, a := range args {
		if i == 0 {
			s += ":"
		} else {
			s += "|"
		}
		s += a
	}
	return s
}

// Action is something the browser must do.
type Action struct {
	Kind   string
	Key    string // the call it is about (its notification ID too)
	URL    string
	Text   string // badge text, log line, relay error message
	Color  string // badge colour
	Width  int    // ActionOpenWindow
	Height int
	Note   *Note     // ActionNotify
	View   *CallView // ActionInPage: the call to show
}

// Action kinds.
const (
	ActionOpenTab    = "open-tab"    // a new tab on URL, focused
	ActionReuseTab   = "reuse-tab"   // navigate and focus Memory.Tab, or open it
	ActionOpenWindow = "open-window" // navigate and focus Memory.Window, or create a popup window of Width×Height
	ActionInPage     = "inpage"      // the caller card in the CRM page already open (ShowInPage)
	ActionFetch      = "fetch"       // a background GET of URL (silent mode); failures come back through PopFailed
	ActionSidePanel  = "sidepanel"   // make sure the side panel is enabled on sidepanel.html
	ActionNotify     = "notify"      // show Note (same ID: replaces the call's previous one)
	ActionClearNote  = "clear-note"  // remove the call's notification
	ActionBadge      = "badge"       // Text on the toolbar button, Color background
	ActionLog        = "log"         // Text to the console
	ActionRelayError = "relay-error" // the relay refused us: Key is the stream.Code…, Text its message
)

// Note is a notification. Firefox shows only the title, message and icon.
type Note struct {
	ID      string
	Title   string
	Message string
	Buttons []Button // Chrome: at most 2
}

// Button is a notification button and the URL it opens.
type Button struct {
	Title string
	URL   string
}

// Badge colours.
const (
	ringColor   = "#d93025" // red: a call rings
	missedColor = "#e37400" // orange: missed calls not seen yet
	pausedColor = "#5f6368" // grey: pops paused
)

func key(c call.Call) string { return c.Line + "|" + c.ID }

// Refusal identifies a relay and secret for Memory.Refused, with a hash
// of the secret rather than the secret itself.
func Refusal(relay, secret string) string {
	h := uint64(14695981039346656037) // FNV-1a
	for i := 0; i < len(secret); i++ {
		h = (h ^ uint64(secret[i])) * 1099511628211
	}
	return relay + " " + strconv.FormatUint(h, 36)
}

// Reset forgets what belonged to the relay or agent of before when the
// settings name another (a relay URL, a connection string): the cursor
// (cursors of one relay mean nothing to another), the calls going on and
// ended, the last pop (the side panel's fallback), their notifications,
// the relay's upstream state. The badge is set again and the views the
// pages read are written again from that (Dirty). What popped (one pop
// per call), the cap and the reused CRM tab or window stay: they are the
// browser's, not the relay's.
func (st *Memory) Reset(relay string) []Action {
	var acts []Action
	for _, list := range [][]CallView{st.Live, st.Recent} {
		for _, v := range list {
			if v.Notified || v.Call.Missed && !v.Seen {
				acts = append(acts, Action{Kind: ActionClearNote, Key: key(v.Call)})
			}
		}
	}
	st.Relay, st.Cursor, st.Live, st.Recent, st.Last = relay, 0, nil, nil, nil
	st.replayTo, st.liveAtHello, st.sweepDue = 0, nil, false
	st.upstream = nil
	st.badgeShown = false
	st.dirty = true
	return acts
}

func (st *Memory) init() {
	if st.Popped == nil {
		st.Popped = map[string]int64{}
	}
}

// forget drops the popped call k, and its saved record when it was the
// last of its bucket (poppedBuckets.forget).
func (st *Memory) forget(k string) {
	delete(st.Popped, k)
	if gone := st.saved.forget(k); gone != "" {
		st.unpopped = append(st.unpopped, gone)
	}
}

// Dirty reports whether the state changed since the last call to Dirty.
func (st *Memory) Dirty() bool {
	d := st.dirty
	st.dirty = false
	return d
}

// Handle processes one message from the relay and returns what to do.
func (st *Memory) Handle(raw []byte, env Env) ([]Action, error) {
	m, err := decodeMessage(raw)
	if err != nil {
		return nil, err
	}
	st.init()
	env.Settings = env.Settings.Normalize()
	var acts []Action
	switch m.Type {
	case stream.TypeHello:
		if m.Hello == nil {
			return nil, nil
		}
		acts = st.hello(m.Hello, env)
		st.setUpstream(m.Hello.Upstream)
	case stream.TypeEvent:
		if m.Event == nil || m.ID != 0 && m.ID <= st.Cursor {
			return nil, nil // already processed (replayed twice)
		}
		if m.ID != 0 {
			st.Cursor = m.ID
		}
		st.dirty = true
		acts = st.event(m.ID, m.Event, env)
		if st.sweepDue && m.ID >= st.replayTo {
			acts = append(acts, st.sweep(env)...) // the replay is over
		}
	case stream.TypeUpstream:
		st.setUpstream(m.Upstream)
	case stream.TypePing:
		// The relay sends the whole replay before its first ping.
		if st.sweepDue {
			acts = st.sweep(env)
		}
	case stream.TypeGap:
		acts = append(acts, Action{Kind: ActionLog, Text: "the relay could not replay everything since our cursor; some calls may be missing from the history"})
		if m.Gap != nil && m.Gap.Oldest == 0 && st.sweepDue {
			acts = append(acts, st.sweep(env)...) // nothing will be replayed
		}
	case stream.TypeError:
		if m.Error != nil {
			if m.Error.Code == stream.CodeBadCursor {
				st.Cursor, st.dirty = 0, true
			}
			acts = append(acts, Action{Kind: ActionRelayError, Key: m.Error.Code, Text: m.Error.Message})
		}
	}
	st.prune(env.Now)
	return st.withBadge(acts, env.Settings), nil
}

// hello starts a connection: the relay's live calls, and the cursor the
// replay (if any) runs up to.
func (st *Memory) hello(h *stream.Hello, env Env) []Action {
	st.dirty = true
	st.liveAtHello = make(map[string]bool, len(h.Live))
	var acts []Action
	for _, lc := range h.Live {
		k := key(lc.Call)
		st.liveAtHello[k] = true
		v := st.take(k)
		if v.Since == 0 {
			v.Since = env.Now.UnixMilli()
		}
		v.Call, v.Calling, v.Called = lc.Call, lc.Calling, lc.Called
		if HasCard(lc.Card) {
			v.Card = lc.Card
			env.ownRecords(&v.Card)
		}
		tg, u, err := env.target(lc.Call.LastEvent, &v)
		setURL(&v, tg, u, err)
		// A call still ringing that never popped (it rang while the
		// worker slept, or before the first connection) pops now.
		acts = append(acts, st.decide(lc.Call.LastEvent, &v, u, err, env)...)
		acts = append(acts, st.ringNote(&v, env)...)
		st.Live = append(st.Live, v)
	}
	sortLive(st.Live)
	// Calls we had going on that the relay no longer lists ended while we
	// were away: to the history now (no RING for them), settled by the
	// replay's events or, failing those, by sweep.
	keep := st.Live[:0]
	for _, v := range st.Live {
		if st.liveAtHello[key(v.Call)] {
			keep = append(keep, v)
		} else {
			st.addRecent(v)
		}
	}
	st.Live = keep
	if st.Cursor == 0 || st.Cursor >= h.Cursor {
		// First connection, nothing new, or a relay that restarted and
		// lost its log: no replay comes, start from now.
		st.Cursor, st.replayTo = h.Cursor, 0
		return append(acts, st.sweep(env)...)
	}
	st.replayTo, st.sweepDue = h.Cursor, true
	return acts
}

// event applies one event to its call's view and decides what to do.
//
// A replayed event (ID up to the hello's cursor) of a call the hello did not
// list happened while the worker was away and the call is over since: it
// never pops nor notifies ringing. Its later events, in the same replay,
// end it in the history (a missed call counts and notifies as missed).
func (st *Memory) event(id uint64, ev *stream.Event, env Env) []Action {
	c := ev.Call
	k := key(c)
	replayed := id != 0 && id <= st.replayTo
	over := replayed && !st.liveAtHello[k]
	v := st.take(k)
	wasMissed := v.Call.Missed
	if v.Since == 0 {
		v.Since = env.Now.UnixMilli()
	}
	if !replayed || over || v.Call.ID == "" {
		v.Call = c
	} // else the hello's state of the call is newer than the replayed event's
	v.Calling, v.Called = ev.Calling, ev.Called
	cardChanged := false
	if HasCard(ev.Card) {
		card := ev.Card // what the relay knows of the caller; a later event without it keeps it
		env.ownRecords(&card)
		cardChanged = !SameCard(v.Card, card)
		v.Card = card
	}
	var acts []Action
	if v.Call.Live() && !over {
		tg, u, err := env.target(ev.Name, &v)
		setURL(&v, tg, u, err)
		notified := v.Notified
		acts = append(acts, st.decide(ev.Name, &v, u, err, env)...)
		acts = append(acts, st.ringNote(&v, env)...)
		if cardChanged && notified && v.Call.State == call.Ringing {
			// A follow-up card (the relay's live lookup): the
			// notification names the caller now; no second pop.
			acts = append(acts, Action{Kind: ActionNotify, Key: k, Note: ringingNote(&v, env)})
		}
		st.Live = append(st.Live, v)
		sortLive(st.Live)
		return acts
	}
	switch {
	case v.Call.Missed && !wasMissed && !v.Seen && env.Settings.Notify:
		acts = append(acts, Action{Kind: ActionNotify, Key: k, Note: missedNote(&v, env)})
	case !v.Call.Missed && v.Notified:
		// "Incoming call" is stale once the call is over. (Not cleared on
		// answer: in notify mode the agent answers, then clicks it.)
		v.Notified = false
		acts = append(acts, Action{Kind: ActionClearNote, Key: k})
	}
	st.addRecent(v)
	return acts
}

// take removes the view of call k from the live or recent calls and
// returns it (a new one if unknown).
func (st *Memory) take(k string) CallView {
	if v, ok := remove(&st.Live, k); ok {
		return v
	}
	v, _ := remove(&st.Recent, k)
	return v
}

// remove takes the view of call k out of list. (Loops rather than
// slices.IndexFunc and Delete: their generic code over CallView keeps
// time.Time's formatting in the wasm, +20 KB gzipped on background.wasm,
// measured with Go 1.26.)
func remove(list *[]CallView, k string) (CallView, bool) {
	l := *list
	for i := range l {
		if key(l[i].Call) == k {
			v := l[i]
			copy(l[i:], l[i+1:])
			l[len(l)-1] = CallView{}
			*list = l[:len(l)-1]
			return v, true
		}
	}
	return CallView{}, false
}

func (st *Memory) find(k string) *CallView {
	for i := range st.Live {
		if key(st.Live[i].Call) == k {
			return &st.Live[i]
		}
	}
	for i := range st.Recent {
		if key(st.Recent[i].Call) == k {
			return &st.Recent[i]
		}
	}
	if st.Last != nil && key(st.Last.Call) == k {
		return st.Last
	}
	return nil
}

func (st *Memory) addRecent(v CallView) {
	st.Recent = append(st.Recent, CallView{})
	copy(st.Recent[1:], st.Recent)
	st.Recent[0] = v
	if len(st.Recent) > recentMax {
		st.Recent = st.Recent[:recentMax]
	}
}

// sortLive keeps the live calls oldest first.
func sortLive(live []CallView) {
	for i := 1; i < len(live); i++ { // insertion sort: stable, and the list is short and nearly sorted
		for j := i; j > 0 && live[j].Since < live[j-1].Since; j-- {
			live[j], live[j-1] = live[j-1], live[j]
		}
	}
}

// expand is the CRM URL for one event of the call: the template, compiled
// once per message (Handle), expanded once per event; the pop and "open in
// CRM" share it.
func (e *Env) expand(event string, v *CallView) (string, error) {
	if e.template == nil && e.templateErr == nil {
		e.template, e.templateErr = pop.Compile(e.Settings.Template)
	}
	if e.templateErr != nil {
		return "", e.templateErr
	}
	vals := pop.ValuesFor(event, v.Call, v.Calling, v.Called)
	vals.Other = view.OtherParty(*v)
	return e.template.Expand(vals)
}

// callURL sets v.URL, the CRM URL for "open in CRM", from an expansion
// when the other party is a number the CRM can be searched for and the
// call has none yet.
func callURL(v *CallView, u string, err error) {
	if v.URL == "" && err == nil && view.OtherParty(*v).Kind == phone.Valid {
		v.URL = u
	}
}

// decide runs the pop rules, the pause and the cap for one event of a live
// call, and returns the pop's actions (none when it does not pop; then
// v.Reason says why, if the event was one that pops).
//
// u and err are the event's expansion of the template (Env.expand).
func (st *Memory) decide(event string, v *CallView, u string, err error, env Env) []Action {
	s := env.Settings
	k := key(v.Call)
	_, popped := st.Popped[k]
	ok, reason := s.Rules.ShouldPop(event, v.Call, view.OtherParty(*v), popped)
	if !ok {
		switch reason {
		case pop.ReasonNotACall, pop.ReasonEventNotSelected, pop.ReasonDuplicate:
			// Not a decision about this call: keep the last one.
		default:
			v.Reason = reason
		}
		return nil
	}
	if err != nil {
		v.Reason, v.Error = ReasonBadTemplate, err.Error()
		return []Action{{Kind: ActionLog, Text: "cannot build the CRM URL: " + err.Error() + "; fix the template in the options"}}
	}
	v.URL = u
	if s.Paused {
		v.Reason = ReasonPaused
		return nil
	}
	if !st.Cap.Allow(env.Now, s.CapPerMinute) {
		v.Reason = pop.ReasonCapped
		return nil
	}
	st.addPopped(k, env.Now.UnixMilli())
	v.Popped, v.Reason, v.Error = true, "", ""
	last := *v
	st.Last = &last
	return popActions(v, env)
}

// popActions is what the pop does in each mode.
func popActions(v *CallView, env Env) []Action {
	s := env.Settings
	k := key(v.Call)
	if choosing(v, s) {
		// The agent chooses among the matches in the side panel: the
		// notification (ringNote) and the badge say so.
		return []Action{{Kind: ActionSidePanel, Key: k}}
	}
	switch s.Mode {
	case settings.ModeReuseTab:
		return []Action{{Kind: ActionReuseTab, Key: k, URL: v.URL}}
	case settings.ModeWindow:
		return []Action{{Kind: ActionOpenWindow, Key: k, URL: v.URL, Width: s.WindowWidth, Height: s.WindowHeight}}
	case settings.ModeSidePanel:
		// The side panel can't be opened without a click: it shows
		// Calls.Current when open; the notification (ringNote) and the
		// badge tell the agent to look.
		return []Action{{Kind: ActionSidePanel, Key: k}}
	case settings.ModeInPage:
		view := *v
		return []Action{{Kind: ActionInPage, Key: k, URL: v.URL, View: &view}}
	case settings.ModeSilent:
		return []Action{{Kind: ActionFetch, Key: k, URL: v.URL}}
	case settings.ModeNotify:
		return nil // the notification is the pop (ringNote)
	}
	return []Action{{Kind: ActionOpenTab, Key: k, URL: v.URL}}
}

// ringNote shows the ringing notification, once per call: when the agent
// wants notifications, when the notification is the pop (notify and side
// panel modes), and when the cap held the pop back (the agent must still
// learn of the call).
func (st *Memory) ringNote(v *CallView, env Env) []Action {
	if v.Call.State != call.Ringing || v.Notified {
		return nil
	}
	s := env.Settings
	isPop := v.Popped && (s.Mode == settings.ModeNotify || s.Mode == settings.ModeSidePanel || choosing(v, s))
	if !s.Notify && !isPop && v.Reason != pop.ReasonCapped {
		return nil
	}
	v.Notified = true
	return []Action{{Kind: ActionNotify, Key: key(v.Call), Note: ringingNote(v, env)}}
}

// sweep settles the calls that ended while the worker was away without
// the replay telling how: a call that was ringing was missed, any other
// is over.
func (st *Memory) sweep(env Env) []Action {
	st.sweepDue = false
	var acts []Action
	for i := range st.Recent {
		if st.Recent[i].Call.Live() {
			acts = append(acts, st.settle(&st.Recent[i], env)...)
		}
	}
	return acts
}

// settle ends a call whose end was never received.
func (st *Memory) settle(v *CallView, env Env) []Action {
	st.dirty = true
	v.Call.Settle(env.Now)
	if v.Call.Missed && !v.Seen && env.Settings.Notify {
		return []Action{{Kind: ActionNotify, Key: key(v.Call), Note: missedNote(v, env)}}
	}
	return nil
}

// UnseenMissed counts the missed calls the agent has not seen.
func (st *Memory) UnseenMissed() int {
	n := 0
	for _, v := range st.Recent {
		if v.Call.Missed && !v.Seen {
			n++
		}
	}
	return n
}

func (st *Memory) ringing() bool {
	for _, v := range st.Live {
		if v.Call.State == call.Ringing {
			return true
		}
	}
	return false
}

// Badge returns the toolbar badge: RING (red) while a call rings, else
// the number of missed calls not seen (orange), else OFF (grey) while
// pops are paused, else nothing.
func (st *Memory) Badge(s settings.Settings) (text, color string) {
	switch n := st.UnseenMissed(); {
	case st.ringing():
		return "RING", ringColor
	case st.noCallCanArrive():
		return noCallsBadge, noCallsColor
	case n > 99:
		return "99+", missedColor
	case n > 0:
		return strconv.Itoa(n), missedColor
	case s.Paused:
		return "OFF", pausedColor
	}
	return "", ""
}

// withBadge appends a badge action when the badge changed.
func (st *Memory) withBadge(acts []Action, s settings.Settings) []Action {
	text, color := st.Badge(s)
	if st.badgeShown && text == st.badge {
		return acts
	}
	st.badge, st.badgeShown = text, true
	return append(acts, Action{Kind: ActionBadge, Text: text, Color: color})
}

// ForgetBadge makes the next decision set the badge again (a new worker
// does not know what the toolbar shows).
func (st *Memory) ForgetBadge() { st.badgeShown = false }

// View is what the pages show (stored under CallsKey).
func (st *Memory) View() Calls {
	c := Calls{Live: st.Live, Recent: st.Recent, UnseenMissed: st.UnseenMissed(), Upstream: st.upstream}
	if c.Live == nil {
		c.Live = []CallView{}
	}
	if c.Recent == nil {
		c.Recent = []CallView{}
	}
	// The side panel shows the newest ringing call, else the newest one
	// going on, else the last one that popped.
	for i := len(st.Live) - 1; i >= 0 && c.Current == nil; i-- {
		if st.Live[i].Call.State == call.Ringing {
			c.Current = &st.Live[i]
		}
	}
	if c.Current == nil && len(st.Live) > 0 {
		c.Current = &st.Live[len(st.Live)-1]
	}
	if c.Current == nil && st.Last != nil {
		c.Current = st.Last
		if v := st.find(key(st.Last.Call)); v != nil {
			c.Current = v
		}
	}
	return c
}

func (st *Memory) prune(now time.Time) {
	st.prunePopped(now.Add(-poppedKeep).UnixMilli())
	// A call whose end we never heard of (relay restarted, gap) must not
	// show RING forever.
	ms := now.UnixMilli()
	keep := st.Live[:0]
	var gone []CallView
	for _, v := range st.Live {
		age := time.Duration(ms-v.Since) * time.Millisecond
		if v.Since > 0 && (v.Call.State == call.Ringing && age > ringingStale || age > liveStale) {
			gone = append(gone, v)
			continue
		}
		keep = append(keep, v)
	}
	st.Live = keep
	for _, v := range gone {
		st.settle(&v, Env{}) // no notification for a call this old
		st.addRecent(v)
	}
}

// poppedAt is a call of Memory.Popped and when it popped.
type poppedAt struct {
	key string
	at  int64
}

// addPopped records that call k popped at (Unix ms).
func (st *Memory) addPopped(k string, at int64) {
	st.init()
	st.Popped[k] = at
	st.unsaved = append(st.unsaved, k) // its bucket is written before its pop (worker.do)
	if len(st.order) != len(st.Popped)-1 {
		return // not in order yet: prunePopped sorts them all
	}
	// After the last, but for a clock that went back (or calls popped in
	// the same millisecond): an insertion from the end.
	p := poppedAt{k, at}
	st.order = append(st.order, p)
	i := len(st.order) - 1
	for ; i > 0 && before(p, st.order[i-1]); i-- {
		st.order[i] = st.order[i-1]
	}
	st.order[i] = p
}

func before(a, b poppedAt) bool { return a.at < b.at || a.at == b.at && a.key < b.key }

// prunePopped forgets the popped calls older than cut (Unix ms) and,
// past poppedMax, the oldest. Its work per message is what it forgets:
// the calls are kept oldest first (Memory.order), and only popped calls
// added without addPopped (read from storage, or from an older form)
// cost a sort, once, at load.
func (st *Memory) prunePopped(cut int64) {
	if len(st.order) != len(st.Popped) {
		keys := make([]string, 0, len(st.Popped))
		for k := range st.Popped {
			keys = append(keys, k)
		}
		stdlite.SortStrings(keys, func(a, b string) bool {
			return before(poppedAt{a, st.Popped[a]}, poppedAt{b, st.Popped[b]})
		})
		st.order = st.order[:0]
		for _, k := range keys {
			st.order = append(st.order, poppedAt{k, st.Popped[k]})
		}
	}
	drop := 0
	for _, o := range st.order {
		if o.at >= cut && len(st.Popped) <= poppedMax {
			break
		}
		st.forget(o.key)
		drop++
	}
	if drop > 0 {
		st.order = append(st.order[:0], st.order[drop:]...)
	}
}
