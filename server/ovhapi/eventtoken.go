package ovhapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ovh/go-ovh/ovh"
)

// Scope is what an event token watches: one line, hunting queue or other
// service of a billing account (Service set), or every one of them, those
// added later included (Service empty).
type Scope struct {
	BillingAccount string // "ab12345-ovh-1"
	Service        string // "0033972101010"; empty: the whole billing account
}

// String names the scope for messages: "line 0033972101010 (billing
// account ab12345-ovh-1)" or "billing account ab12345-ovh-1".
func (s Scope) String() string {
	if s.Service == "" {
		return "billing account " + s.BillingAccount
	}
	return "line " + s.Service + " (billing account " + s.BillingAccount + ")"
}

func (s Scope) path() string {
	if s.Service == "" {
		return "/telephony/" + s.BillingAccount + "/eventToken"
	}
	return "/telephony/" + s.BillingAccount + "/service/" + s.Service + "/eventToken"
}

// rule is the access rule path that grants the scope's eventToken calls.
func (s Scope) rule() string {
	if s.Service == "" {
		return accountTokenPath
	}
	return lineTokenPath
}

func (s Scope) check() error {
	if err := checkName("billing account", s.BillingAccount); err != nil {
		return err
	}
	if s.Service != "" {
		return checkName("line", s.Service)
	}
	return nil
}

// Expirations are the lifetimes OVH accepts for an event token, shortest
// first. OVH takes exactly these strings, spaces included.
var Expirations = []string{"5 minutes", "1 hour", "1 day", "30 days", "unlimited"}

// DefaultExpiration is the lifetime `ovh token create` asks for by
// default: the relay has no OVH credentials at run time to renew its
// token, so a token that expires stops the screen pops until someone
// creates a new one. Revoke it with `ovh token revoke`.
const DefaultExpiration = "unlimited"

// ValidateExpiration checks that expiration is one of Expirations, and
// suggests the one meant when it is close ("1 days", "1d").
func ValidateExpiration(expiration string) error {
	if slices.Contains(Expirations, expiration) {
		return nil
	}
	msg := fmt.Sprintf("expiration %q is not one of %s (OVH accepts exactly these)", expiration, quotedExpirations())
	if s := suggestExpiration(expiration); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return errors.New(msg)
}

func quotedExpirations() string {
	q := make([]string, len(Expirations))
	for i, e := range Expirations {
		q[i] = fmt.Sprintf("%q", e)
	}
	return strings.Join(q, ", ")
}

var expirationAliases = map[string]string{
	"5m": "5 minutes", "5min": "5 minutes", "5mn": "5 minutes",
	"1h": "1 hour", "60minute": "1 hour", "60m": "1 hour",
	"1d": "1 day", "24h": "1 day", "24hour": "1 day",
	"30d": "30 days", "1month": "30 days",
	"never": "unlimited", "forever": "unlimited", "infinite": "unlimited", "none": "unlimited", "0": "unlimited",
}

// suggestExpiration returns the expiration that s probably means, or "".
func suggestExpiration(s string) string {
	key := func(x string) string {
		x = strings.ToLower(strings.Join(strings.Fields(x), ""))
		return strings.TrimSuffix(x, "s")
	}
	k := key(s)
	if k == "" {
		return ""
	}
	for _, e := range Expirations {
		if key(e) == k {
			return e
		}
	}
	return expirationAliases[k]
}

// CreateEventToken creates an event token for scope, valid for expiration
// (one of Expirations), and returns it: an upper-case UUID to give the
// relay. A scope's older tokens may stay valid; revoke them with
// RevokeEventToken.
func (c *Client) CreateEventToken(ctx context.Context, scope Scope, expiration string) (string, error) {
	what := "create an event token for " + scope.String()
	if err := scope.check(); err != nil {
		return "", &Error{What: "create an event token", Code: CodeBadInput, Reason: err.Error(), Hint: listHint}
	}
	if err := ValidateExpiration(expiration); err != nil {
		return "", &Error{What: what, Code: CodeBadInput, Reason: err.Error()}
	}
	var token string
	k := call{what: what, method: "POST", path: scope.path(), rule: scope.rule()}
	err := c.do(ctx, k, map[string]string{"expiration": expiration}, &token)
	if err != nil {
		return "", c.explainMissing(ctx, err, what, scope)
	}
	if token == "" {
		return "", &Error{What: what, Code: CodeOther, Reason: "OVH answered without a token", Hint: "try again later"}
	}
	return token, nil
}

// GetEventToken returns scope's current event token; found is false when
// it has none (OVH answers 404, and the billing account and line exist).
func (c *Client) GetEventToken(ctx context.Context, scope Scope) (token string, found bool, err error) {
	what := "get the event token of " + scope.String()
	if err := scope.check(); err != nil {
		return "", false, &Error{What: "get an event token", Code: CodeBadInput, Reason: err.Error(), Hint: listHint}
	}
	var answer struct {
		Token string `json:"token"`
	}
	k := call{what: what, method: "GET", path: scope.path(), rule: scope.rule()}
	if err := c.do(ctx, k, nil, &answer); err != nil {
		if isNotFound(err) {
			if m := c.missing(ctx, what, scope, err); m != nil {
				return "", false, m
			}
			return "", false, nil
		}
		return "", false, err
	}
	if answer.Token == "" {
		return "", false, nil
	}
	return answer.Token, true, nil
}

// RevokeEventToken deletes scope's event token: the event service stops
// answering polls made with it. When scope has none, the error wraps
// ErrNoEventToken.
func (c *Client) RevokeEventToken(ctx context.Context, scope Scope) error {
	what := "revoke the event token of " + scope.String()
	if err := scope.check(); err != nil {
		return &Error{What: "revoke an event token", Code: CodeBadInput, Reason: err.Error(), Hint: listHint}
	}
	k := call{what: what, method: "DELETE", path: scope.path(), rule: scope.rule()}
	if err := c.do(ctx, k, nil, nil); err != nil {
		if isNotFound(err) {
			if m := c.missing(ctx, what, scope, err); m != nil {
				return m
			}
			return &Error{What: what, Code: CodeNotFound, Reason: "it has none", Err: ErrNoEventToken}
		}
		return err
	}
	return nil
}

// RenewEventToken replaces scope's event token: it revokes the current
// one, if any, then creates one valid for expiration. The relay calls it
// when the event service has rejected its token; not on outages, since
// revoking a billing account's token also cuts off every other relay
// using it. Nothing is revoked when expiration or scope is invalid.
func (c *Client) RenewEventToken(ctx context.Context, scope Scope, expiration string) (string, error) {
	what := "renew the event token of " + scope.String()
	if err := scope.check(); err != nil {
		return "", &Error{What: "renew an event token", Code: CodeBadInput, Reason: err.Error(), Hint: listHint}
	}
	if err := ValidateExpiration(expiration); err != nil {
		return "", &Error{What: what, Code: CodeBadInput, Reason: err.Error()}
	}
	if err := c.RevokeEventToken(ctx, scope); err != nil && !errors.Is(err, ErrNoEventToken) {
		return "", err
	}
	return c.CreateEventToken(ctx, scope, expiration)
}

func isNotFound(err error) bool {
	var apiErr *ovh.APIError
	return errors.As(err, &apiErr) && apiErr.Code == 404
}

// explainMissing turns a 404 on scope's eventToken into "no billing account
// X" or "no line Y in X"; other errors are returned as they are.
func (c *Client) explainMissing(ctx context.Context, err error, what string, scope Scope) error {
	if !isNotFound(err) {
		return err
	}
	if m := c.missing(ctx, what, scope, err); m != nil {
		return m
	}
	return err
}

// missing says what part of scope does not exist, after a 404 on its
// eventToken: OVH answers 404 both for "no token" and for "no such
// billing account or line". It returns nil when both exist.
func (c *Client) missing(ctx context.Context, what string, scope Scope, notFound error) error {
	services, err := c.Services(ctx, scope.BillingAccount)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			again := *e
			again.What = what
			return &again
		}
		return err
	}
	if scope.Service == "" || slices.Contains(services, scope.Service) {
		return nil
	}
	return &Error{What: what, Code: CodeNotFound,
		Reason: fmt.Sprintf("billing account %s has no line %s", scope.BillingAccount, scope.Service),
		Hint:   listHint, Err: notFound}
}
