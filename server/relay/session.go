package relay

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
)

// Transports, as metrics label them.
const (
	transportWebSocket = "websocket"
	transportSSE       = "sse"
	transportPoll      = "long-poll"
)

// opening is what every client gets first, whatever its transport: hello
// (who it is, the calls going on on its lines, the newest ID), a gap when
// its cursor can't be honoured, then the events it missed on its lines.
type opening struct {
	hello  []byte
	gap    []byte // nil: none
	replay []*Delivery
	newest uint64
	sub    *Sub
}

// open subscribes an agent's client: from now, or, with resume, after
// cursor.
func (r *Relay) open(a Agent, cursor uint64, resume bool, transport string) opening {
	replay, gap, newest, sub := r.hub.Subscribe(cursor, resume, a, transport, time.Now())
	o := opening{replay: replay, newest: newest, sub: sub}
	h := &stream.Hello{Relay: Version, Cursor: newest, Live: r.liveCalls(a), Agent: a.Name}
	if !a.Anonymous {
		h.Lines = a.Lines
	}
	// After Subscribe: a change from now on comes as a message after it.
	up := r.upstreamOf(a)
	h.Upstream = &up
	r.hub.Announced(sub, upstreamMessage(up))
	o.hello, _ = json.Marshal(stream.Message{Type: stream.TypeHello, Hello: h})
	if gap != nil {
		r.metrics.gap(gap.Reason)
		o.gap, _ = json.Marshal(stream.Message{Type: stream.TypeGap, Gap: gap})
	}
	return o
}

// parseCursor reads a client's cursor: "" is 0 (start from now).
func parseCursor(s string) (uint64, *apiError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	c, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errBadCursor.with("cursor %q is not the id of an event (a positive integer): send the id of the last event received, or none to start from now", truncate(s, 24))
	}
	return c, nil
}

var (
	pingMessage, _ = json.Marshal(stream.Message{Type: stream.TypePing})
)

// byeMessage is the last message of a client the hub cut off: a bye when
// the relay shuts down, else the error saying why.
func byeMessage(reason *apiError) []byte {
	if reason == nil || reason == errShutdown {
		b, _ := json.Marshal(stream.Message{Type: stream.TypeBye, Error: &stream.Error{Code: errShutdown.Code, Message: errShutdown.Message}})
		return b
	}
	return reason.message()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// maskNumber hides the middle of a phone number for logs at info level
// (0033612345682 → 00336…82): enough to tell lines apart, not enough to
// know who called.
func maskNumber(n string) string {
	if len(n) <= 6 {
		if n == "" {
			return ""
		}
		return "…"
	}
	return n[:5] + "…" + n[len(n)-2:]
}
