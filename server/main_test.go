package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/server/relay"
	"github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/server/upstream"
)

const (
	testBA   = "ab12345-ovh-1"
	testLine = "0033972101010"
)

// TestMain keeps the machine's OVH and screenpop settings out of the tests.
func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "OVH_") || strings.HasPrefix(k, "SCREENPOP_") {
			os.Unsetenv(k)
		}
	}
	os.Exit(m.Run())
}

// runCmd runs the command line and returns its stdout and stderr.
func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(args, &out, &errb)
	return out.String(), errb.String(), err
}

// TestOVHLinesThroughRun: `screenpop-relay ovh lines` goes through
// go-ovh, configured by the OVH_* variables, to the emulator's OVH API.
func TestOVHLinesThroughRun(t *testing.T) {
	sim := ovhsim.New(ovhsim.Config{})
	sim.AddLine(testBA, testLine, "Accueil")
	sim.AddLine(testBA, "0033972101011", "Support")
	sim.AddApplication("app-key", "app-secret-never-printed")
	sim.AddConsumerKey("app-key", "consumer-key")
	srv := httptest.NewServer(sim)
	defer srv.Close()
	t.Setenv("OVH_ENDPOINT", srv.URL+"/1.0")
	t.Setenv("OVH_APPLICATION_KEY", "app-key")
	t.Setenv("OVH_APPLICATION_SECRET", "app-secret-never-printed")
	t.Setenv("OVH_CONSUMER_KEY", "consumer-key")
	out, errOut, err := runCmd(t, "ovh", "lines")
	if err != nil {
		t.Fatalf("ovh lines: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, testBA) || !strings.Contains(out, testLine) || !strings.Contains(out, "0033972101011") {
		t.Errorf("ovh lines printed:\n%s", out)
	}
	if strings.Contains(out+errOut, "app-secret-never-printed") {
		t.Error("the application secret was printed")
	}
	// Without credentials: an error that says what to set.
	t.Setenv("OVH_APPLICATION_KEY", "")
	t.Setenv("OVH_APPLICATION_SECRET", "")
	if _, _, err := runCmd(t, "ovh", "lines"); err == nil || !strings.Contains(err.Error(), "OVH_APPLICATION_KEY") {
		t.Errorf("without credentials: %v", err)
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "screenpop.conf")
	os.WriteFile(file, []byte("# a comment\nlisten = 127.0.0.1:1\nregion = BE\nreplay-age = 2h\nallowed-origins = chrome-extension://a, moz-extension://b\ntoken-expiration = \"1 day\"\n"), 0o600)
	t.Setenv("SCREENPOP_REGION", "CH")
	cfg, _, err := parseConfig("t", "", []string{"-config", file, "-replay-age", "3h"}, &bytes.Buffer{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct{ got, want any }{
		"file":           {cfg.Listen, "127.0.0.1:1"},
		"env over file":  {cfg.Region, "CH"},
		"flag over file": {cfg.ReplayAge, 3 * time.Hour},
		"list":           {strings.Join(cfg.AllowedOrigins, " "), "chrome-extension://a moz-extension://b"},
		"quoted":         {cfg.TokenExpiration, "1 day"},
		"default":        {cfg.ClientQueue, 256},
		"set marks":      {cfg.set["listen"] && cfg.set["region"] && !cfg.set["client-queue"], true},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %v, want %v", name, tt.got, tt.want)
		}
	}
	for _, tt := range []struct{ file, want string }{
		{"lissen = x\n", "unknown setting \"lissen\""},
		{"listen\n", "is not key = value"},
		{"replay-age = soon\n", "not a duration"},
		{"log-level = loud\n", "log-level"},
		{"tls-cert = a.pem\n", "tls-key"},
		{"poll-wait = 40s\n", "use 1s to 24s"},
	} {
		os.WriteFile(file, []byte(tt.file), 0o600)
		if _, _, err := parseConfig("t", "", []string{"-config", file}, &bytes.Buffer{}, false, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.file, err, tt.want)
		}
	}
	if _, _, err := parseConfig("t", "", []string{"-config", filepath.Join(dir, "none")}, &bytes.Buffer{}, false, nil); err == nil {
		t.Error("a missing config file was ignored")
	}
}

// TestSampleConfig: the documented file is what `config sample` prints:
// every knob, with its default, in one place.
func TestSampleConfig(t *testing.T) {
	b, err := os.ReadFile("screenpop.conf.example")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != sampleConfig() {
		t.Error("screenpop.conf.example is out of date: go run ./server config sample > server/screenpop.conf.example")
	}
	// It parses, and every knob is in it.
	c := defaultConfig()
	for _, k := range c.knobs() {
		if k.name != "config" && k.name != "v" && !strings.Contains(string(b), "\n#"+k.name+" =") && !strings.Contains(string(b), "\n#"+k.name+"\n") {
			t.Errorf("%s is not documented", k.name)
		}
	}
}

// relayConfig is a relay on a free loopback port over dir, polling sim.
func relayConfig(dir, eventsURL, token string) Config {
	c := defaultConfig()
	c.Listen, c.Data, c.EventsURL, c.Token = "127.0.0.1:0", dir, eventsURL, token
	c.PollBackoffMin, c.PollBackoffMax = 50*time.Millisecond, 200*time.Millisecond
	c.LogLevel, c.ShutdownGrace, c.KeepAlive = "warn", 2*time.Second, time.Second
	return c
}

type testLog struct{ t *testing.T }

func (w testLog) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func startRelay(t *testing.T, cfg Config) (*relayProcess, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p, err := start(ctx, cfg, testLog{t})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		p.wait()
	})
	return p, cancel
}

// client is a real WebSocket client, as the extension connects.
type client struct {
	c *websocket.Conn
}

func connect(t *testing.T, addr, secret string, cursor uint64) *client {
	t.Helper()
	u := "ws://" + addr + stream.PathStream
	if cursor > 0 {
		u += "?cursor=" + json.Number(itoa(cursor)).String()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"chrome-extension://screenpop"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	auth, _ := json.Marshal(stream.ClientMessage{Type: stream.TypeAuth, Secret: secret})
	if err := c.Write(ctx, websocket.MessageText, auth); err != nil {
		t.Fatal(err)
	}
	return &client{c}
}

// next returns the next message other than a ping or the relay's link
// to OVH (TypeUpstream, which changes as the poller starts or fails).
func (c *client) next(t *testing.T) stream.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, b, err := c.c.Read(ctx)
		if err != nil {
			t.Fatalf("reading from the relay: %v", err)
		}
		var m stream.Message
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type != stream.TypePing && m.Type != stream.TypeUpstream {
			return m
		}
	}
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestRestartMidCall: a call rings, the relay restarts while it rings
// and is answered meanwhile, a second relay opens the same data folder,
// and the client's cursor resumes with nothing lost: the answer that
// happened during the restart, then the end, numbered on from the first
// relay's IDs, on a call whose state survived the restart.
func TestRestartMidCall(t *testing.T) {
	dir := t.TempDir()
	sim := ovhsim.New(ovhsim.Config{HoldTime: 300 * time.Millisecond})
	sim.AddLine(testBA, testLine, "Accueil")
	simSrv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); simSrv.Close() })
	token, _ := sim.NewToken(testLine, "1 day")

	// The agent is added before any relay ran: on the data file itself.
	conn, errOut, err := runCmd(t, "agent", "add", "alice", "--lines", "+33 9 72 10 10 10", "-data", dir, "-public-url", "https://relay.example.com")
	if err != nil {
		t.Fatalf("agent add: %v\n%s", err, errOut)
	}
	relayURL, secret, err := settings.ParseConnection(strings.TrimSpace(conn))
	if err != nil || relayURL != "https://relay.example.com" {
		t.Fatalf("agent add printed %q: %v", conn, err)
	}

	p1, stop1 := startRelay(t, relayConfig(dir, simSrv.URL+"/", token))
	c := connect(t, p1.addr, secret, 0)
	if m := c.next(t); m.Type != stream.TypeHello || m.Hello.Agent != "alice" {
		t.Fatalf("hello: %+v", m)
	}
	// The relay is polling (the emulator, as OVH, only queues events for a
	// token once it has polled), then it rings long enough for the first
	// relay to stop on a loaded machine before the answer comes.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sim.WaitActivePolls(ctx, 1); err != nil {
		t.Fatalf("the relay does not poll the emulator: %v", err)
	}
	if _, err := sim.Ring(ovhsim.Call{Line: testLine, Scenario: ovhsim.Answered, RingFor: 3 * time.Second, TalkFor: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	ring := c.next(t)
	if ring.Type != stream.TypeEvent || ring.Event.Name != "start_ringing" {
		t.Fatalf("got %+v (%+v), want start_ringing", ring, ring.Event)
	}
	cursor := ring.ID

	// The relay stops: the client is told to come back.
	stop1()
	if m := c.next(t); m.Type != stream.TypeBye {
		t.Errorf("at shutdown the client got %+v, want bye", m)
	}
	if err := p1.wait(); err != nil {
		t.Fatal(err)
	}
	// The call is answered while no relay runs: wait for the emulator to
	// have sent the answer (its second event), not for a guessed time.
	waitfor.Until(t, "the call to be answered while no relay runs", func() bool { return sim.Stats().Events >= 2 })

	cfg := relayConfig(dir, simSrv.URL+"/", token)
	cfg.Listen = p1.addr // the same address, as a restarted service
	p2, _ := startRelay(t, cfg)
	c = connect(t, p2.addr, secret, cursor)
	hello := c.next(t)
	if hello.Type != stream.TypeHello || hello.Hello.Cursor < cursor {
		t.Fatalf("after the restart: %+v, want hello with cursor ≥ %d", hello, cursor)
	}
	var got []stream.Message
	for len(got) < 2 {
		m := c.next(t)
		if m.Type == stream.TypeGap {
			t.Fatalf("gap after the restart: %+v", m.Gap)
		}
		got = append(got, m)
	}
	answer, end := got[0], got[1]
	if answer.ID != cursor+1 || answer.Event.Name != "start_calling" || answer.Event.Call.State != call.Answered {
		t.Errorf("first event after the restart: id %d %+v; want id %d start_calling (the answer during the restart)", answer.ID, answer.Event, cursor+1)
	}
	if end.ID != cursor+2 || end.Event.Call.State != call.Ended || end.Event.Call.RingAt.IsZero() || end.Event.Call.AnswerAt.IsZero() {
		t.Errorf("then id %d %+v; want id %d, the call ended with its ring and answer times (state kept across the restart)", end.ID, end.Event.Call, cursor+2)
	}
	// A client that was away the whole time (a long-poll whose cursor
	// says it has seen nothing yet) gets all three, from the store.
	req, _ := http.NewRequest("GET", "http://"+p2.addr+stream.PathPoll+"?cursor=0&wait=1", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var poll stream.Poll
	json.NewDecoder(resp.Body).Decode(&poll)
	if len(poll.Messages) != 3 || poll.Messages[0].ID != cursor || poll.Messages[2].ID != cursor+2 || poll.Cursor != cursor+2 {
		t.Errorf("long-poll from the start after the restart: %+v", poll)
	}
}

// TestAgentCommandsWithRunningRelay: while a relay runs, the agent and
// token commands go through its admin endpoint: a revoke closes the
// agent's connection at once.
func TestAgentCommandsWithRunningRelay(t *testing.T) {
	dir := t.TempDir()
	sim := ovhsim.New(ovhsim.Config{HoldTime: 300 * time.Millisecond})
	sim.AddLine(testBA, testLine, "Accueil")
	sim.AddLine(testBA, "0033972101011", "Support")
	simSrv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); simSrv.Close() })
	token, _ := sim.NewToken(testLine, "1 day")
	p, stop := startRelay(t, relayConfig(dir, simSrv.URL+"/", token))

	conn, errOut, err := runCmd(t, "agent", "add", "bob", "--lines", testLine, "-data", dir)
	if err != nil || strings.Contains(errOut, "changing the data file directly") {
		t.Fatalf("agent add: %v\n%s", err, errOut)
	}
	relayURL, secret, err := settings.ParseConnection(strings.TrimSpace(conn))
	if err != nil || relayURL != "http://"+p.addr {
		t.Fatalf("connection %q (%v): want the running relay's URL http://%s", conn, err, p.addr)
	}
	c := connect(t, p.addr, secret, 0)
	c.next(t) // hello
	if out, _, err := runCmd(t, "agent", "list", "-data", dir); err != nil || !strings.Contains(out, "bob") || !strings.Contains(out, testLine) {
		t.Errorf("agent list: %v\n%s", err, out)
	}
	if _, _, err := runCmd(t, "agent", "add", "bob", "--lines", testLine, "-data", dir); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("adding bob twice: %v", err)
	}
	if _, errOut, err := runCmd(t, "agent", "revoke", "bob", "-data", dir); err != nil || !strings.Contains(errOut, "1 open connection") {
		t.Errorf("agent revoke: %v\n%s", err, errOut)
	}
	if m := c.next(t); m.Type != stream.TypeError || m.Error.Code != stream.CodeRevoked {
		t.Errorf("bob's connection got %+v, want error revoked", m)
	}
	if _, _, err := runCmd(t, "agent", "rotate", "bob", "-data", dir); err == nil || !strings.Contains(err.Error(), "agent list") {
		t.Errorf("rotating a revoked agent: %v", err)
	}

	// Tokens: a second line's token, saved and polled at once.
	token2, _ := sim.NewToken("0033972101011", "1 hour")
	if _, errOut, err := runCmd(t, "token", "add", token2, "-billing-account", testBA, "-line", "0033972101011", "-expiration", "1 hour", "-data", dir); err != nil {
		t.Fatalf("token add: %v\n%s", err, errOut)
	}
	out, _, err := runCmd(t, "token", "list", "-data", dir)
	if err != nil || strings.Contains(out, token2) || strings.Count(out, "\n") != 3 || !strings.Contains(out, "0033972101011") {
		t.Errorf("token list (masked, the configured token and the saved one): %v\n%s", err, out)
	}
	if _, _, err := runCmd(t, "token", "remove", token2, "-data", dir); err != nil {
		t.Errorf("token remove: %v", err)
	}
	if _, _, err := runCmd(t, "token", "add", "not-a-token", "-billing-account", testBA, "-data", dir); err == nil {
		t.Error("a malformed token was saved")
	}

	// Once the relay stops, the commands open the data file themselves.
	stop()
	p.wait()
	if _, err := os.Stat(filepath.Join(dir, adminLinkFile)); err == nil {
		t.Error("admin.json is left behind")
	}
	out, errOut, err = runCmd(t, "agent", "list", "-data", dir)
	if err != nil || !strings.Contains(errOut, "reading the data file directly") || strings.Contains(errOut, "changing") {
		t.Errorf("agent list without a relay: %v\n%s%s", err, out, errOut)
	}
}

func TestCommandErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"agent"}, "missing command"},
		{[]string{"agent", "add", "-data", dir}, "give the agent's name"},
		{[]string{"agent", "add", "carol", "-data", dir}, "--lines"},
		{[]string{"agent", "add", "carol", "--lines", "hello world", "-data", dir}, "not an OVH line number"},
		{[]string{"agent", "add", "bad name", "--lines", "*", "-data", dir}, "agent name"},
		{[]string{"agent", "fly", "-data", dir}, "unknown command"},
		{[]string{"agent", "revoke", "nobody", "-data", dir}, "no agent named"},
		{[]string{"token", "add", "-data", dir}, "give the token"},
		{[]string{"token", "add", "1738D072-E7C8-4742-85C5-B22DA3D8BD8F", "-data", dir}, "billing account"},
		{[]string{"token", "add", "1738D072-E7C8-4742-85C5-B22DA3D8BD8F", "-billing-account", "x", "-expiration", "1 week", "-data", dir}, "expiration"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"-listen", "127.0.0.1:0", "-data", dir}, "no OVH event token"},
	} {
		_, _, err := runCmd(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.args, err, tt.want)
		}
	}
}

// TestTLS: with -tls-cert and -tls-key the relay serves https and wss
// itself, and its connection strings say https.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
	sim := ovhsim.New(ovhsim.Config{HoldTime: 300 * time.Millisecond})
	sim.AddLine(testBA, testLine, "Accueil")
	simSrv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); simSrv.Close() })
	token, _ := sim.NewToken(testLine, "1 day")
	cfg := relayConfig(dir, simSrv.URL+"/", token)
	cfg.TLSCert, cfg.TLSKey, cfg.AllowAnonymous = certFile, keyFile, true
	p, _ := startRelay(t, cfg)
	if p.publicURL != "https://"+p.addr {
		t.Errorf("public URL %s, want https", p.publicURL)
	}
	pool := x509.NewCertPool()
	certPEM, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(certPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "wss://"+p.addr+stream.PathStream, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"auth","secret":""}`))
	_, b, err := c.Read(ctx)
	if err != nil || !strings.Contains(string(b), `"type":"hello"`) {
		t.Fatalf("over wss: %s %v", b, err)
	}
	if resp, err := http.Get("http://" + p.addr + "/healthz"); err == nil && resp.StatusCode == 200 {
		t.Error("plain http answered on the TLS port")
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pemEncode("CERTIFICATE", der), 0o600)
	os.WriteFile(keyFile, pemEncode("EC PRIVATE KEY", kb), 0o600)
	return certFile, keyFile
}

func pemEncode(typ string, b []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b})
}

// TestRenewalWiring: with OVH API credentials in the OVH_* variables and
// the configured token's billing account, a token OVH revokes mid-run is
// renewed through go-ovh, saved, and calls keep coming.
func TestRenewalWiring(t *testing.T) {
	dir := t.TempDir()
	sim := ovhsim.New(ovhsim.Config{HoldTime: 300 * time.Millisecond})
	sim.AddLine(testBA, testLine, "Accueil")
	sim.AddApplication("app-key", "app-secret")
	sim.AddConsumerKey("app-key", "consumer-key")
	simSrv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); simSrv.Close() })
	t.Setenv("OVH_ENDPOINT", simSrv.URL+"/1.0")
	t.Setenv("OVH_APPLICATION_KEY", "app-key")
	t.Setenv("OVH_APPLICATION_SECRET", "app-secret")
	t.Setenv("OVH_CONSUMER_KEY", "consumer-key")
	token, _ := sim.NewToken(testBA, "30 days")
	cfg := relayConfig(dir, simSrv.URL+"/", token)
	cfg.TokenBillingAccount, cfg.TokenExpiration, cfg.AllowAnonymous = testBA, "30 days", true
	p, _ := startRelay(t, cfg)
	c := connect(t, p.addr, "", 0)
	c.next(t) // hello

	sim.RevokeToken(token)
	var saved []relay.TokenInfo
	waitfor.Until(t, "the renewed token to be saved and polled", func() bool {
		saved, _ = p.relay.ListTokens(context.Background())
		return len(saved) == 1 && saved[0].Saved && saved[0].Token != upstream.Mask(token) && saved[0].Status == "polling"
	})
	if len(saved) != 1 || !saved[0].Saved || saved[0].Expiration != "30 days" || saved[0].Scope != store.ScopeBillingAccount {
		t.Fatalf("tokens after the revocation: %+v", saved)
	}
	sim.Ring(ovhsim.Call{Line: testLine, Scenario: ovhsim.Missed, RingFor: 100 * time.Millisecond})
	if m := c.next(t); m.Type != stream.TypeEvent {
		t.Fatalf("after the renewal got %+v", m)
	}
}
