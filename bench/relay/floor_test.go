package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
)

// The floor server's messages must be what the relay's are to the
// agents: events parseEvent reads, decodable as stream.Message.
func TestFloorEvent(t *testing.T) {
	received := time.Date(2026, 11, 25, 10, 4, 5, 123456789, time.UTC)
	for id := uint64(1); id <= 3; id++ {
		b := floorEvent(id, received)
		var m stream.Message
		if err := json.Unmarshal(b, &m); err != nil || m.Type != stream.TypeEvent || m.ID != id || m.Event == nil || !m.Event.Received.Equal(received) {
			t.Fatalf("floorEvent(%d) = %s: decodes to %+v, %v", id, b, m, err)
		}
		got, rec, ok := parseEvent(b)
		if !ok || got != id || string(rec) != received.Format(time.RFC3339Nano) {
			t.Errorf("parseEvent(floorEvent(%d)) = %d, %q, %v", id, got, rec, ok)
		}
	}
}

// serverFrame's three length forms read back whole through the fleet's
// frame reader.
func TestServerFrame(t *testing.T) {
	f := &fleet{stamps: map[uint64]int64{}, lines: map[uint64]string{}}
	a := &agent{fd: -1}
	var b []byte
	for _, n := range []int{5, 125, 126, 200, 0xffff, 70000} {
		hello, _ := json.Marshal(stream.Message{Type: stream.TypeHello, Hello: &stream.Hello{Relay: strings.Repeat("x", n)}})
		b = serverFrame(b, hello)
	}
	b = serverFrame(b, floorEvent(1, time.Now()))
	used, err := f.frames(a, b, 1)
	if err != nil || used != len(b) || len(a.got) != 1 || a.got[0].id != 1 {
		t.Errorf("frames read %d of %d bytes (%v) and got %+v; want all, and event 1", used, len(b), err, a.got)
	}
}

// The fleet connects to the floor server as to the relay, and every agent
// gets every message of a batch.
func TestFloorServer(t *testing.T) {
	cmdR, cmdW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- runFloorServer(cmdR, outW, io.Discard) }()
	out := bufio.NewScanner(outR)
	if !out.Scan() {
		t.Fatal("the floor server said nothing")
	}
	addr, ok := strings.CutPrefix(out.Text(), "listening ")
	if !ok {
		t.Fatalf("the floor server said %q, want listening <address>", out.Text())
	}

	fl, err := newFleet(addr, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fl.close()
	const agents, events = 3, 20 // a write of about 19 KB to each, as in the burst
	if err := fl.connect(context.Background(), agents, agents, nil); err != nil {
		t.Fatal(err)
	}
	io.WriteString(cmdW, "send 20\n")
	if !out.Scan() {
		t.Fatal("the floor server did not report the batch")
	}
	if want := "sent 20 3 "; !strings.HasPrefix(out.Text(), want) {
		t.Errorf("the floor server reported %q, want it to start with %q", out.Text(), want)
	}
	for deadline := time.Now().Add(10 * time.Second); fl.received.Load() < agents*events && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	rep := fl.collect(0, events)
	if rep.deliveries != agents*events || rep.missing != 0 || rep.noStamp != 0 || len(rep.dead) != 0 {
		t.Errorf("the agents got %d deliveries of %d (%d missing, %d without a stamp, ended: %v)", rep.deliveries, agents*events, rep.missing, rep.noStamp, rep.dead)
	}

	cmdW.Close()
	go io.Copy(io.Discard, outR)
	if err := <-done; err != nil {
		t.Errorf("the floor server, at the end of its commands: %v", err)
	}
}

func TestFloorSchedule(t *testing.T) {
	const ms = time.Millisecond
	for _, tt := range []struct {
		name                      string
		calls                     int
		spacing, ringFor, talkFor time.Duration
		want                      []int // events per batch
	}{
		{"spaced", 5, 100 * ms, 300 * ms, 500 * ms, []int{1, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1}}, // rings 0–4, answers 3–7, hang-ups 8–12 (×100 ms),
		{"burst", 20, 0, 300 * ms, 500 * ms, []int{20, 20, 20}},
		{"no call", 0, 100 * ms, 300 * ms, 500 * ms, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			var last time.Duration = -1
			for _, b := range floorSchedule(tt.calls, tt.spacing, tt.ringFor, tt.talkFor) {
				if b.at <= last {
					t.Errorf("batch at %v after one at %v", b.at, last)
				}
				last = b.at
				got = append(got, b.k)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("events per batch %v, want %v", got, tt.want)
			}
		})
	}
}
