package ovhsim

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestControlAPI(t *testing.T) {
	sim, srv := newTestSim(t, Config{})
	base := srv.URL + "/sim"

	var lines []LineInfo
	if st := postJSON(t, "GET", base+"/lines", "", &lines); st != 200 || len(lines) != 3 || lines[0].Line != testLine {
		t.Fatalf("GET /sim/lines: %d %+v", st, lines)
	}

	var tok struct{ Token string }
	if st := postJSON(t, "POST", base+"/token", `{"scope":"`+testBA+`","expiration":"1 hour"}`, &tok); st != 200 || !ValidTokenShape(tok.Token) {
		t.Fatalf("POST /sim/token: %d %q", st, tok.Token)
	}
	l := listen(t, sim, srv.URL, tok.Token)

	var rang struct{ CallID string }
	if st := postJSON(t, "POST", base+"/call", `{"line":"`+testLine+`","scenario":"ringing","duplicate":true}`, &rang); st != 200 || rang.CallID == "" {
		t.Fatalf("POST /sim/call: %d %+v", st, rang)
	}
	l.wait(t, 2, 5*time.Second)
	var ended struct {
		CallID string
		Ended  bool
	}
	if st := postJSON(t, "POST", base+"/call/"+rang.CallID+"/end", "", &ended); st != 200 || !ended.Ended {
		t.Fatalf("POST /sim/call/{id}/end: %d %+v", st, ended)
	}
	want := []string{"start_ringing", "start_ringing", "end_ringing", "end_ringing"}
	if got := names(l.wait(t, 4, 5*time.Second)); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}

	if st := postJSON(t, "POST", base+"/call", `{"line":"`+testLine+`","scenario":"missed","ringFor":30}`, &rang); st != 200 {
		t.Fatalf("ringFor in ms: %d", st)
	}
	if st := postJSON(t, "POST", base+"/call", `{"line":"`+testLine+`","scenario":"outbound","talkFor":"30ms"}`, &rang); st != 200 {
		t.Fatalf("talkFor as a duration: %d", st)
	}
	l.wait(t, 8, 5*time.Second)
	l.stop() // the fault below would break it

	var fault struct{ Fault Fault }
	if st := postJSON(t, "POST", base+"/fault", `{"fault":"garbage"}`, &fault); st != 200 || sim.CurrentFault() != FaultGarbage {
		t.Errorf("POST /sim/fault: %d, fault now %q", st, sim.CurrentFault())
	}
	postJSON(t, "GET", base+"/fault", "", &fault)
	if fault.Fault != FaultGarbage {
		t.Errorf("GET /sim/fault: %q", fault.Fault)
	}
	if st := postJSON(t, "POST", base+"/fault", `{"fault":""}`, &fault); st != 200 || sim.CurrentFault() != FaultNone {
		t.Errorf("repair: %d, fault now %q", st, sim.CurrentFault())
	}

	var added LineInfo
	if st := postJSON(t, "POST", base+"/lines", `{"billingAccount":"ab1-ovh-2","line":"0033100000000","description":"Hunt","type":"cloudHunting"}`, &added); st != 200 {
		t.Errorf("POST /sim/lines: %d", st)
	}
	if st := postJSON(t, "POST", base+"/register", `{"line":"`+testLine+`"}`, nil); st != 200 {
		t.Errorf("POST /sim/register: %d", st)
	}
	if st := postJSON(t, "DELETE", base+"/token/"+tok.Token, "", nil); st != 200 {
		t.Errorf("DELETE /sim/token: %d", st)
	}
	var stats Stats
	if st := postJSON(t, "GET", base+"/stats", "", &stats); st != 200 || stats.Calls != 3 {
		t.Errorf("GET /sim/stats: %d %+v", st, stats)
	}
}

func TestControlAPIErrors(t *testing.T) {
	_, srv := newTestSim(t, Config{})
	base := srv.URL + "/sim"
	tests := []struct {
		name, method, path, body string
		status                   int
		mention                  string
	}{
		{"empty body", "POST", "/call", "", 400, "empty body"},
		{"not JSON", "POST", "/call", "ring!", 400, "invalid JSON"},
		{"unknown key", "POST", "/call", `{"line":"` + testLine + `","colour":"red"}`, 400, "colour"},
		{"bad duration", "POST", "/call", `{"line":"` + testLine + `","ringFor":"soon"}`, 400, "duration"},
		{"no line", "POST", "/call", `{"scenario":"missed"}`, 400, "line is required"},
		{"unknown line", "POST", "/call", `{"line":"0033999"}`, 400, "no line or queue"},
		{"unknown scenario", "POST", "/call", `{"line":"` + testLine + `","scenario":"boom"}`, 400, "unknown scenario"},
		{"queue scenario on a line", "POST", "/call", `{"line":"` + testLine + `","scenario":"queue-answered"}`, 400, "needs a queue"},
		{"unknown order", "POST", "/call", `{"line":"` + testLine + `","order":"reverse"}`, 400, "unknown order"},
		{"unknown hangup cause", "POST", "/call", `{"line":"` + testQueue + `","scenario":"queue-abandoned","hangupCause":"BORED"}`, 400, "unknown hangupCause"},
		{"set unknown order", "POST", "/order", `{"order":"reverse"}`, 400, `want one of ["ovh" "legacy"]`},
		{"set no order", "POST", "/order", `{}`, 400, "is nothing"},
		{"end unknown call", "POST", "/call/nope/end", "", 404, "no call"},
		{"unknown fault", "POST", "/fault", `{"fault":"meteor"}`, 400, "unknown fault"},
		{"missing fault", "POST", "/fault", `{}`, 400, "missing"},
		{"token without scope", "POST", "/token", `{"expiration":"1 day"}`, 400, "scope"},
		{"token bad expiration", "POST", "/token", `{"scope":"` + testLine + `","expiration":"1 days"}`, 400, "not one of"},
		{"token unknown scope", "POST", "/token", `{"scope":"nowhere"}`, 400, "no line"},
		{"revoke unknown token", "DELETE", "/token/ABC", "", 404, "no token"},
		{"line bad type", "POST", "/lines", `{"billingAccount":"a","line":"1","type":"fax"}`, 400, "unknown type"},
		{"register unknown", "POST", "/register", `{"line":"1"}`, 400, "no line"},
		{"no route", "GET", "/nothing", "", 404, "no control route"},
		{"validate unknown ck", "GET", "/validate?ck=zz", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out struct{ Error string }
			var dst any = &out
			if tt.mention == "" {
				dst = nil
			}
			st := postJSON(t, tt.method, base+tt.path, tt.body, dst)
			if st != tt.status {
				t.Errorf("status %d, want %d (%q)", st, tt.status, out.Error)
			}
			if !strings.Contains(out.Error, tt.mention) {
				t.Errorf("error %q does not mention %q", out.Error, tt.mention)
			}
		})
	}
}

// TestControlOrder: /sim/order reads and sets the order of the calls rung
// from then on; a call's own "order" wins.
func TestControlOrder(t *testing.T) {
	sim, srv := newTestSim(t, Config{})
	base := srv.URL + "/sim"
	tok := mustToken(t, sim, testLine, "1 day")
	l := listen(t, sim, srv.URL, tok)
	var got struct{ Order Order }
	if st := postJSON(t, "GET", base+"/order", "", &got); st != 200 || got.Order != OrderOVH {
		t.Fatalf("GET /sim/order: %d %q, want ovh", st, got.Order)
	}
	steps := []struct {
		set  Order  // "" leaves the Sim's order as it is
		call string // the call's JSON
		want []string
	}{
		{"", `{"line":"` + testLine + `","ringFor":1,"talkFor":1}`, []string{"start_ringing", "start_calling", "end_calling"}},
		{OrderLegacy, `{"line":"` + testLine + `","ringFor":1,"talkFor":1}`, []string{"start_ringing", "start_calling", "end_ringing", "end_calling"}},
		{"", `{"line":"` + testLine + `","ringFor":1,"talkFor":1,"order":"ovh"}`, []string{"start_ringing", "start_calling", "end_calling"}},
		{OrderOVH, `{"line":"` + testLine + `","ringFor":1,"talkFor":1}`, []string{"start_ringing", "start_calling", "end_calling"}},
	}
	n := 0
	for i, step := range steps {
		if step.set != "" {
			if st := postJSON(t, "POST", base+"/order", `{"order":"`+string(step.set)+`"}`, &got); st != 200 || got.Order != step.set || sim.CurrentOrder() != step.set {
				t.Fatalf("step %d: POST /sim/order %s: %d %q", i, step.set, st, got.Order)
			}
		}
		if st := postJSON(t, "POST", base+"/call", step.call, nil); st != 200 {
			t.Fatalf("step %d: POST /sim/call: %d", i, st)
		}
		n += len(step.want)
		evs := l.wait(t, n, 5*time.Second)
		if got := names(evs[n-len(step.want):]); !slices.Equal(got, step.want) {
			t.Errorf("step %d: events %v, want %v", i, got, step.want)
		}
	}
}

func TestControlCORS(t *testing.T) {
	_, srv := newTestSim(t, Config{})
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/sim/call", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("OPTIONS /sim/call: %d %v", resp.StatusCode, resp.Header)
	}
}
