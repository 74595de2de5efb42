package background

import (
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
)

// StatusKey is where the background publishes its connection state for the
// pages (options, popup) to show.
const StatusKey = "status"

// RelayStatus is the relay connection as the agent should understand it.
type RelayStatus struct {
	State   string `json:"state"`   // "connecting", "connected", "down", "settings"
	Message string `json:"message"` // why, and what to do
	Relay   string `json:"relay"`
	At      int64  `json:"at"` // Unix ms
	// PopError says why the last pop failed (silent mode's GET, a window
	// that could not open), with what to do; "" when it did not fail.
	PopError   string `json:"popError,omitempty"`
	PopErrorAt int64  `json:"popErrorAt,omitempty"` // Unix ms
}

// RelayStatus states.
const (
	StatusConnecting = "connecting"
	StatusConnected  = "connected"
	StatusDown       = "down"
	StatusSettings   = "settings" // the agent must fix the settings (or paste a new connection string)
)

// The relay's link to OVH for the agent's lines (stream.Upstream): the
// relay says it in its hello and at each change. While no call can
// arrive (the relay's token rejected, OVH unreachable…) the toolbar badge
// says so, and the pages say why and what to do (the Calls view carries
// it: Calls.Upstream).

// The badge while no call can arrive: only a ringing call goes before it
// (a call that rings did arrive); the missed count comes back after.
const (
	noCallsBadge = "!"
	noCallsColor = "#a142f4" // purple: neither a call (red, orange) nor a pause (grey)
)

// setUpstream records what the relay says of its link to OVH; nil (an
// older relay's hello) is "not known", which warns of nothing.
func (st *Memory) setUpstream(u *stream.Upstream) {
	if sameUpstream(u, st.upstream) {
		return
	}
	st.upstream, st.dirty = u, true
}

// sameUpstream compares two upstream states by value, the directory's
// (a pointer) included: a message that repeats the state changes nothing.
func sameUpstream(a, b *stream.Upstream) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	if (x.Directory == nil) != (y.Directory == nil) || x.Directory != nil && *x.Directory != *y.Directory {
		return false
	}
	x.Directory, y.Directory = nil, nil
	return x == y
}

// RelayReachable records whether the extension reaches the relay: false
// once a connection failed (StatusDown: relay down, wrong address,
// refused) or the relay refused the agent or the settings are unusable
// (StatusSettings); true once a connection opened. While connecting
// again nothing changes, so a reconnection loop does not flash the
// badge. It returns the badge action when the badge changes. Not saved:
// a new worker finds out by connecting.
func (st *Memory) RelayReachable(ok bool, s settings.Settings) []Action {
	st.relayDown = !ok
	return st.withBadge(nil, s.Normalize())
}

// reachableState says what RelayStatus state means for RelayReachable:
// known is false for the states that say nothing of it (connecting).
func reachableState(state string) (ok, known bool) {
	switch state {
	case StatusConnected:
		return true, true
	case StatusDown, StatusSettings:
		return false, true
	}
	return false, false
}

// noCallCanArrive reports whether no call on our lines can reach us now:
// the extension cannot reach the relay, or the relay said it gets none.
func (st *Memory) noCallCanArrive() bool {
	return st.relayDown || st.upstream != nil && !stream.CallsArrive(st.upstream.State)
}
