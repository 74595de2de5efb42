package relay

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Buffers coder/websocket gets for a connection. The HTTP server's hijack
// would give it 4 KiB each way, per connection, for life; the relay needs
// far less. Reading: a client only sends its auth message (under 200
// bytes) and pings. Writing: coder/websocket only writes control frames
// (close, pong: at most 2+125 bytes), each whole in one Write, since its
// buffer holds one; the relay writes the messages itself (sendText).
const (
	wsReadBuffer  = 512
	wsWriteBuffer = 256
)

// Message buffers are borrowed for one batch of writes and given back, so
// an idle client holds none. A batch longer than sendFlushAt is written
// in pieces; a buffer that grew past sendKeepMax is not pooled.
const (
	sendFlushAt = 64 << 10
	sendKeepMax = 128 << 10
)

var sendPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// wsNetConn is the TCP connection under a WebSocket, as the relay hands it
// to coder/websocket after the handshake. coder/websocket reads from it
// (frames, the close handshake) and writes its control frames; the relay
// writes the messages with sendText.
//
// sendText frames a batch of messages into one buffer and writes it in
// one system call: a client that is several events behind gets them in
// one write, whose cost (on loopback, with the receiver's side of TCP)
// dominates a delivery, and a message costs no lock, context or timer of
// coder/websocket's.
//
// The hub's fan-out goroutine writes too (tryWrite, through wsConn.push):
// once, never waiting for the socket. What the socket did not take is
// kept in unsent, and every later write, the relay's or
// coder/websocket's, writes it first: frames go out whole and in order.
//
// Every system call that may wait runs under a watchdog: a client that
// stopped reading fills its TCP window, then after writeTimeout its
// connection is closed, which ends the write. The watchdog is one timer
// per connection, and a write does not touch it unless it was armed more
// than writeTimeout/2 ago: the write notes when it started, and the timer,
// when it fires, closes the connection if a write has been going on for
// writeTimeout, waits for the rest of it if one is going on, and else
// lets itself be re-armed by the next write.
type wsNetConn struct {
	net.Conn
	early []byte // what the HTTP server had read past the handshake: read first (by the one reader)

	mu         sync.Mutex      // one write at a time, whole frames
	closeSent  bool            // coder/websocket wrote a close frame: no message may follow
	unsent     []byte          // the end of what tryWrite was given and the socket did not take
	raw        syscall.RawConn // the TCP socket, for tryWrite; nil over TLS
	watchdog   atomic.Pointer[time.Timer]
	armed      time.Duration // monotonic time the watchdog was last armed, for writeTimeout
	writeSince atomic.Int64  // monotonic time the write going on started; 0: none
}

func (c *wsNetConn) Read(p []byte) (int, error) {
	if len(c.early) > 0 {
		n := copy(p, c.early)
		c.early = c.early[n:]
		if len(c.early) == 0 {
			c.early = nil
		}
		return n, nil
	}
	return c.Conn.Read(p)
}

// Write is coder/websocket's: one control frame per call (see
// wsWriteBuffer).
func (c *wsNetConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(p) > 0 && p[0]&0x0f == opClose {
		c.closeSent = true
	}
	if err := c.flushUnsent(); err != nil {
		return 0, err
	}
	return c.writeLocked(p)
}

// flushUnsent writes what tryWrite left, waiting for the socket; the
// caller holds mu.
func (c *wsNetConn) flushUnsent() error {
	if len(c.unsent) == 0 {
		return nil
	}
	_, err := c.writeLocked(c.unsent)
	c.unsent = nil
	return err
}

// tryWrite writes p with one system call that does not wait (the socket
// is non-blocking: the runtime's poller never sees it) and keeps what the
// socket did not take in unsent. It reports whether everything went; the
// caller holds mu and has flushed unsent, and on false must have the
// writer write unsent (or see the connection fail).
func (c *wsNetConn) tryWrite(p []byte) bool {
	n := 0
	// The error is not kept: EAGAIN (the socket's buffer is full) is
	// for the writer to wait out; any other, the writer's next write
	// meets too, and ends the connection.
	//
	// Control, not Write: it holds the descriptor open the same way (a
	// close waits for it, so the number cannot go to another connection
	// meanwhile) without the poller's write lock and state, which showed
	// in profiles of a fan-out to 10,000 clients; mu already makes writes
	// one at a time.
	c.raw.Control(func(fd uintptr) {
		n, _ = sendNow(int(fd), p)
	})
	if n == len(p) {
		return true
	}
	c.unsent = append([]byte(nil), p[n:]...)
	return false
}

// WebSocket frame header bits (RFC 6455 §5.2).
const (
	finBit  = 0x80
	opText  = 0x1
	opClose = 0x8
)

// appendTextFrame appends msg as one final, unmasked text frame: what
// coder/websocket writes for a server's message without compression.
func appendTextFrame(b, msg []byte) []byte {
	switch n := len(msg); {
	case n <= 125:
		b = append(b, finBit|opText, byte(n))
	case n <= 0xffff:
		b = append(b, finBit|opText, 126, byte(n>>8), byte(n))
	default:
		b = append(b, finBit|opText, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, msg...)
}

// sendText writes msgs, each a text message, in one system call (or one
// per sendFlushAt bytes).
func (c *wsNetConn) sendText(msgs ...[]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sendTextLocked(msgs...)
}

// sendTextLocked is sendText with mu held. What tryWrite left goes first.
func (c *wsNetConn) sendTextLocked(msgs ...[]byte) error {
	if c.closeSent {
		return net.ErrClosed
	}
	if err := c.flushUnsent(); err != nil {
		return err
	}
	bp := sendPool.Get().(*[]byte)
	b := (*bp)[:0]
	var err error
	for _, m := range msgs {
		b = appendTextFrame(b, m)
		if len(b) >= sendFlushAt {
			if _, err = c.writeLocked(b); err != nil {
				break
			}
			b = b[:0]
		}
	}
	if err == nil && len(b) > 0 {
		_, err = c.writeLocked(b)
	}
	if cap(b) <= sendKeepMax {
		*bp = b[:0]
		sendPool.Put(bp)
	}
	return err
}

func (c *wsNetConn) writeLocked(p []byte) (int, error) {
	now := monotonic()
	c.writeSince.Store(int64(now))
	switch t := c.watchdog.Load(); {
	case t == nil:
		c.watchdog.Store(time.AfterFunc(writeTimeout, c.watch))
		c.armed = now
	case now-c.armed > writeTimeout/2:
		t.Reset(writeTimeout)
		c.armed = now
	}
	n, err := c.Conn.Write(p)
	c.writeSince.Store(0)
	return n, err
}

// watch is the watchdog's timer.
func (c *wsNetConn) watch() {
	since := time.Duration(c.writeSince.Load())
	if since == 0 {
		return // no write: the next one re-arms it
	}
	if left := since + writeTimeout - monotonic(); left > 0 {
		c.watchdog.Load().Reset(left)
		return
	}
	c.Conn.Close()
}

// stopWatchdog is for when the connection is closed.
func (c *wsNetConn) stopWatchdog() {
	if t := c.watchdog.Load(); t != nil {
		t.Stop()
	}
}

var monotonicBase = time.Now()

// monotonic is the time since the relay started, never 0.
func monotonic() time.Duration { return time.Since(monotonicBase) + 1 }

// wsHijacker is the ResponseWriter websocket.Accept gets: its Hijack
// hands over a wsNetConn with small buffers.
type wsHijacker struct {
	http.ResponseWriter
	conn *wsNetConn // set by Hijack
}

func (w *wsHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// The server flushed the handshake's answer before handing over.
	if err := brw.Writer.Flush(); err != nil {
		nc.Close()
		return nil, nil, err
	}
	c := &wsNetConn{Conn: nc}
	if tc, ok := nc.(*net.TCPConn); ok {
		// Over TLS, nc is a *tls.Conn: records cannot be half written by
		// a call that gives up, so the hub wakes the writer instead.
		c.raw, _ = tc.SyscallConn()
	}
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		c.early = bytes.Clone(b)
	}
	w.conn = c
	return c, bufio.NewReadWriter(bufio.NewReaderSize(c, wsReadBuffer), bufio.NewWriterSize(c, wsWriteBuffer)), nil
}

// sendNow writes p to the socket fd without waiting: as much as its
// buffer takes (0 and EAGAIN for nothing), and no SIGPIPE for a peer
// gone.
func sendNow(fd int, p []byte) (int, error) {
	return syscall.SendmsgN(fd, p, nil, nil, syscall.MSG_DONTWAIT|syscall.MSG_NOSIGNAL)
}
