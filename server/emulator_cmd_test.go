package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ovh/go-ovh/ovh"

	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/ovhsim"
)

// TestEmulatorCommand: `screenpop-relay emulator` serves the emulator and
// prints what an integrator needs. Taken at its word: go-ovh signs calls
// with the printed credentials to the printed endpoint and gets an event
// token, a poll of the event service with it is held, the printed curl
// example (sent as curl sends it) rings a call, and the poll answers with
// that call's first event.
func TestEmulatorCommand(t *testing.T) {
	var out, errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runEmulator(ctx, []string{"-listen", "127.0.0.1:0", "-hold", "5s", "-queues", "0033972101099=Support"}, &out, &errb)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the emulator stopped with %v", err)
		}
	}()
	waitfor.Until(t, "the emulator to print its endpoints", func() bool { return strings.Contains(out.String(), "Ctrl-C stops it.") })
	printed := out.String()
	value := func(re string) string {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(printed)
		if m == nil {
			t.Fatalf("the emulator does not print %s:\n%s", re, printed)
		}
		return m[1]
	}
	endpoint := value(`OVH_ENDPOINT=(\S+)`)
	control := value(`Control API: (\S+)`)
	ringCurl := regexp.MustCompile(`ring a call: +curl -X POST (\S+) -d '([^']+)'`).FindStringSubmatch(printed)
	if ringCurl == nil {
		t.Fatalf("no curl example to ring a call:\n%s", printed)
	}
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") || control != strings.TrimSuffix(endpoint, "1.0")+"sim/" {
		t.Fatalf("endpoint %q, control API %q", endpoint, control)
	}

	client, err := ovh.NewClient(endpoint, value(`OVH_APPLICATION_KEY=(\S+)`), value(`OVH_APPLICATION_SECRET=(\S+)`), value(`OVH_CONSUMER_KEY=(\S+)`))
	if err != nil {
		t.Fatal(err)
	}
	var accounts, lines []string
	if err := client.Get("/telephony", &accounts); err != nil || !slices.Equal(accounts, []string{demoBilling}) {
		t.Fatalf("GET /telephony: %v %v", accounts, err)
	}
	if err := client.Get("/telephony/"+demoBilling+"/line", &lines); err != nil || !slices.Equal(lines, []string{demoLine}) {
		t.Fatalf("GET lines: %v %v", lines, err)
	}
	var me struct{ Nichandle string }
	if err := client.Get("/me", &me); err != nil || me.Nichandle == "" {
		t.Fatalf("GET /me: %+v %v", me, err)
	}
	var token string
	if err := client.Post("/telephony/"+demoBilling+"/service/"+demoLine+"/eventToken", map[string]string{"expiration": "1 hour"}, &token); err != nil || !ovhsim.ValidTokenShape(token) {
		t.Fatalf("POST eventToken: %q %v", token, err)
	}

	events := strings.TrimSuffix(endpoint, "/1.0") + "/"
	polled := make(chan ovhevent.Answer, 1)
	go func() {
		resp, err := http.Get(events + "?token=" + token)
		if err != nil {
			t.Error(err)
			polled <- ovhevent.Answer{}
			return
		}
		defer resp.Body.Close()
		var a ovhevent.Answer
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 200 {
			t.Errorf("poll: %d %v", resp.StatusCode, err)
		}
		polled <- a
	}()
	waitfor.Until(t, "the poll to be held", func() bool {
		var st ovhsim.Stats
		resp, err := http.Get(control + "stats")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(&st)
		return st.ActivePolls == 1
	})
	// curl -d sends application/x-www-form-urlencoded: so does this.
	resp, err := http.Post(ringCurl[1], "application/x-www-form-urlencoded", strings.NewReader(ringCurl[2]))
	if err != nil {
		t.Fatal(err)
	}
	var rang struct{ CallID string }
	json.NewDecoder(resp.Body).Decode(&rang)
	resp.Body.Close()
	if resp.StatusCode != 200 || rang.CallID == "" {
		t.Fatalf("ringing with %s: %d %+v", ringCurl[2], resp.StatusCode, rang)
	}
	a := <-polled
	if len(a.Events) != 1 {
		t.Fatalf("poll answered %+v, want the call's first event", a)
	}
	if e := a.Events[0]; e.Name() != ovhevent.StartRinging || e.CallID() != rang.CallID || e.Data.Calling != "0033612345678" || e.Ressource != demoLine || e.Token != token {
		t.Errorf("event %s %+v, want start_ringing of call %s from 0033612345678", e.Name(), e.Data, rang.CallID)
	}
	// The call ends: POST …/end, as printed.
	resp, err = http.Post(control+"call/"+rang.CallID+"/end", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("ending the call: %d", resp.StatusCode)
	}
	// Its log, on stderr, says what happened.
	waitfor.Until(t, "the call in the emulator's log", func() bool { return strings.Contains(errb.String(), "call "+rang.CallID) })
}

// TestEmulatorFlags: -h prints the flags on stdout and succeeds; bad
// flags are refused saying what to give instead.
func TestEmulatorFlags(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"emulator", "-h"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("emulator -h: %v", err)
	}
	for _, w := range []string{"screenpop-relay emulator", "-listen", "-lines", "-queues", "-order", "-hold"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("emulator -h does not mention %q:\n%s", w, out.String())
		}
	}
	var help bytes.Buffer
	run([]string{"-h"}, &help, &bytes.Buffer{})
	if !strings.Contains(help.String(), "emulator") {
		t.Errorf("screenpop-relay -h does not list the emulator:\n%s", help.String())
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-order", "sideways"}, "-order sideways: use ovh"},
		{[]string{"-lines", "0033/1"}, `-lines "0033/1": want a name without`},
		{[]string{"-lines", "", "-queues", ""}, "no line and no queue"},
		{[]string{"-hold", "1ms"}, "-hold 1ms: use 100ms to 10m"},
		{[]string{"-billing-account", "a b"}, `-billing-account "a b"`},
		{[]string{"now"}, `unexpected "now"`},
		{[]string{"-nope"}, "Run `screenpop-relay emulator -h`"},
		{[]string{"-listen", "127.0.0.1:99999"}, "-listen 127.0.0.1:99999"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // should it start, it stops at once
			err := runEmulator(ctx, append([]string{"-quiet"}, tt.args...), &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}
