package ovhsim

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// AccessRule grants one HTTP method on a path of the OVH API (relative to
// /1.0). In Path, "*" matches any run of characters, "/" included:
// "/telephony/*" grants everything under /telephony but not /telephony
// itself.
type AccessRule struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// Allows reports whether the rule grants method on path.
func (r AccessRule) Allows(method, path string) bool {
	return strings.EqualFold(r.Method, method) && globMatch(r.Path, path)
}

// globMatch matches path against pattern where '*' matches any sequence.
func globMatch(pattern, path string) bool {
	// Iterative wildcard matching with backtracking to the last '*'.
	p, s := 0, 0
	star, mark := -1, 0
	for s < len(path) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, s
			p++
		case p < len(pattern) && pattern[p] == path[s]:
			p++
			s++
		case star >= 0:
			p = star + 1
			mark++
			s = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// consumerKey is a credential of the OVH API: an application key plus a
// consumer key, granted some access rules once the user validated it.
type consumerKey struct {
	key         string
	appKey      string
	rules       []AccessRule
	redirection string
	validated   bool
}

// AddApplication registers an application key and its secret (what a user
// gets from OVH's createApp page).
func (s *Sim) AddApplication(appKey, appSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[appKey] = appSecret
}

// AddConsumerKey registers an already validated consumer key of an
// application, granted rules (none: everything, as "/*" on every method).
// Tests use it to skip the credential flow.
func (s *Sim) AddConsumerKey(appKey, ck string, rules ...AccessRule) {
	if len(rules) == 0 {
		for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
			rules = append(rules, AccessRule{m, "/*"})
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consumers[ck] = &consumerKey{key: ck, appKey: appKey, rules: rules, validated: true}
}

// ValidateConsumerKey does what the user does on OVH's validation page:
// the consumer key becomes usable with the rules it asked for.
func (s *Sim) ValidateConsumerKey(ck string) error {
	_, err := s.validateConsumerKey(ck)
	return err
}

func (s *Sim) validateConsumerKey(ck string) (redirection string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.consumers[ck]
	if c == nil {
		return "", fmt.Errorf("%w %q", errNoConsumerKey, ck)
	}
	c.validated = true
	return c.redirection, nil
}

// newConsumerKeyLocked creates a pending consumer key.
func (s *Sim) newConsumerKeyLocked(appKey string, rules []AccessRule, redirection string) *consumerKey {
	c := &consumerKey{key: randomAlnum(32), appKey: appKey, rules: rules, redirection: redirection}
	s.consumers[c.key] = c
	return c
}

// Signature returns X-Ovh-Signature for a request: "$1$" + hex(sha1(AS +
// "+" + CK + "+" + METHOD + "+" + fullURL + "+" + body + "+" + timestamp)),
// fullURL with its query string, body empty for GET and DELETE.
func Signature(appSecret, consumerKey, method, fullURL, body string, timestamp int64) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s+%s+%s+%s+%s+%d", appSecret, consumerKey, method, fullURL, body, timestamp)
	return "$1$" + hex.EncodeToString(h.Sum(nil))
}

// signedURL is the full URL the client signed: Config.PublicBaseURL and
// the request URI, or, without PublicBaseURL, the scheme (TLS or
// X-Forwarded-Proto), Host and the raw request URI.
func (s *Sim) signedURL(r *http.Request) string {
	if s.cfg.PublicBaseURL != "" {
		return s.cfg.PublicBaseURL + r.URL.RequestURI()
	}
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	return s.baseURL(r) + uri
}

// signedURLs are the full URLs a client may have signed for r: the one
// signedURL says, and, without Config.PublicBaseURL, the same host and
// path in the other scheme. OVH clients sign the URL they call; a reverse
// proxy that terminates TLS keeps the Host but may not say the scheme
// (no X-Forwarded-Proto), so "https://host/…" and "http://host/…" are
// both the client's URL. The secret still has to match: nothing is
// accepted that was not signed with it.
func (s *Sim) signedURLs(r *http.Request) []string {
	u := s.signedURL(r)
	if s.cfg.PublicBaseURL != "" {
		return []string{u}
	}
	if rest, ok := strings.CutPrefix(u, "http://"); ok {
		return []string{u, "https://" + rest}
	}
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		return []string{u, "http://" + rest}
	}
	return []string{u}
}

// baseURL is the emulator's base URL as the client sees it.
func (s *Sim) baseURL(r *http.Request) string {
	if s.cfg.PublicBaseURL != "" {
		return s.cfg.PublicBaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme = strings.ToLower(strings.TrimSpace(strings.Split(p, ",")[0]))
	}
	return scheme + "://" + r.Host
}

// authenticate checks a signed /1.0 call: application key, consumer key,
// timestamp, signature, then the consumer key's access rules on path (the
// path under /1.0). It returns nil when the call may proceed.
func (s *Sim) authenticate(r *http.Request, path string, body []byte) *apiError {
	h := r.Header
	appKey := h.Get("X-Ovh-Application")
	if appKey == "" {
		return errNotAuthenticated
	}
	s.mu.Lock()
	secret, appOK := s.apps[appKey]
	ck := s.consumers[h.Get("X-Ovh-Consumer")]
	var ckCopy consumerKey
	if ck != nil {
		ckCopy = *ck
	}
	s.mu.Unlock()
	if !appOK {
		return errInvalidKey
	}
	if h.Get("X-Ovh-Consumer") == "" || h.Get("X-Ovh-Signature") == "" || h.Get("X-Ovh-Timestamp") == "" {
		return errNotAuthenticated
	}
	if ck == nil || ckCopy.appKey != appKey {
		return errNoCredential
	}
	ts, err := strconv.ParseInt(h.Get("X-Ovh-Timestamp"), 10, 64)
	if err != nil {
		return errQueryTime
	}
	if skew := time.Duration(s.now().Unix()-ts) * time.Second; skew > s.cfg.MaxClockSkew || skew < -s.cfg.MaxClockSkew {
		return errQueryTime
	}
	got := []byte(h.Get("X-Ovh-Signature"))
	signed := false
	for _, u := range s.signedURLs(r) {
		want := Signature(secret, ckCopy.key, r.Method, u, string(body), ts)
		if subtle.ConstantTimeCompare([]byte(want), got) == 1 {
			signed = true
			break
		}
	}
	if !signed {
		s.logf("signature mismatch on %s %s (signed URL as seen by the sim: %s)", r.Method, r.URL.Path, s.signedURL(r))
		return errInvalidSignature
	}
	if !ckCopy.validated {
		return errNotValidated
	}
	for _, rule := range ckCopy.rules {
		if rule.Allows(r.Method, path) {
			return nil
		}
	}
	return errNotGranted
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomAlnum(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}
