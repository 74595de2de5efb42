package ovhsim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/waitfor"
)

func TestPollHeldThenEmpty(t *testing.T) {
	t.Parallel()
	for _, null := range []bool{false, true} {
		sim, srv := newTestSim(t, Config{EmptyAsNull: null})
		tok := mustToken(t, sim, testLine, "1 day")

		res := mustPoll(t, srv.URL, tok, "")
		if res.took < testHold*9/10 {
			t.Errorf("empty poll answered after %v, want it held about %v", res.took, testHold)
		}
		if res.answer.Session == "" {
			t.Errorf("answer without Session: %s", res.raw)
		}
		if len(res.answer.Events) != 0 || res.answer.Message != "" {
			t.Errorf("answer = %s, want no events and no message", res.raw)
		}
		wantEvents := `"Events":[]`
		if null {
			wantEvents = `"Events":null`
		}
		if !bytes.Contains(res.raw, []byte(wantEvents)) {
			t.Errorf("EmptyAsNull=%v: body %s, want %s", null, res.raw, wantEvents)
		}
		if got := res.header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
		}
		if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q", ct)
		}

		// The same session goes on; an unknown one starts a new session.
		again := mustPoll(t, srv.URL, tok, res.answer.Session)
		if again.answer.Session != res.answer.Session {
			t.Errorf("session %q changed to %q", res.answer.Session, again.answer.Session)
		}
		fresh := mustPoll(t, srv.URL, tok, "nope")
		if fresh.answer.Session == "" || fresh.answer.Session == "nope" || fresh.answer.Session == res.answer.Session {
			t.Errorf("unknown session answered with Session %q", fresh.answer.Session)
		}
	}
}

func TestPollReturnsWhenEventArrives(t *testing.T) {
	// In a bubble, "promptly" is exact: no time passes on the fake clock
	// between the event and the answer.
	synctest.Test(t, func(t *testing.T) {
		sim, srv := newBubbleSim(t, Config{HoldTime: 10 * time.Second})
		tok := mustToken(t, sim, testLine, "1 day")

		got := heldPoll(t, sim, srv.URL, tok)
		time.Sleep(time.Second) // held a while, well within HoldTime
		synctest.Wait()
		start := time.Now()
		sim.Emit(ovhevent.Event{Event: ovhevent.StartRinging, Ressource: testLine, Data: ovhevent.Data{Calling: "0033612345678", CallId: "x."}})
		res := <-got
		if res.err != nil || res.status != 200 {
			t.Fatalf("poll: %d %v %s", res.status, res.err, res.raw)
		}
		if d := time.Since(start); d != 0 || res.took != time.Second {
			t.Errorf("poll answered %v after the event (held %v), want at once (after 1s)", d, res.took)
		}
		if len(res.answer.Events) != 1 || res.answer.Events[0].Name() != ovhevent.StartRinging {
			t.Fatalf("events = %s", res.raw)
		}
		if st := sim.Stats(); st.ActivePolls != 0 || st.Delivered != 1 {
			t.Errorf("stats = %+v", st)
		}
	})
}

func TestEventsKeptBetweenPolls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) { testEventsKeptBetweenPolls(t) })
}

// testEventsKeptBetweenPolls runs in a bubble, where "immediate" is exact.
func testEventsKeptBetweenPolls(t *testing.T) {
	sim, srv := newBubbleSim(t, Config{QueueMax: 5})
	tok := mustToken(t, sim, testLine, "1 day")
	first := mustPoll(t, srv.URL, tok, "")

	// Nobody polls now: the session keeps what happens, up to QueueMax.
	for i := range 8 {
		sim.Emit(ovhevent.Event{Event: ovhevent.StartRinging, Ressource: testLine, Data: ovhevent.Data{CallId: string(rune('a'+i)) + "."}})
	}
	res := mustPoll(t, srv.URL, tok, first.answer.Session)
	if res.took != 0 {
		t.Errorf("poll with queued events took %v, want immediate", res.took)
	}
	var ids []string
	for _, e := range res.answer.Events {
		ids = append(ids, e.CallID())
	}
	if got, want := strings.Join(ids, ""), "d.e.f.g.h."; got != want {
		t.Errorf("queued call ids = %q, want the 5 newest in order %q", got, want)
	}
	if st := sim.Stats(); st.Dropped != 3 {
		t.Errorf("Dropped = %d, want 3", st.Dropped)
	}

	// A new session starts from now: it does not see the past.
	sim.Emit(ovhevent.Event{Event: ovhevent.EndRinging, Ressource: testLine})
	fresh := mustPoll(t, srv.URL, tok, "")
	if len(fresh.answer.Events) != 0 {
		t.Errorf("a new session got past events: %s", fresh.raw)
	}
	// The old one still has it.
	old := mustPoll(t, srv.URL, tok, first.answer.Session)
	if len(old.answer.Events) != 1 {
		t.Errorf("old session: %s", old.raw)
	}
}

func TestWireFormat(t *testing.T) {
	clock := time.Date(2015, 3, 5, 11, 24, 30, 255954700, time.UTC)
	sim, srv := newTestSim(t, Config{Clock: func() time.Time { return clock }})
	tok := mustToken(t, sim, testLine, "1 day")
	l := listen(t, sim, srv.URL, tok)
	sim.Emit(ovhevent.Event{Event: ovhevent.StartRinging, Ressource: testLine, Data: ovhevent.Data{Calling: "0033612345678", Called: testLine, CallId: "N2Zk."}})
	l.wait(t, 1, 5*time.Second)

	l.mu.Lock()
	raw := l.raws[0]
	l.mu.Unlock()
	var wire struct {
		Events []map[string]json.RawMessage
	}
	if err := json.Unmarshal(raw, &wire); err != nil {
		t.Fatal(err)
	}
	ev := wire.Events[0]
	for _, k := range []string{"Event", "Token", "Service", "Ressource", "Timestamp", "Date", "Data", "Details"} {
		if _, ok := ev[k]; !ok {
			t.Errorf("event has no %s: %s", k, raw)
		}
	}
	var data map[string]json.RawMessage
	json.Unmarshal(ev["Data"], &data)
	if ts := string(data["Ts"]); !regexp.MustCompile(`^"\d{10}\.\d{3}"$`).MatchString(ts) {
		t.Errorf("Data.Ts = %s, want a string of seconds with 3 decimals", ts)
	}
	if v := string(data["TsGet"]); !regexp.MustCompile(`^\d{19}$`).MatchString(v) {
		t.Errorf("Data.TsGet = %s, want integer nanoseconds", v)
	}
	if v := string(ev["Timestamp"]); v != "1425554670255954700" {
		t.Errorf("Timestamp = %s, want integer nanoseconds 1425554670255954700", v)
	}
	if v := string(ev["Date"]); v != `"2015-03-05T12:24:30.255954 (CET)"` {
		t.Errorf("Date = %s", v)
	}
	if v := string(ev["Token"]); v != `"`+tok+`"` {
		t.Errorf("Token = %s, want %s", v, tok)
	}
	var details ovhevent.Details
	json.Unmarshal(ev["Details"], &details)
	if details.Description != "Accueil" || details.Type != KindLine || details.Id == "" || details.IdBillingAccount == "" {
		t.Errorf("Details = %+v", details)
	}
	if string(ev["Service"]) != `"sip"` {
		t.Errorf("Service = %s", ev["Service"])
	}
}

func TestBadTokens(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	for _, style := range []BadTokenStyle{BadToken403, BadToken200Message} {
		sim, srv := newTestSim(t, Config{Clock: clock, BadTokenStyle: style})
		wantStatus := http.StatusForbidden
		if style == BadToken200Message {
			wantStatus = http.StatusOK
		}
		revoked := mustToken(t, sim, testLine, "1 day")
		sim.RevokeToken(revoked)
		expired := mustToken(t, sim, testLine, "5 minutes")
		unlimited := mustToken(t, sim, testLine, "unlimited")
		advance(5*time.Minute + time.Second)

		cases := []struct{ name, token string }{
			{"missing", ""},
			{"lower-case", strings.ToLower(unlimited)},
			{"not a uuid", "hello"},
			{"unknown", "1738D072-E7C8-4742-85C5-B22DA3D8BD8F"},
			{"revoked", revoked},
			{"expired", expired},
		}
		for _, c := range cases {
			t.Run(string(style)+"/"+c.name, func(t *testing.T) {
				res := poll(context.Background(), srv.URL, c.token, "")
				if res.status != wantStatus {
					t.Fatalf("status %d, want %d (%s)", res.status, wantStatus, res.raw)
				}
				if res.err != nil || res.answer.Message != MessageInvalidToken || res.answer.Session != "" || res.answer.Events != nil {
					t.Errorf("answer %s (%v), want Message %q, no session, Events null", res.raw, res.err, MessageInvalidToken)
				}
				if res.header.Get("Access-Control-Allow-Origin") != "*" {
					t.Error("no CORS header on a bad-token answer")
				}
				if res.took > testHold/2 {
					t.Errorf("bad token answered after %v, want at once", res.took)
				}
			})
		}
		if res := mustPoll(t, srv.URL, unlimited, ""); res.answer.Message != "" {
			t.Errorf("unlimited token after 5 minutes: %s", res.raw)
		}
		advance(-5*time.Minute - time.Second)
	}
}

func TestRevokeDuringPoll(t *testing.T) {
	sim, srv := newTestSim(t, Config{HoldTime: 10 * time.Second})
	tok := mustToken(t, sim, testLine, "1 day")
	got := heldPoll(t, sim, srv.URL, tok)
	sim.RevokeToken(tok)
	select {
	case res := <-got:
		if res.status != http.StatusForbidden || res.answer.Message != MessageInvalidToken {
			t.Errorf("held poll after revoke: %d %s", res.status, res.raw)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("held poll not answered after its token was revoked")
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	sim, srv := newTestSim(t, Config{})
	tok := mustToken(t, sim, testLine, "1 day")
	short := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 2*time.Second)
	}

	t.Run("5xx", func(t *testing.T) {
		sim.SetFault(Fault5xx)
		ctx, cancel := short()
		defer cancel()
		res := poll(ctx, srv.URL, tok, "")
		if res.status < 500 || res.status > 599 {
			t.Errorf("status %d, want 5xx", res.status)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		sim.SetFault(FaultGarbage)
		ctx, cancel := short()
		defer cancel()
		res := poll(ctx, srv.URL, tok, "")
		if res.status != 200 || res.err == nil || json.Valid(res.raw) {
			t.Errorf("status %d, decode error %v, body %q: want 200 with a body that is not JSON", res.status, res.err, res.raw)
		}
	})
	t.Run("instant-error", func(t *testing.T) {
		// Its own emulator, in a bubble: "at once" is no time on the fake
		// clock.
		synctest.Test(t, func(t *testing.T) {
			sim, srv := newBubbleSim(t, Config{})
			tok := mustToken(t, sim, testLine, "1 day")
			sim.SetFault(FaultInstantError)
			ctx, cancel := short()
			defer cancel()
			res := poll(ctx, srv.URL, tok, "")
			if res.err == nil || res.status != 0 || res.took != 0 {
				t.Errorf("status %d, err %v after %v: want a transport error at once", res.status, res.err, res.took)
			}
			if st := sim.Stats(); st.Faults < 1 {
				t.Errorf("Faults = %d, want at least 1", st.Faults)
			}
		})
	})
	t.Run("hang", func(t *testing.T) {
		// HangTimeout is 2×HoldTime: a client that gives up after a
		// poll's time sees no answer.
		sim.SetFault(FaultHang)
		ctx, cancel := context.WithTimeout(context.Background(), testHold)
		defer cancel()
		res := poll(ctx, srv.URL, tok, "")
		if res.err == nil || ctx.Err() == nil {
			t.Errorf("status %d, err %v after %v: want the client to give up", res.status, res.err, res.took)
		}
	})
	t.Run("fault during a held poll", func(t *testing.T) {
		sim.SetFault(FaultNone)
		sim2, srv2 := newTestSim(t, Config{HoldTime: 10 * time.Second})
		tok2 := mustToken(t, sim2, testLine, "1 day")
		got := make(chan pollResult, 1)
		go func() { got <- poll(context.Background(), srv2.URL, tok2, "") }()
		ctx, cancel := short()
		defer cancel()
		if err := sim2.WaitActivePolls(ctx, 1); err != nil {
			t.Fatal(err)
		}
		sim2.SetFault(Fault5xx)
		select {
		case res := <-got:
			if res.status != http.StatusServiceUnavailable {
				t.Errorf("status %d", res.status)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("held poll not broken by the fault")
		}
	})
	t.Run("repaired", func(t *testing.T) {
		sim.SetFault(FaultNone)
		res := mustPoll(t, srv.URL, tok, "")
		if res.answer.Session == "" {
			t.Errorf("after repair: %s", res.raw)
		}
	})
	// 5xx, garbage and hang (instant-error counts on its own emulator).
	if st := sim.Stats(); st.Faults < 3 {
		t.Errorf("Faults = %d, want at least 3", st.Faults)
	}
}

// TestHangReleased: a hung poll is released when the fault is cleared,
// whether the hang began before the poll or while it was held: it goes on
// as a poll and answers the call rung after the repair. Left hanging, it
// is dropped without an answer after HangTimeout.
func TestHangReleased(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		hangBefore bool // the fault is set before the poll arrives
	}{
		{"hang before the poll", true},
		{"hang during a held poll", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := newTestSim(t, Config{HoldTime: time.Minute})
			tok := mustToken(t, sim, testLine, "1 day")
			got := make(chan pollResult, 1)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if tt.hangBefore {
				sim.SetFault(FaultHang)
				go func() { got <- poll(ctx, srv.URL, tok, "") }()
				waitfor.Until(t, "the poll to hang", func() bool { return sim.Stats().Faults == 1 })
			} else {
				go func() { got <- poll(ctx, srv.URL, tok, "") }()
				if err := sim.WaitActivePolls(ctx, 1); err != nil {
					t.Fatal(err)
				}
				sim.SetFault(FaultHang)
				waitfor.Until(t, "the held poll to hang", func() bool { return sim.Stats().Faults == 1 })
			}
			sim.SetFault(FaultNone)
			if err := sim.WaitActivePolls(ctx, 1); err != nil {
				t.Fatal(err)
			}
			id, err := sim.Ring(Call{Line: testLine, Scenario: Ringing})
			if err != nil {
				t.Fatal(err)
			}
			defer sim.EndCall(id)
			res := <-got
			if res.err != nil || res.status != 200 || len(res.answer.Events) != 1 || res.answer.Events[0].CallID() != id {
				t.Errorf("released poll: status %d, err %v, body %s: want the call rung after the repair", res.status, res.err, res.raw)
			}
		})
	}
	t.Run("dropped after HangTimeout", func(t *testing.T) {
		sim, srv := newTestSim(t, Config{HoldTime: time.Minute, HangTimeout: 50 * time.Millisecond})
		tok := mustToken(t, sim, testLine, "1 day")
		sim.SetFault(FaultHang)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res := poll(ctx, srv.URL, tok, "")
		if res.err == nil || ctx.Err() != nil {
			t.Errorf("status %d, err %v after %v: want the connection dropped without an answer, before the client gives up", res.status, res.err, res.took)
		}
	})
}

func TestSessionsExpire(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sim, srv := newTestSim(t, Config{Clock: clock, SessionTTL: time.Minute})
	tok := mustToken(t, sim, testLine, "unlimited")
	first := mustPoll(t, srv.URL, tok, "")
	if st := sim.Stats(); st.Sessions != 1 {
		t.Fatalf("Sessions = %d, want 1", st.Sessions)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	again := mustPoll(t, srv.URL, tok, first.answer.Session)
	if again.answer.Session == first.answer.Session {
		t.Error("session survived 2 minutes without polls (SessionTTL 1 minute)")
	}
	if st := sim.Stats(); st.Sessions != 1 {
		t.Errorf("Sessions = %d, want 1 (the expired one dropped)", st.Sessions)
	}
}

func TestCORSPreflight(t *testing.T) {
	_, srv := newTestSim(t, Config{})
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/?token=x", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("OPTIONS: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestEventQueue(t *testing.T) {
	var q eventQueue
	ev := func(i int) *ovhevent.Event { return &ovhevent.Event{Event: string(rune('a' + i))} }
	dropped := 0
	for i := range 40 {
		if q.push(ev(i), 20) {
			dropped++
		}
	}
	got := q.take()
	if dropped != 20 || len(got) != 20 || got[0].Event != string(rune('a'+20)) || got[19].Event != string(rune('a'+39)) {
		t.Errorf("dropped %d, got %d events from %q to %q", dropped, len(got), got[0].Event, got[len(got)-1].Event)
	}
	if q.n != 0 || len(q.take()) != 0 {
		t.Error("queue not empty after take")
	}
}
