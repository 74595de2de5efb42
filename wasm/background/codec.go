package background

import (
	"errors"

	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stdlite"
	"github.com/screenpop/screenpop/internal/stream"
)

// The background's JSON. Its codec (wire_gen.go) is generated from the
// types' declarations and json tags by tools/jsongen, onto stdlite's
// parser and encoder (the background cannot afford encoding/json; see
// stdlite). Change a type, then run go generate ./wasm/background; a test
// fails while the generated file is stale (TestWireCodecIsCurrent), and
// every field of every type is checked to round-trip, and to read and
// write as encoding/json does (codec_test.go).

//go:generate go run ../../tools/jsongen -out wire_gen.go -decode "stream.Message settings.Settings Memory RelayStatus Calls" -encode "stream.ClientMessage Calls RelayStatus InPageCard Memory"

// decodeMessage reads one message from the relay.
func decodeMessage(raw []byte) (stream.Message, error) {
	var m stream.Message
	v, err := stdlite.ParseJSON(string(raw))
	if err != nil {
		return m, errors.New("the relay sent a message that is " + err.Error() + "; update the relay and the extension to matching versions")
	}
	decodeStreamMessage(&v, &m)
	return m, nil
}

// authMessage is the client's first message on a WebSocket.
func authMessage(secret string) string {
	var e stdlite.JSONEncoder
	encodeStreamClientMessage(&e, &stream.ClientMessage{Type: stream.TypeAuth, Secret: secret})
	return string(e.Bytes())
}

// loadSettings reads stored settings over s (the defaults): a member
// absent keeps its default, as with encoding/json.
func loadSettings(raw string, s *settings.Settings) error {
	v, err := stdlite.ParseJSON(raw)
	if err != nil {
		return err
	}
	decodeSettingsSettings(&v, s)
	return nil
}

// loadStatus reads a saved RelayStatus.
func loadStatus(raw string) (RelayStatus, error) {
	var s RelayStatus
	v, err := stdlite.ParseJSON(raw)
	if err == nil {
		decodeRelayStatus(&v, &s)
	}
	return s, err
}

// loadMemory reads the state saved by saveMemory, and the calls going on
// and ended from the Calls view saved with it (saveCalls; calls may be
// ""). A state saved by an older version holds these calls itself. When
// only the calls are damaged, the state comes back without them, with the
// error: what popped must not be forgotten for a damaged history.
func loadMemory(raw, calls string) (Memory, error) {
	var st Memory
	v, err := stdlite.ParseJSON(raw)
	if err != nil {
		return st, err
	}
	decodeMemory(&v, &st)
	lists := &v
	if !v.Has("live") && !v.Has("recent") && calls != "" {
		c, err := stdlite.ParseJSON(calls)
		if err != nil {
			return st, errors.New("the saved calls are damaged: " + err.Error())
		}
		lists = &c
	}
	var saved Calls
	decodeViewCalls(lists, &saved)
	legacyMissed(lists.Get("recent"), saved.Recent)
	st.Live, st.Recent = saved.Live, saved.Recent
	return st, nil
}

// legacyMissed carries the "missed" of views saved before the relay sent
// it in the call (call.Call.Missed) into their call, so that an update
// keeps the missed calls the badge counted.
func legacyMissed(list *stdlite.JSONValue, views []CallView) {
	for i := range list.Array {
		if i < len(views) && list.Array[i].Get("missed").Kind == stdlite.JSONTrue {
			views[i].Call.Missed = true
		}
	}
}

// saveMemory writes the state for loadMemory, without the calls going on
// and ended (json:"-"): they are saved once, in the Calls view
// (saveCalls), so that the state written before a pop stays small (see
// worker.do).
func saveMemory(st *Memory) string {
	var e stdlite.JSONEncoder
	encodeMemory(&e, st)
	return string(e.Bytes())
}

// saveCalls writes the Calls view.
func saveCalls(c *Calls) string {
	var e stdlite.JSONEncoder
	encodeViewCalls(&e, c)
	return string(e.Bytes())
}

// saveStatus writes a RelayStatus.
func saveStatus(s *RelayStatus) string {
	var e stdlite.JSONEncoder
	encodeRelayStatus(&e, s)
	return string(e.Bytes())
}

// saveInPageCard writes an InPageCard.
func saveInPageCard(c *InPageCard) string {
	var e stdlite.JSONEncoder
	encodeInPageCard(&e, c)
	return string(e.Bytes())
}

// PoppingKey is the storage key of the calls a pop is being asked for,
// written before the pop instead of the whole state (see worker.do): an
// object of call keys to the time they popped (Unix milliseconds).
const PoppingKey = "popping"

// popping returns, of the calls acts are about, those that popped, with
// when (st.Popped): what must be saved before their pops are asked for.
func (st *Memory) popping(acts []Action) map[string]int64 {
	var out map[string]int64
	for _, a := range acts {
		if t, ok := st.Popped[a.Key]; ok && a.Key != "" {
			if out == nil {
				out = map[string]int64{}
			}
			out[a.Key] = t
		}
	}
	return out
}

// encodePopping writes the calls popping for PoppingKey.
func encodePopping(popped map[string]int64) string {
	var e stdlite.JSONEncoder
	e.Begin()
	for _, k := range stdlite.SortedKeys(popped) {
		e.Key(k)
		e.Int(popped[k])
	}
	e.End()
	return string(e.Bytes())
}

// mergePopping adds the calls of a saved PoppingKey record to st.Popped:
// a worker stopped after asking for a pop and before saving its whole
// state knows from them that those calls popped.
func mergePopping(st *Memory, raw string) error {
	v, err := stdlite.ParseJSON(raw)
	if err != nil {
		return err
	}
	if v.Kind != stdlite.JSONObject {
		return errors.New("the saved pops going on are not an object")
	}
	st.init()
	for i := range v.Object {
		if _, ok := st.Popped[v.Object[i].Key]; !ok {
			st.Popped[v.Object[i].Key] = v.Object[i].Value.Int()
		}
	}
	return nil
}
