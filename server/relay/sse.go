package relay

import (
	"fmt"
	"net/http"
	"time"
)

// serveSSE is GET /v1/sse: the same messages as the WebSocket, as
// Server-Sent Events, for clients that can't hold a WebSocket. The secret
// is in Authorization: Bearer (so an extension reads it with fetch and a
// stream reader, not EventSource, which can't send headers). Each event
// message carries its ID as the SSE id, so a client's Last-Event-ID is its
// cursor.
func (r *Relay) serveSSE(w http.ResponseWriter, req *http.Request) {
	agent, e := r.authRequest(req)
	if e != nil {
		writeError(w, e)
		return
	}
	c := req.URL.Query().Get("cursor")
	if c == "" {
		c = req.Header.Get("Last-Event-ID")
	}
	cursor, e := parseCursor(c)
	if e != nil {
		writeError(w, e)
		return
	}
	rc := http.NewResponseController(w)
	o := r.open(agent, cursor, cursor > 0, transportSSE)
	defer r.hub.Unsubscribe(o.sub)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: don't buffer the stream
	w.WriteHeader(http.StatusOK)
	// send writes one SSE event and flushes it; id 0 writes no id.
	send := func(id uint64, data []byte) error {
		rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		var err error
		if id > 0 {
			_, err = fmt.Fprintf(w, "id: %d\ndata: %s\n\n", id, data)
		} else {
			_, err = fmt.Fprintf(w, "data: %s\n\n", data)
		}
		if err == nil {
			err = rc.Flush()
		}
		return err
	}
	// retry: how long EventSource-like clients wait before reconnecting.
	fmt.Fprint(w, "retry: 2000\n\n")
	if send(0, o.hello) != nil {
		return
	}
	if o.gap != nil && send(0, o.gap) != nil {
		return
	}
	for _, d := range o.replay {
		if send(d.ID, d.Data) != nil {
			return
		}
		r.metrics.delivered(transportSSE)
	}
	t := time.NewTicker(r.cfg.KeepAlive)
	defer t.Stop()
	for {
		select {
		case <-req.Context().Done():
			return
		case <-o.sub.Done:
			reason := o.sub.Reason()
			if reason == errTooSlow {
				r.metrics.slowDropped.Add(1)
			}
			send(0, byeMessage(reason))
			return
		case d := <-o.sub.C:
			if send(d.ID, d.Data) != nil {
				return
			}
			r.metrics.delivered(transportSSE)
			r.metrics.latency.observe(time.Since(d.At))
		case <-t.C:
			if send(0, pingMessage) != nil {
				return
			}
		}
	}
}
