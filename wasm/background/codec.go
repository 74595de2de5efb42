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

//go:generate go run ../../tools/jsongen -out wire_gen.go -decode "stream.Message settings.Settings Memory RelayStatus Calls stream.Dialed" -encode "stream.ClientMessage Calls RelayStatus InPageCard Memory stream.Dial"

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

// The calls that popped are saved in buckets of up to poppedBucket calls,
// a storage key each (PoppedBucketPrefix + the bucket's number, counted up): an
// object of call keys to when they popped (Unix ms), as text. The bucket
// of a call popping is written before its pop is asked for (see
// worker.do), whole, with the calls it held already; a bucket goes when
// every call it holds is forgotten (Memory.prune). Why buckets: what a
// storage write costs grows with the number of keys in storage, not only
// with what it writes (measured, Chromium, one small key written: 0.5–1.1
// ms with no other key, 1.0–1.1 ms beside 1,000 keys, 5.7–11.5 ms beside
// 10,000), and a key per call made each pop pay for the day's calls. A
// bucket keeps both bounded: a day remembered (poppedMax) is at most
// poppedMax/poppedBucket + 1 keys, and a write is at most poppedBucket
// calls (about 2 KB).
const (
	PoppedBucketPrefix = "popped#"
	poppedBucket       = 32
)

// PoppedPrefix starts the key of an older version's record of one popped
// call (PoppedPrefix + call key → the time it popped, Unix ms, as text):
// read, saved in buckets, then removed.
const PoppedPrefix = "popped|"

// PoppingKey is where an older version wrote the calls a pop was being
// asked for (an object of call keys to times): read once, then removed.
const PoppingKey = "popping"

// poppedBuckets is which bucket each remembered popped call is saved in.
type poppedBuckets struct {
	of    map[string]int64   // call key → its bucket
	calls map[int64][]string // bucket → its calls still remembered, in the order they popped
	last  int64              // the bucket new pops go to (while it has room)
}

func (b *poppedBuckets) init() {
	if b.of == nil {
		b.of, b.calls = map[string]int64{}, map[int64][]string{}
	}
}

// add saves call k in bucket n.
func (b *poppedBuckets) add(k string, n int64) {
	b.init()
	b.of[k] = n
	b.calls[n] = append(b.calls[n], k)
}

// forget takes call k out of its bucket and returns the storage key to
// remove: the bucket's when k was the last call it held (and new pops
// no longer go to it), an older version's record of k when k was in no
// bucket (such a record may exist), else "".
func (b *poppedBuckets) forget(k string) string {
	n, ok := b.of[k]
	if !ok {
		return PoppedPrefix + k
	}
	delete(b.of, k)
	calls := b.calls[n]
	for i := range calls {
		if calls[i] == k {
			calls = append(calls[:i], calls[i+1:]...)
			break
		}
	}
	if len(calls) > 0 || n == b.last {
		b.calls[n] = calls
		return ""
	}
	delete(b.calls, n)
	return bucketKey(n)
}

func bucketKey(n int64) string { return PoppedBucketPrefix + strconv.FormatInt(n, 10) }

// poppedRecords puts the calls that popped and are in no bucket yet
// (Memory.unsaved, oldest first) into buckets, and returns the storage
// records of the buckets they went to: what must be written before their
// pops are asked for. It is nil when there are none.
func (st *Memory) poppedRecords() map[string]string {
	if len(st.unsaved) == 0 {
		return nil
	}
	b := &st.saved
	b.init()
	var touched []int64
	for _, k := range st.unsaved {
		if _, ok := st.Popped[k]; !ok {
			continue // forgotten since
		}
		if _, ok := b.of[k]; ok {
			continue
		}
		if len(b.calls[b.last]) >= poppedBucket {
			b.last++
		}
		b.add(k, b.last)
		if len(touched) == 0 || touched[len(touched)-1] != b.last {
			touched = append(touched, b.last)
		}
	}
	st.unsaved = st.unsaved[:0]
	if len(touched) == 0 {
		return nil
	}
	out := make(map[string]string, len(touched))
	for _, n := range touched {
		var e stdlite.JSONEncoder
		e.Begin()
		for _, k := range b.calls[n] {
			e.Key(k)
			e.Int(st.Popped[k])
		}
		e.End()
		out[bucketKey(n)] = string(e.Bytes())
	}
	return out
}

// PoppedBuckets is the storage records the background saves for the
// calls of popped (call key → when, Unix ms), oldest first: what a busy
// day leaves in storage (the busy-day bench seeds them).
func PoppedBuckets(popped map[string]int64) map[string]string {
	st := Memory{Popped: popped}
	for k := range popped {
		st.unsaved = append(st.unsaved, k)
	}
	stdlite.SortStrings(st.unsaved, func(a, b string) bool {
		return before(poppedAt{a, popped[a]}, poppedAt{b, popped[b]})
	})
	return st.poppedRecords()
}

// loadPopped adds the popped calls saved among stored (every key read
// from storage) to st.Popped, without overriding what it knew: the
// buckets, and an older version's record per call, which are to be saved
// in buckets (Memory.unsaved) and then removed (Memory.legacy). New pops
// go on in the newest bucket. A damaged bucket is removed, and reported.
func loadPopped(st *Memory, stored map[string]string) error {
	st.init()
	b := &st.saved
	b.init()
	var damaged error
	found := false
	for k, raw := range stored {
		if call, ok := strings.CutPrefix(k, PoppedPrefix); ok {
			if _, known := st.Popped[call]; !known {
				n := stdlite.JSONValue{Kind: stdlite.JSONNumber, Text: raw}
				st.Popped[call] = n.Int()
				st.unsaved = append(st.unsaved, call)
			}
			st.legacy = append(st.legacy, call)
			continue
		}
		digits, ok := strings.CutPrefix(k, PoppedBucketPrefix)
		if !ok {
			continue
		}
		num := stdlite.JSONValue{Kind: stdlite.JSONNumber, Text: digits}
		n := num.Int()
		bad := strconv.FormatInt(n, 10) != digits
		if !bad && (!found || n > b.last) {
			b.last, found = n, true
		}
		v, err := stdlite.ParseJSON(raw)
		if bad || err != nil || v.Kind != stdlite.JSONObject {
			damaged = errors.New("the saved calls that popped (" + k + ") are damaged and were dropped; the calls they held may pop again if replayed")
			st.unpopped = append(st.unpopped, k)
			continue
		}
		for i := range v.Object {
			call := v.Object[i].Key
			if _, known := b.of[call]; known {
				continue
			}
			if _, known := st.Popped[call]; !known {
				st.Popped[call] = v.Object[i].Value.Int()
			}
			b.add(call, n)
		}
	}
	if _, ok := b.calls[b.last]; found && !ok {
		b.last++ // the newest bucket was damaged: new pops go to a new one
	}
	return damaged
}

// mergePopping adds the calls of an older version's PoppingKey record to
// st.Popped (a worker stopped after asking for a pop and before saving
// its state), to be saved in buckets.
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

// mergePoppedObject adds an object of call keys to times to st.Popped,
// to be saved in buckets (Memory.unsaved).
func mergePoppedObject(st *Memory, v *stdlite.JSONValue) {
	st.init()
	for i := range v.Object {
		if _, ok := st.Popped[v.Object[i].Key]; !ok {
			st.Popped[v.Object[i].Key] = v.Object[i].Value.Int()
			st.unsaved = append(st.unsaved, v.Object[i].Key)
		}
	}
}
