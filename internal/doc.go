// Package internal has no code: it is the map of the packages the relay
// and the extension share, below it.
//
// The path of one OVH event, each package once:
//
//	OVH event service
//	  │ long-poll                       server/upstream (one poller per token)
//	  ▼
//	internal/ovhevent                   the event service's answers, decoded
//	  ▼
//	internal/call                       events → calls: state machine, missed
//	internal/phone, internal/phone/parse the same-line rule; a number's forms
//	  ▼
//	server/relay, server/store          log, then stream to the agents who see the line
//	  │ WebSocket / SSE / long-poll     internal/stream: the one wire schema
//	  ▼
//	wasm/background                     codec generated from internal/stream (tools/jsongen,
//	                                    internal/stdlite); decide.go: pop or not
//	internal/pop, internal/settings     rules, per-minute cap, URL templates, CRM presets
//	  ▼
//	browser: CRM tab, window, side panel, in-page card, badge, notification
//	wasm/pages                          popup, side panel and options, from the background's view
//
// Rules live once, here: "the same line" (phone.LineKey, phone.SameLine),
// "missed" (call.Call.Missed, set by the state machine), the other party
// of a call (pop.OtherParty), the canonical event name (ovhevent, applied
// by call on the relay).
package internal
