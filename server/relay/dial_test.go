package relay

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ovh/go-ovh/ovh"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/ovhapi"
)

const (
	dialAppKey    = "appKeyScreenpopDial"
	dialAppSecret = "appSecretScreenpopDialNeverShown"
)

// ovhDialer is an ovhapi client of the harness's emulator, over HTTP with
// go-ovh, signed with a consumer key granted rules and validated as a
// user does.
func (h *harness) ovhDialer(t *testing.T, rules []ovh.AccessRule) *ovhapi.Client {
	t.Helper()
	h.sim.AddApplication(dialAppKey, dialAppSecret)
	endpoint := h.simSrv.URL + "/1.0"
	api, err := ovh.NewClient(endpoint, dialAppKey, dialAppSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	c := ovhapi.New(api)
	_, validationURL, err := c.RequestConsumerKey(context.Background(), "", rules)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(validationURL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("validation URL: %s", resp.Status)
	}
	return c
}

func click2CallRules() []ovh.AccessRule {
	return append(ovhapi.AccessRules(), ovhapi.Click2CallAccessRule())
}

// dial posts body to /v1/dial as secret, from the extension's origin.
func (h *harness) dial(t *testing.T, secret, body string) (int, []byte) {
	t.Helper()
	resp, b := h.request(t, "POST", stream.PathDial, secret, strings.NewReader(body),
		"Content-Type", "application/json", "Origin", "chrome-extension://abcdefgh")
	return resp.StatusCode, b
}

// TestDialRingsOutbound: a click-to-call through the relay reaches the
// emulator's OVH API over HTTP, signed by go-ovh, and the outbound call
// it plays on the line comes back on the agent's stream.
func TestDialRingsOutbound(t *testing.T) {
	h := newHarness(t, Config{})
	h.relay.cfg.Dialer = h.ovhDialer(t, click2CallRules())
	ann := h.agent(t, "ann", testLine)
	ws := h.dialWS(t, 0, authMessage(ann))
	if m := ws.nextEvent(t, 5*time.Second); m.Type != stream.TypeHello {
		t.Fatalf("first message %+v, want hello", m)
	}

	// Line left out: ann has one. The number as a French page writes it.
	status, b := h.dial(t, ann, `{"number":"01 23 45 67 89"}`)
	if status != http.StatusOK {
		t.Fatalf("dial: %d %s", status, b)
	}
	var got stream.Dialed
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Line != testLine || got.Number.Forms.Intl00 != "0033123456789" {
		t.Errorf("dialed %+v, want line %s calling 0033123456789", got, testLine)
	}

	m := ws.nextEvent(t, 5*time.Second)
	if m.Type != stream.TypeEvent || m.Event == nil {
		t.Fatalf("after the dial: %+v, want the call's event", m)
	}
	c := m.Event.Call
	if c.Direction != call.Outbound || c.Line != testLine || c.Called != "0033123456789" {
		t.Errorf("the call on the stream: %+v, want an outbound call of %s to 0033123456789", c, testLine)
	}
	if m.Event.OtherParty.Forms.E164 != "+33123456789" {
		t.Errorf("the card's other party %+v, want +33123456789", m.Event.OtherParty)
	}

	// The line named, in another spelling of it.
	if status, b := h.dial(t, ann, `{"line":"+33 9 72 10 10 10","number":"+33612345678"}`); status != http.StatusOK {
		t.Errorf("dial with the line as +33…: %d %s", status, b)
	}
}

// TestDialErrors: each refusal has its code and says what to do.
func TestDialErrors(t *testing.T) {
	h := newHarness(t, Config{})
	granted := h.ovhDialer(t, click2CallRules())
	h.relay.cfg.Dialer = granted
	ann := h.agent(t, "ann", testLine)
	both := h.agent(t, "both", testLine, testLine2)
	every := h.agent(t, "every", "*")
	ghost := h.agent(t, "ghost", "0033972109999") // a line OVH does not have

	tests := []struct {
		name   string
		secret string
		body   string
		dialer Dialer // nil: granted
		status int
		code   string
		says   []string
	}{
		{"no secret", "", `{"number":"0123456789"}`, nil, 401, stream.CodeNoAuth, nil},
		{"not your line", ann, `{"line":"` + testLine2 + `","number":"0123456789"}`, nil, 403, stream.CodeUnknownLine, []string{"not one of yours", "own lines"}},
		{"number invalid", ann, `{"number":"not a number"}`, nil, 400, stream.CodeBadNumber, []string{"not a phone number", "+33 1 23 45 67 89"}},
		{"number too short", ann, `{"number":"12"}`, nil, 400, stream.CodeBadNumber, []string{"internal extension"}},
		{"no number", ann, `{"line":"` + testLine + `"}`, nil, 400, stream.CodeBadNumber, []string{"no number"}},
		{"several lines, none said", both, `{"number":"0123456789"}`, nil, 400, stream.CodeBadRequest, []string{"several lines", testLine2}},
		{"every line, none said", every, `{"number":"0123456789"}`, nil, 400, stream.CodeBadRequest, []string{"say which one"}},
		{"unknown field", ann, `{"number":"0123456789","from":"x"}`, nil, 400, stream.CodeBadRequest, []string{"from"}},
		{"line unknown to OVH", ghost, `{"number":"0123456789"}`, nil, 404, stream.CodeNoSuchLine, []string{"no phone line", "ovh lines"}},
		{"no click-to-call right", ann, `{"number":"0123456789"}`, h.ovhDialer(t, ovhapi.AccessRules()), 403, stream.CodeNotGranted,
			[]string{"create the credential with click-to-call", "screenpop-relay ovh credential"}},
		{"no OVH credentials", ann, `{"number":"0123456789"}`, noDialer{}, 503, stream.CodeNoOVHAPI, []string{"OVH_CONSUMER_KEY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.relay.cfg.Dialer = granted
			switch d := tt.dialer.(type) {
			case nil:
			case noDialer:
				h.relay.cfg.Dialer = nil
			default:
				h.relay.cfg.Dialer = d
			}
			defer func() { h.relay.cfg.Dialer = granted }()
			status, b := h.dial(t, tt.secret, tt.body)
			if status != tt.status || errorCode(b) != tt.code {
				t.Fatalf("%d %s, want %d %s", status, b, tt.status, tt.code)
			}
			for _, s := range tt.says {
				if !strings.Contains(string(b), s) {
					t.Errorf("%s does not say %q", b, s)
				}
			}
			if strings.Contains(string(b), dialAppSecret) {
				t.Errorf("the answer shows the OVH application secret: %s", b)
			}
		})
	}
	if n := h.sim.Stats().Calls; n != 0 {
		t.Errorf("the refused dials placed %d calls", n)
	}
}

// noDialer stands for a relay without OVH credentials in TestDialErrors.
type noDialer struct{}

func (noDialer) Click2Call(context.Context, string, string) error { panic("not called") }

// TestDialAnonymous: the anonymous agent of an open relay has no line of
// its own to call from.
func TestDialAnonymous(t *testing.T) {
	h := newHarness(t, Config{AllowAnonymous: true})
	h.relay.cfg.Dialer = h.ovhDialer(t, click2CallRules())
	status, b := h.dial(t, "", `{"line":"`+testLine+`","number":"0123456789"}`)
	if status != http.StatusForbidden || errorCode(b) != stream.CodeAnonymous || !strings.Contains(string(b), "agent add") {
		t.Errorf("anonymous dial: %d %s, want 403 %s saying to ask for a connection string", status, b, stream.CodeAnonymous)
	}
}

// TestDialCORS: the extension's preflight for POST /v1/dial is answered,
// a web page's refused.
func TestDialCORS(t *testing.T) {
	h := newHarness(t, Config{})
	resp, _ := h.request(t, "OPTIONS", stream.PathDial, "", nil, "Origin", "chrome-extension://abcdefgh",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type")
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "chrome-extension://abcdefgh" {
		t.Errorf("preflight: %s %v", resp.Status, resp.Header)
	}
	resp, b := h.request(t, "POST", stream.PathDial, "", strings.NewReader(`{"number":"0123456789"}`), "Origin", "https://evil.example")
	if resp.StatusCode != http.StatusForbidden || errorCode(b) != stream.CodeBadOrigin {
		t.Errorf("a web page's dial: %s %s", resp.Status, b)
	}
}
