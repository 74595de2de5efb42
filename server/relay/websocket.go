package relay

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/stream"
)

// allowedOrigin accepts the browsers' extension origins and non-browser
// clients (no Origin). A web page on another site must not read calls.
func allowedOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "chrome-extension", "moz-extension":
		return true
	}
	return u.Host == r.Host
}

func (r *Relay) serveStream(w http.ResponseWriter, req *http.Request) {
	if !allowedOrigin(req) {
		http.Error(w, "this relay only streams to the screenpop extension (origin "+req.Header.Get("Origin")+" refused)", http.StatusForbidden)
		return
	}
	var cursor uint64
	if s := req.URL.Query().Get("cursor"); s != "" {
		c, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			http.Error(w, "cursor must be the id of the last event received (a positive integer); reconnect without it to start from now", http.StatusBadRequest)
			return
		}
		cursor = c
	}
	c, err := websocket.Accept(w, req, &websocket.AcceptOptions{InsecureSkipVerify: true}) // origin checked above
	if err != nil {
		return // Accept wrote the HTTP error
	}
	defer c.CloseNow()
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()

	// Read (and ignore) client pings; a read error means the client left.
	go func() {
		defer cancel()
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}()

	now := time.Now()
	replay, gap, newest, sub := r.hub.Subscribe(cursor, now)
	defer r.hub.Unsubscribe(sub)

	write := func(b []byte) error {
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		defer wcancel()
		return c.Write(wctx, websocket.MessageText, b)
	}
	hello, _ := json.Marshal(stream.Message{Type: stream.TypeHello, Hello: &stream.Hello{Relay: Version, Cursor: newest, Live: r.liveCalls()}})
	if write(hello) != nil {
		return
	}
	if gap != nil {
		b, _ := json.Marshal(stream.Message{Type: stream.TypeGap, Gap: gap})
		if write(b) != nil {
			return
		}
	}
	for _, b := range replay {
		if write(b) != nil {
			return
		}
	}
	ping, _ := json.Marshal(stream.Message{Type: stream.TypePing})
	t := time.NewTicker(r.cfg.KeepAlive)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Dropped:
			if sub.Bye {
				b, _ := json.Marshal(stream.Message{Type: stream.TypeBye})
				write(b)
				c.Close(websocket.StatusGoingAway, "relay shutting down: reconnect with your cursor")
				return
			}
			c.Close(websocket.StatusPolicyViolation, "too slow: reconnect with your cursor")
			return
		case b := <-sub.C:
			if write(b) != nil {
				return
			}
		case <-t.C:
			if write(ping) != nil {
				return
			}
		}
	}
}
