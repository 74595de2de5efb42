// Package relay turns OVH telephony events into calls and streams them to
// the agents' extensions: over WebSocket, Server-Sent Events or a JSON
// long-poll, one event model with one resume cursor, each agent seeing
// only its lines. It keeps its event log, call history, agents and tokens
// in the store (server/store) when it has one.
//
// The decisions are plain functions over explicit state (Process, gapFor,
// firstMessage, tokensToPoll, the hub's filtering), so that they can move
// to another runtime; the Relay type wires them to goroutines, HTTP and
// the store.
package relay

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/phone/parse"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/server/upstream"
)

// Version is reported in hello messages and /healthz. The relay and the
// extension are one release, and extension/manifest.json's version is
// the one users and the browser stores see (a store refuses a version
// lower than one it published): Version follows it, and
// TestVersionIsTheManifests fails when they differ.
const Version = "0.1.0"

// Config holds the relay's knobs that the process wiring sets. A zero
// field means its default (server/config.go documents them for users).
type Config struct {
	Region      string        // default region for national numbers, e.g. "FR"
	ReplayMax   int           // events kept for replay (default 10000)
	ReplayAge   time.Duration // and no older than this (default 1 h)
	ClientQueue int           // messages queued per client before it is cut off (default 256)
	KeepAlive   time.Duration // default stream.KeepAlive
	AuthTimeout time.Duration // how long a WebSocket client has to authenticate (default stream.AuthTimeout)
	RingingMax  time.Duration // a call ringing longer is expired as missed (default 10 min)
	LiveMax     time.Duration // a call live longer is expired as ended (default 12 h)
	PollWait    time.Duration // how long a long-poll is held (default 20 s, at most stream.MaxPollWait)
	HistoryAge  time.Duration // calls older than this leave the history (default 90 days)
	Maintain    time.Duration // how often calls are expired, logs trimmed, state saved (default 15 s)
	Log         *slog.Logger

	// Store holds agents, tokens, the event log and the call history.
	// Without one the relay lives in memory: anonymous agents only, no
	// history, and a restart forgets every cursor.
	Store *store.Store
	// StatePath is where the calls in progress and the OVH sessions are
	// saved (at shutdown and every Maintain), so that a restarted relay
	// picks up a call mid-way and gets what OVH kept for its session.
	// "" saves nothing.
	StatePath string

	// AllowAnonymous lets clients without a secret in, as an anonymous
	// agent that sees every line. For the demo and for tests: unsafe
	// beyond loopback, since anyone who reaches the relay sees every call.
	AllowAnonymous bool
	// AllowedOrigins, when set, are the only browser origins accepted
	// (e.g. chrome-extension://<id>); by default any browser extension.
	AllowedOrigins []string
	// BehindProxy takes the client's address from X-Forwarded-For (set
	// by the reverse proxy) for rate limiting.
	BehindProxy bool
	// AuthFailBurst wrong secrets per address are allowed, then one per
	// AuthFailEvery (defaults 10 and 6 s: ten a minute).
	AuthFailBurst int
	AuthFailEvery time.Duration
	// PublicURL is the address agents use to reach the relay, in the
	// connection strings `agent add` prints (e.g. https://relay.example.com).
	PublicURL string

	// EventsURL is OVH's event service (default upstream.DefaultEventsURL).
	EventsURL   string
	PollBackoff upstream.Backoff // default 1 s .. 60 s
	PollClient  *http.Client     // default: upstream's
	// Renewer renews a rejected event token through the OVH API; nil when
	// the relay has no API credentials.
	Renewer TokenRenewer
	// Dialer places the agents' click-to-call calls through the OVH API
	// (dial.go); nil when the relay has no API credentials.
	Dialer Dialer

	// CRM is the caller directory that names each call's other party
	// (crm.go); nil: none, cards carry only what OVH says.
	CRM *CRM
	// CallLog logs each call that ends in the CRM (calllog.go); nil:
	// none. It needs Store.
	CallLog *CallLog
}

func (cfg Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if cfg.Region == "" {
		cfg.Region = "FR"
	}
	if cfg.ReplayMax <= 0 {
		cfg.ReplayMax = 10000
	}
	if cfg.ClientQueue <= 0 {
		cfg.ClientQueue = 256
	}
	if cfg.AuthFailBurst == 0 {
		cfg.AuthFailBurst = 10
	}
	def(&cfg.ReplayAge, time.Hour)
	def(&cfg.KeepAlive, stream.KeepAlive)
	def(&cfg.AuthTimeout, stream.AuthTimeout)
	def(&cfg.RingingMax, 10*time.Minute)
	def(&cfg.LiveMax, 12*time.Hour)
	def(&cfg.PollWait, 20*time.Second)
	cfg.PollWait = min(cfg.PollWait, stream.MaxPollWait)
	def(&cfg.HistoryAge, 90*24*time.Hour)
	def(&cfg.Maintain, 15*time.Second)
	def(&cfg.AuthFailEvery, 6*time.Second)
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return cfg
}

// Relay is the running relay: call state, event log, clients and pollers.
type Relay struct {
	cfg     Config
	hub     *Hub
	metrics *metrics
	limiter *failLimiter
	ctx     context.Context // pollers run until Close
	cancel  context.CancelFunc

	mu   sync.Mutex // guards book; serialises processing and publishing, so IDs follow call order
	book *call.Book
	// numbers caches parsed numbers (guarded by mu like book): a call's
	// caller and line are parsed once, not at each of its events.
	numbers parse.Cache
	dirty   bool // book or sessions changed since the last save

	pmu      sync.Mutex // guards pollers and sessions
	pollers  []*poller
	sessions map[string]string // tokenKey → OVH session
	upMu     sync.Mutex        // upstreamChanged one at a time

	activity    activity       // what is logged per call and per client (activitylog.go)
	crm         crmState       // the caller directory's syncs and live lookups (crm.go)
	calllog     callLogState   // the calls logged in the CRM (calllog.go)
	history     chan call.Call // calls to write to the store's history, off the delivery path
	historyDone chan struct{}
	closeOnce   sync.Once
}

// New returns a relay with cfg's defaults filled in. With a store it
// reloads the event log (IDs go on from the last one), and with a state
// file the calls in progress and OVH sessions.
func New(cfg Config) (*Relay, error) {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Relay{
		cfg:      cfg,
		hub:      NewHub(cfg.ReplayMax, cfg.ReplayAge, cfg.ClientQueue),
		metrics:  newMetrics(),
		limiter:  newFailLimiter(cfg.AuthFailBurst, cfg.AuthFailEvery),
		ctx:      ctx,
		cancel:   cancel,
		book:     call.NewBook(),
		sessions: map[string]string{},
	}
	r.hub.watch = r.clientWatched
	now := time.Now()
	if st := cfg.Store; st != nil {
		last, err := st.LastEventID()
		if err != nil {
			cancel()
			return nil, fmt.Errorf("reading the event log from %s: %w", st.Path(), err)
		}
		var from uint64
		if last > uint64(cfg.ReplayMax) {
			from = last - uint64(cfg.ReplayMax)
		}
		evs, _, err := st.EventsSince(from, cfg.ReplayMax)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("reading the event log from %s: %w", st.Path(), err)
		}
		r.hub.Restore(evs, last, now)
		r.hub.Persist = st.AppendEvents
		r.history = make(chan call.Call, 1024)
		r.historyDone = make(chan struct{})
		go r.writeHistory(r.history)
	}
	if cfg.StatePath != "" {
		s, err := loadState(cfg.StatePath)
		switch {
		case err != nil:
			// Only calls in progress and sessions are lost: start anyway.
			cfg.Log.Warn("cannot restore the calls in progress; starting without them", "err", err)
		case s != nil:
			r.book, r.sessions = s.Book, s.Sessions
			if r.sessions == nil {
				r.sessions = map[string]string{}
			}
			cfg.Log.Info("restored the calls in progress", "calls", r.book.Len(), "saved", s.Saved.Format(time.RFC3339))
		}
	}
	if err := r.startCallLog(); err != nil {
		cancel()
		return nil, err
	}
	return r, nil
}

// Watch registers a poller the caller runs itself (tests, and relays
// built without tokens in the store); its state shows in /healthz.
func (r *Relay) Watch(p *upstream.Poller) {
	r.pmu.Lock()
	r.pollers = append(r.pollers, &poller{p: p})
	r.pmu.Unlock()
	p.OnEvents = r.HandleEvents
	p.OnHealth = func(upstream.Health) { r.upstreamChanged() }
	r.upstreamChanged()
}

// HandleEvents processes one long-poll answer: sorted by OVH's clocks
// first (OVH may deliver a call's events shuffled within an answer), each
// event applied once to the calls, and what changed published.
func (r *Relay) HandleEvents(evs []ovhevent.Event) {
	now := time.Now()
	call.SortByTime(evs)
	r.metrics.eventsIn.Add(uint64(len(evs)))
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*stream.Event
	for i := range evs {
		se, ok := Process(r.book, &r.numbers, &evs[i], now, r.cfg.Region)
		if !ok {
			r.metrics.eventsIgnored.Add(1)
			continue
		}
		r.fillCard(&se.Card, se.Call, now)
		out = append(out, &se)
	}
	r.publishLocked(out, now)
}

// publishLocked sends events to the clients and the history; r.mu is held.
func (r *Relay) publishLocked(evs []*stream.Event, now time.Time) {
	if len(evs) == 0 {
		return
	}
	r.dirty = true
	ids, err := r.hub.Publish(evs, now)
	if err != nil {
		r.metrics.storeErrors.Add(1)
		r.cfg.Log.Error("cannot log events in the data file; clients got them, but a restart may lose them", "err", err)
	}
	r.metrics.published.Add(uint64(len(evs)))
	r.logCalls(evs)
	for i, ev := range evs {
		r.cfg.Log.Debug("event", "id", ids[i], "event", ev.Name, "line", maskNumber(ev.Call.Line), "calling", maskNumber(ev.Call.Calling), "state", ev.Call.State)
		if r.history != nil {
			r.history <- ev.Call
		}
		r.callEnded(ev)
	}
}

// writeHistory saves calls to the store's history until the channel
// closes. What comes within historyWait of a call is saved with it, in
// one commit: a commit waits for the disk, and so meanwhile does
// Publish, which logs events in the same store before any client sees
// them; the history is not in such a hurry.
func (r *Relay) writeHistory(history <-chan call.Call) {
	defer close(r.historyDone)
	var batch []call.Call
	wait := time.NewTimer(historyWait)
	for c := range history {
		batch = append(batch[:0], c)
		wait.Reset(historyWait)
	more:
		for len(batch) < historyBatch {
			select {
			case c, ok := <-history:
				if !ok {
					break more // saved below; the range then ends
				}
				batch = append(batch, c)
			case <-wait.C:
				break more
			}
		}
		batch = slices.DeleteFunc(batch, func(c call.Call) bool { return c.ID == "" })
		if len(batch) == 0 {
			continue
		}
		if err := r.cfg.Store.PutCalls(batch); err != nil {
			r.metrics.storeErrors.Add(1)
			r.cfg.Log.Error("cannot save calls in the history", "err", err, "calls", len(batch))
		}
	}
}

// historyBatch bounds the calls saved in one commit, historyWait how
// long the first of them waits for others.
const (
	historyBatch = 256
	historyWait  = 50 * time.Millisecond
)

// Run does the relay's periodic work until ctx is done: it ends calls OVH
// never ended, trims the event log and history, and saves the state.
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(r.cfg.Maintain)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.maintain(now)
		}
	}
}

func (r *Relay) maintain(now time.Time) {
	r.expire(now)
	if st := r.cfg.Store; st != nil {
		if _, err := st.TrimEvents(r.cfg.ReplayMax, r.cfg.ReplayAge, now); err != nil {
			r.cfg.Log.Error("cannot trim the event log", "err", err)
		}
		if _, err := st.TrimCalls(r.cfg.HistoryAge, now); err != nil {
			r.cfg.Log.Error("cannot trim the call history", "err", err)
		}
		if _, err := st.TrimCallLog(r.cfg.HistoryAge, now); err != nil {
			r.cfg.Log.Error("cannot trim the CRM call log", "err", err)
		}
	}
	r.saveState(false)
}

// RunExpiry ends calls OVH never ended, every every, until ctx is done.
// Run does this and more; RunExpiry is for relays without a store.
func (r *Relay) RunExpiry(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.expire(now)
		}
	}
}

func (r *Relay) expire(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changes := r.book.Expire(now, r.cfg.RingingMax, r.cfg.LiveMax)
	var out []*stream.Event
	for _, ch := range changes {
		name := ch.Event
		if name == "" {
			name = call.Expired
		}
		se := streamEvent(&r.numbers, name, ch.Call, now, r.cfg.Region)
		r.fillCard(&se.Card, se.Call, now)
		out = append(out, &se)
	}
	r.publishLocked(out, now)
}

func (r *Relay) liveCalls(a Agent) []stream.LiveCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	live := LiveCalls(r.book, &r.numbers, r.cfg.Region)
	out := live[:0]
	now := time.Now()
	for _, lc := range live {
		if a.Sees(lc.Call.Line) {
			r.fillCard(&lc.Card, lc.Call, now)
			out = append(out, lc)
		}
	}
	return out
}

// Shutdown tells connected clients to go away (they reconnect with their
// cursor, to this relay once restarted or to another) and refuses new
// ones. Call it before the HTTP server's Shutdown, which waits for them.
func (r *Relay) Shutdown() { r.hub.Close() }

// Close stops the pollers, finishes writing the history and saves the
// state. The caller closes the store afterwards.
func (r *Relay) Close() error {
	var err error
	r.closeOnce.Do(func() {
		r.hub.Close()
		r.cancel()
		r.pmu.Lock()
		ps := r.pollers
		r.pmu.Unlock()
		for _, p := range ps {
			if p.done != nil {
				<-p.done
			}
		}
		r.mu.Lock() // no publish in flight; later ones skip the history
		history := r.history
		r.history = nil
		r.mu.Unlock()
		if history != nil {
			close(history)
			<-r.historyDone
		}
		r.stopCallLog()
		err = r.saveState(true)
	})
	return err
}

// Handler returns the relay's public HTTP API: the agent API under /v1/,
// /healthz and /metrics. Every refusal is a typed error (errors.go).
func (r *Relay) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(path, method string, h http.HandlerFunc, cors bool) {
		mux.HandleFunc(path, func(w http.ResponseWriter, req *http.Request) {
			if cors {
				if e := r.cors(w, req); e != nil {
					writeError(w, e)
					return
				}
				if req.Method == http.MethodOptions {
					w.WriteHeader(http.StatusNoContent)
					return
				}
			}
			if req.Method != method && !(method == http.MethodGet && req.Method == http.MethodHead) {
				w.Header().Set("Allow", method)
				writeError(w, errMethod.with("use %s on %s", method, path))
				return
			}
			h(w, req)
		})
	}
	route(stream.PathStream, http.MethodGet, r.serveWebSocket, false)
	route(stream.PathSSE, http.MethodGet, r.serveSSE, true)
	route(stream.PathPoll, http.MethodGet, r.servePoll, true)
	route(stream.PathCalls, http.MethodGet, r.serveCalls, true)
	route(stream.PathCalls+"/missed", http.MethodGet, r.serveMissed, true)
	route(stream.PathCalls+"/seen", http.MethodPost, r.serveSeen, true)
	route(stream.PathCallNote, http.MethodPost, r.serveCallNote, true)
	route(stream.PathDial, http.MethodPost, r.serveDial, true)
	route("/healthz", http.MethodGet, r.serveHealth, false)
	route("/metrics", http.MethodGet, r.serveMetrics, false)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { writeError(w, errNotFound) })
	return mux
}
