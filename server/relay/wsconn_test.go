package relay

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/memhttp"
)

// wsServer serves handle on every WebSocket accepted the way the relay
// accepts them.
func wsServer(t *testing.T, handle func(c *websocket.Conn, nc *wsNetConn)) string {
	t.Helper()
	srv := httptest.NewServer(wsHandler(t, handle))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// wsHandler accepts WebSockets the way the relay does and hands each to
// handle.
func wsHandler(t *testing.T, handle func(c *websocket.Conn, nc *wsNetConn)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		hj := &wsHijacker{ResponseWriter: w}
		c, err := websocket.Accept(hj, req, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			t.Error(err)
			return
		}
		defer c.CloseNow()
		handle(c, hj.conn)
	})
}

// dialTest connects to a wsServer; the connection and ctx end with the
// test, or after d.
func dialTest(t *testing.T, url string, d time.Duration) (*websocket.Conn, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	c.SetReadLimit(1 << 20)
	return c, ctx
}

// TestSendTextFrames: messages the relay frames itself read back whole
// with coder/websocket, every length encoding, and nothing after close.
func TestSendTextFrames(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 1000, 0xffff, 0x10000, sendFlushAt + 10}
	var msgs [][]byte
	for i, n := range sizes {
		msgs = append(msgs, bytes.Repeat([]byte{'a' + byte(i)}, n))
	}
	afterClose := make(chan error, 1)
	url := wsServer(t, func(c *websocket.Conn, nc *wsNetConn) {
		go c.Read(context.Background()) // answers the close handshake
		if err := nc.sendText(msgs...); err != nil {
			t.Error(err)
		}
		c.Close(websocket.StatusGoingAway, "bye")
		afterClose <- nc.sendText([]byte("too late"))
	})
	c, ctx := dialTest(t, url, 5*time.Second)
	for i, want := range msgs {
		typ, got, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("message %d (%d bytes): %v", i, len(want), err)
		}
		if typ != websocket.MessageText || !bytes.Equal(got, want) {
			t.Fatalf("message %d: %v of %d bytes, want text of %d", i, typ, len(got), len(want))
		}
	}
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("after the messages: %v, want the close", err)
	}
	if err := <-afterClose; !errors.Is(err, net.ErrClosed) {
		t.Errorf("a message after the close frame: %v, want refused", err)
	}
}

// TestEarlyClientFrame: a client that sends its first frame with the
// handshake, before the answer: the frame the HTTP server read ahead is
// not lost.
func TestEarlyClientFrame(t *testing.T) {
	url := wsServer(t, func(c *websocket.Conn, nc *wsNetConn) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		nc.sendText(append([]byte("echo "), b...))
	})
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	payload := []byte(`{"type":"auth","secret":""}`)
	mask := [4]byte{1, 2, 3, 4}
	frame := []byte{finBit | opText, 0x80 | byte(len(payload))}
	frame = append(frame, mask[:]...)
	for i, c := range payload {
		frame = append(frame, c^mask[i%4])
	}
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	if _, err := conn.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatal(err)
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		var l [2]byte
		io.ReadFull(br, l[:])
		n = int(binary.BigEndian.Uint16(l[:]))
	}
	got := make([]byte, n)
	if _, err := io.ReadFull(br, got); err != nil {
		t.Fatal(err)
	}
	if want := "echo " + string(payload); h[0] != finBit|opText || string(got) != want {
		t.Errorf("got frame %x %q, want %q", h[0], got, want)
	}
}

// TestWatchdogClosesAStuckWrite: a client that stops reading is cut off
// writeTimeout after a write blocked, not never. In a bubble, over an
// in-memory connection that holds nothing (net.Pipe: a write waits for
// the reader), the write blocks at once and the watchdog's real timeout
// passes on the fake clock, exactly.
func TestWatchdogClosesAStuckWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type result struct {
			err     error
			stuck   time.Duration // how long the last write took
			written int
		}
		done := make(chan result, 1)
		srv := memhttp.NewServer(t, wsHandler(t, func(c *websocket.Conn, nc *wsNetConn) {
			msg := bytes.Repeat([]byte("x"), 60<<10)
			var res result
			for res.written < 1<<30 {
				start := time.Now()
				res.err = nc.sendText(msg)
				res.stuck = time.Since(start)
				if res.err != nil {
					break
				}
				res.written += len(msg)
			}
			done <- res
		}))
		c, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{HTTPClient: srv.Client})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow() // and never reads
		res := <-done      // never coming fails the test as a deadlock of the bubble
		if res.err == nil {
			t.Fatalf("wrote %d bytes to a client that does not read", res.written)
		}
		if res.stuck != writeTimeout {
			t.Errorf("the stuck write ended after %v, want %v", res.stuck, writeTimeout)
		}
	})
}
