package relay

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/stream"
)

// maxClientMessage bounds a client's WebSocket message: an auth message
// with a secret is under 200 bytes.
const maxClientMessage = 4 << 10

// writeTimeout bounds one write to a client: a client that stops reading
// fills its TCP window, then this, then it is cut off. A write is one
// system call, of one message or of a batch.
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
	hj := &wsHijacker{ResponseWriter: w}
	c, err := websocket.Accept(hj, req, &websocket.AcceptOptions{InsecureSkipVerify: true}) // origin checked above
	if err != nil {
		return // Accept wrote the HTTP error
	}
	nc := hj.conn
	defer nc.release()
	defer c.CloseNow()
	c.SetReadLimit(maxClientMessage)

	// send writes messages in one system call (see wsNetConn). A write to
	// a client that stopped reading ends with the connection closed by
	// the watchdog: no deadline (so no timer) per message.
	send := func(msgs ...[]byte) error {
		nc.cork()
		for _, m := range msgs {
			c.Write(context.Background(), websocket.MessageText, m) // kept until uncork: its error is uncork's
		}
		return nc.uncork()
	}
	// fail sends the error as a message (a browser's WebSocket API shows
	// no HTTP status, so the extension learns why from it) and closes.
	fail := func(e *apiError) {
		if send(e.message()) == nil {
			c.Close(closeStatus(e.Code), e.Code)
		}
	}
	if cursorErr != nil {
		fail(cursorErr)
		return
	}

	// One reader for the connection's life: it hands over the first
	// message and drops the rest (pings); coder/websocket answers control
	// frames as it reads. Reading with a deadline would close the
	// connection when it expires, so the auth wait is a timer. When the
	// client leaves, left is closed and the writer woken.
	first := make(chan []byte, 1)
	left := make(chan struct{})
	var sub atomic.Pointer[Sub]
	go func() {
		defer func() {
			close(left)
			if s := sub.Load(); s != nil {
				s.Notify()
			}
		}()
		handed := false
		for {
			_, b, err := c.Read(context.Background())
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
	case <-left:
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
	s := o.sub
	sub.Store(s) // from now on the reader wakes s when the client leaves
	defer r.hub.Unsubscribe(s)
	opening := make([][]byte, 0, 2+len(o.replay))
	opening = append(opening, o.hello)
	if o.gap != nil {
		opening = append(opening, o.gap)
	}
	for _, d := range o.replay {
		opening = append(opening, d.Data)
	}
	if send(opening...) != nil {
		return
	}
	r.metrics.deliveredN(transportWebSocket, len(o.replay))

	// The writer: everything wakes it through s (events, cut off, the
	// client leaving, the keep-alive), so it waits on one channel.
	var pingDue atomic.Bool
	keepAlive := time.AfterFunc(r.cfg.KeepAlive, func() {
		pingDue.Store(true)
		s.Notify()
	})
	defer keepAlive.Stop()
	var batch []*Delivery
	for {
		<-s.Wake()
		select {
		case <-left:
			return
		default:
		}
		if reason := s.Reason(); reason != nil {
			if reason == errTooSlow {
				r.metrics.slowDropped.Add(1)
			}
			send(byeMessage(reason))
			c.Close(closeStatus(reason.Code), reason.Code)
			return
		}
		batch = r.hub.Take(s, batch[:0])
		ping := pingDue.Swap(false)
		if len(batch) == 0 && !ping {
			continue
		}
		nc.cork()
		for _, d := range batch {
			c.Write(context.Background(), websocket.MessageText, d.Data)
		}
		if ping {
			c.Write(context.Background(), websocket.MessageText, pingMessage)
			keepAlive.Reset(r.cfg.KeepAlive)
		}
		if nc.uncork() != nil {
			return
		}
		r.metrics.deliveredBatch(transportWebSocket, batch, time.Now())
		clear(batch) // the log decides when deliveries are collected
	}
}
