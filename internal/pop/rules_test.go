package pop

import (
	"encoding/json"
	"errors"
	"strings"
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
		{"member-count never pops", Rules{Events: []string{"member-count"}}, "members-count", queue, caller, false, ReasonNotACall},
		{"empty event", def, "", in, caller, false, ReasonNotACall},
		{"unknown event", def, "something-new", in, caller, false, ReasonNotACall},
		{"answer not selected", def, "start_calling", answered, caller, false, ReasonEventNotSelected},
		{"hang-up not selected", def, "end_calling", ended, caller, false, ReasonEventNotSelected},
		{"end_ringing not selected", def, "end_ringing", ended, caller, false, ReasonEventNotSelected},
		{"bridge-agent-failed spelled the other way", Rules{Events: []string{"bridge-agent-fail"}}, "bridge-agent-failed", queue, caller, false, ReasonPop},
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

func TestSameLine(t *testing.T) {
	same := [][2]string{
		{"0033972101010", "+33972101010"},
		{"0033972101010", "+33 9 72 10 10 10"},
		{"0033972101010", "0972101010"},
		{"09.72.10.10.10", "+33 (0)9 72 10 10 10"},
		{"0032 2 555 12 12", "02 555 12 12"},
		{"+1 (415) 555-0184", "0014155550184"},
		{"201", "201"},
	}
	for _, p := range same {
		if !SameLine(p[0], p[1]) || !SameLine(p[1], p[0]) {
			t.Errorf("SameLine(%q, %q) = false", p[0], p[1])
		}
	}
	differ := [][2]string{
		{"0033972101010", "0033972101011"},
		{"0033972101010", "0032972101010"},
		{"0972101010", "0872101010"},
		{"0972101010", "1234972101010"}, // a "country code" of 4 digits
		{"201", "0201"},
		{"", ""},
		{"Accueil", "Accueil"},
	}
	for _, p := range differ {
		if SameLine(p[0], p[1]) {
			t.Errorf("SameLine(%q, %q) = true", p[0], p[1])
		}
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
}

// TestSameName: sameName agrees with strings.EqualFold on Latin letters,
// and never says equal where it does not.
func TestSameName(t *testing.T) {
	skip := map[rune]bool{0xB5: true, 0xDF: true, 0x130: true, 0x131: true, 0x17F: true} // µ, ß, İ, ı, ſ fold outside Latin
	for a := rune(0); a < 0x250; a++ {
		for b := rune(0); b < 0x250; b++ {
			sa, sb := "x"+string(a)+"y", "X"+string(b)+"Y"
			got, want := sameName(sa, sb), strings.EqualFold(sa, sb)
			if got && !want || a < 0x180 && b < 0x180 && !skip[a] && !skip[b] && got != want {
				t.Fatalf("sameName(%q, %q) = %v, EqualFold says %v", sa, sb, got, want)
			}
		}
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"Accueil", "ACCUEIL", true}, {"Équipe", "éQUIPE", true}, {"ŒUVRE", "œuvre", true}, {"Accueil", "Accueil 2", false}, {"", "", true}, {"a", "", false}} {
		if got := sameName(tc.a, tc.b); got != tc.want {
			t.Errorf("sameName(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
