package background

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
)

const line = "0033972101010"

var (
	now  = time.Unix(1_700_000_000, 0)
	conf = settings.Settings{RelayURL: "http://127.0.0.1:8080", Mode: settings.ModeTab,
		Template: "https://crm.example.com/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING*"}
)

func env(s settings.Settings) Env { return Env{Settings: s, Now: now} }

func with(f func(*settings.Settings)) settings.Settings {
	s := conf
	f(&s)
	return s
}

// caller is a French number with its forms, as the relay sends it.
func caller(raw string) phone.Number {
	nsn := strings.TrimPrefix(raw, "0033")
	return phone.Number{Raw: raw, Kind: phone.Valid, Region: "FR", Forms: phone.Forms{
		E164: "+33" + nsn, Intl00: raw, National: "0" + nsn, Grouped: "0" + nsn[:1] + " " + nsn[1:3] + " " + nsn[3:5] + " " + nsn[5:7] + " " + nsn[7:],
		NSN: nsn, Digits: "33" + nsn,
	}}
}

var lineNumber = caller(line)

// callOf is an inbound call as the relay sends it (internal/call sets
// Missed for a call that rang out or was abandoned).
func callOf(id string, state call.State, from, event string) call.Call {
	return call.Call{Line: line, LineName: "Accueil", ID: id, Direction: call.Inbound, State: state, Calling: from, Called: line, LastEvent: event,
		Missed: state == call.Missed || state == call.Abandoned}
}

func eventMsg(t *testing.T, id uint64, name, callID string, state call.State, from string) []byte {
	t.Helper()
	b, err := json.Marshal(stream.Message{Type: stream.TypeEvent, ID: id, Event: &stream.Event{
		Name: name, Call: callOf(callID, state, from, name), Calling: caller(from), Called: lineNumber}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func helloMsg(t *testing.T, cursor uint64, live ...call.Call) []byte {
	t.Helper()
	h := &stream.Hello{Cursor: cursor, Live: []stream.LiveCall{}}
	for _, c := range live {
		h.Live = append(h.Live, stream.LiveCall{Call: c, Calling: caller(c.Calling), Called: lineNumber})
	}
	b, err := json.Marshal(stream.Message{Type: stream.TypeHello, Hello: h})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func handle(t *testing.T, st *Memory, raw []byte, e Env) []Action {
	t.Helper()
	acts, err := st.Handle(raw, e)
	if err != nil {
		t.Fatalf("Handle(%s): %v", raw, err)
	}
	return acts
}

// ring plays a ringing call: its start_ringing event.
func ring(t *testing.T, st *Memory, id uint64, callID, from string, e Env) []Action {
	t.Helper()
	return handle(t, st, eventMsg(t, id, "start_ringing", callID, call.Ringing, from), e)
}

func kinds(acts []Action) []string {
	var out []string
	for _, a := range acts {
		if a.Kind != ActionLog {
			out = append(out, a.Kind)
		}
	}
	return out
}

func pops(acts []Action) []Action {
	var out []Action
	for _, a := range acts {
		switch a.Kind {
		case ActionOpenTab, ActionReuseTab, ActionOpenWindow, ActionInPage, ActionFetch, ActionSidePanel:
			out = append(out, a)
		}
	}
	return out
}

func notes(acts []Action) []*Note {
	var out []*Note
	for _, a := range acts {
		if a.Kind == ActionNotify {
			out = append(out, a.Note)
		}
	}
	return out
}

// badgeOf returns the last badge set.
func badgeOf(acts []Action) (string, bool) {
	for i := len(acts) - 1; i >= 0; i-- {
		if acts[i].Kind == ActionBadge {
			return acts[i].Text, true
		}
	}
	return "", false
}

func TestRingPopsOnce(t *testing.T) {
	var st Memory
	e := env(conf)
	acts := ring(t, &st, 1, "A", "0033612345682", e)
	if p := pops(acts); len(p) != 1 || p[0].Kind != ActionOpenTab || !strings.HasSuffix(p[0].URL, "query_string=0033612345682") {
		t.Fatalf("first ring: %+v", acts)
	}
	if b, ok := badgeOf(acts); !ok || b != "RING" {
		t.Errorf("badge = %q %v", b, ok)
	}
	// The same message again (a replay after reconnecting): nothing.
	if p := pops(ring(t, &st, 1, "A", "0033612345682", e)); len(p) != 0 {
		t.Error("a replayed message popped again")
	}
	// The same event under a new ID (OVH sent it twice): still nothing.
	if p := pops(ring(t, &st, 2, "A", "0033612345682", e)); len(p) != 0 {
		t.Error("a duplicated ring popped again")
	}
	// Answered: no pop, badge cleared, the call still live.
	acts = handle(t, &st, eventMsg(t, 3, "start_calling", "A", call.Answered, "0033612345682"), e)
	if len(pops(acts)) != 0 {
		t.Error("answering popped")
	}
	if b, ok := badgeOf(acts); !ok || b != "" {
		t.Errorf("badge after answer = %q %v", b, ok)
	}
	if st.Cursor != 3 || len(st.Live) != 1 || st.Live[0].Call.State != call.Answered || !st.Live[0].Popped {
		t.Errorf("cursor %d, live %+v", st.Cursor, st.Live)
	}
	// Hung up: in the history, not missed.
	handle(t, &st, eventMsg(t, 4, "end_calling", "A", call.Ended, "0033612345682"), e)
	if len(st.Live) != 0 || len(st.Recent) != 1 || st.Recent[0].Call.Missed || st.UnseenMissed() != 0 {
		t.Errorf("after hang-up: live %d, recent %+v", len(st.Live), st.Recent)
	}
}

func TestModes(t *testing.T) {
	for _, tc := range []struct {
		mode  string
		kinds []string // pop actions
		note  bool     // a notification even with Notify off
	}{
		{settings.ModeTab, []string{ActionOpenTab}, false},
		{settings.ModeReuseTab, []string{ActionReuseTab}, false},
		{settings.ModeWindow, []string{ActionOpenWindow}, false},
		{settings.ModeSidePanel, []string{ActionSidePanel}, true},
		{settings.ModeInPage, []string{ActionInPage}, false},
		{settings.ModeSilent, []string{ActionFetch}, false},
		{settings.ModeNotify, nil, true},
		{"future-mode", []string{ActionReuseTab}, false}, // the default mode
	} {
		t.Run(tc.mode, func(t *testing.T) {
			var st Memory
			s := with(func(s *settings.Settings) { s.Mode, s.WindowWidth, s.WindowHeight = tc.mode, 900, 700 })
			acts := ring(t, &st, 1, "A", "0033612345682", env(s))
			var got []string
			for _, a := range pops(acts) {
				got = append(got, a.Kind)
				if a.Key != line+"|A" || a.Kind != ActionSidePanel && !strings.Contains(a.URL, "0033612345682") {
					t.Errorf("%s: key %q url %q", a.Kind, a.Key, a.URL)
				}
				if a.Kind == ActionOpenWindow && (a.Width != 900 || a.Height != 700) {
					t.Errorf("window %dx%d", a.Width, a.Height)
				}
				if a.Kind == ActionInPage && (a.View == nil || a.View.Calling.Raw != "0033612345682") {
					t.Errorf("in-page view %+v", a.View)
				}
			}
			if !slices.Equal(got, tc.kinds) {
				t.Errorf("pop actions %v, want %v", got, tc.kinds)
			}
			if n := notes(acts); (len(n) == 1) != tc.note {
				t.Errorf("notifications %v, want one: %v", n, tc.note)
			}
			if !st.Live[0].Popped {
				t.Error("the call is not marked popped")
			}
			// Whatever the mode, the side panel's view shows the caller.
			if cur := st.View().Current; cur == nil || cur.Calling.Raw != "0033612345682" || cur.URL == "" {
				t.Errorf("current = %+v", cur)
			}
		})
	}
}

func TestNotifySetting(t *testing.T) {
	var st Memory
	s := with(func(s *settings.Settings) { s.Notify = true })
	acts := ring(t, &st, 1, "A", "0033612345682", env(s))
	n := notes(acts)
	if len(n) != 1 || n[0].ID != line+"|A" || n[0].Title != "notifyRingingTitle:06 12 34 56 82" || n[0].Message != "notifyLine:Accueil" {
		t.Fatalf("ringing notification %+v", n)
	}
	// A second ring event of the same call (a queue's agent-offering): no second notification.
	acts = handle(t, &st, eventMsg(t, 2, "agent-offering", "A", call.Ringing, "0033612345682"), env(s))
	if len(notes(acts)) != 0 {
		t.Error("notified twice")
	}
	// Missed: the missed-call notification replaces it (same ID).
	acts = handle(t, &st, eventMsg(t, 3, "end_ringing", "A", call.Missed, "0033612345682"), env(s))
	if n := notes(acts); len(n) != 1 || n[0].ID != line+"|A" || !strings.HasPrefix(n[0].Title, "notifyMissedTitle:") {
		t.Errorf("missed notification %+v", n)
	}
	// Notifications off: none for ringing or missed calls.
	st = Memory{}
	acts = ring(t, &st, 1, "B", "0033612345682", env(conf))
	acts = append(acts, handle(t, &st, eventMsg(t, 2, "end_ringing", "B", call.Missed, "0033612345682"), env(conf))...)
	if n := notes(acts); len(n) != 0 {
		t.Errorf("notifications while off: %+v", n)
	}
}

func TestNotificationContent(t *testing.T) {
	base := CallView{Call: callOf("A", call.Ringing, "0033612345682", "start_ringing"), Calling: caller("0033612345682"), Called: lineNumber,
		URL: "https://crm.example.com/?q=0033612345682"}
	for _, tc := range []struct {
		name           string
		edit           func(*CallView)
		title, message string
		buttons        []Button
	}{
		{"number", nil, "notifyRingingTitle:06 12 34 56 82", "notifyLine:Accueil",
			[]Button{{"notifyOpenCRM", "https://crm.example.com/?q=0033612345682"}, {"notifyCallBack", "tel:+33612345682"}}},
		{"name known", func(v *CallView) { v.CallerName = "Jeanne Martin" }, "notifyRingingTitle:Jeanne Martin", "notifyNumberOnLine:06 12 34 56 82|Accueil", nil},
		{"line without name", func(v *CallView) { v.Call.LineName = "" }, "", "notifyLine:09 72 10 10 10", nil},
		{"foreign caller", func(v *CallView) {
			v.Calling = phone.Number{Raw: "00441632960001", Kind: phone.Valid, Region: "GB", Forms: phone.Forms{E164: "+441632960001", Grouped: "01632 960001"}}
		}, "notifyRingingTitle:+441632960001", "", nil},
		{"withheld", func(v *CallView) { v.Calling, v.URL = phone.Number{Raw: "anonymous", Kind: phone.Withheld}, "" }, "notifyRingingTitle:callerWithheld", "",
			[]Button{}},
		{"internal", func(v *CallView) { v.Calling, v.URL = phone.Number{Raw: "201", Kind: phone.Internal}, "" }, "notifyRingingTitle:callerInternal:201", "", []Button{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := base
			if tc.edit != nil {
				tc.edit(&v)
			}
			n := ringingNote(&v, Env{})
			if tc.title != "" && n.Title != tc.title {
				t.Errorf("title %q, want %q", n.Title, tc.title)
			}
			if tc.message != "" && n.Message != tc.message {
				t.Errorf("message %q, want %q", n.Message, tc.message)
			}
			if tc.buttons != nil && !slices.Equal(n.Buttons, tc.buttons) && !(len(tc.buttons) == 0 && len(n.Buttons) == 0) {
				t.Errorf("buttons %+v, want %+v", n.Buttons, tc.buttons)
			}
		})
	}
}

func TestCap(t *testing.T) {
	var st Memory
	s := with(func(s *settings.Settings) { s.CapPerMinute = 1 })
	if p := pops(ring(t, &st, 1, "A", "0033612345682", env(s))); len(p) != 1 {
		t.Fatalf("first call: %v", p)
	}
	// The second call in the same minute: no pop, but a notification
	// (even with notifications off) and the reason in the view.
	acts := ring(t, &st, 2, "B", "0033612345683", Env{Settings: s, Now: now.Add(20 * time.Second)})
	if p := pops(acts); len(p) != 0 {
		t.Errorf("capped call popped: %v", p)
	}
	if len(notes(acts)) != 1 {
		t.Errorf("a capped call must still notify: %v", kinds(acts))
	}
	if v := st.find(line + "|B"); v == nil || v.Reason != pop.ReasonCapped || v.Popped {
		t.Errorf("view %+v", v)
	}
	// A minute later, a third call pops again.
	if p := pops(ring(t, &st, 3, "C", "0033612345684", Env{Settings: s, Now: now.Add(61 * time.Second)})); len(p) != 1 {
		t.Errorf("after a minute: %v", p)
	}
}

func TestPause(t *testing.T) {
	var st Memory
	s := with(func(s *settings.Settings) { s.Paused = true })
	acts := st.SettingsChanged(env(s))
	if b, _ := badgeOf(acts); b != "OFF" {
		t.Errorf("paused badge %q", b)
	}
	acts = ring(t, &st, 1, "A", "0033612345682", env(s))
	if p := pops(acts); len(p) != 0 {
		t.Errorf("paused, yet popped: %v", p)
	}
	if b, _ := badgeOf(acts); b != "RING" {
		t.Errorf("badge while ringing and paused: %q", b)
	}
	if v := st.find(line + "|A"); v == nil || v.Reason != ReasonPaused || v.URL == "" {
		t.Errorf("view %+v", v)
	}
	// Unpaused while it still rings: its next ring event pops it.
	if p := pops(handle(t, &st, eventMsg(t, 2, "agent-offering", "A", call.Ringing, "0033612345682"), env(conf))); len(p) != 1 {
		t.Errorf("after unpausing: %v", p)
	}
}

func TestBadgeMissedAndSeen(t *testing.T) {
	var st Memory
	e := env(conf)
	ring(t, &st, 1, "A", "0033612345682", e)
	acts := handle(t, &st, eventMsg(t, 2, "end_ringing", "A", call.Missed, "0033612345682"), e)
	if b, _ := badgeOf(acts); b != "1" {
		t.Errorf("badge after a missed call %q", b)
	}
	ring(t, &st, 3, "B", "0033612345683", e)
	acts = handle(t, &st, eventMsg(t, 4, "end_ringing", "B", call.Missed, "0033612345683"), e)
	if b, _ := badgeOf(acts); b != "2" {
		t.Errorf("badge after two missed calls %q", b)
	}
	if v := st.View(); v.UnseenMissed != 2 || len(v.Recent) != 2 || v.Recent[0].Call.ID != "B" || !v.Recent[0].Call.Missed {
		t.Errorf("view %+v", v)
	}
	acts = st.MarkSeen(e)
	if b, ok := badgeOf(acts); !ok || b != "" {
		t.Errorf("badge after mark seen %q %v", b, ok)
	}
	var cleared []string
	for _, a := range acts {
		if a.Kind == ActionClearNote {
			cleared = append(cleared, a.Key)
		}
	}
	if len(cleared) != 2 || st.UnseenMissed() != 0 || !st.Dirty() {
		t.Errorf("cleared %v, unseen %d", cleared, st.UnseenMissed())
	}
	// An answered call is not missed; abandoned queue calls are.
	c := callOf("Q", call.Abandoned, "0033612345685", "member-queue-end")
	c.Queue = true
	b, _ := json.Marshal(stream.Message{Type: stream.TypeEvent, ID: 9, Event: &stream.Event{Name: "member-queue-end", Call: c, Calling: caller("0033612345685")}})
	if bt, _ := badgeOf(handle(t, &st, b, e)); bt != "1" {
		t.Errorf("badge after an abandoned queue call %q", bt)
	}
}

func TestRecentIsBounded(t *testing.T) {
	var st Memory
	e := env(conf)
	for i := range 60 {
		id := string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		handle(t, &st, eventMsg(t, uint64(2*i+1), "start_ringing", id, call.Ringing, "0033612345682"), e)
		handle(t, &st, eventMsg(t, uint64(2*i+2), "end_ringing", id, call.Missed, "0033612345682"), e)
	}
	if len(st.Recent) != recentMax || st.Recent[0].Call.ID != "hxx" {
		t.Errorf("recent: %d, newest %q", len(st.Recent), st.Recent[0].Call.ID)
	}
	if b, _ := st.Badge(conf); b != "50" {
		t.Errorf("badge %q", b)
	}
}

// restart saves the state as the worker does, and reads it back as a new
// worker would.
func restart(t *testing.T, st *Memory) Memory {
	t.Helper()
	return loadStored(t, stored(st))
}

func TestStateSurvivesRestart(t *testing.T) {
	var st Memory
	e := env(conf)
	ring(t, &st, 7, "A", "0033612345682", e)
	back := restart(t, &st)
	// A popped before the restart: not again. B rang while we were away: pop it.
	acts := handle(t, &back, helloMsg(t, 7, callOf("A", call.Ringing, "0033612345682", "start_ringing"), callOf("B", call.Ringing, "0033612345699", "start_ringing")), e)
	if p := pops(acts); len(p) != 1 || !strings.Contains(p[0].URL, "0033612345699") {
		t.Errorf("after restart: %v", p)
	}
	if b, _ := badgeOf(acts); b != "RING" {
		t.Errorf("badge after restart %q", b)
	}
}

// TestRingMissedWhileAway: the worker was stopped while A rang (it had
// popped) and while B rang and stopped; both ended while it was away. On
// waking, the relay's hello lists no live call and replays the events
// after the cursor: nothing pops, both are missed calls.
func TestRingMissedWhileAway(t *testing.T) {
	var st Memory
	e := env(conf)
	handle(t, &st, helloMsg(t, 0), e)
	ring(t, &st, 1, "A", "0033612345682", e)
	st = restart(t, &st)
	var acts []Action
	acts = append(acts, handle(t, &st, helloMsg(t, 4), e)...)
	acts = append(acts, ring(t, &st, 2, "B", "0033612345683", e)...)
	acts = append(acts, handle(t, &st, eventMsg(t, 3, "end_ringing", "B", call.Missed, "0033612345683"), e)...)
	acts = append(acts, handle(t, &st, eventMsg(t, 4, "end_ringing", "A", call.Missed, "0033612345682"), e)...)
	if p := pops(acts); len(p) != 0 {
		t.Errorf("a call over popped on waking: %v", p)
	}
	if len(st.Live) != 0 || st.UnseenMissed() != 2 {
		t.Errorf("live %+v, unseen %d", st.Live, st.UnseenMissed())
	}
	if b, _ := badgeOf(acts); b != "2" {
		t.Errorf("badge %q", b)
	}
	for _, b := range acts {
		if b.Kind == ActionBadge && b.Text == "RING" {
			t.Error("RING shown for a call that was over")
		}
	}
	if v := st.find(line + "|A"); v == nil || !v.Popped || !v.Call.Missed {
		t.Errorf("A: %+v", v)
	}
}

// TestReplayPopsCallStillRinging: a call that started ringing while the
// worker was away and still rings pops once, from the hello or the replay.
func TestReplayPopsCallStillRinging(t *testing.T) {
	st := Memory{Cursor: 1}
	e := env(conf)
	var acts []Action
	acts = append(acts, handle(t, &st, helloMsg(t, 2, callOf("C", call.Ringing, "0033612345686", "start_ringing")), e)...)
	acts = append(acts, ring(t, &st, 2, "C", "0033612345686", e)...)
	acts = append(acts, handle(t, &st, []byte(`{"type":"ping"}`), e)...)
	if p := pops(acts); len(p) != 1 {
		t.Errorf("pops %v", p)
	}
	if len(st.Live) != 1 || st.Live[0].Call.ID != "C" {
		t.Errorf("live %+v", st.Live)
	}
}

// TestReplayedRingOfEndedCall: the replay holds a call's start_ringing and,
// later, its end: no pop, not even briefly a RING badge.
func TestReplayedRingOfEndedCall(t *testing.T) {
	st := Memory{Cursor: 10}
	e := env(conf)
	var acts []Action
	acts = append(acts, handle(t, &st, helloMsg(t, 13), e)...)
	acts = append(acts, ring(t, &st, 11, "D", "0033612345687", e)...)
	acts = append(acts, handle(t, &st, eventMsg(t, 12, "start_calling", "D", call.Answered, "0033612345687"), e)...)
	acts = append(acts, handle(t, &st, eventMsg(t, 13, "end_calling", "D", call.Ended, "0033612345687"), e)...)
	if p := pops(acts); len(p) != 0 {
		t.Errorf("pops %v", p)
	}
	if st.UnseenMissed() != 0 || len(st.Recent) != 1 || st.Recent[0].Call.State != call.Ended {
		t.Errorf("recent %+v", st.Recent)
	}
	// Then a live event: it pops as usual.
	if p := pops(ring(t, &st, 14, "E", "0033612345688", e)); len(p) != 1 {
		t.Errorf("live call after the replay: %v", p)
	}
}

// TestCallsEndedWithoutTrace: the relay restarted (our cursor is ahead of
// its log): calls we thought ringing are settled as missed, answered ones
// as ended.
func TestCallsEndedWithoutTrace(t *testing.T) {
	var st Memory
	e := with(func(s *settings.Settings) { s.Notify = true })
	ring(t, &st, 5, "A", "0033612345682", env(e))
	handle(t, &st, eventMsg(t, 6, "start_ringing", "B", call.Ringing, "0033612345683"), env(e))
	handle(t, &st, eventMsg(t, 7, "start_calling", "B", call.Answered, "0033612345683"), env(e))
	st = restart(t, &st)
	acts := handle(t, &st, helloMsg(t, 2), env(e))
	if st.Cursor != 2 {
		t.Errorf("cursor %d: a relay that restarted with fewer events must reset it", st.Cursor)
	}
	if len(st.Live) != 0 || st.UnseenMissed() != 1 {
		t.Fatalf("live %+v, unseen %d", st.Live, st.UnseenMissed())
	}
	if a := st.find(line + "|A"); a.Call.State != call.Missed {
		t.Errorf("A %s", a.Call.State)
	}
	if b := st.find(line + "|B"); b.Call.State != call.Ended || b.Call.Missed {
		t.Errorf("B %+v", b)
	}
	if n := notes(acts); len(n) != 1 || !strings.HasPrefix(n[0].Title, "notifyMissedTitle") {
		t.Errorf("notes %+v", n)
	}
}

func TestGapWithNothingToReplay(t *testing.T) {
	var st Memory
	e := env(conf)
	ring(t, &st, 5, "A", "0033612345682", e)
	handle(t, &st, helloMsg(t, 9), e)
	if len(st.Live) != 0 || st.Recent[0].Call.State != call.Ringing {
		t.Fatal("settled before the replay")
	}
	handle(t, &st, []byte(`{"type":"gap","gap":{"from":5,"oldest":0,"reason":"too-old"}}`), e)
	if len(st.Live) != 0 || st.UnseenMissed() != 1 {
		t.Errorf("live %+v", st.Live)
	}
}

func TestRelayErrors(t *testing.T) {
	st := Memory{Cursor: 9}
	acts := handle(t, &st, []byte(`{"type":"error","error":{"code":"bad-secret","message":"paste a new connection string"}}`), env(conf))
	if len(acts) == 0 || acts[0].Kind != ActionRelayError || acts[0].Key != stream.CodeBadSecret || acts[0].Text != "paste a new connection string" {
		t.Errorf("acts %+v", acts)
	}
	handle(t, &st, []byte(`{"type":"error","error":{"code":"bad-cursor","message":"x"}}`), env(conf))
	if st.Cursor != 0 {
		t.Errorf("cursor %d after bad-cursor", st.Cursor)
	}
}

func TestBadMessages(t *testing.T) {
	var st Memory
	if _, err := st.Handle([]byte("not json"), env(conf)); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("err = %v", err)
	}
	for _, m := range []string{`{"type":"event"}`, `{"type":"hello"}`, `{"type":"ping"}`, `{"type":"future-kind"}`, `{"type":"event","event":{}}`} {
		if acts, err := st.Handle([]byte(m), env(conf)); err != nil || len(pops(acts)) != 0 {
			t.Errorf("%s: %v %v", m, acts, err)
		}
	}
}

func TestWithheldCallerDoesNotSearch(t *testing.T) {
	var st Memory
	c := call.Call{Line: line, ID: "W", State: call.Ringing, Calling: "anonymous", LastEvent: "start_ringing"}
	b, _ := json.Marshal(stream.Message{Type: stream.TypeEvent, ID: 1, Event: &stream.Event{Name: "start_ringing", Call: c, Calling: phone.Number{Raw: "anonymous", Kind: phone.Withheld}}})
	acts := handle(t, &st, b, env(conf))
	if len(pops(acts)) != 0 {
		t.Errorf("a withheld caller popped a search: %v", acts)
	}
	if v := st.find(line + "|W"); v.Reason != pop.ReasonWithheld || v.URL != "" {
		t.Errorf("view %+v", v)
	}
	if _, err := st.Open(line, "W", env(conf)); err != ErrNoNumber {
		t.Errorf("open: %v", err)
	}
}

func TestOpenRequest(t *testing.T) {
	var st Memory
	e := env(with(func(s *settings.Settings) { s.Paused = true }))
	ring(t, &st, 1, "A", "0033612345682", e)
	handle(t, &st, eventMsg(t, 2, "end_ringing", "A", call.Missed, "0033612345682"), e)
	acts, err := st.Open(line, "A", e)
	if err != nil || len(acts) == 0 || acts[0].Kind != ActionOpenTab || !strings.Contains(acts[0].URL, "0033612345682") {
		t.Fatalf("open: %+v %v", acts, err)
	}
	if st.UnseenMissed() != 0 {
		t.Error("an opened missed call is still unseen")
	}
	acts, _ = st.Open(line, "A", env(with(func(s *settings.Settings) { s.Mode = settings.ModeReuseTab })))
	if acts[0].Kind != ActionReuseTab {
		t.Errorf("reuse-tab mode opens with %s", acts[0].Kind)
	}
	if _, err := st.Open(line, "nope", e); err != ErrNoCall {
		t.Errorf("unknown call: %v", err)
	}
}

func TestNoteClicked(t *testing.T) {
	var st Memory
	e := env(with(func(s *settings.Settings) { s.Mode = settings.ModeNotify }))
	ring(t, &st, 1, "A", "0033612345682", e)
	acts, err := st.NoteClicked(line+"|A", -1, e)
	if err != nil || acts[0].Kind != ActionOpenTab || !strings.Contains(acts[0].URL, "crm.example.com") {
		t.Errorf("click: %+v %v", acts, err)
	}
	acts, err = st.NoteClicked(line+"|A", 1, e)
	if err != nil || acts[0].Kind != ActionOpenTab || acts[0].URL != "tel:+33612345682" {
		t.Errorf("call back: %+v %v", acts, err)
	}
}

func TestTestPop(t *testing.T) {
	var st Memory
	s := with(func(s *settings.Settings) {
		s.Mode, s.WindowWidth, s.WindowHeight, s.Paused, s.CapPerMinute = settings.ModeWindow, 640, 480, true, 1
	})
	st.Cap.Allow(now, 1) // the cap is reached
	acts, err := st.TestPop(env(s))
	if err != nil {
		t.Fatal(err)
	}
	if p := pops(acts); len(p) != 1 || p[0].Kind != ActionOpenWindow || p[0].Width != 640 || !strings.Contains(p[0].URL, "0033612345682") {
		t.Errorf("test pop: %+v", acts)
	}
	cur := st.View().Current
	if cur == nil || !cur.Test || cur.Calling.Forms.E164 != "+33612345682" {
		t.Errorf("current %+v", cur)
	}
	if len(st.Live)+len(st.Recent) != 0 || st.UnseenMissed() != 0 {
		t.Error("the test call is listed as a call")
	}
	// Notify mode: the notification is the pop.
	acts, _ = st.TestPop(env(with(func(s *settings.Settings) { s.Mode = settings.ModeNotify })))
	if n := notes(acts); len(n) != 1 || !strings.Contains(n[0].Title, "testPopCaller") {
		t.Errorf("notify test pop %+v", acts)
	}
	// Silent: the GET.
	acts, _ = st.TestPop(env(with(func(s *settings.Settings) { s.Mode = settings.ModeSilent })))
	if p := pops(acts); len(p) != 1 || p[0].Kind != ActionFetch {
		t.Errorf("silent test pop %+v", acts)
	}
	st.PopFailed(p0Key(acts), "HTTP 500")
	if st.View().Current.Error != "HTTP 500" {
		t.Errorf("pop failure not shown: %+v", st.View().Current)
	}
}

func p0Key(acts []Action) string { return pops(acts)[0].Key }

func TestCurrent(t *testing.T) {
	var st Memory
	e := env(conf)
	if st.View().Current != nil {
		t.Error("current with no call")
	}
	ring(t, &st, 1, "A", "0033612345682", e)
	handle(t, &st, eventMsg(t, 2, "start_calling", "A", call.Answered, "0033612345682"), e)
	ring(t, &st, 3, "B", "0033612345683", e)
	if c := st.View().Current; c.Call.ID != "B" {
		t.Errorf("current %s, want the ringing call B", c.Call.ID)
	}
	handle(t, &st, eventMsg(t, 4, "end_ringing", "B", call.Missed, "0033612345683"), e)
	if c := st.View().Current; c.Call.ID != "A" {
		t.Errorf("current %s, want the answered call A", c.Call.ID)
	}
	handle(t, &st, eventMsg(t, 5, "end_calling", "A", call.Ended, "0033612345682"), e)
	if c := st.View().Current; c.Call.ID != "B" || c.Call.State != call.Missed {
		t.Errorf("current %+v, want the last popped B as it ended", c.Call)
	}
}

func TestPrune(t *testing.T) {
	st := Memory{Popped: map[string]int64{}, Live: []CallView{{Call: callOf("old", call.Ringing, "0033612345682", "start_ringing"), Since: now.Add(-time.Hour).UnixMilli()}}}
	for i := 0; i < poppedMax+10; i++ {
		st.Popped[string(rune('a'+i%26))+strings.Repeat("x", i)] = now.UnixMilli() - int64(i)
	}
	st.Popped["ancient"] = now.Add(-48 * time.Hour).UnixMilli()
	st.prune(now)
	if len(st.Popped) != poppedMax {
		t.Errorf("popped = %d, want %d", len(st.Popped), poppedMax)
	}
	if _, ok := st.Popped["ancient"]; ok {
		t.Error("kept a day-old pop")
	}
	// The records of the calls forgotten are to be removed: the day-old
	// one and the 10 oldest, not the newest.
	gone := map[string]bool{}
	for _, k := range st.unpopped {
		gone[k] = true
	}
	if len(st.unpopped) != 11 || !gone[PoppedPrefix+"ancient"] || gone[PoppedPrefix+"a"] {
		t.Errorf("records to remove: %d %v", len(st.unpopped), st.unpopped[:3])
	}
	if len(st.Live) != 0 || len(st.Recent) != 1 || !st.Recent[0].Call.Missed {
		t.Errorf("a call ringing for an hour: live %+v recent %+v", st.Live, st.Recent)
	}
}

// TestPruneBounded: a history read from storage beyond the bound (10,000
// records) is cut once, and from then on each pop forgets one call, the
// oldest, without going over the whole day again.
func TestPruneBounded(t *testing.T) {
	st := Memory{Popped: map[string]int64{}}
	for i := 0; i < 10*poppedMax; i++ {
		st.Popped[fmt.Sprintf("%s|old-%d", line, i)] = now.Add(-time.Hour).UnixMilli() - int64(i)*1000
	}
	st.prune(now)
	if len(st.Popped) != poppedMax || len(st.unpopped) != 9*poppedMax || len(st.order) != poppedMax {
		t.Fatalf("after the first prune: %d popped, %d to remove, %d in order", len(st.Popped), len(st.unpopped), len(st.order))
	}
	if _, ok := st.Popped[line+"|old-0"]; !ok {
		t.Error("the newest call was forgotten")
	}
	st.unpopped = nil
	e := env(with(func(s *settings.Settings) { s.CapPerMinute = 0 }))
	for i := 0; i < 3; i++ {
		e.Now = now.Add(time.Duration(i) * time.Second)
		if p := pops(ring(t, &st, uint64(i+1), fmt.Sprint("new-", i), "0033612345682", e)); len(p) != 1 {
			t.Fatalf("ring %d: pops %v", i, p)
		}
		if len(st.Popped) != poppedMax || len(st.order) != poppedMax || len(st.unpopped) != i+1 {
			t.Fatalf("ring %d: %d popped, %d in order, %d to remove", i, len(st.Popped), len(st.order), len(st.unpopped))
		}
		if want := PoppedPrefix + fmt.Sprintf("%s|old-%d", line, poppedMax-1-i); st.unpopped[i] != want {
			t.Errorf("ring %d forgot %s, want the oldest, %s", i, st.unpopped[i], want)
		}
	}
}

func TestRelayChangeResets(t *testing.T) {
	var st Memory
	ring(t, &st, 5, "A", "0033612345682", env(conf))
	handle(t, &st, eventMsg(t, 6, "end_ringing", "A", call.Missed, "0033612345682"), env(with(func(s *settings.Settings) { s.Notify = true })))
	ring(t, &st, 7, "B", "0033612345683", env(with(func(s *settings.Settings) { s.Notify = true })))
	st.Tab = 42
	acts := st.Reset("http://other:8080")
	if st.Cursor != 0 || len(st.Live) != 0 || st.Tab != 42 || len(st.Popped) != 2 {
		t.Errorf("%+v", st)
	}
	// Nothing of the old relay's calls is left to show: not the history,
	// not the last pop (the side panel's fallback), not their notifications.
	if len(st.Recent) != 0 || st.Last != nil || st.View().Current != nil {
		t.Errorf("after the reset: recent %+v, last %+v", st.Recent, st.Last)
	}
	if k := kinds(acts); slices.Index(k, ActionClearNote) < 0 {
		t.Errorf("the old calls' notifications stay: %v", k)
	}
	if b := st.withBadge(nil, conf); len(b) != 1 || b[0].Text != "" {
		t.Errorf("badge after the reset: %+v", b)
	}
	if !st.Dirty() {
		t.Error("the views are not written again")
	}
}

// TestReplayAfterAnswer: a call rang and was answered while the worker was
// away; the hello lists it answered, the replay still holds its ring. It
// must not pop (it no longer rings), nor go back to ringing.
func TestReplayAfterAnswer(t *testing.T) {
	st := Memory{Cursor: 20}
	e := env(conf)
	var acts []Action
	acts = append(acts, handle(t, &st, helloMsg(t, 22, callOf("F", call.Answered, "0033612345689", "start_calling")), e)...)
	acts = append(acts, ring(t, &st, 21, "F", "0033612345689", e)...)
	acts = append(acts, handle(t, &st, eventMsg(t, 22, "start_calling", "F", call.Answered, "0033612345689"), e)...)
	if p := pops(acts); len(p) != 0 {
		t.Errorf("an answered call popped from its replayed ring: %v", p)
	}
	if len(st.Live) != 1 || st.Live[0].Call.State != call.Answered {
		t.Errorf("live %+v", st.Live)
	}
	for _, a := range acts {
		if a.Kind == ActionBadge && a.Text == "RING" {
			t.Error("RING for an answered call")
		}
	}
}

func TestRingingNoteClearedWhenCallEnds(t *testing.T) {
	var st Memory
	e := env(with(func(s *settings.Settings) { s.Notify = true }))
	ring(t, &st, 1, "A", "0033612345682", e)
	acts := handle(t, &st, eventMsg(t, 2, "start_calling", "A", call.Answered, "0033612345682"), e)
	for _, a := range acts {
		if a.Kind == ActionClearNote {
			t.Error("the notification was cleared on answer (notify mode needs it then)")
		}
	}
	acts = handle(t, &st, eventMsg(t, 3, "end_calling", "A", call.Ended, "0033612345682"), e)
	if k := kinds(acts); !slices.Contains(k, ActionClearNote) {
		t.Errorf("the stale ringing notification stays: %v", k)
	}
}
