package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/server/relay"
	"github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/server/upstream"
)

func TestParseFlags(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		err  string // "": valid; else a part of the error
	}{
		{"local, the defaults", nil, ""},
		{"local, emulator on a fixed port", []string{"-emulator-listen", "0.0.0.0:9100"}, ""},
		{"local with -emulator-url", []string{"-emulator-url", "http://10.0.0.5:9100/"}, "-emulator-url is for a relay on another host"},
		{"bad -emulator-listen", []string{"-emulator-listen", "9100"}, "give HOST:PORT"},
		{"bad -agents", []string{"-agents", "10,x"}, `"x" is not a positive number`},
		{"a stray argument", []string{"10000"}, "every setting is a flag"},
		{"remote on loopback", []string{"-relay-url", "http://127.0.0.1:8080"}, ""},
		{"remote, two hosts", []string{"-relay-url", "http://10.0.0.6:8080", "-emulator-listen", "0.0.0.0:9100", "-emulator-url", "http://10.0.0.5:9100/"}, ""},
		{"remote, emulator on an address of its own", []string{"-relay-url", "http://10.0.0.6:8080", "-emulator-listen", "10.0.0.5:9100"}, ""},
		{"remote, emulator on loopback", []string{"-relay-url", "http://10.0.0.6:8080"}, "cannot reach an emulator on 127.0.0.1:0"},
		{"remote, wildcard without -emulator-url", []string{"-relay-url", "http://10.0.0.6:8080", "-emulator-listen", "0.0.0.0:9100"}, "-emulator-url http://THIS_HOST:9100/"},
		{"remote, empty host without -emulator-url", []string{"-relay-url", "http://10.0.0.6:8080", "-emulator-listen", ":9100"}, "listens on every interface"},
		{"remote, -emulator-url with port 0", []string{"-relay-url", "http://10.0.0.6:8080", "-emulator-listen", "0.0.0.0:0", "-emulator-url", "http://10.0.0.5:9100/"}, "give a fixed port"},
		{"remote, bad -emulator-url", []string{"-relay-url", "http://10.0.0.6:8080", "-emulator-listen", "0.0.0.0:9100", "-emulator-url", "10.0.0.5:9100"}, "give the http:// URL"},
		{"remote with -teams", []string{"-relay-url", "http://127.0.0.1:8080", "-teams", "10"}, "run without -teams"},
		{"remote over https", []string{"-relay-url", "https://relay.example.com:443"}, "plain WebSocket"},
		{"remote without a port", []string{"-relay-url", "http://10.0.0.6"}, "give the host and the port"},
		{"remote with a path", []string{"-relay-url", "http://10.0.0.6:8080/v1/stream"}, "no path"},
		{"remote, no time to start it", []string{"-relay-url", "http://127.0.0.1:8080", "-wait-relay", "0s"}, "-wait-relay must be more than 0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseFlags(tt.args, io.Discard)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("parseFlags(%q): %v", tt.args, err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("parseFlags(%q) = %v, want an error with %q", tt.args, err, tt.err)
			}
		})
	}
	if _, _, err := parseFlags([]string{"-no-such-flag"}, io.Discard); err != errUsage {
		t.Errorf("an unknown flag: %v, want errUsage", err)
	}
}

func TestEmulatorURL(t *testing.T) {
	for _, tt := range []struct {
		cfg       config
		listening string
		want      string
	}{
		{config{}, "127.0.0.1:41234", "http://127.0.0.1:41234/"},
		{config{}, "0.0.0.0:9100", "http://127.0.0.1:9100/"}, // the local relay, on this machine
		{config{}, "[::]:9100", "http://127.0.0.1:9100/"},
		{config{}, "10.0.0.5:9100", "http://10.0.0.5:9100/"},
		{config{emulatorURL: "http://bench.lan:9100/"}, "0.0.0.0:9100", "http://bench.lan:9100/"},
	} {
		if got := emulatorURL(tt.cfg, tt.listening); got != tt.want {
			t.Errorf("emulatorURL(%+v, %s) = %s, want %s", tt.cfg, tt.listening, got, tt.want)
		}
	}
}

func TestParseProcessMetrics(t *testing.T) {
	text := `# HELP screenpop_clients Connected clients by transport.
# TYPE screenpop_clients gauge
screenpop_clients{transport="websocket"} 10000
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.34
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 3.3554432e+08
process_resident_memory_bytes_other 1
`
	pm, err := parseProcessMetrics(strings.NewReader(text))
	if err != nil || !pm.hasCPU || !pm.hasRSS || pm.cpu != 12340*time.Millisecond || pm.rssBytes != 335544320 {
		t.Errorf("parseProcessMetrics = %+v, %v; want 12.34 s and 335544320 bytes", pm, err)
	}
	// A relay without them (built before they were added, or not on Linux).
	pm, err = parseProcessMetrics(strings.NewReader("screenpop_clients{transport=\"websocket\"} 3\n"))
	if err != nil || pm.hasCPU || pm.hasRSS {
		t.Errorf("without process metrics: %+v, %v", pm, err)
	}
	if _, err := parseProcessMetrics(strings.NewReader("process_cpu_seconds_total twelve\n")); err == nil {
		t.Error("a value that is not a number: no error")
	}
}

// The remote mode end to end, against a relay the test starts in this
// process on loopback once the bench has printed the command to start it
// with: every agent gets every event, and the relay's CPU and memory
// come from its /metrics (this process's, here: numbers, that is all).
func TestRemoteRelay(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // the relay's, served once the bench said how to start it
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	relayURL := "http://" + ln.Addr().String()
	cfg, _, err := parseFlags([]string{"-relay-url", relayURL, "-agents=20", "-calls=2", "-burst=0",
		"-spacing=50ms", "-ring-for=50ms", "-talk-for=50ms", "-settle=50ms", "-timeout=10s", "-wait-relay=15s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	logR, logW := io.Pipe()
	cfg.log = logW
	defer logW.Close()
	command := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(logR)
		for sc.Scan() {
			line := sc.Text()
			t.Log(line)
			if f := strings.Fields(line); len(f) > 0 && f[0] == "screenpop-relay" {
				command <- f
			}
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type benched struct {
		code int
		err  error
	}
	done := make(chan benched, 1)
	var out strings.Builder
	go func() {
		code, err := bench(ctx, cfg, &out)
		done <- benched{code, err}
	}()

	var argv []string
	select {
	case argv = <-command:
	case b := <-done:
		t.Fatalf("the bench ended before printing the relay's command: %d, %v", b.code, b.err)
	}
	flagValue := func(name string) string {
		for i, a := range argv[:len(argv)-1] {
			if a == name {
				return argv[i+1]
			}
		}
		t.Fatalf("the relay's command %q has no %s", argv, name)
		return ""
	}
	if l := flagValue("-listen"); l != ln.Addr().String() {
		t.Errorf("the command's -listen is %s, want %s (-relay-url's)", l, ln.Addr())
	}
	if !strings.Contains(strings.Join(argv, " "), "-allow-anonymous") {
		t.Errorf("the command %q does not let the bench's anonymous agents in", argv)
	}
	r, err := relay.New(relay.Config{AllowAnonymous: true, EventsURL: flagValue("-events-url"),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PollBackoff: upstream.Backoff{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Poll(store.Token{Value: flagValue("-token")}); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: r.Handler()}
	go srv.Serve(ln)
	defer srv.Close()
	defer r.Shutdown() // before srv.Close: the agents are told to leave

	b := <-done
	table := out.String()
	t.Log(table)
	if b.code != 0 || b.err != nil {
		t.Fatalf("bench = %d, %v", b.code, b.err)
	}
	// | agents | phase | events | delivered | p50 | p99 | max | RSS per agent | CPU per delivery | connect |
	row := regexp.MustCompile(`(?m)^\| 20 \| 2 calls, 50ms apart \| (\d+) \| (\d+) \| [\d.]+ ms \| [\d.]+ ms \| [-\d.]+ ms \| (-?[\d.]+) KiB \| ([\d.]+) µs \| [\d.]+ s \|$`).FindStringSubmatch(table)
	if row == nil {
		t.Fatalf("no row for 20 agents with numbers for the relay's memory and CPU in:\n%s", table)
	}
	if row[1] != "6" || row[2] != "120" { // 2 calls: ring, answer, hang-up each; to 20 agents
		t.Errorf("events %s, delivered %s; want 6 and 120 (every agent every event)", row[1], row[2])
	}
	for _, note := range []string{"from its /metrics", "both clocks must be in sync", "No floor rows"} {
		if !strings.Contains(table, note) {
			t.Errorf("the notes do not say %q", note)
		}
	}
}

// A relay whose /metrics has no process metrics (built before they were
// added, or not on Linux) is measured all the same: its CPU and memory
// are "–", and the notes say why.
func TestRemoteRelayWithoutProcessMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/healthz":
			io.WriteString(w, `{"ok":true,"clients":0}`)
		case "/metrics":
			io.WriteString(w, "screenpop_clients{transport=\"websocket\"} 0\n")
		default:
			http.NotFound(w, req)
		}
	}))
	defer srv.Close()
	rr := newRemoteRelay(srv.URL)
	if !rr.alive() {
		t.Fatal("alive: false, with /healthz answering")
	}
	rr.probeStats()
	if !strings.Contains(rr.noStats, "process_cpu_seconds_total") {
		t.Errorf("noStats = %q, want it to name the missing metrics", rr.noStats)
	}
	if _, err := rr.cpu(); !errors.Is(err, errNoProcessMetrics) {
		t.Errorf("cpu: %v, want errNoProcessMetrics", err)
	}

	cfg := config{relayURL: srv.URL, ringFor: time.Second, talkFor: time.Second}
	res := &result{agents: 10, connected: 10, noRelayStats: rr.noStats, phases: []phaseResult{{name: "1 calls, 100ms apart", events: 3, deliveries: 30}}}
	var out strings.Builder
	printTable(&out, cfg, []*result{res}, &remoteBed{command: "screenpop-relay …"})
	if !strings.Contains(out.String(), "| 10 | 1 calls, 100ms apart | 3 | 30 | 0.0 ms | 0.0 ms | 0.0 ms | – | – |") ||
		!strings.Contains(out.String(), "relay memory and CPU not known: "+rr.noStats) {
		t.Errorf("the table does not show the relay's memory and CPU as unknown, and why:\n%s", out.String())
	}
}
