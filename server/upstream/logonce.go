package upstream

import (
	"context"
	"log/slog"
	"sync"
)

// sayOnce logs a failure the first time, at its level, then at debug
// while it stays the same: a poller whose token OVH rejects retries
// every minute at most, and the same 400 characters at every retry
// drown the log (and the demo's terminal) without saying anything new.
// A change (another status, another error, or a renewal that now fails
// differently) is logged again at its level; so is the same failure
// after a recovery (reset). Each kind of failure (a poll, a renewal)
// keeps its own last message, since they alternate while a rejected
// token is renewed in vain.
type sayOnce struct {
	mu   sync.Mutex
	last map[string]string // kind → the last failure logged
}

// log logs msg with args at level, or at debug (marked "again") when
// kind's last failure was key too.
func (s *sayOnce) log(l *slog.Logger, level slog.Level, kind, key, msg string, args ...any) {
	s.mu.Lock()
	if s.last == nil {
		s.last = map[string]string{}
	}
	again := s.last[kind] == key
	s.last[kind] = key
	s.mu.Unlock()
	if again {
		level, args = slog.LevelDebug, append(args, "again", true)
	}
	l.Log(context.Background(), level, msg, args...)
}

// reset forgets the failures: the next one is news.
func (s *sayOnce) reset() {
	s.mu.Lock()
	clear(s.last)
	s.mu.Unlock()
}
