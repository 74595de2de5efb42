package view

import (
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
)

// TestCallBack: "call back" is offered on a call that is over with a
// number to call, never on one going on, a withheld caller or the test
// pop; the button names the call and the number.
func TestCallBack(t *testing.T) {
	jeanne := fr("0033612345682", "+33612345682", "06 12 34 56 82")
	missed := inbound("miss-1", jeanne, call.Call{State: call.Missed, Missed: true, RingAt: now.Add(-time.Hour), EndAt: now.Add(-time.Hour + 25*time.Second)})
	ringing := inbound("ring-1", jeanne, call.Call{State: call.Ringing, RingAt: now.Add(-5 * time.Second)})
	withheld := inbound("anon-1", phone.Number{Raw: "anonymous", Kind: phone.Withheld}, call.Call{State: call.Missed, Missed: true})
	test := inbound("test-1", jeanne, call.Call{State: call.Ended})
	test.Test = true
	outbound := CallView{Call: call.Call{Line: "0033972101010", ID: "out-1", Direction: call.Outbound, State: call.Ended, Called: "0033123456789"},
		Calling: lineNum, Called: fr("0033123456789", "+33123456789", "01 23 45 67 89")}

	for _, tc := range []struct {
		cv   CallView
		want bool
	}{{missed, true}, {outbound, true}, {ringing, false}, {withheld, false}, {test, false}} {
		if got := CanCallBack(tc.cv); got != tc.want {
			t.Errorf("CanCallBack(%s) = %v, want %v", tc.cv.Call.ID, got, tc.want)
		}
		html := Lists(View{Recent: []CallView{tc.cv}}, env(now))
		if got := strings.Contains(html, `data-action="call-back"`); got != tc.want {
			t.Errorf("%s: call back button shown %v, want %v:\n%s", tc.cv.Call.ID, got, tc.want, html)
		}
	}
	html := Lists(View{Recent: []CallView{missed, outbound}}, env(now))
	for _, want := range []string{
		`<button type="button" class="callback" data-action="call-back" data-line="0033972101010" data-id="miss-1" data-number="06 12 34 56 82" title="[callBackWho:06 12 34 56 82]" aria-label="[callBackWho:06 12 34 56 82]">[callBack]</button>`,
		`data-id="out-1" data-number="01 23 45 67 89"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the lists do not hold %s:\n%s", want, html)
		}
	}
}
