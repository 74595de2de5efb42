package ovhsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/screenpop/screenpop/internal/ovhevent"
)

// session is what the v1 events service keeps for one client between its
// polls: the events that happened since its last answer.
type session struct {
	id       string
	token    *token
	queue    eventQueue
	wake     chan struct{} // closed and replaced when a held poll must look again
	lastSeen time.Time     // last poll start or end, on Config.Clock
	polls    int           // polls held on this session right now
}

// wakeLocked makes held polls of the session look at it again. Without a
// held poll there is nobody to wake, so nothing is allocated.
func (se *session) wakeLocked() {
	if se.polls > 0 {
		close(se.wake)
		se.wake = make(chan struct{})
	}
}

// eventQueue is a bounded FIFO that drops its oldest event when full.
// Events are shared, read-only, between the sessions of one token.
type eventQueue struct {
	buf  []*ovhevent.Event
	head int
	n    int
}

// push adds e and reports whether the oldest event was dropped for it.
func (q *eventQueue) push(e *ovhevent.Event, max int) (dropped bool) {
	if q.buf == nil {
		q.buf = make([]*ovhevent.Event, min(max, 16))
	}
	if q.n == len(q.buf) && len(q.buf) < max {
		grown := make([]*ovhevent.Event, min(2*len(q.buf), max))
		for i := 0; i < q.n; i++ {
			grown[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = grown, 0
	}
	if q.n == len(q.buf) {
		q.buf[q.head] = e
		q.head = (q.head + 1) % len(q.buf)
		return true
	}
	q.buf[(q.head+q.n)%len(q.buf)] = e
	q.n++
	return false
}

// take empties the queue and returns its events, oldest first.
func (q *eventQueue) take() []ovhevent.Event {
	out := make([]ovhevent.Event, q.n)
	for i := range out {
		out[i] = *q.buf[(q.head+i)%len(q.buf)]
	}
	q.buf, q.head, q.n = nil, 0, 0
	return out
}

// Messages of the events endpoint.
const (
	MessageInvalidToken = "Invalid token"
)

// serveEvents is the v1 long-poll endpoint: GET /?token=<T>[&session=<S>].
func (s *Sim) serveEvents(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "*")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		h.Set("Allow", "GET, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	q := r.URL.Query()
	value, sessionID := q.Get("token"), q.Get("session")

	s.mu.Lock()
	s.stats.Polls++
	var hung *time.Timer // a hang fault's limit, started by the first hang
	defer func() {
		if hung != nil {
			hung.Stop()
		}
	}()
	for s.fault != FaultNone {
		f, faultWake := s.fault, s.faultWake
		s.stats.Faults++
		s.mu.Unlock()
		if f != FaultHang {
			s.serveFault(w, r, f)
			return
		}
		if hung == nil {
			hung = time.NewTimer(s.cfg.HangTimeout)
		}
		s.hang(r, faultWake, hung.C) // returns when the fault changes
		s.mu.Lock()
	}
	now := s.now()
	s.sweepLocked(now)
	tok, why := s.pollTokenLocked(value, now)
	if tok == nil {
		s.stats.BadTokens++
		s.mu.Unlock()
		s.logf("poll rejected: %s", why)
		s.writeBadToken(w)
		return
	}
	se := tok.sessions[sessionID]
	if se == nil {
		se = &session{id: uuid.NewString(), token: tok, wake: make(chan struct{})}
		tok.sessions[se.id] = se
	}
	se.polls++
	se.lastSeen = now
	s.stats.ActivePolls++
	s.pollsChangedLocked()
	s.mu.Unlock()

	defer func() {
		s.mu.Lock()
		se.polls--
		se.lastSeen = s.now()
		s.stats.ActivePolls--
		s.pollsChangedLocked()
		s.mu.Unlock()
	}()

	hold := time.NewTimer(s.cfg.HoldTime)
	defer hold.Stop()
	for {
		s.mu.Lock()
		if !tok.usable(s.now()) {
			s.stats.BadTokens++
			s.mu.Unlock()
			s.writeBadToken(w)
			return
		}
		if f := s.fault; f != FaultNone {
			s.stats.Faults++
			faultWake := s.faultWake
			s.mu.Unlock()
			if f != FaultHang {
				s.serveFault(w, r, f)
				return
			}
			if hung == nil {
				hung = time.NewTimer(s.cfg.HangTimeout)
			}
			// Released when the fault changes: the poll then goes on,
			// answering what arrived meanwhile or holding until HoldTime.
			s.hang(r, faultWake, hung.C)
			continue
		}
		if se.queue.n > 0 {
			events := se.queue.take()
			s.stats.Delivered += len(events)
			s.mu.Unlock()
			writeAnswer(w, http.StatusOK, ovhevent.Answer{Session: se.id, Events: events})
			return
		}
		wake, faultWake := se.wake, s.faultWake
		s.mu.Unlock()

		select {
		case <-wake:
		case <-faultWake:
		case <-hold.C:
			s.answerEmpty(w, se.id)
			return
		case <-s.done:
			s.answerEmpty(w, se.id)
			return
		case <-r.Context().Done():
			// The client gave up: whatever arrives stays queued for its
			// next poll on this session.
			return
		}
	}
}

func (s *Sim) answerEmpty(w http.ResponseWriter, sessionID string) {
	s.mu.Lock()
	s.stats.EmptyAnswers++
	s.mu.Unlock()
	a := ovhevent.Answer{Session: sessionID, Events: []ovhevent.Event{}}
	if s.cfg.EmptyAsNull {
		a.Events = nil
	}
	writeAnswer(w, http.StatusOK, a)
}

// pollTokenLocked returns the token of a poll, or nil and why not.
func (s *Sim) pollTokenLocked(value string, now time.Time) (*token, string) {
	switch {
	case value == "":
		return nil, "no token"
	case !ValidTokenShape(value):
		return nil, "malformed token " + quoteShort(value)
	}
	t := s.tokens[value]
	switch {
	case t == nil:
		return nil, "unknown or revoked token " + value
	case !t.usable(now):
		return nil, "expired token " + value + " (" + t.expiration + ")"
	}
	return t, ""
}

func (s *Sim) writeBadToken(w http.ResponseWriter) {
	status := http.StatusForbidden
	if s.cfg.BadTokenStyle == BadToken200Message {
		status = http.StatusOK
	}
	writeAnswer(w, status, ovhevent.Answer{Message: MessageInvalidToken})
}

func writeAnswer(w http.ResponseWriter, status int, a ovhevent.Answer) {
	b, err := json.Marshal(a)
	if err != nil {
		// ovhevent types always encode; this is a bug in the emulator.
		http.Error(w, "ovhsim: encoding answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// serveFault answers a poll the way the broken service would.
func (s *Sim) serveFault(w http.ResponseWriter, r *http.Request, f Fault) {
	switch f {
	case Fault5xx:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("<html><head><title>503 Service Temporarily Unavailable</title></head><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n"))
	case FaultGarbage:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("<!DOCTYPE html><html><body>Maintenance in progress. Please come back later.</body></html>\n"))
	case FaultInstantError:
		// Drops the connection without an answer (net/http does not log it).
		panic(http.ErrAbortHandler)
	}
}

// hang holds a poll without an answer, as the broken service does, until
// the fault changes (faultWake: it returns, for the poll to go on). When
// the client gives up, the Sim is closed or the hang has lasted
// HangTimeout (limit), the connection is dropped without an answer.
func (s *Sim) hang(r *http.Request, faultWake chan struct{}, limit <-chan time.Time) {
	select {
	case <-faultWake:
		return
	case <-r.Context().Done():
	case <-s.done:
	case <-limit:
		s.logf("hang fault: poll dropped after %v without an answer (HangTimeout)", s.cfg.HangTimeout)
	}
	panic(http.ErrAbortHandler)
}

func quoteShort(v string) string {
	if len(v) > 48 {
		v = v[:48] + "…"
	}
	return `"` + strings.ReplaceAll(v, `"`, `\"`) + `"`
}

// sweepLocked drops sessions nobody polled for SessionTTL and expired
// tokens, so memory stays bounded. It runs at most every SessionTTL/4.
func (s *Sim) sweepLocked(now time.Time) {
	if now.Sub(s.lastSweep) < s.cfg.SessionTTL/4 && !now.Before(s.lastSweep) {
		return
	}
	s.lastSweep = now
	for _, t := range s.tokens {
		if !t.usable(now) {
			idle := true
			for _, se := range t.sessions {
				if se.polls > 0 {
					idle = false
				}
			}
			if idle {
				delete(s.tokens, t.value)
				s.removeFromScopeLocked(t)
			}
			continue
		}
		for id, se := range t.sessions {
			if se.polls == 0 && now.Sub(se.lastSeen) > s.cfg.SessionTTL {
				delete(t.sessions, id)
			}
		}
	}
}

// Emit delivers an event to every session of every usable token covering
// ev.Ressource (the line's tokens and its billing account's). Token is set
// to each receiving token; these are filled in when empty: Service,
// Event/Data.Event (from each other), Timestamp (now), Data.TsGet,
// Data.Ts, Date, and Details from the line or queue. Events about a number
// the Sim does not know reach nobody.
func (s *Sim) Emit(ev ovhevent.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emitLocked(ev, s.now())
}

// emitLocked fills ev at time now and queues a copy per token.
func (s *Sim) emitLocked(ev ovhevent.Event, now time.Time) {
	s.stats.Events++
	l := s.lines[ev.Ressource]
	if l == nil {
		s.logf("event %s about unknown number %q reaches nobody", ev.Event, ev.Ressource)
		return
	}
	fillEvent(&ev, l, now)
	for _, scope := range [2]string{l.number, l.account.name} {
		for _, t := range s.byScope[scope] {
			if !t.usable(now) || !t.covers(l) || len(t.sessions) == 0 {
				continue
			}
			e := ev
			e.Token = t.value
			for _, se := range t.sessions {
				if se.queue.push(&e, s.cfg.QueueMax) {
					s.stats.Dropped++
				}
				s.stats.Queued++
				se.wakeLocked()
			}
		}
	}
}

// Offsets between an event's times, as in OVH's documented example: Ts (the
// SIP event) comes first, TsGet (collected) about 137 ms later, Timestamp
// (published) about 17 ms after that.
const (
	tsGetLag   = 17 * time.Millisecond
	tsLag      = 150 * time.Millisecond
	dateLayout = "2006-01-02T15:04:05.000000"
	parisZone  = "Europe/Paris"
)

func fillEvent(ev *ovhevent.Event, l *line, now time.Time) {
	if ev.Service == "" {
		ev.Service = l.service()
	}
	if ev.Data.Event == "" {
		ev.Data.Event = ev.Event
	}
	if ev.Event == "" {
		ev.Event = ev.Data.Event
	}
	if ev.Timestamp == 0 {
		ev.Timestamp = ovhevent.Nanos(now.UnixNano())
	}
	published := time.Unix(0, int64(ev.Timestamp))
	if ev.Data.TsGet == 0 {
		ev.Data.TsGet = ovhevent.Nanos(published.Add(-tsGetLag).UnixNano())
	}
	if ev.Data.Ts == 0 {
		ev.Data.Ts = seconds(published.Add(-tsLag))
	}
	if ev.Date == "" {
		ev.Date = ovhDate(published)
	}
	if ev.Details == (ovhevent.Details{}) {
		ev.Details = l.details()
	}
}

func seconds(t time.Time) ovhevent.Seconds {
	return ovhevent.Seconds(float64(t.UnixMilli()) / 1000)
}

var paris = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation(parisZone); err == nil {
		return loc
	}
	return time.FixedZone("CET", 3600)
})

// ovhDate formats t as OVH's Date field: "2015-03-05T12:24:30.255954 (CET)".
func ovhDate(t time.Time) string {
	t = t.In(paris())
	return t.Format(dateLayout) + " (" + t.Format("MST") + ")"
}
