package relay

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/phone/parse"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/store"
)

// Click-to-call, authenticated like the history (Bearer):
//
//	POST /v1/dial {"line":"0033…","number":"01 23 45 67 89"}  the line calls the number
//
// The relay places the call through OVH's click-to-call API with its own
// OVH credentials (Config.Dialer), from one of the agent's own lines
// only: OVH rings the agent's phone, then the number, and the call comes
// on the stream as the line's outbound call.

// Dialer places calls through OVH's click-to-call API: server/ovhapi's
// Client, which main passes. line is a line as the agent's lines name
// it, number is in OVH's form (0033…). An error may say its kind with an
// ErrorCode() string method, ovhapi's codes: "not-granted", "not-found",
// "bad-input", "no-credentials", "unavailable", …
type Dialer interface {
	Click2Call(ctx context.Context, line, number string) error
}

// dialTimeout bounds the OVH API calls of one click-to-call (finding the
// line's billing account, then the call): the extension's request must
// not outlive Chrome's 30 s for a worker's fetch.
const dialTimeout = 15 * time.Second

var (
	errDialAnonymous = &apiError{http.StatusForbidden, stream.CodeAnonymous,
		"an anonymous agent has no line of its own to call from; ask the relay's administrator for a connection string (`screenpop-relay agent add NAME --lines …`)", 0}
	errNoDialer = &apiError{http.StatusServiceUnavailable, stream.CodeNoOVHAPI,
		"this relay has no OVH API credentials, so it cannot place calls; its administrator must set OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY (a credential with click-to-call: `screenpop-relay ovh credential`) and restart it", 0}
	errNotGranted = &apiError{http.StatusForbidden, stream.CodeNotGranted,
		"the relay's OVH credential may not place calls; its administrator must create the credential with click-to-call: `screenpop-relay ovh credential` (it asks for POST /telephony/*/line/*/click2Call), open the validation URL, set OVH_CONSUMER_KEY to the new key and restart the relay", 0}
	errBadNumber = &apiError{http.StatusBadRequest, stream.CodeBadNumber,
		"this is not a phone number", 0}
	errNoSuchLine = &apiError{http.StatusNotFound, stream.CodeNoSuchLine,
		"OVH has no such line", 0}
	errOVHFailed = &apiError{http.StatusBadGateway, stream.CodeOVHFailed,
		"OVH did not place the call", 0}
)

// serveDial is POST /v1/dial.
func (r *Relay) serveDial(w http.ResponseWriter, req *http.Request) {
	a, e := r.authRequest(req)
	if e != nil {
		writeError(w, e)
		return
	}
	if a.Anonymous {
		writeError(w, errDialAnonymous)
		return
	}
	var body stream.Dial
	if e := decodeBody(w, req, &body); e != nil {
		writeError(w, e)
		return
	}
	line, e := dialLine(a, strings.TrimSpace(body.Line))
	if e != nil {
		writeError(w, e)
		return
	}
	number, e := dialNumber(body.Number, r.cfg.Region)
	if e != nil {
		writeError(w, e)
		return
	}
	if r.cfg.Dialer == nil {
		writeError(w, errNoDialer)
		return
	}
	// OVH's form of the line: the agent's lines may be written +33…
	if n := parse.Number(line, r.cfg.Region); n.Kind == phone.Valid {
		line = n.Forms.Intl00
	}
	ctx, cancel := context.WithTimeout(req.Context(), dialTimeout)
	defer cancel()
	err := r.cfg.Dialer.Click2Call(ctx, line, number.Forms.Intl00)
	if err != nil {
		e := dialError(err, line, number)
		r.cfg.Log.Warn("click-to-call refused", "agent", a.Name, "line", maskNumber(line), "number", maskNumber(number.Forms.Intl00), "code", e.Code, "err", err)
		writeError(w, e)
		return
	}
	r.cfg.Log.Info("click-to-call placed", "agent", a.Name, "line", maskNumber(line), "number", maskNumber(number.Forms.Intl00))
	writeJSON(w, http.StatusOK, stream.Dialed{Line: line, Number: number})
}

// dialLine is the line agent a calls from: the one asked for, which must
// be one of a's own lines, or a's only line when none is asked for.
func dialLine(a Agent, line string) (string, *apiError) {
	all := slices.Contains(a.Lines, store.AllLines)
	if line == "" {
		switch {
		case len(a.Lines) == 1 && !all:
			return a.Lines[0], nil
		case all:
			return "", errBadRequest.with(`you see every line: say which one calls, {"line":"0033…","number":"…"}`)
		case len(a.Lines) == 0:
			return "", errUnknownLine.with("you have no line to call from; ask the relay's administrator to give you yours (`screenpop-relay agent lines %s --lines …`)", a.Name)
		}
		return "", errBadRequest.with(`you have several lines (%s): say which one calls, {"line":"%s","number":"…"}`, strings.Join(a.Lines, ", "), a.Lines[0])
	}
	if !a.Sees(line) {
		return "", errUnknownLine.with("line %s is not one of yours (%s): you can call only from your own lines; ask the relay's administrator to add it (`screenpop-relay agent lines %s --lines …`)",
			truncate(line, 24), strings.Join(a.Lines, ", "), a.Name)
	}
	return line, nil
}

// dialNumber parses the number to call; only a public number is dialled
// (OVH's click-to-call is sent its 00 form).
func dialNumber(raw, region string) (phone.Number, *apiError) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return phone.Number{}, errBadNumber.with(`no number to call: send {"number":"01 23 45 67 89"}`)
	}
	n := parse.Number(raw, region)
	switch n.Kind {
	case phone.Valid:
		return n, nil
	case phone.Internal:
		return n, errBadNumber.with("%s is an internal extension; click-to-call dials public numbers: write it with its area code (e.g. 01 23 45 67 89) or country code (+33 1 23 45 67 89)", truncate(raw, 24))
	case phone.Withheld:
		return n, errBadNumber.with("%q is not a number to call", truncate(raw, 24))
	}
	return n, errBadNumber.with("%q is not a phone number the relay can call (numbers without a country code are read as %s ones); write it like 01 23 45 67 89 or +33 1 23 45 67 89", truncate(raw, 40), region)
}

// dialError explains a Dialer error to the agent, by its kind.
func dialError(err error, line string, number phone.Number) *apiError {
	var coded interface{ ErrorCode() string }
	code := ""
	if errors.As(err, &coded) {
		code = coded.ErrorCode()
	}
	switch code {
	case "not-granted":
		return errNotGranted
	case "not-found":
		return errNoSuchLine.with("OVH has no phone line %s in the relay's account (a queue cannot call); ask the relay's administrator to check your lines against `screenpop-relay ovh lines`", maskNumber(line))
	case "bad-input":
		return errBadNumber.with("OVH refused to call %s from line %s: %v", number.Forms.Grouped, maskNumber(line), err)
	case "no-credentials":
		return errOVHFailed.with("OVH refused the relay's credentials; its administrator must renew them (`screenpop-relay ovh credential`, then OVH_CONSUMER_KEY) and restart the relay: %v", err)
	case "unavailable", "clock":
		return errOVHFailed.with("OVH could not place the call now; try again in a moment (%v)", err)
	}
	return errOVHFailed.with("OVH did not place the call: %v", err)
}
