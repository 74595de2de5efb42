package relay

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/crm"
	"github.com/screenpop/screenpop/server/store"
)

// The call log: when a call ends, the relay writes ONE Call record in
// the CRM (crm.CallRecordID: a name-based id, created with the API's
// create-with-id, so that a retry, a restart or a second relay writes
// the same record again), and for a missed call, optionally, one
// call-back per caller per day. Each write is queued in the store first
// (store/calllog.go) and retried with backoff while the CRM fails, after
// a restart too. The agent's note and chosen record (POST
// /v1/calls/note, calllog_http.go) update the same record.
//
// Two goroutines: the enqueuer saves the calls that end into the queue
// (off the ring path: a store commit waits for the disk), the writer
// writes what is due in the CRM.

// Call-back kinds (crm-callback).
const (
	CallbackOff  = "off"
	CallbackTask = "task"
	CallbackCall = "call" // a planned Call
)

// CallLog is the relay's call logging, from its configuration.
type CallLog struct {
	Writer crm.CallWriter
	// Which calls are logged: every line when Lines and Agents are both
	// empty; else those on Lines, and on the lines of the agents named
	// in Agents (as the store lists them when the call ends).
	Lines  []string
	Agents []string
	// Callback is what a missed call leaves: CallbackOff (""), Task or Call.
	Callback string
	// CallbackUser is the CRM user name the call-backs are assigned to;
	// "": the line's owner (the one agent of the store whose lines hold
	// it, when a CRM user has that user name), else the API user.
	CallbackUser string
	// Zone is the time zone of the call-back's day (time.Local when nil).
	Zone *time.Location
	// RetryMin and RetryMax bound the backoff of a failed write
	// (defaults 2 s and 5 min); Timeout bounds one write (30 s).
	RetryMin, RetryMax, Timeout time.Duration
	// PlannedWindow is how near a Planned Call of the same record must
	// start for the call to update it rather than make its own (1 h).
	PlannedWindow time.Duration
}

// callLogData is the relay's payload of a store call log entry: the call
// as it ended and its card, what the agent added, what the writes did.
type callLogData struct {
	Call       call.Call    `json:"call"`
	Ended      bool         `json:"ended"`
	Other      phone.Number `json:"other"`
	CallerName string       `json:"callerName,omitempty"`
	Matches    []logMatch   `json:"matches,omitempty"`
	MatchCount int          `json:"matchCount,omitempty"`

	Note   string         `json:"note,omitempty"`
	Chosen *directory.Ref `json:"chosen,omitempty"`

	RecordID     string         `json:"recordId,omitempty"` // the Call record written: ours, or a planned Call's
	Related      *directory.Ref `json:"related,omitempty"`  // what it was last related to
	CallbackDone bool           `json:"callbackDone,omitempty"`
}

type logMatch struct {
	Module string `json:"module"`
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
}

// callLogState is the running call log.
type callLogState struct {
	cfg  *CallLog
	in   chan callEnd // guarded by Relay.mu: nil once closing
	wake chan struct{}
	done sync.WaitGroup

	written, failed, dropped atomic.Uint64

	mu          sync.Mutex
	lastErr     string
	lastErrAt   time.Time
	lastWritten time.Time
	users       map[string]string // CRM user name → id ("" key: the API user); "" value: no such user
}

type callEnd struct {
	c    call.Call
	card stream.Card
}

func (cl *CallLog) withDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cl.RetryMin, 2*time.Second)
	def(&cl.RetryMax, 5*time.Minute)
	def(&cl.Timeout, 30*time.Second)
	def(&cl.PlannedWindow, time.Hour)
	if cl.Zone == nil {
		cl.Zone = time.Local
	}
	if cl.Callback == "" {
		cl.Callback = CallbackOff
	}
}

// startCallLog starts the enqueuer and the writer (New calls it).
func (r *Relay) startCallLog() error {
	cl := r.cfg.CallLog
	if cl == nil {
		return nil
	}
	if r.cfg.Store == nil {
		return errors.New("call logging (crm-log-calls) needs a data file: its writes are queued there so that none is lost; start the relay with -data")
	}
	if cl.Writer == nil {
		return errors.New("call logging (crm-log-calls) needs a CRM: set crm-url")
	}
	c := *cl
	c.withDefaults()
	s := &r.calllog
	s.cfg = &c
	s.in = make(chan callEnd, 1024)
	s.wake = make(chan struct{}, 1)
	s.users = map[string]string{}
	s.done.Add(2)
	go r.enqueueCallLogs(s.in)
	go r.writeCallLogs()
	return nil
}

// callEnded queues the call log of a call that just ended; r.mu is held.
func (r *Relay) callEnded(ev *stream.Event) {
	if r.calllog.in == nil || ev.Call.Live() || ev.Call.ID == "" {
		return
	}
	r.calllog.in <- callEnd{c: ev.Call, card: ev.Card}
}

// stopCallLog stops the call log once the relay's context is cancelled:
// what was handed to the enqueuer is saved, a write under way is cut.
func (r *Relay) stopCallLog() {
	r.mu.Lock()
	in := r.calllog.in
	r.calllog.in = nil
	r.mu.Unlock()
	if in != nil {
		close(in)
		r.calllog.done.Wait()
	}
}

// enqueueCallLogs saves each call that ends into the store's queue, then
// wakes the writer.
func (r *Relay) enqueueCallLogs(in <-chan callEnd) {
	defer r.calllog.done.Done()
	for e := range in {
		logged, err := r.callLogged(e.c.Line)
		if err == nil && !logged {
			continue
		}
		if err == nil {
			_, err = r.cfg.Store.UpdateCallLog(e.c.Line, e.c.ID, time.Now(), func(old json.RawMessage) (json.RawMessage, bool, error) {
				var d callLogData
				if old != nil {
					if err := json.Unmarshal(old, &d); err != nil {
						return nil, false, err
					}
				}
				d.Call, d.Ended, d.Other, d.CallerName = e.c, true, e.card.OtherParty, e.card.CallerName
				d.Matches, d.MatchCount = nil, e.card.MatchCount
				for _, m := range e.card.Matches {
					d.Matches = append(d.Matches, logMatch{Module: m.Module, ID: m.ID, Name: m.Name})
				}
				b, err := json.Marshal(d)
				return b, true, err
			})
		}
		if err != nil {
			r.metrics.storeErrors.Add(1)
			r.cfg.Log.Error("cannot queue the CRM call log of a call that ended; it will not be logged", "err", err, "line", maskNumber(e.c.Line), "call", e.c.ID)
			continue
		}
		select {
		case r.calllog.wake <- struct{}{}:
		default:
		}
	}
}

// callLogged reports whether calls on line are logged.
func (r *Relay) callLogged(line string) (bool, error) {
	cl := r.calllog.cfg
	if len(cl.Lines) == 0 && len(cl.Agents) == 0 {
		return true, nil
	}
	key := phone.LineKey(line)
	if slices.ContainsFunc(cl.Lines, func(l string) bool { return phone.LineKey(l) == key }) {
		return true, nil
	}
	if len(cl.Agents) == 0 {
		return false, nil
	}
	agents, err := r.cfg.Store.ListAgents()
	if err != nil {
		return false, err
	}
	for _, a := range agents {
		if slices.Contains(cl.Agents, a.Name) && (Agent{Name: a.Name, Lines: a.Lines}).Sees(line) {
			return true, nil
		}
	}
	return false, nil
}

// callLogBatch is how many due writes are taken at once.
const callLogBatch = 16

// writeCallLogs writes the due entries until the relay closes: at once
// when woken, else when the next retry is due.
func (r *Relay) writeCallLogs() {
	defer r.calllog.done.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for r.ctx.Err() == nil {
		due, next, err := r.cfg.Store.DueCallLogs(time.Now(), callLogBatch)
		if err != nil {
			r.cfg.Log.Error("cannot read the CRM call log queue", "err", err)
			next = time.Now().Add(r.calllog.cfg.RetryMax)
		}
		for _, e := range due {
			if r.ctx.Err() != nil {
				return
			}
			r.writeCallLog(e)
		}
		if len(due) > 0 {
			continue // the next due time is known once these are settled
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(time.Until(next), 0)
		}
		timer.Reset(wait)
		select {
		case <-r.ctx.Done():
			return
		case <-r.calllog.wake:
		case <-timer.C:
		}
	}
}

// writeCallLog makes one attempt at an entry and records its outcome.
func (r *Relay) writeCallLog(e store.CallLogEntry) {
	s := &r.calllog
	st := r.cfg.Store
	var d callLogData
	if err := json.Unmarshal(e.Data, &d); err != nil {
		st.CallLogDropped(e.Line, e.CallID, e.Rev, nil, "damaged entry: "+err.Error(), time.Now())
		return
	}
	if !d.Ended {
		// A note on a call still going on: written when it ends.
		st.CallLogWritten(e.Line, e.CallID, e.Rev, nil, time.Now())
		return
	}
	ctx, cancel := context.WithTimeout(r.ctx, s.cfg.Timeout)
	out, err := r.logCall(ctx, e, d)
	cancel()
	merge := func(cur json.RawMessage) (json.RawMessage, error) {
		var c callLogData
		if err := json.Unmarshal(cur, &c); err != nil {
			return nil, err
		}
		c.RecordID = cmp.Or(out.RecordID, c.RecordID)
		if out.Related != nil || err == nil {
			c.Related = out.Related
		}
		c.CallbackDone = c.CallbackDone || out.CallbackDone
		return json.Marshal(c)
	}
	now := time.Now()
	switch {
	case err == nil:
		if serr := st.CallLogWritten(e.Line, e.CallID, e.Rev, merge, now); serr != nil && !errors.Is(serr, store.ErrStaleCallLog) {
			r.cfg.Log.Error("the call was logged in the CRM, but the data file cannot say so; it will be written again (the same record)", "err", serr)
		}
		s.written.Add(1)
		s.mu.Lock()
		s.lastWritten, s.lastErr = now, ""
		s.mu.Unlock()
		r.cfg.Log.Debug("call logged in the CRM", "line", maskNumber(e.Line), "call", e.CallID, "record", out.RecordID)
	case errors.Is(err, crm.ErrRecordDeleted):
		s.dropped.Add(1)
		st.CallLogDropped(e.Line, e.CallID, e.Rev, merge, err.Error(), now)
		r.cfg.Log.Warn("the call's record was deleted in the CRM; it is not written again", "line", maskNumber(e.Line), "call", e.CallID, "record", out.RecordID)
	default:
		s.failed.Add(1)
		backoff := s.cfg.RetryMin << min(e.Attempts, 20)
		backoff = min(backoff, s.cfg.RetryMax)
		msg := err.Error()
		if ctx.Err() != nil && r.ctx.Err() != nil {
			msg = "cut by the relay's shutdown; written after the restart"
		}
		st.CallLogFailed(e.Line, e.CallID, e.Rev, merge, msg, now.Add(backoff), now)
		s.mu.Lock()
		again := s.lastErr == msg
		s.lastErr, s.lastErrAt = msg, now
		s.mu.Unlock()
		level := slog.LevelWarn
		if again || r.ctx.Err() != nil {
			level = slog.LevelDebug
		}
		r.cfg.Log.Log(context.Background(), level, "cannot log the call in the CRM; the write is queued and retried", "err", err, "kind", crm.KindOf(err),
			"line", maskNumber(e.Line), "call", e.CallID, "attempt", e.Attempts+1, "retry_in", backoff)
	}
}

// logCall writes the call's record (and call-back) in the CRM; it
// returns what it wrote, also when it failed part way.
func (r *Relay) logCall(ctx context.Context, e store.CallLogEntry, d callLogData) (callLogData, error) {
	s := &r.calllog
	w := s.cfg.Writer
	var out callLogData
	parent, matches, err := r.callParent(ctx, d)
	if err != nil {
		return out, err
	}
	c := d.Call
	start := cmp.Or(c.RingAt, c.AnswerAt, c.EndAt)
	// Held: answered. An inbound call that ended without a seen answer
	// was answered all the same (call.Book: a lost start_calling); an
	// outbound one never got through.
	held := !c.WasMissed() && !(c.Direction == call.Outbound && c.AnswerAt.IsZero())

	// The record: the one written before; else ours if it exists; else a
	// Planned Call of the same record near the call (a held call only:
	// a missed one leaves a planned call planned); else ours, new.
	out.RecordID = d.RecordID
	if out.RecordID == "" {
		own := crm.CallRecordID(CanonicalLine(c.Line, r.cfg.Region), c.ID)
		out.RecordID = own
		state, err := w.RecordState(ctx, "Calls", own)
		if err != nil {
			return callLogData{}, err
		}
		if state == crm.RecordMissing && parent != nil && held {
			planned, err := w.PlannedCall(ctx, *parent, start, s.cfg.PlannedWindow)
			if err != nil {
				return callLogData{}, err
			}
			if planned != "" {
				out.RecordID = planned
			}
		}
		// Saved before the write: a retry must not look for the planned
		// call again (it is Held by then) and make a second record.
		id := out.RecordID
		err = r.cfg.Store.SaveCallLogData(e.Line, e.CallID, e.Rev, func(cur json.RawMessage) (json.RawMessage, error) {
			var c callLogData
			if err := json.Unmarshal(cur, &c); err != nil {
				return nil, err
			}
			c.RecordID = id
			return json.Marshal(c)
		}, time.Now())
		if err != nil && !errors.Is(err, store.ErrStaleCallLog) {
			return callLogData{}, err
		}
	}
	owner, err := r.lineOwner(ctx, c.Line, "")
	if err != nil {
		return out, err
	}
	status := crm.CallHeld
	if !held {
		status = crm.CallNotHeld
	}
	dir := crm.CallInbound
	if c.Direction == call.Outbound {
		dir = crm.CallOutbound
	}
	l := crm.CallLog{ID: out.RecordID, Name: callName(c, d), Direction: dir, Status: status, Start: start,
		Duration: c.TalkDuration(), Description: r.callDescription(d, parent, matches), Parent: parent, AssignedUser: owner}
	if d.Related != nil && (parent == nil || *d.Related != *parent) {
		l.Unrelate = d.Related
	}
	if err := crm.SaveCall(ctx, w, l); err != nil {
		return out, err
	}
	out.Related = parent

	if c.WasMissed() && s.cfg.Callback != CallbackOff && !d.CallbackDone {
		if err := r.callBack(ctx, c, d, parent); err != nil {
			return out, err
		}
	}
	out.CallbackDone = d.CallbackDone || c.WasMissed()
	return out, nil
}

// callParent is the record the call is related to: the agent's choice;
// else the one record of the number (looked up again when the card had
// none: a contact made during the call); else none, with the records
// that share the number when there are several.
func (r *Relay) callParent(ctx context.Context, d callLogData) (*directory.Ref, []logMatch, error) {
	if d.Chosen != nil {
		return d.Chosen, nil, nil
	}
	matches := d.Matches
	if len(matches) == 0 {
		found, err := r.lookUpAgain(ctx, d.Other)
		if err != nil {
			return nil, nil, err
		}
		matches = found
	}
	if len(matches) == 1 && d.MatchCount <= 1 {
		return &directory.Ref{Module: matches[0].Module, ID: matches[0].ID}, nil, nil
	}
	return nil, matches, nil
}

// lookUpAgain finds the records of a number at write time: the
// directory, then the CRM itself.
func (r *Relay) lookUpAgain(ctx context.Context, n phone.Number) ([]logMatch, error) {
	cr := r.cfg.CRM
	if _, ok := directory.KeyOf(n); !ok || cr == nil {
		return nil, nil
	}
	var out []logMatch
	if cr.Directory != nil {
		for _, m := range cr.Directory.Lookup(n) {
			out = append(out, logMatch{Module: m.Module, ID: m.ID, Name: m.Name})
		}
	}
	if len(out) > 0 || cr.Search == nil {
		return out, nil
	}
	recs, err := cr.Search.Search(ctx, n, r.cfg.Region)
	if err != nil {
		return nil, err
	}
	if len(recs) > 0 && cr.Directory != nil {
		cr.Directory.Apply(directory.Sync{Upserts: recs})
		if cr.Learned != nil {
			cr.Learned(recs)
		}
	}
	for _, rec := range recs {
		out = append(out, logMatch{Module: rec.Module, ID: rec.ID, Name: rec.Name})
	}
	return out, nil
}

// callBack makes the missed call's call-back: one per caller per day.
func (r *Relay) callBack(ctx context.Context, c call.Call, d callLogData, parent *directory.Ref) error {
	s := &r.calllog
	key, ok := directory.KeyOf(d.Other)
	if !ok {
		return nil // a withheld number: nobody to call back
	}
	at := cmp.Or(c.EndAt, c.RingAt)
	id := crm.CallbackID(key, at.In(s.cfg.Zone).Format(time.DateOnly))
	user, err := r.lineOwner(ctx, c.Line, s.cfg.CallbackUser)
	if err != nil {
		return err
	}
	who := cmp.Or(callerLabel(d), numberLabel(d.Other))
	var desc strings.Builder
	fmt.Fprintf(&desc, "Missed call from %s on %s at %s (line %s).\n", numberLabel(d.Other), at.In(s.cfg.Zone).Format("2006-01-02"), at.In(s.cfg.Zone).Format("15:04"), lineLabel(c))
	if parent != nil && r.cfg.CRM != nil && r.cfg.CRM.RecordURL != nil {
		fmt.Fprintf(&desc, "Record: %s\n", r.cfg.CRM.RecordURL(parent.Module, parent.ID))
	}
	desc.WriteString("Made by screenpop: one call-back per caller and day.")
	name := "Call back " + who
	if s.cfg.Callback == CallbackCall {
		_, err = crm.SaveCallback(ctx, s.cfg.Writer, crm.CallLog{ID: id, Name: name, Direction: crm.CallOutbound, Status: crm.CallPlanned,
			Start: at, Duration: 0, Description: desc.String(), Parent: parent, AssignedUser: user})
	} else {
		_, err = crm.SaveTask(ctx, s.cfg.Writer, crm.TaskLog{ID: id, Name: name, Description: desc.String(), Parent: parent, Due: at, AssignedUser: user})
	}
	return err
}

// lineOwner is the CRM user id a record about a call on line is
// assigned to: the user named configured; else the line's owner (the
// one named agent whose lines hold it, when a CRM user has that name);
// else the API user.
func (r *Relay) lineOwner(ctx context.Context, line, configured string) (string, error) {
	name := configured
	if name == "" {
		if agents, err := r.cfg.Store.ListAgents(); err == nil {
			var owners []string
			for _, a := range agents {
				if !slices.Contains(a.Lines, store.AllLines) && (Agent{Name: a.Name, Lines: a.Lines}).Sees(line) {
					owners = append(owners, a.Name)
				}
			}
			if len(owners) == 1 {
				name = owners[0]
			}
		}
	}
	if name != "" {
		id, err := r.crmUser(ctx, name)
		if err != nil {
			return "", err
		}
		if id != "" {
			return id, nil
		}
		if configured != "" {
			return "", fmt.Errorf("crm-callback-user %q: %w %q: give the user name of an active CRM user, or leave crm-callback-user empty", configured, crm.ErrNoUser, configured)
		}
	}
	return r.crmUser(ctx, "")
}

// crmUser is a CRM user's id, asked once ("" when there is no such user).
func (r *Relay) crmUser(ctx context.Context, name string) (string, error) {
	s := &r.calllog
	s.mu.Lock()
	id, ok := s.users[name]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	id, err := s.cfg.Writer.UserID(ctx, name)
	if errors.Is(err, crm.ErrNoUser) {
		id, err = "", nil
	}
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.users[name] = id
	s.mu.Unlock()
	return id, nil
}

// callName is the record's name: "Inbound call from Alice Martin",
// "Outbound call to +33612345678".
func callName(c call.Call, d callLogData) string {
	who := cmp.Or(callerLabel(d), numberLabel(d.Other))
	if c.Direction == call.Outbound {
		return "Outbound call to " + who
	}
	return "Inbound call from " + who
}

// callerLabel is the other party's name when one record (or the queue)
// names it.
func callerLabel(d callLogData) string {
	if d.Chosen != nil {
		for _, m := range d.Matches {
			if m.Module == d.Chosen.Module && m.ID == d.Chosen.ID && m.Name != "" {
				return m.Name
			}
		}
	}
	return d.CallerName
}

func numberLabel(n phone.Number) string {
	switch {
	case n.Forms.E164 != "":
		return n.Forms.E164
	case n.Raw != "":
		return n.Raw
	}
	return "a withheld number"
}

func lineLabel(c call.Call) string {
	if c.LineName != "" {
		return c.Line + " (" + c.LineName + ")"
	}
	return c.Line
}

// callDescription is the record's description: the line and queue, the
// other party, who answered, how long, the records it could be about,
// and the agent's note.
func (r *Relay) callDescription(d callLogData, parent *directory.Ref, matches []logMatch) string {
	c := d.Call
	var b strings.Builder
	kind := "Line"
	if c.Queue {
		kind = "Queue"
	}
	fmt.Fprintf(&b, "%s: %s\n", kind, lineLabel(c))
	if c.Direction == call.Outbound {
		fmt.Fprintf(&b, "Called: %s\n", numberLabel(d.Other))
	} else {
		fmt.Fprintf(&b, "Caller: %s\n", numberLabel(d.Other))
	}
	switch {
	case c.Agent != "":
		fmt.Fprintf(&b, "Answered by: %s\n", c.Agent)
	case c.WasMissed():
		b.WriteString("Not answered\n")
	}
	if rd := c.RingDuration(); rd > 0 {
		fmt.Fprintf(&b, "Rang: %s\n", rd.Round(time.Second))
	}
	if td := c.TalkDuration(); td > 0 {
		fmt.Fprintf(&b, "Talked: %s\n", td.Round(time.Second))
	}
	if parent == nil && len(matches) > 1 {
		var names []string
		for _, m := range matches {
			names = append(names, fmt.Sprintf("%s (%s %s)", cmp.Or(m.Name, "?"), m.Module, m.ID))
		}
		more := ""
		if d.MatchCount > len(matches) {
			more = fmt.Sprintf(" and %d more", d.MatchCount-len(matches))
		}
		fmt.Fprintf(&b, "Several CRM records share this number: %s%s. The call is related to none of them; the agent can choose one on the call's card.\n", strings.Join(names, ", "), more)
	}
	if d.Note != "" {
		fmt.Fprintf(&b, "\nNote:\n%s\n", d.Note)
	}
	fmt.Fprintf(&b, "\nLogged by screenpop (OVH call %s).", c.ID)
	return b.String()
}

// CallLogHealth is the call log's part of /healthz.
type CallLogHealth struct {
	Queued      int       `json:"queued"`  // writes waiting (a CRM down, a retry)
	Written     uint64    `json:"written"` // since the relay started
	Failed      uint64    `json:"failed"`  // failed attempts since the relay started (each retried)
	Dropped     uint64    `json:"dropped,omitempty"`
	LastWritten time.Time `json:"last_written,omitzero"`
	// LastError is the newest failure of a write still queued, or of the
	// last attempt ("" once one works): what to fix.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// callLogHealth is nil when the relay logs no calls.
func (r *Relay) callLogHealth() *CallLogHealth {
	s := &r.calllog
	if s.cfg == nil {
		return nil
	}
	h := &CallLogHealth{Written: s.written.Load(), Failed: s.failed.Load(), Dropped: s.dropped.Load()}
	queued, last, err := r.cfg.Store.CallLogStats()
	if err != nil {
		last = "cannot read the call log queue: " + err.Error()
	}
	h.Queued = queued
	s.mu.Lock()
	h.LastWritten, h.LastErrorAt = s.lastWritten, s.lastErrAt
	lastErr := s.lastErr // read under mu: the writer sets it (found by -race in CI)
	s.mu.Unlock()
	h.LastError = cmp.Or(lastErr, last)
	if h.Queued == 0 && lastErr == "" {
		h.LastError, h.LastErrorAt = "", time.Time{}
	}
	return h
}
