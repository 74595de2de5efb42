// Package stream is the protocol between the relay and the extensions: one
// event model, carried the same way over WebSocket (and, later, Server-Sent
// Events and long-poll), with one resume cursor.
//
// A client connects with the ID of the last message it processed
// (?cursor=N). The relay replays what came after it, then streams live
// messages. When the cursor is older than what the relay still holds, or
// newer than anything it knows (the relay restarted and lost its memory),
// the client gets a "gap" message first, so it knows it must treat its view
// of the world as stale rather than trust it silently.
package stream

import (
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
)

// Message types, relay to extension.
const (
	TypeHello = "hello" // first message: relay identity, live calls, the cursor it starts from
	TypeEvent = "event" // one processed OVH event
	TypeGap   = "gap"   // the client's cursor could not be honoured: some events are gone
	TypePing  = "ping"  // keep-alive (also keeps Chrome's service worker alive)
	TypeError = "error" // a problem the user must fix (bad secret, …); Error says what to do
	TypeBye   = "bye"   // the relay is shutting down: reconnect later or elsewhere
)

// Client to relay. Over WebSocket the client's first message authenticates
// it (browsers can't set headers on a WebSocket, and a secret in the URL
// would end up in proxy logs); after that it only sends pings, to keep
// intermediaries and Chrome's worker from idling out. Over SSE and
// long-poll the secret goes in an `Authorization: Bearer` header.
const (
	TypeAuth   = "auth"
	ClientPing = `{"type":"ping"}`
)

// ClientMessage is a frame from the extension to the relay.
type ClientMessage struct {
	Type   string `json:"type"`             // TypeAuth or TypePing
	Secret string `json:"secret,omitempty"` // the agent's secret (TypeAuth); empty on a relay open to anonymous agents (demo)
}

// AuthTimeout is how long the relay waits for the auth message.
const AuthTimeout = 10 * time.Second

// Error codes: stable, for clients and tests to match on.
const (
	CodeBadSecret = "bad-secret" // unknown, wrong or revoked secret: paste a new connection string
	CodeNoAuth    = "no-auth"    // the first message was not an auth message
	CodeRevoked   = "revoked"    // the agent was revoked while connected
	CodeTooSlow   = "too-slow"   // the client fell behind and was cut off: reconnect with the cursor
	CodeBadCursor = "bad-cursor" // the cursor is not a number
	CodeShutdown  = "shutdown"   // the relay is stopping: reconnect (with the cursor) in a moment
)

// KeepAlive is how often each side sends something. Chrome keeps an
// extension service worker alive only while WebSocket traffic flows at
// least every 30 s; 15 s leaves room for a slow network.
const KeepAlive = 15 * time.Second

// Message is one frame from the relay.
type Message struct {
	Type  string `json:"type"`
	ID    uint64 `json:"id,omitempty"` // cursor of an event message
	Event *Event `json:"event,omitempty"`
	Hello *Hello `json:"hello,omitempty"`
	Gap   *Gap   `json:"gap,omitempty"`
	Error *Error `json:"error,omitempty"`
}

// Event is one OVH event after the relay processed it: everything the
// extension needs to act without another round trip.
type Event struct {
	Name      string       `json:"name"`                // canonical OVH event name (start_ringing, …)
	Call      call.Call    `json:"call"`                // the call's state after this event
	Calling   phone.Number `json:"calling"`             // caller, parsed, with its forms
	Called    phone.Number `json:"called"`              // called number, parsed
	Duplicate bool         `json:"duplicate,omitempty"` // the relay saw this exact event before
	Received  time.Time    `json:"received"`            // when the relay got it from OVH
}

// Hello opens every connection.
type Hello struct {
	Relay  string     `json:"relay"`  // relay version
	Cursor uint64     `json:"cursor"` // the newest event ID at connection time
	Live   []LiveCall `json:"live"`   // calls going on now
}

// LiveCall is a call in progress, with its caller parsed, so that a client
// waking up mid-call can show (and pop) it.
type LiveCall struct {
	Call    call.Call    `json:"call"`
	Calling phone.Number `json:"calling"`
	Called  phone.Number `json:"called"`
}

// Gap says the replay is incomplete.
type Gap struct {
	From   uint64 `json:"from"`   // the cursor the client sent
	Oldest uint64 `json:"oldest"` // the oldest event ID still held (0 = none)
	Reason string `json:"reason"` // "too-old" or "unknown-cursor"
}

// Error is a typed problem with a stable code and a message saying what to do.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}
