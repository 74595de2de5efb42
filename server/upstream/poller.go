// Package upstream long-polls OVH's telephony event service (v1) for one
// event token and hands every event it receives to the relay.
//
// It is built to survive the service's real behaviour: answers held ~60 s,
// empty answers, outages with 5xx, hangs, garbage and instant errors. On any
// error it backs off exponentially with jitter (never a hot loop: OVH's own
// dashboard re-polls instantly, which hammers the service during outages).
package upstream

import (
	"cmp"
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
		return errors.New("no OVH event token configured: create one with `screenpop-relay ovh token create` or in the OVH API console (POST /telephony/{billingAccount}/eventToken), then pass it with -token or SCREENPOP_OVH_TOKEN, or save it with `screenpop-relay token add`")
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

// Health is what health and metrics show about one poller.
type Health struct {
	Token         string    `json:"token"`  // masked (Mask): which token this is, never the token
	Status        string    `json:"status"` // "starting", "polling", "backoff", "token-rejected", "renewing"
	LastError     string    `json:"lastError,omitempty"`
	Failures      int       `json:"failures"`
	LastSuccess   time.Time `json:"lastSuccess,omitzero"`
	Events        uint64    `json:"events"`
	Renewals      int       `json:"renewals,omitempty"` // tokens renewed since start
	NextAttemptIn string    `json:"nextAttemptIn,omitempty"`
	// RenewingAhead is set while a token about to expire is renewed: it
	// still works, so Status stays "polling" (calls arrive; the agents
	// are told of no problem), and health says what goes on.
	RenewingAhead bool      `json:"renewingAhead,omitempty"`
	Since         time.Time `json:"since,omitzero"`       // when Status last changed
	NextAttempt   time.Time `json:"nextAttempt,omitzero"` // when a failing poller tries again
}

// Statuses.
const (
	StatusStarting = "starting"
	StatusPolling  = "polling"
	StatusBackoff  = "backoff"
	StatusRejected = "token-rejected"
	StatusRenewing = "renewing"
)

// Poller polls one token.
type Poller struct {
	EventsURL string       // default DefaultEventsURL
	Token     string       // OVH event token to start with (Renew may replace it; see CurrentToken)
	Session   string       // OVH session to resume (a restarted relay gets what OVH kept for it); "" starts from now
	Client    *http.Client // default: one with RequestTimeout
	Backoff   Backoff      // default 1 s .. 60 s
	Log       *slog.Logger
	// OnEvents receives each non-empty batch, one at a time. Batches come
	// in order, except while a token renewed ahead of its expiry is
	// polled beside the new one: then both bring the same events, and
	// the relay drops the duplicates (call.Book).
	OnEvents func([]ovhevent.Event)
	// OnSession, when set, is told each new OVH session (so the relay can
	// resume it after a restart), from the polling goroutine.
	OnSession func(session string)
	// Renew, when set, is called when OVH rejects the token (wrong,
	// expired or revoked) and returns the token to poll with instead. It
	// runs at once on the first rejection (every second counts: the
	// line's calls are not seen meanwhile), then after the usual backoff
	// while it keeps failing. Without it a rejected token is retried with
	// backoff, in case it was a passing hiccup of OVH's. It is also
	// called, with expiring set, for a token about to expire (Expires):
	// then the old token must stay valid, as it is polled on.
	Renew func(ctx context.Context, old string, expiring bool) (string, error)
	// Expires, when set with Renew, says when OVH stops honouring token
	// (the zero time: never). The poller renews the token RenewAhead
	// before then, while it still works, and polls the old token beside
	// the new one until it expires: the new one gets the events from its
	// first poll, the old one those before, and the relay drops the events
	// both bring (duplicates, call.Book). Waiting for OVH to reject the
	// expired token would lose the calls of the moments until the new one
	// exists.
	Expires func(token string) time.Time
	// RenewAhead is how long before it expires a token is renewed;
	// default DefaultRenewAhead.
	RenewAhead time.Duration
	// OnHealth, when set, is told each change of Health's Status,
	// Since or NextAttempt (not of its counters), outside the poller's
	// lock: the relay streams it to the agents.
	OnHealth func(Health)

	deliverMu sync.Mutex // one OnEvents at a time
	said      sayOnce    // the failures logged, so that a retry repeats none (logonce.go)

	mu     sync.Mutex
	token  string // current token, once Run started
	health Health
}

// Health returns a snapshot of the poller's health.
func (p *Poller) Health() Health {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.health
	if s.Token == "" {
		s.Token = Mask(p.Token)
	}
	if s.Status == "" {
		s.Status = StatusStarting
	}
	return s
}

// CurrentToken is the token being polled with: Token, or the one Renew
// gave last.
func (p *Poller) CurrentToken() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.token == "" {
		return p.Token
	}
	return p.token
}

func (p *Poller) setHealth(f func(*Health)) {
	p.mu.Lock()
	old := p.health
	f(&p.health)
	if p.health.Status != old.Status {
		p.health.Since = time.Now()
	}
	if p.health.NextAttemptIn == "" {
		p.health.NextAttempt = time.Time{}
	}
	h, changed := p.health, p.health.Status != old.Status || !p.health.NextAttempt.Equal(old.NextAttempt)
	p.mu.Unlock()
	if changed && p.OnHealth != nil {
		if h.Token == "" {
			h.Token = Mask(p.Token)
		}
		p.OnHealth(h)
	}
}

// DefaultRenewAhead is Poller.RenewAhead's default. The check runs
// between two polls, and OVH may hold a poll for about a minute, so this
// leaves about a minute for the renewal through the OVH API and its
// retries; short next to the shortest lifetime OVH gives (5 minutes).
const DefaultRenewAhead = 2 * time.Minute

// renewDue reports whether a token OVH stops honouring at expires (the
// zero time: never) should be renewed at now, ahead of its expiry.
func renewDue(expires, now time.Time, ahead time.Duration) bool {
	return !expires.IsZero() && !now.Before(expires.Add(-ahead))
}

// errExpiresSoon is why a token is renewed before OVH rejects it.
var errExpiresSoon = errors.New("the event token expires soon")

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
	p.mu.Lock()
	p.token = p.Token
	p.health.Token = Mask(p.token)
	p.mu.Unlock()
	p.setHealth(func(s *Health) { s.Status = StatusStarting })

	token, session := p.Token, p.Session
	log := p.Log.With("token", Mask(token))
	failures, rejections := 0, 0
	var renewErr error       // why the last renewal failed, shown with the rejection
	var aheadRetry time.Time // after a failed renewal ahead of expiry: not before then
	ahead := cmp.Or(p.RenewAhead, DefaultRenewAhead)
	var drains sync.WaitGroup // old tokens polled on after their renewal
	defer drains.Wait()
	for ctx.Err() == nil {
		// A failing poller keeps its failure status while it retries, so
		// that health does not flap to "polling" on every attempt.
		p.setHealth(func(s *Health) {
			if failures == 0 {
				s.Status = StatusPolling
			}
			s.NextAttemptIn = ""
		})
		if now := time.Now(); p.Renew != nil && p.Expires != nil && renewDue(p.Expires(token), now, ahead) && !now.Before(aheadRetry) {
			fresh, err := p.renew(ctx, log, token, errExpiresSoon)
			if err != nil {
				// The token still works: poll on, and try again later.
				aheadRetry = now.Add(p.Backoff.Delay(1, rand.Float64))
			} else {
				// Make before break: the old token is polled on beside the
				// new one until OVH stops honouring it, so that what reaches
				// it before the new token's first poll opens a session is
				// not lost. Both bring the events in between.
				drains.Add(1)
				go func(old, session string, until time.Time) {
					defer drains.Done()
					p.drain(ctx, old, session, until)
				}(token, session, p.Expires(token).Add(drainGrace))
				token, session = fresh, ""
				log = p.Log.With("token", Mask(token))
				aheadRetry = time.Time{}
				continue
			}
		}
		a, err := p.poll(ctx, token, session)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			status := StatusBackoff
			if errors.Is(err, ErrTokenRejected) {
				status = StatusRejected
				session = ""
				rejections++
				if p.Renew != nil && rejections == 1 {
					// Renew at once: waiting out a backoff first would
					// only lose more of the line's calls.
					var fresh string
					if fresh, renewErr = p.renew(ctx, log, token, err); renewErr == nil {
						token = fresh // counters stay: a new token rejected at once is renewed after a backoff, not in a loop
						log = p.Log.With("token", Mask(token))
						continue
					}
				}
			}
			msg := err.Error()
			if status == StatusRejected && renewErr != nil {
				msg += "; renewing it failed: " + renewErr.Error()
			}
			delay := p.Backoff.Delay(failures, rand.Float64)
			p.setHealth(func(s *Health) {
				s.Status, s.LastError, s.Failures, s.NextAttemptIn = status, msg, failures, delay.Round(time.Millisecond).String()
				s.NextAttempt = time.Now().Add(delay)
			})
			p.said.log(log, slog.LevelWarn, "poll", status+": "+msg, "polling OVH events failed; retrying", "err", err, "failures", failures, "retry_in", delay.Round(time.Millisecond))
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(delay):
			}
			if status == StatusRejected && p.Renew != nil && rejections > 1 {
				var fresh string
				if fresh, renewErr = p.renew(ctx, log, token, err); renewErr == nil {
					token = fresh // counters stay: a new token rejected at once is renewed after a backoff, not in a loop
					log = p.Log.With("token", Mask(token))
				}
			}
			continue
		}
		if failures > 0 {
			log.Info("polling OVH events recovered", "after_failures", failures)
			p.said.reset()
		}
		failures, rejections, renewErr = 0, 0, nil
		p.took(a, &session)
	}
	return nil
}

// took hands on a successful answer: its session (kept in *session) and
// its events.
func (p *Poller) took(a ovhevent.Answer, session *string) {
	p.setHealth(func(s *Health) { s.Status, s.LastError, s.Failures, s.LastSuccess = StatusPolling, "", 0, time.Now() })
	if a.Session != *session && a.Session != "" {
		*session = a.Session
		if p.OnSession != nil {
			p.OnSession(*session)
		}
	}
	p.deliver(a.Events)
}

// drainGrace is how long past its announced expiry a renewed token is
// still polled, in case OVH's clock and ours differ.
const drainGrace = time.Minute

// drain polls old, a token renewed ahead of its expiry, until OVH rejects
// it, the poll fails, or until.
func (p *Poller) drain(ctx context.Context, old, session string, until time.Time) {
	ctx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	for ctx.Err() == nil {
		a, err := p.poll(ctx, old, session)
		if err != nil {
			return // expired, or failing: the new token has the line's events by now
		}
		if a.Session != "" {
			session = a.Session
		}
		p.deliver(a.Events)
	}
}

// deliver hands events to OnEvents, one batch at a time.
func (p *Poller) deliver(events []ovhevent.Event) {
	if len(events) == 0 {
		return
	}
	p.setHealth(func(s *Health) { s.Events += uint64(len(events)) })
	if p.OnEvents == nil {
		return
	}
	p.deliverMu.Lock()
	defer p.deliverMu.Unlock()
	p.OnEvents(events)
}

// renew asks Renew for a new token to replace old, which OVH refused with
// why, or which expires soon (why is errExpiresSoon).
func (p *Poller) renew(ctx context.Context, log *slog.Logger, old string, why error) (string, error) {
	ahead := why == errExpiresSoon
	if ahead {
		// The routine renewal: the old token still works and its session
		// keeps the events meanwhile, so calls arrive. Not "renewing",
		// which tells the agents that none can (issue #11).
		p.setHealth(func(s *Health) { s.RenewingAhead = true })
	} else {
		p.setHealth(func(s *Health) { s.Status, s.LastError = StatusRenewing, why.Error() })
	}
	fresh, err := p.Renew(ctx, old, ahead)
	if err == nil {
		err = ValidateToken(fresh)
	}
	if err != nil {
		p.said.log(log, slog.LevelError, "renew", why.Error()+": "+err.Error(), "renewing the event token failed", "why", why, "err", err)
		msg := why.Error() + "; renewing it failed: " + err.Error()
		if ahead {
			// A token about to expire still works: polling goes on with
			// it, and health says why the renewal will be tried again.
			p.setHealth(func(s *Health) { s.RenewingAhead, s.LastError = false, msg })
		} else {
			p.setHealth(func(s *Health) { s.Status, s.LastError = StatusRejected, msg })
		}
		return "", err
	}
	log.Info("renewed the event token", "why", why, "new_token", Mask(fresh))
	p.said.reset()
	p.mu.Lock()
	p.token = fresh
	p.health.Token, p.health.Renewals, p.health.LastError, p.health.RenewingAhead = Mask(fresh), p.health.Renewals+1, "", false
	p.mu.Unlock()
	return fresh, nil
}

func (p *Poller) poll(ctx context.Context, token, session string) (ovhevent.Answer, error) {
	u, err := url.Parse(p.EventsURL)
	if err != nil {
		return ovhevent.Answer{}, fmt.Errorf("the events URL %q is not a URL: %v", p.EventsURL, err)
	}
	q := u.Query()
	q.Set("token", token)
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
		return ovhevent.Answer{}, fmt.Errorf("%w (HTTP %d %s): it is wrong, expired or revoked; %s", ErrTokenRejected, resp.StatusCode, message(body), renewHint)
	case resp.StatusCode != http.StatusOK:
		return ovhevent.Answer{}, fmt.Errorf("the OVH event service answered HTTP %d (%s); this is usually a passing outage", resp.StatusCode, message(body))
	}
	a, err := ovhevent.Decode(body)
	var bad *ovhevent.BadEventsError
	switch {
	case errors.As(err, &bad):
		// Some events cannot be read: say which, keep the others (and the
		// session), rather than lose every call of the answer.
		p.Log.Warn("the OVH event service sent events the relay cannot read; the others were kept", "token", Mask(token), "err", err)
	case err != nil:
		return ovhevent.Answer{}, err
	}
	if a.Session == "" && len(a.Events) == 0 && a.Message != "" {
		// Some bad-token answers are a 200 with only a Message.
		return ovhevent.Answer{}, fmt.Errorf("%w: %q; %s", ErrTokenRejected, a.Message, renewHint)
	}
	return a, nil
}

// renewHint says what to do about a rejected token.
const renewHint = "give the relay OVH API credentials (OVH_* variables or ovh.conf) and the token's line or billing account so it renews the token itself, or create a new one with `screenpop-relay ovh token create` and give it to the relay"

func message(body []byte) string {
	if a, err := ovhevent.Decode(body); err == nil && a.Message != "" {
		return a.Message
	}
	if len(body) > 80 {
		body = body[:80]
	}
	return fmt.Sprintf("%q", body)
}
