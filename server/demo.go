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
}

// startDemo runs the OVH emulator on its own loopback port (the relay
// reaches it over real HTTP, exactly as it reaches OVH) and rings the demo
// line periodically.
func startDemo(ctx context.Context, log *slog.Logger, every time.Duration) (*demo, error) {
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
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			c := demoCallers[i%len(demoCallers)]
			c.Line = demoLine
			c.RingFor = every / 2
			c.TalkFor = every / 3
			if _, err := sim.Ring(c); err != nil {
				log.Warn("demo: ring failed", "err", err)
			}
		}
	}()
	return &demo{eventsURL: "http://" + ln.Addr().String() + "/", token: token}, nil
}
