// Package ovhapi is the relay's side of the OVH API (/1.0): the consumer
// key it asks for, the lines it can watch and the event tokens it creates,
// shows, revokes and renews. It also holds the `screenpop-relay ovh …`
// subcommands (Command), so that they are tested here with the emulator
// (server/ovhsim) rather than in package main.
//
// Credentials follow github.com/ovh/go-ovh: OVH_ENDPOINT,
// OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY, or the
// same keys in ovh.conf. See shared/docs/ovh-events.md section 1 for the
// calls.
package ovhapi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/ovh/go-ovh/ovh"
)

// Client calls the OVH API for the relay. Create it with New or FromEnv.
// It is safe for concurrent use, except RequestConsumerKey, which changes
// the consumer key the client signs with.
type Client struct {
	api *ovh.Client
}

// New wraps a go-ovh client: for tests (ovh.NewClient pointed at the
// emulator) and for callers that configure go-ovh themselves.
func New(c *ovh.Client) *Client {
	return &Client{api: c}
}

// createAppURLs says where to create an application (key and secret) for
// each OVHcloud API region.
var createAppURLs = []struct{ name, url string }{
	{"ovh-eu", "https://eu.api.ovh.com/createApp/"},
	{"ovh-ca", "https://ca.api.ovh.com/createApp/"},
	{"ovh-us", "https://api.us.ovhcloud.com/createApp/"},
}

// FromEnv creates a client the way go-ovh's NewDefaultClient does: from
// the OVH_* environment variables, then ./ovh.conf, ~/.ovh.conf and
// /etc/ovh.conf. endpointOverride, when not empty, replaces OVH_ENDPOINT
// (ovh-eu, ovh-ca, ovh-us or the API's URL, e.g.
// https://eu.api.ovh.com/1.0).
//
// The consumer key may be missing: RequestConsumerKey only needs the
// application key and secret. The other calls then fail with an error
// saying how to get one.
func FromEnv(endpointOverride string) (*Client, error) {
	endpoint := strings.TrimRight(strings.TrimSpace(endpointOverride), "/")
	if endpoint == "" {
		endpoint = strings.TrimRight(strings.TrimSpace(os.Getenv("OVH_ENDPOINT")), "/")
	}
	if endpoint != "" && !strings.Contains(endpoint, "/") {
		if _, ok := ovh.Endpoints[endpoint]; !ok {
			return nil, fmt.Errorf("unknown OVH endpoint %q: use ovh-eu, ovh-ca or ovh-us (or the API's URL, e.g. %s) in -endpoint or OVH_ENDPOINT", endpoint, ovh.OvhEU)
		}
	}
	// An empty endpoint lets go-ovh read the [default] section of ovh.conf
	// (and fall back to ovh-eu).
	api, err := ovh.NewClient(endpoint, "", "", "")
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "missing authentication"):
			return nil, missingCredentials(endpoint, "")
		case strings.Contains(msg, "application_key and application_secret"):
			return nil, missingCredentials(endpoint, "only one of the application key and secret is set")
		}
		return nil, fmt.Errorf("cannot set up the OVH API client: %v", err)
	}
	if api.AppKey == "" && api.ClientID == "" && api.AccessToken == "" {
		// Only a consumer key: go-ovh accepts it but would send unsigned
		// calls.
		return nil, missingCredentials(endpoint, "a consumer key is set but no application key and secret")
	}
	return &Client{api: api}, nil
}

// missingCredentials says which variables (or ovh.conf keys) to set and
// where to get them.
func missingCredentials(endpoint, what string) error {
	if what == "" {
		what = "no OVH API credentials"
	}
	section := endpoint
	if section == "" {
		section = "ovh-eu"
	}
	var apps []string
	for _, a := range createAppURLs {
		apps = append(apps, a.url+" ("+a.name+")")
	}
	return fmt.Errorf("%s: set OVH_APPLICATION_KEY and OVH_APPLICATION_SECRET "+
		"(or application_key and application_secret in the [%s] section of ./ovh.conf, ~/.ovh.conf or /etc/ovh.conf); "+
		"to get them, create an application at %s, "+
		"then run `screenpop-relay ovh credential` to get the consumer key (OVH_CONSUMER_KEY)",
		what, section, strings.Join(apps, ", "))
}

// Endpoint is the base URL of the OVH API the client calls.
func (c *Client) Endpoint() string { return c.api.Endpoint() }

// usesConsumerKey reports whether calls are signed with an application
// key and a consumer key (rather than an OAuth2 client or access token,
// which go-ovh also supports and which need no consumer key).
func (c *Client) usesConsumerKey() bool { return c.api.AppKey != "" }

// needConsumerKey fails early, with what to do, when signed calls could
// not succeed for want of a consumer key.
func (c *Client) needConsumerKey(what string) error {
	if c.usesConsumerKey() && c.api.ConsumerKey == "" {
		return &Error{
			What:   what,
			Code:   CodeNoCredentials,
			Reason: "no OVH consumer key",
			Hint:   "run `screenpop-relay ovh credential`, open the validation URL it prints, then set OVH_CONSUMER_KEY (or consumer_key in ovh.conf)",
		}
	}
	return nil
}

// Access rules. Each path is relative to /1.0; in OVH's rules "*" matches
// any run of characters, "/" included.
var (
	ruleBillingAccounts = ovh.AccessRule{Method: "GET", Path: "/telephony"}
	ruleServices        = ovh.AccessRule{Method: "GET", Path: "/telephony/*/service"}
	accountTokenPath    = "/telephony/*/eventToken"
	lineTokenPath       = "/telephony/*/service/*/eventToken"
	click2CallRule      = ovh.AccessRule{Method: "POST", Path: "/telephony/*/line/*/click2Call"}
)

// AccessRules are exactly the OVH API calls the relay makes, and nothing
// else: list the billing accounts (GET /telephony) and their lines (GET
// /telephony/*/service), and get, create and delete the event token of a
// billing account (/telephony/*/eventToken) or of a line
// (/telephony/*/service/*/eventToken).
//
// Because OVH's "*" also matches "/", the billing-account rules already
// cover the line paths; the line rules are kept so that the key works
// whichever way OVH matches and so that the validation page shows, call
// by call, what is granted. They grant nothing more.
//
// Click-to-call is not included: a key that can only read line names and
// manage event tokens cannot place calls (which cost money).
// Click2CallAccessRule adds it; `screenpop-relay ovh credential` asks for
// it too unless -click2call=false.
func AccessRules() []ovh.AccessRule {
	var rules []ovh.AccessRule
	rules = append(rules, ruleBillingAccounts, ruleServices)
	for _, path := range []string{accountTokenPath, lineTokenPath} {
		for _, m := range []string{"GET", "POST", "DELETE"} {
			rules = append(rules, ovh.AccessRule{Method: m, Path: path})
		}
	}
	return rules
}

// Click2CallAccessRule is the extra rule for click-to-call (POST
// /telephony/*/line/*/click2Call: a line calls a number), which the
// relay's POST /v1/dial uses (Client.Click2Call).
func Click2CallAccessRule() ovh.AccessRule { return click2CallRule }

// RequestConsumerKey asks OVH for a consumer key granted rules (nil:
// AccessRules()). The key is usable once the user opens validationURL,
// logs in with the OVH account that owns the lines and validates it; OVH
// then sends the browser to redirect, when not empty. The client uses the
// new key for its next calls.
//
// Only the application key is sent (the call is not signed).
func (c *Client) RequestConsumerKey(ctx context.Context, redirect string, rules []ovh.AccessRule) (consumerKey, validationURL string, err error) {
	const what = "request an OVH consumer key"
	if rules == nil {
		rules = AccessRules()
	}
	if c.api.AppKey == "" {
		return "", "", &Error{What: what, Code: CodeNoCredentials,
			Reason: "no OVH application key (a consumer key belongs to an application)",
			Hint:   "set OVH_APPLICATION_KEY and OVH_APPLICATION_SECRET; create an application at " + createAppURLs[0].url + " (ovh-eu)"}
	}
	req := c.api.NewCkRequestWithRedirection(redirect)
	req.AccessRules = append(req.AccessRules, rules...)
	var state ovh.CkValidationState
	if err := c.api.PostUnAuthWithContext(ctx, "/auth/credential", req, &state); err != nil {
		return "", "", c.explain(err, call{what: what, method: "POST", rule: "/auth/credential"})
	}
	if state.ConsumerKey == "" || state.ValidationURL == "" {
		return "", "", &Error{What: what, Code: CodeOther, Reason: "OVH answered without a consumer key or validation URL", Hint: "try again later"}
	}
	c.api.ConsumerKey = state.ConsumerKey
	return state.ConsumerKey, state.ValidationURL, nil
}

// BillingAccounts lists the account's telephony billing accounts
// ("ab12345-ovh-1"), sorted.
func (c *Client) BillingAccounts(ctx context.Context) ([]string, error) {
	var out []string
	err := c.do(ctx, call{
		what:   "list the telephony billing accounts",
		method: "GET", path: "/telephony", rule: ruleBillingAccounts.Path,
	}, nil, &out)
	if err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// Services lists the services of a billing account, sorted: its lines
// ("0033972101010"), hunting queues and other numbers. These are the
// service names of line-level event tokens.
func (c *Client) Services(ctx context.Context, billingAccount string) ([]string, error) {
	what := "list the lines of billing account " + billingAccount
	if err := checkName("billing account", billingAccount); err != nil {
		return nil, &Error{What: what, Code: CodeBadInput, Reason: err.Error(), Hint: listHint}
	}
	var out []string
	err := c.do(ctx, call{
		what:   what,
		method: "GET", path: "/telephony/" + billingAccount + "/service", rule: ruleServices.Path,
		notFound: func(*ovh.APIError) *Error {
			return &Error{Code: CodeNotFound, Reason: "no billing account " + billingAccount, Hint: listHint}
		},
	}, nil, &out)
	if err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// BillingAccount is a billing account and its services (lines, queues).
type BillingAccount struct {
	Name     string   `json:"billingAccount"`
	Services []string `json:"services"`
}

// Lines lists every billing account with its services, sorted by name.
func (c *Client) Lines(ctx context.Context) ([]BillingAccount, error) {
	names, err := c.BillingAccounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]BillingAccount, 0, len(names))
	for _, name := range names {
		services, err := c.Services(ctx, name)
		if err != nil {
			return nil, err
		}
		out = append(out, BillingAccount{Name: name, Services: services})
	}
	return out, nil
}

// LineScope finds the billing account of a line and returns the line's
// token scope. line is a service name as OVH gives it ("0033972101010");
// "+33 9 72 10 10 10" and, when it matches a single line, the national
// form "0972101010" are accepted too.
func (c *Client) LineScope(ctx context.Context, line string) (Scope, error) {
	what := "find line " + line
	want := normalizeNumber(line)
	if want == "" {
		return Scope{}, &Error{What: what, Code: CodeBadInput, Reason: "no line number given", Hint: listHint}
	}
	accounts, err := c.Lines(ctx)
	if err != nil {
		return Scope{}, err
	}
	var exact, national []Scope
	for _, ba := range accounts {
		for _, s := range ba.Services {
			switch {
			case s == line || normalizeNumber(s) == want:
				exact = append(exact, Scope{BillingAccount: ba.Name, Service: s})
			case nationalMatch(want, normalizeNumber(s)):
				national = append(national, Scope{BillingAccount: ba.Name, Service: s})
			}
		}
	}
	if len(exact) == 1 {
		return exact[0], nil
	}
	if len(exact) == 0 && len(national) == 1 {
		return national[0], nil
	}
	if len(exact)+len(national) > 1 {
		var names []string
		for _, s := range append(exact, national...) {
			names = append(names, s.String())
		}
		return Scope{}, &Error{What: what, Code: CodeBadInput,
			Reason: "several lines match: " + strings.Join(names, ", "),
			Hint:   "give the number as OVH lists it, with -billing-account if needed (see `screenpop-relay ovh lines`)"}
	}
	reason := "no such line in billing accounts " + strings.Join(accountNames(accounts), ", ")
	if len(accounts) == 0 {
		reason = "this OVH account has no telephony billing account"
	}
	return Scope{}, &Error{What: what, Code: CodeNotFound, Reason: reason, Hint: listHint}
}

func accountNames(accounts []BillingAccount) []string {
	var out []string
	for _, a := range accounts {
		out = append(out, a.Name)
	}
	return out
}

// normalizeNumber keeps the digits of a number, "+" becoming "00".
func normalizeNumber(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteString("00")
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return s // not a number: compare as given
		}
	}
	return b.String()
}

// nationalMatch reports whether want, a national number ("0972101010"),
// is the international service name have ("0033972101010") without its
// country code.
func nationalMatch(want, have string) bool {
	if len(want) < 6 || !strings.HasPrefix(want, "0") || strings.HasPrefix(want, "00") || !strings.HasPrefix(have, "00") {
		return false
	}
	rest := have[2:]
	sub := want[1:]
	// Country codes have 1 to 3 digits.
	for cc := 1; cc <= 3 && cc < len(rest); cc++ {
		if rest[cc:] == sub {
			return true
		}
	}
	return false
}

const listHint = "list them with `screenpop-relay ovh lines`"

// checkName rejects names that would change the API path.
func checkName(kind, name string) error {
	if name == "" {
		return errors.New("no " + kind + " given")
	}
	if strings.ContainsAny(name, "/?#%\\ \t\r\n") {
		return fmt.Errorf("%s %q has characters OVH names never have", kind, name)
	}
	return nil
}
