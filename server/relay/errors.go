package relay

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
)

// apiError is every answer the relay gives to a request it refuses: an
// HTTP status, a stable code (stream.Code*) that clients and tests match
// on, and a message, for people, that says what to do next. Over HTTP it
// is the body of the answer, as an error stream.Message; over WebSocket it
// is the last message before the relay closes the connection.
type apiError struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration // sent as Retry-After when set (429, 503)
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// with returns a copy of e whose message is formatted from format.
func (e *apiError) with(format string, args ...any) *apiError {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

func (e *apiError) message() []byte {
	b, _ := json.Marshal(stream.Message{Type: stream.TypeError, Error: &stream.Error{Code: e.Code, Message: e.Message}})
	return b
}

var (
	errBadCursor = &apiError{http.StatusBadRequest, stream.CodeBadCursor,
		"cursor must be the id of the last event received (a positive integer); reconnect without it to start from now", 0}
	errBadRequest = &apiError{http.StatusBadRequest, stream.CodeBadRequest,
		"the request is malformed", 0}
	errTooLarge = &apiError{http.StatusRequestEntityTooLarge, stream.CodeTooLarge,
		"the request body is too large; send only the fields the API documents", 0}
	errNoAuth = &apiError{http.StatusUnauthorized, stream.CodeNoAuth,
		"authenticate first: over WebSocket the first message must be {\"type\":\"auth\",\"secret\":\"sp_…\"}; over SSE and long-poll send the header Authorization: Bearer sp_…. The secret is in the connection string `screenpop-relay agent add` printed", 0}
	errBadSecret = &apiError{http.StatusUnauthorized, stream.CodeBadSecret,
		"this agent secret is not valid (mistyped, replaced by a newer one, or revoked); paste the connection string again, or ask the relay's administrator for a new one (`screenpop-relay agent rotate NAME`)", 0}
	errRotated = &apiError{http.StatusUnauthorized, stream.CodeBadSecret,
		"this agent was given a new secret; paste the new connection string in the extension's options", 0}
	errRevoked = &apiError{http.StatusUnauthorized, stream.CodeRevoked,
		"this agent was revoked by the relay's administrator; ask them for a new connection string", 0}
	errRateLimited = &apiError{http.StatusTooManyRequests, stream.CodeRateLimited,
		"too many wrong secrets from your address; wait a minute, then paste the connection string again", 0}
	errBadOrigin = &apiError{http.StatusForbidden, stream.CodeBadOrigin,
		"this relay only talks to the screenpop extension; a web page may not read calls", 0}
	errUnknownLine = &apiError{http.StatusForbidden, stream.CodeUnknownLine,
		"you do not see this line; ask the relay's administrator to add it (`screenpop-relay agent lines NAME --lines …`)", 0}
	errNotFound = &apiError{http.StatusNotFound, stream.CodeNotFound,
		"no such endpoint; the agent API is /v1/stream (WebSocket), /v1/sse, /v1/poll and /v1/calls", 0}
	errMethod = &apiError{http.StatusMethodNotAllowed, stream.CodeBadRequest,
		"method not allowed on this endpoint", 0}
	errAnonymous = &apiError{http.StatusForbidden, stream.CodeAnonymous,
		"an anonymous agent has no seen marks; ask the relay's administrator for a connection string (`screenpop-relay agent add`)", 0}
	errNoStore = &apiError{http.StatusServiceUnavailable, stream.CodeNoStore,
		"this relay runs without a data file, so it keeps no call history; start it with -data", 0}
	errInternal = &apiError{http.StatusInternalServerError, stream.CodeInternal,
		"the relay failed to answer; its log says why. Try again", 0}
	errTooSlow = &apiError{http.StatusServiceUnavailable, stream.CodeTooSlow,
		"you fell too far behind and were cut off; reconnect with your cursor", 0}
	errShutdown = &apiError{http.StatusServiceUnavailable, stream.CodeShutdown,
		"the relay is restarting; reconnect with your cursor in a few seconds", 2 * time.Second}
	errAdminAuth = &apiError{http.StatusUnauthorized, stream.CodeBadSecret,
		"wrong admin token: the CLI reads it from admin.json in the relay's data folder; run the CLI as the relay's user with the same -data", 0}
	errConflict = &apiError{http.StatusConflict, stream.CodeConflict, "already exists", 0}
)

// writeError answers a request with e.
func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	w.WriteHeader(e.Status)
	w.Write(e.message())
}

// writeJSON answers a request with v.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
