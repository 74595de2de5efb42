package relay

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/ovhsim"
)

// calls waits until path lists n calls and returns them.
func (h *harness) calls(t *testing.T, path, secret string, n int) Calls {
	t.Helper()
	var c Calls
	waitfor.Until(t, fmt.Sprintf("%s to list %d calls", path, n), func() bool {
		resp, b := h.request(t, "GET", path, secret, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		c = Calls{}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		return len(c.Calls) >= n
	})
	return c
}

// settled waits until the calls are over and in the history.
func (h *harness) settled(t *testing.T, states ...call.State) {
	t.Helper()
	waitfor.Until(t, fmt.Sprintf("the calls to reach %v in the history", states), func() bool {
		cs, _ := h.store.RecentCalls(nil, 0, time.Time{})
		done := 0
		for _, c := range cs {
			for _, s := range states {
				if c.State == s {
					done++
					break
				}
			}
		}
		return done >= len(states)
	})
}

func TestHistory(t *testing.T) {
	h := newHarness(t, Config{})
	alice := h.agent(t, "alice", testLine)
	bob := h.agent(t, "bob", "+33972101011")
	boss := h.agent(t, "boss", "*")
	missedID := h.ring(t, testLine, ovhsim.Missed)
	h.ring(t, testLine2, ovhsim.Answered)
	h.settled(t, call.Missed, call.Ended)

	a := h.calls(t, "/v1/calls", alice, 1)
	if len(a.Calls) != 1 || a.Calls[0].Call.Line != testLine || a.Calls[0].Call.State != call.Missed || a.Calls[0].Call.ID != missedID {
		t.Fatalf("alice's calls = %+v, want her missed call only", a.Calls)
	}
	if c := a.Calls[0]; c.Calling.Kind != phone.Valid || c.Calling.Forms.E164 == "" || c.RingSeconds <= 0 || c.TalkSeconds != 0 || c.Call.Direction != call.Inbound {
		t.Errorf("alice's call %+v: want the caller parsed, a ring duration, no talk", c)
	}
	b := h.calls(t, "/v1/calls", bob, 1)
	if len(b.Calls) != 1 || b.Calls[0].Call.State != call.Ended || b.Calls[0].TalkSeconds <= 0 {
		t.Fatalf("bob's calls = %+v, want his answered call with a talk duration", b.Calls)
	}
	if all := h.calls(t, "/v1/calls?limit=1", boss, 1); len(all.Calls) != 1 {
		t.Errorf("limit=1 gave %d calls", len(all.Calls))
	}
	if all := h.calls(t, "/v1/calls", boss, 2); len(all.Calls) != 2 {
		t.Errorf("boss sees %d calls, want 2", len(all.Calls))
	}
	if only := h.calls(t, "/v1/calls?line=%2B33972101011", boss, 1); len(only.Calls) != 1 || only.Calls[0].Call.Line != testLine2 {
		t.Errorf("?line=+33… gave %+v", only.Calls)
	}

	// Missed calls, seen marks per agent.
	m := h.calls(t, "/v1/calls/missed", alice, 1)
	if len(m.Calls) != 1 || m.Calls[0].Seen == nil || *m.Calls[0].Seen || m.Unseen == nil || *m.Unseen != 1 {
		t.Fatalf("alice's missed calls = %+v (unseen %v)", m.Calls, m.Unseen)
	}
	if m := h.calls(t, "/v1/calls/missed", bob, 0); len(m.Calls) != 0 {
		t.Errorf("bob sees alice's missed call: %+v", m.Calls)
	}
	resp, body := h.request(t, "POST", stream.PathCalls+"/seen", alice, strings.NewReader(`{"line":"+33972101010","id":"`+missedID+`"}`))
	if resp.StatusCode != 200 {
		t.Fatalf("mark seen: %d %s", resp.StatusCode, body)
	}
	if m := h.calls(t, "/v1/calls/missed", alice, 1); !*m.Calls[0].Seen || *m.Unseen != 0 {
		t.Errorf("after marking it seen: %+v unseen %d", m.Calls, *m.Unseen)
	}
	if m := h.calls(t, "/v1/calls/missed?unseen=true", alice, 0); len(m.Calls) != 0 {
		t.Errorf("unseen=true still lists %+v", m.Calls)
	}
	// The boss has not seen it: marks are per agent. Mark all up to now.
	if m := h.calls(t, "/v1/calls/missed", boss, 1); *m.Unseen != 1 {
		t.Errorf("boss unseen = %d, want 1", *m.Unseen)
	}
	resp, body = h.request(t, "POST", stream.PathCalls+"/seen", boss, strings.NewReader(`{"upTo":"`+time.Now().UTC().Format(time.RFC3339Nano)+`"}`))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"marked":1`) {
		t.Errorf("mark all seen: %d %s", resp.StatusCode, body)
	}
}

func TestHistoryAnonymousAndNoStore(t *testing.T) {
	h := newHarness(t, Config{AllowAnonymous: true})
	h.ring(t, testLine, ovhsim.Missed)
	h.settled(t, call.Missed)
	if c := h.calls(t, "/v1/calls/missed", "", 1); len(c.Calls) != 1 || c.Calls[0].Seen != nil || c.Unseen != nil {
		t.Errorf("anonymous missed calls = %+v", c)
	}
	resp, b := h.request(t, "POST", stream.PathCalls+"/seen", "", strings.NewReader(`{"upTo":"2030-01-01T00:00:00Z"}`))
	if resp.StatusCode != 403 || errorCode(b) != stream.CodeAnonymous {
		t.Errorf("anonymous mark seen: %d %s", resp.StatusCode, b)
	}

	r, err := New(Config{AllowAnonymous: true, Log: quiet(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	hh := &harness{srv: newServer(t, r)}
	resp, b = hh.request(t, "GET", "/v1/calls", "", nil)
	if resp.StatusCode != 503 || errorCode(b) != stream.CodeNoStore {
		t.Errorf("history without a store: %d %s", resp.StatusCode, b)
	}
}
