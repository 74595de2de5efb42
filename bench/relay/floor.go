package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The floor rows: the relay's workload with no relay at all, from the
// floor server (floorserver.go), so that the table shows how much of the
// relay's latency and CPU the machine costs anyway (the kernel's sends
// and reads, the scheduler, the agents) and how much is the relay's.
//
// The floor server gets the relay's phases as its ideal would write them:
// each call's ring, answer (-ring-for later) and hang-up (-talk-for after
// that) at the times the emulator emits them, and the events of one
// instant in one batch, one write per agent, as the relay gets them in
// one poll. With 100 ms between calls and 300 and 500 ms of ringing and
// talk, that is a batch every 100 ms, of three events once the first
// calls are answered; the burst is three batches of -burst events.

// floorProc is the floor server, a child process like the relay.
type floorProc struct {
	*relayProc
	in io.WriteCloser // its commands

	mu      sync.Mutex
	last    uint64 // the last event ID it sent
	sends   int    // one per agent and batch
	partial int    // of them, sends that took less than the whole batch
	failed  int    // connections it dropped
	sent    chan struct{}
}

// startFloor starts this binary as the floor server and waits until it
// listens.
func startFloor(ctx context.Context, logTo io.Writer) (*floorProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("the floor server is this binary: %v", err)
	}
	cmd := exec.Command(exe, floorServerArg)
	fp := &floorProc{relayProc: &relayProc{name: "the floor server", cmd: cmd, stderr: &tailBuffer{max: 64 << 10}, exited: make(chan struct{})}, sent: make(chan struct{}, 1)}
	cmd.Stderr = fp.stderr
	if logTo != nil {
		cmd.Stderr = io.MultiWriter(fp.stderr, logTo)
	}
	if fp.in, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	// A pipe of our own rather than StdoutPipe, which Wait closes: the
	// reports are read until the floor server closes its end.
	out, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = w
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	w.Close() // the child has its copy
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("starting the floor server %s: %v", exe, err)
	}
	listening := make(chan string, 1)
	go fp.readReports(out, listening)
	go func() {
		fp.err = cmd.Wait()
		close(fp.exited)
	}()
	select {
	case fp.addr = <-listening:
		return fp, nil
	case <-fp.exited:
		return nil, fmt.Errorf("the floor server exited at start-up (%v):\n%s", fp.err, fp.stderr)
	case <-ctx.Done():
		fp.stop()
		return nil, ctx.Err()
	case <-time.After(15 * time.Second):
		fp.stop()
		return nil, fmt.Errorf("the floor server did not say where it listens within 15 s:\n%s", fp.stderr)
	}
}

// readReports reads the floor server's stdout: where it listens, then a
// line per batch sent.
func (fp *floorProc) readReports(out io.ReadCloser, listening chan<- string) {
	defer out.Close()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if addr, ok := strings.CutPrefix(line, "listening "); ok {
			listening <- addr
			continue
		}
		var last uint64
		var sends, partial, failed int
		if _, err := fmt.Sscanf(line, "sent %d %d %d %d", &last, &sends, &partial, &failed); err != nil {
			fmt.Fprintf(fp.stderr, "bench: unexpected line from the floor server: %q\n", line)
			continue
		}
		fp.mu.Lock()
		fp.last = last
		fp.sends += sends
		fp.partial += partial
		fp.failed += failed
		fp.mu.Unlock()
		select {
		case fp.sent <- struct{}{}:
		default:
		}
	}
}

// send has the floor server write k event messages to every agent, in
// one batch.
func (fp *floorProc) send(k int) error {
	if _, err := fmt.Fprintf(fp.in, "send %d\n", k); err != nil {
		return fmt.Errorf("commanding the floor server: %v", err)
	}
	return nil
}

// counts is what the floor server reported so far.
func (fp *floorProc) counts() (last uint64, sends, partial, failed int) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	return fp.last, fp.sends, fp.partial, fp.failed
}

// waitSent waits until the floor server reported sending event id, for
// at most timeout.
func (fp *floorProc) waitSent(ctx context.Context, id uint64, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		if last, _, _, _ := fp.counts(); last >= id {
			return nil
		}
		select {
		case <-fp.sent:
		case <-fp.exited:
			return errors.New("the floor server died")
		case <-t.C:
			return fmt.Errorf("the floor server did not report sending event %d within %v", id, timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// floorBatch is one command of a floor phase: k messages, at after the
// phase's start.
type floorBatch struct {
	at time.Duration
	k  int
}

// floorSchedule is the batches for calls rung spacing apart, each
// answered after ringFor and hung up talkFor later: their events grouped
// by the time the emulator emits them.
func floorSchedule(calls int, spacing, ringFor, talkFor time.Duration) []floorBatch {
	at := map[time.Duration]int{}
	for i := range calls {
		ring := time.Duration(i) * spacing
		at[ring]++
		at[ring+ringFor]++
		at[ring+ringFor+talkFor]++
	}
	var batches []floorBatch
	for t, k := range at {
		batches = append(batches, floorBatch{t, k})
	}
	slices.SortFunc(batches, func(a, b floorBatch) int { return cmp.Compare(a.at, b.at) })
	return batches
}

// runFloor measures the floor with n agents: a fresh floor server and
// fleet, the relay's phases as floor batches.
func runFloor(ctx context.Context, cfg config, n int) (*result, error) {
	res := &result{agents: n, floor: true}
	logf := func(format string, args ...any) {
		fmt.Fprintf(cfg.log, "bench-relay: %d, floor: "+format+"\n", append([]any{n}, args...)...)
	}
	var logTo io.Writer
	if cfg.verbose {
		logTo = cfg.log
	}
	fp, err := startFloor(ctx, logTo)
	if err != nil {
		return nil, err
	}
	defer fp.stop()
	defer fp.in.Close() // the end of its commands: it exits (stop waits for that first)

	logf("connecting (%d at a time)…", cfg.parallel)
	fl, err := newFleet(fp.addr, cfg.readEvery)
	if err != nil {
		return nil, err
	}
	defer fl.close() // before fp.stop: deferred later, runs first
	start := time.Now()
	connErr := fl.connect(ctx, n, cfg.parallel, nil)
	res.connect = time.Since(start)
	res.connected = fl.count()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if connErr != nil {
		res.failures = append(res.failures, "floor: "+connErr.Error())
		if res.connected == 0 {
			return res, nil
		}
	}
	logf("%d connected in %v", res.connected, res.connect.Round(time.Millisecond))
	if err := sleep(ctx, cfg.settle); err != nil {
		return nil, err
	}

	phases := []struct {
		name    string
		batches []floorBatch
	}{
		{floorPhase + spacedPhase(cfg), floorSchedule(cfg.calls, cfg.spacing, cfg.ringFor, cfg.talkFor)},
		{floorPhase + burstPhase(cfg), floorSchedule(cfg.burst, 0, cfg.ringFor, cfg.talkFor)},
	}
	var sentIDs uint64
	for _, ph := range phases {
		if len(ph.batches) == 0 {
			continue
		}
		logf("phase %q…", ph.name)
		from := sentIDs
		for _, b := range ph.batches {
			sentIDs += uint64(b.k)
		}
		_, sends0, partial0, failed0 := fp.counts()
		m, err := startMeasure(ph.name, fp.relayProc, fl)
		if err != nil {
			return nil, err
		}
		for _, b := range ph.batches {
			if err := sleep(ctx, time.Until(m.start.Add(b.at))); err != nil {
				return nil, err
			}
			if err := fp.send(b.k); err != nil {
				return nil, err
			}
		}
		pr, fails, err := m.finish(ctx, cfg, fp.relayProc, fl, from, sentIDs, int64(sentIDs-from)*int64(fl.count()))
		if err != nil {
			return nil, err
		}
		if err := fp.waitSent(ctx, sentIDs, 5*time.Second); err != nil {
			fails = append(fails, fmt.Sprintf("%s: %v:\n%s", ph.name, err, fp.stderr))
		}
		_, sends, partial, failed := fp.counts()
		pr.sends, pr.partialSends = sends-sends0, partial-partial0
		if failed > failed0 {
			fails = append(fails, fmt.Sprintf("%s: the floor server's sends failed on %d connections:\n%s", ph.name, failed-failed0, fp.stderr))
		}
		res.phases = append(res.phases, pr)
		res.failures = append(res.failures, fails...)
		if !fp.alive() {
			break
		}
		if err := sleep(ctx, cfg.settle); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// floorPhase starts the name of a floor phase.
const floorPhase = "floor: kernel only (no relay), "
