package relay

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/stream"
)

// answerFor is one long-poll answer carrying one event of a call, as OVH
// sends it (numbers as 00…, Ts as a string).
func answerFor(name, callID, calling string, ts float64) []byte {
	return fmt.Appendf(nil, `{"Session":"s1","Message":"","Events":[{"Event":%q,"Token":"1738D072-E7C8-4742-85C5-B22DA3D8BD8F","Service":"sip","Ressource":"0033972101010","Timestamp":1425554670255954700,"Date":"2015-03-05T12:24:30.255954 (CET)","Data":{"Billing":"0033972101010","Body":"SIP/2.0 180 Ringing","CallId":%q,"Called":"0033972101010","Calling":%q,"Cseq":"102 INVITE","Dialed":"0033972101010","Event":%q,"Protocol":"sip","RelevantInfo":"","Ts":"%.3f","TsGet":1425554670238926800},"Details":{"Description":"Accueil","Id":"295670","IdBillingAccount":"59415","SimultaneousLine":"2","Type":"sipCirpack"}}]}`,
		name, callID, calling, name, ts)
}

// BenchmarkRelayPath measures the relay's whole path for one OVH answer:
// its bytes decoded (ovhevent.Decode), applied to the calls and numbers
// parsed (HandleEvents), published, and the event frames written by the
// hub on every agent's WebSocket and read by the agent, over loopback.
// Each answer is one event of a call: start_ringing, start_calling,
// end_ringing (which changes nothing after the answer: no frame),
// end_calling; each call a new caller.
//
// Beside it, in the same loop so that both see the same machine: the
// floor, the same frames as the agents got written straight to the same
// number of sockets by a bare loop, no relay code. The figures are per
// answer: relay-µs, floor-µs, their ratio, and decode-µs, the part of
// relay-µs spent in Decode.
//
// The relay has no store but in "store": there each publish also waits
// for the event log's disk sync, as in production, and the rest of the
// path is small beside it.
func BenchmarkRelayPath(b *testing.B) {
	for _, agents := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("agents=%d", agents), func(b *testing.B) { benchmarkRelayPath(b, agents, false) })
	}
	b.Run("agents=10/store", func(b *testing.B) { benchmarkRelayPath(b, 10, true) })
}

// frame is what an agent read: which agent, and the message.
type frame struct {
	agent int
	msg   []byte
}

func benchmarkRelayPath(b *testing.B, agents int, withStore bool) {
	cfg := Config{AllowAnonymous: true, Log: quiet(b), KeepAlive: time.Hour, ClientQueue: 4096}
	if withStore {
		cfg.Store = openStore(b, filepath.Join(b.TempDir(), "screenpop.db"))
	}
	r, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	srv := httptest.NewServer(r.Handler())
	b.Cleanup(srv.Close)
	b.Cleanup(r.Shutdown)

	floor := newFloorServer(b)
	relayRead := make(chan frame, 64*agents)
	floorRead := make(chan frame, 64*agents)
	for i := range agents {
		c := dialAgent(b, srv.URL+stream.PathStream)
		// The first message says who the agent is: a ping, here, makes it
		// anonymous at once. Then the hello, which is not an event.
		if err := c.Write(context.Background(), websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
			b.Fatal(err)
		}
		if _, hello, err := c.Read(context.Background()); err != nil || !bytes.Contains(hello, []byte(`"hello"`)) {
			b.Fatalf("agent %d: no hello (%q, %v)", i, hello, err)
		}
		go readFrames(c, i, relayRead)
		go readFrames(dialAgent(b, floor.url), i, floorRead)
	}
	floorConns := floor.take(b, agents)

	var decodeTime, relayTime, floorTime time.Duration
	var sent []byte
	var mine [][]byte // agent 0's frames for the answer, which the floor writes
	steps := []string{ovhevent.StartRinging, ovhevent.StartCalling, ovhevent.EndRinging, ovhevent.EndCalling}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		c, step := i/4, i%4
		answer := answerFor(steps[step], fmt.Sprintf("call-%d.", c), fmt.Sprintf("00336%08d", c%100000000), 1425554670+float64(i))
		i++

		// The relay: the answer in, every agent's frames out.
		published := r.metrics.published.Load()
		start := time.Now()
		a, err := ovhevent.Decode(answer)
		if err != nil {
			b.Fatal(err)
		}
		decoded := time.Now()
		r.HandleEvents(a.Events)
		want := int(r.metrics.published.Load()-published) * agents
		mine = mine[:0]
		for range want {
			f := <-relayRead
			if f.agent == 0 {
				mine = append(mine, f.msg)
			}
		}
		done := time.Now()
		decodeTime += decoded.Sub(start)
		relayTime += done.Sub(start)

		// The floor: the same frames, written to as many sockets.
		start = time.Now()
		sent = sent[:0]
		for _, m := range mine {
			sent = appendTextFrame(sent, m)
		}
		if len(sent) > 0 {
			for _, fc := range floorConns {
				if _, err := fc.Write(sent); err != nil {
					b.Fatal(err)
				}
			}
		}
		for range len(mine) * agents {
			<-floorRead
		}
		floorTime += time.Since(start)
	}
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(i) }
	b.ReportMetric(us(relayTime), "relay-µs")
	b.ReportMetric(us(floorTime), "floor-µs")
	b.ReportMetric(us(decodeTime), "decode-µs")
	if floorTime > 0 {
		b.ReportMetric(float64(relayTime)/float64(floorTime), "relay/floor")
	}
}

// dialAgent connects an agent's WebSocket, as the extension does.
func dialAgent(b *testing.B, url string) *websocket.Conn {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http"), &websocket.DialOptions{
		HTTPHeader:      http.Header{"Origin": {"chrome-extension://abcdefgh"}},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.CloseNow() })
	return c
}

// readFrames hands on every message c reads until it closes.
func readFrames(c *websocket.Conn, agent int, out chan<- frame) {
	for {
		_, msg, err := c.Read(context.Background())
		if err != nil {
			return
		}
		out <- frame{agent, msg}
	}
}

// floorServer accepts WebSockets and hands over their TCP connections,
// for the benchmark to write frames on with no WebSocket library between.
type floorServer struct {
	url   string
	conns chan net.Conn
}

func newFloorServer(b *testing.B) *floorServer {
	f := &floorServer{conns: make(chan net.Conn, 1024)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// RFC 6455's handshake: the key, hashed with the protocol's GUID.
		sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", base64.StdEncoding.EncodeToString(sum[:]))
		if err := rw.Flush(); err != nil {
			conn.Close()
			return
		}
		go discard(conn, rw.Reader) // the client's close frame, at the end
		f.conns <- conn
	}))
	b.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// take returns the n connections accepted so far.
func (f *floorServer) take(b *testing.B, n int) []net.Conn {
	conns := make([]net.Conn, n)
	for i := range conns {
		select {
		case conns[i] = <-f.conns:
		case <-time.After(5 * time.Second):
			b.Fatalf("the floor server accepted %d of %d agents", i, n)
		}
		b.Cleanup(func() { conns[i].Close() })
	}
	return conns
}

func discard(conn net.Conn, r *bufio.Reader) {
	defer conn.Close()
	for {
		if _, err := r.Discard(1); err != nil {
			return
		}
	}
}
