package pop

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
)

func TestShouldPop(t *testing.T) {
	in := call.Call{Line: "0033972101010", LineName: "Accueil", ID: "c1", Direction: call.Inbound, State: call.Ringing, Calling: "0033612345682"}
	queue := in
	queue.Line, queue.LineName, queue.Queue = "0033972202020", "Support", true
	out := in
	out.Direction, out.State = call.Outbound, call.Dialing
	answered := in
	answered.State = call.Answered
	ended := in
	ended.State = call.Ended
	queue2 := queue
	queue2.LineName = "Support 2"
	queueByName := queue
	queueByName.Line, queueByName.LineName = "queue-support", ""
	unknownState := in
	unknownState.State = ""

	withheld := phone.Number{Raw: "anonymous", Kind: phone.Withheld}
	internal := phone.Number{Raw: "201", Kind: phone.Internal}
	invalid := phone.Number{Raw: "abc", Kind: phone.Invalid}
	unparsed := phone.Number{Raw: "0033612345682"}

	def := DefaultRules()
	zero := Rules{}
	lines := Rules{Lines: []string{"+33 9 72 10 10 10"}}
	byName := Rules{Lines: []string{"support"}}
	national := Rules{Lines: []string{"09 72 10 10 10"}}
	all := Rules{Events: []string{"start_ringing", "start_calling", "end_calling"}, Outbound: true, Withheld: true, Internal: true}

	tests := []struct {
		name   string
		r      Rules
		event  string
		c      call.Call
		caller phone.Number
		popped bool
		want   Reason
	}{
		{"ringing line", def, "start_ringing", in, caller, false, ReasonPop},
		{"zero rules use the defaults", zero, "start_ringing", in, caller, false, ReasonPop},
		{"queue enters", def, "member-queue-start", queue, caller, false, ReasonPop},
		{"queue offers", def, "agent-offering", queue, caller, false, ReasonPop},
		{"queue offers after the queue popped", def, "agent-offering", queue, caller, true, ReasonDuplicate},
		{"duplicate ring", def, "start_ringing", in, caller, true, ReasonDuplicate},
		{"registered never pops", all, "registered", in, caller, false, ReasonNotACall},
		{"member-count never pops", Rules{Events: []string{"member-count"}}, "member-count", queue, caller, false, ReasonNotACall},
		{"empty event", def, "", in, caller, false, ReasonNotACall},
		{"unknown event", def, "something-new", in, caller, false, ReasonNotACall},
		{"answer not selected", def, "start_calling", answered, caller, false, ReasonEventNotSelected},
		{"hang-up not selected", def, "end_calling", ended, caller, false, ReasonEventNotSelected},
		{"end_ringing not selected", def, "end_ringing", ended, caller, false, ReasonEventNotSelected},
		{"a rule saved as bridge-agent-failed", Rules{Events: []string{"bridge-agent-failed"}}, "bridge-agent-fail", queue, caller, false, ReasonPop},
		{"selected end event on an ended call", all, "end_calling", ended, caller, false, ReasonPop},
		{"selected answer", all, "start_calling", answered, caller, false, ReasonPop},
		{"late answer of a call over", all, "start_calling", ended, caller, false, ReasonCallOver},
		{"late ring of an answered call", def, "start_ringing", answered, caller, false, ReasonNotRinging},
		{"late ring of an ended call", def, "start_ringing", ended, caller, false, ReasonNotRinging},
		{"unknown state is not held against", def, "start_ringing", unknownState, caller, false, ReasonPop},
		{"outbound off", Rules{Events: []string{"start_calling"}}, "start_calling", out, caller, false, ReasonOutbound},
		{"outbound on", all, "start_calling", out, caller, false, ReasonPop},
		{"withheld off", def, "start_ringing", in, withheld, false, ReasonWithheld},
		{"withheld on", all, "start_ringing", in, withheld, false, ReasonPop},
		{"internal off", def, "start_ringing", in, internal, false, ReasonInternal},
		{"internal on", all, "start_ringing", in, internal, false, ReasonPop},
		{"invalid", all, "start_ringing", in, invalid, false, ReasonInvalidNumber},
		{"not parsed by the relay", all, "start_ringing", in, unparsed, false, ReasonInvalidNumber},
		{"line filter matches +33", lines, "start_ringing", in, caller, false, ReasonPop},
		{"line filter leaves the queue out", lines, "member-queue-start", queue, caller, false, ReasonLineFiltered},
		{"line filter by name", byName, "member-queue-start", queue, caller, false, ReasonPop},
		{"line filter by name leaves the line out", byName, "start_ringing", in, caller, false, ReasonLineFiltered},
		{"line filter national", national, "start_ringing", in, caller, false, ReasonPop},
		{"line filter (0)", Rules{Lines: []string{"+33 (0)9 72 10 10 10"}}, "start_ringing", in, caller, false, ReasonPop},
		{"line filter by name, any case", Rules{Lines: []string{" SUPPORT "}}, "agent-offering", queue, caller, false, ReasonPop},
		{"line filter by a name with a digit", Rules{Lines: []string{"Support 2"}}, "agent-offering", queue2, caller, false, ReasonPop},
		{"line filter by the queue's line name", Rules{Lines: []string{"queue-support"}}, "agent-offering", queueByName, caller, false, ReasonPop},
		{"line filter, another line", Rules{Lines: []string{"0033972101011"}}, "start_ringing", in, caller, false, ReasonLineFiltered},
		{"line filter, another country", Rules{Lines: []string{"0032972101010"}}, "start_ringing", in, caller, false, ReasonLineFiltered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, why := tt.r.ShouldPop(tt.event, tt.c, tt.caller, tt.popped)
			if why != tt.want || ok != (tt.want == ReasonPop) {
				t.Errorf("ShouldPop = %v, %q; want %q", ok, why, tt.want)
			}
		})
	}
}

func TestRulesValidate(t *testing.T) {
	if err := DefaultRules().Validate(); err != nil {
		t.Errorf("DefaultRules: %v", err)
	}
	for _, r := range []Rules{
		{Events: []string{"registered"}},
		{Events: []string{"start-ringing"}},
		{Lines: []string{" "}},
	} {
		var re *RulesError
		if err := r.Validate(); !errors.As(err, &re) || re.Message == "" {
			t.Errorf("Validate(%+v) = %v", r, err)
		}
	}
}

func TestRulesJSON(t *testing.T) {
	r := Rules{Events: []string{"start_ringing"}, Lines: []string{"0033972101010"}, Outbound: true}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"events":["start_ringing"],"outbound":true,"lines":["0033972101010"]}` {
		t.Errorf("JSON %s", b)
	}
}

func TestOtherParty(t *testing.T) {
	calling, called := phone.Number{Raw: "a"}, phone.Number{Raw: "b"}
	if OtherParty(call.Call{Direction: call.Inbound}, calling, called).Raw != "a" ||
		OtherParty(call.Call{Direction: call.Outbound}, calling, called).Raw != "b" {
		t.Error("OtherParty picks the wrong number")
	}
	// Not parsed (a view from before): the call's raw number.
	c := call.Call{Direction: call.Inbound, Calling: "0033612345682", Called: "0033972101010"}
	if n := OtherParty(c, phone.Number{}, phone.Number{}); n.Raw != "0033612345682" || n.Kind != "" {
		t.Errorf("inbound, unparsed: OtherParty = %+v", n)
	}
	c.Direction = call.Outbound
	if n := OtherParty(c, phone.Number{}, phone.Number{}); n.Raw != "0033972101010" {
		t.Errorf("outbound, unparsed: OtherParty = %+v", n)
	}
}
