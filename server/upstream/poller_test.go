package upstream

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/screenpop/screenpop/internal/memhttp"
	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/ovhsim"
)

const token = "1738D072-E7C8-4742-85C5-B22DA3D8BD8F"

func TestValidateToken(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{token, ""},
		{"", "no OVH event token"},
		{"1738d072-e7c8-4742-85c5-b22da3d8bd8f", "upper-case UUID"},
		{"hello", "upper-case UUID"},
	}
	for _, tt := range tests {
		err := ValidateToken(tt.in)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ValidateToken(%q) = %v, want %q", tt.in, err, tt.wantErr)
		}
		if err != nil && len(tt.in) > 8 && strings.Contains(err.Error(), tt.in) {
			t.Errorf("the error prints the token: %v", err)
		}
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Min: time.Second, Max: time.Minute}
	for _, tt := range []struct {
		n      int
		lo, hi time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{20, 30 * time.Second, time.Minute},
	} {
		for _, r := range []float64{0, 0.5, 0.999} {
			d := b.Delay(tt.n, func() float64 { return r })
			if d < tt.lo || d > tt.hi {
				t.Errorf("Delay(%d, %v) = %v, want in [%v, %v]", tt.n, r, d, tt.lo, tt.hi)
			}
		}
	}
}

// fakeOVH answers polls from a script: one handler per poll, in order,
// then the last one forever.
type fakeOVH struct {
	mu       sync.Mutex
	script   []http.HandlerFunc
	polls    int
	sessions []string
}

func (f *fakeOVH) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	i := f.polls
	f.polls++
	f.sessions = append(f.sessions, r.URL.Query().Get("session"))
	h := f.script[min(i, len(f.script)-1)]
	f.mu.Unlock()
	if r.URL.Query().Get("token") != token {
		http.Error(w, "no token", 400)
		return
	}
	h(w, r)
}

func answer(session string, events ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"Session":%q,"Message":"","Events":[%s]}`, session, strings.Join(events, ","))
	}
}

func ev(name, callID string) string {
	return fmt.Sprintf(`{"Event":%q,"Ressource":"0033972101010","Service":"sip","Data":{"CallId":%q,"Calling":"0033612345682","Ts":1425554670.1},"Details":{}}`, name, callID)
}

func TestPollerSurvivesOutages(t *testing.T) {
	// In a bubble, the backoffs between the outages take no time.
	synctest.Test(t, func(t *testing.T) {
		held := make(chan struct{}) // closed when the poller reaches the last, held poll
		hold := func(w http.ResponseWriter, r *http.Request) { close(held); <-r.Context().Done() }
		f := &fakeOVH{script: []http.HandlerFunc{
			answer("s1", ev("start_ringing", "a")),
			func(w http.ResponseWriter, r *http.Request) { http.Error(w, "bad gateway", 502) },
			func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>oops</html>")) },
			func(w http.ResponseWriter, r *http.Request) { // instant connection drop
				c, _, _ := w.(http.Hijacker).Hijack()
				c.Close()
			},
			answer("s2"), // empty answer: nothing to say
			answer("s2", ev("end_ringing", "a")),
			hold,
		}}
		srv := memhttp.NewServer(t, f)

		var got []string
		p := &Poller{
			EventsURL: srv.URL + "/",
			Client:    srv.Client,
			Token:     token,
			Backoff:   Backoff{Min: 10 * time.Millisecond, Max: 40 * time.Millisecond},
			OnEvents: func(evs []ovhevent.Event) {
				for _, e := range evs {
					got = append(got, e.Name()+":"+e.CallID())
				}
			},
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { p.Run(ctx); close(done) }()
		<-held // every answer before it has been handed on
		cancel()
		<-done
		if len(got) != 2 || got[0] != "start_ringing:a" || got[1] != "end_ringing:a" {
			t.Errorf("events = %v", got)
		}
		// The first poll has no session; each later one sends the last session
		// received (errors keep it).
		if f.sessions[0] != "" || f.sessions[1] != "s1" || f.sessions[5] != "s2" {
			t.Errorf("sessions sent = %q", f.sessions)
		}
		if s := p.Health(); s.Events != 2 {
			t.Errorf("state = %+v", s)
		}
	})
}

func TestPollerTokenRejected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var polls atomic.Int32
		srv := memhttp.NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			polls.Add(1)
			w.WriteHeader(403)
			w.Write([]byte(`{"Session":"","Message":"Invalid token","Events":null}`))
		}))
		p := &Poller{EventsURL: srv.URL, Client: srv.Client, Token: token, Backoff: Backoff{Min: 20 * time.Millisecond, Max: 50 * time.Millisecond}}
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		p.Run(ctx)
		s := p.Health()
		if s.Status != "token-rejected" || !strings.Contains(s.LastError, "Invalid token") || strings.Contains(s.LastError, token) {
			t.Errorf("state = %+v", s)
		}
		// Backoff, not a hot loop: at most ~300ms/10ms polls even with jitter.
		if n := polls.Load(); n < 2 || n > 30 {
			t.Errorf("%d polls in 300 ms", n)
		}
	})
}

func TestPollerUnreachable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := memhttp.NewServer(t, http.NotFoundHandler())
		srv.Close() // nothing listens: every dial fails
		p := &Poller{EventsURL: srv.URL + "/", Client: srv.Client, Token: token, Backoff: Backoff{Min: 10 * time.Millisecond, Max: 20 * time.Millisecond}}
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		p.Run(ctx)
		s := p.Health()
		if !strings.Contains(s.LastError, "cannot reach the OVH event service") || strings.Contains(s.LastError, token) {
			t.Errorf("state = %+v", s)
		}
	})
}

func TestPollerRenewsRejectedToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const fresh = "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"
		var mu sync.Mutex
		var seen []string // token/session of each poll
		srv := memhttp.NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			mu.Lock()
			seen = append(seen, q.Get("token")[:4]+"/"+q.Get("session"))
			mu.Unlock()
			if q.Get("token") != fresh {
				w.WriteHeader(403)
				w.Write([]byte(`{"Session":"","Message":"Invalid token","Events":null}`))
				return
			}
			if q.Get("session") != "" {
				<-r.Context().Done() // held, as OVH holds a poll with nothing to say
				return
			}
			w.Write([]byte(`{"Session":"s2","Events":[]}`))
		}))
		var renewed []string
		var sessions []string
		p := &Poller{EventsURL: srv.URL, Client: srv.Client, Token: token, Session: "old-session",
			Backoff: Backoff{Min: time.Hour, Max: time.Hour}, // a renewal must not wait for the backoff
			Renew: func(ctx context.Context, rejected string, _ bool) (string, error) {
				renewed = append(renewed, rejected)
				return fresh, nil
			},
			OnSession: func(s string) { sessions = append(sessions, s) },
		}
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		p.Run(ctx)
		if len(renewed) != 1 || renewed[0] != token {
			t.Errorf("Renew called with %v, want once with the rejected token", renewed)
		}
		if p.CurrentToken() != fresh {
			t.Errorf("CurrentToken = %s, want the renewed one", Mask(p.CurrentToken()))
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) < 3 || seen[0] != "1738/old-session" || seen[1] != "AAAA/" || seen[2] != "AAAA/s2" {
			t.Errorf("polls = %q: want the saved session first, then the new token without a session, then its session", seen)
		}
		if len(sessions) != 1 || sessions[0] != "s2" {
			t.Errorf("OnSession got %q, want [s2] once", sessions)
		}
		if s := p.Health(); s.Renewals != 1 || s.Token != "AAAA…" || s.Status != StatusPolling {
			t.Errorf("state = %+v", s)
		}
	})
}

func TestPollerRenewFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := memhttp.NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(403)
			w.Write([]byte(`{"Message":"Invalid token"}`))
		}))
		var calls atomic.Int32
		p := &Poller{EventsURL: srv.URL, Client: srv.Client, Token: token, Backoff: Backoff{Min: 20 * time.Millisecond, Max: 40 * time.Millisecond},
			Renew: func(ctx context.Context, rejected string, _ bool) (string, error) {
				calls.Add(1)
				return "", fmt.Errorf("no OVH API credentials")
			}}
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		p.Run(ctx)
		s := p.Health()
		if s.Status != StatusRejected || !strings.Contains(s.LastError, "no OVH API credentials") {
			t.Errorf("state = %+v", s)
		}
		// Retried, but with backoff: not once per poll in a hot loop.
		if n := calls.Load(); n < 2 || n > 15 {
			t.Errorf("Renew called %d times in 300 ms", n)
		}
	})
}

// TestPollerRenewsAheadOfExpiry runs the poller against the OVH emulator
// with a token about to expire: it is renewed while it still works, and
// polled on beside the new one until it expires, so no call is lost on
// the way: not one that reaches only the old token before the new one's
// first poll, nor one after. In a bubble, the token's five minutes pass
// on the fake clock, and synctest.Wait says when every poll is held.
func TestPollerRenewsAheadOfExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const line = "0033972101010"
		sim := ovhsim.New(ovhsim.Config{HoldTime: 100 * time.Millisecond})
		sim.AddLine("ab12345-ovh-1", line, "Accueil")
		old, err := sim.NewToken(line, "5 minutes")
		if err != nil {
			t.Fatal(err)
		}
		oldEnd := time.Now().Add(5 * time.Minute)
		srv := memhttp.NewServer(t, sim)
		ring := func(id string) {
			sim.Emit(ovhevent.Event{Event: ovhevent.StartRinging, Ressource: line,
				Data: ovhevent.Data{CallId: id, Calling: "0033612345682", Called: line, Dialed: line}})
		}

		var mu sync.Mutex
		got := map[string]int{}
		seen := func(id string) int { mu.Lock(); defer mu.Unlock(); return got[id] }
		var renewed []string
		var fresh string
		var told []string // every Status the relay was told (OnHealth): what the agents hear
		var during Health // the health while Renew runs
		var p *Poller
		p = &Poller{EventsURL: srv.URL + "/", Client: srv.Client, Token: old, Backoff: Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond},
			OnHealth: func(h Health) { mu.Lock(); told = append(told, h.Status); mu.Unlock() },
			OnEvents: func(evs []ovhevent.Event) {
				mu.Lock()
				defer mu.Unlock()
				for _, e := range evs {
					got[e.Data.CallId]++
				}
			},
			Renew: func(ctx context.Context, expiring string, _ bool) (string, error) {
				h := p.Health()
				tok, err := sim.NewToken(line, "1 hour")
				mu.Lock()
				renewed, fresh, during = append(renewed, expiring), tok, h
				mu.Unlock()
				// Rings before the new token's first poll: only the old one has a session.
				ring("between")
				return tok, err
			},
			Expires: func(tok string) time.Time {
				if tok == old {
					return oldEnd
				}
				return time.Now().Add(time.Hour)
			},
		}
		ctx, cancel := context.WithCancel(t.Context())
		ran := make(chan struct{})
		go func() { p.Run(ctx); close(ran) }()

		synctest.Wait() // the first poll is held
		if s := p.Health(); s.Status != StatusPolling || sim.Stats().Polls == 0 {
			t.Fatalf("before the first ring: state %+v, sim %+v", s, sim.Stats())
		}
		ring("before")
		synctest.Wait()
		if seen("before") == 0 {
			t.Fatalf("the call before the renewal did not come: %v", got)
		}

		// Within DefaultRenewAhead of the old token's end: the next poll
		// renews it.
		time.Sleep(time.Until(oldEnd.Add(-DefaultRenewAhead)))
		waitfor.Until(t, "the renewal", func() bool { mu.Lock(); defer mu.Unlock(); return fresh != "" && p.CurrentToken() == fresh })
		waitfor.Until(t, "the call between the renewal and the new token's first poll", func() bool { return seen("between") > 0 })
		synctest.Wait() // the new token's first poll has opened its session, and is held
		ring("overlap")
		waitfor.Until(t, "the call while both tokens are polled", func() bool { return seen("overlap") > 0 })

		rejected := sim.Stats().BadTokens
		time.Sleep(time.Until(oldEnd)) // the old token expires
		waitfor.Until(t, "the emulator refusing the expired token", func() bool { return sim.Stats().BadTokens > rejected })
		ring("after")
		waitfor.Until(t, "the call after the old token expired", func() bool { return seen("after") > 0 })
		synctest.Wait() // whatever else would come has come
		cancel()
		<-ran

		mu.Lock()
		defer mu.Unlock()
		if len(renewed) != 1 || renewed[0] != old {
			t.Errorf("Renew called with %d tokens, want once with the expiring one", len(renewed))
		}
		if s := p.Health(); s.Renewals != 1 || s.Status == StatusRejected || strings.Contains(s.LastError, "rejected") {
			t.Errorf("state = %+v: want one renewal and no rejection", s)
		}
		if got["after"] != 1 {
			t.Errorf("the call after the old token expired came %d times, want once (the old token is no longer polled)", got["after"])
		}
		// The routine renewal is no problem to report: the old token
		// worked throughout, so the agents are never told "renewing"
		// (a "!" on their badge that flashed at every renewal).
		if during.Status != StatusPolling || !during.RenewingAhead {
			t.Errorf("health while renewing ahead = %+v: want polling, renewing ahead", during)
		}
		if s := p.Health(); s.RenewingAhead {
			t.Errorf("health after the renewal still says renewing ahead: %+v", s)
		}
		for _, st := range told {
			if st != StatusStarting && st != StatusPolling {
				t.Errorf("the relay was told %q during a renewal ahead of expiry (all told: %v)", st, told)
			}
		}
	})
}

func TestRenewDue(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		expires time.Time
		want    bool
	}{
		{time.Time{}, false}, // unlimited
		{now.Add(2 * time.Minute), false},
		{now.Add(time.Minute), true},
		{now.Add(30 * time.Second), true},
		{now.Add(-time.Second), true}, // already expired: renew at once
	} {
		if got := renewDue(tt.expires, now, time.Minute); got != tt.want {
			t.Errorf("renewDue(%v) = %v, want %v", tt.expires, got, tt.want)
		}
	}
}

// TestPollerKeepsTheGoodEvents: an answer with one event the relay
// cannot read still hands on the others, and its session, without a
// backoff: one malformed event costs that event only.
func TestPollerKeepsTheGoodEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		held := make(chan struct{})
		bad := `{"Event":"start_ringing","Ressource":"0033972101010","Data":{"CallId":"b","Ts":"soon"},"Details":{}}`
		f := &fakeOVH{script: []http.HandlerFunc{
			answer("s1", ev("start_ringing", "a"), bad, ev("start_ringing", "c")),
			func(w http.ResponseWriter, r *http.Request) { close(held); <-r.Context().Done() },
		}}
		srv := memhttp.NewServer(t, f)
		var got []string
		p := &Poller{
			EventsURL: srv.URL + "/",
			Client:    srv.Client,
			Token:     token,
			OnEvents: func(evs []ovhevent.Event) {
				for _, e := range evs {
					got = append(got, e.CallID())
				}
			},
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { p.Run(ctx); close(done) }()
		<-held
		cancel()
		<-done
		if len(got) != 2 || got[0] != "a" || got[1] != "c" {
			t.Errorf("events handed on = %v, want a and c", got)
		}
		if len(f.sessions) < 2 || f.sessions[1] != "s1" {
			t.Errorf("sessions sent = %q: the answer's session was not kept", f.sessions)
		}
		if s := p.Health(); s.Failures != 0 {
			t.Errorf("health %+v: a partly readable answer is not a failure", s)
		}
	})
}
