package ovhapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/ovh/go-ovh/ovh"
)

// Code classifies an Error: programs (the relay renewing a token) decide
// on it, users read the message. Codes are stable.
type Code string

const (
	// CodeNoCredentials: the application key, its secret or the consumer
	// key is missing, unknown, not validated or expired. Retrying will
	// not help; a person must act.
	CodeNoCredentials Code = "no-credentials"
	// CodeNotGranted: the consumer key works but lacks the access rule of
	// the call (Error.Reason names it).
	CodeNotGranted Code = "not-granted"
	// CodeNotFound: no such billing account or line.
	CodeNotFound Code = "not-found"
	// CodeBadInput: a bad expiration, line or billing account name, or a
	// request OVH rejected as malformed.
	CodeBadInput Code = "bad-input"
	// CodeClock: OVH says the request's timestamp is too far from its
	// clock.
	CodeClock Code = "clock"
	// CodeUnavailable: the OVH API could not be reached, or failed (5xx,
	// 429). Trying again later may work.
	CodeUnavailable Code = "unavailable"
	// CodeOther: anything else (an unexpected answer).
	CodeOther Code = "other"
)

// Error is a failed OVH API call, explained: what was attempted, what went
// wrong and what to do. It never holds a secret: no application secret,
// consumer key or event token.
type Error struct {
	What   string // what was attempted: "create the event token of line 0033… (billing account …)"
	Code   Code
	Reason string // what went wrong, in the user's words
	Hint   string // what to do about it
	Err    error  // the *ovh.APIError or network error, when there is one
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("cannot ")
	b.WriteString(e.What)
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	var apiErr *ovh.APIError
	switch {
	case errors.As(e.Err, &apiErr):
		fmt.Fprintf(&b, " (OVH API: %d %q", apiErr.Code, apiErr.Message)
		if apiErr.QueryID != "" {
			fmt.Fprintf(&b, ", query ID %s", apiErr.QueryID)
		}
		b.WriteString(")")
	case e.Err != nil && !errors.Is(e.Err, ErrNoEventToken):
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNoEventToken is returned (wrapped) by RevokeEventToken when the line
// or billing account exists but has no event token.
var ErrNoEventToken = errors.New("no event token")

// credentialHint is what to do when the consumer key is the problem.
const credentialHint = "request a new consumer key with `screenpop-relay ovh credential`, open the validation URL it prints, then set OVH_CONSUMER_KEY"

// call is one OVH API call, with what the user needs to read when it
// fails.
type call struct {
	what   string // "list the lines of billing account …"
	method string
	path   string // the real path, under /1.0
	rule   string // the access rule path that grants it ("/telephony/*/service")
	// notFound explains a 404 (what does not exist, what to do); nil: a
	// generic message.
	notFound func(*ovh.APIError) *Error
}

// do makes a signed call; body and out are JSON-encoded and decoded.
func (c *Client) do(ctx context.Context, k call, body, out any) error {
	if err := c.needConsumerKey(k.what); err != nil {
		return err
	}
	if err := c.api.CallAPIWithContext(ctx, k.method, k.path, body, out, true); err != nil {
		return c.explain(err, k)
	}
	return nil
}

// explain turns a go-ovh error into an *Error saying what to do. OVH's
// authentication errors carry an errorCode that go-ovh drops, so they are
// told apart by status and message, as the real API words them.
func (c *Client) explain(err error, k call) *Error {
	e := &Error{What: k.what, Err: err}
	var apiErr *ovh.APIError
	if !errors.As(err, &apiErr) {
		var urlErr *url.Error
		var netErr net.Error
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			e.Code, e.Reason = CodeUnavailable, "interrupted before OVH answered"
		case errors.As(err, &urlErr), errors.As(err, &netErr):
			e.Code = CodeUnavailable
			e.Reason = "cannot reach the OVH API at " + c.Endpoint()
			e.Hint = "check the network and the endpoint (-endpoint or OVH_ENDPOINT: ovh-eu, ovh-ca, ovh-us or the API's URL), then try again"
		default:
			e.Code, e.Reason = CodeOther, "unexpected answer from the OVH API at "+c.Endpoint()
		}
		return e
	}
	msg := strings.ToLower(apiErr.Message)
	switch {
	case apiErr.Code == 404:
		if k.notFound != nil {
			nf := k.notFound(apiErr)
			nf.What, nf.Err = k.what, err
			return nf
		}
		e.Code, e.Reason, e.Hint = CodeNotFound, "OVH has no such object", listHint
	case strings.Contains(msg, "not been granted"):
		e.Code = CodeNotGranted
		if c.usesConsumerKey() {
			e.Reason = fmt.Sprintf("the consumer key lacks the access rule %s %s", k.method, k.rule)
			e.Hint = credentialHint
		} else {
			e.Reason = fmt.Sprintf("these OVH credentials may not call %s %s", k.method, k.rule)
			e.Hint = "grant it to the OAuth2 client in OVHcloud IAM, or use an application key with `screenpop-relay ovh credential`"
		}
	case strings.Contains(msg, "application key") || strings.Contains(msg, "invalid key"):
		e.Code = CodeNoCredentials
		e.Reason = "OVH does not know the application key"
		e.Hint = "check OVH_APPLICATION_KEY and the endpoint (an application of ovh-eu does not exist on ovh-ca or ovh-us); create one at " + createAppURLs[0].url + " (ovh-eu)"
	case strings.Contains(msg, "credential does not exist"):
		e.Code = CodeNoCredentials
		e.Reason = "OVH does not know the consumer key (deleted, or made for another application or endpoint)"
		e.Hint = credentialHint
	case strings.Contains(msg, "credential is not valid"):
		e.Code = CodeNoCredentials
		e.Reason = "the consumer key is not validated yet, or has expired"
		e.Hint = "open the validation URL that `screenpop-relay ovh credential` printed and validate it, or " + credentialHint
	case strings.Contains(msg, "signature"):
		e.Code = CodeNoCredentials
		e.Reason = "OVH rejected the request's signature"
		e.Hint = "check that OVH_APPLICATION_SECRET is the secret of OVH_APPLICATION_KEY"
	case strings.Contains(msg, "out of time") || strings.Contains(msg, "timestamp"):
		e.Code = CodeClock
		e.Reason = "OVH says this machine's clock is off"
		e.Hint = "synchronise the clock (NTP), then try again"
	case apiErr.Code == 401 || apiErr.Code == 403:
		e.Code = CodeNoCredentials
		e.Reason = "OVH refused the credentials"
		e.Hint = credentialHint
	case apiErr.Code == 429 || apiErr.Code >= 500:
		e.Code, e.Reason, e.Hint = CodeUnavailable, "the OVH API is failing", "try again later"
	case apiErr.Code == 400:
		e.Code, e.Reason = CodeBadInput, "OVH rejected the request"
	default:
		e.Code, e.Reason = CodeOther, "unexpected answer from the OVH API"
	}
	return e
}
