package relay

import (
	"slices"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/stream"
)

// TestHubLineIndex: the hub finds who sees an event through its line
// index exactly as Agent.Sees decides (spellings of a number, a line that
// is not a number, every line), and keeps the index in step with
// SetLines and with clients leaving.
func TestHubLineIndex(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewHub(100, time.Hour, 100)
	subs := map[string]*Sub{}
	for name, lines := range map[string][]string{
		"ovh":     {"0033972101010"},
		"e164":    {"+33 9 72 10 10 10"},
		"other":   {"0033972101011"},
		"queue":   {"queue-sales"},
		"Queue":   {"Queue-Sales "},
		"every":   {"*"},
		"nothing": nil,
	} {
		_, _, _, subs[name] = h.Subscribe(0, false, Agent{Name: name, Lines: lines}, "test", now)
	}
	_, _, _, subs["anonymous"] = h.Subscribe(0, false, anonymous, "test", now)

	publish := func(line string) uint64 {
		ids, _ := h.Publish([]*stream.Event{{Name: "start_ringing", Call: call.Call{ID: "c", Line: line}}}, now)
		return ids[0]
	}
	got := func() []string {
		var out []string
		for name, s := range subs {
			if len(h.Take(s, nil)) > 0 {
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"0033972101010", []string{"anonymous", "e164", "every", "ovh"}},
		{"+33972101011", []string{"anonymous", "every", "other"}},
		{"queue-sales", []string{"Queue", "anonymous", "every", "queue"}},
		{"+33 (0)9 72 10 10 10", []string{"anonymous", "e164", "every", "ovh"}},
		{"", []string{"anonymous", "every"}},
	} {
		publish(tc.line)
		if g := got(); !slices.Equal(g, tc.want) {
			t.Errorf("event on %q went to %v, want %v", tc.line, g, tc.want)
		}
	}

	h.SetLines("other", []string{"0033972101010"})
	publish("0033972101010")
	if g := got(); !slices.Equal(g, []string{"anonymous", "e164", "every", "other", "ovh"}) {
		t.Errorf("after other's lines changed: %v", g)
	}
	publish("0033972101011")
	if g := got(); !slices.Equal(g, []string{"anonymous", "every"}) {
		t.Errorf("other's old line still reaches: %v", g)
	}

	for name, s := range subs {
		h.Unsubscribe(s)
		delete(subs, name)
	}
	publish("0033972101010")
	if ix := h.lines; len(ix.all)+len(ix.byKey) != 0 {
		t.Errorf("index left with %d every-line clients, %d line keys after everyone left", len(ix.all), len(ix.byKey))
	}
}
