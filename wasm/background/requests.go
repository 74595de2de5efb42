package background

import (
	"errors"
	"strconv"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
)

// Page requests and notification clicks, decided here; the worker
// (worker_js.go) reads them from runtime messages and executes the actions.

// MarkSeen marks every missed call seen: the badge count drops to 0 and
// their notifications go.
func (st *Memory) MarkSeen(env Env) []Action {
	var acts []Action
	for i := range st.Recent {
		v := &st.Recent[i]
		if v.Call.Missed && !v.Seen {
			v.Seen, st.dirty = true, true
			acts = append(acts, Action{Kind: ActionClearNote, Key: key(v.Call)})
		}
	}
	return st.withBadge(acts, env.Settings)
}

// ErrNoCall and ErrNoNumber are Open's errors.
var (
	ErrNoCall   = errors.New("this call is no longer in the list")
	ErrNoNumber = errors.New("this call has no number to search the CRM for (withheld or internal caller)")
)

// Open opens call line/id in the CRM: in the reused CRM tab in reuse-tab
// and in-page modes (the agent wants one CRM tab), else in a new tab. A
// missed call opened is seen.
func (st *Memory) Open(line, id string, env Env) ([]Action, error) {
	v := st.find(line + "|" + id)
	if v == nil {
		return nil, ErrNoCall
	}
	return st.open(v, env)
}

func (st *Memory) open(v *CallView, env Env) ([]Action, error) {
	if v.URL == "" {
		u, err := env.expand(v.Call.LastEvent, v)
		callURL(v, u, err)
	}
	if v.URL == "" {
		return nil, ErrNoNumber
	}
	k := key(v.Call)
	kind := ActionOpenTab
	switch env.Settings.Normalize().Mode {
	case settings.ModeReuseTab, settings.ModeInPage:
		kind = ActionReuseTab
	}
	acts := []Action{{Kind: kind, Key: k, URL: v.URL}}
	if v.Call.Missed && !v.Seen {
		v.Seen, st.dirty = true, true
		acts = append(acts, Action{Kind: ActionClearNote, Key: k})
	}
	return st.withBadge(acts, env.Settings), nil
}

// NoteClicked handles a click on the notification with that ID (a call
// key): button -1 is the notification itself, which opens the CRM like
// button 0 ("Open in CRM"); button 1 calls back.
func (st *Memory) NoteClicked(id string, button int, env Env) ([]Action, error) {
	v := st.find(id)
	if v == nil {
		return nil, ErrNoCall
	}
	if button > 0 {
		buttons := noteButtons(v, env)
		if button >= len(buttons) {
			return nil, errors.New("no such notification button")
		}
		acts := []Action{{Kind: ActionOpenTab, Key: id, URL: buttons[button].URL}, {Kind: ActionClearNote, Key: id}}
		return acts, nil
	}
	acts, err := st.open(v, env)
	return append(acts, Action{Kind: ActionClearNote, Key: id}), err
}

// sampleCaller is the test pop's caller, +33 6 12 34 56 82, with its forms
// written by hand: the wasm has no number parser (it is in the relay).
var sampleCaller = phone.Number{Raw: "0033612345682", Kind: phone.Valid, Region: "FR", Forms: phone.Forms{
	E164: "+33612345682", Intl00: "0033612345682", National: "0612345682", Grouped: "06 12 34 56 82",
	Dotted: "06.12.34.56.82", Digits: "33612345682", NSN: "612345682", Like: "%6%1%2%3%4%5%6%8%2",
}}

var sampleLine = phone.Number{Raw: "0033972101010", Kind: phone.Valid, Region: "FR", Forms: phone.Forms{
	E164: "+33972101010", Intl00: "0033972101010", National: "0972101010", Grouped: "09 72 10 10 10",
	Dotted: "09.72.10.10.10", Digits: "33972101010", NSN: "972101010", Like: "%9%7%2%1%0%1%0%1%0",
}}

// TestLine is the line of RequestTestPop's sample calls.
const TestLine = "test"

// TestPop pops a sample call with the current settings, so the agent sees
// the chosen mode act: rules, pause and cap do not apply (the agent asked
// for it), the mode and notifications do. The call is not listed as a
// call; the side panel shows it as the last popped.
func (st *Memory) TestPop(env Env) ([]Action, error) {
	env.Settings = env.Settings.Normalize()
	st.init()
	now := env.Now
	v := CallView{
		Call: call.Call{Line: TestLine, LineName: env.t("testPopLine"), ID: strconv.FormatInt(now.UnixMilli(), 10),
			Direction: call.Inbound, State: call.Ringing, Calling: sampleCaller.Raw, Called: sampleLine.Raw,
			RingAt: now.UTC(), LastEvent: "start_ringing"},
		Calling: sampleCaller, Called: sampleLine, Card: stream.Card{CallerName: env.t("testPopCaller")},
		Popped: true, Test: true, Since: now.UnixMilli(),
	}
	u, err := env.expand("start_ringing", &v)
	callURL(&v, u, err)
	if v.URL == "" {
		return nil, errors.New("the CRM URL template cannot be expanded: fix it in the options")
	}
	acts := popActions(&v, env)
	acts = append(acts, st.ringNote(&v, env)...)
	st.Last, st.dirty = &v, true
	return acts, nil
}

// PopFailed records that the pop of call k failed (silent mode's GET, a
// window that could not open): the view says why.
func (st *Memory) PopFailed(k, msg string) {
	if v := st.find(k); v != nil {
		v.Error, st.dirty = msg, true
	}
}

// SettingsChanged returns the badge for new settings (pause on or off).
func (st *Memory) SettingsChanged(env Env) []Action {
	return st.withBadge(nil, env.Settings.Normalize())
}
