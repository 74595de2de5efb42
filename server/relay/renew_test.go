package relay

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ovh/go-ovh/ovh"

	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/ovhapi"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/server/upstream"
)

// ovhRenewer is what main wires: ovhapi over go-ovh.
type ovhRenewer struct{ c *ovhapi.Client }

func (o ovhRenewer) RenewEventToken(ctx context.Context, ba, line, exp string) (string, error) {
	return o.c.RenewEventToken(ctx, ovhapi.Scope{BillingAccount: ba, Service: line}, exp)
}

func (o ovhRenewer) CreateEventToken(ctx context.Context, ba, line, exp string) (string, error) {
	return o.c.CreateEventToken(ctx, ovhapi.Scope{BillingAccount: ba, Service: line}, exp)
}

// lateRenewer lets the harness start before the emulator's API is known.
// With held set, a renewal says it started on held, then waits for
// release.
type lateRenewer struct {
	r             TokenRenewer
	held, release chan struct{}
}

func (l *lateRenewer) RenewEventToken(ctx context.Context, ba, line, exp string) (string, error) {
	l.hold()
	return l.r.RenewEventToken(ctx, ba, line, exp)
}

func (l *lateRenewer) hold() {
	if l.held != nil {
		l.held <- struct{}{}
		<-l.release
		l.held = nil // once
	}
}

func (l *lateRenewer) CreateEventToken(ctx context.Context, ba, line, exp string) (string, error) {
	l.hold()
	return l.r.CreateEventToken(ctx, ba, line, exp)
}

// newRenewHarness is a harness whose relay renews tokens through the OVH
// API: go-ovh against the emulator.
func newRenewHarness(t *testing.T) *harness {
	t.Helper()
	return newRenewHarnessWith(t, &lateRenewer{})
}

func newRenewHarnessWith(t *testing.T, late *lateRenewer) *harness {
	t.Helper()
	h := newHarness(t, Config{Renewer: late})
	h.sim.AddApplication("app-key", "app-secret")
	h.sim.AddConsumerKey("app-key", "consumer-key")
	api, err := ovh.NewClient(h.simSrv.URL+"/1.0", "app-key", "app-secret", "consumer-key")
	if err != nil {
		t.Fatal(err)
	}
	late.r = ovhRenewer{ovhapi.New(api)}
	return h
}

// TestRenewTokenBeforeItExpires: a saved token expires within a minute;
// the relay renews it through the OVH API while it still works, before
// OVH ever rejects it, and the agents keep getting calls.
func TestRenewTokenBeforeItExpires(t *testing.T) {
	late := &lateRenewer{held: make(chan struct{}), release: make(chan struct{})}
	h := newRenewHarnessWith(t, late)
	secret := h.agent(t, "alice", testLine)
	h.relay.stopPolling(func(store.Token) bool { return true })
	short, err := h.sim.NewToken(testBA, "5 minutes")
	if err != nil {
		t.Fatal(err)
	}
	// As the relay saves a token it creates, with its expiry, here near.
	saved := store.Token{Value: short, Scope: store.ScopeBillingAccount, BillingAccount: testBA, Expiration: "5 minutes",
		Created: time.Now().Add(-4*time.Minute - 30*time.Second), ExpiresAt: time.Now().Add(30 * time.Second)}
	if err := h.store.PutToken(saved); err != nil {
		t.Fatal(err)
	}
	// The agent is connected throughout: it hears the poller start, and
	// then of no problem, since calls arrive all along.
	ws := h.dialWS(t, 0, authMessage(secret))
	ws.next(t, 3*time.Second)
	if err := h.relay.Poll(saved); err != nil {
		t.Fatal(err)
	}
	// While the renewal is under way, the relay tells the agents what its
	// poller says: let it say it (the last health change has been
	// announced once upstreamOf answers it).
	<-late.held
	waitfor.Until(t, "the relay to have announced the poller's state during the renewal", func() bool {
		u := h.relay.upstreamOf(Agent{Name: "alice", Lines: []string{testLine}})
		return u.State != stream.UpstreamNoToken && u.State != stream.UpstreamStarting
	})
	during := h.relay.upstreamOf(Agent{Name: "alice", Lines: []string{testLine}})
	close(late.release)
	if !stream.CallsArrive(during.State) {
		t.Errorf("during a renewal ahead of expiry the agents are told %+v: the old token works, calls arrive", during)
	}
	var fresh store.Token
	waitfor.Until(t, "the renewed token to be saved", func() bool {
		if ts, _ := h.store.Tokens(); len(ts) == 1 && ts[0].Value != short && ts[0].Value != h.token {
			fresh = ts[0]
		}
		return fresh.Value != ""
	})
	if fresh.Expiration != "5 minutes" || fresh.ExpiresAt.Before(time.Now().Add(4*time.Minute)) {
		t.Errorf("renewed token %v: want the same lifetime, from now", fresh)
	}
	if _, ok := h.sim.TokenExpiry(short); !ok {
		t.Error("the old token is no longer valid at OVH: it was renewed too late")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.sim.WaitActivePolls(ctx, 2) // the new token, and the old one polled on until it expires
	h.ring(t, testLine, ovhsim.Missed)
	var told []string // the upstream states the agent was told, up to the call
	m := ws.next(t, 5*time.Second)
	for ; m.Type == stream.TypeUpstream || m.Type == stream.TypePing; m = ws.next(t, 5*time.Second) {
		if m.Upstream != nil {
			told = append(told, m.Upstream.State)
		}
	}
	if m.Type != stream.TypeEvent || m.Event.Name != "start_ringing" {
		t.Fatalf("after the renewal got %+v, want the call", m)
	}
	// no-token (the connection came before the poller), then starting
	// and polling; a "renewing" would put a "!" on the agent's badge for
	// the routine renewal of a token that works.
	for i, st := range told {
		if i > 0 && !stream.CallsArrive(st) {
			t.Errorf("the agent was told %q during a renewal ahead of expiry (all: %v)", st, told)
		}
	}
	// Both tokens brought it; the agent gets it once.
	if m := ws.nextEvent(t, 5*time.Second); m.Event == nil || m.Event.Name != "end_ringing" {
		t.Fatalf("then got %+v, want the call's end, once", m)
	}
	st := h.relay.pollerStates()[0]
	if st.Renewals != 1 || st.Status != "polling" || st.LastError != "" {
		t.Errorf("poller state %+v: want one renewal and no rejection", st)
	}
}

// TestRenewRevokedToken: OVH revokes the token mid-run; the relay renews
// it through the OVH API (go-ovh against the emulator), polls with the new
// one, saves it, and the agents keep getting calls.
func TestRenewRevokedToken(t *testing.T) {
	h := newRenewHarness(t)
	secret := h.agent(t, "alice", testLine)
	ws := h.dialWS(t, 0, authMessage(secret))
	ws.next(t, 3*time.Second)
	h.ring(t, testLine, ovhsim.Missed)
	ws.nextEvent(t, 5*time.Second)
	ws.nextEvent(t, 5*time.Second)

	h.sim.RevokeToken(h.token)
	var saved store.Token
	waitfor.Until(t, "the renewed token to be saved", func() bool {
		ts, _ := h.store.Tokens()
		if len(ts) == 1 && ts[0].Value != h.token {
			saved = ts[0]
		}
		return saved.Value != ""
	})
	if saved.Scope != store.ScopeBillingAccount || saved.BillingAccount != testBA || saved.Expiration != "1 day" || saved.ExpiresAt.IsZero() {
		t.Errorf("saved token %v: want the billing account's scope and expiration", saved)
	}
	fresh := saved.Value
	if _, ok := h.sim.TokenExpiry(fresh); !ok {
		t.Error("the saved token is not valid at OVH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.sim.WaitActivePolls(ctx, 1)
	h.ring(t, testLine, ovhsim.Missed)
	if m := ws.nextEvent(t, 5*time.Second); m.Type != stream.TypeEvent || m.Event.Name != "start_ringing" {
		t.Fatalf("after the renewal got %+v, want the next call", m)
	}
	st := h.relay.pollerStates()[0]
	if st.Renewals != 1 || st.Status != "polling" {
		t.Errorf("poller state %+v", st)
	}
	if got := h.relay.metrics.renewals.ok.Load(); got != 1 {
		t.Errorf("renewals ok = %d", got)
	}
}

// TestRejectedTokenWithoutCredentials: no renewer, the state says what to do.
func TestRejectedTokenWithoutCredentials(t *testing.T) {
	h := newHarness(t, Config{})
	h.sim.RevokeToken(h.token)
	var st upstream.Health
	waitfor.Until(t, "the poller to say the token was rejected", func() bool {
		st = h.relay.pollerStates()[0]
		return st.Status == "token-rejected" && st.LastError != ""
	})
	if want := "no OVH API credentials"; !strings.Contains(st.LastError, want) {
		t.Errorf("last error %q does not say %q", st.LastError, want)
	}
}
