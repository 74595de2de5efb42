package background

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
)

var (
	now  = time.Unix(1_700_000_000, 0)
	conf = settings.Settings{RelayURL: "http://127.0.0.1:8080", Template: "https://crm.example.com/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING*"}
)

func caller(raw string) phone.Number {
	return phone.Number{Raw: raw, Kind: phone.Valid, Region: "FR", Forms: phone.Forms{E164: "+" + strings.TrimPrefix(raw, "00")}}
}

func eventMsg(t *testing.T, id uint64, name, callID string, state call.State, from string) []byte {
	t.Helper()
	c := call.Call{Line: "0033972101010", ID: callID, Direction: call.Inbound, State: state, Calling: from, Called: "0033972101010", LastEvent: name}
	b, err := json.Marshal(stream.Message{Type: stream.TypeEvent, ID: id, Event: &stream.Event{Name: name, Call: c, Calling: caller(from), Called: phone.Number{Raw: "0033972101010"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func opened(acts []Action) []string {
	var urls []string
	for _, a := range acts {
		if a.Kind == ActionOpenTab {
			urls = append(urls, a.URL)
		}
	}
	return urls
}

func badgeText(acts []Action) (string, bool) {
	for _, a := range acts {
		if a.Kind == ActionBadge {
			return a.Text, true
		}
	}
	return "", false
}

func TestRingPopsOnce(t *testing.T) {
	var st State
	rules := pop.DefaultRules()
	acts, err := st.Handle(eventMsg(t, 1, "start_ringing", "A", call.Ringing, "0033612345682"), conf, rules, now)
	if err != nil {
		t.Fatal(err)
	}
	if urls := opened(acts); len(urls) != 1 || !strings.HasSuffix(urls[0], "query_string=0033612345682") {
		t.Fatalf("first ring opened %v", urls)
	}
	if b, ok := badgeText(acts); !ok || b != "RING" {
		t.Errorf("badge = %q %v", b, ok)
	}
	// The same message again (a replay after reconnecting): nothing.
	acts, _ = st.Handle(eventMsg(t, 1, "start_ringing", "A", call.Ringing, "0033612345682"), conf, rules, now)
	if len(opened(acts)) != 0 {
		t.Error("a replayed message popped again")
	}
	// The same event under a new ID (OVH sent it twice): still nothing.
	acts, _ = st.Handle(eventMsg(t, 2, "start_ringing", "A", call.Ringing, "0033612345682"), conf, rules, now)
	if len(opened(acts)) != 0 {
		t.Error("a duplicated ring popped again")
	}
	// Answered: no pop, badge cleared.
	acts, _ = st.Handle(eventMsg(t, 3, "start_calling", "A", call.Answered, "0033612345682"), conf, rules, now)
	if len(opened(acts)) != 0 {
		t.Error("answering popped")
	}
	if b, ok := badgeText(acts); !ok || b != "" {
		t.Errorf("badge after answer = %q %v", b, ok)
	}
	if st.Cursor != 3 {
		t.Errorf("cursor = %d", st.Cursor)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	var st State
	rules := pop.DefaultRules()
	st.Handle(eventMsg(t, 7, "start_ringing", "A", call.Ringing, "0033612345682"), conf, rules, now)
	saved, _ := json.Marshal(st)

	// The worker restarts: its Go memory is gone, its storage is not.
	var back State
	if err := json.Unmarshal(saved, &back); err != nil {
		t.Fatal(err)
	}
	hello, _ := json.Marshal(stream.Message{Type: stream.TypeHello, Hello: &stream.Hello{Cursor: 7, Live: []stream.LiveCall{
		{Call: call.Call{Line: "0033972101010", ID: "A", State: call.Ringing, Calling: "0033612345682", LastEvent: "start_ringing"}, Calling: caller("0033612345682")},
		{Call: call.Call{Line: "0033972101010", ID: "B", State: call.Ringing, Calling: "0033612345699", LastEvent: "start_ringing"}, Calling: caller("0033612345699")},
	}}})
	acts, err := back.Handle(hello, conf, rules, now)
	if err != nil {
		t.Fatal(err)
	}
	// A popped before the restart: not again. B rang while we were away: pop it.
	if urls := opened(acts); len(urls) != 1 || !strings.Contains(urls[0], "0033612345699") {
		t.Errorf("after restart opened %v", urls)
	}
}

func TestHelloAfterRelayRestart(t *testing.T) {
	st := State{Cursor: 500}
	hello, _ := json.Marshal(stream.Message{Type: stream.TypeHello, Hello: &stream.Hello{Cursor: 3}})
	st.Handle(hello, conf, pop.DefaultRules(), now)
	if st.Cursor != 3 {
		t.Errorf("cursor = %d: a relay that restarted with fewer events must reset it", st.Cursor)
	}
}

func TestBadMessages(t *testing.T) {
	var st State
	if _, err := st.Handle([]byte("not json"), conf, pop.DefaultRules(), now); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("err = %v", err)
	}
	for _, m := range []string{`{"type":"event"}`, `{"type":"hello"}`, `{"type":"ping"}`, `{"type":"future-kind"}`} {
		if acts, err := st.Handle([]byte(m), conf, pop.DefaultRules(), now); err != nil || len(opened(acts)) != 0 {
			t.Errorf("%s: %v %v", m, acts, err)
		}
	}
}

func TestWithheldCallerDoesNotSearch(t *testing.T) {
	var st State
	c := call.Call{Line: "0033972101010", ID: "W", State: call.Ringing, Calling: "anonymous", LastEvent: "start_ringing"}
	b, _ := json.Marshal(stream.Message{Type: stream.TypeEvent, ID: 1, Event: &stream.Event{Name: "start_ringing", Call: c, Calling: phone.Number{Raw: "anonymous", Kind: phone.Withheld}}})
	acts, _ := st.Handle(b, conf, pop.DefaultRules(), now)
	if len(opened(acts)) != 0 {
		t.Errorf("a withheld caller popped a search: %v", acts)
	}
}

func TestPrune(t *testing.T) {
	st := State{Popped: map[string]int64{}, Ringing: map[string]int64{"old": now.Add(-time.Hour).UnixMilli()}}
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
	if len(st.Ringing) != 0 {
		t.Error("kept a call ringing for an hour")
	}
}
