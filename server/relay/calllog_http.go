package relay

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/crm"
)

// POST /v1/calls/note (stream.PathCallNote): the agent's note and chosen
// record for the Call record of one call of its lines, during the call
// or after it. Authenticated and CORS'd like the other /v1/calls
// endpoints.

// maxNote bounds a note: a CRM description holds more, but a note is
// what an agent types on a card.
const maxNote = 3000

var noteModules = []string{"Contacts", "Leads", "Accounts"}

func (r *Relay) serveCallNote(w http.ResponseWriter, req *http.Request) {
	a, ok := r.historyAgent(w, req)
	if !ok {
		return
	}
	var body stream.CallNote
	if e := decodeBody(w, req, &body); e != nil {
		writeError(w, e)
		return
	}
	switch {
	case body.Line == "" || body.ID == "":
		writeError(w, errBadRequest.with(`send {"line":"0033…","id":"<call id>","note":"…","record":{"module":"Contacts","id":"…"}}: line and id are the call's, as the stream gave them`))
		return
	case len(body.Note) > maxNote:
		writeError(w, errTooLarge.with("the note is %d bytes; keep it under %d", len(body.Note), maxNote))
		return
	case body.Record != nil && (body.Record.ID == "" || !slices.Contains(noteModules, body.Record.Module)):
		writeError(w, errBadRequest.with("record must name a Contacts, Leads or Accounts record by its id (one of the card's matches), not %q %q", truncate(body.Record.Module, 20), truncate(body.Record.ID, 40)))
		return
	case !a.Sees(body.Line):
		writeError(w, errUnknownLine.with("you do not see line %s; add notes only to calls of your lines", truncate(body.Line, 24)))
		return
	}
	if r.calllog.cfg == nil {
		writeError(w, errCallLogOff)
		return
	}
	line, live, found, err := r.noteCall(body.Line, body.ID)
	if err != nil {
		r.historyError(w, err)
		return
	}
	if !found {
		writeError(w, errNotFound.with("no call %q on line %s to add a note to: it is not going on, and it ended without being logged (crm-log-calls does not cover its line, or it ended before call logging was on)", truncate(body.ID, 40), truncate(body.Line, 24)))
		return
	}
	logged, err := r.callLogged(line)
	if err != nil {
		r.historyError(w, err)
		return
	}
	out := stream.CallNoted{Logged: logged, RecordID: crm.CallRecordID(CanonicalLine(line, r.cfg.Region), body.ID)}
	_, err = r.cfg.Store.UpdateCallLog(line, body.ID, time.Now(), func(old json.RawMessage) (json.RawMessage, bool, error) {
		var d callLogData
		if old != nil {
			if err := json.Unmarshal(old, &d); err != nil {
				return nil, false, err
			}
		}
		if body.Note != "" {
			d.Note = strings.TrimSpace(body.Note)
		}
		if body.Record != nil {
			d.Chosen = &directory.Ref{Module: body.Record.Module, ID: body.Record.ID}
		}
		if d.RecordID != "" {
			out.RecordID = d.RecordID
		}
		out.Queued = d.Ended && logged && !live
		b, err := json.Marshal(d)
		return b, out.Queued, err
	})
	if err != nil {
		r.historyError(w, err)
		return
	}
	if out.Queued {
		select {
		case r.calllog.wake <- struct{}{}:
		default:
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// noteCall finds the call a note is for, under the line spelling the
// relay keeps it by: going on (the book), or ended and in the call log.
func (r *Relay) noteCall(line, id string) (string, bool, bool, error) {
	forms := appendForms(nil, line)
	r.mu.Lock()
	for _, l := range forms {
		if c, ok := r.book.Get(call.Key{Line: l, ID: id}); ok && c.Live() {
			r.mu.Unlock()
			return l, true, true, nil
		}
	}
	r.mu.Unlock()
	for _, l := range forms {
		_, ok, err := r.cfg.Store.CallLog(l, id)
		if err != nil {
			return "", false, false, err
		}
		if ok {
			return l, false, true, nil
		}
	}
	return "", false, false, nil
}

var errCallLogOff = &apiError{http.StatusConflict, stream.CodeConflict,
	"this relay does not log calls in the CRM, so a note would land nowhere; its administrator turns it on with crm-log-calls", 0}
