package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/screenpop/screenpop/server/ovhsim"
)

// The remote mode (-relay-url): the relay runs on another host, started
// by hand, so that the agents here do not share its cores. The bench runs
// the emulator it polls, for every run (one emulator, one token: the
// relay is started once), and reads the relay's CPU and memory from its
// /metrics (process_cpu_seconds_total, process_resident_memory_bytes)
// instead of /proc.

// errNoProcessMetrics: the remote relay's /metrics has no process
// metrics (a relay built before they were added, or not on Linux).
var errNoProcessMetrics = errors.New("the relay's /metrics has no process_cpu_seconds_total and process_resident_memory_bytes")

// errNoPeak: the standard process metrics have no peak resident memory.
var errNoPeak = errors.New("no peak memory in /metrics")

// remoteRelay is a relay on another host, at url.
type remoteRelay struct {
	url     string // http://host:port, without a trailing slash
	host    string // host:port, for the agents
	client  *http.Client
	noStats string // why its CPU and memory are not known; "" when /metrics has them

	mu      sync.Mutex
	checked time.Time // when /healthz was last asked
	lastErr error     // its answer then: nil when it answered
}

// aliveEvery is how long an answer of /healthz stands for alive: the
// bench asks alive() in loops, every few milliseconds.
const aliveEvery = time.Second

func newRemoteRelay(rawURL string) *remoteRelay {
	u, _ := url.Parse(rawURL) // checked by parseFlags
	return &remoteRelay{url: "http://" + u.Host, host: u.Host, client: &http.Client{Timeout: 5 * time.Second}}
}

func (r *remoteRelay) agentAddr() string { return r.host }

func (r *remoteRelay) health(ctx context.Context) (health, error) {
	return getHealth(ctx, r.client, r.url+"/healthz")
}

// alive is whether /healthz answered (200 or 503, with its JSON), asked
// at most every aliveEvery.
func (r *remoteRelay) alive() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) >= aliveEvery {
		_, r.lastErr = r.health(context.Background())
		r.checked = time.Now()
	}
	return r.lastErr == nil
}

func (r *remoteRelay) deathReport() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("the relay at %s stopped answering /healthz (%v): look at its log on the relay's host", r.url, r.lastErr)
}

// onThisMachine: its CPU is its host's, not part of this machine's busy time.
func (r *remoteRelay) onThisMachine() bool { return false }

// stop leaves it running: it was started by hand, and serves the next run.
func (r *remoteRelay) stop() {}

func (r *remoteRelay) cpu() (cpuTime, error) {
	pm, err := r.scrape()
	if err != nil {
		return cpuTime{}, err
	}
	if !pm.hasCPU {
		return cpuTime{}, errNoProcessMetrics
	}
	return cpuTime{user: pm.cpu}, nil // the sum only: split is false
}

func (r *remoteRelay) rssKiB() (int64, error) {
	pm, err := r.scrape()
	if err != nil {
		return 0, err
	}
	if !pm.hasRSS {
		return 0, errNoProcessMetrics
	}
	return pm.rssBytes / 1024, nil
}

func (r *remoteRelay) hwmKiB() (int64, error) { return 0, errNoPeak }

// scrape reads the process metrics from the relay's /metrics.
func (r *remoteRelay) scrape() (processMetrics, error) {
	resp, err := r.client.Get(r.url + "/metrics")
	if err != nil {
		return processMetrics{}, fmt.Errorf("reading the relay's /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return processMetrics{}, fmt.Errorf("reading the relay's /metrics: %s", resp.Status)
	}
	return parseProcessMetrics(resp.Body)
}

// probeStats finds out whether the relay's /metrics has the process
// metrics: noStats says why not.
func (r *remoteRelay) probeStats() {
	pm, err := r.scrape()
	switch {
	case err != nil:
		r.noStats = err.Error()
	case !pm.hasCPU || !pm.hasRSS:
		r.noStats = errNoProcessMetrics.Error() + " (a relay built before they were added, or not on Linux): update the relay on its host"
	}
}

// processMetrics is what the bench reads in a relay's /metrics.
type processMetrics struct {
	cpu            time.Duration // process_cpu_seconds_total
	rssBytes       int64         // process_resident_memory_bytes
	hasCPU, hasRSS bool
}

// parseProcessMetrics reads the two standard process metrics from
// Prometheus' text format; other metrics are skipped.
func parseProcessMetrics(r io.Reader) (processMetrics, error) {
	var pm processMetrics
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text()) // name value [timestamp]; no labels on these two
		if len(f) < 2 || (f[0] != "process_cpu_seconds_total" && f[0] != "process_resident_memory_bytes") {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return pm, fmt.Errorf("the relay's /metrics: %s %q is not a number", f[0], f[1])
		}
		if f[0] == "process_cpu_seconds_total" {
			pm.cpu, pm.hasCPU = time.Duration(v*float64(time.Second)), true
		} else {
			pm.rssBytes, pm.hasRSS = int64(v), true
		}
	}
	if err := sc.Err(); err != nil {
		return pm, fmt.Errorf("reading the relay's /metrics: %v", err)
	}
	return pm, nil
}

// remoteBed is the emulator the remote relay polls, for every run.
type remoteBed struct {
	sim     *ovhsim.Sim
	relay   *remoteRelay
	command string // what to run on the relay's host
	close   func()
}

// startRemote starts the emulator, prints the command that starts the
// relay on its host and waits until that relay polls the emulator and
// answers at -relay-url.
func startRemote(ctx context.Context, cfg config) (*remoteBed, error) {
	sim := ovhsim.New(ovhsim.Config{HoldTime: time.Second})
	token, ln, stop, err := serveEmulator(cfg, sim, []string{benchLine}, benchLine)
	if err != nil {
		return nil, err
	}
	b := &remoteBed{sim: sim, relay: newRemoteRelay(cfg.relayURL), close: stop}
	eventsURL := emulatorURL(cfg, ln.Addr().String())
	b.command = remoteCommand(cfg, eventsURL, token)
	fmt.Fprintf(cfg.log, "bench-relay: the relay runs on another host: start it there with (the token is new for each bench run; stop any relay started for an earlier one)\n\n    %s\n\n", b.command)
	// Locally the relay inherits the bench's raised limit; there, Go raises
	// the soft limit to the hard one, which may be too low.
	fmt.Fprintf(cfg.log, "bench-relay: it needs an open file per agent: on its host, `ulimit -Hn` must be above %d (raise it as root, or in the service's LimitNOFILE).\n", maxOf(cfg.agents)+256)
	fmt.Fprintf(cfg.log, "bench-relay: waiting up to %v for it to poll the emulator at %s and answer at %s/healthz…\n", cfg.waitRelay, eventsURL, b.relay.url)
	if err := b.waitRelay(ctx, cfg.waitRelay, eventsURL); err != nil {
		b.close()
		return nil, err
	}
	b.relay.probeStats()
	fmt.Fprintf(cfg.log, "bench-relay: the relay at %s polls the emulator\n", b.relay.url)
	return b, nil
}

// waitRelay waits until the relay polls the emulator and its /healthz
// says so, for at most wait.
func (b *remoteBed) waitRelay(ctx context.Context, wait time.Duration, eventsURL string) error {
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := b.sim.WaitActivePolls(wctx, 1); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		hctx, hcancel := context.WithTimeout(ctx, 5*time.Second)
		defer hcancel()
		if _, herr := b.relay.health(hctx); herr != nil {
			return fmt.Errorf("after %v nothing polls the emulator and nothing answers %s/healthz (%v): start the relay on its host with the command above, check that this host reaches it (-relay-url, its -listen, a firewall) and look at its log there", wait, b.relay.url, herr)
		}
		if st := b.sim.Stats(); st.BadTokens > 0 {
			return fmt.Errorf("the relay at %s answers, but polls the emulator with another token (%d polls refused): it was started for an earlier bench run; restart it with the command above", b.relay.url, st.BadTokens)
		}
		return fmt.Errorf("the relay at %s answers but has not polled the emulator at %s within %v: check that its host reaches %s (a firewall; -emulator-listen, -emulator-url) and that it runs with the command above; its log on its host says what it tried", b.relay.url, eventsURL, wait, eventsURL)
	}
	var h health
	var err error
	for {
		if h, err = b.relay.health(wctx); err == nil && h.OK {
			return nil
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("a relay polls the emulator, but %s/healthz does not say ok within %v (%v, %+v): is -relay-url that relay? look at its log on its host", b.relay.url, wait, err, h)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// emulatorURL is the URL the relay polls: -emulator-url, or the address
// the emulator listens on (a wildcard host is this machine's loopback,
// for the local relay).
func emulatorURL(cfg config, listening string) string {
	if cfg.emulatorURL != "" {
		return cfg.emulatorURL
	}
	host, port, _ := net.SplitHostPort(listening)
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// remoteCommand is the command that starts the relay on its host, as the
// local mode starts it: listening on -relay-url's port, polling the
// emulator, letting the bench's anonymous agents in, a fresh data folder.
func remoteCommand(cfg config, eventsURL, token string) string {
	u, _ := url.Parse(cfg.relayURL)
	listen := net.JoinHostPort("0.0.0.0", u.Port())
	if isLoopback(u.Hostname()) {
		listen = net.JoinHostPort(u.Hostname(), u.Port())
	}
	cmd := []string{"screenpop-relay", "-listen", listen, "-events-url", eventsURL, "-token", token, "-allow-anonymous", "-data", `"$(mktemp -d)"`}
	return strings.Join(append(cmd, cfg.relayArgs...), " ")
}

// isLoopback is whether host (a name or an address) is this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
