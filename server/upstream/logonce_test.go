package upstream

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/screenpop/screenpop/internal/memhttp"
)

// records is a slog handler that keeps every record.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	r.mu.Unlock()
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// above lists the messages of the records above debug, with their err.
func (r *records) above() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		if rec.Level > slog.LevelDebug {
			s := rec.Level.String() + " " + rec.Message
			rec.Attrs(func(a slog.Attr) bool {
				if a.Key == "err" {
					s += ": " + a.Value.String()
				}
				return true
			})
			out = append(out, s)
		}
	}
	return out
}

// TestFailuresLoggedOncePerChange: a poller retrying a rejected token
// logs the rejection once, not at every retry (the retries go to debug);
// a change of failure is logged again, and so is a failure after a
// recovery.
func TestFailuresLoggedOncePerChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// OVH's answers, phase by phase: rejected ×6, an outage ×4, one
		// answer, rejected ×3, then held.
		phases := []struct {
			n int
			h http.HandlerFunc
		}{
			{6, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(403)
				w.Write([]byte(`{"Session":"","Message":"Invalid token","Events":null}`))
			}},
			{4, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "bad gateway", 502) }},
			{1, answer("s1")},
			{3, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(403)
				w.Write([]byte(`{"Session":"","Message":"Invalid token","Events":null}`))
			}},
		}
		var polls atomic.Int32
		held := make(chan struct{})
		srv := memhttp.NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			i := int(polls.Add(1)) - 1
			for _, ph := range phases {
				if i < ph.n {
					ph.h(w, r)
					return
				}
				i -= ph.n
			}
			close(held)
			<-r.Context().Done()
		}))
		var recs records
		p := &Poller{EventsURL: srv.URL, Client: srv.Client, Token: token, Log: slog.New(&recs),
			Backoff: Backoff{Min: 10 * time.Millisecond, Max: 40 * time.Millisecond}}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { p.Run(ctx); close(done) }()
		<-held
		cancel()
		<-done

		got := recs.above()
		want := []string{
			"WARN polling OVH events failed; retrying: OVH rejected the event token (HTTP 403 Invalid token)",
			"WARN polling OVH events failed; retrying: the OVH event service answered HTTP 502",
			"INFO polling OVH events recovered",
			"WARN polling OVH events failed; retrying: OVH rejected the event token (HTTP 403 Invalid token)",
		}
		if len(got) != len(want) {
			t.Fatalf("logged above debug:\n%s\nwant %d lines", strings.Join(got, "\n"), len(want))
		}
		for i := range want {
			if !strings.HasPrefix(got[i], want[i]) {
				t.Errorf("line %d: %s\nwant %s…", i, got[i], want[i])
			}
		}
		// The retries are still there, at debug, for -v.
		if n := len(recs.recs) - len(got); n != 5+3+2 {
			t.Errorf("%d debug records, want one per repeated failure (10)", n)
		}
	})
}

// TestRenewFailureLoggedOnce: a renewal that keeps failing the same way
// is logged at error once.
func TestRenewFailureLoggedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := memhttp.NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(403)
			w.Write([]byte(`{"Message":"Invalid token"}`))
		}))
		var calls atomic.Int32
		var recs records
		p := &Poller{EventsURL: srv.URL, Client: srv.Client, Token: token, Log: slog.New(&recs),
			Backoff: Backoff{Min: 20 * time.Millisecond, Max: 40 * time.Millisecond},
			Renew: func(ctx context.Context, rejected string, _ bool) (string, error) {
				calls.Add(1)
				return "", fmt.Errorf("no OVH API credentials")
			}}
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		p.Run(ctx)
		if calls.Load() < 3 {
			t.Fatalf("Renew called %d times", calls.Load())
		}
		errors := 0
		for _, l := range recs.above() {
			if strings.HasPrefix(l, "ERROR renewing the event token failed") {
				errors++
			}
		}
		if errors != 1 {
			t.Errorf("renewal failure logged %d times above debug, want once:\n%s", errors, strings.Join(recs.above(), "\n"))
		}
	})
}
