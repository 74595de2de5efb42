package relay

import (
	"context"
	"net/http"
	"strings"
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
var writeTimeout = 10 * time.Second // a variable for tests

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
//
// A connection has two goroutines: a reader, which coder/websocket needs
// to answer control frames and which sees the client leave, and a writer,
// which the hub and the keep-alive wake (Sub.Wake). Over plain TCP the
// hub's fan-out writes live events itself (push) and wakes the writer
// only when the socket would make it wait. The HTTP server's
// goroutine authenticates the client and writes the opening, then
// returns: until it does, the server holds the request and 8 KiB of
// buffers for the connection, and its stack, grown by the opening's JSON.
func (r *Relay) serveWebSocket(w http.ResponseWriter, req *http.Request) {
	// A web page's WebSocket is not subject to CORS: the origin check is
	// the only thing between a malicious page and the calls.
	if origin := req.Header.Get("Origin"); !originAllowed(origin, req.Host, r.cfg.AllowedOrigins) {
		writeError(w, errBadOrigin.with("origin %s may not use this relay: only the screenpop extension may read calls", origin))
		return
	}
	if e := handshakeError(req); e != nil {
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Sec-WebSocket-Version", "13")
		writeError(w, e)
		return
	}
	cursor, cursorErr := parseCursor(req.URL.Query().Get("cursor"))
	addr := r.clientAddr(req)
	hj := &wsHijacker{ResponseWriter: w}
	c, err := websocket.Accept(hj, req, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // origin checked above
		// Messages are framed by wsNetConn.sendText, which does not compress.
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return // Accept wrote the HTTP error
	}
	c.SetReadLimit(maxClientMessage)
	ws := &wsConn{r: r, c: c, nc: hj.conn, first: make(chan []byte, 1), left: make(chan struct{})}
	go ws.read()
	if cursorErr != nil {
		ws.fail(cursorErr)
		return
	}
	if s := ws.open(cursor, addr); s != nil {
		if ws.nc.raw != nil {
			r.hub.SetPusher(s, ws)
		}
		go ws.write(s)
	}
}

var errNotWebSocket = &apiError{http.StatusUpgradeRequired, stream.CodeBadRequest,
	"this endpoint is a WebSocket: connect with a WebSocket client; without one use /v1/sse or /v1/poll", 0}

// handshakeError says why req is not a WebSocket opening handshake (RFC
// 6455 4.2.1) as a coded error, as every other refusal of the agent API
// is; nil if it is one. coder/websocket's Accept would refuse the same
// requests in plain text (found by FuzzAgentAPI).
func handshakeError(req *http.Request) *apiError {
	has := func(header, token string) bool {
		for _, v := range req.Header.Values(header) {
			for _, t := range strings.Split(v, ",") {
				if strings.EqualFold(strings.TrimSpace(t), token) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case !req.ProtoAtLeast(1, 1):
		return errNotWebSocket.with("a WebSocket opens over HTTP/1.1 or later, not %s; connect with a WebSocket client, or use /v1/sse or /v1/poll", truncate(req.Proto, 12))
	case !has("Connection", "upgrade") || !has("Upgrade", "websocket"):
		return errNotWebSocket
	case req.Header.Get("Sec-WebSocket-Version") != "13":
		return errNotWebSocket.with("this relay speaks WebSocket version 13, the only standard one; the client asked for %q", truncate(req.Header.Get("Sec-WebSocket-Version"), 12))
	case req.Header.Get("Sec-WebSocket-Key") == "":
		return errNotWebSocket.with("the WebSocket handshake has no Sec-WebSocket-Key; connect with a WebSocket client")
	}
	return nil
}

// wsConn is one WebSocket client's connection.
type wsConn struct {
	r     *Relay
	c     *websocket.Conn
	nc    *wsNetConn
	first chan []byte   // the client's first message, from the reader
	left  chan struct{} // closed when the reader stops: the client left, or the connection was closed
	sub   atomic.Pointer[Sub]

	// Guarded by nc.mu: the writer's and push's buffers, reused.
	batch []*Delivery
	msgs  [][]byte
}

// read is the connection's one reader: it hands over the first message
// and drops the rest (pings). When it stops, it wakes the writer.
func (ws *wsConn) read() {
	defer func() {
		close(ws.left)
		if s := ws.sub.Load(); s != nil {
			s.Notify()
		}
	}()
	handed := false
	for {
		_, b, err := ws.c.Read(context.Background())
		if err != nil {
			return
		}
		if !handed {
			ws.first <- b
			handed = true
		}
	}
}

// close ends the connection.
func (ws *wsConn) close() {
	ws.c.CloseNow()
	ws.nc.stopWatchdog()
}

// fail sends the error as a message (a browser's WebSocket API shows no
// HTTP status, so the extension learns why from it) and closes.
func (ws *wsConn) fail(e *apiError) { ws.end(e.message(), e.Code) }

// end sends the last message and closes with code's status.
func (ws *wsConn) end(last []byte, code string) {
	if ws.nc.sendText(last) == nil {
		ws.c.Close(closeStatus(code), code)
	}
	ws.close()
}

// open authenticates the client by its first message, subscribes it and
// writes the opening (hello, gap, replay). It returns nil when the
// connection is over.
func (ws *wsConn) open(cursor uint64, addr string) *Sub {
	r := ws.r
	// Reading with a deadline would close the connection when it
	// expires, so the auth wait is a timer.
	wait := r.cfg.AuthTimeout
	if r.cfg.AllowAnonymous {
		wait = min(wait, AnonymousGrace)
	}
	timer := time.NewTimer(wait)
	var msg []byte
	var got bool
	select {
	case msg = <-ws.first:
		got = true
	case <-timer.C:
	case <-ws.left:
		ws.close()
		return nil
	}
	timer.Stop()
	secret, anon, e := firstMessage(msg, got, r.cfg.AllowAnonymous)
	agent := anonymous
	if e == nil && !anon {
		agent, e = r.authenticate(secret, addr, time.Now())
	}
	if e != nil {
		ws.fail(e)
		return nil
	}

	o := r.open(agent, cursor, cursor > 0, transportWebSocket)
	ws.sub.Store(o.sub) // from now on the reader wakes the writer when it stops
	msgs := make([][]byte, 0, 2+len(o.replay))
	msgs = append(msgs, o.hello)
	if o.gap != nil {
		msgs = append(msgs, o.gap)
	}
	for _, d := range o.replay {
		msgs = append(msgs, d.Data)
	}
	if ws.nc.sendText(msgs...) != nil {
		r.hub.Unsubscribe(o.sub)
		ws.close()
		return nil
	}
	r.metrics.deliveredN(transportWebSocket, len(o.replay))
	return o.sub
}

// write is the connection's writer, from after the opening until the
// connection ends. Everything wakes it through s (events a push could not
// write, cut off, the client leaving, the keep-alive), so it waits on one
// channel; each time, it writes everything pending in one go.
func (ws *wsConn) write(s *Sub) {
	r := ws.r
	defer ws.close()
	defer r.hub.Unsubscribe(s)
	var pingDue atomic.Bool
	keepAlive := time.AfterFunc(r.cfg.KeepAlive, func() {
		pingDue.Store(true)
		s.Notify()
	})
	defer keepAlive.Stop()
	for ; ; <-s.Wake() { // the first round runs at once: the client may have left before the reader could wake s
		select {
		case <-ws.left:
			return
		default:
		}
		if reason := s.Reason(); reason != nil {
			if reason == errTooSlow {
				r.metrics.slowDropped.Add(1)
			}
			ws.end(byeMessage(reason), reason.Code)
			return
		}
		ping := pingDue.Swap(false)
		if ping {
			keepAlive.Reset(r.cfg.KeepAlive)
		}
		if ws.flush(s, ping) != nil {
			return
		}
	}
}

// flush writes what the client has to take, and a ping if one is due,
// waiting for the socket (under its watchdog). The connection stays
// locked from Take to the end of the write, so that a push cannot write
// newer events before these.
func (ws *wsConn) flush(s *Sub, ping bool) error {
	nc := ws.nc
	nc.mu.Lock()
	defer nc.mu.Unlock()
	ws.batch = ws.r.hub.Take(s, ws.batch[:0])
	if len(ws.batch) == 0 && !ping && len(nc.unsent) == 0 {
		return nil
	}
	ws.msgs = ws.msgs[:0]
	for _, d := range ws.batch {
		ws.msgs = append(ws.msgs, d.Data)
	}
	if ping {
		ws.msgs = append(ws.msgs, pingMessage)
	}
	err := nc.sendTextLocked(ws.msgs...) // what a push left goes first
	clear(ws.msgs)                       // the log decides when deliveries are collected
	if err == nil {
		ws.r.metrics.deliveredBatch(transportWebSocket, ws.batch, time.Now())
	}
	clear(ws.batch)
	return err
}

// claim is the hub's fan-out readying this client for a push (pusher):
// it holds the connection until pushBatch, so that the writer cannot write
// newer events before the pushed ones. It declines, for the hub to wake
// the writer, when the writer is busy (it takes these next), something
// is left to write (the writer waits for the socket), or the connection
// is closing.
func (ws *wsConn) claim() bool {
	nc := ws.nc
	if !nc.mu.TryLock() {
		return false
	}
	if nc.closeSent || len(nc.unsent) > 0 {
		nc.mu.Unlock()
		return false
	}
	return true
}

// pushBatch is the push after claim: batch, taken by the hub for this
// client, goes out with one system call that does not wait. It reports
// whether the socket took everything; what it did not, the writer
// writes.
func (ws *wsConn) pushBatch(batch []*Delivery, w *pushWork) bool {
	nc := ws.nc
	defer nc.mu.Unlock()
	if len(batch) == 0 {
		return true
	}
	if !w.reuseFrame(batch) {
		w.frame = w.frame[:0]
		for _, d := range batch {
			w.frame = appendTextFrame(w.frame, d.Data)
		}
		w.framed = append(w.framed[:0], batch...)
	}
	done := nc.tryWrite(w.frame)
	// Counted when handed to the socket, as the writer counts them; what
	// it did not take yet follows as soon as the client reads.
	w.metrics = ws.r.metrics
	now := time.Now()
	for _, d := range batch {
		if !d.announced() { // an Announce message is not an event
			w.tally.add(now.Sub(d.At))
		}
	}
	return done
}
