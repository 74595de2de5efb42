package relay

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"sync"
	"time"
)

// Buffers coder/websocket gets for a connection. The HTTP server's hijack
// would give it 4 KiB each way, per connection, for life; the relay needs
// far less. Reading: a client only sends its auth message (under 200
// bytes) and pings. Writing: messages go through the cork buffer below;
// the writer's own buffer only needs to hold a control frame whole
// (close, pong: at most 2+125 bytes), so that one never reaches the
// connection in two pieces.
const (
	wsReadBuffer  = 512
	wsWriteBuffer = 256
)

// Cork buffers are borrowed for one batch of writes and given back, so an
// idle client holds none. A batch longer than corkFlushAt is written in
// pieces; a buffer that grew past corkKeepMax is not pooled.
const (
	corkFlushAt = 64 << 10
	corkKeepMax = 128 << 10
)

var corkPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// wsNetConn is the TCP connection under a WebSocket, as the relay hands it
// to coder/websocket after the handshake.
//
// While corked, what coder/websocket writes is gathered, and uncork sends
// it in one system call: a client that is several events behind gets them
// in one write, whose cost (on loopback, the receiver's side of TCP too)
// dominates a delivery. Every system call that writes runs under a
// watchdog (one timer per connection, re-armed per write, not per
// message): a client that stopped reading fills its TCP window, then
// after writeTimeout its connection is closed, which ends the write.
type wsNetConn struct {
	net.Conn
	early []byte // what the HTTP server had read past the handshake: read first (by the one reader)

	mu       sync.Mutex
	corked   bool
	buf      *[]byte // corked bytes, from corkPool; nil when none
	watchdog *time.Timer
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

// Write writes p, or, while corked, keeps it for uncork.
func (c *wsNetConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		return c.writeLocked(p)
	}
	if c.buf == nil {
		c.buf = corkPool.Get().(*[]byte)
	}
	*c.buf = append(*c.buf, p...)
	if len(*c.buf) >= corkFlushAt {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// cork keeps writes until uncork.
func (c *wsNetConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork writes what was kept since cork, and what comes next at once.
func (c *wsNetConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	return c.flushLocked()
}

func (c *wsNetConn) flushLocked() error {
	if c.buf == nil {
		return nil
	}
	b := *c.buf
	var err error
	if len(b) > 0 {
		_, err = c.writeLocked(b)
	}
	if cap(b) <= corkKeepMax {
		*c.buf = b[:0]
		corkPool.Put(c.buf)
	}
	c.buf = nil
	return err
}

func (c *wsNetConn) writeLocked(p []byte) (int, error) {
	if c.watchdog == nil {
		c.watchdog = time.AfterFunc(writeTimeout, func() { c.Conn.Close() })
	} else {
		c.watchdog.Reset(writeTimeout)
	}
	n, err := c.Conn.Write(p)
	c.watchdog.Stop()
	return n, err
}

// release gives back what the connection borrowed; call it once the
// WebSocket is closed.
func (c *wsNetConn) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watchdog != nil {
		c.watchdog.Stop()
	}
	if c.buf != nil {
		*c.buf = (*c.buf)[:0]
		corkPool.Put(c.buf)
		c.buf = nil
	}
}

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
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		c.early = bytes.Clone(b)
	}
	w.conn = c
	return c, bufio.NewReadWriter(bufio.NewReaderSize(c, wsReadBuffer), bufio.NewWriterSize(c, wsWriteBuffer)), nil
}
