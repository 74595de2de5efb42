package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/server/store"
)

const (
	benchAccount = "ab12345-ovh-1"
	benchLine    = "0033972101010"
)

// teamLine is the line of team i, in teams runs.
func teamLine(i int) string { return fmt.Sprintf("00339721%05d", i) }

// config is the bench's flags.
type config struct {
	relayBin  string
	relayArgs []string
	relayData bool // pass -data with a fresh folder: each run starts empty, and never touches the user's data
	agents    []int
	calls     int
	spacing   time.Duration
	burst     int
	ringFor   time.Duration
	talkFor   time.Duration
	parallel  int
	settle    time.Duration
	timeout   time.Duration
	teams     int // besides the runs where every agent sees every line, runs with this many teams (0: none)
	readEvery time.Duration
	floor     bool // also run each agent count against the floor server (floor.go)
	verbose   bool

	// The remote mode (remote.go): the relay at relayURL, on another host.
	relayURL       string        // "": the local mode, the relay a child process
	emulatorListen string        // where the emulator listens
	emulatorURL    string        // the URL the relay polls ("": from emulatorListen)
	waitRelay      time.Duration // how long to wait for the remote relay to poll

	log io.Writer // progress and failures (os.Stderr)
}

// remote is whether the relay runs on another host (-relay-url).
func (cfg config) remote() bool { return cfg.relayURL != "" }

// result is one run: a fresh emulator, a fresh relay, n agents.
type result struct {
	agents       int
	teams        int  // 0: every agent sees every line (anonymous); else agents spread over teams, one line each
	floor        bool // the floor server instead of the relay (floor.go): no memory readings
	connected    int
	connect      time.Duration
	rssBase      int64  // KiB, relay idle with no agent
	rssConnected int64  // KiB, with every agent connected, before any call
	rssAfter     int64  // KiB, after the calls
	hwm          int64  // KiB, peak
	noRelayStats string // why the relay's memory and CPU are not known (a remote relay without process metrics); "": they are
	phases       []phaseResult
	failures     []string // real failures: agents that did not get events, a relay that died
}

// perAgentKiB is the relay's resident memory per connected agent.
func (r *result) perAgentKiB() float64 {
	if r.connected == 0 {
		return 0
	}
	return float64(r.rssConnected-r.rssBase) / float64(r.connected)
}

type phaseResult struct {
	name       string
	events     int // stream events the relay published
	deliveries int // (agent, event) pairs received
	missing    int
	p50, p99   time.Duration
	max        time.Duration
	min        time.Duration // below zero, the relay's clock is ahead of this one's (remote mode)
	relayCPU   cpuTime
	benchCPU   cpuTime       // the agents' side, on the same cores
	otherCPU   time.Duration // everything else on the machine (other processes, interrupts while idle, steal): noise
	stolen     time.Duration // of it, the hypervisor's (steal)
	wall       time.Duration // from the first ring to the last delivery

	messageBytes int   // an event message's mean size, as the agents got it
	reads        int64 // the agents' reads that got data: at least one per write of the server's

	// The floor server's sends (floor runs only): one per agent and batch.
	sends, partialSends int
}

func (p *phaseResult) cpuPerDelivery() time.Duration {
	if p.deliveries == 0 {
		return 0
	}
	return p.relayCPU.total() / time.Duration(p.deliveries)
}

// runOne measures the relay with n agents. It returns an error only when
// the run could not be carried out at all; failures of the relay under
// test are in result.failures.
//
// With teams > 0, the agents are spread over that many agents of the
// relay (teams), each seeing one line of its own, and calls ring on the
// lines in turn: an event reaches one team, as in a real deployment,
// not everyone.
//
// With remote set, the relay is the one on another host, polling the
// emulator of every run; else a fresh emulator and relay are started.
func runOne(ctx context.Context, cfg config, n, teams int, remote *remoteBed) (*result, error) {
	res := &result{agents: n, teams: teams}
	if remote != nil {
		res.noRelayStats = remote.relay.noStats
		return res, measureRelay(ctx, cfg, res, remote.sim, remote.relay, []string{benchLine}, nil)
	}
	if teams > 0 && !cfg.relayData {
		return nil, errors.New("teams need agents in the relay's data folder, and this relay has no -data")
	}

	// The emulator, on its own port (loopback by default), as OVH is for a real relay.
	sim := ovhsim.New(ovhsim.Config{HoldTime: time.Second})
	lines := []string{benchLine}
	scope := benchLine
	if teams > 0 {
		lines, scope = nil, benchAccount
		for i := range teams {
			lines = append(lines, teamLine(i))
		}
	}
	token, ln, stopSim, err := serveEmulator(cfg, sim, lines, scope)
	if err != nil {
		return nil, err
	}
	defer stopSim()

	var creds []team // empty: anonymous agents
	var relayLog io.Writer
	if cfg.verbose {
		relayLog = cfg.log
	}
	args := cfg.relayArgs
	if cfg.relayData {
		dir, err := os.MkdirTemp("", "benchrelay-data-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir) // after the relay stopped: deferred first, runs last
		args = append([]string{"-data", dir}, args...)
		if teams > 0 {
			if creds, err = addTeams(dir, lines); err != nil {
				return nil, err
			}
		}
	}
	rp, err := startRelay(ctx, cfg.relayBin, args, emulatorURL(cfg, ln.Addr().String()), token, relayLog)
	if err != nil {
		return nil, err
	}
	defer rp.stop()
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	err = sim.WaitActivePolls(wctx, 1)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("the relay is not polling the emulator: %v\n%s", err, rp.stderr)
	}
	if err := measureRelay(ctx, cfg, res, sim, rp, lines, creds); err != nil {
		return nil, err
	}
	return res, nil
}

// measureRelay connects the agents to rp, polling sim, and runs the
// phases, calls ringing on lines in turn: what a run measures, whichever
// the relay.
func measureRelay(ctx context.Context, cfg config, res *result, sim *ovhsim.Sim, rp relayUnderTest, lines []string, creds []team) error {
	logf := func(format string, args ...any) {
		fmt.Fprintf(cfg.log, "bench-relay: %s: "+format+"\n", append([]any{res.label()}, args...)...)
	}
	// rss reads the relay's memory: not known (0) for a remote relay
	// without process metrics, which the table says.
	rss := func() (int64, error) {
		if res.noRelayStats != "" {
			return 0, nil
		}
		return rp.rssKiB()
	}
	if err := sleep(ctx, cfg.settle); err != nil {
		return err
	}
	var err error
	if res.rssBase, err = rss(); err != nil {
		return err
	}

	logf("connecting (%d at a time)…", cfg.parallel)
	fl, err := newFleet(rp.agentAddr(), cfg.readEvery)
	if err != nil {
		return err
	}
	defer fl.close() // before rp.stop (local mode): deferred later, runs first
	start := time.Now()
	connErr := fl.connect(ctx, res.agents, cfg.parallel, creds)
	res.connect = time.Since(start)
	res.connected = fl.count()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if connErr != nil {
		res.failures = append(res.failures, connErr.Error())
		var refused *refusedError
		if errors.As(connErr, &refused) {
			hint := "pass it the flag that allows it with -relay-args"
			if cfg.remote() {
				hint = "start it with -allow-anonymous, as in the command printed at the start"
			}
			res.failures = append(res.failures, "the bench's agents connect anonymously (an auth message with an empty secret) "+
				"and this relay refuses them: "+hint+" (agents with secrets are not supported by the bench)")
			return nil
		}
		if res.connected == 0 {
			return nil
		}
	}
	logf("%d connected in %v", res.connected, res.connect.Round(time.Millisecond))
	if err := sleep(ctx, cfg.settle); err != nil {
		return err
	}
	if h, err := rp.health(ctx); err == nil && h.Clients != res.connected {
		logf("note: the relay counts %d clients, the bench %d", h.Clients, res.connected)
	}
	if res.rssConnected, err = rss(); err != nil {
		return err
	}

	phases := []struct {
		name    string
		calls   int
		spacing time.Duration
	}{
		{spacedPhase(cfg), cfg.calls, cfg.spacing},
		{burstPhase(cfg), cfg.burst, 0},
	}
	for _, ph := range phases {
		if ph.calls <= 0 {
			continue
		}
		logf("phase %q…", ph.name)
		pr, fails, err := runPhase(ctx, cfg, sim, rp, fl, ph.name, ph.calls, ph.spacing, lines)
		if err != nil {
			return err
		}
		res.phases = append(res.phases, pr)
		res.failures = append(res.failures, fails...)
		if !rp.alive() {
			break
		}
		if err := sleep(ctx, cfg.settle); err != nil {
			return err
		}
	}
	if rp.alive() {
		res.rssAfter, _ = rss()
		res.hwm, _ = rp.hwmKiB()
	}
	return nil
}

// The phases' names, in the table.
func spacedPhase(cfg config) string { return fmt.Sprintf("%d calls, %v apart", cfg.calls, cfg.spacing) }
func burstPhase(cfg config) string  { return fmt.Sprintf("burst: %d calls at once", cfg.burst) }

// runPhase rings calls (spacing apart, or all at once) and waits until
// every agent got every event the relay published meanwhile.
func runPhase(ctx context.Context, cfg config, sim *ovhsim.Sim, rp relayUnderTest, fl *fleet, name string, calls int, spacing time.Duration, lines []string) (phaseResult, []string, error) {
	from, err := newestEvent(ctx, rp)
	if err != nil {
		return phaseResult{name: name}, nil, err
	}
	m, err := startMeasure(name, rp, fl)
	if err != nil {
		return phaseResult{name: name}, nil, err
	}
	for i := range calls {
		if i > 0 && spacing > 0 {
			if err := sleep(ctx, spacing); err != nil {
				return phaseResult{name: name}, nil, err
			}
		}
		if _, err := sim.Ring(ovhsim.Call{Line: lines[i%len(lines)], Scenario: ovhsim.Answered, RingFor: cfg.ringFor, TalkFor: cfg.talkFor}); err != nil {
			return phaseResult{name: name}, nil, err
		}
	}
	if err := relayCaughtUp(ctx, sim, rp, cfg.timeout); err != nil {
		return phaseResult{name: name}, []string{fmt.Sprintf("%s: %v", name, err)}, nil
	}
	to, err := newestEvent(ctx, rp)
	if err != nil {
		return phaseResult{name: name}, nil, err
	}
	// Every agent should get every event in (from, to] on its line.
	want := int64(to-from) * int64(fl.count())
	if len(lines) > 1 {
		want = math.MaxInt64 // the counter does not say; waiting does
	}
	return m.finish(ctx, cfg, rp, fl, from, to, want)
}

// measure is a phase being measured: what the counters said at its start.
type measure struct {
	name   string
	cpu0   cpuTime // the server's (the relay, or the floor server)
	self0  cpuTime
	busy0  time.Duration
	steal0 time.Duration
	base   int64 // deliveries so far: every delivery of earlier events is in
	totals fleetTotals
	start  time.Time
}

func startMeasure(name string, rp relayUnderTest, fl *fleet) (*measure, error) {
	m := &measure{name: name}
	var err error
	if m.cpu0, err = rp.cpu(); err != nil && !errors.Is(err, errNoProcessMetrics) {
		return nil, err
	}
	m.self0, _ = procCPU("self")
	m.busy0, m.steal0, _ = machineBusy()
	m.totals = fl.totals()
	m.base = m.totals.messages
	m.start = time.Now()
	return m, nil
}

// finish waits until the agents got every event in (from, to] they must
// get (want deliveries, all agents together, when known) or the timeout
// passed, and reports what they got and what it cost.
func (m *measure) finish(ctx context.Context, cfg config, rp relayUnderTest, fl *fleet, from, to uint64, want int64) (phaseResult, []string, error) {
	pr := phaseResult{name: m.name, events: int(to - from)}
	deadline := time.Now().Add(cfg.timeout)
	for {
		// The counter is cheap; the scan also sees agents that are gone.
		if fl.received.Load() >= m.base+want || fl.waiting(from, to) == 0 {
			break
		}
		if time.Now().After(deadline) || !rp.alive() {
			break
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return pr, nil, err
		}
	}
	rep := fl.collect(from, to)
	cpu1, err := rp.cpu()
	if err != nil && !errors.Is(err, errNoProcessMetrics) && rp.alive() {
		return pr, nil, err
	}
	self1, _ := procCPU("self")
	busy1, steal1, _ := machineBusy()
	pr.relayCPU, pr.benchCPU = cpu1.sub(m.cpu0), self1.sub(m.self0)
	pr.otherCPU = busy1 - m.busy0 - pr.benchCPU.total()
	if rp.onThisMachine() {
		pr.otherCPU -= pr.relayCPU.total()
	}
	pr.otherCPU = max(0, pr.otherCPU)
	pr.stolen = steal1 - m.steal0
	pr.wall = time.Since(m.start)
	pr.deliveries, pr.missing = rep.deliveries, rep.missing
	if l := rep.latencies; len(l) > 0 {
		pr.p50, pr.p99, pr.max, pr.min = percentile(l, 0.50), percentile(l, 0.99), l[len(l)-1], l[0]
	}
	if t := fl.totals(); t.messages > m.base {
		pr.messageBytes = int((t.bytes - m.totals.bytes) / (t.messages - m.base))
		pr.reads = t.reads - m.totals.reads
	}

	name := m.name
	var fails []string
	if !rp.alive() {
		fails = append(fails, fmt.Sprintf("%s: %s", name, rp.deathReport()))
	}
	if rep.missing > 0 {
		fails = append(fails, fmt.Sprintf("%s: %d agents missed %d of %d deliveries (%s)", name, rep.short, rep.missing, rep.deliveries+rep.missing, rep.example))
	}
	if len(rep.dead) > 0 {
		fails = append(fails, fmt.Sprintf("%s: connections ended: %s", name, summarize(rep.dead)))
	}
	if rep.noStamp > 0 {
		fails = append(fails, fmt.Sprintf("%s: %d deliveries with an unreadable received timestamp", name, rep.noStamp))
	}
	return pr, fails, nil
}

// relayCaughtUp waits until every call has played out, the relay has
// taken every event from the emulator and has finished processing them:
// it polls again only once its handler for the last batch returned. The
// poll seen first may be that one or the one holding the last batch, so
// it waits for the next: at most the emulator's HoldTime.
func relayCaughtUp(ctx context.Context, sim *ovhsim.Sim, rp relayUnderTest, timeout time.Duration) error {
	deadline := time.Now().Add(timeout + 30*time.Second) // + the calls' own durations
	polls := -1
	for {
		st := sim.Stats()
		switch {
		case polls < 0 && st.ActiveCalls == 0 && st.Delivered >= st.Queued:
			polls = st.Polls // every event handed over, by poll number ≤ polls
		case polls >= 0 && st.Polls > polls && st.ActivePolls > 0:
			return nil // a later poll is held: the last batch is processed
		}
		if !rp.alive() {
			return errors.New(rp.deathReport())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the relay did not take every event from the emulator (%+v)", st)
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
}

// newestEvent asks the relay for its newest event ID: the cursor in the
// hello of a new connection.
func newestEvent(ctx context.Context, rp relayUnderTest) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	fl, err := newFleet(rp.agentAddr(), 0)
	if err != nil {
		return 0, err
	}
	defer fl.close()
	a, err := fl.dialRetry(ctx, team{}) // anonymous: its hello has the newest ID of every line
	if err != nil {
		return 0, fmt.Errorf("probe connection: %w", err)
	}
	return a.cursor, nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// addTeams adds an agent per line to the relay's store in dir, before the
// relay opens it, and returns their secrets.
func addTeams(dir string, lines []string) ([]team, error) {
	st, err := store.Open(filepath.Join(dir, "screenpop.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var teams []team
	for i, l := range lines {
		secret, err := st.AddAgent(fmt.Sprintf("team%d", i), []string{l})
		if err != nil {
			return nil, fmt.Errorf("adding the teams' agents: %v", err)
		}
		teams = append(teams, team{secret, l})
	}
	return teams, nil
}

// label names a run in the table and the log.
func (r *result) label() string {
	if r.teams == 0 {
		return fmt.Sprint(r.agents)
	}
	return fmt.Sprintf("%d in %d teams", r.agents, r.teams)
}

// serveEmulator gives sim the lines, a token for scope, and serves it on
// -emulator-listen. stop ends the held polls, then the server.
func serveEmulator(cfg config, sim *ovhsim.Sim, lines []string, scope string) (token string, ln net.Listener, stop func(), err error) {
	for _, l := range lines {
		sim.AddLine(benchAccount, l, "bench")
	}
	if token, err = sim.NewToken(scope, "unlimited"); err != nil {
		return "", nil, nil, err
	}
	if ln, err = net.Listen("tcp", cfg.emulatorListen); err != nil {
		return "", nil, nil, fmt.Errorf("the emulator cannot listen on %s: %v; choose another -emulator-listen", cfg.emulatorListen, err)
	}
	srv := &http.Server{Handler: sim}
	go srv.Serve(ln)
	return token, ln, func() {
		sim.Close() // before srv.Close: answers the held polls
		srv.Close()
	}, nil
}
