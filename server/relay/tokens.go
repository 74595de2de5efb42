package relay

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/server/upstream"
)

// TokenRenewer gets OVH event tokens through the OVH API, for the line (or
// the billing account when line is ""). RenewEventToken replaces a token
// OVH rejected: it revokes the current one and creates one valid for
// expiration. CreateEventToken is for a token about to expire: it creates
// one and leaves the current one to expire, still polled meanwhile.
// server/ovhapi does both; main adapts it, so that this package does not
// need the OVH API client.
type TokenRenewer interface {
	RenewEventToken(ctx context.Context, billingAccount, line, expiration string) (string, error)
	CreateEventToken(ctx context.Context, billingAccount, line, expiration string) (string, error)
}

// Expirations are the lifetimes OVH gives event tokens; "unlimited" is 0.
var Expirations = map[string]time.Duration{
	"5 minutes": 5 * time.Minute,
	"1 hour":    time.Hour,
	"1 day":     24 * time.Hour,
	"30 days":   30 * 24 * time.Hour,
	"unlimited": 0,
}

// DefaultExpiration is what a renewed token is asked for when the
// rejected one's expiration is unknown.
const DefaultExpiration = "unlimited"

// poller is one upstream poller and what the relay knows of its token.
type poller struct {
	p      *upstream.Poller
	cancel context.CancelFunc // nil for Watch'ed pollers: their caller runs them
	done   chan struct{}

	mu    sync.Mutex
	token store.Token     // the token polled now and its scope ("" when unknown)
	tried map[string]bool // saved tokens of the scope tried since the last renewal
}

func (p *poller) current() store.Token {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.token
}

// expires says when OVH stops honouring token, for upstream.Poller's
// renewal ahead of expiry: known for the token polled now when it was
// saved with its expiry (created or renewed by the relay, `token add`);
// the zero time (never, or not known) otherwise.
func (p *poller) expires(token string) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.token.Value != token {
		return time.Time{}
	}
	return p.token.ExpiresAt
}

// tokenKey names a token in the state file without writing the token.
func tokenKey(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:8])
}

// sameScope reports whether two tokens watch the same line
// (phone.SameLine) or the same billing account (whose tokens have no
// line). A token whose scope is unknown shares it with none.
func sameScope(a, b store.Token) bool {
	if a.Scope == "" || a.Scope != b.Scope || a.BillingAccount != b.BillingAccount {
		return false
	}
	return a.Scope == store.ScopeBillingAccount || phone.SameLine(a.Line, b.Line)
}

// tokensToPoll decides which tokens the relay polls: the one configured
// (flag, env or config file), if any, and the saved ones, one per scope
// (the newest: older ones of the same scope are the tokens it replaced,
// kept as fallbacks). A saved token of the configured token's scope is
// not polled beside it: it is the configured token's renewal, tried when
// OVH rejects the configured one (alternate).
func tokensToPoll(configured *store.Token, saved []store.Token) []store.Token {
	var out []store.Token
	if configured != nil {
		c := *configured
		if c.Scope == "" {
			// The scope may be known from the saved record of the same token.
			if i := slices.IndexFunc(saved, func(t store.Token) bool { return t.Value == c.Value }); i >= 0 {
				c = saved[i]
			}
		}
		out = append(out, c)
	}
	for _, t := range saved {
		if slices.ContainsFunc(out, func(o store.Token) bool { return o.Value == t.Value || sameScope(o, t) }) {
			continue
		}
		// The newest saved token of its scope.
		newest := t
		for _, o := range saved {
			if sameScope(o, t) && o.Created.After(newest.Created) {
				newest = o
			}
		}
		if !slices.ContainsFunc(out, func(o store.Token) bool { return o.Value == newest.Value }) {
			out = append(out, newest)
		}
	}
	return out
}

// alternate picks, among saved tokens, the newest one of t's scope that
// is neither rejected nor tried yet.
func alternate(t store.Token, rejected string, saved []store.Token, tried map[string]bool) (store.Token, bool) {
	var cands []store.Token
	for _, s := range saved {
		if sameScope(t, s) && s.Value != rejected && !tried[s.Value] {
			cands = append(cands, s)
		}
	}
	if len(cands) == 0 {
		return store.Token{}, false
	}
	slices.SortFunc(cands, func(a, b store.Token) int { return b.Created.Compare(a.Created) })
	return cands[0], true
}

// PollTokens starts a poller for each token tokensToPoll picks from the
// configured one (nil: none) and those saved in the store.
func (r *Relay) PollTokens(configured *store.Token) (int, error) {
	var saved []store.Token
	if st := r.cfg.Store; st != nil {
		var err error
		if saved, err = st.Tokens(); err != nil {
			return 0, fmt.Errorf("reading the saved OVH tokens: %w", err)
		}
	}
	ts := tokensToPoll(configured, saved)
	for _, t := range ts {
		if err := r.Poll(t); err != nil {
			return 0, err
		}
	}
	return len(ts), nil
}

// Poll starts polling OVH's event service with t until Close or
// RemoveToken. When OVH rejects it, the relay switches to a saved token
// of the same scope, else renews it through the OVH API (Renewer).
func (r *Relay) Poll(t store.Token) error {
	if err := upstream.ValidateToken(t.Value); err != nil {
		return err
	}
	r.pmu.Lock()
	defer r.pmu.Unlock()
	for _, o := range r.pollers {
		if o.p.CurrentToken() == t.Value {
			return fmt.Errorf("token %s is already polled", upstream.Mask(t.Value))
		}
	}
	ctx, cancel := context.WithCancel(r.ctx)
	e := &poller{cancel: cancel, done: make(chan struct{}), token: t, tried: map[string]bool{t.Value: true}}
	e.p = &upstream.Poller{
		EventsURL: r.cfg.EventsURL,
		Token:     t.Value,
		Session:   r.sessions[tokenKey(t.Value)],
		Client:    r.cfg.PollClient,
		Backoff:   r.cfg.PollBackoff,
		Log:       r.cfg.Log,
		OnEvents:  r.HandleEvents,
		OnSession: func(session string) { r.setSession(e.p.CurrentToken(), session) },
		Renew: func(ctx context.Context, old string, expiring bool) (string, error) {
			return r.renew(ctx, e, old, expiring)
		},
		Expires:  e.expires,
		OnHealth: func(upstream.Health) { r.upstreamChanged() },
	}
	r.pollers = append(r.pollers, e)
	go func() {
		defer close(e.done)
		e.p.Run(ctx)
	}()
	return nil
}

func (r *Relay) setSession(token, session string) {
	r.pmu.Lock()
	r.sessions[tokenKey(token)] = session
	r.pmu.Unlock()
	r.mu.Lock()
	r.dirty = true
	r.mu.Unlock()
}

var (
	errNoScope = errors.New("the relay does not know which line or billing account this token watches, so it cannot renew it; " +
		"save it with `screenpop-relay token add TOKEN -line NUMBER` (or -billing-account), or set token-line / token-billing-account beside token")
	errNoRenewer = errors.New("the relay has no OVH API credentials to renew it; set OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY " +
		"(or ovh.conf; see `screenpop-relay ovh credential`) and restart the relay, or create a new token with `screenpop-relay ovh token create`")
)

// renew finds the token to poll with after OVH rejected e's: a saved
// token of the same scope not tried yet, else a new one from the OVH API,
// saved in the store (and the ones it replaces forgotten).
//
// ahead says rejected was not rejected but expires soon: then the new
// token is created beside it, which stays valid until it expires.
func (r *Relay) renew(ctx context.Context, e *poller, rejected string, ahead bool) (string, error) {
	e.mu.Lock()
	t := e.token
	e.mu.Unlock()
	log := r.cfg.Log.With("token", upstream.Mask(rejected))
	st := r.cfg.Store
	var saved []store.Token
	if st != nil {
		var err error
		if saved, err = st.Tokens(); err != nil {
			log.Error("cannot read the saved OVH tokens", "err", err)
		}
	}
	if t.Scope == "" {
		// Saved since it started (`token add` while running)?
		if i := slices.IndexFunc(saved, func(s store.Token) bool { return s.Value == rejected }); i >= 0 {
			t = saved[i]
		}
	}
	if alt, ok := alternate(t, rejected, saved, e.tried); ok {
		e.mu.Lock()
		e.token, e.tried[alt.Value] = alt, true
		e.mu.Unlock()
		why := "OVH rejected the event token"
		if ahead {
			why = "the event token expires soon"
		}
		log.Info(why+"; switching to the saved token of the same scope", "next", upstream.Mask(alt.Value))
		return alt.Value, nil
	}
	if t.Scope == "" {
		r.metrics.renewals.failed.Add(1)
		return "", errNoScope
	}
	if r.cfg.Renewer == nil {
		r.metrics.renewals.failed.Add(1)
		return "", errNoRenewer
	}
	exp := cmp.Or(t.Expiration, DefaultExpiration)
	get := r.cfg.Renewer.RenewEventToken
	if ahead {
		get = r.cfg.Renewer.CreateEventToken
	}
	fresh, err := get(ctx, t.BillingAccount, t.Line, exp)
	if err != nil {
		r.metrics.renewals.failed.Add(1)
		return "", err
	}
	r.metrics.renewals.ok.Add(1)
	now := time.Now().UTC()
	next := store.Token{Value: fresh, Scope: t.Scope, BillingAccount: t.BillingAccount, Line: t.Line, Expiration: exp, Created: now}
	if d := Expirations[exp]; d > 0 {
		next.ExpiresAt = now.Add(d)
	}
	if st != nil {
		if err := st.PutToken(next); err != nil {
			// Polling goes on with it; only a restart would lose it.
			log.Error("cannot save the renewed token; it works until the relay restarts", "err", err)
		} else {
			// The scope's token was revoked (or expires soon, ahead): the
			// saved ones of the scope are dead, or about to be.
			for _, s := range saved {
				if (s.Value == rejected || sameScope(s, next)) && s.Value != fresh {
					if err := st.DeleteToken(s.Value); err != nil && !errors.Is(err, store.ErrNoToken) {
						log.Warn("cannot forget a replaced token", "err", err)
					}
				}
			}
		}
	}
	e.mu.Lock()
	e.token, e.tried = next, map[string]bool{fresh: true}
	e.mu.Unlock()
	log.Info("renewed the OVH event token through the OVH API", "scope", t.Scope, "billing_account", t.BillingAccount, "line", maskNumber(t.Line), "new_token", upstream.Mask(fresh))
	return fresh, nil
}

// stopPolling stops the pollers whose token is value (as started or as
// renewed) and returns how many.
func (r *Relay) stopPolling(match func(store.Token) bool) int {
	r.pmu.Lock()
	var keep, stop []*poller
	for _, p := range r.pollers {
		if p.cancel != nil && match(p.current()) {
			stop = append(stop, p)
		} else {
			keep = append(keep, p)
		}
	}
	r.pollers = keep
	r.pmu.Unlock()
	for _, p := range stop {
		p.cancel()
		<-p.done
	}
	if len(stop) > 0 {
		r.upstreamChanged()
	}
	return len(stop)
}

// pollerStates is a snapshot of every poller's state.
func (r *Relay) pollerStates() []upstream.Health {
	r.pmu.Lock()
	defer r.pmu.Unlock()
	out := make([]upstream.Health, 0, len(r.pollers))
	for _, p := range r.pollers {
		out = append(out, p.p.Health())
	}
	return out
}
