package relay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/phone/parse"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/server/upstream"
)

// Admin is what `screenpop-relay agent …` and `token …` do. bbolt lets
// one process at a time open the data file, so there are two ways to do
// it: through the running relay, which owns the file (AdminClient, over
// its loopback admin endpoint, served by AdminHandler), so that a revoke
// also closes the agent's connections at once; or, when no relay runs,
// on the file itself (StoreAdmin). *Relay is the first one's server side.
type Admin interface {
	AddAgent(ctx context.Context, name string, lines []string) (NewSecret, error)
	ListAgents(ctx context.Context) ([]AgentInfo, error)
	RevokeAgent(ctx context.Context, name string) (closed int, err error)
	RotateAgent(ctx context.Context, name string) (NewSecret, error)
	SetLines(ctx context.Context, name string, lines []string) (AgentInfo, error)
	AddToken(ctx context.Context, t TokenRequest) (TokenInfo, error)
	ListTokens(ctx context.Context) ([]TokenInfo, error)
	RemoveToken(ctx context.Context, value string) error
}

// AgentInfo is an agent as the admin API shows it, without its secret.
type AgentInfo struct {
	Name        string    `json:"name"`
	Lines       []string  `json:"lines"`
	Created     time.Time `json:"created"`
	Rotated     time.Time `json:"rotated"`
	Connections int       `json:"connections"` // clients connected now (0 when no relay runs)
}

// NewSecret is what adding or rotating an agent gives: the one time its
// secret can be read, and the connection string to paste in the
// extension's options.
type NewSecret struct {
	Agent      AgentInfo `json:"agent"`
	Secret     string    `json:"secret"`
	Connection string    `json:"connection"`
	Closed     int       `json:"closed,omitempty"` // connections the rotation closed
}

// TokenRequest saves an OVH event token with its scope, so the relay
// polls it and can renew it.
type TokenRequest struct {
	Value          string `json:"value"`
	BillingAccount string `json:"billingAccount"`
	Line           string `json:"line,omitempty"` // "" for a billing-account token
	Expiration     string `json:"expiration,omitempty"`
}

// TokenInfo is a saved or polled token, its value masked.
type TokenInfo struct {
	Token          string    `json:"token"` // masked
	Scope          string    `json:"scope,omitempty"`
	BillingAccount string    `json:"billingAccount,omitempty"`
	Line           string    `json:"line,omitempty"`
	Expiration     string    `json:"expiration,omitempty"`
	Created        time.Time `json:"created,omitzero"`
	ExpiresAt      time.Time `json:"expiresAt,omitzero"`
	Saved          bool      `json:"saved"`            // in the data file
	Status         string    `json:"status,omitempty"` // its poller's status, when polled
}

// CanonicalLine writes a line the way OVH names it in events (0033…),
// so that the administrator may type +33 9 72 10 10 10 or 09 72 10 10 10
// (a national number of region). A queue name or "*" stays as it is.
func CanonicalLine(line, region string) string {
	line = strings.TrimSpace(line)
	if line == store.AllLines || !phone.IsNumber(line) {
		return line
	}
	if n := parse.Number(line, region); n.Kind == phone.Valid {
		return n.Forms.Intl00
	}
	return line
}

// StoreAdmin administers the data file directly, when no relay runs.
type StoreAdmin struct {
	Store     *store.Store
	PublicURL string // for connection strings
	Region    string // for national line numbers
}

func agentInfo(a store.Agent) AgentInfo {
	return AgentInfo{Name: a.Name, Lines: a.Lines, Created: a.Created, Rotated: a.Rotated}
}

func (s StoreAdmin) lines(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		for _, part := range strings.Split(l, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, CanonicalLine(part, s.Region))
			}
		}
	}
	return out
}

func (s StoreAdmin) secret(name, secret string) (NewSecret, error) {
	a, err := s.Store.GetAgent(name)
	if err != nil {
		return NewSecret{}, err
	}
	if s.PublicURL == "" {
		return NewSecret{}, errors.New("the relay's public URL is unknown; set public-url (e.g. https://relay.example.com)")
	}
	return NewSecret{Agent: agentInfo(a), Secret: secret, Connection: settings.Connection(s.PublicURL, secret)}, nil
}

func (s StoreAdmin) AddAgent(_ context.Context, name string, lines []string) (NewSecret, error) {
	secret, err := s.Store.AddAgent(name, s.lines(lines))
	if err != nil {
		return NewSecret{}, err
	}
	return s.secret(name, secret)
}

func (s StoreAdmin) ListAgents(context.Context) ([]AgentInfo, error) {
	as, err := s.Store.ListAgents()
	out := make([]AgentInfo, 0, len(as))
	for _, a := range as {
		out = append(out, agentInfo(a))
	}
	return out, err
}

func (s StoreAdmin) RevokeAgent(_ context.Context, name string) (int, error) {
	return 0, s.Store.RevokeAgent(name)
}

func (s StoreAdmin) RotateAgent(_ context.Context, name string) (NewSecret, error) {
	secret, err := s.Store.RotateSecret(name)
	if err != nil {
		return NewSecret{}, err
	}
	return s.secret(name, secret)
}

func (s StoreAdmin) SetLines(_ context.Context, name string, lines []string) (AgentInfo, error) {
	if err := s.Store.SetLines(name, s.lines(lines)); err != nil {
		return AgentInfo{}, err
	}
	a, err := s.Store.GetAgent(name)
	return agentInfo(a), err
}

// token checks a token request and makes the record to save.
func (s StoreAdmin) token(t TokenRequest) (store.Token, error) {
	if err := upstream.ValidateToken(t.Value); err != nil {
		return store.Token{}, err
	}
	exp := t.Expiration
	if exp == "" {
		exp = DefaultExpiration
	}
	if _, ok := Expirations[exp]; !ok {
		return store.Token{}, fmt.Errorf("expiration %q is not one OVH gives: \"5 minutes\", \"1 hour\", \"1 day\", \"30 days\" or \"unlimited\" (what the token was created with: the relay asks the same when it renews it)", exp)
	}
	now := time.Now().UTC()
	rec := store.Token{Value: t.Value, Scope: store.ScopeBillingAccount, BillingAccount: strings.TrimSpace(t.BillingAccount), Expiration: exp, Created: now}
	// OVH does not say when a token expires. Counting from now is right
	// for the usual `ovh token create | token add -`, and for an older
	// token it is late, never early: the relay then renews it when OVH
	// rejects it, as without an expiry.
	if d := Expirations[exp]; d > 0 {
		rec.ExpiresAt = now.Add(d)
	}
	if t.Line != "" {
		rec.Scope, rec.Line = store.ScopeLine, CanonicalLine(t.Line, s.Region)
	}
	if rec.BillingAccount == "" {
		return store.Token{}, errors.New("give the token's billing account (e.g. -billing-account ab12345-ovh-1; `screenpop-relay ovh lines` lists them): the relay needs it to renew the token")
	}
	return rec, nil
}

func tokenInfo(t store.Token) TokenInfo {
	return TokenInfo{Token: upstream.Mask(t.Value), Scope: t.Scope, BillingAccount: t.BillingAccount, Line: t.Line,
		Expiration: t.Expiration, Created: t.Created, ExpiresAt: t.ExpiresAt, Saved: true}
}

func (s StoreAdmin) AddToken(_ context.Context, t TokenRequest) (TokenInfo, error) {
	rec, err := s.token(t)
	if err != nil {
		return TokenInfo{}, err
	}
	return tokenInfo(rec), s.Store.PutToken(rec)
}

func (s StoreAdmin) ListTokens(context.Context) ([]TokenInfo, error) {
	ts, err := s.Store.Tokens()
	out := make([]TokenInfo, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenInfo(t))
	}
	return out, err
}

func (s StoreAdmin) RemoveToken(_ context.Context, value string) error {
	return s.Store.DeleteToken(value)
}

// errNoDataFile is the answer of the admin API of a relay without a store.
var errNoDataFile = errors.New("this relay runs without a data file, so it has no agents or saved tokens; start it with -data")

func (r *Relay) storeAdmin() (StoreAdmin, error) {
	if r.cfg.Store == nil {
		return StoreAdmin{}, errNoDataFile
	}
	return StoreAdmin{Store: r.cfg.Store, PublicURL: r.cfg.PublicURL, Region: r.cfg.Region}, nil
}

// The running relay's side of Admin: the store's, plus what it does to
// connected clients and pollers.

func (r *Relay) AddAgent(ctx context.Context, name string, lines []string) (NewSecret, error) {
	s, err := r.storeAdmin()
	if err != nil {
		return NewSecret{}, err
	}
	ns, err := s.AddAgent(ctx, name, lines)
	if err == nil {
		r.cfg.Log.Info("agent added", "agent", name, "lines", len(ns.Agent.Lines))
	}
	return ns, err
}

func (r *Relay) ListAgents(ctx context.Context) ([]AgentInfo, error) {
	s, err := r.storeAdmin()
	if err != nil {
		return nil, err
	}
	as, err := s.ListAgents(ctx)
	conns := r.hub.Stats().Connections
	for i := range as {
		as[i].Connections = conns[as[i].Name]
	}
	return as, err
}

// RevokeAgent removes the agent and closes its connections at once, each
// told why (CodeRevoked).
func (r *Relay) RevokeAgent(ctx context.Context, name string) (int, error) {
	s, err := r.storeAdmin()
	if err != nil {
		return 0, err
	}
	if _, err := s.RevokeAgent(ctx, name); err != nil {
		return 0, err
	}
	n := r.hub.DropAgent(name, errRevoked)
	r.cfg.Log.Info("agent revoked", "agent", name, "connections_closed", n)
	return n, nil
}

// RotateAgent gives the agent a new secret and closes the connections
// made with the old one.
func (r *Relay) RotateAgent(ctx context.Context, name string) (NewSecret, error) {
	s, err := r.storeAdmin()
	if err != nil {
		return NewSecret{}, err
	}
	ns, err := s.RotateAgent(ctx, name)
	if err != nil {
		return NewSecret{}, err
	}
	ns.Closed = r.hub.DropAgent(name, errRotated)
	r.cfg.Log.Info("agent secret rotated", "agent", name, "connections_closed", ns.Closed)
	return ns, nil
}

// SetLines changes the agent's lines; its connected clients see the new
// lines from the next event on.
func (r *Relay) SetLines(ctx context.Context, name string, lines []string) (AgentInfo, error) {
	s, err := r.storeAdmin()
	if err != nil {
		return AgentInfo{}, err
	}
	a, err := s.SetLines(ctx, name, lines)
	if err != nil {
		return AgentInfo{}, err
	}
	r.hub.SetLines(name, a.Lines)
	a.Connections = r.hub.Stats().Connections[name]
	return a, nil
}

// AddToken saves the token and polls it at once, in place of a poller of
// the same scope (the new token replaces it; the old stays saved as a
// fallback).
func (r *Relay) AddToken(ctx context.Context, t TokenRequest) (TokenInfo, error) {
	s, err := r.storeAdmin()
	if err != nil {
		return TokenInfo{}, err
	}
	rec, err := s.token(t)
	if err != nil {
		return TokenInfo{}, err
	}
	if err := r.cfg.Store.PutToken(rec); err != nil {
		return TokenInfo{}, err
	}
	r.stopPolling(func(p store.Token) bool { return p.Value == rec.Value || sameScope(p, rec) })
	if err := r.Poll(rec); err != nil {
		return TokenInfo{}, err
	}
	r.cfg.Log.Info("token added; polling it", "token", upstream.Mask(rec.Value), "scope", rec.Scope, "line", maskNumber(rec.Line))
	info := tokenInfo(rec)
	info.Status = upstream.StatusStarting
	return info, nil
}

// ListTokens lists the saved tokens and those polled (a configured token
// is polled without being saved).
func (r *Relay) ListTokens(ctx context.Context) ([]TokenInfo, error) {
	var out []TokenInfo
	if s, err := r.storeAdmin(); err == nil {
		if out, err = s.ListTokens(ctx); err != nil {
			return nil, err
		}
	}
	r.pmu.Lock()
	defer r.pmu.Unlock()
	for _, p := range r.pollers {
		st := p.p.Health()
		i := slices.IndexFunc(out, func(t TokenInfo) bool { return t.Token == st.Token })
		if i < 0 {
			t := p.current()
			t.Value = p.p.CurrentToken()
			info := tokenInfo(t)
			info.Saved = false
			out = append(out, info)
			i = len(out) - 1
		}
		out[i].Status = st.Status
	}
	return out, nil
}

// RemoveToken stops polling the token and forgets it. It does not revoke
// it at OVH (`screenpop-relay ovh token revoke` does).
func (r *Relay) RemoveToken(ctx context.Context, value string) error {
	n := r.stopPolling(func(p store.Token) bool { return p.Value == value })
	var err error
	if st := r.cfg.Store; st != nil {
		err = st.DeleteToken(value)
	}
	if errors.Is(err, store.ErrNoToken) && n > 0 {
		err = nil // a configured token: polled, never saved
	}
	if err == nil && n == 0 && r.cfg.Store == nil {
		err = fmt.Errorf("%w: %s is not polled; list them with `screenpop-relay token list`", store.ErrNoToken, upstream.Mask(value))
	}
	if err == nil {
		r.cfg.Log.Info("token removed; no longer polled", "token", upstream.Mask(value), "pollers_stopped", n)
	}
	return err
}
