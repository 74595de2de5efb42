package ovhsim

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Expirations maps the OVH API's token expiration enum (confirmed: exactly
// these five strings, with spaces) to durations; "unlimited" is 0.
var Expirations = map[string]time.Duration{
	"5 minutes": 5 * time.Minute,
	"1 hour":    time.Hour,
	"1 day":     24 * time.Hour,
	"30 days":   30 * 24 * time.Hour,
	"unlimited": 0,
}

// expirationList is the enum in a stable order, for error messages.
const expirationList = `"5 minutes", "1 hour", "1 day", "30 days", "unlimited"`

// token is one event token. It covers one line, or every line and queue of
// a billing account (line == "").
type token struct {
	value      string
	scope      string // the line, or the billing account
	account    string
	line       string // "" for a billing-account token
	expiration string
	expires    time.Time // zero: never
	revoked    bool
	sessions   map[string]*session
}

func (t *token) usable(now time.Time) bool {
	return !t.revoked && (t.expires.IsZero() || now.Before(t.expires))
}

func (t *token) covers(l *line) bool {
	if t.line != "" {
		return t.line == l.number
	}
	return t.account == l.account.name
}

// ValidTokenShape reports whether s looks like an OVH event token: an
// upper-case UUID (^[A-Z0-9]{8}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{12}$).
func ValidTokenShape(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				return false
			}
		}
	}
	return true
}

// NewToken creates an event token for scope: a line or queue number (the
// token sees that line), or a billing account (the token sees all its lines
// and queues, including ones added later). expiration is one of "5
// minutes", "1 hour", "1 day", "30 days", "unlimited"; it counts from now
// on Config.Clock. With Config.OneTokenPerScope the scope's previous token
// is revoked.
func (s *Sim) NewToken(scope, expiration string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newTokenLocked(scope, expiration)
}

func (s *Sim) newTokenLocked(scope, expiration string) (string, error) {
	d, ok := Expirations[expiration]
	if !ok {
		return "", fmt.Errorf("ovhsim: expiration %q is not one of %s", expiration, expirationList)
	}
	t := &token{
		value:      strings.ToUpper(uuid.NewString()),
		scope:      scope,
		expiration: expiration,
		sessions:   map[string]*session{},
	}
	switch {
	case s.lines[scope] != nil:
		t.line, t.account = scope, s.lines[scope].account.name
	case s.accounts[scope] != nil:
		t.account = scope
	default:
		return "", fmt.Errorf("ovhsim: no line, queue or billing account %q (add it with AddLine or AddQueue)", scope)
	}
	now := s.now()
	if d > 0 {
		t.expires = now.Add(d)
	}
	if s.cfg.OneTokenPerScope {
		for _, old := range s.byScope[scope] {
			s.revokeLocked(old)
		}
	}
	s.tokens[t.value] = t
	s.byScope[scope] = append(s.byScope[scope], t)
	return t.value, nil
}

// RevokeToken makes a token invalid at once: polls being held with it are
// answered as for a bad token, its sessions are dropped. Unknown tokens
// are ignored.
func (s *Sim) RevokeToken(value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tokens[value]; t != nil {
		s.revokeLocked(t)
	}
}

func (s *Sim) revokeLocked(t *token) {
	if t.revoked {
		return
	}
	t.revoked = true
	delete(s.tokens, t.value)
	s.removeFromScopeLocked(t)
	for _, sess := range t.sessions {
		sess.wakeLocked()
	}
	t.sessions = map[string]*session{}
}

func (s *Sim) removeFromScopeLocked(t *token) {
	list := s.byScope[t.scope]
	for i, x := range list {
		if x == t {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(s.byScope, t.scope)
	} else {
		s.byScope[t.scope] = list
	}
}

// currentTokenLocked returns the newest usable token of a scope, or nil.
func (s *Sim) currentTokenLocked(scope string) *token {
	list := s.byScope[scope]
	now := s.now()
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].usable(now) {
			return list[i]
		}
	}
	return nil
}

// TokenExpiry returns when a token expires (zero for "unlimited") and
// whether it exists and is still usable.
func (s *Sim) TokenExpiry(value string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[value]
	if t == nil || !t.usable(s.now()) {
		return time.Time{}, false
	}
	return t.expires, true
}
