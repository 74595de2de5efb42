package background

import (
	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/stream"
)

// What the pages (popup, side panel, options) show is read from extension
// storage, written by the background after every change. The background is
// the only writer; pages send it requests (runtime messages) to change
// anything (pause, mark seen, open in CRM, test pop).

// CallsKey is the storage key of the Calls view.
const CallsKey = "calls"

// CallView is one call as the pages show it.
type CallView struct {
	Call    call.Call    `json:"call"`
	Calling phone.Number `json:"calling"`
	Called  phone.Number `json:"called"`
	URL     string       `json:"url,omitempty"`    // the CRM URL for "open in CRM" (the other party's search)
	Popped  bool         `json:"popped,omitempty"` // whether it popped
	Seen    bool         `json:"seen,omitempty"`   // a missed call the agent has seen
	// Card is who the other party is (stream.Card: the caller's name,
	// the CRM records found), as the relay sent it with the call's last
	// event; empty, the pages show the number's forms.
	stream.Card

	// Reason says why the call did not pop (a pop.Reason: "capped",
	// "paused", "line-filtered", "withheld", …); "" when it popped or no
	// event of the call was one that pops.
	Reason pop.Reason `json:"reason,omitempty"`
	// Error says why its pop failed (silent mode's GET, a template that
	// cannot be expanded); "" when it did not fail.
	Error string `json:"error,omitempty"`
	// Test marks RequestTestPop's sample call: not a real call.
	Test bool `json:"test,omitempty"`
	// Since is when the extension first saw the call (Unix ms).
	Since int64 `json:"since,omitempty"`
	// Notified: the ringing notification was shown (at most once per call).
	Notified bool `json:"notified,omitempty"`
}

// ReasonPaused is CallView.Reason for a call that would have popped while
// pops were paused (settings.Paused).
const ReasonPaused pop.Reason = "paused"

// ReasonBadTemplate is CallView.Reason for a call whose CRM URL could not
// be built from the template (its Error says why).
const ReasonBadTemplate pop.Reason = "bad-template"

// Calls is the call list the pages show.
type Calls struct {
	Live         []CallView `json:"live"`              // going on now, oldest first
	Recent       []CallView `json:"recent"`            // ended, newest first, bounded
	UnseenMissed int        `json:"unseenMissed"`      // missed calls not yet seen (the badge count)
	Current      *CallView  `json:"current,omitempty"` // the call the side panel shows: the newest ringing or answered one, else the last popped
}

// Requests pages send to the background with runtime.sendMessage; the
// answer is {"ok":true} or {"ok":false,"error":"…"}.
const (
	RequestPause     = "pause"     // {"type":"pause","paused":true}
	RequestMarkSeen  = "mark-seen" // {"type":"mark-seen"}: every missed call seen
	RequestOpen      = "open"      // {"type":"open","line":"…","id":"…"}: open that call in the CRM
	RequestTestPop   = "test-pop"  // {"type":"test-pop"}: pop a sample call with the current settings
	RequestReconnect = "reconnect" // {"type":"reconnect"}
)
