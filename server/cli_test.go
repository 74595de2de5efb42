package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/screenpop/screenpop/server/ovhsim"
)

// TestHelp: -h, --help and help exit 0 and list the commands as well as
// the flags, on stdout; each command's -h too.
func TestHelp(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"-h"}, []string{"agent add|list", "token add|list", "config sample|show", "ovh credential", "-listen", "-public-url", "-demo"}},
		{[]string{"--help"}, []string{"agent add|list", "-listen"}},
		{[]string{"-help"}, []string{"agent add|list", "-listen"}},
		{[]string{"help"}, []string{"agent add|list", "token add|list", "-listen"}},
		{[]string{"agent", "-h"}, []string{"agent add NAME"}},
		{[]string{"agent", "add", "-h"}, []string{"agent add NAME", "-lines", "-data"}},
		{[]string{"token", "--help"}, []string{"token add TOKEN"}},
		{[]string{"token", "add", "-h"}, []string{"-billing-account"}},
		{[]string{"config", "-h"}, []string{"config sample"}},
		{[]string{"config", "show", "-h"}, []string{"config show", "-listen"}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(tt.args, &out, &errb)
			if code := exitCode(err, &errb); code != 0 {
				t.Fatalf("exit %d (%v), want 0\n%s", code, err, errb.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("help does not mention %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestFlagErrorsAreShort: an unknown flag or command prints the error
// once and one line saying how to get help, not the whole usage.
func TestFlagErrorsAreShort(t *testing.T) {
	for _, tt := range []struct {
		args       []string
		want, help string
	}{
		{[]string{"-frobnicate"}, "flag provided but not defined: -frobnicate", "screenpop-relay -h"},
		{[]string{"--frobnicate"}, "-frobnicate", "screenpop-relay -h"},
		{[]string{"-replay-age", "soon"}, "not a duration", "screenpop-relay -h"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`, "screenpop-relay -h"},
		{[]string{"agent", "list", "-frobnicate"}, "-frobnicate", "screenpop-relay agent list -h"},
		{[]string{"agent"}, "missing command", "screenpop-relay agent -h"},
		{[]string{"token", "add", "-nope"}, "-nope", "screenpop-relay token add -h"},
		{[]string{"config", "show", "-nope"}, "-nope", "screenpop-relay config show -h"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(tt.args, &out, &errb)
			if code := exitCode(err, &errb); code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			printed := errb.String()
			lines := strings.Split(strings.TrimSpace(printed), "\n")
			if len(lines) != 2 || strings.Count(printed, tt.want) != 1 || !strings.Contains(lines[1], tt.help) || out.Len() > 0 {
				t.Errorf("printed (stderr):\n%s(stdout:\n%s)\nwant the error with %q once, then one line with %q", printed, out.String(), tt.want, tt.help)
			}
		})
	}
}

// TestConfigErrorsSayWhere: a value the relay refuses is reported where
// it was set (file:line, variable or flag), as written, with what is
// allowed.
func TestConfigErrorsSayWhere(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "relay.conf")
	for _, tt := range []struct {
		name, file string
		env        [2]string
		args       []string
		want       []string
		not        string
	}{
		{name: "file", file: "# x\n\npoll-wait = 99s\n", want: []string{file + ":3: poll-wait = 99s: too long: use 1s to 24s"}, not: "1m39s"},
		{name: "file quoted", file: "poll-wait = \"90s\"\n", want: []string{file + ":1: poll-wait = \"90s\"", "1s to 24s"}},
		{name: "env", env: [2]string{"SCREENPOP_POLL_WAIT", "99s"}, want: []string{"SCREENPOP_POLL_WAIT=99s: too long: use 1s to 24s"}, not: "1m39s"},
		{name: "flag", args: []string{"-poll-wait", "99s"}, want: []string{"-poll-wait 99s: too long: use 1s to 24s"}, not: "1m39s"},
		{name: "too short", args: []string{"-poll-wait", "10ms"}, want: []string{"-poll-wait 10ms: too short: use 1s to 24s"}},
		{name: "log level", file: "log-level = loud\n", want: []string{file + ":1: log-level = loud: use debug, info, warn or error"}},
		{name: "region", args: []string{"-region", "XX"}, want: []string{"-region XX", `"XX" is not a region`, "ISO 3166-1"}},
		{name: "region UK", file: "region = UK\n", want: []string{file + ":1: region = UK", `"GB"`}},
		{name: "region env", env: [2]string{"SCREENPOP_REGION", "ZZ"}, want: []string{"SCREENPOP_REGION=ZZ"}},
		{name: "backoff", args: []string{"-poll-backoff-min", "2m"}, want: []string{"poll-backoff-max 1m0s: must be at least poll-backoff-min (2m0s)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.file != "" {
				os.WriteFile(file, []byte(tt.file), 0o600)
				args = append([]string{"-config", file}, args...)
			}
			if tt.env[0] != "" {
				t.Setenv(tt.env[0], tt.env[1])
			}
			_, _, err := parseConfig("t", "", args, &bytes.Buffer{}, false, nil)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tt.not != "" && strings.Contains(err.Error(), tt.not) {
				t.Errorf("error %q shows %q", err, tt.not)
			}
		})
	}
	// A region the library knows, in any case, is fine.
	if _, _, err := parseConfig("t", "", []string{"-region", "be"}, &bytes.Buffer{}, false, nil); err != nil {
		t.Errorf("-region be: %v", err)
	}
}

// TestBinaryConfigFile: a file that is not text is refused by its path,
// not echoed back as an escaped string.
func TestBinaryConfigFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"elf":      append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 64)...),
		"latin-1":  []byte("region = FR\nlisten = caf\xe9\n"),
		"too big":  bytes.Repeat([]byte("# comment\n"), maxConfigFile/10+1),
		"nul only": {0},
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, name)
			os.WriteFile(file, content, 0o600)
			_, _, err := parseConfig("t", "", []string{"-config", file}, &bytes.Buffer{}, false, nil)
			if err == nil || !strings.Contains(err.Error(), file+" is not a text config file") || strings.Contains(err.Error(), `\x`) || strings.Contains(err.Error(), "ELF") {
				t.Errorf("error %v, want %s is not a text config file, without its content", err, file)
			}
		})
	}
}

// TestLinesWarning: a --lines entry that is neither a number, nor *, nor
// a line or queue of the OVH account is kept, with a warning.
func TestLinesWarning(t *testing.T) {
	for _, tt := range []struct {
		name     string
		lines    string
		services []string // nil: no OVH API credentials
		warn     string   // "": no warning
	}{
		{"numbers", "0033972101010,+33 9 72 10 10 11", nil, ""},
		{"every line", "*", nil, ""},
		{"name, no credentials", "hello-world", nil, `line "hello-world" is not a phone number`},
		{"name not at OVH", "0033972101010,hello-world", []string{"0033972101010"}, `line "hello-world" is neither a phone number nor a line or queue of your OVH account`},
		{"queue at OVH", "Support-FR", []string{"0033972101010", "support-fr"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			old := ovhServices
			t.Cleanup(func() { ovhServices = old })
			ovhServices = func(context.Context, string) ([]string, error) {
				if tt.services == nil {
					return nil, errors.New("no OVH API credentials")
				}
				return tt.services, nil
			}
			dir := t.TempDir()
			out, errOut, err := runCmd(t, "agent", "add", "alice", "--lines", tt.lines, "-data", dir)
			if err != nil || !strings.Contains(out, "#sp_") {
				t.Fatalf("agent add: %v\n%s%s", err, out, errOut)
			}
			switch got := strings.Contains(errOut, "warning:"); {
			case tt.warn == "" && got:
				t.Errorf("warned:\n%s", errOut)
			case tt.warn != "" && !strings.Contains(errOut, tt.warn):
				t.Errorf("stderr:\n%s\nwant a warning %q", errOut, tt.warn)
			}
		})
	}
}

// TestEveryInterfaceHasNoPublicURL: listening on 0.0.0.0 or [::], the
// relay's own address is no connection string: -public-url is used, or
// the command refuses and says to set it; the demo's CRM, for the person
// at this machine, is at loopback.
func TestEveryInterfaceHasNoPublicURL(t *testing.T) {
	for _, tt := range []struct {
		configured, addr string
		want, wantErr    string
		local            string
	}{
		{"", "127.0.0.1:8080", "http://127.0.0.1:8080", "", "http://127.0.0.1:8080"},
		{"", "[::1]:8080", "http://[::1]:8080", "", "http://[::1]:8080"},
		{"", "0.0.0.0:8088", "", "set -public-url", "http://127.0.0.1:8088"},
		{"", "[::]:8088", "", "set -public-url", "http://127.0.0.1:8088"},
		{"", ":8088", "", "every interface (:8088)", "http://127.0.0.1:8088"},
		{"https://relay.example.com/", "[::]:8088", "https://relay.example.com", "", "http://127.0.0.1:8088"},
	} {
		got, err := publicURL(tt.configured, "http", tt.addr)
		if got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("publicURL(%q, %q) = %q, %v; want %q, %q", tt.configured, tt.addr, got, err, tt.want, tt.wantErr)
		}
		if l := localURL("http", tt.addr); l != tt.local {
			t.Errorf("localURL(%q) = %q, want %q", tt.addr, l, tt.local)
		}
	}

	// agent add without a relay running.
	dir := t.TempDir()
	_, _, err := runCmd(t, "agent", "add", "alice", "--lines", "*", "-data", dir, "-listen", "0.0.0.0:8088")
	if err == nil || !strings.Contains(err.Error(), "-public-url") {
		t.Fatalf("agent add on 0.0.0.0: %v, want an error saying to set -public-url", err)
	}
	if out, _, _ := runCmd(t, "agent", "list", "-data", dir); strings.Contains(out, "alice") {
		t.Error("the agent was added although its connection string could not be printed")
	}
	out, _, err := runCmd(t, "agent", "add", "alice", "--lines", "*", "-data", dir, "-listen", "0.0.0.0:8088", "-public-url", "http://192.0.2.10:8088")
	if err != nil || !strings.HasPrefix(out, "http://192.0.2.10:8088/#sp_") {
		t.Errorf("with -public-url: %q, %v", out, err)
	}
}

// TestRunningOnEveryInterface: a relay listening on every interface
// without -public-url starts, but `agent add` refuses before adding the
// agent, saying to restart it with -public-url; with it, the connection
// string is -public-url's.
func TestRunningOnEveryInterface(t *testing.T) {
	sim := ovhsim.New(ovhsim.Config{HoldTime: 300 * time.Millisecond})
	sim.AddLine(testBA, testLine, "Accueil")
	simSrv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); simSrv.Close() })
	token, _ := sim.NewToken(testLine, "1 day")

	dir := t.TempDir()
	cfg := relayConfig(dir, simSrv.URL+"/", token)
	cfg.Listen = "0.0.0.0:0"
	p, stop := startRelay(t, cfg)
	if p.publicURL != "" {
		t.Errorf("public URL %q, want none", p.publicURL)
	}
	_, _, err := runCmd(t, "agent", "add", "alice", "--lines", testLine, "-data", dir)
	if err == nil || !strings.Contains(err.Error(), "restart it with -public-url") {
		t.Errorf("agent add: %v, want an error saying to restart the relay with -public-url", err)
	}
	if out, _, _ := runCmd(t, "agent", "list", "-data", dir); strings.Contains(out, "alice") {
		t.Errorf("the agent was added without its connection string:\n%s", out)
	}
	stop()
	p.wait()

	cfg.PublicURL = "https://relay.example.com/"
	startRelay(t, cfg)
	out, errOut, err := runCmd(t, "agent", "add", "alice", "--lines", testLine, "-data", dir)
	if err != nil || !strings.HasPrefix(out, "https://relay.example.com/#sp_") {
		t.Errorf("agent add with -public-url: %q %v\n%s", out, err, errOut)
	}
}

// syncBuffer is a bytes.Buffer safe for the relay's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDemoOnEveryInterface: the demo on every interface gives its CRM's
// address at loopback, for the person at this machine, and says that
// connection strings need -public-url; no http://[::] anywhere.
func TestDemoOnEveryInterface(t *testing.T) {
	cfg := defaultConfig()
	cfg.Demo, cfg.Listen, cfg.Data = true, "0.0.0.0:0", t.TempDir()
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	p, err := start(ctx, cfg, &logs)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	defer func() { cancel(); p.wait() }()
	_, port, _ := net.SplitHostPort(p.addr)
	out := logs.String()
	for _, w := range []string{
		"demo CRM template for the extension's options (from this machine; from another, this machine's address, or set -public-url): http://127.0.0.1:" + port + "/demo-crm/",
		"`agent add` prints no connection string",
		"set -public-url",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("the log does not say %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "http://[::]") || strings.Contains(out, "http://0.0.0.0") {
		t.Errorf("the log gives an unusable address:\n%s", out)
	}
}
