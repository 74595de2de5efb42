package background

import (
	"encoding/json"
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
	view := st.View()
	saved, calls := saveMemory(&st), saveCalls(&view)
	back, err := loadMemory(saved, calls)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, st) {
		t.Errorf("state round trip:\n got %+v\nwant %+v", back, st)
	}
	// The saved state is valid JSON, without the calls (they are in the view).
	if !json.Valid([]byte(saved)) || strings.Contains(saved, `"live"`) || strings.Contains(saved, `"recent"`) {
		t.Errorf("saved state %s", saved)
	}
	empty, err := loadMemory(saveMemory(&Memory{}), "")
	if err != nil || empty.Cursor != 0 || len(empty.Live) != 0 {
		t.Errorf("empty state: %+v %v", empty, err)
	}
	// A state saved by an older version, with its calls in it.
	old := strings.TrimSuffix(saved, "}") + `,"live":` + string(mustJSON(t, st.Live)) + `,"recent":` + string(mustJSON(t, st.Recent)) + "}"
	if back, err := loadMemory(old, `{"live":[],"recent":[]}`); err != nil || !reflect.DeepEqual(back, st) {
		t.Errorf("old state:\n got %+v, %v\nwant %+v", back, err, st)
	}
	// A missed call saved before calls carried "missed" stays missed.
	legacy := `{"recent":[{"call":{"line":"l","id":"1","state":"missed"},"missed":true},{"call":{"line":"l","id":"2","state":"ended"}}]}`
	if back, err := loadMemory(`{"relay":"r"}`, legacy); err != nil || len(back.Recent) != 2 || !back.Recent[0].Call.Missed || back.Recent[1].Call.Missed {
		t.Errorf("legacy missed: %+v, %v", back.Recent, err)
	}
	if back, err := loadMemory(saved, "{"); err == nil || !reflect.DeepEqual(back.Popped, st.Popped) || back.Live != nil {
		t.Errorf("damaged calls: %+v, %v", back, err)
	}
}

// TestPoppingRecord: the calls popping, saved before their pops, come back
// into a state saved before them, without overriding what it knew.
func TestPoppingRecord(t *testing.T) {
	var st Memory
	acts := ring(t, &st, 1, "A", "0033612345682", env(conf))
	popping := st.popping(acts)
	k := line + "|A"
	if len(popping) != 1 || popping[k] != now.UnixMilli() {
		t.Fatalf("popping = %v, want the one call that popped", popping)
	}
	if got := (&Memory{}).popping(acts); got != nil {
		t.Errorf("popping of a state where nothing popped = %v", got)
	}

	// A worker stopped after the pop was asked for, before the whole
	// state was saved: the state it reads back is older.
	older := Memory{Popped: map[string]int64{line + "|B": 7}}
	if err := mergePopping(&older, encodePopping(popping)); err != nil {
		t.Fatal(err)
	}
	if older.Popped[k] != now.UnixMilli() || older.Popped[line+"|B"] != 7 {
		t.Errorf("merged popped = %v", older.Popped)
	}
	// It does not override a time the state had.
	if err := mergePopping(&older, `{"`+line+`|B":9}`); err != nil || older.Popped[line+"|B"] != 7 {
		t.Errorf("merge overrode a saved time: %v (%v)", older.Popped, err)
	}
	// No state saved at all yet.
	var fresh Memory
	if err := mergePopping(&fresh, encodePopping(popping)); err != nil || fresh.Popped[k] == 0 {
		t.Errorf("into a fresh state: %v (%v)", fresh.Popped, err)
	}
	for _, bad := range []string{"", "[1]", `{"a":`} {
		if err := mergePopping(&fresh, bad); err == nil {
			t.Errorf("mergePopping(%q) accepted it", bad)
		}
	}
	// A replay of the ring after the restart does not pop again.
	again := ring(t, &older, 1, "A", "0033612345682", env(conf))
	if p := pops(again); len(p) != 0 {
		t.Errorf("the ring replayed after the restart popped again: %v", p)
	}
}
