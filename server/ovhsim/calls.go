package ovhsim

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/screenpop/screenpop/internal/ovhevent"
)

// Scenarios a Call plays. Each plays in the Sim's Order (Config.Order)
// unless the Call says otherwise. In OrderOVH, the default, the events are
// the ones OVH's own dashboard expects of the service
// (shared/docs/ovh-events.md, last section); OrderLegacy keeps the orders
// the emulator used to play, for the product's tolerance tests.
const (
	// Answered: start_ringing, (RingFor) start_calling, (TalkFor)
	// end_calling. OrderLegacy adds an end_ringing right after
	// start_calling (unless SkipEndRinging).
	Answered = "answered"
	// Missed: start_ringing, (RingFor) end_ringing.
	Missed = "missed"
	// Outbound: start_calling with Calling = the line, (TalkFor) end_calling.
	Outbound = "outbound"
	// Ringing: start_ringing, then end_ringing when EndCall is called.
	Ringing = "ringing"
	// QueueAnswered, on a queue: member-queue-start, member-count,
	// agent-offering, (RingFor) bridge-agent-start, (TalkFor)
	// bridge-agent-end, member-queue-end (QueueCause "Terminated"),
	// member-count. OrderLegacy: no member-count, no Count, no CallId
	// (QueueMemberUUID only), no times on bridge-agent-end.
	QueueAnswered = "queue-answered"
	// QueueAbandoned, on a queue: member-queue-start, member-count,
	// agent-offering, (RingFor) member-queue-end (QueueCause "Cancel"),
	// bridge-agent-fail (QueueHangupCause: Call.HangupCause), member-count.
	// OrderLegacy: member-queue-start, agent-offering, (RingFor)
	// member-queue-end.
	QueueAbandoned = "queue-abandoned"
)

// Order is how a call's events are played: OrderOVH (as the service) or
// OrderLegacy (the emulator's orders before it matched the service).
type Order string

const (
	// OrderOVH: what OVH's dashboard expects of the service. An answered
	// call has no end_ringing after start_calling; queue events carry the
	// caller's CallId, Count and member-count events; an abandoned caller
	// gets bridge-agent-fail with QueueHangupCause; bridge-agent-end
	// carries QueueAgentAnsweredTime and QueueMemberJoinedTime.
	OrderOVH Order = "ovh"
	// OrderLegacy: an answered call gets end_ringing after start_calling;
	// queue events have an empty CallId, no Count and no member-count; an
	// abandoned caller gets member-queue-end only; bridge-agent-end has no
	// times. Clients must still get every call right.
	OrderLegacy Order = "legacy"
)

// Orders lists the orders, the default first.
var Orders = []Order{OrderOVH, OrderLegacy}

// Valid reports whether o is an order ("" is: the Sim's).
func (o Order) Valid() bool { return o == "" || o == OrderOVH || o == OrderLegacy }

// Why a queue caller left without an agent (QueueHangupCause on
// bridge-agent-fail), as OVH's dashboard knows them.
const (
	HangupOriginatorCancel = "ORIGINATOR_CANCEL" // the caller gave up
	HangupNoAgentTimeout   = "NO_AGENT_TIMEOUT"  // the queue's wait ran out
)

// Scenarios lists every scenario.
var Scenarios = []string{Answered, Missed, Outbound, Ringing, QueueAnswered, QueueAbandoned}

// Call defaults.
const (
	DefaultRingFor = 2 * time.Second
	DefaultTalkFor = 3 * time.Second
	// AnonymousCaller is what Calling holds for a withheld number.
	AnonymousCaller = "anonymous"
)

// Call describes a call for Ring. Only Line is required.
//
// As JSON (POST /sim/call) keys are lower-case and ringFor/talkFor are Go
// duration strings ("1.5s") or numbers of milliseconds (1500).
type Call struct {
	Line     string // the OVH line or queue number the call is on
	Calling  string // inbound: default a random French mobile; outbound: default Line
	Called   string // inbound: default Line; outbound: default a random French mobile
	Scenario string // default Answered on a line, QueueAnswered on a queue

	Duplicate bool // every event is sent twice
	// Reorder delivers the call's first event right after its second one
	// (e.g. start_calling before start_ringing), with Ts still in the true
	// order: events may arrive out of order.
	Reorder   bool
	Anonymous bool // withheld caller: Calling is "anonymous"

	RingFor time.Duration // default 2s
	TalkFor time.Duration // default 3s

	Agent          string // queue scenarios: the agent; default a line of the same billing account
	CallerName     string // queue scenarios: QueueMemberCIDName; default the caller's number
	SkipEndRinging bool   // Answered in OrderLegacy: no end_ringing between start_calling and end_calling
	// HangupCause is the QueueHangupCause of an abandoned queue call's
	// bridge-agent-fail (OrderOVH): ORIGINATOR_CANCEL (the default) or
	// NO_AGENT_TIMEOUT.
	HangupCause string
	// Order overrides the Sim's order (Config.Order) for this call.
	Order Order
}

type callJSON struct {
	Line           string   `json:"line"`
	Calling        string   `json:"calling,omitempty"`
	Called         string   `json:"called,omitempty"`
	Scenario       string   `json:"scenario,omitempty"`
	Duplicate      bool     `json:"duplicate,omitempty"`
	Reorder        bool     `json:"reorder,omitempty"`
	Anonymous      bool     `json:"anonymous,omitempty"`
	RingFor        duration `json:"ringFor,omitempty"`
	TalkFor        duration `json:"talkFor,omitempty"`
	Agent          string   `json:"agent,omitempty"`
	CallerName     string   `json:"callerName,omitempty"`
	SkipEndRinging bool     `json:"skipEndRinging,omitempty"`
	HangupCause    string   `json:"hangupCause,omitempty"`
	Order          Order    `json:"order,omitempty"`
}

// MarshalJSON encodes durations as Go duration strings.
func (c Call) MarshalJSON() ([]byte, error) {
	return json.Marshal(callJSON{
		Line: c.Line, Calling: c.Calling, Called: c.Called, Scenario: c.Scenario,
		Duplicate: c.Duplicate, Reorder: c.Reorder, Anonymous: c.Anonymous,
		RingFor: duration(c.RingFor), TalkFor: duration(c.TalkFor),
		Agent: c.Agent, CallerName: c.CallerName, SkipEndRinging: c.SkipEndRinging,
		HangupCause: c.HangupCause, Order: c.Order,
	})
}

// UnmarshalJSON decodes lower-case keys, rejecting unknown ones, with
// durations as strings ("2s") or milliseconds (2000).
func (c *Call) UnmarshalJSON(b []byte) error {
	var j callJSON
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&j); err != nil {
		return err
	}
	*c = Call{
		Line: j.Line, Calling: j.Calling, Called: j.Called, Scenario: j.Scenario,
		Duplicate: j.Duplicate, Reorder: j.Reorder, Anonymous: j.Anonymous,
		RingFor: time.Duration(j.RingFor), TalkFor: time.Duration(j.TalkFor),
		Agent: j.Agent, CallerName: j.CallerName, SkipEndRinging: j.SkipEndRinging,
		HangupCause: j.HangupCause, Order: j.Order,
	}
	return nil
}

// duration is a time.Duration that JSON-decodes from "1.5s" or 1500 (ms).
type duration time.Duration

func (d duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*d = 0
	case float64:
		if v < 0 {
			return fmt.Errorf("duration %v ms is negative", v)
		}
		*d = duration(v * float64(time.Millisecond))
	case string:
		x, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("duration %q: want a Go duration like \"1.5s\" or a number of milliseconds", v)
		}
		if x < 0 {
			return fmt.Errorf("duration %q is negative", v)
		}
		*d = duration(x)
	default:
		return fmt.Errorf("duration: want a string like \"1.5s\" or a number of milliseconds, got %s", b)
	}
	return nil
}

// call is a call being played.
type call struct {
	Call
	id         string // returned by Ring: what ovhevent.Event.CallID gives for its events
	callID     string // Data.CallId ("" on a queue in OrderLegacy)
	memberUUID string // queues: QueueMemberUUID
	line       *line
	hangup     chan struct{} // closed by EndCall
	ended      bool
	joinedAt   time.Time // queues: member-queue-start
	answeredAt time.Time // queues: bridge-agent-start
	count      int       // queues: Count of the event being built

	emitted   int             // events produced so far (for Reorder)
	held      *ovhevent.Event // Reorder: the first event, waiting for the second
	leftQueue bool            // queues: member-queue-end was sent
}

// Ring starts a call: its scenario's events are played in a goroutine with
// its timings. It returns at once with the call's id, what
// ovhevent.Event.CallID returns for its events: Data.CallId, or on a queue
// in OrderLegacy (no CallId) QueueMemberUUID.
func (s *Sim) Ring(c Call) (callID string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ringLocked(c)
}

func (s *Sim) ringLocked(c Call) (string, error) {
	if s.closed() {
		return "", errors.New("ovhsim: closed")
	}
	if c.Line == "" {
		return "", errors.New("ovhsim: call: line is required")
	}
	l := s.lines[c.Line]
	if l == nil {
		return "", fmt.Errorf("ovhsim: call: no line or queue %q (add it with AddLine or AddQueue)", c.Line)
	}
	if c.Scenario == "" {
		c.Scenario = Answered
		if l.isQueue() {
			c.Scenario = QueueAnswered
		}
	}
	switch c.Scenario {
	case Answered, Missed, Outbound, Ringing:
		if l.isQueue() {
			return "", fmt.Errorf("ovhsim: call: scenario %q needs a line, %s is a queue (use %q or %q)", c.Scenario, c.Line, QueueAnswered, QueueAbandoned)
		}
	case QueueAnswered, QueueAbandoned:
		if !l.isQueue() {
			return "", fmt.Errorf("ovhsim: call: scenario %q needs a queue, %s is a line (add it with AddQueue)", c.Scenario, c.Line)
		}
	default:
		return "", fmt.Errorf("ovhsim: call: unknown scenario %q (want one of %q)", c.Scenario, Scenarios)
	}
	if c.Order == "" {
		c.Order = s.orderLocked()
	}
	if !c.Order.Valid() {
		return "", fmt.Errorf("ovhsim: call: unknown order %q (want one of %q)", c.Order, Orders)
	}
	switch c.HangupCause {
	case "":
		c.HangupCause = HangupOriginatorCancel
	case HangupOriginatorCancel, HangupNoAgentTimeout:
	default:
		return "", fmt.Errorf("ovhsim: call: unknown hangupCause %q (want %q or %q)", c.HangupCause, HangupOriginatorCancel, HangupNoAgentTimeout)
	}
	if c.RingFor < 0 || c.TalkFor < 0 {
		return "", errors.New("ovhsim: call: ringFor and talkFor must not be negative")
	}
	if c.RingFor == 0 {
		c.RingFor = DefaultRingFor
	}
	if c.TalkFor == 0 {
		c.TalkFor = DefaultTalkFor
	}
	remote := randomMobile()
	if c.Anonymous {
		remote = AnonymousCaller
	}
	if c.Scenario == Outbound {
		if c.Calling == "" {
			c.Calling = c.Line
		}
		if c.Called == "" {
			c.Called = randomMobile()
		}
	} else {
		if c.Calling == "" || c.Anonymous {
			c.Calling = remote
		}
		if c.Called == "" {
			c.Called = c.Line
		}
	}
	if l.isQueue() {
		if c.CallerName == "" {
			c.CallerName = c.Calling
			if c.Anonymous {
				c.CallerName = "Anonymous"
			}
		}
		if c.Agent == "" {
			c.Agent = s.defaultAgentLocked(l)
		}
	}

	k := &call{Call: c, line: l, hangup: make(chan struct{}), callID: newCallID()}
	k.id = k.callID
	if l.isQueue() {
		k.memberUUID = uuid.NewString()
		if c.Order == OrderLegacy {
			k.callID, k.id = "", k.memberUUID
		}
	}
	s.calls[k.id] = k
	s.stats.Calls++
	s.logf("call %s on %s: %s from %q to %q", k.id, c.Line, c.Scenario, c.Calling, c.Called)
	s.wg.Add(1)
	go s.play(k)
	return k.id, nil
}

// defaultAgentLocked picks the first line of the queue's billing account.
func (s *Sim) defaultAgentLocked(q *line) string {
	agent := ""
	for _, l := range s.lines {
		if l.account == q.account && !l.isQueue() && (agent == "" || l.number < agent) {
			agent = l.number
		}
	}
	if agent == "" {
		agent = "0033900000001"
	}
	return agent
}

// EndCall hangs up a call being played. A "ringing" call ends as missed
// (end_ringing). Any other call ends early: while ringing as missed or
// abandoned, while talking with its end events. Unknown or finished calls
// are ignored.
func (s *Sim) EndCall(callID string) {
	s.endCall(callID)
}

func (s *Sim) endCall(callID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.calls[callID]
	if k == nil || k.ended {
		return false
	}
	k.ended = true
	close(k.hangup)
	return true
}

// waitResult says why a call's wait ended.
type waitResult int

const (
	elapsed waitResult = iota
	hungUp
	simClosed
)

func (s *Sim) wait(k *call, d time.Duration) waitResult {
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return elapsed
	case <-k.hangup:
		return hungUp
	case <-s.done:
		return simClosed
	}
}

// forever is a wait with no timeout.
const forever = -1

// play runs a call's scenario.
func (s *Sim) play(k *call) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.calls, k.id)
		s.mu.Unlock()
	}()
	legacy := k.Order == OrderLegacy

	switch k.Scenario {
	case Answered:
		s.emitCall(k, ovhevent.StartRinging)
		switch s.wait(k, k.RingFor) {
		case simClosed:
			return
		case hungUp:
			s.emitCall(k, ovhevent.EndRinging)
			return
		}
		s.emitCall(k, ovhevent.StartCalling)
		// The service sends no end_ringing once the call is answered
		// (OVH's dashboard drops the call's row on end_ringing).
		if legacy && !k.SkipEndRinging {
			s.emitCall(k, ovhevent.EndRinging)
		}
		if s.wait(k, k.TalkFor) == simClosed {
			return
		}
		s.emitCall(k, ovhevent.EndCalling)

	case Missed, Ringing:
		d := k.RingFor
		if k.Scenario == Ringing {
			d = forever
		}
		s.emitCall(k, ovhevent.StartRinging)
		if s.wait(k, d) == simClosed {
			return
		}
		s.emitCall(k, ovhevent.EndRinging)

	case Outbound:
		s.emitCall(k, ovhevent.StartCalling)
		if s.wait(k, k.TalkFor) == simClosed {
			return
		}
		s.emitCall(k, ovhevent.EndCalling)

	case QueueAnswered, QueueAbandoned:
		s.emitCall(k, ovhevent.MemberQueueStart)
		if !legacy {
			s.emitCall(k, ovhevent.MemberCount)
		}
		s.emitCall(k, ovhevent.AgentOffering)
		r := s.wait(k, k.RingFor)
		if r == simClosed {
			return
		}
		if r == hungUp || k.Scenario == QueueAbandoned {
			s.emitCall(k, ovhevent.MemberQueueEnd)
			if !legacy {
				// What counts a lost call and clears the caller on OVH's
				// dashboard.
				s.emitCall(k, ovhevent.BridgeAgentFail)
				s.emitCall(k, ovhevent.MemberCount)
			}
			return
		}
		s.emitCall(k, ovhevent.BridgeAgentStart)
		if s.wait(k, k.TalkFor) == simClosed {
			return
		}
		s.emitCall(k, ovhevent.BridgeAgentEnd)
		s.emitCall(k, ovhevent.MemberQueueEnd)
		if !legacy {
			s.emitCall(k, ovhevent.MemberCount)
		}
	}
	s.flushHeld(k)
}

// orderLocked is the Sim's order for calls that do not choose one.
func (s *Sim) orderLocked() Order {
	if s.order == "" {
		return OrderOVH
	}
	return s.order
}

// SetOrder sets the order of the calls rung from now on that do not
// choose one (Call.Order). It panics on an order that is not one of
// Orders ("" is OrderOVH); the control API validates before calling it.
func (s *Sim) SetOrder(o Order) {
	if !o.Valid() {
		panic(fmt.Sprintf("ovhsim: unknown order %q (want one of %q)", o, Orders))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.order = o
}

// CurrentOrder returns the order calls play in when they do not choose one.
func (s *Sim) CurrentOrder() Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.orderLocked()
}

// queueCountLocked is how many callers wait or talk in queue q: its
// calls being played whose caller has not left it.
func (s *Sim) queueCountLocked(q *line) int {
	n := 0
	for _, k := range s.calls {
		if k.line == q && !k.leftQueue {
			n++
		}
	}
	return n
}

// emitCall builds one event of the call at the current time and delivers
// it, honouring Duplicate and Reorder.
func (s *Sim) emitCall(k *call, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if k.line.isQueue() {
		switch name {
		case ovhevent.MemberQueueStart:
			k.joinedAt = now
		case ovhevent.BridgeAgentStart:
			k.answeredAt = now
		case ovhevent.MemberQueueEnd:
			k.leftQueue = true
		}
		k.count = s.queueCountLocked(k.line)
	}
	ev := k.event(name, now)
	k.emitted++
	if k.Reorder && k.emitted == 1 {
		k.held = &ev
		return
	}
	s.deliverCallLocked(k, ev, now)
	if k.held != nil {
		held := *k.held
		k.held = nil
		s.deliverCallLocked(k, held, now)
	}
}

// flushHeld delivers a held first event of a call that had only one.
func (s *Sim) flushHeld(k *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k.held != nil {
		s.deliverCallLocked(k, *k.held, s.now())
		k.held = nil
	}
}

func (s *Sim) deliverCallLocked(k *call, ev ovhevent.Event, now time.Time) {
	ev.Timestamp = ovhevent.Nanos(now.UnixNano())
	s.emitLocked(ev, now)
	if k.Duplicate {
		s.emitLocked(ev, now)
	}
}

// event builds the call's event called name, happening at now: Ts is set
// here so that it keeps the true order when Reorder delays delivery.
func (k *call) event(name string, now time.Time) ovhevent.Event {
	ev := ovhevent.Event{
		Event:     name,
		Service:   k.line.service(),
		Ressource: k.line.number,
		Details:   k.line.details(),
	}
	d := &ev.Data
	d.Event = name
	d.Ts = seconds(now.Add(-tsLag))
	d.Calling = k.Calling
	d.Called = k.Called
	d.Dialed = k.Called
	if k.line.isQueue() {
		legacy := k.Order == OrderLegacy
		d.Billing = k.line.number
		d.Action = name
		d.Queue = ovhevent.Text(k.line.number)
		d.CallId = k.callID
		if name == ovhevent.MemberCount {
			// About the queue, not the caller: its size now.
			d.Calling, d.Called, d.Dialed = "", "", ""
			d.Count = ovhevent.Text(strconv.Itoa(k.count))
			return ev
		}
		d.QueueMemberCIDNumber = k.Calling
		d.QueueMemberCIDName = k.CallerName
		d.QueueMemberUUID = k.memberUUID
		switch name {
		case ovhevent.MemberQueueStart:
			if !legacy {
				d.Count = ovhevent.Text(strconv.Itoa(k.count))
			}
		case ovhevent.AgentOffering, ovhevent.BridgeAgentStart, ovhevent.BridgeAgentEnd:
			d.Agent = ovhevent.Text(k.Agent)
			d.QueueAgent = ovhevent.Text(k.Agent)
		case ovhevent.BridgeAgentFail:
			d.Agent = ovhevent.Text(k.Agent)
			d.QueueAgent = ovhevent.Text(k.Agent)
			d.QueueHangupCause = k.HangupCause
		case ovhevent.MemberQueueEnd:
			d.QueueCause = "Cancel"
			if !k.answeredAt.IsZero() {
				d.QueueCause = "Terminated"
				d.Agent = ovhevent.Text(k.Agent)
			}
		}
		if name == ovhevent.BridgeAgentEnd {
			d.QueueCause = "Terminated"
			if !legacy {
				d.QueueAgentAnsweredTime = epochSeconds(k.answeredAt)
				d.QueueMemberJoinedTime = epochSeconds(k.joinedAt)
			}
		}
		return ev
	}
	d.Billing = k.line.number
	d.CallId = k.callID
	d.Protocol = "sip"
	switch name {
	case ovhevent.StartRinging:
		d.Body, d.Cseq = "SIP/2.0 180 Ringing", "102 INVITE"
	case ovhevent.StartCalling:
		d.Body, d.Cseq = "SIP/2.0 200 OK", "102 INVITE"
	case ovhevent.EndRinging:
		d.Body, d.Cseq = "SIP/2.0 487 Request Terminated", "102 INVITE"
		if k.emitted > 1 && k.Scenario == Answered {
			d.Body = "SIP/2.0 200 OK"
		}
	case ovhevent.EndCalling:
		d.Body, d.Cseq = "BYE", "103 BYE"
	}
	return ev
}

// epochSeconds is t as OVH's queue times: whole Unix seconds, as text.
func epochSeconds(t time.Time) ovhevent.Text {
	return ovhevent.Text(strconv.FormatInt(t.Unix(), 10))
}

// Register emits a "registered" event for a line (its phone registered):
// Calling = Called = Dialed = the line.
func (s *Sim) Register(number string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lines[number]
	if l == nil || l.isQueue() {
		return fmt.Errorf("ovhsim: register: no line %q", number)
	}
	now := s.now()
	s.emitLocked(ovhevent.Event{
		Event:     ovhevent.Registered,
		Ressource: number,
		Data: ovhevent.Data{
			Billing:  number,
			Body:     "REGISTER",
			CallId:   newCallID(),
			Called:   number,
			Calling:  number,
			Cseq:     "1 REGISTER",
			Dialed:   number,
			Event:    ovhevent.Registered,
			Protocol: "sip",
		},
	}, now)
	return nil
}

// newCallID returns an id shaped like OVH's CallId: 32 hex digits in
// unpadded base64, then a dot ("N2ZkZmEy…OTY.").
func newCallID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawStdEncoding.EncodeToString([]byte(hex.EncodeToString(b[:]))) + "."
}

// randomMobile returns a French mobile number in OVH's 00 form.
func randomMobile() string {
	return "00336" + strconv.Itoa(10000000+mathrand.IntN(90000000))
}
