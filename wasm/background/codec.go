package background

import (
	"errors"
	"strconv"
	"strings"

	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stdlite"
	"github.com/screenpop/screenpop/internal/stream"
)

// The background's JSON. Its codec (wire_gen.go) is generated from the
// types' declarations and json tags by tools/jsongen, onto stdlite's
// parser and encoder (the background cannot afford encoding/json; see
// stdlite). Change a type, then run go generate ./wasm/background; a test
// fails while the generated file is stale (tools/jsongen's
// TestGeneratedFilesAreCurrent), and
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
	if p := v.Get("popped"); p.Kind == stdlite.JSONObject { // saved by an older version, with the state
		mergePoppedObject(&st, p)
	}
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

// PoppedPrefix starts the storage key of each call that popped: the
// record is the time it popped (Unix ms, as text), written before its pop
// is asked for (see worker.do), removed when the call is forgotten.
const PoppedPrefix = "popped|"

// PoppingKey is where an older version wrote the calls a pop was being
// asked for (an object of call keys to times): read once, then removed.
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

// poppedRecords are the storage records of popped calls (PoppedPrefix).
func poppedRecords(popped map[string]int64) map[string]string {
	out := make(map[string]string, len(popped))
	for k, t := range popped {
		out[PoppedPrefix+k] = strconv.FormatInt(t, 10)
	}
	return out
}

// loadPopped adds the popped records among stored (every key read from
// storage) to st.Popped, without overriding what it knew.
func loadPopped(st *Memory, stored map[string]string) {
	st.init()
	for k, v := range stored {
		if call, ok := strings.CutPrefix(k, PoppedPrefix); ok {
			if _, known := st.Popped[call]; !known {
				n := stdlite.JSONValue{Kind: stdlite.JSONNumber, Text: v}
				st.Popped[call] = n.Int()
			}
		}
	}
}

// mergePopping adds the calls of an older version's PoppingKey record to
// st.Popped (a worker stopped after asking for a pop and before saving
// its state), to be written as records.
func mergePopping(st *Memory, raw string) error {
	v, err := stdlite.ParseJSON(raw)
	if err != nil {
		return err
	}
	if v.Kind != stdlite.JSONObject {
		return errors.New("the saved pops going on are not an object")
	}
	mergePoppedObject(st, &v)
	return nil
}

// mergePoppedObject adds an object of call keys to times to st.Popped
// and marks them to be written as records (Memory.rewrite).
func mergePoppedObject(st *Memory, v *stdlite.JSONValue) {
	st.init()
	for i := range v.Object {
		if _, ok := st.Popped[v.Object[i].Key]; !ok {
			st.Popped[v.Object[i].Key] = v.Object[i].Value.Int()
			st.rewrite = true
		}
	}
}
