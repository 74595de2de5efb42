// Package relay turns OVH telephony events into calls and streams them to
// the agents' extensions.
package relay

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/upstream"
)

// Version is reported in hello messages and /healthz.
const Version = "0.1.0"

// Config holds the relay's knobs that the process wiring sets.
type Config struct {
	Region      string        // default region for national numbers, e.g. "FR"
	ReplayMax   int           // events kept for replay (default 10000)
	ReplayAge   time.Duration // and no older than this (default 1 h)
	ClientQueue int           // messages queued per client before it is cut off (default 256)
	KeepAlive   time.Duration // default stream.KeepAlive
	RingingMax  time.Duration // a call ringing longer is expired as missed (default 10 min)
	LiveMax     time.Duration // a call live longer is expired as ended (default 12 h)
	Log         *slog.Logger
}

// Relay is the running relay: call state, event log and clients.
type Relay struct {
	cfg Config
	hub *Hub

	mu      sync.Mutex // guards book
	book    *call.Book
	pollers []*upstream.Poller
}

// New returns a relay with cfg's defaults filled in.
func New(cfg Config) *Relay {
	if cfg.Region == "" {
		cfg.Region = "FR"
	}
	if cfg.ReplayMax == 0 {
		cfg.ReplayMax = 10000
	}
	if cfg.ReplayAge == 0 {
		cfg.ReplayAge = time.Hour
	}
	if cfg.ClientQueue == 0 {
		cfg.ClientQueue = 256
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = stream.KeepAlive
	}
	if cfg.RingingMax == 0 {
		cfg.RingingMax = 10 * time.Minute
	}
	if cfg.LiveMax == 0 {
		cfg.LiveMax = 12 * time.Hour
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Relay{cfg: cfg, hub: NewHub(cfg.ReplayMax, cfg.ReplayAge, cfg.ClientQueue), book: call.NewBook()}
}

// Watch registers a poller whose state is shown in /healthz; the caller runs it.
func (r *Relay) Watch(p *upstream.Poller) {
	r.mu.Lock()
	r.pollers = append(r.pollers, p)
	r.mu.Unlock()
	p.OnEvents = r.HandleEvents
}

// HandleEvents processes a batch of OVH events in order.
func (r *Relay) HandleEvents(evs []ovhevent.Event) {
	now := time.Now()
	for i := range evs {
		r.mu.Lock()
		se, ok := Process(r.book, &evs[i], now, r.cfg.Region)
		r.mu.Unlock()
		if !ok {
			continue
		}
		id := r.hub.Publish(&se, now)
		r.cfg.Log.Debug("event", "id", id, "event", se.Name, "line", se.Call.Line, "state", se.Call.State)
	}
}

// RunExpiry ends calls OVH never ended, until ctx is done.
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
	changes := r.book.Expire(now, r.cfg.RingingMax, r.cfg.LiveMax)
	r.mu.Unlock()
	for _, ch := range changes {
		name := ch.Event
		if name == "" {
			name = "expired"
		}
		se := streamEvent(name, ch.Call, now, r.cfg.Region)
		r.hub.Publish(&se, now)
	}
}

func (r *Relay) liveCalls() []stream.LiveCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return LiveCalls(r.book, r.cfg.Region)
}

// Handler returns the relay's HTTP API.
func (r *Relay) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/stream", r.serveStream)
	mux.HandleFunc("GET /healthz", r.serveHealth)
	return mux
}

// Shutdown tells connected clients to go away (they reconnect with their cursor).
func (r *Relay) Shutdown() { r.hub.Close() }

func (r *Relay) serveHealth(w http.ResponseWriter, _ *http.Request) {
	type upstreamState struct {
		Token string         `json:"token"`
		State upstream.State `json:"state"`
	}
	r.mu.Lock()
	var ups []upstreamState
	ok := true
	for _, p := range r.pollers {
		s := p.State()
		ups = append(ups, upstreamState{upstream.Mask(p.Token), s})
		if s.Status != "polling" {
			ok = false
		}
	}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(map[string]any{
		"ok": ok, "version": Version, "clients": r.hub.Clients(), "upstream": ups,
	})
}
