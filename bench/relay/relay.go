package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/screenpop/screenpop/server/procstat"
)

// relayUnderTest is what a run measures and watches: the relay started
// here as a child process (relayProc; the floor server stands in for it
// the same way), or one started by hand on another host (remoteRelay).
type relayUnderTest interface {
	agentAddr() string // host:port the agents dial
	alive() bool
	health(ctx context.Context) (health, error)
	cpu() (cpuTime, error) // its CPU time so far
	rssKiB() (int64, error)
	hwmKiB() (int64, error)
	onThisMachine() bool // its CPU counts in this machine's busy time (machineBusy)
	deathReport() string // why it is gone, and where to look
	stop()
}

// relayProc is the relay under test, a child process so that its memory
// and CPU are its own.
type relayProc struct {
	name   string // "the relay", or "the floor server" (floor.go), which stands in for it
	cmd    *exec.Cmd
	addr   string // host:port it listens on
	stderr *tailBuffer
	exited chan struct{} // closed when the process is gone
	err    error         // its exit status, once exited is closed
}

// relayFeatures is what the relay build offers that the bench must use.
type relayFeatures struct {
	allowAnonymous bool // -allow-anonymous: agents without a secret may connect
	data           bool // -data: the relay keeps a data file (by default in the user's folder)
}

// probeRelay reads the relay's -h output: agent authentication and the data
// file may or may not be in this build.
func probeRelay(bin string) (relayFeatures, error) {
	if _, err := os.Stat(bin); err != nil {
		return relayFeatures{}, fmt.Errorf("no relay binary at %s: build it with `make relay`", bin)
	}
	out, _ := exec.Command(bin, "-h").CombinedOutput() // -h exits 0 or 2 depending on flag handling
	return relayFeatures{
		allowAnonymous: bytes.Contains(out, []byte("-allow-anonymous")),
		data:           bytes.Contains(out, []byte("-data ")),
	}, nil
}

// startRelay starts bin on a free loopback port, polling eventsURL with
// token, and waits until it answers /healthz.
func startRelay(ctx context.Context, bin string, args []string, eventsURL, token string, logTo io.Writer) (*relayProc, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	argv := append([]string{"-listen", addr, "-events-url", eventsURL, "-token", token}, args...)
	cmd := exec.Command(bin, argv...)
	r := &relayProc{name: "the relay", cmd: cmd, addr: addr, stderr: &tailBuffer{max: 64 << 10}, exited: make(chan struct{})}
	cmd.Stdout = r.stderr
	cmd.Stderr = r.stderr
	if logTo != nil {
		cmd.Stdout = io.MultiWriter(r.stderr, logTo)
		cmd.Stderr = cmd.Stdout
	}
	// If the bench dies without cleaning up, the kernel kills the relay.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the relay %s: %v", bin, err)
	}
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()

	deadline := time.Now().Add(15 * time.Second)
	for {
		h, err := r.health(ctx)
		if err == nil && h.OK {
			return r, nil
		}
		select {
		case <-r.exited:
			return nil, fmt.Errorf("the relay exited at start-up (%v):\n%s", r.err, r.stderr)
		case <-ctx.Done():
			r.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.stop()
			return nil, fmt.Errorf("the relay did not become healthy on %s within 15 s (last: %v %+v):\n%s", addr, err, h, r.stderr)
		}
	}
}

// freePort returns a loopback address nobody listens on right now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// stop ends the relay: SIGTERM (it says bye to its clients), then SIGKILL
// after 5 s. Safe to call more than once.
func (r *relayProc) stop() {
	select {
	case <-r.exited:
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(5 * time.Second):
		r.cmd.Process.Kill()
		<-r.exited
	}
}

func (r *relayProc) alive() bool {
	select {
	case <-r.exited:
		return false
	default:
		return true
	}
}

type health struct {
	OK      bool `json:"ok"`
	Clients int  `json:"clients"`
}

func (r *relayProc) health(ctx context.Context) (health, error) {
	return getHealth(ctx, http.DefaultClient, "http://"+r.addr+"/healthz")
}

// getHealth asks a relay's /healthz: it answers 503 with the same JSON
// when a token does not poll.
func getHealth(ctx context.Context, client *http.Client, u string) (health, error) {
	var h health
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := client.Do(req)
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return h, fmt.Errorf("/healthz: %v", err)
	}
	return h, nil
}

// rssKiB is the relay's resident set size (VmRSS), in KiB.
func (r *relayProc) rssKiB() (int64, error) { return procstat.StatusKiB(r.pid(), "VmRSS:") }

// hwmKiB is the relay's peak resident set size (VmHWM), in KiB.
func (r *relayProc) hwmKiB() (int64, error) { return procstat.StatusKiB(r.pid(), "VmHWM:") }

// cpu is the relay's user and system CPU time so far.
func (r *relayProc) cpu() (cpuTime, error) { return procCPU(r.pid()) }

func (r *relayProc) pid() string { return strconv.Itoa(r.cmd.Process.Pid) }

func (r *relayProc) agentAddr() string { return r.addr }

// onThisMachine: its CPU is part of this machine's busy time.
func (r *relayProc) onThisMachine() bool { return true }

// deathReport says why it is gone, with the end of its log.
func (r *relayProc) deathReport() string {
	return fmt.Sprintf("%s died (%v):\n%s", r.name, r.err, r.stderr)
}

// clockTick is USER_HZ, the unit of /proc times.
const clockTick = procstat.ClockTick

// cpuTime is a process's CPU time, in user space and in the kernel. A
// relay on another host says only the sum (process_cpu_seconds_total):
// then it is all in user and split is false.
type cpuTime struct {
	user, sys time.Duration
	split     bool
}

func (c cpuTime) total() time.Duration { return c.user + c.sys }

func (c cpuTime) sub(d cpuTime) cpuTime {
	return cpuTime{c.user - d.user, c.sys - d.sys, c.split && d.split}
}

func (c cpuTime) String() string {
	if !c.split {
		return fmt.Sprintf("%.2f s", c.total().Seconds())
	}
	return fmt.Sprintf("%.2f s (user %.2f s, sys %.2f s)", c.total().Seconds(), c.user.Seconds(), c.sys.Seconds())
}

// procCPU reads utime and stime of pid ("self" for the bench) from /proc/<pid>/stat.
func procCPU(pid string) (cpuTime, error) {
	user, sys, err := procstat.CPU(pid)
	return cpuTime{user, sys, true}, err
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// machineBusy is the CPU time every process on the machine has used since
// boot (all cores, idle and iowait excluded): with the relay's and the
// bench's own, it shows how much of a phase went to other processes. Of
// it, steal is the time the hypervisor gave this VM's cores to someone
// else: on a shared VM, latency the machine adds that no process here
// can be blamed for.
func machineBusy() (busy, steal time.Duration, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var ticks, stolen int64
	for i, s := range f[1:9] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %v", err)
		}
		if i != 3 && i != 4 { // idle, iowait
			ticks += v
		}
		if i == 7 {
			stolen = v
		}
	}
	return time.Duration(ticks) * clockTick, time.Duration(stolen) * clockTick, nil
}
