package background

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stdlite"
	"github.com/screenpop/screenpop/internal/stream"
)

// fill sets every field of v (a pointer) to a distinct non-zero value, so
// that a field the codec forgets shows up as a difference. Strings carry
// characters JSON must escape.
func fill(v reflect.Value, seed *int) {
	*seed++
	n := *seed
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem(), seed)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2024, 3, 9, 14, 5, 7, n*1000+500, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), seed)
			}
		}
	case reflect.String:
		v.SetString("s" + strconv.Itoa(n) + ` <&>"\é` + "\u2028")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(n))
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		v.SetUint(uint64(n))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), seed)
		fill(s.Index(1), seed)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, seed)
		fill(e, seed)
		m.SetMapIndex(k, e)
		v.Set(m)
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

func filled[T any]() T {
	var v T
	seed := 0
	fill(reflect.ValueOf(&v), &seed)
	return v
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWireEveryField: every field of every type the background reads or
// writes, set to a distinct value, reads back from what encoding/json
// writes, and is written byte for byte as encoding/json writes it (the
// pages read with encoding/json). A field the generated codec misses
// fails here.
func TestWireEveryField(t *testing.T) {
	ev, hello := filled[stream.Event](), filled[stream.Hello]()
	for _, want := range []stream.Message{
		{Type: stream.TypeEvent, ID: 42, Event: &ev},
		{Type: stream.TypeHello, Hello: &hello},
		{Type: stream.TypeGap, Gap: &stream.Gap{From: 3, Oldest: 9, Reason: "too-old"}},
		{Type: stream.TypeError, Error: &stream.Error{Code: stream.CodeBadSecret, Message: "paste a new one"}},
		filled[stream.Message](),
		{Type: stream.TypeEvent, ID: 1, Event: &stream.Event{Name: "start_ringing"}}, // zero values
	} {
		got, err := decodeMessage(mustJSON(t, want))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeMessage lost fields:\n got %+v\nwant %+v", got, want)
		}
	}
	m, _ := decodeMessage([]byte(`{"type":"event","id":1,"event":{"name":"start_ringing","callerName":"Jeanne Martin","matches":[{"name":"Jeanne Martin","module":"Contacts","id":"c1","url":"https://crm/c1"}],"call":{}}}`))
	if m.Event.CallerName != "Jeanne Martin" || len(m.Event.Matches) != 1 || m.Event.Matches[0].ID != "c1" {
		t.Errorf("caller card %+v", m.Event.Card)
	}

	// Read back what encoding/json writes.
	for _, tc := range []struct {
		name string
		want any
		read func(v *stdlite.JSONValue) any
	}{
		{"calls", filled[Calls](), func(v *stdlite.JSONValue) any { var x Calls; decodeViewCalls(v, &x); return x }},
		{"status", filled[RelayStatus](), func(v *stdlite.JSONValue) any { var x RelayStatus; decodeRelayStatus(v, &x); return x }},
		{"settings", filled[settings.Settings](), func(v *stdlite.JSONValue) any { var x settings.Settings; decodeSettingsSettings(v, &x); return x }},
	} {
		v, err := stdlite.ParseJSON(string(mustJSON(t, tc.want)))
		if err != nil {
			t.Fatal(err)
		}
		if got := tc.read(&v); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s read back:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

func TestDecodeSettingsEveryField(t *testing.T) {
	for _, stored := range []settings.Settings{filled[settings.Settings](), settings.Default(), {}} {
		raw := mustJSON(t, stored)
		got, want := settings.Default(), settings.Default()
		json.Unmarshal(raw, &want)
		if err := loadSettings(string(raw), &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeSettings:\n got %+v\nwant %+v", got, want)
		}
	}
	// No cap (0) stored by the options page stays no cap.
	noCap := settings.Default()
	noCap.CapPerMinute = 0
	got := settings.Default()
	if loadSettings(string(mustJSON(t, noCap)), &got); got.CapPerMinute != 0 {
		t.Errorf("no cap read back as %d", got.CapPerMinute)
	}
	// Absent members keep the defaults, as with encoding/json.
	got = settings.Default()
	loadSettings(`{"mode":"window"}`, &got)
	want := settings.Default()
	want.Mode = settings.ModeWindow
	if !reflect.DeepEqual(got, want) {
		t.Errorf("partial settings: %+v", got)
	}
}

// TestEncodeLikeEncodingJSON: the pages read the view, the status and the
// in-page card with encoding/json; the bytes are the same.
func TestEncodeLikeEncodingJSON(t *testing.T) {
	calls := filled[Calls]()
	cv := filled[CallView]()
	for _, tc := range []struct {
		name string
		got  string
		want any
	}{
		{"calls", saveCalls(&calls), calls},
		{"empty calls", saveCalls(&Calls{Live: []CallView{}, Recent: []CallView{}}), Calls{Live: []CallView{}, Recent: []CallView{}}},
		{"nil calls", saveCalls(&Calls{}), Calls{}},
		{"bare view", saveCalls(&Calls{Current: &CallView{}}), Calls{Current: &CallView{}}},
		{"view", saveCalls(&Calls{Current: &cv}), Calls{Current: &cv}},
		{"status", saveStatus(new(filled[RelayStatus]())), filled[RelayStatus]()},
		{"bare status", saveStatus(&RelayStatus{}), RelayStatus{}},
		{"inpage card", saveInPageCard(new(filled[InPageCard]())), filled[InPageCard]()},
		{"auth", authMessage("s3cr<t>"), stream.ClientMessage{Type: stream.TypeAuth, Secret: "s3cr<t>"}},
		{"anonymous auth", authMessage(""), stream.ClientMessage{Type: stream.TypeAuth}},
	} {
		if want := string(mustJSON(t, tc.want)); tc.got != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, want)
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	st := filled[Memory]()
	st.replayTo, st.liveAtHello, st.sweepDue, st.badge, st.badgeShown, st.dirty = 0, nil, false, "", false, false
	saved := saveMemory(&st)
	back := loadStored(t, stored(&st))
	back.saved = poppedBuckets{} // which bucket each call is in: the storage's, not the state's
	if !reflect.DeepEqual(back, st) {
		t.Errorf("state round trip:\n got %+v\nwant %+v", back, st)
	}
	// The saved state is valid JSON, without the calls (they are in the
	// view) nor the popped calls (a record each).
	if !json.Valid([]byte(saved)) || strings.Contains(saved, `"live"`) || strings.Contains(saved, `"recent"`) || strings.Contains(saved, `"popped":{`) {
		t.Errorf("saved state %s", saved)
	}
	empty, err := loadMemory(saveMemory(&Memory{}), "")
	if err != nil || empty.Cursor != 0 || len(empty.Live) != 0 {
		t.Errorf("empty state: %+v %v", empty, err)
	}
	// A state saved by an older version, with its calls and its popped
	// calls in it: they are read, and the popped calls are to be saved in
	// buckets.
	old := strings.TrimSuffix(saved, "}") + `,"live":` + string(mustJSON(t, st.Live)) + `,"recent":` + string(mustJSON(t, st.Recent)) +
		`,"popped":` + string(mustJSON(t, st.Popped)) + "}"
	back, err = loadMemory(old, `{"live":[],"recent":[]}`)
	if err != nil || len(back.unsaved) != len(st.Popped) {
		t.Errorf("old state: %d popped calls to save in buckets, want %d (%v)", len(back.unsaved), len(st.Popped), err)
	}
	back.unsaved = nil
	if !reflect.DeepEqual(back, st) {
		t.Errorf("old state:\n got %+v\nwant %+v", back, st)
	}
	// A missed call saved before calls carried "missed" stays missed.
	legacy := `{"recent":[{"call":{"line":"l","id":"1","state":"missed"},"missed":true},{"call":{"line":"l","id":"2","state":"ended"}}]}`
	if back, err := loadMemory(`{"relay":"r"}`, legacy); err != nil || len(back.Recent) != 2 || !back.Recent[0].Call.Missed || back.Recent[1].Call.Missed {
		t.Errorf("legacy missed: %+v, %v", back.Recent, err)
	}
	if back, err := loadMemory(saved, "{"); err == nil || back.Cursor != st.Cursor || back.Live != nil {
		t.Errorf("damaged calls: %+v, %v", back, err)
	}
}

// stored is what the worker keeps in storage for st: the state, the
// Calls view, the buckets of the popped calls.
func stored(st *Memory) map[string]string {
	view := st.View()
	out := PoppedBuckets(st.Popped)
	if out == nil {
		out = map[string]string{}
	}
	out[MemoryKey], out[CallsKey] = saveMemory(st), saveCalls(&view)
	return out
}

// loadStored reads it back as a restarted worker does.
func loadStored(t *testing.T, got map[string]string) Memory {
	t.Helper()
	st, err := loadMemory(got[MemoryKey], got[CallsKey])
	if err != nil {
		t.Fatal(err)
	}
	if err := loadPopped(&st, got); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestPoppedRecords: the bucket of a call popping, written before its
// pop, holds the calls the bucket held already, and comes back into a
// state saved before it, without overriding what it knew; an older
// version's records (a record per call, the popping record) are read and
// saved in buckets; a damaged bucket is reported and removed.
func TestPoppedRecords(t *testing.T) {
	// A worker that popped B, restarted, pops A, and is stopped after the
	// pop was asked for, before the state was saved: the state read back
	// is older than the bucket.
	b := now.UnixMilli() - 1000 // B popped a second before A
	older := Memory{Popped: map[string]int64{line + "|B": b}}
	got := stored(&older)
	st := loadStored(t, got)
	acts := ring(t, &st, 1, "A", "0033612345682", env(conf))
	if p := pops(acts); len(p) != 1 {
		t.Fatalf("pops %v, want A's", p)
	}
	popping := st.poppedRecords()
	k := line + "|A"
	bucket := popping[PoppedBucketPrefix+"0"]
	if len(popping) != 1 || !strings.Contains(bucket, `"`+k+`":`) || !strings.Contains(bucket, `"`+line+`|B":`+strconv.FormatInt(b, 10)) {
		t.Fatalf("written before the pop: %v, want bucket 0 with A and B", popping)
	}
	if again := st.poppedRecords(); again != nil {
		t.Errorf("written again with nothing new: %v", again)
	}
	for rk, v := range popping {
		got[rk] = v
	}
	back := loadStored(t, got)
	if back.Popped[k] != now.UnixMilli() || back.Popped[line+"|B"] != b || len(back.Popped) != 2 {
		t.Errorf("popped read back = %v", back.Popped)
	}
	// A record does not override what the state knew (an older version's
	// state held its popped calls).
	if err := loadPopped(&back, map[string]string{PoppedPrefix + line + "|B": "9"}); err != nil || back.Popped[line+"|B"] != b {
		t.Errorf("a record overrode a known time: %v (%v)", back.Popped, err)
	}

	// An older version's record per call: read, saved in a bucket, and
	// then removed (legacy).
	var rec Memory
	c := line + "|C"
	if err := loadPopped(&rec, map[string]string{PoppedPrefix + c: "5"}); err != nil || rec.Popped[c] != 5 || len(rec.unsaved) != 1 || len(rec.legacy) != 1 {
		t.Errorf("an older record: popped %v, to save %v, to remove %v (%v)", rec.Popped, rec.unsaved, rec.legacy, err)
	}
	if r := rec.poppedRecords(); !strings.Contains(r[PoppedBucketPrefix+"0"], `"`+c+`":5`) {
		t.Errorf("the older record saved as %v", r)
	}
	// An older version's record of the calls popping.
	var fresh Memory
	if err := mergePopping(&fresh, `{"`+k+`":12}`); err != nil || fresh.Popped[k] != 12 || len(fresh.unsaved) != 1 {
		t.Errorf("older popping record: %v %v (%v)", fresh.Popped, fresh.unsaved, err)
	}
	for _, bad := range []string{"", "[1]", `{"a":`} {
		if err := mergePopping(&fresh, bad); err == nil {
			t.Errorf("mergePopping(%q) accepted it", bad)
		}
	}
	// Damaged buckets are reported and removed; the next pop goes to a new
	// bucket, not over the damaged one.
	var dam Memory
	err := loadPopped(&dam, map[string]string{PoppedBucketPrefix + "3": "{", PoppedBucketPrefix + "x": "{}", PoppedBucketPrefix + "2": `{"` + k + `":1}`})
	if err == nil || len(dam.unpopped) != 2 || dam.Popped[k] != 1 || dam.saved.last != 4 {
		t.Errorf("damaged buckets: %v, to remove %v, popped %v, next bucket %d", err, dam.unpopped, dam.Popped, dam.saved.last)
	}
	// A replay of the ring after the restart does not pop again.
	again := ring(t, &back, 1, "A", "0033612345682", env(conf))
	if p := pops(again); len(p) != 0 {
		t.Errorf("the ring replayed after the restart popped again: %v", p)
	}
}

// TestPoppedBucketsBounded: a long busy day of pops, each call's bucket
// written as the worker writes it before the pop, the buckets forgotten
// removed: storage holds a bounded number of keys, each a bounded number
// of calls, whatever the day; a worker restarted halfway reads back every
// call it remembered (none pops again) and goes on in the newest bucket.
func TestPoppedBucketsBounded(t *testing.T) {
	storage := map[string]string{}
	var st Memory
	e := env(with(func(s *settings.Settings) { s.CapPerMinute = 0 }))
	id := uint64(0)
	const calls = 3 * poppedMax
	for i := 0; i < calls; i++ {
		e.Now = now.Add(time.Duration(i) * 10 * time.Second)
		id++
		callID := fmt.Sprint("day-", i)
		if p := pops(ring(t, &st, id, callID, "0033612345682", e)); len(p) != 1 {
			t.Fatalf("call %d: pops %v", i, p)
		}
		for k, v := range st.poppedRecords() {
			storage[k] = v
		}
		for _, k := range st.unpopped { // forgetSome, later
			delete(storage, k)
		}
		st.unpopped = nil
		buckets := 0
		for k, v := range storage {
			if !strings.HasPrefix(k, PoppedBucketPrefix) {
				continue
			}
			buckets++
			if n := strings.Count(v, `":`); n > poppedBucket {
				t.Fatalf("call %d: bucket %s holds %d calls", i, k, n)
			}
		}
		if max := poppedMax/poppedBucket + 2; buckets > max {
			t.Fatalf("call %d: %d buckets in storage, want at most %d", i, buckets, max)
		}
		if i == calls/2 { // the worker is stopped and started again
			view := st.View()
			storage[MemoryKey], storage[CallsKey] = saveMemory(&st), saveCalls(&view)
			back := loadStored(t, storage)
			back.prune(e.Now)
			if len(back.Popped) != len(st.Popped) {
				t.Fatalf("after a restart: %d calls remembered, want %d", len(back.Popped), len(st.Popped))
			}
			for k, at := range st.Popped {
				if back.Popped[k] != at {
					t.Fatalf("after a restart: %s popped at %d, want %d", k, back.Popped[k], at)
				}
			}
			if back.saved.last != st.saved.last {
				t.Errorf("after a restart, new pops go to bucket %d, want %d", back.saved.last, st.saved.last)
			}
			// The relay replays the last call (its cursor lost): no second pop.
			id++
			if p := pops(ring(t, &back, id, callID, "0033612345682", e)); len(p) != 0 {
				t.Fatalf("a call popped again after a restart: %v", p)
			}
			st = back
		}
	}
}
