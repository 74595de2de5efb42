// Command benchrelay measures the relay under load: it runs the OVH
// emulator, starts bin/screenpop-relay as a child process polling it,
// connects N WebSocket agents, rings calls and reports
//
//   - delivery latency, p50/p99/max, from the relay's receipt of an event
//     from upstream (stream.Event.Received) to an agent's receipt of the
//     whole message: both clocks are this machine's;
//   - the relay's resident memory per connected agent: VmRSS with every
//     agent connected minus VmRSS idle, over N;
//   - the relay's CPU per delivered event: its utime+stime over a phase,
//     over (events × agents).
//
// The relay is a separate process so that its memory and CPU are its own;
// the agents run here, on the same cores, so latency includes their
// scheduling (the bench's own CPU is reported beside it).
//
// Then the floor rows (-floor, on by default): the same phases with the
// relay replaced by a floor server that only writes each batch of events
// to every agent, one send(2) each (floor.go). What they show is the
// machine's share of the relay's rows: the kernel, the scheduler, the
// agents; the difference is the relay's.
//
//	make bench-relay
//	go run ./bench/relay -agents=1000,10000 -calls=50
//
// With -relay-url, the relay runs on another host, so that the agents do
// not share its cores: the bench runs the emulator where the relay can
// reach it (-emulator-listen, -emulator-url), prints the command that
// starts the relay there, waits until it polls (-wait-relay) and reads
// its CPU and memory from its /metrics. Latency then spans two clocks,
// which must be in sync; -teams and the floor rows are local-only.
//
//	bench$ go run ./bench/relay -relay-url http://10.0.0.6:8080 -emulator-listen 0.0.0.0:9100 -emulator-url http://10.0.0.5:9100/ -agents=10000
//	relay$ screenpop-relay -listen 0.0.0.0:8080 -events-url http://10.0.0.5:9100/ -token … (as printed)
//
// # Its sockets
//
// What is measured is the relay; the agents share its cores, so every
// cycle the bench spends reading is taken from the relay and shows up as
// its latency. The agents are therefore as cheap as a socket can be read
// (agent.go): once its hello is in, an agent is a bare non-blocking,
// edge-triggered socket in one of a few epoll sets, one set and reader
// goroutine per core, and a read takes everything queued and parses the
// frames in place; no goroutine, channel, lock or allocation per agent
// or message. With a goroutine per agent blocked in a WebSocket
// library's reader, the bench used more CPU than the relay. The floor
// server (floorserver.go) writes each batch to each agent with one
// send(2) of frames it encoded once for all, since that is the floor: the
// least any relay could do on this machine.
//
// So coder/websocket (the relay's library) does what is not measured,
// each connection's opening: the agent's handshake and auth message
// (fleet.dial), and the floor server's handshake, auth read and hello,
// as the relay's are. The hand-written parts are what is measured, and
// coder/websocket cannot do them without changing the measure: its
// Conn.Read is one blocking reader per connection, with its own buffer
// (so the socket cannot be handed over to epoll after the hello, the
// bytes past it would stay in that buffer), and its Conn.Write takes a
// lock and a context and flushes each message in its own write, so a
// batch of k events would be k sends per agent, not the one that is the
// floor (the relay itself frames its messages: server/relay/wsconn.go).
// What is left by hand is small: a reader of unmasked server frames
// (frames, and readFrameHeader for the hello), a masked pong
// (clientFrame) and a server frame encoder (serverFrame). The tests read
// serverFrame's output back with frames, and run the fleet against the
// relay and the floor server.
//
// It is a benchmark: a missed target is reported, not a failure. It exits
// non-zero only when agents did not get every event (or could not
// connect, or the relay died).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The targets (issue 4): 10,000 agents on one small relay.
const (
	targetAgents   = 10000
	targetP99      = 100 * time.Millisecond
	targetKiBAgent = 30
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == floorServerArg { // the bench started itself as the floor server
		if err := runFloorServer(os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	code, err := run(os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-relay:", err)
	}
	os.Exit(code)
}

func run(args []string, out io.Writer) (int, error) {
	cfg, cpuProfile, err := parseFlags(args, os.Stderr)
	if errors.Is(err, errUsage) {
		return 2, nil // the flag package said what was wrong
	}
	if err != nil {
		return 2, err
	}
	if !cfg.remote() {
		feat, err := probeRelay(cfg.relayBin)
		if err != nil {
			return 2, err
		}
		if feat.allowAnonymous {
			cfg.relayArgs = append([]string{"-allow-anonymous"}, cfg.relayArgs...)
		}
		cfg.relayData = feat.data
	}
	if err := raiseFDLimit(uint64(maxOf(cfg.agents) + 256)); err != nil {
		return 2, err
	}

	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return 2, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return 2, err
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return bench(ctx, cfg, out)
}

// errUsage: the flags did not parse, and the flag package said why.
var errUsage = errors.New("usage")

// parseFlags reads the bench's flags and checks they go together; it
// also returns -cpuprofile.
func parseFlags(args []string, stderr io.Writer) (config, string, error) {
	fs := flag.NewFlagSet("benchrelay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := config{log: os.Stderr}
	agents := fs.String("agents", "1000,10000", "comma-separated agent counts: one run (fresh relay) each")
	relayArgs := fs.String("relay-args", "", "extra flags for the relay, space-separated (-allow-anonymous, and -data with a fresh folder, are added when the relay has them; with -relay-url, added to the command printed)")
	fs.StringVar(&cfg.relayBin, "relay", "bin/screenpop-relay", "the relay binary (make relay)")
	fs.IntVar(&cfg.calls, "calls", 50, "calls rung one after the other, -spacing apart")
	fs.DurationVar(&cfg.spacing, "spacing", 100*time.Millisecond, "time between two calls")
	fs.IntVar(&cfg.burst, "burst", 20, "then calls rung all at once (0: no burst phase)")
	fs.DurationVar(&cfg.ringFor, "ring-for", 300*time.Millisecond, "how long each call rings before it is answered")
	fs.DurationVar(&cfg.talkFor, "talk-for", 500*time.Millisecond, "how long each answered call lasts")
	fs.IntVar(&cfg.parallel, "parallel", 200, "agents connecting at the same time")
	fs.DurationVar(&cfg.settle, "settle", 2*time.Second, "pause before each memory reading and between phases")
	fs.DurationVar(&cfg.timeout, "timeout", time.Minute, "how long agents may take to get a phase's events once the relay has them")
	fs.BoolVar(&cfg.verbose, "v", false, "show the relay's log")
	fs.IntVar(&cfg.teams, "teams", 0, "also run each agent count with the agents spread over this many teams, each seeing one line of its own, calls ringing on the lines in turn (a real deployment; 0: only the worst case, every agent sees every call)")
	fs.DurationVar(&cfg.readEvery, "read-every", time.Millisecond, "the agents' sockets are read at most this often (0: as soon as one is ready): a message's latency is overstated by at most this, and the bench costs the shared cores far fewer wake-ups")
	fs.BoolVar(&cfg.floor, "floor", true, "also run each agent count against a floor server instead of the relay: the same workload, each batch of events written to every agent with one send, and no relay code; shows what the machine costs anyway (local mode only)")
	fs.StringVar(&cfg.relayURL, "relay-url", "", "measure the relay running at this `URL` (http://HOST:PORT) on another host instead of starting one: the bench prints the command that starts it there, and waits for it (-wait-relay)")
	fs.StringVar(&cfg.emulatorListen, "emulator-listen", "127.0.0.1:0", "`address` the OVH emulator listens on: with -relay-url, one the relay's host reaches, e.g. 0.0.0.0:9100 (it takes calls and faults from anyone who reaches it: a network you trust)")
	fs.StringVar(&cfg.emulatorURL, "emulator-url", "", "with -relay-url, the `URL` the relay polls, as its host reaches this one, e.g. http://10.0.0.5:9100/ (default: from -emulator-listen; needed when it listens on every interface)")
	fs.DurationVar(&cfg.waitRelay, "wait-relay", 10*time.Minute, "with -relay-url, how long to wait for the relay to be started and to poll the emulator")
	cpuProfile := fs.String("cpuprofile", "", "write the bench's own CPU profile (the agents' side) to `file`")
	if err := fs.Parse(args); err != nil {
		return cfg, "", errUsage
	}
	if fs.NArg() > 0 {
		return cfg, "", fmt.Errorf("unexpected argument %q: every setting is a flag (-h lists them)", fs.Arg(0))
	}
	for s := range strings.SplitSeq(*agents, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return cfg, "", fmt.Errorf("-agents: %q is not a positive number", s)
		}
		cfg.agents = append(cfg.agents, n)
	}
	cfg.relayArgs = strings.Fields(*relayArgs)
	return cfg, *cpuProfile, checkRemoteFlags(cfg)
}

// checkRemoteFlags checks the flags of the remote mode: a relay the
// agents can reach, and an emulator it can reach.
func checkRemoteFlags(cfg config) error {
	lhost, lport, err := net.SplitHostPort(cfg.emulatorListen)
	if err != nil {
		return fmt.Errorf("-emulator-listen %q: %v; give HOST:PORT, e.g. 0.0.0.0:9100", cfg.emulatorListen, err)
	}
	if !cfg.remote() {
		if cfg.emulatorURL != "" {
			return errors.New("-emulator-url is for a relay on another host (-relay-url): the relay the bench starts polls the emulator on this machine")
		}
		return nil
	}
	u, err := url.Parse(cfg.relayURL)
	switch {
	case err != nil:
		return fmt.Errorf("-relay-url: %v", err)
	case u.Scheme != "http":
		return fmt.Errorf("-relay-url %q: give the relay's http:// address (HOST:PORT it listens on): the bench's agents speak plain WebSocket, not through TLS", cfg.relayURL)
	case u.Port() == "" || u.Hostname() == "":
		return fmt.Errorf("-relay-url %q: give the host and the port, e.g. http://10.0.0.6:8080", cfg.relayURL)
	case u.Path != "" && u.Path != "/" || u.RawQuery != "":
		return fmt.Errorf("-relay-url %q: give the relay's address only (http://HOST:PORT), no path", cfg.relayURL)
	}
	if cfg.teams > 0 {
		return errors.New("-teams needs agents written into the relay's data folder, which is on the relay's host: with -relay-url, run without -teams (every agent sees every call, the targets' case)")
	}
	if cfg.waitRelay <= 0 {
		return errors.New("-wait-relay must be more than 0: the time you have to start the relay on its host")
	}
	wildcard := lhost == ""
	if ip := net.ParseIP(lhost); ip != nil && ip.IsUnspecified() {
		wildcard = true
	}
	if cfg.emulatorURL != "" {
		e, err := url.Parse(cfg.emulatorURL)
		if err != nil || e.Scheme != "http" || e.Host == "" {
			return fmt.Errorf("-emulator-url %q: give the http:// URL the relay's host reaches the emulator at, e.g. http://10.0.0.5:9100/", cfg.emulatorURL)
		}
		if lport == "0" {
			return fmt.Errorf("-emulator-listen %s: give a fixed port, the one -emulator-url names (port 0 is any free port)", cfg.emulatorListen)
		}
		return nil
	}
	if wildcard {
		return fmt.Errorf("-emulator-listen %s listens on every interface: say how the relay's host reaches this one with -emulator-url, e.g. -emulator-url http://THIS_HOST:%s/", cfg.emulatorListen, lport)
	}
	if isLoopback(lhost) && !isLoopback(u.Hostname()) {
		return fmt.Errorf("the relay at %s cannot reach an emulator on %s (loopback): use -emulator-listen 0.0.0.0:9100 -emulator-url http://THIS_HOST:9100/, THIS_HOST being how the relay's host reaches this one", cfg.relayURL, cfg.emulatorListen)
	}
	return nil
}

// bench runs every agent count, then prints the table.
func bench(ctx context.Context, cfg config, out io.Writer) (int, error) {
	var remote *remoteBed
	if cfg.remote() {
		var err error
		if remote, err = startRemote(ctx, cfg); err != nil {
			if ctx.Err() != nil {
				return 130, fmt.Errorf("interrupted")
			}
			return 1, err
		}
		defer remote.close()
	}

	var results []*result
	failed := false
	type run struct{ agents, teams int } // teams -1: the floor
	var runs []run
	for _, n := range cfg.agents {
		runs = append(runs, run{n, 0})
	}
	if cfg.teams > 0 {
		for _, n := range cfg.agents {
			runs = append(runs, run{n, cfg.teams})
		}
	}
	if cfg.floor && !cfg.remote() { // the floor server runs here: a floor for a relay here
		for _, n := range cfg.agents {
			runs = append(runs, run{n, -1})
		}
	}
	for _, ru := range runs {
		var res *result
		var err error
		if ru.teams < 0 {
			res, err = runFloor(ctx, cfg, ru.agents)
		} else {
			res, err = runOne(ctx, cfg, ru.agents, ru.teams, remote)
		}
		if err != nil {
			if ctx.Err() != nil {
				return 130, fmt.Errorf("interrupted")
			}
			return 1, fmt.Errorf("%s agents: %v", (&result{agents: ru.agents, teams: max(ru.teams, 0), floor: ru.teams < 0}).label(), err)
		}
		for _, f := range res.failures {
			fmt.Fprintf(cfg.log, "bench-relay: %s agents: FAILURE: %s\n", res.label(), f)
			failed = true
		}
		results = append(results, res)
	}
	printTable(out, cfg, results, remote)
	if failed {
		return 1, fmt.Errorf("agents did not get every event, or could not connect (see FAILURE above)")
	}
	return 0, nil
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// raiseFDLimit lets this process (and the relay, which inherits it) hold
// one file descriptor per agent, and then some.
func raiseFDLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	want := max(need, 65536)
	if lim.Max < want {
		// Only with CAP_SYS_RESOURCE; otherwise make do with the hard limit.
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: want}) == nil {
			return nil
		}
	}
	lim.Cur = min(want, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raising the open-file limit: %v", err)
	}
	if lim.Cur < need {
		return fmt.Errorf("the open-file limit is %d (hard) and %d agents need about %d: raise it (ulimit -Hn, as root) or use fewer agents", lim.Max, need-256, need)
	}
	return nil
}

func printTable(w io.Writer, cfg config, results []*result, remote *remoteBed) {
	relay := relayCommand(cfg)
	if remote != nil {
		relay = fmt.Sprintf("the relay at %s on another host, started with `%s`", cfg.relayURL, remote.command)
	}
	fmt.Fprintf(w, "\nRelay under load: %s, each call answered after ringing %s, then %s of talk.\n\n",
		relay, cfg.ringFor, cfg.talkFor)
	fmt.Fprintln(w, "| agents | phase | events | delivered (events × agents) | latency p50 | p99 | max | relay RSS per agent | relay CPU per delivered event | connect time |")
	fmt.Fprintln(w, "|-------:|-------|-------:|---------:|------:|------:|------:|------:|------:|------:|")
	for _, r := range results {
		rss := fmt.Sprintf("%.1f KiB", r.perAgentKiB())
		if r.floor || r.noRelayStats != "" {
			rss = "–" // floor: not measured, the kernel's memory is the same and the floor server keeps nothing per agent; remote: not in its /metrics
		}
		conn := fmt.Sprintf("%.2f s", r.connect.Seconds())
		if len(r.phases) == 0 {
			fmt.Fprintf(w, "| %s | (%d connected) | | | | | | %s | | %s |\n", r.label(), r.connected, rss, conn)
		}
		for _, p := range r.phases {
			cpu := fmt.Sprintf("%.1f µs", float64(p.cpuPerDelivery().Nanoseconds())/1e3)
			if r.noRelayStats != "" {
				cpu = "–"
			}
			fmt.Fprintf(w, "| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s |\n",
				r.label(), p.name, p.events, p.deliveries, ms(p.p50), ms(p.p99), ms(p.max), rss, cpu, conn)
		}
	}

	if remote != nil {
		printRemoteNotes(w, cfg, results)
	} else {
		fmt.Fprintf(w, "\nRelay memory (VmRSS) and CPU, on %d cores shared with the agents (and whatever else runs):\n", runtime.NumCPU())
	}
	for _, r := range results {
		if r.connected == 0 {
			fmt.Fprintf(w, "  %s agents: none connected\n", r.label())
			continue
		}
		if r.floor {
			for _, p := range r.phases {
				fmt.Fprintf(w, "  %s agents, %s: %.1f s from first batch to last delivery; CPU: floor server %v, bench (agents) %v, other processes %.2f s (stolen by the hypervisor %.2f s); %d sends, %d of them partial (finished blocking); %d reads by the agents; messages of %d bytes\n",
					r.label(), p.name, p.wall.Seconds(), p.relayCPU, p.benchCPU, p.otherCPU.Seconds(), p.stolen.Seconds(), p.sends, p.partialSends, p.reads, p.messageBytes)
			}
			continue
		}
		peak, relayCPU, others := mib(r.hwm), func(c cpuTime) string { return c.String() }, "other processes"
		if remote != nil {
			peak, others = "– (not in /metrics)", "other processes here"
		}
		if r.noRelayStats != "" {
			fmt.Fprintf(w, "  %s agents: relay memory and CPU not known: %s\n", r.label(), r.noRelayStats)
			relayCPU = func(cpuTime) string { return "–" }
		} else {
			fmt.Fprintf(w, "  %s agents: RSS idle %s, connected %s, after the calls %s (%.1f KiB per agent: queues touched, garbage not yet collected), peak %s\n",
				r.label(), mib(r.rssBase), mib(r.rssConnected), mib(r.rssAfter), float64(r.rssAfter-r.rssBase)/float64(r.connected), peak)
		}
		for _, p := range r.phases {
			fmt.Fprintf(w, "  %s agents, %s: %.1f s from first ring to last delivery; CPU: relay %s, bench (agents) %v, %s %.2f s (stolen by the hypervisor %.2f s); %d reads by the agents; messages of %d bytes\n",
				r.label(), p.name, p.wall.Seconds(), relayCPU(p.relayCPU), p.benchCPU, others, p.otherCPU.Seconds(), p.stolen.Seconds(), p.reads, p.messageBytes)
		}
	}

	fmt.Fprintf(w, "\nTargets: %d agents, p99 < %v, < %d KiB per agent; measured on the worst case, every agent sees every call.\n", targetAgents, targetP99, targetKiBAgent)
	var big *result
	for _, r := range results {
		if r.teams == 0 && !r.floor && r.agents >= targetAgents && (big == nil || r.agents > big.agents) {
			big = r
		}
	}
	if big == nil {
		fmt.Fprintf(w, "  not measured: the largest run had fewer than %d agents\n", targetAgents)
		return
	}
	fmt.Fprintf(w, "  %d agents connected:   %s (%d of %d)\n", targetAgents, met(big.connected >= targetAgents), big.connected, big.agents)
	for _, p := range big.phases {
		fmt.Fprintf(w, "  p99 < %v (%s): %s (%s)\n", targetP99, p.name, met(p.deliveries > 0 && p.p99 < targetP99), ms(p.p99))
	}
	if big.noRelayStats != "" {
		fmt.Fprintf(w, "  < %d KiB per agent:     not measured (the relay's /metrics has no process metrics)\n", targetKiBAgent)
	} else {
		fmt.Fprintf(w, "  < %d KiB per agent:     %s (%.1f KiB)\n", targetKiBAgent, met(big.perAgentKiB() < targetKiBAgent), big.perAgentKiB())
	}
	for _, r := range results {
		if r.teams == 0 || r.agents != big.agents {
			continue
		}
		for _, p := range r.phases {
			fmt.Fprintf(w, "  (not the target) %s, each event to one team of %d: p99 %s (%s)\n", r.label(), r.agents/r.teams, ms(p.p99), p.name)
		}
	}
	for _, r := range results {
		if !r.floor || r.agents != big.agents {
			continue
		}
		for _, p := range r.phases {
			fmt.Fprintf(w, "  (the machine's share) %s agents, no relay: p99 %s (%s)\n", r.label(), ms(p.p99), p.name)
		}
	}
}

// printRemoteNotes heads the notes of the remote mode: what the numbers
// are, and what they need to be right.
func printRemoteNotes(w io.Writer, cfg config, results []*result) {
	fmt.Fprintf(w, "\nRelay memory (process_resident_memory_bytes) and CPU (process_cpu_seconds_total), from its /metrics, on its own host; the agents on this host's %d cores.\n", runtime.NumCPU())
	fmt.Fprintln(w, "  Caveat: latency runs from the relay's receipt of an event, on its host's clock, to an agent's read, on this one's: both clocks must be in sync (NTP, chrony: `chronyc tracking` shows the offset), or every latency is off by their offset. It includes the network between the hosts.")
	for _, r := range results {
		for _, p := range r.phases {
			if p.deliveries > 0 && p.min < 0 {
				fmt.Fprintf(w, "  Clocks NOT in sync: %s agents, %s: an event was read %s before the relay received it: the relay's clock is ahead of this one's by at least that, and the latencies are wrong by as much.\n", r.label(), p.name, ms(-p.min))
			}
		}
	}
	if len(results) > 1 {
		fmt.Fprintln(w, "  One relay serves every run: the idle memory of a later run is what the earlier ones left. For fresh readings, one agent count per bench run, the relay restarted between them.")
	}
	if cfg.floor {
		fmt.Fprintln(w, "  No floor rows: the floor server runs on the bench's host, a floor for the local mode only.")
	}
}

func relayCommand(cfg config) string {
	cmd := append([]string{cfg.relayBin}, cfg.relayArgs...)
	if cfg.relayData {
		cmd = append(cmd, "-data", "<fresh folder>")
	}
	return strings.Join(cmd, " ")
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
