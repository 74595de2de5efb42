package ovhsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignatureKnownVector(t *testing.T) {
	got := Signature("9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk", "5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY",
		"GET", "https://eu.api.ovh.com/1.0/auth", "", 1457018875)
	if want := "$1$e9556054b6309771395efa467c22e627407461ad"; got != want {
		t.Errorf("Signature = %s, want %s", got, want)
	}
}

// The sim checks the documented vector end to end when it is reached as
// https://eu.api.ovh.com behind a TLS proxy.
func TestSignatureKnownVectorOverHTTP(t *testing.T) {
	clock := func() time.Time { return time.Unix(1457018875, 0) }
	sim := New(Config{Clock: clock, PublicBaseURL: "https://eu.api.ovh.com/"})
	sim.AddApplication("appkey", "9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk")
	sim.AddConsumerKey("appkey", "5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY")
	req := httptest.NewRequest("GET", "/1.0/auth", nil)
	req.Header.Set("X-Ovh-Application", "appkey")
	req.Header.Set("X-Ovh-Consumer", "5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY")
	req.Header.Set("X-Ovh-Timestamp", "1457018875")
	req.Header.Set("X-Ovh-Signature", "$1$e9556054b6309771395efa467c22e627407461ad")
	if aerr := sim.authenticate(req, "/auth", nil); aerr != nil {
		t.Errorf("documented vector rejected: %v", aerr)
	}
	req.Header.Set("X-Ovh-Timestamp", "1457018876")
	if aerr := sim.authenticate(req, "/auth", nil); aerr != errInvalidSignature {
		t.Errorf("wrong timestamp: %v, want invalid signature", aerr)
	}
}

func TestSignedURL(t *testing.T) {
	tests := []struct {
		name, public, target, proto, want string
	}{
		{"derived", "", "http://127.0.0.1:8080/1.0/telephony?x=1", "", "http://127.0.0.1:8080/1.0/telephony?x=1"},
		{"behind TLS proxy", "", "http://sim.example.com/1.0/telephony", "https", "https://sim.example.com/1.0/telephony"},
		{"public base", "https://ovh.example.com", "http://10.0.0.1:9/1.0/telephony?a=b", "", "https://ovh.example.com/1.0/telephony?a=b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := New(Config{PublicBaseURL: tt.public})
			r := httptest.NewRequest("GET", tt.target, nil)
			r.RequestURI = r.URL.RequestURI()
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if got := sim.signedURL(r); got != tt.want {
				t.Errorf("signedURL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAccessRules(t *testing.T) {
	tests := []struct {
		rule   AccessRule
		method string
		path   string
		want   bool
	}{
		{AccessRule{"GET", "/telephony/*"}, "GET", "/telephony/ab1/service", true},
		{AccessRule{"GET", "/telephony/*"}, "GET", "/telephony", false},
		{AccessRule{"GET", "/telephony"}, "GET", "/telephony", true},
		{AccessRule{"GET", "/telephony/*"}, "POST", "/telephony/ab1/eventToken", false},
		{AccessRule{"POST", "/telephony/*/eventToken"}, "POST", "/telephony/ab1/eventToken", true},
		{AccessRule{"POST", "/telephony/*/eventToken"}, "POST", "/telephony/ab1/service/0033/eventToken", true},
		{AccessRule{"POST", "/telephony/*/eventToken"}, "POST", "/telephony/ab1/line/0033/click2Call", false},
		{AccessRule{"DELETE", "/*"}, "DELETE", "/anything/at/all", true},
		{AccessRule{"GET", "/me"}, "GET", "/me/bill", false},
	}
	for _, tt := range tests {
		if got := tt.rule.Allows(tt.method, tt.path); got != tt.want {
			t.Errorf("%v allows %s %s = %v, want %v", tt.rule, tt.method, tt.path, got, tt.want)
		}
	}
}

// signedClient sends /1.0 calls signed like go-ovh, without go-ovh.
type signedClient struct {
	base, ak, as, ck string
	skew             time.Duration
}

func (c signedClient) do(t *testing.T, method, path, body string) (int, map[string]any, http.Header) {
	t.Helper()
	url := c.base + "/1.0" + path
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	ts := time.Now().Add(c.skew).Unix()
	req.Header.Set("X-Ovh-Application", c.ak)
	req.Header.Set("X-Ovh-Consumer", c.ck)
	req.Header.Set("X-Ovh-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Ovh-Signature", Signature(c.as, c.ck, method, url, body, ts))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(b, &out)
	return resp.StatusCode, out, resp.Header
}

// raw is do with the answer's body as text.
func (c signedClient) raw(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	url := c.base + "/1.0" + path
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	ts := time.Now().Add(c.skew).Unix()
	req.Header.Set("X-Ovh-Application", c.ak)
	req.Header.Set("X-Ovh-Consumer", c.ck)
	req.Header.Set("X-Ovh-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Ovh-Signature", Signature(c.as, c.ck, method, url, body, ts))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAPIRejections(t *testing.T) {
	sim, srv := newTestSim(t, Config{})
	sim.AddApplication("ak", "as")
	sim.AddConsumerKey("ak", "ck-read", AccessRule{"GET", "/telephony/*"})
	sim.AddApplication("other", "secret2")
	sim.AddConsumerKey("other", "ck-other")
	ok := signedClient{base: srv.URL, ak: "ak", as: "as", ck: "ck-read"}

	if st, _, _ := ok.do(t, "GET", "/telephony/"+testBA+"/service", ""); st != 200 {
		t.Fatalf("granted call: %d", st)
	}
	tests := []struct {
		name   string
		c      signedClient
		method string
		path   string
		body   string
		status int
		code   string
	}{
		{"wrong secret", signedClient{srv.URL, "ak", "wrong", "ck-read", 0}, "GET", "/telephony/" + testBA + "/service", "", 400, "INVALID_SIGNATURE"},
		{"unknown application", signedClient{srv.URL, "nope", "as", "ck-read", 0}, "GET", "/telephony/" + testBA + "/service", "", 403, "INVALID_KEY"},
		{"unknown consumer key", signedClient{srv.URL, "ak", "as", "ck-none", 0}, "GET", "/telephony/" + testBA + "/service", "", 403, "NOT_CREDENTIAL"},
		{"consumer key of another application", signedClient{srv.URL, "ak", "as", "ck-other", 0}, "GET", "/telephony/" + testBA + "/service", "", 403, "NOT_CREDENTIAL"},
		{"unknown consumer key, unknown path", signedClient{srv.URL, "ak", "as", "ck-none", 0}, "GET", "/nowhere", "", 403, "NOT_CREDENTIAL"},
		{"not granted: unknown path", ok, "GET", "/nowhere", "", 403, "NOT_GRANTED_CALL"},
		{"not granted: wrong method on a known path", ok, "PUT", "/telephony/" + testBA + "/service", "", 403, "NOT_GRANTED_CALL"},
		{"clock skew", signedClient{srv.URL, "ak", "as", "ck-read", time.Hour}, "GET", "/telephony/" + testBA + "/service", "", 400, "QUERY_TIME_OUT"},
		{"not granted: method", ok, "POST", "/telephony/" + testBA + "/eventToken", `{"expiration":"1 day"}`, 403, "NOT_GRANTED_CALL"},
		{"not granted: /telephony itself", ok, "GET", "/telephony", "", 403, "NOT_GRANTED_CALL"},
		{"no route", ok, "GET", "/telephony/" + testBA + "/nothing", "", 404, ""},
		{"unknown billing account", ok, "GET", "/telephony/ab0-ovh-0/service", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body, h := tt.c.do(t, tt.method, tt.path, tt.body)
			if st != tt.status {
				t.Errorf("status %d, want %d: %v", st, tt.status, body)
			}
			if code, _ := body["errorCode"].(string); code != tt.code {
				t.Errorf("errorCode %q, want %q", code, tt.code)
			}
			if body["message"] == "" || body["class"] == "" {
				t.Errorf("error without message or class: %v", body)
			}
			if h.Get("X-Ovh-QueryID") == "" {
				t.Error("no X-Ovh-QueryID")
			}
		})
	}

	// A body that differs from the signed one is rejected.
	full := signedClient{srv.URL, "other", "secret2", "ck-other", 0}
	url := srv.URL + "/1.0/telephony/" + testBA + "/eventToken"
	req, _ := http.NewRequest("POST", url, strings.NewReader(`{"expiration":"unlimited"}`))
	ts := time.Now().Unix()
	req.Header.Set("X-Ovh-Application", full.ak)
	req.Header.Set("X-Ovh-Consumer", full.ck)
	req.Header.Set("X-Ovh-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Ovh-Signature", Signature(full.as, full.ck, "POST", url, `{"expiration":"1 day"}`, ts))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("tampered body: status %d, want 400", resp.StatusCode)
	}

}

// TestAPIUnsigned: credentials are checked before routes, as OVH does:
// an unsigned request gets the auth error whether its path exists or
// not; only /auth/time and /auth/credential are served unsigned.
func TestAPIUnsigned(t *testing.T) {
	sim, srv := newTestSim(t, Config{})
	sim.AddApplication("ak", "as")
	tests := []struct {
		name, method, path, appKey, body string
		status                           int
		code                             string
	}{
		{"known path", "GET", "/telephony", "", "", 401, "NOT_AUTHENTICATED"},
		{"known path, application key only", "GET", "/telephony/" + testBA + "/service", "ak", "", 401, "NOT_AUTHENTICATED"},
		{"unknown path", "GET", "/nowhere/at/all", "", "", 401, "NOT_AUTHENTICATED"},
		{"unknown path, application key only", "DELETE", "/telephony/" + testBA + "/nothing", "ak", "", 401, "NOT_AUTHENTICATED"},
		{"unknown application key", "GET", "/nowhere", "nope", "", 403, "INVALID_KEY"},
		{"wrong method on a known path", "PUT", "/telephony/" + testBA + "/eventToken", "", "{}", 401, "NOT_AUTHENTICATED"},
		{"/me", "GET", "/me", "", "", 401, "NOT_AUTHENTICATED"},
		{"/auth/time", "GET", "/auth/time", "", "", 200, ""},
		{"/auth/credential", "POST", "/auth/credential", "ak", `{"accessRules":[{"method":"GET","path":"/*"}]}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+"/1.0"+tt.path, strings.NewReader(tt.body))
			if tt.appKey != "" {
				req.Header.Set("X-Ovh-Application", tt.appKey)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			b, _ := io.ReadAll(resp.Body)
			json.Unmarshal(b, &body)
			code, _ := body["errorCode"].(string)
			if resp.StatusCode != tt.status || code != tt.code {
				t.Errorf("%s %s: %d %s, want %d %q", tt.method, tt.path, resp.StatusCode, b, tt.status, tt.code)
			}
		})
	}
}

// TestAPIBehindProxy: behind a reverse proxy that keeps the Host but not
// the scheme, the client signed the https:// URL it called while the sim
// sees http:// (and the other way round with a wrong X-Forwarded-Proto):
// both verify. Another host, or the wrong secret, still does not.
func TestAPIBehindProxy(t *testing.T) {
	sim, srv := newTestSim(t, Config{})
	sim.AddApplication("ak", "as")
	sim.AddConsumerKey("ak", "ck")
	host := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name, signedURL, secret, proto string
		status                         int
	}{
		{"http as seen", "http://" + host + "/1.0/telephony", "as", "", 200},
		{"https through a proxy that drops the scheme", "https://" + host + "/1.0/telephony", "as", "", 200},
		{"http signed, X-Forwarded-Proto https", "http://" + host + "/1.0/telephony", "as", "https", 200},
		{"https signed, X-Forwarded-Proto https", "https://" + host + "/1.0/telephony", "as", "https", 200},
		{"another host", "https://eu.api.ovh.com/1.0/telephony", "as", "", 400},
		{"another path", "https://" + host + "/1.0/telephony/x", "as", "", 400},
		{"wrong secret", "https://" + host + "/1.0/telephony", "nope", "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+"/1.0/telephony", nil)
			ts := time.Now().Unix()
			req.Header.Set("X-Ovh-Application", "ak")
			req.Header.Set("X-Ovh-Consumer", "ck")
			req.Header.Set("X-Ovh-Timestamp", strconv.FormatInt(ts, 10))
			req.Header.Set("X-Ovh-Signature", Signature(tt.secret, "ck", "GET", tt.signedURL, "", ts))
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d %s, want %d", resp.StatusCode, b, tt.status)
			}
		})
	}
}

// TestAPIAccount: GET /me is a nichandle object; GET
// /telephony/{ba}/line lists the SIP lines, not the queues.
func TestAPIAccount(t *testing.T) {
	sim, srv := newTestSim(t, Config{})
	sim.AddApplication("ak", "as")
	sim.AddConsumerKey("ak", "ck")
	c := signedClient{base: srv.URL, ak: "ak", as: "as", ck: "ck"}
	st, me, _ := c.do(t, "GET", "/me", "")
	if st != 200 || me["nichandle"] != DefaultNichandle || me["country"] != "FR" || me["email"] == "" {
		t.Errorf("GET /me: %d %v", st, me)
	}
	if cur, _ := me["currency"].(map[string]any); cur["code"] != "EUR" {
		t.Errorf("GET /me currency %v", me["currency"])
	}
	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/telephony/" + testBA + "/line", 200, `["` + testLine + `","` + testLine2 + `"]`},
		{"/telephony/" + testBA + "/service", 200, `["` + testLine + `","` + testLine2 + `","` + testQueue + `"]`},
		{"/telephony/ab0-ovh-0/line", 404, ""},
	}
	for _, tt := range tests {
		st, raw := c.raw(t, "GET", tt.path, "")
		if st != tt.status || (tt.want != "" && raw != tt.want) {
			t.Errorf("GET %s: %d %s, want %d %s", tt.path, st, raw, tt.status, tt.want)
		}
	}
}

// TestAPIDeleteToken: DELETE …/eventToken answers JSON null (python-ovh
// fails on an empty body) and revokes the token addressed (the one GET
// shows), not the scope's other tokens.
func TestAPIDeleteToken(t *testing.T) {
	sim, srv := newTestSim(t, Config{})
	sim.AddApplication("ak", "as")
	sim.AddConsumerKey("ak", "ck")
	c := signedClient{base: srv.URL, ak: "ak", as: "as", ck: "ck"}
	for _, scope := range []struct{ name, scope, path string }{
		{"line", testLine, "/telephony/" + testBA + "/service/" + testLine + "/eventToken"},
		{"billing account", testBA, "/telephony/" + testBA + "/eventToken"},
	} {
		t.Run(scope.name, func(t *testing.T) {
			older := mustToken(t, sim, scope.scope, "1 day")
			newer := mustToken(t, sim, scope.scope, "1 day")
			if st, raw := c.raw(t, "DELETE", scope.path, ""); st != 200 || raw != "null" {
				t.Fatalf("DELETE: %d %q, want 200 null", st, raw)
			}
			if _, ok := sim.TokenExpiry(newer); ok {
				t.Error("the token addressed is still valid")
			}
			if _, ok := sim.TokenExpiry(older); !ok {
				t.Error("DELETE revoked the scope's other token too")
			}
			if st, raw := c.raw(t, "GET", scope.path, ""); st != 200 || raw != `{"token":"`+older+`"}` {
				t.Errorf("GET after DELETE: %d %s, want the other token", st, raw)
			}
			if st, raw := c.raw(t, "DELETE", scope.path, ""); st != 200 || raw != "null" {
				t.Fatalf("second DELETE: %d %q", st, raw)
			}
			if st, _ := c.raw(t, "DELETE", scope.path, ""); st != 404 {
				t.Errorf("DELETE with no token left: %d, want 404", st)
			}
		})
	}
}

func TestAPIPendingConsumerKey(t *testing.T) {
	sim, srv := newTestSim(t, Config{})
	sim.AddApplication("ak", "as")
	req, _ := http.NewRequest("POST", srv.URL+"/1.0/auth/credential",
		strings.NewReader(`{"accessRules":[{"method":"GET","path":"/telephony*"}],"redirection":"https://example.com/done"}`))
	req.Header.Set("X-Ovh-Application", "ak")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var cred struct{ ConsumerKey, State, ValidationURL string }
	json.NewDecoder(resp.Body).Decode(&cred)
	resp.Body.Close()
	if resp.StatusCode != 200 || cred.State != "pendingValidation" || len(cred.ConsumerKey) != 32 || !strings.HasPrefix(cred.ValidationURL, srv.URL+"/sim/validate?ck=") {
		t.Fatalf("credential: %d %+v", resp.StatusCode, cred)
	}
	c := signedClient{base: srv.URL, ak: "ak", as: "as", ck: cred.ConsumerKey}
	if st, body, _ := c.do(t, "GET", "/telephony", ""); st != 403 || body["errorCode"] != "INVALID_CREDENTIAL" || body["message"] != "This credential is not valid" {
		t.Errorf("pending key: %d %v, want 403 INVALID_CREDENTIAL", st, body)
	}
	// The validation page redirects to the credential's redirection.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get(cred.ValidationURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://example.com/done" {
		t.Errorf("validation page: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if st, body, _ := c.do(t, "GET", "/telephony", ""); st != 200 {
		t.Errorf("validated key: %d %v", st, body)
	}

	for _, bad := range []string{``, `{}`, `{"accessRules":[]}`, `{"accessRules":[{"method":"FETCH","path":"/*"}]}`, `{"accessRules":[{"method":"GET","path":"*"}]}`} {
		req, _ := http.NewRequest("POST", srv.URL+"/1.0/auth/credential", strings.NewReader(bad))
		req.Header.Set("X-Ovh-Application", "ak")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("credential %s: status %d, want 400", bad, resp.StatusCode)
		}
	}
	req, _ = http.NewRequest("POST", srv.URL+"/1.0/auth/credential", strings.NewReader(`{"accessRules":[{"method":"GET","path":"/*"}]}`))
	req.Header.Set("X-Ovh-Application", "unknown")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("credential for an unknown application: %d, want 403", resp.StatusCode)
	}
}

func TestAPIEventTokenErrors(t *testing.T) {
	sim, srv := newTestSim(t, Config{})
	sim.AddApplication("ak", "as")
	sim.AddConsumerKey("ak", "ck")
	c := signedClient{base: srv.URL, ak: "ak", as: "as", ck: "ck"}
	path := "/telephony/" + testBA + "/service/" + testLine + "/eventToken"
	for _, body := range []string{`{"expiration":"1 days"}`, `{"expiration":"1day"}`, `{}`, `{"expiration":"unlimited","x":1}`, `nope`} {
		st, out, _ := c.do(t, "POST", path, body)
		if st != 400 || out["class"] != "Client::BadRequest" {
			t.Errorf("POST %s: %d %v", body, st, out)
		}
	}
	if st, out, _ := c.do(t, "GET", path, ""); st != 404 {
		t.Errorf("GET without a token: %d %v", st, out)
	}
	if st, out, _ := c.do(t, "DELETE", path, ""); st != 404 {
		t.Errorf("DELETE without a token: %d %v", st, out)
	}
	if st, out, _ := c.do(t, "POST", "/telephony/"+testBA+"/service/0033000000000/eventToken", `{"expiration":"1 day"}`); st != 404 {
		t.Errorf("unknown service: %d %v", st, out)
	}
	if st, out, _ := c.do(t, "POST", "/telephony/"+testBA+"/line/"+testLine+"/click2Call", `{"callingNumber":"x"}`); st != 400 {
		t.Errorf("click2Call without calledNumber: %d %v", st, out)
	}
	if st, out, _ := c.do(t, "POST", "/telephony/"+testBA+"/line/"+testQueue+"/click2Call", `{"calledNumber":"0033123456789"}`); st != 404 {
		t.Errorf("click2Call on a queue: %d %v", st, out)
	}
	if st, out, _ := c.do(t, "POST", "/telephony/"+testBA+"/line/"+testLine+"/click2Call", `{"calledNumber":"0033123456789"}`); st != 200 || out != nil {
		t.Errorf("click2Call: %d %v, want 200 null", st, out)
	}
	if st, out, _ := c.do(t, "PUT", path, `{}`); st != 405 {
		t.Errorf("PUT: %d %v", st, out)
	}
}
