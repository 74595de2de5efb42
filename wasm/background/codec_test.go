package background

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/settings"
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

// TestDecodeMessageEveryField decodes what encoding/json writes for
// messages with every field set.
func TestDecodeMessageEveryField(t *testing.T) {
	ev := filled[stream.Event]()
	hello := filled[stream.Hello]()
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
		if !reflect.DeepEqual(got.Message, want) {
			t.Errorf("decodeMessage lost fields:\n got %+v\nwant %+v", got.Message, want)
		}
	}
	m, _ := decodeMessage([]byte(`{"type":"event","id":1,"event":{"name":"start_ringing","callerName":"Jeanne Martin","call":{}}}`))
	if m.CallerName != "Jeanne Martin" {
		t.Errorf("caller name %q", m.CallerName)
	}
}

func TestDecodeSettingsEveryField(t *testing.T) {
	for _, stored := range []settings.Settings{filled[settings.Settings](), settings.Default(), {}} {
		raw := mustJSON(t, stored)
		got, want := settings.Default(), settings.Default()
		json.Unmarshal(raw, &want)
		if err := decodeSettings(string(raw), &got); err != nil {
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
	if decodeSettings(string(mustJSON(t, noCap)), &got); got.CapPerMinute != 0 {
		t.Errorf("no cap read back as %d", got.CapPerMinute)
	}
	// Absent members keep the defaults, as with encoding/json.
	got = settings.Default()
	decodeSettings(`{"mode":"window"}`, &got)
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
		{"calls", encodeCalls(&calls), calls},
		{"empty calls", encodeCalls(&Calls{Live: []CallView{}, Recent: []CallView{}}), Calls{Live: []CallView{}, Recent: []CallView{}}},
		{"nil calls", encodeCalls(&Calls{}), Calls{}},
		{"bare view", encodeCalls(&Calls{Current: &CallView{}}), Calls{Current: &CallView{}}},
		{"view", encodeCalls(&Calls{Current: &cv}), Calls{Current: &cv}},
		{"status", encodeStatus(new(filled[Status]())), filled[Status]()},
		{"bare status", encodeStatus(&Status{}), Status{}},
		{"inpage card", encodeInPageCard(new(filled[InPageCard]())), filled[InPageCard]()},
	} {
		if want := string(mustJSON(t, tc.want)); tc.got != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, want)
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	st := filled[State]()
	st.replayTo, st.liveAtHello, st.sweepDue, st.badge, st.badgeShown, st.dirty = 0, nil, false, "", false, false
	view := st.View()
	saved, calls := encodeState(&st), encodeCalls(&view)
	back, err := decodeState(saved, calls)
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
	empty, err := decodeState(encodeState(&State{}), "")
	if err != nil || empty.Cursor != 0 || len(empty.Live) != 0 {
		t.Errorf("empty state: %+v %v", empty, err)
	}
	// A state saved by an older version, with its calls in it.
	old := strings.TrimSuffix(saved, "}") + `,"live":` + string(mustJSON(t, st.Live)) + `,"recent":` + string(mustJSON(t, st.Recent)) + "}"
	if back, err := decodeState(old, `{"live":[],"recent":[]}`); err != nil || !reflect.DeepEqual(back, st) {
		t.Errorf("old state:\n got %+v, %v\nwant %+v", back, err, st)
	}
	if back, err := decodeState(saved, "{"); err == nil || !reflect.DeepEqual(back.Popped, st.Popped) || back.Live != nil {
		t.Errorf("damaged calls: %+v, %v", back, err)
	}
}

func TestParseJSON(t *testing.T) {
	for _, s := range []string{
		`{}`, `[]`, `""`, `0`, `-1.5e3`, `true`, `false`, `null`, ` {"a" : [1, "x", {"b": null}] } `,
		`"\u00e9\ud83d\ude00\n\t\"\\\/"`, `"\ud800"`, `{"a":1,"a":2}`,
	} {
		if _, err := parseJSON(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{``, `{`, `[1,]`, `{"a"}`, `{"a":1,}`, `"abc`, `tru`, `01x`, `{} {}`, `"\x"`, "\"a\nb\"", `-`, strings.Repeat("[", 100) + strings.Repeat("]", 100)} {
		if _, err := parseJSON(s); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
	v, _ := parseJSON(`"\u00e9\ud83d\ude00\n"`)
	if v.String() != "é😀\n" {
		t.Errorf("escapes: %q", v.String())
	}
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{"type":"event","id":3,"event":{"name":"x","call":{"ringAt":"2024-01-02T03:04:05.5Z"}}}`, `"\ud83d\ude00"`, `[1,2,{"a":null}]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseJSON(s)
		if (err == nil) != json.Valid([]byte(s)) {
			t.Fatalf("parseJSON(%q) err = %v, json.Valid = %v", s, err, json.Valid([]byte(s)))
		}
		if err == nil && v.kind == 's' && utf8.ValidString(s) { // text from JavaScript is always valid UTF-8
			var want string
			json.Unmarshal([]byte(s), &want)
			if v.str != want {
				t.Fatalf("string %q: got %q, want %q", s, v.str, want)
			}
		}
	})
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a<b>&c", "é\u2028\u2029", "\x00\x1f\x7f", "\xff\xfe", `"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := string(mustJSON(t, s))
		if got := quoteJSON(s); got != want {
			t.Fatalf("quote(%q) = %s, want %s", s, got, want)
		}
		if utf8.ValidString(s) {
			v, err := parseJSON(quoteJSON(s))
			if err != nil || v.str != s {
				t.Fatalf("round trip %q: %q %v", s, v.str, err)
			}
		}
	})
}

func TestTime(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2024, 3, 9, 14, 5, 7, 0, time.UTC),
		time.Date(2024, 3, 9, 14, 5, 7, 120000000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 3, 9, 14, 5, 7, 5, time.FixedZone("", 2*3600)),
	} {
		s := tm.UTC().Format(time.RFC3339Nano)
		if got := string(appendTime(nil, tm)); got != s {
			t.Errorf("appendTime = %s, want %s", got, s)
		}
		back, err := parseTime(tm.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(tm) || back.Location() != time.UTC {
			t.Errorf("parseTime(%s) = %v %v", tm.Format(time.RFC3339Nano), back, err)
		}
	}
	for _, s := range []string{"", "2024-03-09", "2024-03-09T14:05:07", "2024-03-09T14:05:07.Z", "2024-03-09T14:05:07+0200", "2024-03-09 14:05:07Z",
		"2024-13-09T14:05:07Z", "2024-00-09T14:05:07Z", "2023-02-29T14:05:07Z", "2024-04-31T14:05:07Z", "2024-03-09T24:05:07Z", "2024-03-09T14:60:07Z", "2024-03-09T14:05:60Z"} {
		if _, err := parseTime(s); err == nil {
			t.Errorf("parseTime(%q): no error", s)
		}
	}
}

// TestTimeDays checks the date arithmetic against package time, day by
// day over years 0 to 9999, and at every hour of a few days.
func TestTimeDays(t *testing.T) {
	start := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	for day := 0; day < 366*10000; day += 1 {
		tm := start.AddDate(0, 0, day)
		if tm.Year() > 9999 {
			break
		}
		y, m, d := tm.Date()
		days := floorDiv(tm.Unix(), 86400)
		if gy, gm, gd := civilFromDays(days); gy != y || gm != int(m) || gd != d {
			t.Fatalf("civilFromDays(%d) = %d-%d-%d, want %s", days, gy, gm, gd, tm.Format(time.DateOnly))
		}
		if got := daysFromCivil(y, int(m), d); got != days {
			t.Fatalf("daysFromCivil(%s) = %d, want %d", tm.Format(time.DateOnly), got, days)
		}
		if d == 28 || d == 1 || day%997 == 0 {
			if got := daysIn(y, int(m)); got != time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() {
				t.Fatalf("daysIn(%d, %d) = %d", y, m, got)
			}
		}
	}
	for _, tm := range []time.Time{time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(1600, 3, 1, 0, 0, 0, 0, time.UTC)} {
		for h := 0; h < 24; h++ {
			x := tm.Add(time.Duration(h)*time.Hour + 59*time.Minute + 58*time.Second + 7)
			if got, want := string(appendTime(nil, x)), x.Format(time.RFC3339Nano); got != want {
				t.Fatalf("appendTime = %s, want %s", got, want)
			}
			if back, err := parseTime(x.Format(time.RFC3339Nano)); err != nil || back != x {
				t.Fatalf("parseTime(%s) = %v, %v", x.Format(time.RFC3339Nano), back, err)
			}
		}
	}
}

func TestInt(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "-0": 0, "42": 42, "-42": -42, "1.9": 1, "-1.9": -1, "0.005": 0, "1e3": 1000, "1E+3": 1000, "1.5e3": 1500,
		"-2.5E-1": 0, "12345e-2": 123, "1e21": math.MaxInt64, "-1e21": math.MinInt64, "9223372036854775807": math.MaxInt64,
		"9223372036854775808": math.MaxInt64, "-9223372036854775809": math.MinInt64, "1e400": math.MaxInt64, "1e-400": 0,
		"123456789012345678901234": math.MaxInt64, "0.000000000000000000000000001e30": 1000, "1700000000000.0": 1700000000000,
	} {
		v := jsonValue{kind: 'n', str: in}
		if got := v.Int(); got != want {
			t.Errorf("Int(%s) = %d, want %d", in, got, want)
		}
	}
	for _, in := range []string{"0", "7", "42", "18446744073709551615", "18446744073709551616", "99999999999999999999999", "-1", "+1", "1.5", "1e3", "", "12a", "184467440737095516160x"} {
		want, err := strconv.ParseUint(in, 10, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			want = 0
		}
		v := jsonValue{kind: 'n', str: in}
		if got := v.Uint(); got != want {
			t.Errorf("Uint(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzInt: Int reads what strconv.ParseFloat reads, where a float64 holds
// the number exactly enough (15 significant digits, under 2^53).
func FuzzInt(f *testing.F) {
	for _, s := range []string{"1.5e3", "-0.25", "1234567.891", "12e-1", "0.0001e4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validNumber(s) {
			return
		}
		v := jsonValue{kind: 'n', str: s}
		got := v.Int()
		fl, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Abs(fl) >= 1<<53 {
			return
		}
		sig := 0
		for _, c := range strings.TrimLeft(strings.SplitN(strings.ToLower(s), "e", 2)[0], "-0.") {
			if c != '.' {
				sig++
			}
		}
		if sig > 15 {
			return
		}
		if want := int64(fl); got != want {
			t.Fatalf("Int(%s) = %d, ParseFloat gives %d", s, got, want)
		}
	})
}

func TestSortStrings(t *testing.T) {
	for n := 0; n < 300; n += 7 {
		s := make([]string, n)
		for i := range s {
			s[i] = strconv.Itoa((i * 7919) % 101) // duplicates too
		}
		want := slices.Clone(s)
		slices.Sort(want)
		sortStrings(s, func(a, b string) bool { return a < b })
		if !slices.Equal(s, want) {
			t.Fatalf("n=%d: %q", n, s)
		}
	}
}

// TestCallJSONTags guards the codec against fields added to the shared
// types: encoding/json of a filled value must decode to the same value.
func TestCallJSONTags(t *testing.T) {
	c := filled[call.Call]()
	n := filled[phone.Number]()
	v, _ := parseJSON(string(mustJSON(t, c)))
	if got := decodeCall(&v); !reflect.DeepEqual(got, c) {
		t.Errorf("call:\n got %+v\nwant %+v", got, c)
	}
	v, _ = parseJSON(string(mustJSON(t, n)))
	if got := decodeNumber(&v); !reflect.DeepEqual(got, n) {
		t.Errorf("number:\n got %+v\nwant %+v", got, n)
	}
}

// TestPoppingRecord: the calls popping, saved before their pops, come back
// into a state saved before them, without overriding what it knew.
func TestPoppingRecord(t *testing.T) {
	var st State
	acts := ring(t, &st, 1, "A", "0033612345682", env(conf))
	popping := st.popping(acts)
	k := line + "|A"
	if len(popping) != 1 || popping[k] != now.UnixMilli() {
		t.Fatalf("popping = %v, want the one call that popped", popping)
	}
	if got := (&State{}).popping(acts); got != nil {
		t.Errorf("popping of a state where nothing popped = %v", got)
	}

	// A worker stopped after the pop was asked for, before the whole
	// state was saved: the state it reads back is older.
	older := State{Popped: map[string]int64{line + "|B": 7}}
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
	var fresh State
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
