package ovhapi

import (
	"context"

	"github.com/ovh/go-ovh/ovh"
)

// Click2Call has line call number through OVH's click-to-call (POST
// /telephony/{billingAccount}/line/{serviceName}/click2Call): OVH rings
// the line's phone first, then calls number from it. line is a line as
// LineScope takes it; number is in OVH's form (0033…). The line also
// gives the callingNumber (the line itself, which every line may show);
// intercom is left to the line's default (off), since only some phones
// can pick up by themselves.
//
// The consumer key needs Click2CallAccessRule on top of AccessRules
// (`screenpop-relay ovh credential` asks for it); without it the error's
// Code is CodeNotGranted.
func (c *Client) Click2Call(ctx context.Context, line, number string) error {
	what := "call " + number + " from line " + line
	if err := checkName("number", number); err != nil {
		return &Error{What: what, Code: CodeBadInput, Reason: err.Error(), Hint: "give the number in OVH's form, e.g. 0033123456789"}
	}
	scope, err := c.LineScope(ctx, line)
	if err != nil {
		return err
	}
	body := map[string]any{"calledNumber": number, "callingNumber": scope.Service}
	return c.do(ctx, call{
		what:   what,
		method: "POST", path: "/telephony/" + scope.BillingAccount + "/line/" + scope.Service + "/click2Call", rule: click2CallRule.Path,
		notFound: func(*ovh.APIError) *Error {
			return &Error{Code: CodeNotFound, Reason: scope.Service + " is not a phone line of billing account " + scope.BillingAccount + " (a queue cannot call)", Hint: listHint}
		},
	}, body, nil)
}

// ErrorCode is e's Code as a plain string, for callers that tell errors
// apart without importing this package (the relay's Dialer).
func (e *Error) ErrorCode() string { return string(e.Code) }
