// Package upstream long-polls OVH's telephony event service (v1) for one
// event token and hands every event it receives to the relay.
//
// It is built to survive the service's real behaviour: answers held ~60 s,
// empty answers, outages with 5xx, hangs, garbage and instant errors. On any
// error it backs off exponentially with jitter (never a hot loop: OVH's own
// dashboard re-polls instantly, which hammers the service during outages).
package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"

	"github.com/screenpop/screenpop/internal/ovhevent"
)

// DefaultEventsURL is OVH's v1 event service.
const DefaultEventsURL = "https://events.voip.ovh.net/"

// RequestTimeout bounds one poll. OVH holds a poll up to about 60 s; clients
// in the wild use 60–65 s.
const RequestTimeout = 65 * time.Second

// maxAnswer bounds how much of one answer is read: a poll returns at most a
// few hundred events of ~1 KiB.
const maxAnswer = 8 << 20

var tokenShape = regexp.MustCompile(`^[A-Z0-9]{8}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{12}$`)

// ValidateToken checks an event token's shape before it is ever sent.
func ValidateToken(token string) error {
	if token == "" {
		return errors.New("no OVH event token configured: create one with `screenpop-relay token create` or in the OVH API console (POST /telephony/{billingAccount}/eventToken), then pass it with -token or SCREENPOP_OVH_TOKEN")
	}
	if !tokenShape.MatchString(token) {
		return fmt.Errorf("the OVH event token %s does not have the shape OVH gives (an upper-case UUID like 1738D072-E7C8-4742-85C5-B22DA3D8BD8F); copy it again from the eventToken call", Mask(token))
	}
	return nil
}

// Mask hides a token for logs: only its first 4 characters remain.
func Mask(token string) string {
	if len(token) <= 4 {
		return "****"
	}
	return token[:4] + "…"
}

// Backoff is a capped exponential backoff with full jitter.
type Backoff struct {
	Min, Max time.Duration
}

// Delay returns how long to wait before attempt n (n ≥ 1 consecutive failures).
func (b Backoff) Delay(n int, rnd func() float64) time.Duration {
	if n < 1 {
		return 0
	}
	d := b.Min
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	if d > b.Max {
		d = b.Max
	}
	// Half fixed, half random: never zero, so never a hot loop, and spread
	// so that many relays recovering from one outage don't poll in step.
	return d/2 + time.Duration(rnd()*float64(d/2))
}

// State is what health and metrics show about one poller.
type State struct {
	Status        string    `json:"status"` // "starting", "polling", "backoff", "token-rejected"
	LastError     string    `json:"lastError,omitempty"`
	Failures      int       `json:"failures"`
	LastSuccess   time.Time `json:"lastSuccess,omitzero"`
	Events        uint64    `json:"events"`
	NextAttemptIn string    `json:"nextAttemptIn,omitempty"`
}

// Poller polls one token.
type Poller struct {
	EventsURL string       // default DefaultEventsURL
	Token     string       // OVH event token
	Client    *http.Client // default: one with RequestTimeout
	Backoff   Backoff      // default 1 s .. 60 s
	Log       *slog.Logger
	// OnEvents receives each non-empty batch, in order, from one goroutine.
	OnEvents func([]ovhevent.Event)

	mu    sync.Mutex
	state State
}

// State returns a snapshot of the poller's state.
func (p *Poller) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

func (p *Poller) setState(f func(*State)) {
	p.mu.Lock()
	f(&p.state)
	p.mu.Unlock()
}

// ErrTokenRejected marks an answer saying the token is bad, expired or revoked.
var ErrTokenRejected = errors.New("OVH rejected the event token")

// Run polls until ctx is done.
func (p *Poller) Run(ctx context.Context) error {
	if err := ValidateToken(p.Token); err != nil {
		return err
	}
	if p.EventsURL == "" {
		p.EventsURL = DefaultEventsURL
	}
	if p.Client == nil {
		p.Client = &http.Client{Timeout: RequestTimeout}
	}
	if p.Backoff.Min == 0 {
		p.Backoff = Backoff{Min: time.Second, Max: time.Minute}
	}
	if p.Log == nil {
		p.Log = slog.Default()
	}
	log := p.Log.With("token", Mask(p.Token))
	p.setState(func(s *State) { s.Status = "starting" })
	var session string
	failures := 0
	for ctx.Err() == nil {
		p.setState(func(s *State) { s.Status = "polling"; s.NextAttemptIn = "" })
		a, err := p.poll(ctx, session)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			status := "backoff"
			if errors.Is(err, ErrTokenRejected) {
				status = "token-rejected"
				session = ""
			}
			delay := p.Backoff.Delay(failures, rand.Float64)
			p.setState(func(s *State) {
				s.Status, s.LastError, s.Failures, s.NextAttemptIn = status, err.Error(), failures, delay.Round(time.Millisecond).String()
			})
			log.Warn("polling OVH events failed; retrying", "err", err, "failures", failures, "retry_in", delay.Round(time.Millisecond))
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(delay):
			}
			continue
		}
		if failures > 0 {
			log.Info("polling OVH events recovered", "after_failures", failures)
		}
		failures = 0
		session = a.Session
		n := len(a.Events)
		p.setState(func(s *State) {
			s.LastError, s.Failures, s.LastSuccess = "", 0, time.Now()
			s.Events += uint64(n)
		})
		if n > 0 && p.OnEvents != nil {
			p.OnEvents(a.Events)
		}
	}
	return nil
}

func (p *Poller) poll(ctx context.Context, session string) (ovhevent.Answer, error) {
	u, err := url.Parse(p.EventsURL)
	if err != nil {
		return ovhevent.Answer{}, fmt.Errorf("the events URL %q is not a URL: %v", p.EventsURL, err)
	}
	q := u.Query()
	q.Set("token", p.Token)
	if session != "" {
		q.Set("session", session)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return ovhevent.Answer{}, err
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		// Don't print err as is: it contains the URL, and so the token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return ovhevent.Answer{}, fmt.Errorf("cannot reach the OVH event service at %s: %v", u.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return ovhevent.Answer{}, fmt.Errorf("reading the OVH event service's answer: %v", err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound:
		return ovhevent.Answer{}, fmt.Errorf("%w (HTTP %d %s): it is wrong, expired or revoked; create a new one (screenpop-relay token create) and restart the relay", ErrTokenRejected, resp.StatusCode, message(body))
	case resp.StatusCode != http.StatusOK:
		return ovhevent.Answer{}, fmt.Errorf("the OVH event service answered HTTP %d (%s); this is usually a passing outage", resp.StatusCode, message(body))
	}
	a, err := ovhevent.Decode(body)
	if err != nil {
		return ovhevent.Answer{}, err
	}
	if a.Session == "" && len(a.Events) == 0 && a.Message != "" {
		// Some bad-token answers are a 200 with only a Message.
		return ovhevent.Answer{}, fmt.Errorf("%w: %q; create a new token and restart the relay", ErrTokenRejected, a.Message)
	}
	return a, nil
}

func message(body []byte) string {
	if a, err := ovhevent.Decode(body); err == nil && a.Message != "" {
		return a.Message
	}
	if len(body) > 80 {
		body = body[:80]
	}
	return fmt.Sprintf("%q", body)
}
