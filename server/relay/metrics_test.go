package relay

import (
	"bufio"
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/server/upstream"
)

// scrape reads /metrics into "name{labels}" → value.
func (h *harness) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	resp, b := h.request(t, "GET", "/metrics", "", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetrics(t *testing.T) {
	h := newHarness(t, Config{})
	alice := h.agent(t, "alice", "*")
	ws := h.dialWS(t, 0, authMessage(alice))
	ws.next(t, 3*time.Second)
	future := h.dialWS(t, 999, authMessage(alice)) // a cursor from the future: a gap
	future.next(t, 3*time.Second)
	h.dialWS(t, 0, authMessage(alice[:len(alice)-2]+"zz")).next(t, 3*time.Second)
	h.ring(t, testLine, ovhsim.Missed)
	for _, c := range []*wsClient{ws, future} {
		for c.nextEvent(t, 5*time.Second).Type != stream.TypeEvent {
		}
		c.nextEvent(t, 5*time.Second)
	}

	// The fan-out counts its deliveries once it has written to every
	// client of the round, and the publisher counts an event once Publish
	// returns, after the fan-out was woken: a client may read its event a
	// moment before either. Wait for both counts, then check them all.
	var m map[string]float64
	waitfor.Until(t, "the deliveries and the publications to be counted", func() bool {
		m = h.scrape(t)
		return m[`screenpop_delivery_latency_seconds_count`] >= 4 && m[`screenpop_events_published_total`] >= 2
	})
	tok := `token="` + upstream.Mask(h.token) + `"`
	for name, want := range map[string]float64{
		`screenpop_upstream_up{` + tok + `}`:                           1,
		`screenpop_upstream_state{` + tok + `,state="polling"}`:        1,
		`screenpop_upstream_state{` + tok + `,state="token-rejected"}`: 0,
		`screenpop_events_published_total`:                             2,
		`screenpop_messages_delivered_total{transport="websocket"}`:    4, // two clients
		`screenpop_clients{transport="websocket"}`:                     2,
		`screenpop_agents_connected`:                                   1,
		`screenpop_replay_gaps_total{reason="unknown-cursor"}`:         1,
		`screenpop_auth_failures_total`:                                1,
		`screenpop_event_log_newest_id`:                                2,
		`screenpop_delivery_latency_seconds_count`:                     4,
		`screenpop_delivery_latency_seconds_bucket{le="+Inf"}`:         4,
		`screenpop_token_renewals_total{result="ok"}`:                  0,
	} {
		if got, ok := m[name]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	if runtime.GOOS == "linux" { // from /proc/self: left out elsewhere
		// CPU counts in clock ticks (10 ms): a quick test may not have
		// used one yet.
		if got, ok := m["process_cpu_seconds_total"]; !ok || got < 0 {
			t.Errorf("process_cpu_seconds_total = %v (present %v), want ≥ 0", got, ok)
		}
		if got, ok := m["process_resident_memory_bytes"]; !ok || got <= 0 {
			t.Errorf("process_resident_memory_bytes = %v (present %v), want > 0", got, ok)
		}
	}
	if m["screenpop_events_received_total"] < 2 || m[`screenpop_upstream_events_total{`+tok+`}`] < 2 {
		t.Errorf("events received: %v", m["screenpop_events_received_total"])
	}

	// /healthz agrees.
	resp, b := h.request(t, "GET", "/healthz", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"status":"polling"`) || strings.Contains(string(b), h.token) {
		t.Errorf("/healthz: %d %s", resp.StatusCode, b)
	}
	// An outage shows in both.
	h.sim.SetFault(ovhsim.Fault5xx)
	waitfor.Until(t, "upstream_up to go to 0", func() bool { return h.scrape(t)[`screenpop_upstream_up{`+tok+`}`] == 0 })
	if m := h.scrape(t); m[`screenpop_upstream_state{`+tok+`,state="backoff"}`] != 1 && m[`screenpop_upstream_failures{`+tok+`}`] < 1 {
		t.Errorf("during an outage: up %v", m[`screenpop_upstream_up{`+tok+`}`])
	}
	if resp, _ := h.request(t, "GET", "/healthz", "", nil); resp.StatusCode != 503 {
		t.Errorf("/healthz during an outage: %d", resp.StatusCode)
	}
	h.sim.SetFault(ovhsim.FaultNone)
}
