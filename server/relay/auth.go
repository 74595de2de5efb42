package relay

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/store"
)

// AnonymousGrace is how long a relay open to anonymous agents waits for a
// WebSocket client's auth message before taking its silence as "no
// secret". Extensions built before the auth message existed never send
// one; new ones send {"type":"auth","secret":""} at once when they have no
// secret, and never wait for this.
const AnonymousGrace = time.Second

// firstMessage decides what a WebSocket client's first message means: got
// is false when none came in time. It returns the secret to check, or
// anonymous, or the error to close the connection with.
//
//	auth with a secret              → check it (on any relay)
//	auth with "" / ping / silence   → anonymous where allowed, else refused
//	anything else                   → refused (no-auth)
func firstMessage(msg []byte, got, allowAnonymous bool) (secret string, anon bool, e *apiError) {
	refuse := errNoAuth
	if got {
		var m stream.ClientMessage
		if err := json.Unmarshal(msg, &m); err != nil {
			return "", false, errNoAuth.with("the first message is not JSON (%v); send {\"type\":\"auth\",\"secret\":\"sp_…\"} first", err)
		}
		switch m.Type {
		case stream.TypeAuth:
			if m.Secret != "" {
				return m.Secret, false, nil
			}
			refuse = errBadSecret.with("this relay needs an agent secret: paste the connection string `screenpop-relay agent add` printed in the extension's options")
		case stream.TypePing:
		default:
			return "", false, errNoAuth.with("the first message must be {\"type\":\"auth\",\"secret\":\"sp_…\"}, not type %q", m.Type)
		}
	}
	if allowAnonymous {
		return "", true, nil
	}
	return "", false, refuse
}

// bearer reads the secret of an SSE, long-poll or history request from
// its Authorization header. present is false when there is no header.
func bearer(req *http.Request) (secret string, present bool, e *apiError) {
	h := strings.TrimSpace(req.Header.Get("Authorization"))
	if h == "" {
		return "", false, nil
	}
	scheme, secret, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", true, errNoAuth.with("send the agent secret as Authorization: Bearer sp_… (got a %q header)", scheme)
	}
	return strings.TrimSpace(secret), true, nil
}

// authRequest authenticates an HTTP request of the agent API.
func (r *Relay) authRequest(req *http.Request) (Agent, *apiError) {
	secret, present, e := bearer(req)
	if e != nil {
		return Agent{}, e
	}
	if secret == "" {
		if r.cfg.AllowAnonymous {
			return anonymous, nil
		}
		if present {
			return Agent{}, errBadSecret
		}
		return Agent{}, errNoAuth
	}
	return r.authenticate(secret, r.clientAddr(req), time.Now())
}

// authenticate checks an agent secret from addr, rate-limiting wrong ones.
func (r *Relay) authenticate(secret, addr string, now time.Time) (Agent, *apiError) {
	if ok, wait := r.limiter.allow(addr, now); !ok {
		r.metrics.rateLimited.Add(1)
		return Agent{}, rateLimitedError(wait, r.cfg.AuthFailEvery)
	}
	if r.cfg.Store == nil {
		r.limiter.fail(addr, now)
		r.metrics.authFailures.Add(1)
		return Agent{}, errBadSecret.with("this relay runs without a data file, so it has no agents; connect without a secret (anonymous) or start it with -data")
	}
	a, err := r.cfg.Store.Authenticate(secret)
	switch {
	case errors.Is(err, store.ErrBadSecret):
		r.limiter.fail(addr, now)
		r.metrics.authFailures.Add(1)
		r.cfg.Log.Info("wrong agent secret", "addr", addr)
		return Agent{}, errBadSecret
	case err != nil:
		r.cfg.Log.Error("cannot check an agent secret", "err", err)
		return Agent{}, errInternal
	}
	return Agent{Name: a.Name, Lines: a.Lines}, nil
}

// clientAddr is the address rate limits apply to: the TCP peer, or,
// behind a reverse proxy, the address the proxy appended to
// X-Forwarded-For (the last one: earlier ones are the client's to forge).
func (r *Relay) clientAddr(req *http.Request) string {
	if r.cfg.BehindProxy {
		if xff := req.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if a := strings.TrimSpace(parts[len(parts)-1]); a != "" {
				return a
			}
		}
	}
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		return req.RemoteAddr
	}
	return host
}

// extensionSchemes are the origins of browser extensions' pages and
// service workers.
var extensionSchemes = []string{"chrome-extension", "moz-extension", "safari-web-extension"}

// originAllowed decides whether a request's Origin may use the agent API:
// none (not a browser: curl, the benchmark, a native client), a browser
// extension (any, or only allowed ones when the administrator listed
// them), or the relay's own pages (same host). A web page on another site
// must never read calls, even with a stolen secret in hand.
func originAllowed(origin, host string, allowed []string) bool {
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if u.Host == host && (u.Scheme == "http" || u.Scheme == "https") {
		return true
	}
	if len(allowed) > 0 {
		return slices.Contains(allowed, strings.TrimRight(origin, "/"))
	}
	return slices.Contains(extensionSchemes, u.Scheme)
}

// cors checks the origin of an agent API request and, for a browser
// origin, answers CORS: an extension's fetch from a page (or from a
// worker without host permission for the relay) needs it. Only the agent
// API gets CORS headers; /healthz, /metrics and the admin API never do.
func (r *Relay) cors(w http.ResponseWriter, req *http.Request) *apiError {
	origin := req.Header.Get("Origin")
	if !originAllowed(origin, req.Host, r.cfg.AllowedOrigins) {
		return errBadOrigin.with("origin %s may not use this relay: only the screenpop extension may read calls", origin)
	}
	if origin == "" {
		return nil
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	if req.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID")
		h.Set("Access-Control-Max-Age", "600")
	}
	return nil
}
