package relay

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/internal/waitfor"
)

// fakePusher takes what the hub gives it and says whether it wrote it all.
type fakePusher struct {
	writes atomic.Bool   // what pushBatch returns
	took   chan []uint64 // one per push that took something
}

func (p *fakePusher) claim() bool { return true }

func (p *fakePusher) pushBatch(batch []*Delivery, _ *pushWork) bool {
	if len(batch) > 0 {
		p.took <- deliveryIDs(batch)
	}
	return p.writes.Load()
}

// TestHubPushesInsteadOfWaking: a client with a pusher is written to by
// the hub's fan-out, in order, and its writer is not woken; when the push
// did not write everything, it is.
func TestHubPushesInsteadOfWaking(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewHub(100, time.Hour, 10)
	defer h.Close()
	_, _, _, s := h.Subscribe(0, false, anonymous, "test", now)
	p := &fakePusher{took: make(chan []uint64, 10)}
	p.writes.Store(true)
	h.SetPusher(s, p)
	var got []uint64
	publishN(h, 3, now)
	for len(got) < 3 {
		got = append(got, <-p.took...)
	}
	if !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Fatalf("pushed %v, want 1, 2, 3", got)
	}
	if len(s.wake) != 0 {
		t.Error("the writer was woken although the push wrote everything")
	}

	p.writes.Store(false) // the socket is full: the writer must finish
	publishN(h, 1, now)
	if got := <-p.took; !slices.Equal(got, []uint64{4}) {
		t.Fatalf("pushed %v, want 4", got)
	}
	<-s.Wake() // would hang if the writer were not woken
}

// TestHubPushedClientStillCutOff: a pushed client whose pushes never
// take anything (its writer is stuck) is cut off as too slow like any.
func TestHubPushedClientStillCutOff(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewHub(100, time.Hour, 3)
	defer h.Close()
	_, _, _, s := h.Subscribe(0, false, anonymous, "test", now)
	h.SetPusher(s, busyPusher{})
	publishN(h, 4, now)
	<-s.Done
	if s.Reason() != errTooSlow {
		t.Errorf("reason %v, want too slow", s.Reason())
	}
}

// publishingPusher records what each client is pushed, and publishes
// one more event during the round's first push: an event arriving while
// the fan-out is going on.
type publishingPusher struct {
	h      *Hub
	name   string
	pushes chan<- pushed
	first  *atomic.Bool  // shared by the clients: set by the round's first push
	claims *atomic.Int64 // shared: claims of every client
}

type pushed struct {
	name string
	ids  []uint64
}

func (p *publishingPusher) claim() bool {
	p.claims.Add(1)
	return true
}

func (p *publishingPusher) pushBatch(batch []*Delivery, _ *pushWork) bool {
	if len(batch) > 0 {
		p.pushes <- pushed{p.name, deliveryIDs(batch)}
	}
	if p.first.CompareAndSwap(false, true) {
		publishN(p.h, 1, time.Unix(1000, 0))
	}
	return true
}

// TestHubEventDuringRoundJoinsIt: an event published while the fan-out
// is writing goes, in the same write, to the clients the round has not
// reached yet; only the clients already written to are pushed again.
func TestHubEventDuringRoundJoinsIt(t *testing.T) {
	// In a bubble, synctest.Wait shows that no push is left to come.
	synctest.Test(t, func(t *testing.T) {
		now := time.Unix(1000, 0)
		h := NewHub(100, time.Hour, 10)
		defer h.Close()
		// One block more than one: the first block is taken for and written
		// before the second is taken for (and fewer than pushSplit: one
		// goroutine, blocks in turn).
		const n = pushBlock + 1
		got := make(chan pushed, 3*n)
		var first atomic.Bool
		var claims atomic.Int64
		for i := range n {
			_, _, _, s := h.Subscribe(0, false, anonymous, "test", now)
			h.SetPusher(s, &publishingPusher{h: h, name: fmt.Sprint(i), pushes: got, first: &first, claims: &claims})
		}
		publishN(h, 1, now)
		batches := map[string][][]uint64{}
		for range 2*pushBlock + 1 {
			p := <-got
			batches[p.name] = append(batches[p.name], p.ids)
		}
		synctest.Wait() // every push that will come has come
		select {
		case p := <-got:
			t.Errorf("one push too many: %v", p)
		default:
		}
		var twice, once int
		for name, b := range batches {
			switch {
			case len(b) == 2 && slices.Equal(b[0], []uint64{1}) && slices.Equal(b[1], []uint64{2}):
				twice++
			case len(b) == 1 && slices.Equal(b[0], []uint64{1, 2}):
				once++
			default:
				t.Errorf("client %s was pushed %v", name, b)
			}
		}
		if twice != pushBlock || once != 1 {
			t.Errorf("%d clients pushed 1 then 2, %d pushed both at once; want %d and 1", twice, once, pushBlock)
		}
		// The second round is only for the clients that had not got event 2.
		if c := claims.Load(); c != n+pushBlock {
			t.Errorf("%d claims, want %d: a round went to clients with nothing to take", c, n+pushBlock)
		}
	})
}

// busyPusher is a client whose writer is always busy: it is never
// pushed to, only woken.
type busyPusher struct{}

func (busyPusher) claim() bool                           { return false }
func (busyPusher) pushBatch([]*Delivery, *pushWork) bool { panic("pushed to without a claim") }

// TestTryWriteLeavesTheRestFirst: what the socket did not take from a
// write that does not wait goes out before the next message, whole.
func TestTryWriteLeavesTheRestFirst(t *testing.T) {
	// Far more than a loopback socket and its peer buffer while the peer
	// does not read: one system call cannot take it all.
	const n, size = 512, 64 << 10
	var b []byte
	for i := range n {
		b = appendTextFrame(b, bytes.Repeat([]byte{'a' + byte(i%26)}, size))
	}
	tried := make(chan bool, 1)
	sent := make(chan error, 1)
	read := make(chan struct{})
	url := wsServer(t, func(c *websocket.Conn, nc *wsNetConn) {
		go c.Read(context.Background()) // answers the close handshake
		if nc.raw == nil {
			t.Error("no raw connection for a plain TCP socket")
			tried <- true
			return
		}
		nc.mu.Lock()
		tried <- nc.tryWrite(b)
		nc.mu.Unlock()
		sent <- nc.sendText([]byte("last"))
		<-read
	})
	c, ctx := dialTest(t, url, 20*time.Second)
	if <-tried {
		t.Fatalf("one write that does not wait took %d bytes", len(b))
	}
	for i := range n {
		_, m, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if len(m) != size || m[0] != 'a'+byte(i%26) || m[size-1] != m[0] {
			t.Fatalf("message %d: %d bytes starting %q, want %d of %q", i, len(m), m[:min(len(m), 8)], size, 'a'+byte(i%26))
		}
	}
	if _, m, err := c.Read(ctx); err != nil || string(m) != "last" {
		t.Fatalf("after the rest: %q, %v; want last", m, err)
	}
	if err := <-sent; err != nil {
		t.Error(err)
	}
	close(read)
}

// TestStuckClientCutOffOthersServed: over the relay, a WebSocket client
// that stops reading has its socket fill up (pushes fall back to its
// writer, which waits), is cut off, and a client that reads gets every
// event, in order, meanwhile.
func TestStuckClientCutOffOthersServed(t *testing.T) {
	defer func(d time.Duration) { writeTimeout = d }(writeTimeout)
	writeTimeout = 300 * time.Millisecond
	h := newHarness(t, Config{ClientQueue: 32})
	secret := h.agent(t, "alice", testLine)
	fast := h.dialWS(t, 0, authMessage(secret))
	if m := fast.next(t, 5*time.Second); m.Type != stream.TypeHello {
		t.Fatalf("got %+v, want hello", m)
	}
	stuck := dialStuck(t, strings.TrimPrefix(h.srv.URL, "http://"), authMessage(secret))
	defer stuck.Close()
	waitfor.Until(t, "the stuck client to be connected", func() bool { return h.relay.hub.Clients() >= 2 })
	clients := h.relay.hub.Clients()

	// Events of 16 KiB (the test client reads up to 32): 512 of them are
	// 8 MiB, more than the stuck client's socket takes (its send buffer
	// grows to 4 MiB at most, net.ipv4.tcp_wmem), and 32 are over its
	// queue.
	const n = 512
	big := strings.Repeat("x", 16<<10)
	// Sixteen at a time, which the reading client reads before the next
	// ones: it is never too slow, however slow the machine.
	next := uint64(0)
	for i := range n {
		ids, _ := h.relay.hub.Publish([]*stream.Event{{Name: "start_ringing", Call: call.Call{Line: testLine, ID: fmt.Sprint(i), LineName: big}}}, time.Now())
		if next == 0 {
			next = ids[0]
		}
		if i%16 < 15 {
			continue
		}
		for next <= ids[0] {
			m := fast.nextEvent(t, 10*time.Second)
			if m.Type != stream.TypeEvent || m.ID != next {
				t.Fatalf("got %s %d, want event %d", m.Type, m.ID, next)
			}
			next++
		}
	}
	// Cut off by the hub (too slow) or by the watchdog of its writer,
	// whichever comes first.
	waitfor.Until(t, "the stuck client to be cut off", func() bool { return h.relay.hub.Clients() < clients })
}

// dialStuck opens a WebSocket on the relay at addr, sends auth and never
// reads; its receive buffer is made small so that it fills early.
func dialStuck(t *testing.T, addr, auth string) net.Conn {
	t.Helper()
	d := net.Dialer{}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).SetReadBuffer(4 << 10)
	req := "GET " + stream.PathStream + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	// A masked text frame (RFC 6455 §5.3), with a zero mask for brevity.
	frame := append([]byte{finBit | opText, 0x80 | byte(len(auth)), 0, 0, 0, 0}, auth...)
	if _, err := c.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	return c
}
