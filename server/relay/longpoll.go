package relay

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
)

// servePoll is GET /v1/poll?cursor=N[&wait=S][&upstream=1]: the same
// messages as the WebSocket, as a plain JSON long-poll (stream.Poll), for clients that can
// hold neither a WebSocket nor a stream. Without a cursor it answers at
// once with hello (whose cursor starts the next poll). With one it answers
// at once with the gap and replay if any, else holds the request until an
// event on the agent's lines arrives or wait seconds pass (default
// PollWait, at most stream.MaxPollWait: a fetch in Chrome's extension
// service worker dies at 30 s). cursor=0 is a cursor: "no event yet"
// (hello said 0 on a relay that never had one), not "start from now".
// With upstream=1 every answer ends with the relay's link to OVH for the
// agent's lines (a TypeUpstream message), and its change wakes a held
// poll; without, a client gets it in the hello only (older clients).
func (r *Relay) servePoll(w http.ResponseWriter, req *http.Request) {
	agent, e := r.authRequest(req)
	if e != nil {
		writeError(w, e)
		return
	}
	q := req.URL.Query()
	cursor, e := parseCursor(q.Get("cursor"))
	if e != nil {
		writeError(w, e)
		return
	}
	resume := q.Get("cursor") != ""
	wait := r.cfg.PollWait
	if s := q.Get("wait"); s != "" {
		secs, err := strconv.Atoi(s)
		if err != nil || secs < 0 {
			writeError(w, errBadRequest.with("wait %q must be a number of seconds from 0 to %d", truncate(s, 12), int(stream.MaxPollWait.Seconds())))
			return
		}
		wait = min(time.Duration(secs)*time.Second, stream.MaxPollWait)
	}

	announce := q.Get("upstream") == "1"
	o := r.open(agent, cursor, resume, transportPoll)
	if !announce {
		r.hub.Unannounced(o.sub) // older clients: hello's Upstream only
	}
	var msgs [][]byte
	delivered := cursor // the newest event ID in the answer
	add := func(d *Delivery) {
		msgs = append(msgs, d.Data)
		delivered = max(delivered, d.ID)
		r.metrics.delivered(transportPoll)
	}
	if !resume {
		msgs = append(msgs, o.hello)
		delivered = o.newest
	}
	if o.gap != nil {
		msgs = append(msgs, o.gap)
	}
	for _, d := range o.replay {
		add(d)
	}
	if len(msgs) == 0 && wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-o.sub.Wake(): // events to take (Finish), or cut off
		case <-o.sub.Done:
		case <-t.C:
		case <-req.Context().Done():
		}
		t.Stop()
	}
	rest, newest := r.hub.Finish(o.sub)
	for _, d := range rest {
		if d.announced() {
			continue // superseded by the current one, below
		}
		add(d)
		r.metrics.latency.observe(time.Since(d.At))
	}
	// A long-poll client is not connected between two polls: one that
	// asks for it (upstream=1) gets the relay's link to OVH for its
	// agent's lines in every answer but the first (whose hello has it),
	// and a change wakes its held poll.
	if resume && announce {
		msgs = append(msgs, upstreamMessage(r.upstreamOf(agent)))
	}
	next := newest // every event up to newest on the agent's lines is in this answer or an earlier one
	switch reason := o.sub.Reason(); reason {
	case nil:
	case errShutdown, errTooSlow:
		// Events after the cut were not queued: resume from the last one sent.
		next = delivered
		if reason == errShutdown {
			msgs = append(msgs, byeMessage(reason))
		}
	default: // revoked, or secret replaced
		writeError(w, reason)
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"cursor":`)
	b.WriteString(strconv.FormatUint(next, 10))
	b.WriteString(`,"messages":[`)
	b.Write(bytes.Join(msgs, []byte(",")))
	b.WriteString("]}\n")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}
