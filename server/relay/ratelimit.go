package relay

import (
	"sync"
	"time"
)

// rateLimitedError is the refusal of an address that spent its wrong
// secrets: Retry-After and the message give the real wait (until one
// token is back), not a guess.
func rateLimitedError(wait, every time.Duration) *apiError {
	wait = max(time.Second, (wait + time.Second - 1).Truncate(time.Second)) // rounded up to a second, at least one
	e := errRateLimited.with("too many wrong secrets from your address: every secret from it, even a right one, is refused for %v more, then one try every %v. Check that the connection string is the latest (`screenpop-relay agent rotate NAME` makes a new one) and paste it again", wait, every)
	e.RetryAfter = wait
	return e
}

// failLimiter rate-limits wrong secrets per client address: a token
// bucket of burst failures, refilled one every every. Once an address has
// spent its bucket it is refused until a token comes back (every at the
// most: the bucket refills continuously), and the refusal says so
// (rateLimitedError). Right secrets cost nothing: an agent whose
// extension reconnects all day is never limited.
//
// A refused address is refused even with the right secret. Letting a
// right secret through would be kinder to an office behind one NAT
// address, where one colleague's stale connection string locks out the
// others, but it would make the limit bound nothing: while refused, a
// wrong guess would get a 429 and a right one a hello, an answer to every
// guess at whatever rate the attacker sends them, which is exactly what
// the limit exists to prevent. (Secrets are 256 random bits, so guessing
// is hopeless either way; the limit is the second line, and it holds only
// if no answer tells right from wrong.) The wait is short instead: one
// refill, 6 s by default, and the message says how long and why.
//
// Its memory is bounded: beyond maxKeys addresses, full buckets (which
// behave exactly like absent ones) are forgotten first, then the oldest.
type failLimiter struct {
	burst   float64
	every   time.Duration
	maxKeys int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was computed
}

func newFailLimiter(burst int, every time.Duration) *failLimiter {
	return &failLimiter{burst: float64(burst), every: every, maxKeys: 10000, buckets: map[string]*bucket{}}
}

// refill brings b up to now.
func (l *failLimiter) refill(b *bucket, now time.Time) {
	if l.every > 0 && now.After(b.at) {
		b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
	}
	b.at = now
}

// allow reports whether key may try a secret now, and if not, how long
// until it may.
func (l *failLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.burst <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		return true, 0
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.every))
}

// fail spends one of key's tokens.
func (l *failLimiter) fail(key string, now time.Time) {
	if l == nil || l.burst <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.maxKeys {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	b.tokens = max(0, b.tokens-1)
}

// evict forgets full buckets, or else the least recently touched one.
func (l *failLimiter) evict(now time.Time) {
	var oldest string
	for k, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.at))/float64(l.every) >= l.burst {
			delete(l.buckets, k)
			continue
		}
		if oldest == "" || b.at.Before(l.buckets[oldest].at) {
			oldest = k
		}
	}
	if len(l.buckets) >= l.maxKeys && oldest != "" {
		delete(l.buckets, oldest)
	}
}
