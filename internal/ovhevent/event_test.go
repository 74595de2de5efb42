//go:build !js

package ovhevent

import (
	"strings"
	"testing"
)

const documented = `{"Session":"s1","Message":"","Events":[{
  "Event": "start_ringing",
  "Token": "1738D072-E7C8-4742-85C5-B22DA3D8BD8F",
  "Service": "sip",
  "Ressource": "0033972101010",
  "Timestamp": 1425554670255954700,
  "Date": "2015-03-05T12:24:30.255954 (CET)",
  "Data": {
    "Billing": "0033972101010",
    "Body": "SIP/2.0 180 Ringing",
    "CallId": "N2ZkZmEyNGMxZWM0N2VhN2M4NGJkMTY4ZGYwZmU2OTY.",
    "Called": "0033972101010",
    "Calling": "0033612345678",
    "Cseq": "102 INVITE",
    "Dialed": "0033972101010",
    "Event": "start_ringing",
    "Protocol": "sip",
    "RelevantInfo": "",
    "Ts": "1425554670.102",
    "TsGet": 1425554670238926800
  },
  "Details": {"Description": "Accueil","Id": "295670","IdBillingAccount": "59415","SimultaneousLine": "2","Type": "sipCirpack"}
}]}`

func TestDecodeDocumented(t *testing.T) {
	a, err := Decode([]byte(documented))
	if err != nil {
		t.Fatal(err)
	}
	if a.Session != "s1" || len(a.Events) != 1 {
		t.Fatalf("got session %q, %d events", a.Session, len(a.Events))
	}
	e := a.Events[0]
	if e.Name() != StartRinging || e.CallingNumber() != "0033612345678" || e.Ressource != "0033972101010" {
		t.Errorf("decoded %+v", e)
	}
	if e.Timestamp != 1425554670255954700 {
		t.Errorf("Timestamp = %d", e.Timestamp)
	}
	if float64(e.Data.Ts) < 1425554670.1 || float64(e.Data.Ts) > 1425554670.11 {
		t.Errorf("Ts = %v", e.Data.Ts)
	}
	if e.Details.Id != "295670" || e.Details.Type != "sipCirpack" {
		t.Errorf("Details = %+v", e.Details)
	}
}

func TestDecodeVariants(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		events  int
		wantErr string
	}{
		{"ts as number", `{"Session":"a","Events":[{"Event":"end_calling","Data":{"Ts":1425554670.5},"Details":{}}]}`, 1, ""},
		{"ts empty string", `{"Session":"a","Events":[{"Event":"end_calling","Data":{"Ts":""},"Details":{}}]}`, 1, ""},
		{"details numbers", `{"Session":"a","Events":[{"Event":"x","Data":{},"Details":{"Id":295670,"SimultaneousLine":2}}]}`, 1, ""},
		{"events null", `{"Session":"a","Message":"","Events":null}`, 0, ""},
		{"events empty", `{"Session":"a","Events":[]}`, 0, ""},
		{"html", `<html>502 Bad Gateway</html>`, 0, "not a JSON object"},
		{"empty", ``, 0, "empty answer"},
		{"truncated", `{"Session":"a","Events":[{"Event":`, 0, "cannot decode"},
		{"ts garbage", `{"Events":[{"Data":{"Ts":"soon"}}]}`, 0, "Ts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Decode([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Events) != tt.events {
				t.Errorf("%d events, want %d", len(a.Events), tt.events)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{"bridge-agent-failed": BridgeAgentFail, "members-count": MemberCount, "start_ringing": StartRinging} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
