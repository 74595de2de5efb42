package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/stream"
)

// fleet is N simulated extensions connected to the relay. They share
// the relay's cores, so they must cost as little as possible: once its
// hello is in, an agent is a bare non-blocking socket in an epoll set,
// and a goroutine per set (readLoop) reads whichever sockets are ready,
// notes for each event its ID and the time of the read that completed
// it, and goes back to epoll_wait. That is a system call per ready
// socket and no goroutine, channel or allocation per message: with a
// goroutine per agent, blocked in a WebSocket library's reader, the
// bench used more CPU than the relay. Everything else is computed after
// a phase.
//
// There is one set and reader per core: agents on their own machines read
// in parallel, and a single reader would be a queue of its own, adding
// its wait to the latency measured.
type fleet struct {
	addr  string // the relay's host:port
	path  string // /v1/stream
	epfds []int  // one epoll set per reader

	// mu guards agents and what they received. A reader holds it while it
	// handles what one read got, not during the read: an agent's socket
	// and partial frame are its reader's alone.
	mu     sync.Mutex
	agents []*agent
	// stamps maps an event ID to its stream.Event.Received (Unix ns): every
	// agent gets the same bytes, so each event's timestamp is parsed once.
	stamps map[uint64]int64
	// lines maps an event ID to its call's line, from the first agent
	// that got it: what the others of the line's team must get.
	lines map[uint64]string

	readEvery time.Duration // see readLoop

	received   atomic.Int64 // event messages received, all agents together
	eventBytes int64        // their size, all together; guarded by mu
	reads      int64        // reads that got data, all agents together; guarded by mu
	closed     atomic.Bool
	done       chan struct{} // closed when every readLoop returned
}

// agent is one extension's connection and what it received.
type agent struct {
	fd     int    // non-blocking socket, out of Go's poller; -1 once closed
	epfd   int    // the epoll set (reader) it is in
	cursor uint64 // newest event ID when it connected (its hello)
	line   string // the one line it sees; "": every line

	// Guarded by the fleet's mu.
	partial []byte // the start of a frame not read whole yet
	got     []delivery
	dead    error // why the connection ended, if it did
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

func newFleet(relayAddr string, readEvery time.Duration) (*fleet, error) {
	f := &fleet{addr: relayAddr, path: "/v1/stream", stamps: map[uint64]int64{}, lines: map[uint64]string{}, readEvery: readEvery, done: make(chan struct{})}
	for range runtime.GOMAXPROCS(0) {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			for _, fd := range f.epfds {
				syscall.Close(fd)
			}
			return nil, fmt.Errorf("epoll: %v", err)
		}
		f.epfds = append(f.epfds, epfd)
	}
	var wg sync.WaitGroup
	for _, epfd := range f.epfds {
		wg.Go(func() { f.readLoop(epfd) })
	}
	go func() {
		wg.Wait()
		close(f.done)
	}()
	return f, nil
}

// team is whom an agent connects as: an agent's secret and the one line
// it sees. The zero team is anonymous and sees every line.
type team struct{ secret, line string }

// connect opens n connections, at most parallel at a time, each retried
// on transient errors, the i-th as teams[i % len(teams)] (anonymous if
// there are none). Each counts as connected once its hello arrived.
func (f *fleet) connect(ctx context.Context, n, parallel int, teams []team) error {
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
				i := int(next.Add(1))
				if i > n {
					return
				}
				var t team
				if len(teams) > 0 {
					t = teams[i%len(teams)]
				}
				_, err := f.dialRetry(ctx, t)
				if err != nil {
					errMu.Lock()
					failed++
					errs[err.Error()]++
					if errors.As(err, &refused) {
						next.Store(int64(n)) // no point in trying the others
					}
					errMu.Unlock()
				}
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
func (f *fleet) dialRetry(ctx context.Context, t team) (*agent, error) {
	const attempts = 8
	for i := 1; ; i++ {
		a, err := f.dial(ctx, t)
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

// dial opens one connection: coder/websocket does the opening handshake
// and writes the auth message as t, then the relay's hello is read by
// hand from the TCP socket, which readLoop then gets.
//
// The hello is not read through coder/websocket: its reader buffers what
// it reads, and what the relay sends right after the hello (a replay, an
// event) would be left in that buffer, where readLoop cannot get it. Up
// to the hello, nothing is buffered anywhere: the relay says nothing
// between its 101 answer and the auth message, so net/http's reader holds
// nothing past the answer, and coder/websocket has read nothing yet.
func (f *fleet) dial(ctx context.Context, t team) (*agent, error) {
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var nc net.Conn // the TCP connection under the WebSocket, set by the dial
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			nc = c
			return c, err
		},
		DisableKeepAlives: true,
	}
	c, resp, err := websocket.Dial(dctx, "ws://"+f.addr+f.path, &websocket.DialOptions{
		HTTPClient:      &http.Client{Transport: tr},
		CompressionMode: websocket.CompressionDisabled, // readLoop reads plain frames
	})
	if err != nil {
		if resp != nil && resp.Body != nil { // the relay's answer, as coder/websocket kept it
			b, _ := io.ReadAll(resp.Body)
			return nil, fmt.Errorf("%w: %s", err, bytes.TrimSpace(b))
		}
		return nil, err
	}
	// Closes the connection without a close frame: readLoop has a
	// duplicate of the socket, which keeps the TCP connection open.
	defer c.CloseNow()
	deadline, _ := dctx.Deadline()
	nc.SetDeadline(deadline)
	auth, _ := json.Marshal(stream.ClientMessage{Type: stream.TypeAuth, Secret: t.secret})
	if err := c.Write(dctx, websocket.MessageText, auth); err != nil {
		return nil, fmt.Errorf("sending auth: %w", err)
	}
	br := bufio.NewReaderSize(nc, 4096)
	a := &agent{fd: -1, line: t.line}
	if err := readHello(br, a); err != nil {
		return nil, err
	}
	// What came after the hello (a replay, an event) is readLoop's.
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		a.partial = bytes.Clone(b)
	}
	fd, err := dupSocket(nc)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	a.fd = fd
	if err := f.add(a); err != nil {
		return nil, err
	}
	return a, nil
}

// readFrameHeader reads a frame's header from br up to its payload
// length (RFC 6455 §5.2): the first two bytes (FIN, opcode; mask bit)
// and the length, 7-bit or extended.
func readFrameHeader(br *bufio.Reader) (b0, b1 byte, n int64, err error) {
	var h [8]byte
	if _, err := io.ReadFull(br, h[:2]); err != nil {
		return 0, 0, 0, err
	}
	b0, b1, n = h[0], h[1], int64(h[1]&0x7f)
	switch n {
	case 126:
		if _, err := io.ReadFull(br, h[:2]); err != nil {
			return 0, 0, 0, err
		}
		n = int64(binary.BigEndian.Uint16(h[:2]))
	case 127:
		if _, err := io.ReadFull(br, h[:8]); err != nil {
			return 0, 0, 0, err
		}
		n = int64(binary.BigEndian.Uint64(h[:8]))
	}
	return b0, b1, n, nil
}

// dupSocket is a duplicate of nc's descriptor, for a bare socket out of
// Go's poller once nc is closed (close-on-exec, still in nc's mode).
func dupSocket(nc net.Conn) (int, error) {
	file, err := nc.(*net.TCPConn).File()
	if err != nil {
		return -1, err
	}
	fd, err := syscall.Dup(int(file.Fd()))
	file.Close()
	if err != nil {
		return -1, err
	}
	syscall.CloseOnExec(fd)
	return fd, nil
}

// randomBytes fills b with random bytes: masks only need to vary, not to
// be secret.
func randomBytes(b []byte) {
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
}

// readHello reads messages until the hello, which sets a's cursor. An
// error message instead is a refusal.
func readHello(br *bufio.Reader, a *agent) error {
	for {
		b0, _, n, err := readFrameHeader(br)
		if err != nil {
			return err
		}
		op := b0 & 0x0f
		if n > 4<<20 { // a hello lists every live call; still bounded
			return fmt.Errorf("a %d-byte message before the hello", n)
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(br, p); err != nil {
			return err
		}
		if op != opText {
			return fmt.Errorf("frame opcode %d before the hello", op)
		}
		var m stream.Message
		if err := json.Unmarshal(p, &m); err != nil {
			return fmt.Errorf("undecodable message %.80q: %v", p, err)
		}
		switch {
		case m.Type == stream.TypeHello && m.Hello != nil:
			a.cursor = m.Hello.Cursor
			return nil
		case m.Type == stream.TypeError && m.Error != nil:
			return &refusedError{m.Error.Code, m.Error.Message}
		case m.Type == stream.TypeError:
			return errors.New("error message without details")
		}
	}
}

// WebSocket opcodes and bits (RFC 6455 §5.2).
const (
	finBit  = 0x80
	maskBit = 0x80
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xa
)

// clientFrame is one final frame from a client: masked, as RFC 6455
// requires (the payload is at most 125 bytes here: a pong).
func clientFrame(op byte, p []byte) []byte {
	var key [4]byte
	randomBytes(key[:])
	b := append([]byte{finBit | op, maskBit | byte(len(p))}, key[:]...)
	for i, c := range p {
		b = append(b, c^key[i%4])
	}
	return b
}

// add registers a connected agent with readLoop.
func (f *fleet) add(a *agent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed.Load() {
		syscall.Close(a.fd)
		return errors.New("fleet closed")
	}
	id := len(f.agents)
	f.agents = append(f.agents, a)
	// Edge-triggered: reported once per arrival, so readAgent reads until
	// the socket is empty. Data already there when it is added is
	// reported too.
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollET, Fd: int32(id)}
	a.epfd = f.epfds[id%len(f.epfds)]
	if err := syscall.EpollCtl(a.epfd, syscall.EPOLL_CTL_ADD, a.fd, &ev); err != nil {
		f.agents = f.agents[:id]
		syscall.Close(a.fd)
		return fmt.Errorf("epoll_ctl: %v", err)
	}
	return nil
}

// epollET is syscall.EPOLLET as the uint32 an EpollEvent holds (the
// syscall package declares it as a negative int).
const epollET = 1 << 31

// readBuffer is what readLoop reads a socket into: more than a burst of
// events to one agent (each under 1 KiB), so one read takes them all.
const readBuffer = 256 << 10

// readLoop reads the sockets of the agents in the epoll set epfd. It
// wakes at least every 100 ms to see whether the fleet was closed.
//
// It reads at most every readEvery: in between, what the relay writes
// piles up in the sockets, and one epoll_wait returns hundreds of them.
// Woken for each socket instead, it costs both processes a wake-up (a
// context switch here, an inter-processor wake in the relay's write)
// per delivery, more than the read itself. A message is then stamped up
// to readEvery after it arrived: the latency is overstated by that, at
// most, never understated.
func (f *fleet) readLoop(epfd int) {
	events := make([]syscall.EpollEvent, 4096)
	ready := make([]*agent, 0, len(events))
	buf := make([]byte, readBuffer)
	var woke time.Time
	for !f.closed.Load() {
		if d := f.readEvery - time.Since(woke); d > 0 {
			time.Sleep(d)
		}
		n, err := syscall.EpollWait(epfd, events, 100)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return
		}
		woke = time.Now()
		f.mu.Lock() // add may be growing agents
		ready = ready[:0]
		for _, ev := range events[:n] {
			ready = append(ready, f.agents[ev.Fd])
		}
		f.mu.Unlock()
		for i, a := range ready {
			hangup := events[i].Events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0
			f.readAgent(a, buf, hangup)
		}
		clear(ready)
	}
}

// readAgent reads what a's socket has and handles the complete messages,
// holding mu for that, not for the read; it is called by a's reader.
//
// The socket is edge-triggered: epoll reports it again only when more
// data arrives, so a read must leave nothing behind. A read that returns
// less than it had room for took everything queued at that moment (TCP
// copies until the queue is empty), and whatever arrives after it raises
// a new edge; only a read that filled the buffer needs another. So it is
// one system call per ready socket, as level-triggered, without epoll
// re-checking every socket it reported last time. After a hang-up there
// will be no further edge: it reads on until the end of the stream, so
// that the connection's end is noticed.
func (f *fleet) readAgent(a *agent, buf []byte, hangup bool) {
	for a.fd >= 0 {
		k := copy(buf, a.partial)
		n, err := syscall.Read(a.fd, buf[k:])
		at := time.Now().UnixNano() // every message completed by this read was in by now
		f.mu.Lock()
		more := f.handleRead(a, buf, k, n, err, at, hangup)
		f.mu.Unlock()
		if !more {
			return
		}
	}
}

// handleRead handles one read of a's socket into buf after the k bytes
// of a partial frame: n bytes or err, at time at. It reports whether to
// read again. The caller holds mu.
func (f *fleet) handleRead(a *agent, buf []byte, k, n int, err error, at int64, hangup bool) bool {
	if n <= 0 {
		switch {
		case err == syscall.EINTR:
			return true
		case err == syscall.EAGAIN:
			return false
		case err == nil:
			err = io.EOF
		}
		f.end(a, fmt.Errorf("connection lost: %v", err))
		return false
	}
	f.reads++
	b := buf[:k+n]
	used, err := f.frames(a, b, at)
	if err != nil {
		f.end(a, err)
		return false
	}
	if used == 0 && len(b) == len(buf) {
		f.end(a, fmt.Errorf("a message over %d bytes", len(buf)))
		return false
	}
	a.partial = append(a.partial[:0], b[used:]...)
	// A short read left the socket empty: the next data raises a new edge.
	return n == len(buf)-k || hangup
}

// frames handles the whole frames at the start of b and returns how many
// bytes they took; what is left is the start of the next frame.
func (f *fleet) frames(a *agent, b []byte, at int64) (int, error) {
	used := 0
	for {
		h := b[used:]
		if len(h) < 2 {
			return used, nil
		}
		fin, op, n, hl := h[0]&finBit != 0, h[0]&0x0f, uint64(h[1]&0x7f), 2
		switch n {
		case 126:
			if len(h) < 4 {
				return used, nil
			}
			n, hl = uint64(binary.BigEndian.Uint16(h[2:4])), 4
		case 127:
			if len(h) < 10 {
				return used, nil
			}
			n, hl = binary.BigEndian.Uint64(h[2:10]), 10
		}
		if h[1]&maskBit != 0 || !fin {
			return used, fmt.Errorf("frame %#x %#x: a server's frames are unmasked, and the relay's messages one frame each", h[0], h[1])
		}
		if uint64(len(h)-hl) < n {
			return used, nil
		}
		p := h[hl : hl+int(n)]
		used += hl + int(n)
		switch op {
		case opText:
			if err := f.message(a, p, at); err != nil {
				return used, err
			}
		case opPing:
			syscall.Write(a.fd, clientFrame(opPong, p)) // a few bytes: the socket has room
		case opClose:
			return used, fmt.Errorf("closed by the relay: %q", p)
		}
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
	received, ok = receivedValue(rest)
	if !ok {
		return 0, nil, false
	}
	return id, received, true
}

// eventEnd is how an event message ends: Received's closing quote, the
// event's brace, the message's.
var eventEnd = []byte(`"}}`)

// receivedValue finds the value of the last "received" key in b. Received
// is the event's last field, so the value is normally right before
// eventEnd, and a backward scan over the timestamp finds it: searching
// the whole message (~875 bytes, read by every agent) for the key cost
// more than the rest of the bench's handling of it. A timestamp holds no
// quote, so the first quote back from the end is the value's opening
// one. Anything shaped otherwise takes the search.
func receivedValue(b []byte) ([]byte, bool) {
	if end := len(b) - len(eventEnd); end >= 0 && bytes.Equal(b[end:], eventEnd) {
		if q := bytes.LastIndexByte(b[:end], '"'); q >= 0 && bytes.HasSuffix(b[:q+1], receivedKey) {
			return b[q+1 : end], true
		}
	}
	i := bytes.LastIndex(b, receivedKey)
	if i < 0 {
		return nil, false
	}
	v := b[i+len(receivedKey):]
	j := bytes.IndexByte(v, '"')
	if j < 0 {
		return nil, false
	}
	return v[:j], true
}

// message handles one text message read at time at.
func (f *fleet) message(a *agent, b []byte, at int64) error {
	if id, received, ok := parseEvent(b); ok {
		f.record(a, id, at, received, b)
		return nil
	}
	var m stream.Message
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("undecodable message %.80q: %v", b, err)
	}
	switch m.Type {
	case stream.TypeHello, stream.TypePing:
	case stream.TypeEvent:
		if m.Event != nil {
			f.record(a, m.ID, at, []byte(m.Event.Received.Format(time.RFC3339Nano)), b)
		}
	case stream.TypeError:
		if m.Error != nil {
			return &refusedError{m.Error.Code, m.Error.Message}
		}
		return errors.New("error message without details")
	case stream.TypeGap: // the relay restarted: noted, the events go on
		if a.dead == nil {
			a.dead = fmt.Errorf("unexpected gap message: %.120s", b)
		}
	default: // bye: the relay is cutting the agent off
		return fmt.Errorf("unexpected %q message: %.120s", m.Type, b)
	}
	return nil
}

var lineKey = []byte(`"line":"`)

// record notes a delivery of message b; the caller holds mu.
func (f *fleet) record(a *agent, id uint64, at int64, received, b []byte) {
	if _, ok := f.stamps[id]; !ok {
		if t, err := time.Parse(time.RFC3339Nano, string(received)); err == nil {
			f.stamps[id] = t.UnixNano()
		}
		// The call's line is the first "line" of the message (call.Call
		// starts with it).
		if _, v, ok := bytes.Cut(b, lineKey); ok {
			if line, _, ok := bytes.Cut(v, []byte(`"`)); ok {
				f.lines[id] = string(line)
			}
		}
	}
	a.got = append(a.got, delivery{id, at})
	f.eventBytes += int64(len(b))
	f.received.Add(1)
}

// fleetTotals is what the agents received so far, all together.
type fleetTotals struct {
	messages, bytes int64 // event messages, and their size
	reads           int64 // reads that got data: at least one per write of the server's
}

func (f *fleet) totals() fleetTotals {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fleetTotals{f.received.Load(), f.eventBytes, f.reads}
}

// end closes a's connection for reason; the caller holds mu.
func (f *fleet) end(a *agent, reason error) {
	if a.fd < 0 {
		return
	}
	syscall.EpollCtl(a.epfd, syscall.EPOLL_CTL_DEL, a.fd, nil)
	syscall.Close(a.fd)
	a.fd = -1
	if !f.closed.Load() {
		a.dead = reason
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

// owes reports whether a must get event id: it sees every line, or the
// event's line is a's, or nobody got the event (its line is unknown).
func (f *fleet) owes(a *agent, id uint64) bool {
	if a.line == "" {
		return true
	}
	line := f.lines[id]
	return line == "" || line == a.line
}

// collect gathers the deliveries of events (from, to].
func (f *fleet) collect(from, to uint64) phaseReport {
	f.mu.Lock()
	defer f.mu.Unlock()
	want := int(to - from)
	rep := phaseReport{dead: map[string]int{}}
	stamps := make([]int64, want)
	for i := range stamps {
		stamps[i] = f.stamps[from+1+uint64(i)]
	}
	seen := make([]bool, want)
	for _, a := range f.agents {
		clear(seen)
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
		var miss []string
		for k, ok := range seen {
			if !ok && f.owes(a, from+1+uint64(k)) {
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
// in (from, to] they must get yet.
func (f *fleet) waiting(from, to uint64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	perLine, unknown := map[string]int{}, 0
	for id := from + 1; id <= to; id++ {
		if line := f.lines[id]; line != "" {
			perLine[line]++
		} else {
			unknown++
		}
	}
	n := 0
	for _, a := range f.agents {
		want := int(to - from)
		if a.line != "" {
			want = perLine[a.line] + unknown
		}
		got := 0
		for i := len(a.got) - 1; i >= 0 && a.got[i].id > from; i-- {
			if a.got[i].id <= to {
				got++
			}
		}
		if a.dead == nil && got < want {
			n++
		}
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
	if f.closed.Swap(true) {
		return
	}
	<-f.done
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.agents {
		f.end(a, nil)
	}
	for _, fd := range f.epfds {
		syscall.Close(fd)
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
