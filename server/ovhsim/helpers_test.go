package ovhsim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/memhttp"
	"github.com/screenpop/screenpop/internal/ovhevent"
)

const (
	testBA    = "ab12345-ovh-1"
	testLine  = "0033972101010"
	testLine2 = "0033972101011"
	testQueue = "0033972101099"
	testHold  = 300 * time.Millisecond
)

// newTestSim returns a Sim with two lines and a queue on one billing
// account, served by an httptest server closed at the end of the test.
func newTestSim(t testing.TB, cfg Config) (*Sim, *httptest.Server) {
	t.Helper()
	sim := newLinesSim(t, cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return sim, srv
}

// newLinesSim returns a Sim with two lines and a queue on one billing
// account, with cfg's HoldTime and Logf defaulting to testHold and t.Logf.
func newLinesSim(t testing.TB, cfg Config) *Sim {
	if cfg.HoldTime == 0 {
		cfg.HoldTime = testHold
	}
	if cfg.Logf == nil {
		cfg.Logf = t.Logf
	}
	sim := New(cfg)
	sim.AddLine(testBA, testLine, "Accueil")
	sim.AddLine(testBA, testLine2, "Support")
	sim.AddQueue(testBA, testQueue, "File support", KindEasyHunting)
	return sim
}

// newBubbleSim is newTestSim for a testing/synctest bubble: the server is
// in memory (memhttp), so that the bubble's clock runs while polls are
// held, and poll and listen reach it through its client. Its calls ring
// and end on the fake clock: no test waits for them.
func newBubbleSim(t testing.TB, cfg Config) (*Sim, *memhttp.Server) {
	t.Helper()
	sim := newLinesSim(t, cfg)
	srv := memhttp.NewServer(t, sim)
	memClients.Store(srv.URL, srv.Client)
	t.Cleanup(func() {
		memClients.Delete(srv.URL)
		sim.Close()
	})
	return sim, srv
}

// memClients maps the URL of each memhttp server to the only client that
// reaches it.
var memClients sync.Map

// clientFor is the client that reaches base.
func clientFor(base string) *http.Client {
	if c, ok := memClients.Load(base); ok {
		return c.(*http.Client)
	}
	return http.DefaultClient
}

func mustToken(t testing.TB, sim *Sim, scope, expiration string) string {
	t.Helper()
	tok, err := sim.NewToken(scope, expiration)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// pollResult is one answer of the events endpoint, as seen on the wire.
type pollResult struct {
	status int
	header http.Header
	raw    []byte
	answer ovhevent.Answer
	err    error // transport error, or decode error for a 200 or 403
	took   time.Duration
}

func pollURL(base, token, session string) string {
	v := url.Values{"token": {token}}
	if session != "" {
		v.Set("session", session)
	}
	return base + "/?" + v.Encode()
}

func poll(ctx context.Context, base, token, session string) pollResult {
	start := time.Now()
	var res pollResult
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, pollURL(base, token, session), nil)
	resp, err := clientFor(base).Do(req)
	res.took = time.Since(start)
	if err != nil {
		res.err = err
		return res
	}
	defer resp.Body.Close()
	res.status, res.header = resp.StatusCode, resp.Header
	res.raw, res.err = io.ReadAll(resp.Body)
	if res.err == nil {
		res.answer, res.err = ovhevent.Decode(res.raw)
	}
	res.took = time.Since(start)
	return res
}

// heldPoll starts a poll of base with token and no session, and returns
// its answer's channel once sim holds it.
func heldPoll(t testing.TB, sim *Sim, base, token string) <-chan pollResult {
	t.Helper()
	got := make(chan pollResult, 1)
	go func() { got <- poll(context.Background(), base, token, "") }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sim.WaitActivePolls(ctx, 1); err != nil {
		t.Fatal(err)
	}
	return got
}

// mustPoll polls and fails the test on a transport or decode error, or a
// status other than 200.
func mustPoll(t testing.TB, base, token, session string) pollResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := poll(ctx, base, token, session)
	if res.err != nil || res.status != http.StatusOK {
		t.Fatalf("poll: status %d, err %v, body %s", res.status, res.err, res.raw)
	}
	return res
}

// listener polls one token in a loop, like a client, and collects events.
type listener struct {
	mu     sync.Mutex
	events []ovhevent.Event
	raws   [][]byte
	notify chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// listen starts a listener and returns once its first poll is held, so
// that it sees every event emitted afterwards.
func listen(t testing.TB, sim *Sim, base, token string) *listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{notify: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	before := sim.Stats().ActivePolls
	go func() {
		defer close(l.done)
		session := ""
		for ctx.Err() == nil {
			res := poll(ctx, base, token, session)
			if res.err != nil || res.status != http.StatusOK {
				if ctx.Err() == nil {
					t.Errorf("listener poll: status %d, err %v, body %s", res.status, res.err, res.raw)
				}
				return
			}
			session = res.answer.Session
			if len(res.answer.Events) > 0 {
				l.mu.Lock()
				l.events = append(l.events, res.answer.Events...)
				l.raws = append(l.raws, res.raw)
				l.mu.Unlock()
				select {
				case l.notify <- struct{}{}:
				default:
				}
			}
		}
	}()
	t.Cleanup(l.stop)
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	if err := sim.WaitActivePolls(wctx, before+1); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *listener) stop() {
	l.cancel()
	<-l.done
}

// wait returns once n events arrived, or fails the test after timeout.
func (l *listener) wait(t testing.TB, n int, timeout time.Duration) []ovhevent.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		got := append([]ovhevent.Event(nil), l.events...)
		l.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-l.notify:
		case <-deadline:
			t.Fatalf("got %d events, want %d: %v", len(got), n, names(got))
		}
	}
}

// count returns the events received so far.
func (l *listener) received() []ovhevent.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ovhevent.Event(nil), l.events...)
}

func names(evs []ovhevent.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Name()
	}
	return out
}

// postJSON sends a control API request and decodes the JSON answer.
func postJSON(t testing.TB, method, u string, body string, out any) int {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, r)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: status %d, body %q: %v", method, u, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}
