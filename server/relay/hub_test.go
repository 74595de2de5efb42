package relay

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/stream"
)

func publishN(h *Hub, n int, at time.Time) {
	for i := 0; i < n; i++ {
		h.Publish([]*stream.Event{{Name: "start_ringing", Call: call.Call{ID: "c"}}}, at)
	}
}

func ids(t *testing.T, msgs []*Delivery) []uint64 {
	var out []uint64
	for _, d := range msgs {
		var m stream.Message
		if err := json.Unmarshal(d.Data, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m.ID)
	}
	return out
}

func TestHubReplay(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewHub(5, time.Hour, 10)
	publishN(h, 8, now) // IDs 1..8, log keeps 4..8
	tests := []struct {
		name   string
		cursor uint64
		want   []uint64
		gap    string
	}{
		{"no cursor: from now", 0, nil, ""},
		{"up to date", 8, nil, ""},
		{"in range", 5, []uint64{6, 7, 8}, ""},
		{"just before the oldest", 3, []uint64{4, 5, 6, 7, 8}, ""},
		{"too old", 1, []uint64{4, 5, 6, 7, 8}, "too-old"},
		{"from the future (relay restarted)", 42, nil, "unknown-cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replay, gap, newest, s := h.Subscribe(tt.cursor, tt.cursor > 0, anonymous, "test", now)
			defer h.Unsubscribe(s)
			if newest != 8 {
				t.Errorf("newest = %d", newest)
			}
			if got := ids(t, replay); len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
				t.Errorf("replay = %v, want %v", got, tt.want)
			}
			if (gap == nil) != (tt.gap == "") || gap != nil && gap.Reason != tt.gap {
				t.Errorf("gap = %+v, want %q", gap, tt.gap)
			}
		})
	}
}

func TestHubAgeLimit(t *testing.T) {
	h := NewHub(100, time.Minute, 10)
	t0 := time.Unix(1000, 0)
	publishN(h, 3, t0)
	publishN(h, 2, t0.Add(2*time.Minute))
	replay, gap, _, s := h.Subscribe(1, true, anonymous, "test", t0.Add(2*time.Minute))
	defer h.Unsubscribe(s)
	if got := ids(t, replay); len(got) != 2 || got[0] != 4 || gap == nil {
		t.Errorf("replay %v gap %+v: events older than a minute should be gone", got, gap)
	}
}

func TestHubLiveAndSlowClient(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewHub(100, time.Hour, 2)
	_, _, _, fast := h.Subscribe(0, false, anonymous, "test", now)
	_, _, _, slow := h.Subscribe(0, false, anonymous, "test", now)
	for i := 0; i < 3; i++ {
		h.Publish([]*stream.Event{{Name: "x"}}, now)
		<-fast.C // the fast client reads everything
	}
	select {
	case <-slow.Done:
		if slow.Reason() != errTooSlow {
			t.Errorf("reason = %v, want too slow", slow.Reason())
		}
	default:
		t.Fatal("a client that stopped reading was not cut off")
	}
	if h.Clients() != 1 {
		t.Errorf("clients = %d, want 1", h.Clients())
	}
	h.Close()
	select {
	case <-fast.Done:
		if fast.Reason() != errShutdown {
			t.Error("shutdown not marked as bye")
		}
	default:
		t.Fatal("Close did not release the client")
	}
}
