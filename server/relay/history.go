package relay

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/phone/parse"
	"github.com/screenpop/screenpop/server/store"
)

// The call history API, authenticated like the stream (Bearer), each
// agent seeing the calls of its lines only:
//
//	GET  /v1/calls?limit=50&line=0033…&before=RFC3339  recent calls, newest first
//	GET  /v1/calls/missed?limit=50&unseen=1            missed calls, with the agent's seen marks
//	POST /v1/calls/seen {"line":"…","id":"…"}          mark one missed call seen
//	POST /v1/calls/seen {"upTo":"RFC3339"}             mark every missed call up to then seen

const (
	defaultHistoryLimit = 50
	maxHistoryLimit     = 500
	maxBody             = 4 << 10 // the largest body the agent API takes (POST /v1/calls/seen)
)

// HistoryCall is a call in the history, with what the extension shows and
// needs to pop it again without another round trip: parsed numbers and
// durations.
type HistoryCall struct {
	Call        call.Call    `json:"call"`
	Calling     phone.Number `json:"calling"`
	Called      phone.Number `json:"called"`
	RingSeconds float64      `json:"ringSeconds"`
	TalkSeconds float64      `json:"talkSeconds"`
	Seen        *bool        `json:"seen,omitempty"` // missed calls only: whether this agent has seen it
}

// Calls is the answer of the history endpoints.
type Calls struct {
	Calls  []HistoryCall `json:"calls"`
	Unseen *int          `json:"unseen,omitempty"` // missed calls this agent has not seen (GET /v1/calls/missed)
}

func (r *Relay) historyCall(c call.Call) HistoryCall {
	return HistoryCall{
		Call:        c,
		Calling:     parse.Number(c.Calling, r.cfg.Region),
		Called:      parse.Number(c.Called, r.cfg.Region),
		RingSeconds: c.RingDuration().Seconds(),
		TalkSeconds: c.TalkDuration().Seconds(),
	}
}

// historyAgent authenticates a history request; the history needs a store.
func (r *Relay) historyAgent(w http.ResponseWriter, req *http.Request) (Agent, bool) {
	a, e := r.authRequest(req)
	if e == nil && r.cfg.Store == nil {
		e = errNoStore
	}
	if e != nil {
		writeError(w, e)
		return Agent{}, false
	}
	return a, true
}

func parseLimit(s string) (int, *apiError) {
	if s == "" {
		return defaultHistoryLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxHistoryLimit {
		return 0, errBadRequest.with("limit %q must be a number of calls from 1 to %d", truncate(s, 12), maxHistoryLimit)
	}
	return n, nil
}

// lineFilter is the store filter for a request's ?line= (all the agent's
// lines when empty).
func lineFilter(a Agent, line string) ([]string, *apiError) {
	if line == "" {
		return a.lineForms(), nil
	}
	if !a.Sees(line) {
		return nil, errUnknownLine.with("you do not see line %s; your lines are %v. Ask the relay's administrator to add it (`screenpop-relay agent lines %s --lines …`)", truncate(line, 24), a.Lines, a.Name)
	}
	return appendForms(nil, line), nil
}

// serveCalls is GET /v1/calls.
func (r *Relay) serveCalls(w http.ResponseWriter, req *http.Request) {
	a, ok := r.historyAgent(w, req)
	if !ok {
		return
	}
	q := req.URL.Query()
	limit, e := parseLimit(q.Get("limit"))
	if e != nil {
		writeError(w, e)
		return
	}
	lines, e := lineFilter(a, q.Get("line"))
	if e != nil {
		writeError(w, e)
		return
	}
	var before time.Time
	if s := q.Get("before"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			writeError(w, errBadRequest.with("before %q must be a time like 2026-01-31T09:00:00Z (the ringAt of the last call of the previous page)", truncate(s, 40)))
			return
		}
		before = t
	}
	calls, err := r.cfg.Store.RecentCalls(lines, limit, before)
	if err != nil {
		r.cfg.Log.Error("cannot read the call history", "err", err)
		writeError(w, errInternal)
		return
	}
	out := Calls{Calls: make([]HistoryCall, 0, len(calls))}
	for _, c := range calls {
		out.Calls = append(out.Calls, r.historyCall(c))
	}
	writeJSON(w, http.StatusOK, out)
}

// serveMissed is GET /v1/calls/missed.
func (r *Relay) serveMissed(w http.ResponseWriter, req *http.Request) {
	a, ok := r.historyAgent(w, req)
	if !ok {
		return
	}
	q := req.URL.Query()
	limit, e := parseLimit(q.Get("limit"))
	if e != nil {
		writeError(w, e)
		return
	}
	lines, e := lineFilter(a, q.Get("line"))
	if e != nil {
		writeError(w, e)
		return
	}
	unseenOnly := false
	if s := q.Get("unseen"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			writeError(w, errBadRequest.with("unseen %q must be true or false", truncate(s, 12)))
			return
		}
		unseenOnly = b
	}
	if unseenOnly && a.Anonymous {
		writeError(w, errAnonymous)
		return
	}
	missed, err := r.cfg.Store.MissedCalls(a.Name, lines, unseenOnly, limit)
	if err != nil {
		r.historyError(w, err)
		return
	}
	out := Calls{Calls: make([]HistoryCall, 0, len(missed))}
	for _, m := range missed {
		hc := r.historyCall(m.Call)
		if !a.Anonymous {
			seen := m.Seen
			hc.Seen = &seen
		}
		out.Calls = append(out.Calls, hc)
	}
	if !a.Anonymous {
		n, err := r.cfg.Store.UnseenMissedCount(a.Name, lines)
		if err != nil {
			r.historyError(w, err)
			return
		}
		out.Unseen = &n
	}
	writeJSON(w, http.StatusOK, out)
}

// seenRequest is the body of POST /v1/calls/seen.
type seenRequest struct {
	Line string    `json:"line"`
	ID   string    `json:"id"`
	UpTo time.Time `json:"upTo"`
}

// serveSeen is POST /v1/calls/seen.
func (r *Relay) serveSeen(w http.ResponseWriter, req *http.Request) {
	a, ok := r.historyAgent(w, req)
	if !ok {
		return
	}
	if a.Anonymous {
		writeError(w, errAnonymous)
		return
	}
	var body seenRequest
	if e := decodeBody(w, req, &body); e != nil {
		writeError(w, e)
		return
	}
	switch {
	case body.ID != "" && body.Line != "":
		if !a.Sees(body.Line) {
			writeError(w, errUnknownLine.with("you do not see line %s; mark only calls of your lines", truncate(body.Line, 24)))
			return
		}
		// The store keys calls by the line as OVH wrote it: try the forms.
		var err error
		for _, l := range appendForms(nil, body.Line) {
			if err = r.cfg.Store.MarkSeen(a.Name, l, body.ID); !errors.Is(err, store.ErrNoCall) {
				break
			}
		}
		if err != nil {
			r.historyError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"marked": 1})
	case body.ID == "" && body.Line == "" && !body.UpTo.IsZero():
		n, err := r.cfg.Store.MarkAllSeen(a.Name, a.lineForms(), body.UpTo)
		if err != nil {
			r.historyError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"marked": n})
	default:
		writeError(w, errBadRequest.with(`send {"line":"0033…","id":"<call id>"} to mark one call seen, or {"upTo":"2026-01-31T09:00:00Z"} to mark every missed call up to then`))
	}
}

func (r *Relay) historyError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNoCall):
		writeError(w, errNotFound.with("%v", err))
	case errors.Is(err, store.ErrNoAgent):
		writeError(w, errRevoked)
	default:
		r.cfg.Log.Error("call history", "err", err)
		writeError(w, errInternal)
	}
}

// decodeBody reads a JSON request body of at most maxBody bytes into v,
// refusing unknown fields (a typo must not silently do nothing).
func decodeBody(w http.ResponseWriter, req *http.Request, v any) *apiError {
	return decodeLimited(w, req, v, maxBody)
}

func decodeLimited(w http.ResponseWriter, req *http.Request, v any, limit int64) *apiError {
	body := http.MaxBytesReader(w, req.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return errTooLarge.with("the request body is over %d bytes; send only the fields the API documents", limit)
		case errors.Is(err, io.EOF):
			return errBadRequest.with("the request has no body; send a JSON object")
		}
		return errBadRequest.with("the request body is not the JSON this endpoint takes: %v", err)
	}
	if dec.More() {
		return errBadRequest.with("the request body holds more than one JSON value; send one object")
	}
	return nil
}
