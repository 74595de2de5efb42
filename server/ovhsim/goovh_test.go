package ovhsim

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ovh/go-ovh/ovh"
)

// TestGoOVH drives the /1.0 API with the real client, github.com/ovh/go-ovh
// v1.9.0, as the relay's upstream poller does.
func TestGoOVH(t *testing.T) {
	sim, srv := newTestSim(t, Config{HoldTime: 50 * time.Millisecond})
	sim.AddApplication("app-key", "app-secret")
	endpoint := srv.URL + "/1.0"

	// Credential flow: ask for a consumer key, validate it on its page.
	client, err := ovh.NewClient(endpoint, "app-key", "app-secret", "")
	if err != nil {
		t.Fatal(err)
	}
	ckReq := client.NewCkRequestWithRedirection("https://example.com/back")
	ckReq.AddRecursiveRules(ovh.ReadWrite, "/telephony")
	state, err := ckReq.Do()
	if err != nil {
		t.Fatal(err)
	}
	if state.State != "pendingValidation" || state.ConsumerKey == "" || client.ConsumerKey != state.ConsumerKey {
		t.Fatalf("credential: %+v", state)
	}
	var accounts []string
	var apiErr *ovh.APIError
	if err := client.Get("/telephony", &accounts); !errors.As(err, &apiErr) || apiErr.Code != 403 || apiErr.QueryID == "" {
		t.Fatalf("before validation: %v", err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(state.ValidationURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("validation page: %d", resp.StatusCode)
	}

	// Billing accounts and services.
	if err := client.Get("/telephony", &accounts); err != nil || !slices.Equal(accounts, []string{testBA}) {
		t.Fatalf("GET /telephony: %v %v", accounts, err)
	}
	var services []string
	if err := client.Get("/telephony/"+testBA+"/service", &services); err != nil || !slices.Equal(services, []string{testLine, testLine2, testQueue}) {
		t.Fatalf("GET services: %v %v", services, err)
	}

	// Event tokens at both levels, every expiration.
	for _, path := range []string{
		"/telephony/" + testBA + "/service/" + testLine + "/eventToken",
		"/telephony/" + testBA + "/eventToken",
	} {
		for _, exp := range []string{"5 minutes", "1 hour", "1 day", "30 days", "unlimited"} {
			var tok string
			if err := client.Post(path, map[string]string{"expiration": exp}, &tok); err != nil {
				t.Fatalf("POST %s %q: %v", path, exp, err)
			}
			if !ValidTokenShape(tok) {
				t.Fatalf("token %q", tok)
			}
			var got struct{ Token string }
			if err := client.Get(path, &got); err != nil || got.Token != tok {
				t.Fatalf("GET %s: %+v %v, want %s", path, got, err, tok)
			}
			want := time.Now().Add(Expirations[exp])
			expires, ok := sim.TokenExpiry(tok)
			if !ok || exp == "unlimited" != expires.IsZero() || exp != "unlimited" && expires.Sub(want).Abs() > time.Minute {
				t.Errorf("%s token expires %v", exp, expires)
			}
			res := mustPoll(t, srv.URL, tok, "")
			if res.answer.Session == "" {
				t.Errorf("token from the API does not poll: %s", res.raw)
			}
		}
		// DELETE revokes the token GET shows, one at a time: five made,
		// five deleted (its JSON null body: TestAPIDeleteToken).
		for i := range 5 {
			if err := client.Delete(path, nil); err != nil {
				t.Fatalf("DELETE %s (%d): %v", path, i, err)
			}
		}
		var got struct{ Token string }
		if err := client.Get(path, &got); !errors.As(err, &apiErr) || apiErr.Code != 404 {
			t.Errorf("GET after DELETE: %+v %v", got, err)
		}
	}

	// An expiration outside the enum is an OVH-style 400.
	err = client.Post("/telephony/"+testBA+"/eventToken", map[string]string{"expiration": "1 days"}, nil)
	if !errors.As(err, &apiErr) || apiErr.Code != 400 || apiErr.Class != "Client::BadRequest" {
		t.Errorf("bad expiration: %v", err)
	}

	// click2Call plays an outbound call on the line.
	tok, _ := sim.NewToken(testLine, "1 day")
	l := listen(t, sim, srv.URL, tok)
	if err := client.Post("/telephony/"+testBA+"/line/"+testLine+"/click2Call",
		map[string]any{"calledNumber": "0033123456789", "callingNumber": testLine, "intercom": false}, nil); err != nil {
		t.Fatal(err)
	}
	e := l.wait(t, 1, 5*time.Second)[0]
	if e.Name() != "start_calling" || e.Data.Calling != testLine || e.Data.Called != "0033123456789" {
		t.Errorf("click2Call event %s %+v", e.Name(), e.Data)
	}

	// A wrong secret is refused with an *ovh.APIError.
	bad, _ := ovh.NewClient(endpoint, "app-key", "not-the-secret", state.ConsumerKey)
	if err := bad.Get("/telephony", &accounts); !errors.As(err, &apiErr) || apiErr.Code != 400 || apiErr.Message != "Invalid signature" {
		t.Errorf("wrong secret: %v", err)
	}
	// Rules are enforced: this key has nothing outside /telephony.
	if err := client.Get("/me", nil); !errors.As(err, &apiErr) || apiErr.Code != 403 || apiErr.Message != "This call has not been granted" {
		t.Errorf("GET /me: %v", err)
	}
	// A key granted everything reads /me and the lines.
	sim.AddConsumerKey("app-key", "ck-all")
	all, _ := ovh.NewClient(endpoint, "app-key", "app-secret", "ck-all")
	var me struct{ Nichandle, Country string }
	if err := all.Get("/me", &me); err != nil || me.Nichandle != DefaultNichandle || me.Country != "FR" {
		t.Errorf("GET /me: %+v %v", me, err)
	}
	var lines []string
	if err := all.Get("/telephony/"+testBA+"/line", &lines); err != nil || !slices.Equal(lines, []string{testLine, testLine2}) {
		t.Errorf("GET lines: %v %v", lines, err)
	}
	// An unknown consumer key and a pending one, as OVH codes them.
	unknown, _ := ovh.NewClient(endpoint, "app-key", "app-secret", "no-such-key")
	if err := unknown.Get("/telephony", &accounts); !errors.As(err, &apiErr) || apiErr.Code != 403 || apiErr.Message != "This credential does not exist" {
		t.Errorf("unknown consumer key: %v", err)
	}
	// /auth/time is a bare integer.
	if d, err := client.TimeDelta(); err != nil || d.Abs() > 2*time.Second {
		t.Errorf("TimeDelta = %v, %v", d, err)
	}
}
