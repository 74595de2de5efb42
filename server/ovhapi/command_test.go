package ovhapi_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/ovh/go-ovh/ovh"

	"github.com/screenpop/screenpop/server/ovhapi"
	"github.com/screenpop/screenpop/server/ovhsim"
)

// run runs `screenpop-relay ovh args…` as the relay does, with env set
// (t.Setenv) and the client made by FromEnv.
func run(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	clearOVHEnv(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	err = ovhapi.Command(ctx(), args, &out, &errOut, ovhapi.FromEnv)
	t.Logf("ovh %q:\nstdout:\n%s\nstderr:\n%s\nerror: %v", args, out.String(), errOut.String(), err)
	noSecret(t, out.String()+errOut.String())
	if err != nil {
		noSecret(t, err.Error())
	}
	return out.String(), errOut.String(), err
}

// env is the environment of a user set up for o, consumer key ck ("": none).
func (o *testOVH) env(ck string) map[string]string {
	env := map[string]string{
		"OVH_ENDPOINT":           o.endpoint,
		"OVH_APPLICATION_KEY":    appKey,
		"OVH_APPLICATION_SECRET": appSecret,
	}
	if ck != "" {
		env["OVH_CONSUMER_KEY"] = ck
	}
	return env
}

var tokenLine = regexp.MustCompile(`^[A-Z0-9]{8}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{12}\n$`)

func TestCommandCredential(t *testing.T) {
	o := newTestOVH(t)
	stdout, stderr, err := run(t, o.env(""), "credential")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^Consumer key:   (\S+)\nValidation URL: (\S+)\n$`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("stdout %q is not the consumer key and validation URL", stdout)
	}
	ck, validationURL := m[1], m[2]
	for _, want := range []string{"export OVH_CONSUMER_KEY=" + ck, "screenpop-relay ovh lines", o.endpoint,
		"GET    /telephony\n", "POST   /telephony/*/service/*/eventToken\n", "DELETE /telephony/*/eventToken\n"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q", want)
		}
	}
	// Click-to-call is asked for by default: the relay places calls.
	if !strings.Contains(stderr, "POST   /telephony/*/line/*/click2Call\n") {
		t.Errorf("credential: stderr does not list the click2Call rule:\n%s", stderr)
	}

	// Not validated yet.
	_, _, err = run(t, o.env(ck), "lines")
	wantError(t, err, ovhapi.CodeNoCredentials, "not validated")

	validate(t, validationURL)
	stdout, _, err = run(t, o.env(ck), "lines")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, line1) {
		t.Errorf("lines after validation: %q", stdout)
	}

	// The default adds that rule to AccessRules, and only it.
	if got, want := strings.Count(stderr, "\n  GET")+strings.Count(stderr, "\n  POST")+strings.Count(stderr, "\n  DELETE"), len(ovhapi.AccessRules())+1; got != want {
		t.Errorf("credential lists %d rules, want %d", got, want)
	}
	// -click2call=false leaves it out.
	_, stderr, err = run(t, o.env(""), "credential", "-click2call=false", "-redirect", "https://crm.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr, "click2Call") {
		t.Errorf("click-to-call requested with -click2call=false:\n%s", stderr)
	}
}

func TestCommandLines(t *testing.T) {
	o := newTestOVH(t)
	ck := o.credential(t, nil)
	stdout, stderr, err := run(t, o.env(ck), "lines")
	if err != nil {
		t.Fatal(err)
	}
	want := ba1 + "\n  " + line1 + "\n  " + line2 + "\n  " + queue1 + "\n" + ba2 + "\n  " + line3 + "\n"
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	if !strings.Contains(stderr, "screenpop-relay ovh token create -line "+line1) || !strings.Contains(stderr, "-billing-account "+ba1) {
		t.Errorf("stderr does not say how to create a token:\n%s", stderr)
	}
}

func TestCommandToken(t *testing.T) {
	o := newTestOVH(t)
	env := o.env(o.credential(t, nil))
	for _, tc := range []struct {
		name  string
		flags []string
		scope string // as messages name it
	}{
		{"line", []string{"-line", line1}, "line " + line1 + " (billing account " + ba1 + ")"},
		{"national number", []string{"-line", "022 555 00 00"}, "line " + line3 + " (billing account " + ba2 + ")"},
		{"billing account", []string{"-billing-account", ba1}, "billing account " + ba1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, exp := range append([]string{""}, ovhapi.Expirations...) {
				args := append([]string{"token", "create"}, tc.flags...)
				if exp != "" {
					args = append(args, "-expiration", exp)
				} else {
					exp = ovhapi.DefaultExpiration
				}
				stdout, stderr, err := run(t, env, args...)
				if err != nil {
					t.Fatal(err)
				}
				if !tokenLine.MatchString(stdout) {
					t.Fatalf("stdout %q is not a token alone", stdout)
				}
				token := strings.TrimSpace(stdout)
				for _, want := range []string{tc.scope, "expiration " + exp, "SCREENPOP_OVH_TOKEN=<token> screenpop-relay", "screenpop-relay ovh token revoke"} {
					if !strings.Contains(stderr, want) {
						t.Errorf("stderr does not say %q:\n%s", want, stderr)
					}
				}
				if strings.Contains(stderr, token) {
					t.Errorf("the token is on stderr too")
				}
				expires, ok := o.sim.TokenExpiry(token)
				if !ok || (ovhsim.Expirations[exp] == 0) != expires.IsZero() {
					t.Errorf("-expiration %q: the emulator has the token %v, expiring at %v", exp, ok, expires)
				}

				shown, _, err := run(t, env, append([]string{"token", "show"}, tc.flags...)...)
				if err != nil || shown != stdout {
					t.Errorf("token show = %q, %v; want %q", shown, err, stdout)
				}

				stdout, _, err = run(t, env, append([]string{"token", "revoke"}, tc.flags...)...)
				if err != nil || stdout != "Revoked the event token of "+tc.scope+"\n" {
					t.Errorf("token revoke = %q, %v", stdout, err)
				}
				if _, ok := o.sim.TokenExpiry(token); ok {
					t.Errorf("the token is still valid after revoke")
				}

				_, _, err = run(t, env, append([]string{"token", "show"}, tc.flags...)...)
				if err == nil || !strings.Contains(err.Error(), tc.scope+" has no event token: create one with `screenpop-relay ovh token create") {
					t.Errorf("token show after revoke: %v", err)
				}
				stdout, _, err = run(t, env, append([]string{"token", "revoke"}, tc.flags...)...)
				if err != nil || stdout != tc.scope+" has no event token: nothing to revoke\n" {
					t.Errorf("second token revoke = %q, %v", stdout, err)
				}
			}
		})
	}
}

func TestCommandBadInput(t *testing.T) {
	o := newTestOVH(t)
	env := o.env(o.credential(t, nil))
	for _, tc := range []struct {
		args []string
		says []string
	}{
		{nil, []string{"missing command", "credential", "lines", "token"}},
		{[]string{"frob"}, []string{`unknown command "frob"`, "screenpop-relay ovh -h"}},
		{[]string{"token"}, []string{"missing token command", "create", "show", "revoke"}},
		{[]string{"token", "delete"}, []string{`unknown token command "delete"`, "create, show or revoke"}},
		{[]string{"token", "create"}, []string{"say which token", "-line", "-billing-account", "screenpop-relay ovh lines"}},
		{[]string{"token", "show"}, []string{"say which token"}},
		{[]string{"token", "revoke"}, []string{"say which token"}},
		{[]string{"token", "create", "-line", line1, "-billing-account", ba1}, []string{"-line or -billing-account, not both"}},
		{[]string{"token", "revoke", "-line", line1, "-billing-account", ba1}, []string{"not both"}},
		{[]string{"token", "create", "-line", line1, "-expiration", "1 days"}, []string{`expiration "1 days" is not one of "5 minutes", "1 hour", "1 day", "30 days", "unlimited"`, `did you mean "1 day"?`}},
		{[]string{"token", "create", "-line", line1, "-expiration", "1", "day"}, []string{`quote the expiration, it has a space: -expiration "1 day"`}},
		{[]string{"token", "create", line1}, []string{`unexpected argument "` + line1 + `"`, "-line"}},
		{[]string{"lines", "now"}, []string{`unexpected argument "now"`}},
		{[]string{"credential", "-redirect"}, []string{"flag needs an argument"}},
		{[]string{"lines", "-endpoint", "ovh-xx"}, []string{`unknown OVH endpoint "ovh-xx"`, "ovh-eu, ovh-ca or ovh-us"}},
	} {
		before := o.apiCalls()
		_, _, err := run(t, env, tc.args...)
		if err == nil {
			t.Errorf("ovh %q: no error", tc.args)
			continue
		}
		for _, s := range tc.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("ovh %q: error %q does not say %q", tc.args, err, s)
			}
		}
		if n := o.apiCalls() - before; n != 0 {
			t.Errorf("ovh %q: %d API calls for bad input, want 0", tc.args, n)
		}
	}

	// Names OVH does not know: the error says how to list them.
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"token", "create", "-line", "0033100000000"}, "no such line in billing accounts " + ba1 + ", " + ba2},
		{[]string{"token", "create", "-billing-account", "zz99999-ovh-9"}, "no billing account zz99999-ovh-9"},
		{[]string{"token", "show", "-billing-account", "zz99999-ovh-9"}, "no billing account zz99999-ovh-9"},
		{[]string{"token", "revoke", "-billing-account", "zz99999-ovh-9"}, "no billing account zz99999-ovh-9"},
	} {
		_, _, err := run(t, env, tc.args...)
		wantError(t, err, ovhapi.CodeNotFound, tc.says, "list them with `screenpop-relay ovh lines`")
	}
}

func TestCommandHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		says []string
	}{
		{[]string{"-h"}, []string{"Usage: screenpop-relay ovh <command>", "credential", "token create", "https://eu.api.ovh.com/createApp/", "OVH_CONSUMER_KEY", "-endpoint"}},
		{[]string{"help"}, []string{"Usage: screenpop-relay ovh <command>"}},
		{[]string{"credential", "-h"}, []string{"Usage: screenpop-relay ovh credential", "-redirect", "-click2call", "-endpoint"}},
		{[]string{"lines", "-help"}, []string{"Usage: screenpop-relay ovh lines", "-endpoint"}},
		{[]string{"token", "-h"}, []string{"Usage: screenpop-relay ovh token create|show|revoke"}},
		{[]string{"token", "create", "-h"}, []string{"Usage: screenpop-relay ovh token create", "-line", "-billing-account", "-expiration", `"30 days"`, `(default "unlimited")`}},
		{[]string{"token", "show", "-h"}, []string{"Usage: screenpop-relay ovh token show", "-line"}},
		{[]string{"token", "revoke", "-h"}, []string{"Usage: screenpop-relay ovh token revoke", "-billing-account"}},
	} {
		stdout, stderr, err := run(t, nil, tc.args...)
		if err != nil {
			t.Errorf("ovh %q: %v", tc.args, err)
		}
		if stdout != "" {
			t.Errorf("ovh %q: help on stdout", tc.args)
		}
		for _, s := range tc.says {
			if !strings.Contains(stderr, s) {
				t.Errorf("ovh %q: help does not say %q:\n%s", tc.args, s, stderr)
			}
		}
	}
}

func TestCommandEndpointFlag(t *testing.T) {
	o := newTestOVH(t)
	ck := o.credential(t, nil)
	env := o.env(ck)
	env["OVH_ENDPOINT"] = closedEndpoint(t)

	_, _, err := run(t, env, "lines")
	wantError(t, err, ovhapi.CodeUnavailable, "cannot reach the OVH API at "+env["OVH_ENDPOINT"])

	for _, args := range [][]string{
		{"lines", "-endpoint", o.endpoint},
		{"-endpoint", o.endpoint, "lines"},
	} {
		stdout, _, err := run(t, env, args...)
		if err != nil || !strings.Contains(stdout, line3) {
			t.Errorf("ovh %q = %q, %v", args, stdout, err)
		}
	}
	stdout, stderr, err := run(t, env, "-endpoint", o.endpoint, "token", "create", "-billing-account", ba2)
	if err != nil || !tokenLine.MatchString(stdout) {
		t.Fatalf("token create with -endpoint = %q, %v", stdout, err)
	}
	if want := "screenpop-relay ovh token revoke -billing-account " + ba2 + " -endpoint " + o.endpoint; !strings.Contains(stderr, want) {
		t.Errorf("the revoke hint does not keep -endpoint: want %q in\n%s", want, stderr)
	}
}

func TestCommandCredentials(t *testing.T) {
	o := newTestOVH(t)

	_, _, err := run(t, nil, "lines")
	if err == nil || !strings.Contains(err.Error(), "OVH_APPLICATION_KEY") || !strings.Contains(err.Error(), "https://eu.api.ovh.com/createApp/") {
		t.Errorf("lines without credentials: %v", err)
	}
	_, _, err = run(t, map[string]string{"OVH_ENDPOINT": o.endpoint}, "credential")
	if err == nil || !strings.Contains(err.Error(), "OVH_APPLICATION_SECRET") {
		t.Errorf("credential without an application: %v", err)
	}

	// An application but no consumer key yet.
	_, _, err = run(t, o.env(""), "token", "create", "-billing-account", ba1)
	wantError(t, err, ovhapi.CodeNoCredentials, "no OVH consumer key", "screenpop-relay ovh credential")

	// A consumer key without the token rules.
	ck := o.credential(t, []ovh.AccessRule{{Method: "GET", Path: "/telephony"}, {Method: "GET", Path: "/telephony/*/service"}})
	_, _, err = run(t, o.env(ck), "token", "create", "-line", line2)
	wantError(t, err, ovhapi.CodeNotGranted, "the consumer key lacks the access rule POST /telephony/*/service/*/eventToken", "screenpop-relay ovh credential")
	_, _, err = run(t, o.env(ck), "token", "show", "-billing-account", ba1)
	wantError(t, err, ovhapi.CodeNotGranted, "the consumer key lacks the access rule GET /telephony/*/eventToken")
}

// TestCommandFlagError: a bad flag is reported once, by the error, with
// one line on getting help; the usage is printed only when asked for.
func TestCommandFlagError(t *testing.T) {
	for _, args := range [][]string{
		{"-frob"},
		{"lines", "-frob"},
		{"credential", "-frob"},
		{"token", "create", "-frob"},
	} {
		_, stderr, err := run(t, nil, args...)
		if err == nil {
			t.Errorf("ovh %q: no error", args)
			continue
		}
		if !strings.Contains(err.Error(), "flag provided but not defined: -frob") || !strings.Contains(err.Error(), "-h` for help.") {
			t.Errorf("ovh %q: error %q does not name the flag and how to get help", args, err)
		}
		if stderr != "" {
			t.Errorf("ovh %q: printed %q besides the error, want nothing", args, stderr)
		}
	}
}
