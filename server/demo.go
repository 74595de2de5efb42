package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/screenpop/screenpop/server/ovhsim"
)

const (
	demoBilling = "ab12345-ovh-1"
	demoLine    = "0033972101010"
)

// demoCallers ring the demo line in turn: stored in the demo CRM in
// different formats, plus a withheld caller that must not pop a search.
var demoCallers = []ovhsim.Call{
	{Calling: "0033612345682", Scenario: "answered"},
	{Calling: "0033612345683", Scenario: "missed"},
	{Calling: "0033123456789", Scenario: "answered"},
	{Calling: "0014155550184", Scenario: "missed"},
	{Calling: "", Anonymous: true, Scenario: "missed"},
}

type demo struct {
	eventsURL, token string
	sim              *ovhsim.Sim
}

// startDemo runs the OVH emulator on its own loopback port (the relay
// reaches it over real HTTP, exactly as it reaches OVH); ring rings it.
func startDemo(ctx context.Context) (*demo, error) {
	sim := ovhsim.New(ovhsim.Config{})
	sim.AddLine(demoBilling, demoLine, "Accueil (demo)")
	token, err := sim.NewToken(demoLine, "unlimited")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: cannot start the OVH emulator: %v", err)
	}
	srv := &http.Server{Handler: sim}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return &demo{eventsURL: "http://" + ln.Addr().String() + "/", token: token, sim: sim}, nil
}

// ring rings the demo line with the i-th demo caller, for a call that
// fits in every.
func (d *demo) ring(i int, every time.Duration) error {
	c := demoCallers[i%len(demoCallers)]
	c.Line = demoLine
	c.RingFor = every / 2
	c.TalkFor = every / 3
	_, err := d.sim.Ring(c)
	return err
}

// demoCalm is how many times less often the demo line rings once a call
// has reached an agent: every 8 s shows at once that pops work, but a
// person then filling in the options, or reading the popup, would be
// interrupted every 8 s (in the default mode a pop brings the CRM tab to
// the front). 40 s leaves time for that and still shows a call now and
// then.
const demoCalm = 5

// ringDemo rings the demo line (ring) every every until a call has
// reached an agent's client (reached), then demoCalm times less often,
// until ctx is done. The switch is decided before a ring, so the call
// that reached the agent is followed by the calm pace at once.
func ringDemo(ctx context.Context, log *slog.Logger, every time.Duration, reached func() uint64, ring func(i int) error) {
	t := time.NewTimer(every)
	defer t.Stop()
	calm := false
	for i := 0; ; {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !calm && reached() > 0 {
			calm = true
			log.Info("demo: a call reached an agent; the demo line now rings every "+(demoCalm*every).String()+", leaving time to use the extension", "until_then", every)
			t.Reset((demoCalm - 1) * every) // demoCalm × every after the last ring
			continue
		}
		if err := ring(i); err != nil {
			log.Warn("demo: ring failed", "err", err)
		}
		i++
		if calm {
			t.Reset(demoCalm * every)
		} else {
			t.Reset(every)
		}
	}
}
