package background

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/stream"
)

func upstreamMsg(t *testing.T, u stream.Upstream) []byte {
	t.Helper()
	b, err := json.Marshal(stream.Message{Type: stream.TypeUpstream, Upstream: &u})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUpstreamBadge: while the relay says no call can arrive (its OVH
// token rejected, OVH unreachable), the badge warns; a ringing call still
// shows RING, and the missed count comes back once calls can arrive.
func TestUpstreamBadge(t *testing.T) {
	var st Memory
	e := env(conf)
	badge := func() string { b, _ := st.Badge(conf); return b }
	h := &stream.Hello{Cursor: 0, Live: []stream.LiveCall{}, Upstream: &stream.Upstream{State: stream.UpstreamRejected, Since: now.Add(-time.Minute), NextTry: now.Add(time.Minute)}}
	raw, _ := json.Marshal(stream.Message{Type: stream.TypeHello, Hello: h})
	handle(t, &st, raw, e)
	if b := badge(); b != noCallsBadge {
		t.Errorf("badge after a hello saying the token was rejected = %q, want %q", b, noCallsBadge)
	}
	if v := st.View(); v.Upstream == nil || v.Upstream.State != stream.UpstreamRejected || !v.Upstream.NextTry.Equal(now.Add(time.Minute)) {
		t.Errorf("the Calls view's upstream = %+v, want the rejected state for the pages", v.Upstream)
	}

	// A missed call (the relay had it before the token failed, say).
	ring(t, &st, 1, "c1", "0033612345682", e)
	if b := badge(); b != "RING" {
		t.Errorf("badge while a call rings = %q, want RING", b)
	}
	handle(t, &st, eventMsg(t, 2, "end_ringing", "c1", call.Missed, "0033612345682"), e)
	if b := badge(); b != noCallsBadge {
		t.Errorf("badge with a missed call while no call can arrive = %q, want %q", b, noCallsBadge)
	}

	acts := handle(t, &st, upstreamMsg(t, stream.Upstream{State: stream.UpstreamPolling, Since: now}), e)
	if b := badge(); b != "1" {
		t.Errorf("badge once calls arrive again = %q, want the missed count, 1", b)
	}
	if !st.Dirty() || !hasBadge(acts, "1") {
		t.Errorf("the upstream message changed nothing to save or show: %v", acts)
	}
	for _, state := range []string{stream.UpstreamBackoff, stream.UpstreamRenewing, stream.UpstreamNoToken} {
		handle(t, &st, upstreamMsg(t, stream.Upstream{State: state}), e)
		if b := badge(); b != noCallsBadge {
			t.Errorf("badge in %s = %q, want %q", state, b, noCallsBadge)
		}
	}
	for _, state := range []string{stream.UpstreamStarting, "a-state-of-a-newer-relay"} {
		handle(t, &st, upstreamMsg(t, stream.Upstream{State: state}), e)
		if b := badge(); b != "1" {
			t.Errorf("badge in %s = %q, want the missed count", state, b)
		}
	}

	// An older relay's hello says nothing of it: nothing to warn about.
	handle(t, &st, upstreamMsg(t, stream.Upstream{State: stream.UpstreamRejected}), e)
	handle(t, &st, helloMsg(t, 2), e)
	if b := badge(); b != "1" || st.View().Upstream != nil {
		t.Errorf("after an older relay's hello: badge %q, upstream %+v; want the missed count and none", b, st.View().Upstream)
	}
}

func hasBadge(acts []Action, text string) bool {
	for _, a := range acts {
		if a.Kind == ActionBadge && a.Text == text {
			return true
		}
	}
	return false
}

// TestUnknownMessageIgnored: a message type the extension does not know
// (from a newer relay) is ignored, as this version's relay counts on for
// older extensions receiving its upstream messages; a known message with
// an unknown field reads as without it.
func TestUnknownMessageIgnored(t *testing.T) {
	var st Memory
	e := env(conf)
	handle(t, &st, helloMsg(t, 0), e)
	st.Dirty()
	acts := handle(t, &st, []byte(`{"type":"weather","weather":{"sky":"grey"}}`), e)
	if len(kinds(acts)) != 0 || st.Dirty() {
		t.Errorf("an unknown message type did %v", acts)
	}
	handle(t, &st, []byte(`{"type":"hello","hello":{"cursor":0,"live":[],"forecast":{"rain":true}}}`), e)
	if st.upstream != nil {
		t.Errorf("a hello with an unknown field: upstream %+v", st.upstream)
	}
}

// TestRelayUnreachableBadge: while the extension cannot reach the relay
// (down, wrong address, refused) the badge warns as when the relay says
// no call can arrive; connecting again changes nothing (no flashing in a
// reconnection loop), an opened connection clears it.
func TestRelayUnreachableBadge(t *testing.T) {
	var st Memory
	e := env(conf)
	badge := func() string { b, _ := st.Badge(conf); return b }
	handle(t, &st, helloMsg(t, 0), e)
	ring(t, &st, 1, "c1", "0033612345682", e)
	handle(t, &st, eventMsg(t, 2, "end_ringing", "c1", call.Missed, "0033612345682"), e)

	steps := []struct {
		state string
		want  string
	}{
		{StatusDown, noCallsBadge},
		{StatusConnecting, noCallsBadge}, // trying again: still no call can arrive
		{StatusDown, noCallsBadge},
		{StatusConnected, "1"}, // the missed count comes back
		{StatusConnecting, "1"},
		{StatusSettings, noCallsBadge}, // refused, or settings to fix
		{StatusConnected, "1"},
	}
	for i, s := range steps {
		var acts []Action
		if ok, known := reachableState(s.state); known {
			acts = st.RelayReachable(ok, conf)
		}
		if b := badge(); b != s.want {
			t.Errorf("step %d (%s): badge %q, want %q", i, s.state, b, s.want)
		}
		if i > 0 && s.want != steps[i-1].want && !hasBadge(acts, s.want) {
			t.Errorf("step %d (%s): no badge action for %q: %v", i, s.state, s.want, acts)
		}
		if i > 0 && s.want == steps[i-1].want && len(acts) != 0 {
			t.Errorf("step %d (%s): the badge was set again, unchanged: %v", i, s.state, acts)
		}
	}
	// A ringing call (it did arrive) still reads RING.
	st.RelayReachable(false, conf)
	ring(t, &st, 3, "c2", "0033612345683", e)
	if b := badge(); b != "RING" {
		t.Errorf("badge while a call rings and the relay is unreachable = %q, want RING", b)
	}
}

func TestSameUpstream(t *testing.T) {
	ok := func() *stream.Upstream {
		return &stream.Upstream{State: stream.UpstreamPolling, Directory: &stream.DirectoryStatus{State: stream.SyncOK}}
	}
	failing := ok()
	failing.Directory.State = stream.SyncFailing
	noDir := ok()
	noDir.Directory = nil
	tests := []struct {
		name string
		a, b *stream.Upstream
		want bool
	}{
		{"both nil", nil, nil, true},
		{"one nil", ok(), nil, false},
		{"equal, distinct pointers", ok(), ok(), true},
		{"directory state differs", ok(), failing, false},
		{"one without directory", ok(), noDir, false},
		{"OVH state differs", ok(), &stream.Upstream{State: stream.UpstreamBackoff, Directory: &stream.DirectoryStatus{State: stream.SyncOK}}, false},
	}
	for _, tt := range tests {
		if got := sameUpstream(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: sameUpstream = %v, want %v", tt.name, got, tt.want)
		}
	}
}
