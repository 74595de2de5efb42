package relay

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
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
	s := o.sub
	defer r.hub.Unsubscribe(s)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: don't buffer the stream
	w.WriteHeader(http.StatusOK)
	// event writes one SSE event into the response's buffer (which writes
	// through when full); id 0 writes no id. A batch of events is written
	// under one write deadline (set by begin), and flushed at its end.
	var scratch []byte
	begin := func() { rc.SetWriteDeadline(time.Now().Add(writeTimeout)) }
	event := func(id uint64, data []byte) {
		scratch = scratch[:0]
		if id > 0 {
			scratch = append(scratch, "id: "...)
			scratch = strconv.AppendUint(scratch, id, 10)
			scratch = append(scratch, '\n')
		}
		scratch = append(scratch, "data: "...)
		w.Write(scratch)
		w.Write(data)
		w.Write(sseEnd)
	}
	// retry: how long EventSource-like clients wait before reconnecting.
	begin()
	io.WriteString(w, "retry: 2000\n\n")
	event(0, o.hello)
	if o.gap != nil {
		event(0, o.gap)
	}
	for i, d := range o.replay {
		if i%256 == 255 { // a long replay: a deadline per part, as for live batches (at most ClientQueue)
			begin()
		}
		event(d.ID, d.Data)
	}
	if rc.Flush() != nil {
		return
	}
	r.metrics.deliveredN(transportSSE, len(o.replay))

	// Everything wakes the writer through s: events, cut off, the client
	// leaving, the keep-alive.
	ctx := req.Context()
	defer context.AfterFunc(ctx, s.Notify)()
	var pingDue atomic.Bool
	keepAlive := time.AfterFunc(r.cfg.KeepAlive, func() {
		pingDue.Store(true)
		s.Notify()
	})
	defer keepAlive.Stop()
	var batch []*Delivery
	for {
		<-s.Wake()
		if ctx.Err() != nil {
			return
		}
		if reason := s.Reason(); reason != nil {
			if reason == errTooSlow {
				r.metrics.slowDropped.Add(1)
			}
			begin()
			event(0, byeMessage(reason))
			rc.Flush()
			return
		}
		batch = r.hub.Take(s, batch[:0])
		ping := pingDue.Swap(false)
		if len(batch) == 0 && !ping {
			continue
		}
		begin()
		for _, d := range batch {
			event(d.ID, d.Data)
		}
		if ping {
			event(0, pingMessage)
			keepAlive.Reset(r.cfg.KeepAlive)
		}
		if rc.Flush() != nil {
			return
		}
		r.metrics.deliveredBatch(transportSSE, batch, time.Now())
		clear(batch)
	}
}

var sseEnd = []byte("\n\n")
