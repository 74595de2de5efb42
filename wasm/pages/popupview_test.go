package pages

import (
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/wasm/background"
	"github.com/screenpop/screenpop/wasm/popupview"
)

// TestPopupviewLabels: the popup (wasm/popupview) labels a call as the
// side panel and the card do (calls.go), until calls.go uses popupview's.
func TestPopupviewLabels(t *testing.T) {
	fr := phone.Number{Raw: "0033612345682", Kind: phone.Valid, Region: "FR", Forms: phone.Forms{E164: "+33612345682", Grouped: "06 12 34 56 82"}}
	be := phone.Number{Raw: "003221234567", Kind: phone.Valid, Region: "BE", Forms: phone.Forms{E164: "+3221234567", Grouped: "02 123 45 67"}}
	now := time.Now()
	var cvs []background.CallView
	for _, n := range []phone.Number{fr, be, {Raw: "anonymous", Kind: phone.Withheld}, {Raw: "123", Kind: phone.Internal}, {Raw: " ", Kind: phone.Invalid}, {Raw: "garbage"}} {
		for _, st := range []call.State{call.Ringing, call.Answered, call.Ended, call.Missed, call.Abandoned, call.Dialing, ""} {
			for _, dir := range []call.Direction{call.Inbound, call.Outbound} {
				cv := view("1", n, st)
				cv.Call.Direction = dir
				cv.Call.RingAt, cv.Call.AnswerAt, cv.Call.EndAt = now.Add(-time.Minute), now.Add(-40*time.Second), now
				cvs = append(cvs, cv)
			}
		}
	}
	named := view("2", fr, call.Ringing)
	named.Card = stream.Card{CallerName: "Accueil Martin", Matches: []stream.Match{{Name: "Jeanne Martin"}}}
	reasons := view("3", fr, call.Missed)
	reasons.Call.LineName = "  Standard "
	cvs = append(cvs, named, reasons)
	for _, r := range []pop.Reason{pop.ReasonCapped, pop.ReasonWithheld, background.ReasonPaused, background.ReasonBadTemplate, pop.ReasonNotRinging, "other"} {
		cv := view("4", fr, call.Ended)
		cv.Reason = r
		cvs = append(cvs, cv)
	}
	for i, cv := range cvs {
		c := background.PopupView(&background.Calls{Live: []background.CallView{cv}}, false).Live[0]
		if got, want := popupview.CallerLabel(c), callerLabel(cv); got.Key != want.Key || got.Plain != want.Plain || len(got.Subs) != len(want.Subs) {
			t.Errorf("%d: caller %+v, calls.go %+v", i, got, want)
		}
		if got, want := popupview.LineLabel(c), lineLabel(cv); got != want {
			t.Errorf("%d: line %q, calls.go %q", i, got, want)
		}
		if got, want := popupview.CanOpen(c), canOpen(cv); got != want {
			t.Errorf("%d: can open %v, calls.go %v", i, got, want)
		}
		if got, want := popupview.NotPopped(c), notPopped(cv); got.Key != want.Key {
			t.Errorf("%d: not popped %q, calls.go %q", i, got.Key, want.Key)
		}
		if got, want := popupview.CallClock(cv.Call).At(now), callClock(cv.Call).at(now); got != want {
			t.Errorf("%d: clock %q, calls.go %q", i, got, want)
		}
		if got, want := popupview.StateKey(cv.Call.State), stateKey(cv.Call.State); got != want {
			t.Errorf("%d: state %q, calls.go %q", i, got, want)
		}
	}
	if popupview.ReasonPaused != background.ReasonPaused || popupview.ReasonBadTemplate != background.ReasonBadTemplate {
		t.Error("popupview's reasons are not background's")
	}
}
