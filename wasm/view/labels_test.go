package view

import (
	"testing"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/stream"
)

// TestOtherParty: the view takes the number the relay chose; only a view
// stored before the relay sent it falls back to the same rule.
func TestOtherParty(t *testing.T) {
	caller := phone.Number{Raw: "0033612345682", Kind: phone.Valid}
	line := phone.Number{Raw: "0033972101010", Kind: phone.Valid}
	relay := phone.Number{Raw: "relay's choice", Kind: phone.Valid}
	tests := []struct {
		name string
		c    CallView
		want string
	}{
		{"the relay's choice", CallView{Call: call.Call{Direction: call.Inbound}, Calling: caller, Called: line, Card: stream.Card{OtherParty: relay}}, relay.Raw},
		{"stored before: inbound", CallView{Call: call.Call{Direction: call.Inbound}, Calling: caller, Called: line}, caller.Raw},
		{"stored before: outbound", CallView{Call: call.Call{Direction: call.Outbound}, Calling: line, Called: caller}, caller.Raw},
		{"stored before, unparsed: the call's raw number", CallView{Call: call.Call{Direction: call.Inbound, Calling: "0612"}}, "0612"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OtherParty(tt.c).Raw; got != tt.want {
				t.Errorf("OtherParty = %q, want %q", got, tt.want)
			}
		})
	}
}
