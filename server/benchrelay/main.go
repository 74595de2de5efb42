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
//	go run ./server/benchrelay -agents=1000,10000 -calls=50
//
// It is a benchmark: a missed target is reported, not a failure. It exits
// non-zero only when agents did not get every event (or could not
// connect, or the relay died).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
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
	fs := flag.NewFlagSet("benchrelay", flag.ContinueOnError)
	var cfg config
	agents := fs.String("agents", "1000,10000", "comma-separated agent counts: one run (fresh relay) each")
	relayArgs := fs.String("relay-args", "", "extra flags for the relay, space-separated (-allow-anonymous, and -data with a fresh folder, are added when the relay has them)")
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
	fs.BoolVar(&cfg.floor, "floor", true, "also run each agent count against a floor server instead of the relay: the same workload, each batch of events written to every agent with one send, and no relay code; shows what the machine costs anyway")
	cpuProfile := fs.String("cpuprofile", "", "write the bench's own CPU profile (the agents' side) to `file`")
	if err := fs.Parse(args); err != nil {
		return 2, nil
	}
	for s := range strings.SplitSeq(*agents, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return 2, fmt.Errorf("-agents: %q is not a positive number", s)
		}
		cfg.agents = append(cfg.agents, n)
	}
	feat, err := probeRelay(cfg.relayBin)
	if err != nil {
		return 2, err
	}
	if feat.allowAnonymous {
		cfg.relayArgs = append(cfg.relayArgs, "-allow-anonymous")
	}
	cfg.relayData = feat.data
	cfg.relayArgs = append(cfg.relayArgs, strings.Fields(*relayArgs)...)
	if err := raiseFDLimit(uint64(maxOf(cfg.agents) + 256)); err != nil {
		return 2, err
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
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
	if cfg.floor {
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
			res, err = runOne(ctx, cfg, ru.agents, ru.teams)
		}
		if err != nil {
			if ctx.Err() != nil {
				return 130, fmt.Errorf("interrupted")
			}
			return 1, fmt.Errorf("%s agents: %v", (&result{agents: ru.agents, teams: max(ru.teams, 0), floor: ru.teams < 0}).label(), err)
		}
		for _, f := range res.failures {
			fmt.Fprintf(os.Stderr, "bench-relay: %s agents: FAILURE: %s\n", res.label(), f)
			failed = true
		}
		results = append(results, res)
	}
	printTable(out, cfg, results)
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

func printTable(w io.Writer, cfg config, results []*result) {
	fmt.Fprintf(w, "\nRelay under load: %s, each call answered after ringing %s, then %s of talk.\n\n",
		relayCommand(cfg), cfg.ringFor, cfg.talkFor)
	fmt.Fprintln(w, "| agents | phase | events | delivered (events × agents) | latency p50 | p99 | max | relay RSS per agent | relay CPU per delivered event | connect time |")
	fmt.Fprintln(w, "|-------:|-------|-------:|---------:|------:|------:|------:|------:|------:|------:|")
	for _, r := range results {
		rss := fmt.Sprintf("%.1f KiB", r.perAgentKiB())
		if r.floor {
			rss = "–" // not measured: the kernel's memory is the same, and the floor server keeps nothing per agent
		}
		conn := fmt.Sprintf("%.2f s", r.connect.Seconds())
		if len(r.phases) == 0 {
			fmt.Fprintf(w, "| %s | (%d connected) | | | | | | %s | | %s |\n", r.label(), r.connected, rss, conn)
		}
		for _, p := range r.phases {
			fmt.Fprintf(w, "| %s | %s | %d | %d | %s | %s | %s | %s | %.1f µs | %s |\n",
				r.label(), p.name, p.events, p.deliveries, ms(p.p50), ms(p.p99), ms(p.max), rss,
				float64(p.cpuPerDelivery().Nanoseconds())/1e3, conn)
		}
	}

	fmt.Fprintf(w, "\nRelay memory (VmRSS) and CPU, on %d cores shared with the agents (and whatever else runs):\n", runtime.NumCPU())
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
		fmt.Fprintf(w, "  %s agents: RSS idle %s, connected %s, after the calls %s (%.1f KiB per agent: queues touched, garbage not yet collected), peak %s\n",
			r.label(), mib(r.rssBase), mib(r.rssConnected), mib(r.rssAfter), float64(r.rssAfter-r.rssBase)/float64(r.connected), mib(r.hwm))
		for _, p := range r.phases {
			fmt.Fprintf(w, "  %s agents, %s: %.1f s from first ring to last delivery; CPU: relay %v, bench (agents) %v, other processes %.2f s (stolen by the hypervisor %.2f s); %d reads by the agents; messages of %d bytes\n",
				r.label(), p.name, p.wall.Seconds(), p.relayCPU, p.benchCPU, p.otherCPU.Seconds(), p.stolen.Seconds(), p.reads, p.messageBytes)
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
	fmt.Fprintf(w, "  < %d KiB per agent:     %s (%.1f KiB)\n", targetKiBAgent, met(big.perAgentKiB() < targetKiBAgent), big.perAgentKiB())
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
