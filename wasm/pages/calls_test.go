package pages

import (
	"fmt"
	"github.com/screenpop/screenpop/wasm/view"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/wasm/background"
)

func TestFormatDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0:00"},
		{-3 * time.Second, "0:00"},
		{999 * time.Millisecond, "0:00"},
		{5 * time.Second, "0:05"},
		{59 * time.Second, "0:59"},
		{time.Minute, "1:00"},
		{12*time.Minute + 7*time.Second, "12:07"},
		{59*time.Minute + 59*time.Second, "59:59"},
		{time.Hour, "1:00:00"},
		{2*time.Hour + 3*time.Minute + 4*time.Second, "2:03:04"},
		{100 * time.Hour, "100:00:00"},
	} {
		if got := view.FormatDuration(tt.d); got != tt.want {
			t.Errorf("view.FormatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestCallClock(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	now := t0.Add(90 * time.Second)
	for _, tt := range []struct {
		name string
		c    call.Call
		want string
	}{
		{"ringing counts from the ring", call.Call{State: call.Ringing, RingAt: t0}, "1:30"},
		{"dialing counts from the dial", call.Call{State: call.Dialing, RingAt: t0.Add(80 * time.Second)}, "0:10"},
		{"answered counts the conversation", call.Call{State: call.Answered, RingAt: t0, AnswerAt: t0.Add(20 * time.Second)}, "1:10"},
		{"ringing with its start unseen shows nothing", call.Call{State: call.Ringing}, ""},
		{"answered with the answer unseen shows nothing", call.Call{State: call.Answered, RingAt: t0}, ""},
		{"ended shows the conversation", call.Call{State: call.Ended, RingAt: t0, AnswerAt: t0.Add(5 * time.Second), EndAt: t0.Add(65 * time.Second)}, "1:00"},
		{"missed shows how long it rang", call.Call{State: call.Missed, RingAt: t0, EndAt: t0.Add(25 * time.Second)}, "0:25"},
		{"abandoned shows how long it rang", call.Call{State: call.Abandoned, RingAt: t0, EndAt: t0.Add(3 * time.Second)}, "0:03"},
		{"ended without times shows nothing", call.Call{State: call.Ended}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := view.CallClock(tt.c).At(now); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// A running timer moves with the clock; a stopped one does not.
	running := view.CallClock(call.Call{State: call.Ringing, RingAt: t0})
	stopped := view.CallClock(call.Call{State: call.Missed, RingAt: t0, EndAt: t0.Add(time.Second)})
	if a, b := running.At(now), running.At(now.Add(time.Second)); a == b {
		t.Errorf("a ringing call's timer did not move: %q then %q", a, b)
	}
	if a, b := stopped.At(now), stopped.At(now.Add(time.Hour)); a != b {
		t.Errorf("a missed call's duration moved: %q then %q", a, b)
	}
}

func TestStateKey(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range []call.State{call.Ringing, call.Answered, call.Ended, call.Missed, call.Abandoned, call.Dialing} {
		k := view.StateKey(s)
		if k == "stateUnknown" || seen[k] {
			t.Errorf("state %q has key %q", s, k)
		}
		seen[k] = true
	}
	if view.StateKey("weird") != "stateUnknown" {
		t.Error("an unknown state must still have a label")
	}
}

var (
	mobile = phone.Number{Raw: "0033612345682", Kind: phone.Valid, Region: "FR", Forms: phone.Forms{
		E164: "+33612345682", National: "0612345682", Grouped: "06 12 34 56 82"}}
	usNumber = phone.Number{Raw: "0014155550184", Kind: phone.Valid, Region: "US", Forms: phone.Forms{
		E164: "+14155550184", National: "4155550184", Grouped: "(415) 555-0184"}}
	lineNum = phone.Number{Raw: "0033972101010", Kind: phone.Valid, Region: "FR", Forms: phone.Forms{
		E164: "+33972101010", National: "0972101010", Grouped: "09 72 10 10 10"}}
)

func viewOf(id string, calling phone.Number, state call.State) background.CallView {
	return background.CallView{
		Call: call.Call{Line: "0033972101010", LineName: "Accueil", ID: id, Direction: call.Inbound, State: state, Calling: calling.Raw, Called: lineNum.Raw,
			Missed: state == call.Missed || state == call.Abandoned}, // as the relay sends it
		Calling: calling, Called: lineNum,
	}
}

func TestNumberLabel(t *testing.T) {
	tr := func(k string, subs ...string) string { return k + "(" + strings.Join(subs, ",") + ")" }
	for _, tt := range []struct {
		name string
		n    phone.Number
		home string
		want string
	}{
		{"home country: grouped", mobile, "FR", "06 12 34 56 82"},
		{"unknown home: grouped", mobile, "", "06 12 34 56 82"},
		{"abroad: international", usNumber, "FR", "+14155550184"},
		{"withheld", phone.Number{Raw: "anonymous", Kind: phone.Withheld}, "FR", "numberWithheld()"},
		{"internal", phone.Number{Raw: "201", Kind: phone.Internal}, "FR", "numberInternal(201)"},
		{"garbage as it came", phone.Number{Raw: "12ab", Kind: phone.Invalid}, "FR", "12ab"},
		{"not parsed, empty", phone.Number{}, "FR", "numberWithheld()"},
		{"not parsed, raw", phone.Number{Raw: "0033612345682"}, "FR", "0033612345682"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := view.NumberLabel(tt.n, tt.home).String(tr); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCallerAndLineLabels(t *testing.T) {
	tr := func(k string, subs ...string) string { return k }
	cv := viewOf("1", mobile, call.Ringing)
	if got := view.CallerLabel(cv).String(tr); got != "06 12 34 56 82" {
		t.Errorf("caller = %q", got)
	}
	if got := view.LineLabel(cv); got != "Accueil" {
		t.Errorf("line = %q", got)
	}
	cv.Call.LineName = ""
	if got := view.LineLabel(cv); got != "09 72 10 10 10" {
		t.Errorf("unnamed line = %q", got)
	}
	cv.Matches = []stream.Match{{Name: "Jeanne Martin", Module: "Contacts", URL: "https://crm/1"}}
	if got := view.CallerLabel(cv).String(tr); got != "Jeanne Martin" {
		t.Errorf("one match: caller = %q", got)
	}
	cv.Matches = append(cv.Matches, stream.Match{Name: "Martin SARL", Module: "Accounts"})
	if got := view.CallerLabel(cv).String(tr); got != "06 12 34 56 82" {
		t.Errorf("two matches: the number, not a guess; got %q", got)
	}

	// Outbound: the other party is the called number.
	out := background.CallView{
		Call:    call.Call{Line: lineNum.Raw, ID: "2", Direction: call.Outbound, State: call.Dialing, Calling: lineNum.Raw, Called: usNumber.Raw},
		Calling: lineNum, Called: usNumber,
	}
	if got := view.CallerLabel(out).String(tr); got != "+14155550184" {
		t.Errorf("outbound caller = %q", got)
	}
	if got := view.LineLabel(out); got != "09 72 10 10 10" {
		t.Errorf("outbound line = %q", got)
	}
	// A view without parsed numbers falls back to the raw call fields.
	bare := background.CallView{Call: call.Call{Line: "0033972101010", ID: "3", Direction: call.Inbound, Calling: "0033612345682"}}
	if got := view.CallerLabel(bare).String(tr); got != "0033612345682" {
		t.Errorf("bare caller = %q", got)
	}
	if got := view.LineLabel(bare); got != "0033972101010" {
		t.Errorf("bare line = %q", got)
	}
}

func TestNumberForms(t *testing.T) {
	got := fmt.Sprint(numberForms(mobile))
	want := "[{formE164 +33612345682} {formGrouped 06 12 34 56 82} {formNational 0612345682} {formRaw 0033612345682}]"
	if got != want {
		t.Errorf("forms = %s, want %s", got, want)
	}
	if got := fmt.Sprint(numberForms(phone.Number{Raw: "201", Kind: phone.Internal})); got != "[{formRaw 201}]" {
		t.Errorf("internal forms = %s", got)
	}
	if got := numberForms(phone.Number{Kind: phone.Withheld}); len(got) != 0 {
		t.Errorf("withheld forms = %v", got)
	}
	// Same spelling twice is listed once.
	n := mobile
	n.Raw = "+33612345682"
	if got := len(numberForms(n)); got != 3 {
		t.Errorf("duplicate forms listed: %v", numberForms(n))
	}
}

func TestHistory(t *testing.T) {
	other := mobile
	other.Raw, other.Forms.E164 = "0033612345699", "+33612345699"
	samePlus := mobile
	samePlus.Raw = "+33612345682" // same person, spelt differently by OVH
	unparsed := phone.Number{Raw: "0033612345682"}
	withheld := phone.Number{Raw: "anonymous", Kind: phone.Withheld}

	cur := viewOf("now", mobile, call.Ringing)
	recent := []background.CallView{
		viewOf("a", mobile, call.Missed),
		viewOf("b", other, call.Ended),
		viewOf("c", samePlus, call.Ended),
		viewOf("now", mobile, call.Missed), // the current call itself, already over
		viewOf("d", unparsed, call.Missed),
		viewOf("e", withheld, call.Missed),
		viewOf("f", mobile, call.Ended),
	}
	ids := func(cvs []background.CallView) string {
		var s []string
		for _, cv := range cvs {
			s = append(s, cv.Call.ID)
		}
		return strings.Join(s, ",")
	}
	if got := ids(history(recent, cur, 10)); got != "a,c,d,f" {
		t.Errorf("history = %s, want a,c,d,f", got)
	}
	if got := ids(history(recent, cur, 2)); got != "a,c" {
		t.Errorf("bounded history = %s, want a,c", got)
	}
	if got := ids(history(recent, viewOf("w", withheld, call.Ringing), 10)); got != "" {
		t.Errorf("withheld callers are nobody's history, got %s", got)
	}
	if got := ids(history(nil, cur, 10)); got != "" {
		t.Errorf("empty history = %s", got)
	}
}

func TestMissedAndCanOpen(t *testing.T) {
	if !missed(viewOf("1", mobile, call.Missed)) || !missed(viewOf("1", mobile, call.Abandoned)) {
		t.Error("missed and abandoned inbound calls are missed")
	}
	if missed(viewOf("1", mobile, call.Ended)) {
		t.Error("an answered call is not missed")
	}
	// (Which calls are missed is internal/call's rule, tested there.)
	if !view.CanOpen(viewOf("1", mobile, call.Ended)) {
		t.Error("a valid number can be searched")
	}
	w := viewOf("1", phone.Number{Raw: "anonymous", Kind: phone.Withheld}, call.Ended)
	if view.CanOpen(w) {
		t.Error("a withheld number can't be searched")
	}
	w.URL = "https://crm.example.com/"
	if !view.CanOpen(w) {
		t.Error("a call with a CRM address can be opened")
	}
}

func TestSafeURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://crm.example.com/x": true,
		"HTTP://crm/":               true,
		" https://a":                true,
		"javascript:alert(1)":       false,
		"data:text/html,x":          false,
		"//crm.example.com":         false,
		"":                          false,
	} {
		if got := safeURL(u); got != want {
			t.Errorf("safeURL(%q) = %v", u, got)
		}
	}
}

func TestRelayStateFor(t *testing.T) {
	for _, tt := range []struct {
		state, class    string
		retry, settings bool
	}{
		{"connected", "ok", false, false},
		{"connecting", "busy", false, false},
		{"down", "down", true, true},
		{"settings", "settings", false, true},
		{"", "busy", false, true},
		{"something-new", "busy", false, true},
	} {
		rs := relayStateFor(tt.state)
		if rs.Class != tt.class || rs.Retry != tt.retry || rs.Settings != tt.settings || rs.Headline == "" {
			t.Errorf("relayStateFor(%q) = %+v", tt.state, rs)
		}
	}
}

func TestMaskSecret(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "",
		"sp_abc":                         "••••••••",
		"sp_0123456789abcdefghijWXYZ":    "sp_••••••••WXYZ",
		"nounderscore0123456789abcdWXYZ": "••••••••WXYZ",
	} {
		got := maskSecret(in)
		if got != want {
			t.Errorf("maskSecret(%q) = %q, want %q", in, got, want)
		}
		if len(in) > 8 && strings.Contains(got, in[4:len(in)-4]) {
			t.Errorf("maskSecret(%q) shows the secret's middle", in)
		}
	}
}

func TestNamedCaller(t *testing.T) {
	tr := func(k string, subs ...string) string { return k }
	cv := viewOf("1", mobile, call.Ringing)
	if named(cv) {
		t.Error("a bare number is not a name")
	}
	cv.CallerName = "0033612345682" // a queue's CID name that is only the number
	if named(cv) || view.CallerLabel(cv).String(tr) != "06 12 34 56 82" {
		t.Errorf("a name that is the raw number: %q", view.CallerLabel(cv).String(tr))
	}
	cv.CallerName = "Camille Martin"
	if !named(cv) || view.CallerLabel(cv).String(tr) != "Camille Martin" {
		t.Errorf("named caller: %q", view.CallerLabel(cv).String(tr))
	}
	cv.Matches = []stream.Match{{Name: "Camille Martin (Contacts)"}}
	if got := view.CallerLabel(cv).String(tr); got != "Camille Martin (Contacts)" {
		t.Errorf("one CRM match wins over the queue's name: %q", got)
	}
}

func TestNotPopped(t *testing.T) {
	cv := viewOf("1", mobile, call.Missed)
	if got := view.NotPopped(cv); got.Key != "" {
		t.Errorf("no reason: %v", got)
	}
	cv.Reason = pop.ReasonCapped
	if got := view.NotPopped(cv); got.Key != "reasonCapped" {
		t.Errorf("capped: %v", got)
	}
	cv.Reason = background.ReasonPaused
	if got := view.NotPopped(cv); got.Key != "reasonPaused" {
		t.Errorf("paused: %v", got)
	}
	cv.Reason = pop.ReasonDuplicate
	if got := view.NotPopped(cv); got.Key != "" {
		t.Errorf("a duplicate needs no explanation: %v", got)
	}
	cv.Reason, cv.Popped = pop.ReasonCapped, true
	if got := view.NotPopped(cv); got.Key != "" {
		t.Errorf("a popped call: %v", got)
	}
	m := viewOf("2", mobile, call.Ended)
	m.Call.Missed = true
	if !missed(m) {
		t.Error("the relay's Missed mark counts")
	}
}

func TestUpstreamWarning(t *testing.T) {
	at := time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		u              *stream.Upstream
		detail, advice string
	}{
		{nil, "", ""},
		{&stream.Upstream{State: stream.UpstreamPolling, Since: at}, "", ""},
		{&stream.Upstream{State: stream.UpstreamStarting}, "", ""},
		{&stream.Upstream{State: "from-a-newer-relay"}, "", ""},
		{&stream.Upstream{State: stream.UpstreamRejected, Since: at, NextTry: at.Add(time.Minute)}, "upstreamRejected", "upstreamRejectedAdvice"},
		{&stream.Upstream{State: stream.UpstreamBackoff, Since: at, NextTry: at.Add(time.Minute)}, "upstreamBackoff", "upstreamBackoffAdvice"},
		{&stream.Upstream{State: stream.UpstreamBackoff, Since: at}, "upstreamBackoffNow", "upstreamBackoffAdvice"},
		{&stream.Upstream{State: stream.UpstreamRenewing, Since: at}, "upstreamRenewing", "upstreamRenewingAdvice"},
		{&stream.Upstream{State: stream.UpstreamNoToken}, "upstreamNoToken", "upstreamNoTokenAdvice"},
	} {
		n, warn := upstreamWarning(tt.u)
		if warn != (tt.detail != "") || n.Detail != tt.detail || n.Advice != tt.advice {
			t.Errorf("upstreamWarning(%+v) = %+v, %v; want %s, %s", tt.u, n, warn, tt.detail, tt.advice)
		}
		if warn && !n.Since.Equal(tt.u.Since) {
			t.Errorf("upstreamWarning(%+v) lost since", tt.u)
		}
	}
}

func TestSentenceAndCodeSpans(t *testing.T) {
	for in, want := range map[string]string{
		"":                                     "",
		"this agent secret is not valid":       "This agent secret is not valid.",
		"élan (`x`)":                           "Élan (`x`).",
		"Already a sentence.":                  "Already a sentence.",
		"  ask for a new one (`agent rotate`)": "Ask for a new one (`agent rotate`).",
	} {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string][]string{
		"plain":                        {"plain"},
		"run `make run` now":           {"run ", "make run", " now"},
		"`a` and `b`":                  {"", "a", " and ", "b", ""},
		"an unpaired ` stays":          {"an unpaired ` stays"},
		"`a` then an unpaired ` stays": {"", "a", " then an unpaired ` stays"},
	} {
		if got := codeSpans(in); fmt.Sprint(got) != fmt.Sprint(want) || len(got) != len(want) {
			t.Errorf("codeSpans(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewContactURL(t *testing.T) {
	cv := background.CallView{Call: call.Call{Direction: call.Inbound, Line: "0033972101010", LastEvent: "start_ringing"},
		Calling: mobile, Called: phone.Number{Raw: "0033972101010", Kind: phone.Valid, Region: "FR"}}
	suite := settings.Settings{Preset: pop.PresetSugar6, CRMBase: "http://127.0.0.1:8081/suitecrm/"}
	if got, want := newContactURL(suite, cv), "http://127.0.0.1:8081/suitecrm/index.php?module=Contacts&action=EditView&phone_work="+strings.ReplaceAll(mobile.Forms.Grouped, " ", "%20"); got != want {
		t.Errorf("newContactURL = %s, want %s", got, want)
	}
	if got := newContactURL(settings.Settings{Preset: pop.PresetCustom, CRMBase: "https://crm.example.com"}, cv); got != "" {
		t.Errorf("custom preset: %s, want none", got)
	}
	withheld := cv
	withheld.Calling = phone.Number{Raw: "anonymous", Kind: phone.Withheld}
	if got := newContactURL(suite, withheld); got != "" {
		t.Errorf("withheld caller: %s, want none", got)
	}
}
