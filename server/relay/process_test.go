package relay

import (
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/phone/parse"
)

// TestProcessOtherParty: the relay picks the number the agent cares about
// once, and every event and live call carries it (stream.Card.OtherParty),
// so the extension never chooses it again.
func TestProcessOtherParty(t *testing.T) {
	const line = "0033972101010"
	tests := []struct {
		name            string
		calling, called string
		wantE164        string
		wantDirection   call.Direction
	}{
		{"inbound: the caller", "0033612345682", line, "+33612345682", call.Inbound},
		{"outbound: the person called", line, "0033612345699", "+33612345699", call.Outbound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			book, numbers := call.NewBook(), &parse.Cache{}
			ev := &ovhevent.Event{Event: "start_ringing", Ressource: line, Service: line,
				Data: ovhevent.Data{CallId: "c1", Calling: tt.calling, Called: tt.called, Event: "start_ringing"}}
			got, ok := Process(book, numbers, ev, time.Unix(1_700_000_000, 0), "FR")
			if !ok {
				t.Fatal("Process: the first ring changed nothing")
			}
			if got.Call.Direction != tt.wantDirection {
				t.Fatalf("direction = %v, want %v", got.Call.Direction, tt.wantDirection)
			}
			if got.OtherParty.Forms.E164 != tt.wantE164 {
				t.Errorf("event OtherParty = %+v, want E.164 %s", got.OtherParty, tt.wantE164)
			}
			live := LiveCalls(book, numbers, "FR")
			if len(live) != 1 || live[0].OtherParty.Forms.E164 != tt.wantE164 {
				t.Errorf("live calls = %+v, want one whose OtherParty is %s", live, tt.wantE164)
			}
		})
	}
}
