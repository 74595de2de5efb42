// Package stream is the protocol between the relay and the extensions: one
// event model, carried the same way over WebSocket, Server-Sent Events and
// a JSON long-poll, with one resume cursor.
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

// Paths of the relay's agent API (under the relay URL).
const (
	PathStream = "/v1/stream" // WebSocket (primary: its traffic keeps Chrome's service worker alive)
	PathSSE    = "/v1/sse"    // Server-Sent Events; cursor in ?cursor= or Last-Event-ID
	PathPoll   = "/v1/poll"   // JSON long-poll held at most MaxPollWait: answers a Poll (&upstream=1: each with TypeUpstream)
	PathCalls  = "/v1/calls"  // call history; /v1/calls/missed, POST /v1/calls/seen
	PathDial   = "/v1/dial"   // POST a Dial: one of the agent's lines calls a number (OVH's click-to-call); answers a Dialed
	// POST a CallNote: the agent's note and chosen record for the Call
	// record the relay logs in the CRM; answers a CallNoted.
	PathCallNote = "/v1/calls/note"
)

// CallNote is the body of POST PathCallNote, about one call of the
// agent's lines (Line and ID as the stream gave them: Call.Line, Call.ID),
// during the call or after it. Note is the agent's note: it replaces the
// one sent before, and lands in the Call record's description (an edit
// after the call updates the same record); empty or left out, the note
// stays as it was (a request may set only the record). Record is the
// match the agent chose on the card (one of Card.Matches, or a record
// made during the call): the Call record is related to it.
type CallNote struct {
	Line   string      `json:"line"`
	ID     string      `json:"id"`
	Note   string      `json:"note,omitempty"`
	Record *NoteRecord `json:"record,omitempty"`
}

// NoteRecord is a CRM record a CallNote relates the call to.
type NoteRecord struct {
	Module string `json:"module"` // Contacts, Leads or Accounts
	ID     string `json:"id"`
}

// CallNoted is the relay's answer to a CallNote.
type CallNoted struct {
	// Logged: the relay logs this call in the CRM (crm-log-calls covers
	// its line). false: the note is kept, but no record will carry it.
	Logged bool `json:"logged"`
	// Queued: a write of the Call record is queued (the call has
	// ended); false while the call goes on, the note waits for its end.
	Queued bool `json:"queued"`
	// RecordID is the Call record's id in the CRM.
	RecordID string `json:"recordId,omitempty"`
}

// Dial is the body of POST PathDial: the agent's line calls Number
// through OVH's click-to-call (the agent's phone on that line rings
// first, then OVH calls Number). Line may be left out when the agent has
// exactly one line. The call then comes on the stream like any outbound
// call of the line (start_calling, …).
type Dial struct {
	Line   string `json:"line,omitempty"` // the line that calls, as the agent's lines name it ("0033972101010")
	Number string `json:"number"`         // the number to call, as written on the page ("01 23 45 67 89", "+33123456789")
}

// Dialed is the relay's answer to a Dial OVH accepted.
type Dialed struct {
	Line   string       `json:"line"`   // the line that calls, in OVH's form
	Number phone.Number `json:"number"` // the called number, parsed (Forms.Intl00 is what OVH was sent)
}

// MaxPollWait bounds how long a long-poll is held: a fetch in Chrome's
// extension service worker is killed after 30 s.
const MaxPollWait = 24 * time.Second

// Poll is a long-poll answer: the messages after the request's cursor
// (hello first when it had none), and the cursor to send next time. The
// cursor may be ahead of the last event's ID: events on lines the agent
// does not see move it too, so a quiet agent never falls behind. Unlike
// the WebSocket's, a long-poll's cursor=0 is a cursor ("no event yet", as
// hello says on a relay that never had one), not "start from now": only
// a poll without cursor starts from now.
type Poll struct {
	Cursor   uint64    `json:"cursor"`
	Messages []Message `json:"messages"`
}

// Message types, relay to extension.
const (
	TypeHello = "hello" // first message: relay identity, live calls, the cursor it starts from
	TypeEvent = "event" // one processed OVH event
	TypeGap   = "gap"   // the client's cursor could not be honoured: some events are gone
	TypePing  = "ping"  // keep-alive (also keeps Chrome's service worker alive)
	TypeError = "error" // a problem the user must fix (bad secret, …); Error says what to do
	TypeBye   = "bye"   // the relay is shutting down: reconnect later or elsewhere (Error: CodeShutdown)
	// TypeUpstream says the relay's link to OVH for the agent's lines
	// changed (Upstream): hello carries it too. Clients ignore message
	// types they don't know, so older ones go on without it.
	TypeUpstream = "upstream"
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

	// HTTP API errors (also the body of every non-2xx answer, as an error
	// Message).
	CodeBadRequest  = "bad-request"  // malformed request: the message says which part
	CodeTooLarge    = "too-large"    // request body or client message over the limit
	CodeRateLimited = "rate-limited" // too many wrong secrets from this address: wait (Retry-After)
	CodeUnknownLine = "unknown-line" // a line this agent does not see (or that does not exist)
	CodeBadOrigin   = "bad-origin"   // a web page that is not the extension
	CodeNotFound    = "not-found"    // no such endpoint, agent, call or token
	CodeConflict    = "conflict"     // e.g. an agent of that name exists
	CodeAnonymous   = "anonymous"    // an anonymous agent cannot do this (no seen marks)
	CodeNoStore     = "no-store"     // the relay runs without a data file: no history
	CodeInternal    = "internal"     // the relay failed; its log says why

	// Click-to-call (PathDial) errors.
	CodeBadNumber  = "bad-number"   // the number to call does not parse as a phone number
	CodeNotGranted = "not-granted"  // the relay's OVH credentials lack the click-to-call right
	CodeNoSuchLine = "no-such-line" // OVH has no such line (or it is a queue, which cannot call) in the relay's account
	CodeNoOVHAPI   = "no-ovh-api"   // the relay has no OVH API credentials, so it cannot place calls
	CodeOVHFailed  = "ovh-failed"   // the OVH API failed or refused the call for another reason; the message says which
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
	// Upstream is the relay's link to OVH for the agent's lines
	// (TypeUpstream).
	Upstream *Upstream `json:"upstream,omitempty"`
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
	Card
}

// Hello opens every connection.
type Hello struct {
	Relay  string     `json:"relay"`           // relay version
	Cursor uint64     `json:"cursor"`          // the newest event ID at connection time
	Live   []LiveCall `json:"live"`            // calls going on now, on the agent's lines
	Agent  string     `json:"agent,omitempty"` // who the relay authenticated; "" for an anonymous agent
	Lines  []string   `json:"lines,omitempty"` // the lines the agent sees; ["*"] for all
	// Upstream is the relay's link to OVH for the agent's lines at
	// connection time; later changes come as TypeUpstream messages. nil
	// from a relay older than 0.3.0.
	Upstream *Upstream `json:"upstream,omitempty"`
}

// Upstream is whether calls on the agent's lines can reach the relay:
// the state of the relay's poller of OVH's event service for them (of
// the worst one, when several tokens cover them). "Connected to the
// relay" alone does not say that a call can come: the relay's token may
// have been rejected.
type Upstream struct {
	State string `json:"state"` // one of the Upstream… states
	// Since is when the poller entered State (zero: not known).
	Since time.Time `json:"since,omitzero"`
	// NextTry is when a failing poller tries again (UpstreamBackoff,
	// UpstreamRejected; zero: not known).
	NextTry time.Time `json:"nextTry,omitzero"`
	// Error is the relay's reason, in the relay's words (English, for
	// the relay's administrator), with what to do on the relay's side.
	Error string `json:"error,omitempty"`
	// Directory is the relay's other link: its CRM caller directory's
	// syncs (nil: the relay has no CRM directory, or is older). A change
	// of its state or error comes as a TypeUpstream message, like the
	// OVH link's; a failing one still names callers from the directory
	// as it was, and pops go on.
	Directory *DirectoryStatus `json:"directory,omitempty"`
}

// DirectoryStatus is whether the relay's CRM directory syncs, for the
// extension's popup to show beside the link to OVH.
type DirectoryStatus struct {
	State string    `json:"state"`           // SyncStarting, SyncOK or SyncFailing
	Since time.Time `json:"since,omitzero"`  // when it entered State
	Error string    `json:"error,omitempty"` // SyncFailing: the relay's reason, with what to do on the relay's side
	// Kind is the failure's kind: unreachable, credentials, server,
	// answer (an HTML page instead of the API's JSON) or timeout.
	Kind string `json:"kind,omitempty"`
}

// DirectoryStatus states.
const (
	SyncStarting = "starting" // the first sync is under way
	SyncOK       = "ok"       // the last sync worked
	SyncFailing  = "failing"  // the last sync failed (Error)
)

// Upstream states, as the relay's /healthz names them (upstream.Status…),
// and UpstreamNoToken.
const (
	UpstreamStarting = "starting"       // the first poll is under way
	UpstreamPolling  = "polling"        // calls arrive
	UpstreamBackoff  = "backoff"        // OVH's event service failed or is unreachable: retrying (NextTry)
	UpstreamRejected = "token-rejected" // OVH rejected the event token: no call arrives until it is renewed or replaced
	UpstreamRenewing = "renewing"       // the relay is getting a new token through the OVH API
	UpstreamNoToken  = "no-token"       // no token of the relay watches the agent's lines
)

// CallsArrive reports whether calls on the agent's lines can arrive in
// state (an unknown state, from a newer relay, is taken as they can: the
// client has nothing to warn about).
func CallsArrive(state string) bool {
	switch state {
	case UpstreamBackoff, UpstreamRejected, UpstreamRenewing, UpstreamNoToken:
		return false
	}
	return true
}

// LiveCall is a call in progress, with its caller parsed, so that a client
// waking up mid-call can show (and pop) it.
type LiveCall struct {
	Call    call.Call    `json:"call"`
	Calling phone.Number `json:"calling"`
	Called  phone.Number `json:"called"`
	Card
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

// Card is who the other party of a call is, as the caller card shows
// them: the fields every event and live call carry for it, declared once
// here (the extension's codec is generated from these declarations, see
// tools/jsongen). The relay fills them when it knows (a queue's caller
// name, the relay's CRM directory); empty, the card shows the number.
//
// The relay with a CRM directory looks the other party up in it while it
// turns the OVH event into the call's first message, so that message
// already names the caller (Directory DirectoryFound). A number the
// directory does not know (DirectoryLooking) gets one live lookup in the
// CRM, off the ring path: its answer comes as a follow-up, a TypeEvent
// message re-sending the call's latest event (same Name and Call, a new
// ID, Duplicate true, so nothing counts it twice) with the card filled
// (DirectoryFound) or saying nobody has the number (DirectoryUnknown).
// A client applies a follow-up's card to the call and does not pop
// again. When the live lookup fails, no follow-up comes: the card stays
// DirectoryLooking, which says nothing about the caller.
type Card struct {
	// OtherParty is the number the agent cares about, chosen once by the
	// relay (pop.OtherParty): the caller on an inbound call, the called
	// number on an outbound one, parsed, with its forms.
	OtherParty phone.Number `json:"otherParty"`
	// CallerName is the other party's name: a queue's QueueMemberCIDName,
	// or the matching CRM record's when exactly one matches.
	CallerName string `json:"callerName,omitempty"`
	// Matches are the CRM records found for the other party's number:
	// one opens directly, several are listed for the agent to choose. At
	// most MaxMatches of them; MatchCount says how many there are.
	Matches []Match `json:"matches,omitempty"`
	// MatchCount is how many records share the number in the relay's
	// directory: more than len(Matches) when the relay capped the list
	// (the card says "and N more"); 0 when Matches is empty.
	MatchCount int `json:"matchCount,omitempty"`
	// Directory is what the relay's CRM directory said of OtherParty
	// (one of the Directory… values); "" from a relay with no directory
	// (or an older one): empty Matches then says nothing about the
	// caller, and no new contact should be offered.
	Directory string `json:"directory,omitempty"`
}

// MaxMatches is the most matches a card carries: 50 records sharing a
// switchboard number would make every message of the call large and the
// list useless; the card says how many more there are (MatchCount).
const MaxMatches = 10

// Card.Directory values.
const (
	DirectoryFound   = "found"   // Matches holds the records of the number
	DirectoryLooking = "looking" // not in the directory: the relay asks the CRM, a follow-up card may come
	DirectoryUnknown = "unknown" // neither the directory nor the CRM knows the number: a new contact
	// DirectoryNoNumber: the other party has no number to look up
	// (anonymous, or one that does not parse).
	DirectoryNoNumber = "no-number"
)

// Match is one CRM record that matches a call's other party: what the
// caller card shows of it, and where it opens.
type Match struct {
	Name   string `json:"name"`         // e.g. "Jeanne Martin" (a person's full name, or an account's name)
	Module string `json:"module"`       // CRM module, e.g. "Contacts", "Accounts", "Leads"
	ID     string `json:"id,omitempty"` // the record's ID in the CRM
	URL    string `json:"url"`          // the record's page (http or https), on the relay's CRM address
	// Company is the person's account (a contact's account name, a
	// lead's account_name); "" for an account, or when the CRM has none.
	Company string `json:"company,omitempty"`
	// Owner is the record's assigned user, by display name where the CRM
	// has it (else the user name); "" when unassigned.
	Owner string `json:"owner,omitempty"`
	// Field is the record's phone field that holds the number, as the
	// CRM names it (e.g. "phone_mobile", "phone_office").
	Field string `json:"field,omitempty"`
}
