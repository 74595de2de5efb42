package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone/parse"
	"github.com/screenpop/screenpop/internal/stream"
)

// parseEvent must read what the relay sends exactly as encoding/json does:
// if stream.Message changes shape, this fails rather than the bench
// measuring garbage.
func TestParseEventMatchesJSON(t *testing.T) {
	received := time.Date(2026, 11, 25, 10, 4, 5, 123456789, time.FixedZone("CET", 3600))
	c := call.Call{Line: "0033972101010", ID: "c1", State: call.Ringing, Calling: "0033612345682", LastEvent: `"received":"trap"`}
	b, err := json.Marshal(stream.Message{Type: stream.TypeEvent, ID: 4217, Event: &stream.Event{
		Name: "start_ringing", Call: c, Calling: parse.Number(c.Calling, "FR"), Called: parse.Number(c.Line, "FR"), Received: received,
	}})
	if err != nil {
		t.Fatal(err)
	}
	id, rec, ok := parseEvent(b)
	if !ok || id != 4217 {
		t.Fatalf("parseEvent(%s) = %d, %q, %v; want id 4217", b, id, rec, ok)
	}
	got, err := time.Parse(time.RFC3339Nano, string(rec))
	if err != nil || !got.Equal(received) {
		t.Errorf("received %q (%v), want %v", rec, err, received)
	}
}

func TestParseEventLeavesOtherMessages(t *testing.T) {
	for _, m := range []stream.Message{
		{Type: stream.TypeHello, Hello: &stream.Hello{Relay: "x", Cursor: 3}},
		{Type: stream.TypePing},
		{Type: stream.TypeError, Error: &stream.Error{Code: stream.CodeBadSecret, Message: "no"}},
	} {
		b, _ := json.Marshal(m)
		if _, _, ok := parseEvent(b); ok {
			t.Errorf("parseEvent(%s) took it for an event", b)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 50}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := percentile(d, tt.p); got != tt.want {
			t.Errorf("percentile(1..100, %v) = %d, want %d", tt.p, got, tt.want)
		}
	}
}

// parseEvent finds Received by scanning back from the end; anything not
// shaped like the relay's event messages must get what a search for the
// key gets.
func TestParseEvent(t *testing.T) {
	for _, tt := range []struct {
		name     string
		msg      string
		id       uint64
		received string // "": not an event
	}{
		{"event", `{"type":"event","id":7,"event":{"name":"x","received":"2026-01-02T03:04:05.123Z"}}`, 7, "2026-01-02T03:04:05.123Z"},
		{"empty received", `{"type":"event","id":7,"event":{"received":""}}`, 7, ""},
		{"received not last", `{"type":"event","id":8,"event":{"received":"2026-01-02T03:04:05Z","name":"x"}}`, 8, "2026-01-02T03:04:05Z"},
		{"a field after the event", `{"type":"event","id":9,"event":{"received":"2026-01-02T03:04:05Z"},"x":1}`, 9, "2026-01-02T03:04:05Z"},
		{"another key before the end", `{"type":"event","id":9,"event":{"received":"a","other":"b"}}`, 9, "a"},
		{"quoted key in a value", `{"type":"event","id":3,"event":{"lastEvent":"\"received\":\"trap\"","received":"t"}}`, 3, "t"},
		{"no received", `{"type":"event","id":3,"event":{"name":"x"}}`, 0, ""},
		{"unterminated", `{"type":"event","id":3,"event":{"received":"t`, 0, ""},
		{"too short", `{"type":"event","id":3,"}}`, 0, ""},
		{"no id", `{"type":"event","id":,"event":{"received":"t"}}`, 0, ""},
		{"hello", `{"type":"hello","hello":{"relay":"x","cursor":3}}`, 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id, rec, ok := parseEvent([]byte(tt.msg))
			wantOK := tt.id != 0
			if ok != wantOK || id != tt.id || string(rec) != tt.received {
				t.Errorf("parseEvent(%s) = %d, %q, %v; want %d, %q, %v", tt.msg, id, rec, ok, tt.id, tt.received, wantOK)
			}
		})
	}
}
