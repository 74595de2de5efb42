package relay

import (
	"bufio"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/screenpop/screenpop/server/procstat"
	"github.com/screenpop/screenpop/server/upstream"
)

// metrics are the relay's counters, exposed at /metrics in Prometheus'
// text format, written by hand (no client library: a few counters and one
// histogram don't need one).
type metrics struct {
	eventsIn      atomic.Uint64 // OVH events received
	eventsIgnored atomic.Uint64 // duplicates and events not about a call
	published     atomic.Uint64 // event messages published (expiries included)
	out           [3]atomic.Uint64
	gapTooOld     atomic.Uint64
	gapUnknown    atomic.Uint64
	slowDropped   atomic.Uint64
	authFailures  atomic.Uint64
	rateLimited   atomic.Uint64
	storeErrors   atomic.Uint64
	renewals      struct{ ok, failed atomic.Uint64 }
	latency       *histogram
}

var transports = [3]string{transportWebSocket, transportSSE, transportPoll}

func newMetrics() *metrics {
	return &metrics{latency: newHistogram(latencyBounds[:]...)}
}

func (m *metrics) delivered(transport string) { m.deliveredN(transport, 1) }

func (m *metrics) deliveredN(transport string, n int) {
	if i := slices.Index(transports[:], transport); i >= 0 && n > 0 {
		m.out[i].Add(uint64(n))
	}
}

// deliveredBatch counts live deliveries written at now, with their latency.
// Announced messages (Hub.Announce) are not events: not counted.
func (m *metrics) deliveredBatch(transport string, batch []*Delivery, now time.Time) {
	n := 0
	for _, d := range batch {
		if d.announced() {
			continue
		}
		n++
		m.latency.observe(now.Sub(d.At))
	}
	m.deliveredN(transport, n)
}

// tally is deliveries added up by one goroutine (a fan-out's), for
// addTally: counting each on the shared counters, which both cores
// update, cost more than writing it.
type tally struct {
	n      uint64
	sum    time.Duration
	counts [len(latencyBounds) + 1]uint64
}

// add counts a delivery of latency d.
func (t *tally) add(d time.Duration) {
	t.counts[bucketOf(latencyBounds[:], d)]++
	t.sum += d
	t.n++
}

// addTally adds t to the metrics and empties it.
func (m *metrics) addTally(transport string, t *tally) {
	if t.n == 0 {
		return
	}
	m.deliveredN(transport, int(t.n))
	h := m.latency
	for i, c := range t.counts {
		if c > 0 {
			h.counts[i].Add(c)
		}
	}
	h.sum.Add(int64(t.sum))
	h.count.Add(t.n)
	*t = tally{}
}

func (m *metrics) gap(reason string) {
	if reason == "unknown-cursor" {
		m.gapUnknown.Add(1)
	} else {
		m.gapTooOld.Add(1)
	}
}

// latencyBounds are the delivery-latency histogram's buckets, in seconds.
var latencyBounds = [...]float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// histogram is a Prometheus histogram: cumulative on exposition.
type histogram struct {
	bounds []float64 // seconds
	counts []atomic.Uint64
	sum    atomic.Int64 // nanoseconds
	count  atomic.Uint64
}

func newHistogram(bounds ...float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

func (h *histogram) observe(d time.Duration) {
	h.counts[bucketOf(h.bounds, d)].Add(1)
	h.sum.Add(int64(d))
	h.count.Add(1)
}

// bucketOf is the index of d's bucket among bounds (seconds): the first
// bound ≥ d, as a Prometheus bucket's le is inclusive; len(bounds) for +Inf.
func bucketOf(bounds []float64, d time.Duration) int {
	return sort.SearchFloat64s(bounds, d.Seconds())
}

// upstreamStatuses are every status a poller can be in, for one-hot gauges.
var upstreamStatuses = []string{upstream.StatusStarting, upstream.StatusPolling, upstream.StatusBackoff, upstream.StatusRejected, upstream.StatusRenewing}

// serveMetrics is GET /metrics.
func (r *Relay) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	b := bufio.NewWriter(w)
	defer b.Flush()
	m := r.metrics
	metric := func(name, typ, help string) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	value := func(name string, v any, labels ...string) {
		fmt.Fprint(b, name)
		if len(labels) > 0 {
			b.WriteByte('{')
			for i := 0; i < len(labels); i += 2 {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(b, "%s=%q", labels[i], labels[i+1])
			}
			b.WriteByte('}')
		}
		fmt.Fprintf(b, " %v\n", v)
	}

	ups := r.pollerStates()
	metric("screenpop_upstream_up", "gauge", "Whether the poller of an OVH event token (masked) polls successfully (1) or is failing (0).")
	for _, s := range ups {
		up := 0
		if s.Status == upstream.StatusPolling && s.Failures == 0 {
			up = 1
		}
		value("screenpop_upstream_up", up, "token", s.Token)
	}
	metric("screenpop_upstream_state", "gauge", "The state of each token's poller: 1 for its current status.")
	for _, s := range ups {
		for _, st := range upstreamStatuses {
			v := 0
			if s.Status == st {
				v = 1
			}
			value("screenpop_upstream_state", v, "token", s.Token, "state", st)
		}
	}
	metric("screenpop_upstream_failures", "gauge", "Consecutive failed polls of each token.")
	for _, s := range ups {
		value("screenpop_upstream_failures", s.Failures, "token", s.Token)
	}
	metric("screenpop_upstream_events_total", "counter", "OVH events received per token.")
	for _, s := range ups {
		value("screenpop_upstream_events_total", s.Events, "token", s.Token)
	}
	metric("screenpop_upstream_last_success_timestamp_seconds", "gauge", "When each token's last poll succeeded (0: never).")
	for _, s := range ups {
		var ts float64
		if !s.LastSuccess.IsZero() {
			ts = float64(s.LastSuccess.UnixNano()) / 1e9
		}
		value("screenpop_upstream_last_success_timestamp_seconds", ts, "token", s.Token)
	}
	metric("screenpop_token_renewals_total", "counter", "Rejected OVH event tokens renewed through the OVH API, by result.")
	value("screenpop_token_renewals_total", m.renewals.ok.Load(), "result", "ok")
	value("screenpop_token_renewals_total", m.renewals.failed.Load(), "result", "failed")

	metric("screenpop_events_received_total", "counter", "OVH events received from every token.")
	value("screenpop_events_received_total", m.eventsIn.Load())
	metric("screenpop_events_ignored_total", "counter", "OVH events that changed no call (duplicates, registrations, queue sizes).")
	value("screenpop_events_ignored_total", m.eventsIgnored.Load())
	metric("screenpop_events_published_total", "counter", "Event messages published to clients (call changes and expiries).")
	value("screenpop_events_published_total", m.published.Load())
	metric("screenpop_messages_delivered_total", "counter", "Event messages written to clients, by transport (replays included).")
	for i, t := range transports {
		value("screenpop_messages_delivered_total", m.out[i].Load(), "transport", t)
	}

	hs := r.hub.Stats()
	metric("screenpop_clients", "gauge", "Connected clients by transport (long-polls: those being held).")
	for _, t := range transports {
		value("screenpop_clients", hs.Clients[t], "transport", t)
	}
	metric("screenpop_agents_connected", "gauge", "Distinct named agents with at least one client connected.")
	value("screenpop_agents_connected", hs.Agents)
	metric("screenpop_anonymous_clients", "gauge", "Clients connected without a secret (demo, -allow-anonymous).")
	value("screenpop_anonymous_clients", hs.Anonymous)
	metric("screenpop_replay_gaps_total", "counter", "Clients whose cursor could not be honoured, by reason.")
	value("screenpop_replay_gaps_total", m.gapTooOld.Load(), "reason", "too-old")
	value("screenpop_replay_gaps_total", m.gapUnknown.Load(), "reason", "unknown-cursor")
	metric("screenpop_clients_dropped_total", "counter", "Clients cut off because they stopped reading.")
	value("screenpop_clients_dropped_total", m.slowDropped.Load(), "reason", "too-slow")
	metric("screenpop_auth_failures_total", "counter", "Wrong agent secrets.")
	value("screenpop_auth_failures_total", m.authFailures.Load())
	metric("screenpop_auth_rate_limited_total", "counter", "Authentications refused because the address sent too many wrong secrets.")
	value("screenpop_auth_rate_limited_total", m.rateLimited.Load())
	metric("screenpop_store_errors_total", "counter", "Failed writes to the data file.")
	value("screenpop_store_errors_total", m.storeErrors.Load())
	metric("screenpop_event_log_newest_id", "gauge", "The newest event ID issued (the cursor of the last event).")
	value("screenpop_event_log_newest_id", hs.Newest)
	metric("screenpop_event_log_events", "gauge", "Events held for replay.")
	value("screenpop_event_log_events", hs.Logged)
	r.mu.Lock()
	live := len(r.book.Live())
	r.mu.Unlock()
	metric("screenpop_live_calls", "gauge", "Calls ringing or in conversation.")
	value("screenpop_live_calls", live)

	if ch := r.crmHealth(); ch != nil {
		r.writeCRMMetrics(ch, metric, value)
	}
	if lh := r.callLogHealth(); lh != nil {
		metric("screenpop_crm_calllog_queued", "gauge", "Call log writes waiting in the data file for the CRM (down, or a retry due).")
		value("screenpop_crm_calllog_queued", lh.Queued)
		metric("screenpop_crm_calllog_writes_total", "counter", "Call log writes to the CRM, by result (failed ones are retried).")
		value("screenpop_crm_calllog_writes_total", lh.Written, "result", "written")
		value("screenpop_crm_calllog_writes_total", lh.Failed, "result", "failed")
		value("screenpop_crm_calllog_writes_total", lh.Dropped, "result", "dropped")
	}

	h := m.latency
	metric("screenpop_delivery_latency_seconds", "histogram", "From receiving an OVH event to writing it to a live client.")
	var cum uint64
	for i, le := range h.bounds {
		cum += h.counts[i].Load()
		value("screenpop_delivery_latency_seconds_bucket", cum, "le", fmt.Sprint(le))
	}
	cum += h.counts[len(h.bounds)].Load()
	value("screenpop_delivery_latency_seconds_bucket", cum, "le", "+Inf")
	value("screenpop_delivery_latency_seconds_sum", float64(h.sum.Load())/1e9)
	value("screenpop_delivery_latency_seconds_count", cum) // the +Inf bucket, so that the two agree

	// The standard process metrics (the names Prometheus' client libraries
	// use), so that a relay's CPU and memory can be watched from another
	// host, as the bench does. Without /proc they are left out.
	if user, sys, err := procstat.CPU("self"); err == nil {
		metric("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
		value("process_cpu_seconds_total", (user + sys).Seconds())
	}
	if rss, err := procstat.StatusKiB("self", "VmRSS:"); err == nil {
		metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
		value("process_resident_memory_bytes", rss*1024)
	}
}

// writeCRMMetrics writes the caller directory's metrics.
func (r *Relay) writeCRMMetrics(ch *CRMHealth, metric func(name, typ, help string), value func(name string, v any, labels ...string)) {
	ts := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return float64(t.UnixNano()) / 1e9
	}
	up := 0
	if ch.State == "ok" {
		up = 1
	}
	metric("screenpop_crm_sync_up", "gauge", "Whether the last sync of the CRM caller directory worked (1) or failed (0; /healthz says why).")
	value("screenpop_crm_sync_up", up)
	metric("screenpop_crm_sync_timestamp_seconds", "gauge", "When the last CRM directory sync ended (0: none yet).")
	value("screenpop_crm_sync_timestamp_seconds", ts(ch.LastSync))
	metric("screenpop_crm_sync_last_success_timestamp_seconds", "gauge", "When a CRM directory sync last worked (0: never).")
	value("screenpop_crm_sync_last_success_timestamp_seconds", ts(ch.LastSuccess))
	metric("screenpop_crm_sync_duration_seconds", "gauge", "How long the last CRM directory sync took.")
	value("screenpop_crm_sync_duration_seconds", ch.Duration)
	metric("screenpop_crm_sync_errors_total", "counter", "Failed CRM directory syncs.")
	value("screenpop_crm_sync_errors_total", r.crm.syncErrors.Load())
	metric("screenpop_crm_directory_records", "gauge", "Records (contacts, leads, accounts) in the caller directory.")
	value("screenpop_crm_directory_records", ch.Records)
	metric("screenpop_crm_directory_numbers", "gauge", "Distinct phone numbers in the caller directory.")
	value("screenpop_crm_directory_numbers", ch.Numbers)
	metric("screenpop_crm_directory_skipped_phones", "gauge", "Phone fields of the directory's records that hold no number.")
	value("screenpop_crm_directory_skipped_phones", ch.SkippedPhones)
	metric("screenpop_crm_lookups_total", "counter", "Live CRM lookups of callers the directory did not know, by result.")
	value("screenpop_crm_lookups_total", r.crm.lookups.found.Load(), "result", "found")
	value("screenpop_crm_lookups_total", r.crm.lookups.unknown.Load(), "result", "unknown")
	value("screenpop_crm_lookups_total", r.crm.lookups.failed.Load(), "result", "failed")
}
