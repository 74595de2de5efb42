package background

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/stream"
)

func TestDialFor(t *testing.T) {
	caller := phone.Number{Raw: "0033612345682", Kind: phone.Valid, Forms: phone.Forms{E164: "+33612345682"}}
	inbound := CallView{Call: call.Call{Line: "0033972101010", ID: "c1", Direction: call.Inbound, State: call.Missed, Calling: caller.Raw}, Calling: caller}
	queued := CallView{Call: call.Call{Line: "0033972101099", ID: "q1", Queue: true, Direction: call.Inbound, State: call.Ended}, Card: stream.Card{OtherParty: caller}}
	withheld := CallView{Call: call.Call{Line: "0033972101011", ID: "w1", Direction: call.Inbound, State: call.Missed}, Calling: phone.Number{Kind: phone.Withheld}}
	test := CallView{Call: call.Call{Line: TestLine, ID: "t1"}, Calling: caller, Test: true}
	live := CallView{Call: call.Call{Line: "0033972101011", ID: "l1", Direction: call.Inbound, State: call.Answered}, Calling: caller}
	st := &Memory{Live: []CallView{live}, Recent: []CallView{inbound, queued, withheld, test}}
	idle := &Memory{Recent: []CallView{queued, test, inbound}}

	tests := []struct {
		name          string
		st            *Memory
		line, id, num string
		want          stream.Dial
		err           error  // errors.Is
		errText       string // or the error says
	}{
		{"call back from the call's line", st, inbound.Call.Line, "c1", "", stream.Dial{Line: "0033972101010", Number: "+33612345682"}, nil, ""},
		{"call back a queue call: the relay picks the line", st, queued.Call.Line, "q1", "", stream.Dial{Number: "+33612345682"}, nil, ""},
		{"call back a withheld caller", st, withheld.Call.Line, "w1", "", stream.Dial{}, ErrDialNoNumber, ""},
		{"call back the test pop", st, TestLine, "t1", "", stream.Dial{}, ErrDialTest, ""},
		{"call back a call no longer listed", st, "0033972101010", "gone", "", stream.Dial{}, ErrNoCall, ""},
		{"a page's number, from the line of the call going on", st, "", "", "  01 23\u00a045 67 89 ", stream.Dial{Line: "0033972101011", Number: "01 23 45 67 89"}, nil, ""},
		{"a page's number, from the latest callable line", idle, "", "", "+33123456789", stream.Dial{Line: "0033972101010", Number: "+33123456789"}, nil, ""},
		{"a page's number, no call yet: the relay picks", &Memory{}, "", "", "0123456789", stream.Dial{Number: "0123456789"}, nil, ""},
		{"a page's number, the line said", st, "0033972101010", "", "0123456789", stream.Dial{Line: "0033972101010", Number: "0123456789"}, nil, ""},
		{"no number", st, "", "", "   ", stream.Dial{}, nil, "no number"},
		{"a page's text far too long", st, "", "", strings.Repeat("1", 65), stream.Dial{}, nil, "is not a phone number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.st.DialFor(tt.line, tt.id, tt.num)
			switch {
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Fatalf("error %v, want %v", err, tt.err)
				}
			case tt.errText != "":
				if err == nil || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("error %v, want one saying %q", err, tt.errText)
				}
			case err != nil:
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("DialFor = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDialURL(t *testing.T) {
	for relay, want := range map[string]string{
		"http://127.0.0.1:8080":                "http://127.0.0.1:8080/v1/dial",
		" https://relay.example.com/ ":         "https://relay.example.com/v1/dial",
		"https://example.com/screenpop/?x=1#y": "https://example.com/screenpop/v1/dial",
		"ws://relay.example.com":               "",
		"relay.example.com":                    "",
	} {
		got, err := DialURL(relay)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("DialURL(%q) = %q, %v; want %q", relay, got, err, want)
		}
	}
}

// TestDialWire: the request is written as encoding/json writes a
// stream.Dial (the relay refuses unknown fields), the answer read as
// the relay writes a stream.Dialed and its errors.
func TestDialWire(t *testing.T) {
	for _, d := range []stream.Dial{filled[stream.Dial](), {Number: "01 23 <45>"}} {
		if got, want := dialBody(d), string(mustJSON(t, d)); got != want {
			t.Errorf("dialBody:\n got %s\nwant %s", got, want)
		}
	}
	want := filled[stream.Dialed]()
	if got := dialed(string(mustJSON(t, want))); !reflect.DeepEqual(got, want) {
		t.Errorf("dialed read back:\n got %+v\nwant %+v", got, want)
	}

	refusal := mustJSON(t, stream.Message{Type: stream.TypeError, Error: &stream.Error{Code: stream.CodeNotGranted, Message: "create the credential with click-to-call"}})
	tests := []struct {
		status int
		body   string
		code   string // "" : no *RelayError
		says   string // "" : no error
	}{
		{200, `{"line":"0033972101010"}`, "", ""},
		{403, string(refusal), stream.CodeNotGranted, "create the credential with click-to-call"},
		{404, "404 page not found", stream.CodeNotFound, "older than the extension"},
		{502, "<html>Bad Gateway</html>", "", "HTTP 502"},
	}
	for _, tt := range tests {
		err := relayAnswer(tt.status, tt.body)
		if tt.says == "" {
			if err != nil {
				t.Errorf("%d: %v", tt.status, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%d %s: error %v, want one saying %q", tt.status, tt.body, err, tt.says)
			continue
		}
		var re *RelayError
		if got := errors.As(err, &re); got != (tt.code != "") || (got && re.Code != tt.code) {
			t.Errorf("%d: error %#v, want code %q", tt.status, err, tt.code)
		}
	}
}

func TestDialAnswer(t *testing.T) {
	ok := dialAnswer(stream.Dialed{Line: "0033972101010", Number: phone.Number{Forms: phone.Forms{Grouped: "01 23 45 67 89"}}}, "+33123456789", nil)
	if !reflect.DeepEqual(ok, map[string]any{"ok": true, "number": "01 23 45 67 89", "line": "0033972101010"}) {
		t.Errorf("answer %v", ok)
	}
	// The relay's answer without forms: the number as asked.
	if a := dialAnswer(stream.Dialed{}, "+33123456789", nil); a["number"] != "+33123456789" {
		t.Errorf("answer %v", a)
	}
	refused := dialAnswer(stream.Dialed{}, "x", &RelayError{Code: stream.CodeBadNumber, Message: `"x" is not a phone number`})
	if refused["ok"] != false || refused["code"] != stream.CodeBadNumber || refused["error"] != `"x" is not a phone number` {
		t.Errorf("refusal %v", refused)
	}
	if a := dialAnswer(stream.Dialed{}, "x", errors.New("cannot reach the relay")); a["code"] != "" || a["error"] != "cannot reach the relay" {
		t.Errorf("failure %v", a)
	}
	// The answer crosses to the page as JSON (runtime messaging).
	if _, err := json.Marshal(ok); err != nil {
		t.Fatal(err)
	}
}
