package relay

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/server/upstream"
)

const (
	testBA    = "ab12345-ovh-1"
	testLine  = "0033972101010"
	testLine2 = "0033972101011"
)

// harness is the OVH emulator, a relay with a store polling it over HTTP
// with a billing-account token (both lines), and the relay's API served.
type harness struct {
	sim    *ovhsim.Sim
	simSrv *httptest.Server
	store  *store.Store
	relay  *Relay
	srv    *httptest.Server
	token  string
}

// quiet is a logger for tests: warnings and errors only, to the test log.
func quiet(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// newHarness starts everything; cfg's zero fields get test values. With
// cfg.Store set to nil the relay has a fresh store in a temporary folder.
func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	h := &harness{}
	h.sim = ovhsim.New(ovhsim.Config{HoldTime: 500 * time.Millisecond})
	h.sim.AddLine(testBA, testLine, "Accueil")
	h.sim.AddLine(testBA, testLine2, "Support")
	h.simSrv = httptest.NewServer(h.sim)
	t.Cleanup(func() {
		h.sim.Close()
		h.simSrv.Close()
	})
	var err error
	if h.token, err = h.sim.NewToken(testBA, "1 day"); err != nil {
		t.Fatal(err)
	}
	if cfg.Store == nil {
		h.store = openStore(t, filepath.Join(t.TempDir(), "screenpop.db"))
		cfg.Store = h.store
	} else {
		h.store = cfg.Store
	}
	if cfg.Log == nil {
		cfg.Log = quiet(t)
	}
	cfg.EventsURL = h.simSrv.URL + "/"
	if cfg.PollBackoff.Min == 0 {
		cfg.PollBackoff = upstream.Backoff{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond}
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = time.Second
	}
	if cfg.AuthTimeout == 0 {
		cfg.AuthTimeout = 500 * time.Millisecond
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://relay.test"
	}
	if h.relay, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.relay.Close() })
	h.srv = httptest.NewServer(h.relay.Handler())
	t.Cleanup(h.srv.Close)
	t.Cleanup(h.relay.Shutdown) // before srv.Close (cleanups run last first): clients leave
	if err := h.relay.Poll(store.Token{Value: h.token, Scope: store.ScopeBillingAccount, BillingAccount: testBA, Expiration: "1 day"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.sim.WaitActivePolls(ctx, 1); err != nil {
		t.Fatal("the relay never polled the emulator:", err)
	}
	return h
}

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// agent adds an agent and returns its secret.
func (h *harness) agent(t *testing.T, name string, lines ...string) string {
	t.Helper()
	ns, err := h.relay.AddAgent(context.Background(), name, lines)
	if err != nil {
		t.Fatal(err)
	}
	return ns.Secret
}

// ring rings a call on line and returns its OVH call id.
func (h *harness) ring(t *testing.T, line, scenario string) string {
	t.Helper()
	id, err := h.sim.Ring(ovhsim.Call{Line: line, Scenario: scenario, RingFor: 100 * time.Millisecond, TalkFor: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// wsClient is a WebSocket client reading messages in the background.
type wsClient struct {
	c    *websocket.Conn
	msgs chan stream.Message
	raw  chan []byte
	// closed receives the close error once the connection ends.
	closed chan error
}

// dialWS connects to the stream; auth is the first message to send
// ("" sends none).
func (h *harness) dialWS(t *testing.T, cursor uint64, auth string) *wsClient {
	t.Helper()
	query := ""
	if cursor > 0 {
		query = "?cursor=" + itoa(cursor)
	}
	return h.dialWSQuery(t, query, auth)
}

func (h *harness) dialWSQuery(t *testing.T, query, auth string) *wsClient {
	t.Helper()
	u := "ws" + strings.TrimPrefix(h.srv.URL, "http") + stream.PathStream + query
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"chrome-extension://abcdefgh"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	if auth != "" {
		if err := c.Write(ctx, websocket.MessageText, []byte(auth)); err != nil {
			t.Fatal(err)
		}
	}
	w := &wsClient{c: c, msgs: make(chan stream.Message, 1000), raw: make(chan []byte, 1000), closed: make(chan error, 1)}
	go func() {
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				w.closed <- err
				close(w.msgs)
				return
			}
			var m stream.Message
			json.Unmarshal(b, &m)
			w.raw <- b
			w.msgs <- m
		}
	}()
	return w
}

func authMessage(secret string) string {
	b, _ := json.Marshal(stream.ClientMessage{Type: stream.TypeAuth, Secret: secret})
	return string(b)
}

// next returns the next message, failing after d.
func (w *wsClient) next(t *testing.T, d time.Duration) stream.Message {
	t.Helper()
	select {
	case m, ok := <-w.msgs:
		if !ok {
			t.Fatalf("the connection closed: %v", <-w.closed)
		}
		<-w.raw
		return m
	case <-time.After(d):
		t.Fatalf("no message within %v", d)
	}
	return stream.Message{}
}

// nextEvent skips pings and the relay's link to OVH (TypeUpstream, which
// changes as the poller starts or fails) and returns the next other
// message.
func (w *wsClient) nextEvent(t *testing.T, d time.Duration) stream.Message {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		m := w.next(t, time.Until(deadline))
		if m.Type != stream.TypePing && m.Type != stream.TypeUpstream {
			return m
		}
	}
}

// waitClosed waits for the connection to end and returns the close status.
func (w *wsClient) waitClosed(t *testing.T, d time.Duration) websocket.StatusCode {
	t.Helper()
	for {
		select {
		case _, ok := <-w.msgs:
			if ok {
				<-w.raw
				continue
			}
			return websocket.CloseStatus(<-w.closed)
		case <-time.After(d):
			t.Fatalf("the connection is still open after %v", d)
		}
	}
}

// get does an agent API request with secret (none when "").
func (h *harness) request(t *testing.T, method, path, secret string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// poll does one long-poll from cursor (a cursor always: see request for none).
func (h *harness) poll(t *testing.T, secret string, cursor uint64, wait int) stream.Poll {
	t.Helper()
	resp, b := h.request(t, "GET", stream.PathPoll+"?cursor="+itoa(cursor)+"&wait="+itoa(uint64(wait)), secret, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("poll: %s %s", resp.Status, b)
	}
	var p stream.Poll
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// sse reads Server-Sent Events in the background.
type sseClient struct {
	resp   *http.Response
	events chan sseEvent
}

type sseEvent struct {
	id   string
	data []byte
}

func (h *harness) dialSSE(t *testing.T, secret string, cursor uint64) *sseClient {
	t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+stream.PathSSE+"?cursor="+itoa(cursor), nil)
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("SSE: %s %s", resp.Status, b)
	}
	s := &sseClient{resp: resp, events: make(chan sseEvent, 1000)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "data: "):
				ev.data = []byte(line[6:])
			case line == "" && ev.data != nil:
				s.events <- ev
				ev = sseEvent{}
			}
		}
	}()
	return s
}

// nextMessage returns the next SSE message that is not a ping.
func (s *sseClient) nextMessage(t *testing.T, d time.Duration) (stream.Message, sseEvent) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatal("the SSE stream ended")
			}
			var m stream.Message
			if err := json.Unmarshal(ev.data, &m); err != nil {
				t.Fatalf("SSE data %q: %v", ev.data, err)
			}
			if m.Type != stream.TypePing {
				return m, ev
			}
		case <-deadline:
			t.Fatalf("no SSE message within %v", d)
		}
	}
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// errorCode decodes an error answer's code.
func errorCode(b []byte) string {
	var m stream.Message
	if json.Unmarshal(b, &m) != nil || m.Error == nil {
		return ""
	}
	return m.Error.Code
}

func TestMain(m *testing.M) {
	// go-ovh must not pick up the machine's OVH credentials.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "OVH_") {
			os.Unsetenv(k)
		}
	}
	os.Exit(m.Run())
}

// newServer serves r's API for the test.
func newServer(t *testing.T, r *Relay) *httptest.Server {
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(r.Shutdown)
	return srv
}
