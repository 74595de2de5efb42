//go:build !js

package call

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestBookJSON(t *testing.T) {
	b := &Book{Keep: time.Hour, MaxEnded: 50, MaxLive: 70}
	b.Apply(lineEv("start_ringing", lineA, "ringing", caller, 0), at(0))
	b.Apply(lineEv("start_ringing", lineB, "ringing", caller, 0.5), at(0)) // same id, other line
	b.Apply(lineEv("start_calling", lineA, "talking", caller, 1), at(1))
	b.Apply(lineEv("start_ringing", lineA, "missed", caller, 0), at(1))
	b.Apply(lineEv("end_ringing", lineA, "missed", caller, 2), at(2))
	b.Apply(queueEv("member-queue-start", "u1", "", 0), at(2))
	b.Apply(queueEv("agent-offering", "u1", "1001", 3), at(3))

	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var r Book
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if err := r.check(); err != nil {
		t.Fatal(err)
	}
	if r.Keep != b.Keep || r.MaxEnded != b.MaxEnded || r.MaxLive != b.MaxLive {
		t.Errorf("limits %v %d %d, want %v %d %d", r.Keep, r.MaxEnded, r.MaxLive, b.Keep, b.MaxEnded, b.MaxLive)
	}
	if r.Len() != b.Len() {
		t.Fatalf("%d calls restored, want %d", r.Len(), b.Len())
	}
	for k, e := range b.calls {
		if got, ok := r.Get(k); !ok || got != e.call {
			t.Errorf("%+v restored as %+v, want %+v", k, got, e.call)
		}
	}
	again, _ := json.Marshal(&r)
	if !bytes.Equal(data, again) {
		t.Errorf("not stable:\n%s\n%s", data, again)
	}

	// The restored Book remembers what it has seen and keeps its clocks.
	for _, tc := range []struct {
		name string
		do   func(b *Book) Change
	}{
		{"duplicate", func(b *Book) Change { return b.Apply(lineEv("start_calling", lineA, "talking", caller, 1), at(4)) }},
		{"repeat duplicate", func(b *Book) Change { return b.Apply(queueEv("agent-offering", "u1", "1001", 3), at(4)) }},
		{"final", func(b *Book) Change { return b.Apply(lineEv("start_calling", lineA, "missed", caller, 1.5), at(4)) }},
		{"answer", func(b *Book) Change { return b.Apply(lineEv("start_calling", lineB, "ringing", caller, 3), at(4)) }},
	} {
		if got, want := tc.do(&r), tc.do(b); got != want {
			t.Errorf("%s: restored Book says %+v, original %+v", tc.name, got, want)
		}
	}
	ge, we := r.Expire(at(700), 10*time.Minute, time.Hour), b.Expire(at(700), 10*time.Minute, time.Hour)
	if len(ge) != len(we) || len(ge) == 0 {
		t.Fatalf("expiry after restore: %+v, want %+v", ge, we)
	}
	for i := range ge {
		if ge[i] != we[i] {
			t.Errorf("expiry after restore: %+v, want %+v", ge[i], we[i])
		}
	}
}

func TestBookJSONErrors(t *testing.T) {
	var b Book
	err := json.Unmarshal([]byte(`{"v":99,"calls":[]}`), &b)
	if err == nil || !strings.Contains(err.Error(), "v99") {
		t.Errorf("newer version: err = %v", err)
	}
	if err := json.Unmarshal([]byte(`{"v":1,"calls":{}}`), &b); err == nil {
		t.Error("calls not a list: no error")
	}
	// Limits are enforced on load; duplicate keys and id-less calls dropped.
	in := `{"v":1,"maxEnded":1,"calls":[
		{"call":{"line":"L","id":"a","state":"ended"},"done":"2026-03-05T11:00:00Z"},
		{"call":{"line":"L","id":"b","state":"ended"},"done":"2026-03-05T11:00:01Z"},
		{"call":{"line":"L","id":"c","state":"ringing"}},
		{"call":{"line":"L","id":"c","state":"answered"}},
		{"call":{"line":"L","id":"","state":"ringing"}}]}`
	if err := json.Unmarshal([]byte(in), &b); err != nil {
		t.Fatal(err)
	}
	if err := b.check(); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Get(Key{"L", "b"}); !ok || b.Len() != 2 || len(b.Live()) != 1 || b.Live()[0].State != Answered {
		t.Errorf("restored %d calls, live %+v", b.Len(), b.Live())
	}
}
