package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/stream"
)

// fleet is N simulated extensions connected to the relay. Each agent has one
// goroutine that reads messages and notes, for each event, its ID and when
// it arrived; everything else is computed after a phase.
type fleet struct {
	url    string // ws://…/v1/stream
	client *http.Client
	ctx    context.Context // lifetime of every connection
	cancel context.CancelFunc

	mu     sync.Mutex
	agents []*agent

	received atomic.Int64 // event messages received, all agents together
	// stamps maps an event ID to its stream.Event.Received (Unix ns): every
	// agent gets the same bytes, so each event's timestamp is parsed once.
	stamps sync.Map
}

// agent is one extension's connection and what it received.
type agent struct {
	conn   *websocket.Conn
	cursor uint64 // newest event ID when it connected (its hello)

	mu   sync.Mutex
	got  []delivery
	dead error // why the connection ended, if it did
}

type delivery struct {
	id uint64
	at int64 // Unix ns when the whole message had been read
}

// refusedError is the relay saying no (an error message instead of hello):
// retrying won't help.
type refusedError struct{ code, msg string }

func (e *refusedError) Error() string {
	return fmt.Sprintf("the relay refused the agent: %s: %s", e.code, e.msg)
}

func newFleet(relayAddr string) *fleet {
	ctx, cancel := context.WithCancel(context.Background())
	tr := &http.Transport{
		Proxy:       nil, // loopback
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}
	return &fleet{
		url:    "ws://" + relayAddr + "/v1/stream",
		client: &http.Client{Transport: tr},
		ctx:    ctx,
		cancel: cancel,
	}
}

// connect opens n connections, at most parallel at a time, each retried
// on transient errors. Each counts as connected once its hello arrived.
func (f *fleet) connect(ctx context.Context, n, parallel int) error {
	next := atomic.Int64{}
	var (
		wg      sync.WaitGroup
		errMu   sync.Mutex
		errs    = map[string]int{}
		failed  int
		refused *refusedError
	)
	for range min(parallel, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				if int(next.Add(1)) > n {
					return
				}
				a, err := f.dialRetry(ctx)
				if err != nil {
					errMu.Lock()
					failed++
					errs[err.Error()]++
					if errors.As(err, &refused) {
						next.Store(int64(n)) // no point in trying the others
					}
					errMu.Unlock()
					continue
				}
				f.mu.Lock()
				f.agents = append(f.agents, a)
				f.mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if refused != nil {
		return fmt.Errorf("agents could not connect: %w", refused)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d agents could not connect: %s", failed, n, summarize(errs))
	}
	return nil
}

// dialRetry connects one agent, retrying transient failures with backoff.
func (f *fleet) dialRetry(ctx context.Context) (*agent, error) {
	const attempts = 8
	for i := 1; ; i++ {
		a, err := f.dial(ctx)
		var refused *refusedError
		if err == nil || errors.As(err, &refused) || i == attempts || ctx.Err() != nil {
			return a, err
		}
		d := min(50*time.Millisecond<<i, 2*time.Second)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(d/2 + rand.N(d/2)):
		}
	}
}

// dial opens one connection, authenticates as an anonymous agent and waits
// for the relay's hello.
func (f *fleet) dial(ctx context.Context) (*agent, error) {
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(dctx, f.url, &websocket.DialOptions{HTTPClient: f.client})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(4 << 20) // a hello lists every live call
	auth, _ := json.Marshal(stream.ClientMessage{Type: stream.TypeAuth, Secret: ""})
	if err := c.Write(dctx, websocket.MessageText, auth); err != nil {
		c.CloseNow()
		return nil, fmt.Errorf("sending auth: %w", err)
	}
	a := &agent{conn: c}
	ready := make(chan error, 1)
	go f.read(a, ready)
	select {
	case err := <-ready:
		if err != nil {
			c.CloseNow()
			return nil, err
		}
		return a, nil
	case <-dctx.Done():
		c.CloseNow()
		return nil, fmt.Errorf("no hello within 20 s: %w", dctx.Err())
	}
}

var (
	eventPrefix = []byte(`{"type":"event","id":`)
	receivedKey = []byte(`"received":"`)
)

// parseEvent reads an event message's ID and Received timestamp without
// decoding the rest: with 10,000 agents the bench shares the relay's two
// cores, and a full JSON decode per message would slow the relay down.
// stream.Message encodes type, id, event in that order and Received is the
// event's last field; anything else takes the slow path.
func parseEvent(b []byte) (id uint64, received []byte, ok bool) {
	rest, ok := bytes.CutPrefix(b, eventPrefix)
	if !ok {
		return 0, nil, false
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		id = id*10 + uint64(rest[n]-'0')
		n++
	}
	if n == 0 || n == len(rest) || rest[n] != ',' {
		return 0, nil, false
	}
	i := bytes.LastIndex(rest, receivedKey)
	if i < 0 {
		return 0, nil, false
	}
	v := rest[i+len(receivedKey):]
	j := bytes.IndexByte(v, '"')
	if j < 0 {
		return 0, nil, false
	}
	return id, v[:j], true
}

// read is an agent's reader goroutine. ready gets nil at the hello, or why
// there was none.
func (f *fleet) read(a *agent, ready chan<- error) {
	buf := make([]byte, 0, 1024)
	reported := false // ready has had its answer
	fail := func(err error) {
		if !reported {
			reported = true
			ready <- err
			return
		}
		a.mu.Lock()
		a.dead = err
		a.mu.Unlock()
	}
	for {
		_, r, err := a.conn.Reader(context.Background()) // a shared ctx costs a callback per message behind one mutex
		if err == nil {
			buf, err = readAll(r, buf[:0])
		}
		at := time.Now().UnixNano()
		if err != nil {
			if f.ctx.Err() == nil {
				fail(err)
			}
			return
		}
		if id, received, ok := parseEvent(buf); ok {
			f.record(a, id, at, string(received))
			continue
		}
		var m stream.Message
		if err := json.Unmarshal(buf, &m); err != nil {
			fail(fmt.Errorf("undecodable message %.80q: %v", buf, err))
			return
		}
		switch m.Type {
		case stream.TypeHello:
			if !reported && m.Hello != nil {
				a.cursor = m.Hello.Cursor
				reported = true
				ready <- nil
			}
		case stream.TypeEvent:
			if m.Event != nil {
				f.record(a, m.ID, at, m.Event.Received.Format(time.RFC3339Nano))
			}
		case stream.TypePing:
		case stream.TypeError:
			if m.Error != nil {
				fail(&refusedError{m.Error.Code, m.Error.Message})
			} else {
				fail(errors.New("error message without details"))
			}
			return
		default: // gap, bye: the relay restarted or is cutting the agent off
			fail(fmt.Errorf("unexpected %q message: %.120s", m.Type, buf))
			if m.Type != stream.TypeGap {
				return
			}
		}
	}
}

func (f *fleet) record(a *agent, id uint64, at int64, received string) {
	if _, ok := f.stamps.Load(id); !ok {
		t, err := time.Parse(time.RFC3339Nano, received)
		if err == nil {
			f.stamps.LoadOrStore(id, t.UnixNano())
		}
	}
	a.mu.Lock()
	a.got = append(a.got, delivery{id, at})
	a.mu.Unlock()
	f.received.Add(1)
}

// readAll reads a message into buf, reusing its storage.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// phaseReport is what the agents saw of the events with IDs in (from, to].
type phaseReport struct {
	latencies  []time.Duration // one per delivery, sorted
	deliveries int
	missing    int            // deliveries that never came
	short      int            // agents that missed at least one event
	example    string         // one agent's missing IDs, for the report
	dead       map[string]int // why connections ended, by reason
	noStamp    int            // events whose Received could not be parsed
}

// collect gathers the deliveries of events (from, to].
func (f *fleet) collect(from, to uint64) phaseReport {
	f.mu.Lock()
	agents := f.agents
	f.mu.Unlock()
	want := int(to - from)
	rep := phaseReport{dead: map[string]int{}}
	stamps := make([]int64, want)
	for i := range stamps {
		if v, ok := f.stamps.Load(from + 1 + uint64(i)); ok {
			stamps[i] = v.(int64)
		}
	}
	seen := make([]bool, want)
	for _, a := range agents {
		clear(seen)
		a.mu.Lock()
		for _, d := range a.got {
			if d.id <= from || d.id > to {
				continue
			}
			k := int(d.id - from - 1)
			if seen[k] {
				continue // a duplicate would be a relay bug; count it once
			}
			seen[k] = true
			rep.deliveries++
			if stamps[k] == 0 {
				rep.noStamp++
				continue
			}
			rep.latencies = append(rep.latencies, time.Duration(d.at-stamps[k]))
		}
		if a.dead != nil {
			rep.dead[a.dead.Error()]++
		}
		a.mu.Unlock()
		var miss []string
		for k, ok := range seen {
			if !ok {
				miss = append(miss, fmt.Sprint(from+1+uint64(k)))
			}
		}
		if len(miss) > 0 {
			rep.short++
			rep.missing += len(miss)
			if rep.example == "" {
				if len(miss) > 10 {
					miss = append(miss[:10], "…")
				}
				rep.example = fmt.Sprintf("an agent connected at cursor %d missed events %s", a.cursor, strings.Join(miss, ","))
			}
		}
	}
	sort.Slice(rep.latencies, func(i, j int) bool { return rep.latencies[i] < rep.latencies[j] })
	return rep
}

// waiting counts the agents still connected that have not got every event
// in (from, to] yet.
func (f *fleet) waiting(from, to uint64) int {
	f.mu.Lock()
	agents := f.agents
	f.mu.Unlock()
	want := int(to - from)
	n := 0
	for _, a := range agents {
		a.mu.Lock()
		got := 0
		for i := len(a.got) - 1; i >= 0 && a.got[i].id > from; i-- {
			if a.got[i].id <= to {
				got++
			}
		}
		if a.dead == nil && got < want {
			n++
		}
		a.mu.Unlock()
	}
	return n
}

// count is the number of connected agents.
func (f *fleet) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.agents)
}

// close drops every connection at once (no close handshake: the relay
// sees the TCP connections end).
func (f *fleet) close() {
	f.cancel()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.agents {
		a.conn.CloseNow()
	}
}

// summarize lists error messages by frequency, most frequent first.
func summarize(errs map[string]int) string {
	type kv struct {
		msg string
		n   int
	}
	var list []kv
	for m, n := range errs {
		list = append(list, kv{m, n})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].n > list[j].n })
	var b strings.Builder
	for i, e := range list {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d other errors", len(list)-3)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%d× %s", e.n, e.msg)
	}
	return b.String()
}
