//go:build !js

package ovhevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// queueEvent is a hunting-queue event with the FreeSWITCH-style keys, some
// of them numbers.
const queueEvent = `{"Event":"member-queue-start","Token":"T","Service":"queues","Ressource":"0033972101010",` +
	`"Timestamp":1425554670255954700,"Date":"2015-03-05T12:24:30.255954 (CET)",` +
	`"Data":{"Action":"member-queue-start","Agent":12,"Calling":"0033612345678","Count":"3","Queue":4,` +
	`"QueueAgent":"agent/7","QueueMemberCIDNumber":"0033612345678","QueueMemberCIDName":"Jean Dupont",` +
	`"QueueMemberUUID":"6f1c2d3e-aaaa-bbbb-cccc-0123456789ab","QueueCause":"","Ts":1425554670.102,"Unknown":{"a":[1,2,{"b":null}]}},` +
	`"Details":{"Description":"File d'attente","Id":295671,"IdBillingAccount":"59415","SimultaneousLine":2,"Type":"easyHunting"}}`

// answer10 is an answer with ten events, lines and queues mixed.
var answer10 = func() string {
	var evs []string
	for i := range 10 {
		if i%3 == 2 {
			evs = append(evs, strings.Replace(queueEvent, "6f1c2d3e", fmt.Sprintf("6f1c2d%02d", i), 1))
			continue
		}
		ev := documented[strings.Index(documented, `[`)+1 : strings.LastIndex(documented, `]`)]
		evs = append(evs, strings.Replace(ev, "N2ZkZm", fmt.Sprintf("N2Zk%02d", i), 1))
	}
	return `{"Session":"s1","Message":"","Events":[` + strings.Join(evs, ",") + `]}`
}()

const emptyAnswer = `{"Session":"8c1e6b1f-3f0a-4c8e-9d59-0b5a1f7e2c44","Events":[]}`

// seeds are answers, good and broken, that seed FuzzDecode;
// TestDecodeSeeds runs them without fuzzing.
var seeds = []string{
	documented,
	answer10,
	emptyAnswer,
	`{"Session":"a","Events":[` + queueEvent + `]}`,
	// Ts, Timestamp and TsGet as numbers, strings, "", null, garbage.
	`{"Session":"a","Events":[{"Event":"end_calling","Data":{"Ts":1425554670.5},"Details":{}}]}`,
	`{"Session":"a","Events":[{"Event":"end_calling","Data":{"Ts":""},"Details":{}}]}`,
	`{"Events":[{"Data":{"Ts":"  1425554670.102 ","TsGet":" 12 "},"Timestamp":"1425554670255954700"}]}`,
	`{"Events":[{"Data":{"Ts":null,"TsGet":null},"Timestamp":null}]}`,
	`{"Events":[{"Data":{"Ts":5,"Ts":null}}]}`,
	`{"Events":[{"Data":{"Ts":"soon"}}]}`,
	`{"Events":[{"Data":{"Ts":true}}]}`,
	`{"Events":[{"Data":{"Ts":"NaN","TsGet":"Inf"}}]}`,
	`{"Events":[{"Data":{"Ts":"0x1p4","TsGet":"1_000"}}]}`,
	`{"Events":[{"Timestamp":1.4255546702559547e18},{"Timestamp":-12},{"Timestamp":99999999999999999999},{"Timestamp":1e400}]}`,
	`{"Events":[{"Timestamp":-0.5E-3,"Data":{"Ts":-1e-7,"TsGet":1E+3}}]}`,
	`{"Events":[{"Timestamp":1.5},{"Timestamp":"1.5"},{"Timestamp":"12abc"}]}`,
	// Details and queue keys as numbers, booleans, null, objects.
	`{"Session":"a","Events":[{"Event":"x","Data":{},"Details":{"Id":295670,"SimultaneousLine":2}}]}`,
	`{"Events":[{"Details":{"Id":true,"IdBillingAccount":false,"SimultaneousLine":null,"Type":null}}]}`,
	`{"Events":[{"Details":{"Id":-1.5e3,"IdBillingAccount":0}}]}`,
	`{"Events":[{"Details":{"Id":{}}}]}`,
	`{"Events":[{"Data":{"Agent":[1]}}]}`,
	// Events null, [], absent; elements null; wrong types.
	`{"Session":"a","Message":"","Events":null}`,
	`{"Session":"a","Events":[]}`,
	`{"Session":"a"}`,
	`{}`,
	`{"Events":[null]}`,
	`{"Events":[{},null,{}]}`,
	`{"Events":{}}`,
	`{"Events":"none"}`,
	`{"Events":[1]}`,
	`{"Events":[[]]}`,
	`{"Events":[{"Data":[]}]}`,
	`{"Events":[{"Data":null,"Details":null}]}`,
	`{"Events":[{"Details":"x"}]}`,
	`{"Session":12}`,
	`{"Session":true}`,
	`{"Session":null,"Message":null}`,
	`{"Session":{"a":1}}`,
	`{"Events":[{"Data":{"Called":0033612345678}}]}`,
	`{"Events":[{"Data":{"Called":33612345678}}]}`,
	// Escapes and Unicode.
	`{"Session":"a\"b\\c\/d\b\f\n\r\t","Message":"\u00e9\u0041\u20ac\u0000"}`,
	`{"Session":"R\u00e9ception","Events":[{"Details":{"Description":"Accueil \u00e0 l'\u00e9tage"}}]}`,
	`{"Session":"\ud83d\ude00","Message":"\ud83d"}`,
	`{"Session":"\ude00\ud83d","Message":"\ud83dx\ud83d\u0041"}`,
	"{\"Session\":\"Réception ☎ 😀\",\"Message\":\"caf\xe9\"}",
	"{\"Session\":\"\xff\xfe\",\"Message\":\"\xed\xa0\x80\"}",
	"{\"Session\":\"\xef\xbf\xbd\"}",
	"{\"Session\":\"a\x7fb\"}",
	"{\"Session\":\"a\x01b\"}",
	`{"Session":"a\x"}`,
	`{"Session":"\u12"}`,
	`{"Session":"\u12G4"}`,
	`{"Session":"\U0041"}`,
	// Keys: case, Unicode folding, escapes, duplicates.
	`{"session":"s","message":"m","events":[{"event":"start_ringing","token":"t","service":"sip","ressource":"r","timestamp":1,"date":"d",` +
		`"data":{"calling":"0033612345678","called":"0033972101010","callid":"c","ts":"1.5","tsget":2,"queuemembercidnumber":"q"},` +
		`"details":{"description":"D","id":"1","idbillingaccount":"2","simultaneousline":"3","type":"sipCirpack"}}]}`,
	`{"SESSION":"s","eVeNtS":[{"EVENT":"x","dAtA":{"CALLING":"1"}}]}`,
	"{\"Seſſion\":\"long s\",\"Events\":[{\"To\u212aen\":\"kelvin\",\"Ressource\":\"x\"}]}",
	"{\"\u0130d\":\"dotted\",\"Events\":[{\"Details\":{\"\u0131d\":\"dotless\",\"Id\":\"plain\"}}]}",
	`{"\u0053ession":"escaped key","Ev\u0065nts":[]}`,
	`{"Session":"a","Session":"b","Message":"x","Message":null}`,
	`{"Events":[{"Data":{"Called":"1"},"Data":{"Calling":"2"},"Data":null}]}`,
	`{"Events":[{"Event":"a","Token":"t"}],"Events":[{"Event":"b"}]}`,
	`{"Events":[{"Event":"a"},{"Event":"b"},{"Event":"c"}],"Events":[null],"Events":[null,null,null,null]}`,
	`{"Events":[{"Event":"a"}],"Events":[],"Events":[null]}`,
	`{"Events":[{"Event":"a"}],"Events":null,"Events":[null]}`,
	`{"Events":[{"Event":"a"},{"Event":"b"}],"events":[{"Token":"t"},{"Token":"u"},{"Token":"v"}]}`,
	`{"":1,"Session":"a"}`,
	// Unknown keys, nested, and their validation.
	`{"Session":"a","Extra":{"x":[1,2,{"y":[true,false,null,"s\n",-0.5e+10]}],"z":{}},"More":[[],[[]],{}]}`,
	`{"Session":"a","Extra":[1,2,}`,
	`{"Session":"a","Extra":{"x"}}`,
	`{"Session":"a","Extra":tru}`,
	`{"Session":"a","Extra":nul}`,
	`{"Session":"a","Extra":01}`,
	`{"Session":"a","Extra":-}`,
	`{"Session":"a","Extra":1.}`,
	`{"Session":"a","Extra":1e}`,
	`{"Session":"a","Extra":1e+}`,
	`{"Session":"a","Extra":+1}`,
	`{"Session":"a","Extra":.5}`,
	`{"Session":"a","Extra":123456789012345678901234567890e-400}`,
	`{"Session":"a","Extra":'x'}`,
	// Whitespace everywhere, JSON and otherwise.
	" \t\r\n{ \"Session\" \t:\r\n\"a\" ,\n\"Events\" : [ { \"Data\" : { \"Ts\" : 1 } , \"Details\" : { } } , null ] } \n\t ",
	"\u00a0\v\f{\"Session\":\"a\"}\u2028\u0085",
	"\x85{\"Session\":\"a\"}",
	"{\"Session\":\"a\"}\x85",
	"{\"Session\":\"a\"\v}",
	"{\"Session\":\"a\",\u00a0\"Message\":\"b\"}",
	// Broken answers.
	``,
	`   `,
	`<html>502 Bad Gateway</html>`,
	`[{"Session":"a"}]`,
	`null`,
	`{`,
	`{"Session":"a","Events":[{"Event":`,
	`{"Session":"a"`,
	`{"Session":"a",}`,
	`{"Session":"a"}}`,
	`{"Session":"a"} {}`,
	`{"Session":"a"}x`,
	`{"Session" "a"}`,
	`{Session:"a"}`,
	`{"Events":[{}{}]}`,
	`{"Events":[{},]}`,
	`{"Events":[,{}]}`,
}

// checkDecode holds Decode to what the relay counts on, for any input:
//   - an answer it decodes is valid JSON, and encoding it as the emulator
//     does and decoding that again gives the same answer (Ts to the
//     millisecond, as Seconds encodes it);
//   - an answer it refuses gets an error that starts with "ovhevent: "
//     and, when the answer is a JSON object, says which field is wrong and
//     what was expected there.
func checkDecode(t *testing.T, b []byte) {
	t.Helper()
	a, err := Decode(b)
	trimmed := bytes.TrimSpace(b)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "ovhevent: ") {
			t.Errorf("Decode(%q): error %q lacks the ovhevent: prefix", b, err)
		}
		if len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) && !strings.Contains(err.Error(), ": expected ") {
			t.Errorf("Decode(%q): error %q does not say which field is wrong", b, err)
		}
		return
	}
	if !json.Valid(trimmed) {
		t.Fatalf("Decode(%q) accepted invalid JSON: %#v", b, a)
	}
	enc, err := json.Marshal(a)
	if err != nil {
		t.Fatalf("encoding %#v: %v", a, err)
	}
	again, err := Decode(enc)
	if err != nil {
		t.Fatalf("Decode(%q) = %#v, which encodes as %s, which does not decode: %v", b, a, enc, err)
	}
	want := Answer{Session: a.Session, Message: a.Message, Events: slices.Clone(a.Events)}
	for i := range want.Events {
		ts := &want.Events[i].Data.Ts
		*ts = Seconds(must(strconv.ParseFloat(strconv.FormatFloat(float64(*ts), 'f', 3, 64), 64)))
	}
	if !sameAnswer(again, want) {
		t.Fatalf("Decode(%q) = %#v;\nencoded as %s it decodes as %#v", b, want, enc, again)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// sameAnswer is reflect.DeepEqual, except that a NaN Ts (from "NaN") equals
// a NaN Ts: DeepEqual holds NaN unequal to itself.
func sameAnswer(a, b Answer) bool {
	if len(a.Events) == len(b.Events) {
		a.Events, b.Events = slices.Clone(a.Events), slices.Clone(b.Events)
		for i := range a.Events {
			if math.IsNaN(float64(a.Events[i].Data.Ts)) && math.IsNaN(float64(b.Events[i].Data.Ts)) {
				a.Events[i].Data.Ts, b.Events[i].Data.Ts = 0, 0
			}
		}
	}
	return reflect.DeepEqual(a, b)
}

func TestDecodeSeeds(t *testing.T) {
	for _, s := range seeds {
		checkDecode(t, []byte(s))
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkDecode)
}

func TestDecodeEdgeCases(t *testing.T) {
	kept := func(events ...Event) []Event { return events }
	tests := []struct {
		name string
		in   string
		want Answer
	}{
		{"lower-case keys (v2 style)",
			`{"session":"s","events":[{"event":"start_ringing","data":{"calling":"0033612345678","ts":"1.5"},"details":{"id":7}}]}`,
			Answer{Session: "s", Events: kept(Event{Event: "start_ringing", Data: Data{Calling: "0033612345678", Ts: 1.5}, Details: Details{Id: "7"}})}},
		{"last duplicate key wins",
			`{"Session":"a","session":"b"}`,
			Answer{Session: "b"}},
		{"null leaves a string unchanged",
			`{"Session":"a","Session":null}`,
			Answer{Session: "a"}},
		{"null zeroes Ts, Timestamp and Text",
			`{"Events":[{"Timestamp":5,"Timestamp":null,"Data":{"Ts":5,"Ts":null,"Agent":"x","Agent":null}}]}`,
			Answer{Events: kept(Event{})}},
		{"duplicate Data merges",
			`{"Events":[{"Data":{"Called":"1"},"Data":{"Calling":"2"},"Data":null}]}`,
			Answer{Events: kept(Event{Data: Data{Called: "1", Calling: "2"}})}},
		{"Events null", `{"Events":null}`, Answer{}},
		{"Events empty", `{"Events":[]}`, Answer{Events: []Event{}}},
		{"null event", `{"Events":[null]}`, Answer{Events: kept(Event{})}},
		{"escapes",
			`{"Session":"a\"b\\c\/d\n\u00e9\u20ac","Message":"\ud83d\ude00"}`,
			Answer{Session: "a\"b\\c/d\né€", Message: "😀"}},
		{"lone surrogate and invalid UTF-8 become U+FFFD",
			"{\"Session\":\"\\ud83d!\",\"Message\":\"caf\xe9\"}",
			Answer{Session: "\uFFFD!", Message: "caf\uFFFD"}},
		{"Text from numbers and booleans",
			`{"Events":[{"Details":{"Id":-1.5e3,"IdBillingAccount":true,"SimultaneousLine":0}}]}`,
			Answer{Events: kept(Event{Details: Details{Id: "-1.5e3", IdBillingAccount: "true", SimultaneousLine: "0"}})}},
		{"Nanos in exponent form, as a string, truncated",
			`{"Events":[{"Timestamp":1.4255546702559547e18,"Data":{"TsGet":" 12 "}},{"Timestamp":2.9}]}`,
			Answer{Events: kept(Event{Timestamp: 1425554670255954688, Data: Data{TsGet: 12}}, Event{Timestamp: 2})}},
		{"unknown keys skipped, however nested",
			`{"Session":"a","X":{"y":[1,{"z":[[],{}]},"\u0041",-0.5e+10,true,false,null]},"Events":[{"X":[{}],"Data":{"X":{}},"Details":{"X":[]}}]}`,
			Answer{Session: "a", Events: kept(Event{})}},
		{"Unicode spaces around the answer",
			"\u00a0 {\"Session\":\"a\"}\n\u2028",
			Answer{Session: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
			checkDecode(t, []byte(tt.in))
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	const maxDepth = 10000 // encoding/json's nesting limit, the top-level object counted
	deep := `{"X":` + strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1) + `}`
	tooDeep := `{"X":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`
	if _, err := Decode([]byte(deep)); err != nil {
		t.Errorf("nested %d deep: %v", maxDepth, err)
	}
	tests := []struct {
		name string
		in   string
		want []string // each must be in the error
	}{
		{"string given a number", `{"Events":[{"Data":{"Called":33612345678}}]}`, []string{"Events[0].Data.Called", "expected a string, got a number"}},
		{"string given an object", `{"Session":{}}`, []string{"Session", "expected a string, got an object"}},
		{"Data given an array", `{"Events":[{},{"Data":[]}]}`, []string{"Events[1].Data", "got an array"}},
		{"Events given an object", `{"Events":{}}`, []string{"Events", "expected an array of events or null, got an object"}},
		{"event given a number", `{"Events":[1]}`, []string{"Events[0]", "expected an event object, got a number"}},
		{"Text given an object", `{"Events":[{"Details":{"Id":{}}}]}`, []string{"Events[0].Details.Id", "expected a string or number"}},
		{"Ts garbage", `{"Events":[{"Data":{"Ts":"soon"}}]}`, []string{"Events[0].Data.Ts", `expected a number of seconds, or a string holding one, got a string "soon"`}},
		{"Timestamp garbage", `{"Events":[{"Timestamp":"12abc"}]}`, []string{"Events[0].Timestamp", `expected an integer number of nanoseconds, or a string holding one, got a string "12abc"`}},
		{"Ts a boolean", `{"Events":[{"Data":{"Ts":true}}]}`, []string{"Events[0].Data.Ts", "got a boolean"}},
		{"the event that is wrong, not the first", `{"Events":[{"Data":{"Ts":1}},{"Data":{"Ts":2}},{"Details":{"Type":3}}]}`, []string{"Events[2].Details.Type", "expected a string, got a number"}},
		{"Nanos too big", `{"Events":[{},{"Data":{"TsGet":1e400}}]}`, []string{"Events[1].Data.TsGet", "got a number 1e400"}},
		{"path in the schema's spelling", `{"events":[{"data":{"ts":"x"}}]}`, []string{"Events[0].Data.Ts"}},
		{"truncated", `{"Session":"a","Events":[{"Event":`, []string{"cannot decode", "unexpected end of JSON input (at byte 34, after", `"Events\":[{\"Event\":"`, "report this message"}},
		{"trailing data", `{"Session":"a"} {}`, []string{"invalid character '{' after top-level value", "at byte 16"}},
		{"trailing comma", `{"Session":"a",}`, []string{"invalid character '}' looking for beginning of object key string"}},
		{"control character", "{\"Session\":\"a\tb\"}", []string{"Session", `invalid character '\t' in string literal`}},
		{"bad escape", `{"Session":"a\x"}`, []string{"in string escape code"}},
		{"leading zero", `{"X":01}`, []string{"invalid character '1' after object key:value pair"}},
		{"bad literal", `{"X":nul}`, []string{"in literal null"}},
		{"too deep", tooDeep, []string{"exceeded max depth"}},
		{"unknown value broken", `{"X":[1,2,}`, []string{"X", "invalid character '}'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			checkDecode(t, []byte(tt.in))
		})
	}
	checkDecode(t, []byte(deep))
}

// TestDecodeEveryField fills every field of the schema, encodes it as
// MarshalJSON and encoding/json do, and checks that Decode reads each one
// back, under its own name and in lower case: a field whose tag or type
// does not round-trip fails here.
func TestDecodeEveryField(t *testing.T) {
	var ev Event
	n := 0
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		for i := range v.NumField() {
			f := v.Field(i)
			n++
			switch f.Kind() {
			case reflect.Struct:
				fill(f)
			case reflect.String:
				f.SetString(fmt.Sprintf("v%d", n))
			case reflect.Int64:
				f.SetInt(int64(n) * 1000)
			case reflect.Float64:
				f.SetFloat(float64(n) + 0.5)
			default:
				t.Fatalf("field %s: kind %s not handled by this test", v.Type().Field(i).Name, f.Kind())
			}
		}
	}
	fill(reflect.ValueOf(&ev).Elem())
	want := Answer{Session: "s", Message: "m", Events: []Event{ev}}
	body, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(body, &generic); err != nil {
		t.Fatal(err)
	}
	lower, err := json.Marshal(lowerKeys(generic))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{body, lower} {
		got, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Decode(%s)\n got %+v\nwant %+v", b, got, want)
		}
		checkDecode(t, b)
	}
}

func lowerKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[strings.ToLower(k)] = lowerKeys(x)
		}
		return m
	case []any:
		for i := range v {
			v[i] = lowerKeys(v[i])
		}
	}
	return v
}

// BenchmarkDecode… measure Decode alone; what it costs on the whole
// relay path is server/relay's BenchmarkRelayPath.
func benchmarkDecode(b *testing.B, body string, decode func([]byte) (Answer, error)) {
	in := []byte(body)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := decode(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B)      { benchmarkDecode(b, documented, Decode) }
func BenchmarkDecode10(b *testing.B)    { benchmarkDecode(b, answer10, Decode) }
func BenchmarkDecodeEmpty(b *testing.B) { benchmarkDecode(b, emptyAnswer, Decode) }

// TestFlexTypesUnmarshalJSON: Seconds, Nanos and Text still decode on
// their own through encoding/json, for code that unmarshals them directly.
func TestFlexTypesUnmarshalJSON(t *testing.T) {
	var v struct {
		Ts   Seconds
		TsN  Seconds
		Nano Nanos
		Exp  Nanos
		Id   Text
		Null Text
	}
	in := `{"Ts":"1425554670.102","TsN":null,"Nano":" 12 ","Exp":1.5e3,"Id":295670,"Null":null}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if v.Ts != 1425554670.102 || v.TsN != 0 || v.Nano != 12 || v.Exp != 1500 || v.Id != "295670" || v.Null != "" {
		t.Errorf("decoded %+v", v)
	}
	var s Seconds
	if err := json.Unmarshal([]byte(`"soon"`), &s); err == nil || !strings.Contains(err.Error(), `"soon"`) {
		t.Errorf(`Seconds "soon": err = %v`, err)
	}
	if b, _ := json.Marshal(Seconds(1.5)); string(b) != `"1.500"` {
		t.Errorf("Seconds(1.5) encodes as %s", b)
	}
}

// TestDecodeKeepsTheGoodEvents: one event OVH wrote wrong is left out,
// named in the error; the others and the session are kept.
func TestDecodeKeepsTheGoodEvents(t *testing.T) {
	good := `{"Event":"start_ringing","Ressource":"0033972101010","Data":{"CallId":"%s","Ts":1425554670.1},"Details":{}}`
	b := `{"Session":"s1","Events":[` + fmt.Sprintf(good, "a") + `,{"Event":"start_ringing","Data":{"CallId":"b","Ts":"soon"},"Details":{}},` + fmt.Sprintf(good, "c") + `]}`
	a, err := Decode([]byte(b))
	var bad *BadEventsError
	if !errors.As(err, &bad) {
		t.Fatalf("Decode = %v, want a *BadEventsError", err)
	}
	if len(bad.Skipped) != 1 || bad.Total != 3 || !strings.Contains(err.Error(), "Events[1].Data.Ts: expected a number of seconds") {
		t.Errorf("error %q (%+v)", err, bad)
	}
	if a.Session != "s1" || len(a.Events) != 2 || a.Events[0].CallID() != "a" || a.Events[1].CallID() != "c" {
		t.Errorf("answer %+v: want the session and events a and c", a)
	}
	// An answer whose own fields are wrong is refused whole.
	if _, err := Decode([]byte(`{"Session":5,"Events":[]}`)); err == nil || errors.As(err, &bad) {
		t.Errorf("a wrong Session: %v", err)
	}
}
