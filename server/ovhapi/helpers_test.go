package ovhapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/ovh/go-ovh/ovh"

	"github.com/screenpop/screenpop/server/ovhapi"
	"github.com/screenpop/screenpop/server/ovhsim"
)

const (
	appKey    = "appKeyScreenpop1"
	appSecret = "appSecretScreenpopNeverPrinted01"

	ba1    = "ab12345-ovh-1"
	line1  = "0033972101010"
	line2  = "0033972101011"
	queue1 = "0033972101099"
	ba2    = "cd67890-ovh-1"
	line3  = "0041225550000"
)

// TestMain keeps go-ovh away from the machine's OVH_* variables (tests
// that need them set their own with t.Setenv).
func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "OVH_") {
			os.Unsetenv(k)
		}
	}
	os.Exit(m.Run())
}

// testOVH is the emulator serving the OVH API over real HTTP, with two
// billing accounts, and a record of the /1.0 calls it received.
type testOVH struct {
	sim      *ovhsim.Sim
	srv      *httptest.Server
	endpoint string // for go-ovh: srv.URL + "/1.0"

	mu    sync.Mutex
	calls []string // "GET /telephony/ab12345-ovh-1/service", /auth/* left out
}

func newTestOVH(t *testing.T) *testOVH {
	t.Helper()
	o := &testOVH{sim: ovhsim.New(ovhsim.Config{Logf: t.Logf})}
	o.sim.AddApplication(appKey, appSecret)
	o.sim.AddLine(ba1, line1, "Accueil")
	o.sim.AddLine(ba1, line2, "Support")
	o.sim.AddQueue(ba1, queue1, "File support", ovhsim.KindEasyHunting)
	o.sim.AddLine(ba2, line3, "Genève")
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := strings.CutPrefix(r.URL.Path, "/1.0"); ok && !strings.HasPrefix(p, "/auth/") {
			o.mu.Lock()
			o.calls = append(o.calls, r.Method+" "+p)
			o.mu.Unlock()
		}
		o.sim.ServeHTTP(w, r)
	}))
	o.endpoint = o.srv.URL + "/1.0"
	t.Cleanup(func() {
		o.sim.Close()
		o.srv.Close()
	})
	return o
}

// recorded returns the calls received since the last call to recorded.
func (o *testOVH) recorded() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.calls
	o.calls = nil
	return c
}

// apiCalls counts the /1.0 requests the emulator answered.
func (o *testOVH) apiCalls() int { return o.sim.Stats().APICalls }

// client returns a client with the test application and consumer key ck
// (possibly empty or unknown).
func (o *testOVH) client(t *testing.T, ck string) *ovhapi.Client {
	t.Helper()
	api, err := ovh.NewClient(o.endpoint, appKey, appSecret, ck)
	if err != nil {
		t.Fatal(err)
	}
	return ovhapi.New(api)
}

// credential goes through the consumer key flow a user goes through:
// request a key granted rules (nil: ovhapi.AccessRules), open its
// validation URL, and returns the key.
func (o *testOVH) credential(t *testing.T, rules []ovh.AccessRule) string {
	t.Helper()
	ck, validationURL, err := o.client(t, "").RequestConsumerKey(context.Background(), "", rules)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, validationURL)
	return ck
}

// validate opens a validation URL, as the user does in a browser.
func validate(t *testing.T, validationURL string) {
	t.Helper()
	resp, err := http.Get(validationURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("validation URL %s: %s: %s", validationURL, resp.Status, body)
	}
}

// validatedClient is a client with a validated consumer key granted rules
// (nil: ovhapi.AccessRules).
func (o *testOVH) validatedClient(t *testing.T, rules []ovh.AccessRule) *ovhapi.Client {
	t.Helper()
	return o.client(t, o.credential(t, rules))
}

// wantError checks that err is an *ovhapi.Error with code whose message
// has every one of parts, and holds no secret.
func wantError(t *testing.T, err error, code ovhapi.Code, parts ...string) *ovhapi.Error {
	t.Helper()
	var e *ovhapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want an *ovhapi.Error %s", err, err, code)
	}
	if e.Code != code {
		t.Errorf("error code %s, want %s: %v", e.Code, code, err)
	}
	msg := err.Error()
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q does not say %q", msg, p)
		}
	}
	noSecret(t, msg)
	return e
}

// noSecret fails when s shows the application secret.
func noSecret(t *testing.T, s string) {
	t.Helper()
	if strings.Contains(s, appSecret) {
		t.Errorf("the application secret is shown in %q", s)
	}
}

func ctx() context.Context { return context.Background() }

// matchesRule reports whether rule grants "METHOD /path" when "*" matches
// exactly one path segment: stricter than OVH, so that a rule that only
// matters because "*" spans "/" counts as unneeded.
func matchesRule(rule ovh.AccessRule, call string) bool {
	method, path, _ := strings.Cut(call, " ")
	if rule.Method != method {
		return false
	}
	ps, cs := strings.Split(rule.Path, "/"), strings.Split(path, "/")
	if len(ps) != len(cs) {
		return false
	}
	for i := range ps {
		if ps[i] != "*" && ps[i] != cs[i] {
			return false
		}
	}
	return true
}

func ruleString(r ovh.AccessRule) string { return fmt.Sprintf("%s %s", r.Method, r.Path) }
