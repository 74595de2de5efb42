// Package ovhsim emulates the OVHcloud services screenpop talks to: the
// telephony events long-poll service (events.voip.ovh.net, v1), the subset
// of the OVH API (/1.0) that gets an event token, and a control API (/sim/)
// that rings calls and breaks things on purpose.
//
// It follows shared/docs/ovh-events.md: what is confirmed there is
// reproduced exactly; what is inferred is a Config knob. A Sim is an
// http.Handler and is safe for concurrent use:
//
//	sim := ovhsim.New(ovhsim.Config{HoldTime: time.Second})
//	sim.AddLine("ab12345-ovh-1", "0033972101010", "Accueil")
//	srv := httptest.NewServer(sim)
//	token, _ := sim.NewToken("0033972101010", "1 day")
//	// poll srv.URL + "/?token=" + token, then:
//	sim.Ring(ovhsim.Call{Line: "0033972101010", Scenario: ovhsim.Answered})
//
// Routes: GET / (events), /1.0/… (OVH API), /sim/… (control API).
package ovhsim

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/screenpop/screenpop/internal/ovhevent"
)

// Sim is the emulator. Create it with New.
type Sim struct {
	cfg     Config
	handler http.Handler

	mu        sync.Mutex
	accounts  map[string]*account // by billing account name
	lines     map[string]*line    // lines and queues, by number
	tokens    map[string]*token   // by token value
	byScope   map[string][]*token // live tokens by scope (line or billing account), oldest first
	calls     map[string]*call    // calls being played, by id
	apps      map[string]string   // application key → secret
	consumers map[string]*consumerKey
	fault     Fault
	order     Order         // of calls that do not choose one ("": OrderOVH)
	faultWake chan struct{} // closed and replaced when the fault changes
	pollWake  chan struct{} // closed and replaced when ActivePolls changes
	lastSweep time.Time
	stats     Stats
	nextBAId  int
	nextLnId  int

	done      chan struct{} // closed by Close
	closeOnce sync.Once
	wg        sync.WaitGroup // call goroutines
}

// account is a billing account ("ab12345-ovh-1").
type account struct {
	name string
	id   int // IdBillingAccount in event Details
}

// line is a SIP line or a hunting queue: anything an event can be about.
type line struct {
	number      string
	account     *account
	description string
	kind        string // Details.Type: sipCirpack, easyHunting, cloudHunting
	id          int    // Details.Id
}

func (l *line) isQueue() bool { return l.kind == KindEasyHunting || l.kind == KindCloudHunting }

func (l *line) service() string {
	if l.isQueue() {
		return ovhevent.ServiceQueue
	}
	return ovhevent.ServiceLine
}

func (l *line) details() ovhevent.Details {
	simultaneous := "2"
	if l.isQueue() {
		simultaneous = "0"
	}
	return ovhevent.Details{
		Description:      l.description,
		Id:               ovhevent.Text(strconv.Itoa(l.id)),
		IdBillingAccount: ovhevent.Text(strconv.Itoa(l.account.id)),
		SimultaneousLine: ovhevent.Text(simultaneous),
		Type:             l.kind,
	}
}

// Details.Type values.
const (
	KindLine         = "sipCirpack"
	KindEasyHunting  = "easyHunting"
	KindCloudHunting = "cloudHunting"
)

// Stats counts what the Sim has seen. Counters are totals since New; the
// Active* and live counts are current values.
type Stats struct {
	Polls        int // requests on the events endpoint
	ActivePolls  int // polls held open right now
	Sessions     int // live sessions
	Tokens       int // live (usable) tokens
	Events       int // events emitted (a duplicate counts twice)
	Queued       int // event copies put in session queues
	Delivered    int // events sent in poll answers
	Dropped      int // events dropped because a session queue was full
	EmptyAnswers int // polls answered with no events
	BadTokens    int // polls rejected for their token
	Faults       int // polls answered with (or aborted by) a fault
	ActiveCalls  int // calls being played right now
	Calls        int // calls started with Ring (or click2Call)
	APICalls     int // requests on /1.0
	APIRejected  int // /1.0 requests rejected (auth, validation, not found)
}

// New returns a Sim with no lines, no tokens and no applications.
func New(cfg Config) *Sim {
	s := &Sim{
		cfg:       cfg.withDefaults(),
		accounts:  map[string]*account{},
		lines:     map[string]*line{},
		tokens:    map[string]*token{},
		byScope:   map[string][]*token{},
		calls:     map[string]*call{},
		apps:      map[string]string{},
		consumers: map[string]*consumerKey{},
		faultWake: make(chan struct{}),
		pollWake:  make(chan struct{}),
		done:      make(chan struct{}),
		nextBAId:  59415,
		nextLnId:  295670,
		order:     cfg.Order,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", s.serveEvents)
	mux.Handle("/sim/", s.controlHandler())
	mux.HandleFunc("/1.0/", s.serveAPI)
	s.handler = mux
	return s
}

// ServeHTTP serves the events endpoint (GET /), the OVH API (/1.0/) and the
// control API (/sim/).
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Close stops every call being played (without emitting their remaining
// events), answers held polls at once and releases hung ones. The Sim
// still serves requests afterwards, but polls are no longer held.
func (s *Sim) Close() {
	s.closeOnce.Do(func() {
		// Under mu, so that Ring either sees done closed or adds to wg first.
		s.mu.Lock()
		close(s.done)
		s.mu.Unlock()
	})
	s.wg.Wait()
}

func (s *Sim) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *Sim) now() time.Time { return s.cfg.Clock() }

func (s *Sim) logf(format string, args ...any) { s.cfg.Logf("ovhsim: "+format, args...) }

// AddLine adds a SIP line (Details.Type sipCirpack) to a billing account,
// creating the account if needed. Adding an existing number again changes
// its description and account.
func (s *Sim) AddLine(billingAccount, number, description string) {
	s.addLine(billingAccount, number, description, KindLine)
}

// AddQueue adds a hunting queue (Service "queues"); kind is "easyHunting"
// or "cloudHunting" (anything else is taken as easyHunting).
func (s *Sim) AddQueue(billingAccount, queue, description string, kind string) {
	if kind != KindCloudHunting {
		kind = KindEasyHunting
	}
	s.addLine(billingAccount, queue, description, kind)
}

func (s *Sim) addLine(billingAccount, number, description, kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ba := s.accounts[billingAccount]
	if ba == nil {
		ba = &account{name: billingAccount, id: s.nextBAId}
		s.nextBAId++
		s.accounts[billingAccount] = ba
	}
	if l := s.lines[number]; l != nil {
		l.account, l.description, l.kind = ba, description, kind
		return
	}
	s.lines[number] = &line{number: number, account: ba, description: description, kind: kind, id: s.nextLnId}
	s.nextLnId++
}

// LineInfo describes a line or queue, as GET /sim/lines lists them.
type LineInfo struct {
	BillingAccount string `json:"billingAccount"`
	Line           string `json:"line"`
	Description    string `json:"description"`
	Type           string `json:"type"` // sipCirpack, easyHunting or cloudHunting
}

// Lines lists every line and queue, sorted by billing account then number.
func (s *Sim) Lines() []LineInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LineInfo, 0, len(s.lines))
	for _, l := range s.lines {
		out = append(out, LineInfo{l.account.name, l.number, l.description, l.kind})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].BillingAccount != out[j].BillingAccount {
			return out[i].BillingAccount < out[j].BillingAccount
		}
		return out[i].Line < out[j].Line
	})
	return out
}

// SetFault breaks (or, with FaultNone, repairs) the events endpoint. Polls
// being held are affected at once. It panics on a Fault that is not one of
// the constants (the HTTP control API validates before calling it).
func (s *Sim) SetFault(f Fault) {
	if !f.Valid() {
		panic(fmt.Sprintf("ovhsim: unknown fault %q (want one of %q)", f, Faults))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault == f {
		return
	}
	s.logf("fault %q → %q", s.fault, f)
	s.fault = f
	close(s.faultWake)
	s.faultWake = make(chan struct{})
}

// CurrentFault returns the fault set by SetFault.
func (s *Sim) CurrentFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fault
}

// Stats returns a snapshot of the counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	now := s.now()
	for _, t := range s.tokens {
		if t.usable(now) {
			st.Tokens++
			st.Sessions += len(t.sessions)
		}
	}
	st.ActiveCalls = len(s.calls)
	return st
}

// WaitActivePolls waits until at least n polls are being held, or ctx is
// done. Tests use it to know a client is listening before ringing: a
// session only sees events that happen after its first poll.
func (s *Sim) WaitActivePolls(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		active, wake := s.stats.ActivePolls, s.pollWake
		s.mu.Unlock()
		if active >= n {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return fmt.Errorf("ovhsim: %d active polls, waited for %d: %w", active, n, ctx.Err())
		}
	}
}

// pollsChangedLocked wakes WaitActivePolls.
func (s *Sim) pollsChangedLocked() {
	close(s.pollWake)
	s.pollWake = make(chan struct{})
}
