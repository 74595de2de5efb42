package crm

import (
	"errors"
	"fmt"
)

// ErrorKind says what went wrong with the CRM, for health and metrics:
// each kind has one thing to do about it.
type ErrorKind string

const (
	ErrUnreachable ErrorKind = "unreachable" // no answer: the CRM is down, or the URL is wrong
	ErrServer      ErrorKind = "server"      // a 5xx: the CRM is failing
	ErrCredentials ErrorKind = "credentials" // the login was refused
	ErrAnswer      ErrorKind = "answer"      // an answer that is not the API's (an HTML page, a proxy's error)
	ErrTimeout     ErrorKind = "timeout"     // the call's deadline passed
)

// Error is a CRM failure of a known kind. Its message says what to do.
type Error struct {
	Kind ErrorKind
	Err  error
}

func (e *Error) Error() string { return "crm: " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a CRM error, or "" for another error.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var f *FaultError
	if errors.As(err, &f) {
		if f.Number == v4InvalidLogin {
			return ErrCredentials
		}
		return ErrAnswer
	}
	return ""
}

// snippet is the start of an answer, for an error message.
func snippet(body []byte) string {
	const max = 120
	s := string(body)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Sprintf("%q", s)
}
