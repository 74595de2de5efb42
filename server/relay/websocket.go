package relay

import (
	"context"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/stream"
)

// maxClientMessage bounds a client's WebSocket message: an auth message
// with a secret is under 200 bytes.
const maxClientMessage = 4 << 10

// writeTimeout bounds one write to a client: a client that stops reading
// fills its TCP window, then this, then it is cut off.
const writeTimeout = 10 * time.Second

// closeStatus is the WebSocket close status for an error code.
func closeStatus(code string) websocket.StatusCode {
	switch code {
	case stream.CodeShutdown:
		return websocket.StatusGoingAway
	case stream.CodeTooSlow, stream.CodeRateLimited, stream.CodeInternal:
		return websocket.StatusTryAgainLater
	}
	return websocket.StatusPolicyViolation
}

// serveWebSocket is GET /v1/stream: the primary transport. The client's
// first message authenticates it (stream.ClientMessage); then the relay
// sends hello, a gap if any, the replay, and live events, with a ping
// every KeepAlive (its traffic keeps Chrome's service worker alive).
func (r *Relay) serveWebSocket(w http.ResponseWriter, req *http.Request) {
	// A web page's WebSocket is not subject to CORS: the origin check is
	// the only thing between a malicious page and the calls.
	if origin := req.Header.Get("Origin"); !originAllowed(origin, req.Host, r.cfg.AllowedOrigins) {
		writeError(w, errBadOrigin.with("origin %s may not use this relay: only the screenpop extension may read calls", origin))
		return
	}
	cursor, cursorErr := parseCursor(req.URL.Query().Get("cursor"))
	addr := r.clientAddr(req)
	c, err := websocket.Accept(w, req, &websocket.AcceptOptions{InsecureSkipVerify: true}) // origin checked above
	if err != nil {
		return // Accept wrote the HTTP error
	}
	defer c.CloseNow()
	c.SetReadLimit(maxClientMessage)
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()

	write := func(b []byte) error {
		wctx, wcancel := context.WithTimeout(ctx, writeTimeout)
		defer wcancel()
		return c.Write(wctx, websocket.MessageText, b)
	}
	// fail sends the error as a message (a browser's WebSocket API shows
	// no HTTP status, so the extension learns why from it) and closes.
	fail := func(e *apiError) {
		if write(e.message()) == nil {
			c.Close(closeStatus(e.Code), e.Code)
		}
	}
	if cursorErr != nil {
		fail(cursorErr)
		return
	}

	// One reader for the connection's life: it hands over the first
	// message and drops the rest (pings). Reading with a deadline would
	// close the connection when it expires, so the auth wait is a timer.
	first := make(chan []byte, 1)
	go func() {
		defer cancel() // a read error means the client left
		handed := false
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			if !handed {
				first <- b
				handed = true
			}
		}
	}()
	wait := r.cfg.AuthTimeout
	if r.cfg.AllowAnonymous {
		wait = min(wait, AnonymousGrace)
	}
	timer := time.NewTimer(wait)
	var msg []byte
	var got bool
	select {
	case msg = <-first:
		got = true
	case <-timer.C:
	case <-ctx.Done():
		return
	}
	timer.Stop()
	secret, anon, e := firstMessage(msg, got, r.cfg.AllowAnonymous)
	agent := anonymous
	if e == nil && !anon {
		agent, e = r.authenticate(secret, addr, time.Now())
	}
	if e != nil {
		fail(e)
		return
	}

	o := r.open(agent, cursor, cursor > 0, transportWebSocket)
	defer r.hub.Unsubscribe(o.sub)
	if write(o.hello) != nil {
		return
	}
	if o.gap != nil && write(o.gap) != nil {
		return
	}
	for _, d := range o.replay {
		if write(d.Data) != nil {
			return
		}
		r.metrics.delivered(transportWebSocket)
	}
	t := time.NewTicker(r.cfg.KeepAlive)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.sub.Done:
			reason := o.sub.Reason()
			if reason == errTooSlow {
				r.metrics.slowDropped.Add(1)
			}
			write(byeMessage(reason))
			code := stream.CodeShutdown
			if reason != nil {
				code = reason.Code
			}
			c.Close(closeStatus(code), code)
			return
		case d := <-o.sub.C:
			if write(d.Data) != nil {
				return
			}
			r.metrics.delivered(transportWebSocket)
			r.metrics.latency.observe(time.Since(d.At))
		case <-t.C:
			if write(pingMessage) != nil {
				return
			}
		}
	}
}
