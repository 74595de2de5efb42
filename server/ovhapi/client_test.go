package ovhapi_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ovh/go-ovh/ovh"

	"github.com/screenpop/screenpop/server/ovhapi"
	"github.com/screenpop/screenpop/server/ovhsim"
)

var wantLines = []ovhapi.BillingAccount{
	{Name: ba1, Services: []string{line1, line2, queue1}},
	{Name: ba2, Services: []string{line3}},
}

func TestCredentialFlow(t *testing.T) {
	o := newTestOVH(t)
	c := o.client(t, "")

	// Without a consumer key, signed calls are not even sent.
	before := o.apiCalls()
	_, err := c.Lines(ctx())
	wantError(t, err, ovhapi.CodeNoCredentials, "no OVH consumer key", "screenpop-relay ovh credential", "OVH_CONSUMER_KEY")
	if n := o.apiCalls() - before; n != 0 {
		t.Errorf("%d API calls without a consumer key, want 0", n)
	}

	ck, validationURL, err := c.RequestConsumerKey(ctx(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ck == "" || !strings.HasPrefix(validationURL, o.srv.URL) {
		t.Fatalf("consumer key %q, validation URL %q", ck, validationURL)
	}

	// Pending: OVH refuses it until the user validates it.
	_, err = c.Lines(ctx())
	wantError(t, err, ovhapi.CodeNoCredentials, "not validated", "validation URL")

	validate(t, validationURL)
	got, err := c.Lines(ctx())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantLines) {
		t.Errorf("Lines = %+v, want %+v", got, wantLines)
	}

	// The key works for a new client too, as when set in OVH_CONSUMER_KEY.
	tok, err := o.client(t, ck).CreateEventToken(ctx(), ovhapi.Scope{BillingAccount: ba1, Service: line1}, "1 hour")
	if err != nil {
		t.Fatal(err)
	}
	if !ovhsim.ValidTokenShape(tok) {
		t.Errorf("token %q does not have OVH's shape", tok)
	}
}

func TestCredentialRedirect(t *testing.T) {
	o := newTestOVH(t)
	const redirect = "https://crm.example.com/ovh-done"
	_, validationURL, err := o.client(t, "").RequestConsumerKey(ctx(), redirect, nil)
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(validationURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != redirect {
		t.Errorf("validation answered %s, Location %q; want a redirect to %s", resp.Status, loc, redirect)
	}
}

// TestAccessRulesAreExactlyTheCalls runs everything the relay does with a
// key granted AccessRules, and checks that every call is granted and that
// every rule grants some call ("*" matching one segment only).
func TestAccessRulesAreExactlyTheCalls(t *testing.T) {
	o := newTestOVH(t)
	rules := ovhapi.AccessRules()
	c := o.validatedClient(t, rules)
	o.recorded()

	if _, err := c.Lines(ctx()); err != nil {
		t.Fatal(err)
	}
	for _, scope := range []ovhapi.Scope{{BillingAccount: ba1}, {BillingAccount: ba1, Service: line1}} {
		if _, found, err := c.GetEventToken(ctx(), scope); err != nil || found {
			t.Fatalf("GetEventToken(%v) before any: found %v, %v", scope, found, err)
		}
		if _, err := c.CreateEventToken(ctx(), scope, "1 day"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.RenewEventToken(ctx(), scope, "1 day"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.GetEventToken(ctx(), scope); err != nil {
			t.Fatal(err)
		}
		if err := c.RevokeEventToken(ctx(), scope); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.LineScope(ctx(), line3); err != nil {
		t.Fatal(err)
	}
	calls := o.recorded()
	for _, call := range calls {
		if !slices.ContainsFunc(rules, func(r ovh.AccessRule) bool { return matchesRule(r, call) }) {
			t.Errorf("call %s is granted by no rule of AccessRules", call)
		}
	}
	for _, r := range rules {
		if !slices.ContainsFunc(calls, func(call string) bool { return matchesRule(r, call) }) {
			t.Errorf("rule %s grants none of the calls: %q", ruleString(r), calls)
		}
		if r.Method != "GET" && r.Method != "POST" && r.Method != "DELETE" {
			t.Errorf("rule %s: the relay never needs %s", ruleString(r), r.Method)
		}
	}
	if slices.Contains(rules, ovhapi.Click2CallAccessRule()) {
		t.Errorf("AccessRules grants click-to-call by default")
	}
}

func TestClick2CallRuleIsGranted(t *testing.T) {
	o := newTestOVH(t)
	ck := o.credential(t, append(ovhapi.AccessRules(), ovhapi.Click2CallAccessRule()))
	api, err := ovh.NewClient(o.endpoint, appKey, appSecret, ck)
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"calledNumber": "0033612345678", "callingNumber": line1, "intercom": false}
	if err := api.Post("/telephony/"+ba1+"/line/"+line1+"/click2Call", body, nil); err != nil {
		t.Fatalf("click2Call with -click2call rules: %v", err)
	}
	o.sim.Close() // stop the call it plays
}

func TestLines(t *testing.T) {
	o := newTestOVH(t)
	c := o.validatedClient(t, nil)
	bas, err := c.BillingAccounts(ctx())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{ba1, ba2}; !reflect.DeepEqual(bas, want) {
		t.Errorf("BillingAccounts = %q, want %q", bas, want)
	}
	services, err := c.Services(ctx(), ba2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{line3}; !reflect.DeepEqual(services, want) {
		t.Errorf("Services(%s) = %q, want %q", ba2, services, want)
	}
	lines, err := c.Lines(ctx())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("Lines = %+v, want %+v", lines, wantLines)
	}
	_, err = c.Services(ctx(), "zz99999-ovh-9")
	wantError(t, err, ovhapi.CodeNotFound, "no billing account zz99999-ovh-9", "screenpop-relay ovh lines")
	_, err = c.Services(ctx(), "../me")
	wantError(t, err, ovhapi.CodeBadInput, `"../me"`)
}

func TestLineScope(t *testing.T) {
	o := newTestOVH(t)
	c := o.validatedClient(t, nil)
	for _, tc := range []struct{ in, ba, service string }{
		{line1, ba1, line1},
		{"+33 9 72 10 10 11", ba1, line2},
		{"09.72.10.10.99", ba1, queue1},
		{"0041 22 555 00 00", ba2, line3},
		{"022 555 00 00", ba2, line3},
	} {
		got, err := c.LineScope(ctx(), tc.in)
		if want := (ovhapi.Scope{BillingAccount: tc.ba, Service: tc.service}); err != nil || got != want {
			t.Errorf("LineScope(%q) = %v, %v; want %v", tc.in, got, err, want)
		}
	}
	_, err := c.LineScope(ctx(), "0033100000000")
	wantError(t, err, ovhapi.CodeNotFound, "no such line", ba1, ba2, "screenpop-relay ovh lines")
	_, err = c.LineScope(ctx(), "")
	wantError(t, err, ovhapi.CodeBadInput, "no line number")
}

func TestEventTokens(t *testing.T) {
	o := newTestOVH(t)
	c := o.validatedClient(t, nil)
	for _, scope := range []ovhapi.Scope{
		{BillingAccount: ba1, Service: line1},
		{BillingAccount: ba1, Service: queue1},
		{BillingAccount: ba2},
	} {
		for _, exp := range ovhapi.Expirations {
			t.Run(scope.String()+"/"+exp, func(t *testing.T) {
				tok, err := c.CreateEventToken(ctx(), scope, exp)
				if err != nil {
					t.Fatal(err)
				}
				if !ovhsim.ValidTokenShape(tok) {
					t.Errorf("token %q does not have OVH's shape", tok)
				}
				expires, ok := o.sim.TokenExpiry(tok)
				if !ok {
					t.Fatalf("the emulator does not know the token")
				}
				d := ovhsim.Expirations[exp]
				if d == 0 && !expires.IsZero() {
					t.Errorf("%q token expires at %v, want never", exp, expires)
				}
				if d > 0 {
					if off := time.Until(expires) - d; off > time.Minute || off < -time.Minute {
						t.Errorf("%q token expires at %v, want in %v", exp, expires, d)
					}
				}

				got, found, err := c.GetEventToken(ctx(), scope)
				if err != nil || !found || got != tok {
					t.Errorf("GetEventToken = %q, %v, %v; want %q", got, found, err, tok)
				}

				if err := c.RevokeEventToken(ctx(), scope); err != nil {
					t.Fatal(err)
				}
				if _, ok := o.sim.TokenExpiry(tok); ok {
					t.Errorf("the token is still valid after RevokeEventToken")
				}
				if got, found, err := c.GetEventToken(ctx(), scope); err != nil || found {
					t.Errorf("GetEventToken after revoke = %q, %v, %v; want not found", got, found, err)
				}
				err = c.RevokeEventToken(ctx(), scope)
				if !errors.Is(err, ovhapi.ErrNoEventToken) {
					t.Errorf("second RevokeEventToken: %v, want ErrNoEventToken", err)
				}
				wantError(t, err, ovhapi.CodeNotFound, "it has none")
				if strings.Contains(err.Error(), tok) {
					t.Errorf("error %q shows the token", err)
				}
			})
		}
	}
}

func TestRenewEventToken(t *testing.T) {
	o := newTestOVH(t)
	c := o.validatedClient(t, nil)
	scope := ovhapi.Scope{BillingAccount: ba1, Service: line2}

	// Nothing to revoke: it just creates.
	first, err := c.RenewEventToken(ctx(), scope, "30 days")
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.RenewEventToken(ctx(), scope, "unlimited")
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Fatalf("RenewEventToken returned the same token")
	}
	if _, ok := o.sim.TokenExpiry(first); ok {
		t.Errorf("the old token is still valid")
	}
	if _, ok := o.sim.TokenExpiry(second); !ok {
		t.Errorf("the new token is not valid")
	}

	// A bad expiration or scope revokes nothing.
	before := o.apiCalls()
	_, err = c.RenewEventToken(ctx(), scope, "1 week")
	wantError(t, err, ovhapi.CodeBadInput, "1 week", `"unlimited"`)
	_, err = c.RenewEventToken(ctx(), ovhapi.Scope{Service: line2}, "1 day")
	wantError(t, err, ovhapi.CodeBadInput, "no billing account given")
	if n := o.apiCalls() - before; n != 0 {
		t.Errorf("%d API calls for bad input, want 0", n)
	}
	if _, ok := o.sim.TokenExpiry(second); !ok {
		t.Errorf("a failed renewal revoked the token")
	}

	// A scope that does not exist: nothing created, a clear error.
	_, err = c.RenewEventToken(ctx(), ovhapi.Scope{BillingAccount: ba2, Service: line1}, "1 day")
	wantError(t, err, ovhapi.CodeNotFound, "billing account "+ba2+" has no line "+line1)
}

func TestBadExpiration(t *testing.T) {
	o := newTestOVH(t)
	c := o.validatedClient(t, nil)
	before := o.apiCalls()
	for _, tc := range []struct{ exp, suggest string }{
		{"1 days", `did you mean "1 day"?`},
		{"1d", `did you mean "1 day"?`},
		{"5 Minutes", `did you mean "5 minutes"?`},
		{"30day", `did you mean "30 days"?`},
		{"never", `did you mean "unlimited"?`},
		{"", ""},
		{"2 weeks", ""},
	} {
		for _, scope := range []ovhapi.Scope{{BillingAccount: ba1}, {BillingAccount: ba1, Service: line1}} {
			_, err := c.CreateEventToken(ctx(), scope, tc.exp)
			e := wantError(t, err, ovhapi.CodeBadInput, `"5 minutes", "1 hour", "1 day", "30 days", "unlimited"`, tc.suggest)
			if tc.suggest == "" && strings.Contains(e.Error(), "did you mean") {
				t.Errorf("expiration %q: unexpected suggestion in %q", tc.exp, e)
			}
		}
		if err := ovhapi.ValidateExpiration(tc.exp); err == nil {
			t.Errorf("ValidateExpiration(%q) = nil", tc.exp)
		}
	}
	if n := o.apiCalls() - before; n != 0 {
		t.Errorf("%d API calls for bad expirations, want 0", n)
	}
	for _, exp := range ovhapi.Expirations {
		if err := ovhapi.ValidateExpiration(exp); err != nil {
			t.Errorf("ValidateExpiration(%q) = %v", exp, err)
		}
		if _, ok := ovhsim.Expirations[exp]; !ok {
			t.Errorf("the emulator does not know expiration %q", exp)
		}
	}
	if len(ovhapi.Expirations) != len(ovhsim.Expirations) {
		t.Errorf("ovhapi.Expirations %q and the emulator's %v differ", ovhapi.Expirations, ovhsim.Expirations)
	}
}

func TestUnknownBillingAccountOrLine(t *testing.T) {
	o := newTestOVH(t)
	c := o.validatedClient(t, nil)
	for _, tc := range []struct {
		scope ovhapi.Scope
		says  string
	}{
		{ovhapi.Scope{BillingAccount: "zz99999-ovh-9"}, "no billing account zz99999-ovh-9"},
		{ovhapi.Scope{BillingAccount: "zz99999-ovh-9", Service: line1}, "no billing account zz99999-ovh-9"},
		{ovhapi.Scope{BillingAccount: ba1, Service: line3}, "billing account " + ba1 + " has no line " + line3},
	} {
		_, err := c.CreateEventToken(ctx(), tc.scope, "1 day")
		wantError(t, err, ovhapi.CodeNotFound, "cannot create an event token for "+tc.scope.String(), tc.says, "screenpop-relay ovh lines")
		_, found, err := c.GetEventToken(ctx(), tc.scope)
		if found {
			t.Errorf("GetEventToken(%v) found a token", tc.scope)
		}
		wantError(t, err, ovhapi.CodeNotFound, "cannot get the event token of "+tc.scope.String(), tc.says)
		err = c.RevokeEventToken(ctx(), tc.scope)
		if errors.Is(err, ovhapi.ErrNoEventToken) {
			t.Errorf("RevokeEventToken(%v) = ErrNoEventToken for a scope that does not exist", tc.scope)
		}
		wantError(t, err, ovhapi.CodeNotFound, "cannot revoke the event token of "+tc.scope.String(), tc.says)
	}
	_, err := c.CreateEventToken(ctx(), ovhapi.Scope{BillingAccount: ba1, Service: "0033/../x"}, "1 day")
	wantError(t, err, ovhapi.CodeBadInput, "line", "0033/../x")
}

func TestConsumerKeyWithoutTheRules(t *testing.T) {
	o := newTestOVH(t)

	// Read-only on the lines: listing works, tokens do not.
	c := o.validatedClient(t, []ovh.AccessRule{{Method: "GET", Path: "/telephony"}, {Method: "GET", Path: "/telephony/*/service"}})
	if _, err := c.Lines(ctx()); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateEventToken(ctx(), ovhapi.Scope{BillingAccount: ba1, Service: line1}, "1 day")
	wantError(t, err, ovhapi.CodeNotGranted, "lacks the access rule POST /telephony/*/service/*/eventToken", "screenpop-relay ovh credential")
	_, err = c.CreateEventToken(ctx(), ovhapi.Scope{BillingAccount: ba1}, "1 day")
	wantError(t, err, ovhapi.CodeNotGranted, "lacks the access rule POST /telephony/*/eventToken")
	_, _, err = c.GetEventToken(ctx(), ovhapi.Scope{BillingAccount: ba1})
	wantError(t, err, ovhapi.CodeNotGranted, "lacks the access rule GET /telephony/*/eventToken")
	err = c.RevokeEventToken(ctx(), ovhapi.Scope{BillingAccount: ba1, Service: line1})
	wantError(t, err, ovhapi.CodeNotGranted, "lacks the access rule DELETE /telephony/*/service/*/eventToken")

	// Only the billing accounts.
	c = o.validatedClient(t, []ovh.AccessRule{{Method: "GET", Path: "/telephony"}})
	_, err = c.Lines(ctx())
	wantError(t, err, ovhapi.CodeNotGranted, "lacks the access rule GET /telephony/*/service")

	// Nothing about telephony.
	c = o.validatedClient(t, []ovh.AccessRule{{Method: "GET", Path: "/me"}})
	_, err = c.BillingAccounts(ctx())
	wantError(t, err, ovhapi.CodeNotGranted, "lacks the access rule GET /telephony", "cannot list the telephony billing accounts")
}

func TestCredentialErrors(t *testing.T) {
	o := newTestOVH(t)
	ck := o.credential(t, nil)

	unknownApp, err := ovh.NewClient(o.endpoint, "unknownApp", appSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ovhapi.New(unknownApp).RequestConsumerKey(ctx(), "", nil)
	wantError(t, err, ovhapi.CodeNoCredentials, "application key", "createApp")

	badSecret, err := ovh.NewClient(o.endpoint, appKey, "wrong"+appSecret, ck)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ovhapi.New(badSecret).Lines(ctx())
	wantError(t, err, ovhapi.CodeNoCredentials, "signature", "OVH_APPLICATION_SECRET")

	_, err = o.client(t, "UnknownConsumerKeyUnknownConsum").Lines(ctx())
	e := wantError(t, err, ovhapi.CodeNoCredentials, "does not know the consumer key", "screenpop-relay ovh credential")
	if strings.Contains(e.Error(), "UnknownConsumerKey") {
		t.Errorf("error %q shows the consumer key", e)
	}

	// An endpoint nobody answers.
	down := closedEndpoint(t)
	api, err := ovh.NewClient(down, appKey, appSecret, ck)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ovhapi.New(api).Lines(ctx())
	wantError(t, err, ovhapi.CodeUnavailable, "cannot reach the OVH API at "+down, "OVH_ENDPOINT")
}

// closedEndpoint returns the API URL of an emulator already shut down.
func closedEndpoint(t *testing.T) string {
	o := newTestOVH(t)
	o.srv.Close()
	return o.endpoint
}

func TestFromEnv(t *testing.T) {
	clearOVHEnv(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		says []string
	}{
		{"nothing", nil, []string{"no OVH API credentials", "OVH_APPLICATION_KEY", "OVH_APPLICATION_SECRET", "https://eu.api.ovh.com/createApp/", "https://ca.api.ovh.com/createApp/", "screenpop-relay ovh credential", "[ovh-eu]"}},
		{"key only", map[string]string{"OVH_APPLICATION_KEY": appKey}, []string{"only one of the application key and secret", "OVH_APPLICATION_SECRET"}},
		{"consumer key only", map[string]string{"OVH_CONSUMER_KEY": "ck"}, []string{"no application key and secret", "OVH_APPLICATION_KEY"}},
		{"unknown endpoint", map[string]string{"OVH_ENDPOINT": "ovh-fr", "OVH_APPLICATION_KEY": appKey, "OVH_APPLICATION_SECRET": appSecret}, []string{`unknown OVH endpoint "ovh-fr"`, "ovh-eu, ovh-ca or ovh-us"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := ovhapi.FromEnv("")
			if err == nil {
				t.Fatalf("FromEnv = %v, want an error", c.Endpoint())
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			noSecret(t, err.Error())
		})
	}

	t.Run("env", func(t *testing.T) {
		t.Setenv("OVH_ENDPOINT", "ovh-ca")
		t.Setenv("OVH_APPLICATION_KEY", appKey)
		t.Setenv("OVH_APPLICATION_SECRET", appSecret)
		c, err := ovhapi.FromEnv("")
		if err != nil {
			t.Fatal(err)
		}
		if c.Endpoint() != ovh.OvhCA {
			t.Errorf("endpoint %s, want %s", c.Endpoint(), ovh.OvhCA)
		}
		c, err = ovhapi.FromEnv("http://127.0.0.1:1/1.0/")
		if err != nil {
			t.Fatal(err)
		}
		if c.Endpoint() != "http://127.0.0.1:1/1.0" {
			t.Errorf("endpoint %s, want the override without its trailing slash", c.Endpoint())
		}
		_, err = ovhapi.FromEnv("ovh-xx")
		if err == nil || !strings.Contains(err.Error(), `"ovh-xx"`) {
			t.Errorf("FromEnv(ovh-xx) = %v, want an unknown endpoint error", err)
		}
	})

	t.Run("ovh.conf", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir) // go-ovh reads ./ovh.conf (and ~/.ovh.conf, with ~ from the user database, not HOME)
		conf := "[default]\nendpoint=ovh-us\n\n[ovh-us]\napplication_key=" + appKey + "\napplication_secret=" + appSecret + "\n"
		if err := os.WriteFile(filepath.Join(dir, "ovh.conf"), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := ovhapi.FromEnv("")
		if err != nil {
			t.Fatal(err)
		}
		if c.Endpoint() != ovh.OvhUS {
			t.Errorf("endpoint %s, want %s from ./ovh.conf", c.Endpoint(), ovh.OvhUS)
		}
	})
}

// clearOVHEnv unsets the OVH_* variables for the rest of the test.
func clearOVHEnv(t *testing.T) {
	for _, k := range []string{"OVH_ENDPOINT", "OVH_APPLICATION_KEY", "OVH_APPLICATION_SECRET", "OVH_CONSUMER_KEY"} {
		t.Setenv(k, "") // restores the variable after the test
		os.Unsetenv(k)
	}
}
