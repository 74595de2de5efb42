package background

import "github.com/screenpop/screenpop/wasm/view"

// What the pages (popup, side panel, options) show is read from extension
// storage, written by the background after every change. The background is
// the only writer; pages send it requests (runtime messages) to change
// anything (pause, mark seen, open in CRM, test pop).

// CallsKey is the storage key of the Calls view.
const CallsKey = "calls"

// The views of calls are package view's, which renders them for the pages
// and the popup the background keeps ready.
type (
	CallView = view.CallView
	Calls    = view.Calls
)

// Reasons a call did not pop that the background adds to pop's.
const (
	ReasonPaused      = view.ReasonPaused
	ReasonBadTemplate = view.ReasonBadTemplate
)

// Requests pages send to the background with runtime.sendMessage; the
// answer is {"ok":true} or {"ok":false,"error":"…"}.
const (
	RequestPause     = "pause"     // {"type":"pause","paused":true}
	RequestMarkSeen  = "mark-seen" // {"type":"mark-seen"}: every missed call seen
	RequestOpen      = "open"      // {"type":"open","line":"…","id":"…"[,"as":"record","record":0 | "new" | "search"]}: open that call in the CRM (OpenAs)
	RequestTestPop   = "test-pop"  // {"type":"test-pop"}: pop a sample call with the current settings
	RequestReconnect = "reconnect" // {"type":"reconnect"}
)
