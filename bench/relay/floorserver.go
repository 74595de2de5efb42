package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone/parse"
	"github.com/screenpop/screenpop/internal/stream"
)

// The floor server is the relay's stand-in for the floor rows: the same
// workload with no relay code at all. It accepts the fleet's connections
// as the relay does, with coder/websocket (the handshake, the auth message
// read and ignored, the hello), and on each command from the bench writes
// one batch of event messages to every connection with one non-blocking
// send(2) each: what an ideal relay would do. What it costs, and the
// latency the agents see, is the machine's share: the kernel's sends and
// reads, the scheduler, the bench.
//
// It is this binary, started by the bench as
//
//	benchrelay floor-server
//
// so that its CPU is its own, like the relay's. It prints
// "listening <host:port>" on stdout, then reads commands on stdin, one a
// line, "send <k>": k event messages, IDs following the last, stamped
// received when the command was read. For each batch written it prints
// "sent <last ID> <writes> <partial> <failed>". It exits at the end of
// its stdin.
const floorServerArg = "floor-server"

// floorSendTimeout bounds the blocking send that finishes a partial one:
// every agent reads all the time, so only a dead bench would reach it.
const floorSendTimeout = 10 * time.Second

// floorServer is the floor server's state.
type floorServer struct {
	mu    sync.Mutex
	conns []int // the agents' sockets, in blocking mode (sends say MSG_DONTWAIT)
	next  uint64
}

// floorJob is a command read from the bench: k messages stamped received.
type floorJob struct {
	k        int
	received time.Time
}

func runFloorServer(stdin io.Reader, stdout, stderr io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fs := &floorServer{}
	go fs.serve(ln, stderr)
	fmt.Fprintf(stdout, "listening %s\n", ln.Addr())

	// Commands are stamped as soon as they are read, as the relay stamps
	// an event when it gets it from upstream: a command waiting for the
	// previous fan-out counts in the latency. Commands queued meanwhile go
	// out together, as the relay writes a client everything it has not
	// taken yet in one write.
	jobs := make(chan floorJob, 1024)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			at := time.Now()
			k, err := parseSend(sc.Text())
			if err != nil {
				readErr <- err
				close(jobs)
				return
			}
			jobs <- floorJob{k, at}
		}
		readErr <- sc.Err()
		close(jobs)
	}()
	for job := range jobs {
		batch := []floorJob{job}
	more:
		for {
			select {
			case j, ok := <-jobs:
				if !ok {
					break more
				}
				batch = append(batch, j)
			default:
				break more
			}
		}
		writes, partial, failed := fs.send(batch, stderr)
		fmt.Fprintf(stdout, "sent %d %d %d %d\n", fs.next, writes, partial, failed)
	}
	return <-readErr
}

func parseSend(line string) (int, error) {
	f := strings.Fields(line)
	if len(f) == 2 && f[0] == "send" {
		if k, err := strconv.Atoi(f[1]); err == nil && k > 0 {
			return k, nil
		}
	}
	return 0, fmt.Errorf("floor server: unknown command %q (want \"send <count>\")", line)
}

// serve answers the fleet's WebSocket requests on ln until it is closed.
// The server notes each connection's TCP socket in its context, for open.
func (fs *floorServer) serve(ln net.Listener, stderr io.Writer) {
	mux := http.NewServeMux()
	mux.HandleFunc(stream.PathStream, func(w http.ResponseWriter, r *http.Request) {
		if err := fs.open(w, r); err != nil {
			fmt.Fprintf(stderr, "floor server: %v\n", err)
		}
	})
	srv := &http.Server{
		Handler:     mux,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context { return context.WithValue(ctx, tcpConnKey{}, c) },
		ErrorLog:    log.New(stderr, "floor server: ", 0),
	}
	if err := srv.Serve(ln); !errors.Is(err, net.ErrClosed) {
		fmt.Fprintf(stderr, "floor server: %v\n", err)
	}
}

// tcpConnKey is the context key of a request's TCP connection.
type tcpConnKey struct{}

// open does what the relay does before an agent gets events, with the
// same library: coder/websocket accepts the connection, reads the auth
// message (ignored: the floor checks nothing) and writes the hello. The
// socket then leaves coder/websocket and Go's poller for the fan-out.
// Nothing is left in coder/websocket's buffers: the agent sends nothing
// between its auth message and the hello.
func (fs *floorServer) open(w http.ResponseWriter, r *http.Request) error {
	nc := r.Context().Value(tcpConnKey{}).(net.Conn)
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return err // Accept answered the request
	}
	defer c.CloseNow() // no close frame: the floor keeps a duplicate of the socket
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	if _, _, err := c.Read(ctx); err != nil {
		return fmt.Errorf("reading the auth message: %v", err)
	}

	fd, err := dupSocket(nc)
	if err != nil {
		return err
	}
	// Blocking mode: the fan-out's sends say MSG_DONTWAIT, which is a
	// non-blocking send, and the rare remainder of a partial one is
	// finished with a plain blocking send, bounded by the timeout.
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return err
	}
	tv := syscall.NsecToTimeval(floorSendTimeout.Nanoseconds())
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
		syscall.Close(fd)
		return err
	}

	hello, _ := json.Marshal(stream.Message{Type: stream.TypeHello, Hello: &stream.Hello{Relay: "floor", Live: []stream.LiveCall{}}})
	// The hello goes out under mu, with the registration: an agent that has
	// its hello gets every batch sent after it.
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if err := c.Write(ctx, websocket.MessageText, hello); err != nil {
		syscall.Close(fd)
		return fmt.Errorf("sending the hello: %v", err)
	}
	fs.conns = append(fs.conns, fd)
	return nil
}

// send writes the batch's messages, encoded once, to every connection,
// the connections split between the cores as the relay's fan-out does.
// It returns how many connections it wrote to, how many sends took less
// than everything (finished blocking) and how many failed (closed).
func (fs *floorServer) send(batch []floorJob, stderr io.Writer) (writes, partial, failed int) {
	var p []byte
	for _, job := range batch {
		for range job.k {
			fs.next++
			p = serverFrame(p, floorEvent(fs.next, job.received))
		}
	}
	fs.mu.Lock()
	conns := slices.Clone(fs.conns)
	fs.mu.Unlock()

	var (
		wg      sync.WaitGroup
		countMu sync.Mutex
		dead    []int
	)
	n := max(1, min(runtime.GOMAXPROCS(0), len(conns)/256))
	for part := range slices.Chunk(conns, (len(conns)+n-1)/n) {
		wg.Go(func() {
			type rest struct {
				fd int
				p  []byte
			}
			var rests []rest
			var gone []int
			for _, fd := range part {
				k, err := syscall.SendmsgN(fd, p, nil, nil, syscall.MSG_DONTWAIT|syscall.MSG_NOSIGNAL)
				switch {
				case err == syscall.EAGAIN || err == syscall.EINTR || (err == nil && k < len(p)):
					rests = append(rests, rest{fd, p[max(k, 0):]})
				case err != nil:
					fmt.Fprintf(stderr, "floor server: send: %v\n", err)
					gone = append(gone, fd)
				}
			}
			// The remainders, once every connection had its turn: a
			// blocking send would hold up the rest of the part.
			for _, r := range rests {
				if err := sendAll(r.fd, r.p, 0); err != nil {
					fmt.Fprintf(stderr, "floor server: finishing a partial send: %v\n", err)
					gone = append(gone, r.fd)
				}
			}
			countMu.Lock()
			partial += len(rests)
			dead = append(dead, gone...)
			countMu.Unlock()
		})
	}
	wg.Wait()
	if len(dead) > 0 {
		fs.mu.Lock()
		fs.conns = slices.DeleteFunc(fs.conns, func(fd int) bool { return slices.Contains(dead, fd) })
		fs.mu.Unlock()
		for _, fd := range dead {
			syscall.Close(fd)
		}
	}
	return len(conns), partial, len(dead)
}

// sendAll sends p whole on a blocking socket.
func sendAll(fd int, p []byte, flags int) error {
	for len(p) > 0 {
		k, err := syscall.SendmsgN(fd, p, nil, nil, flags|syscall.MSG_NOSIGNAL)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		p = p[k:]
	}
	return nil
}

// serverFrame appends p as one final, unmasked text frame (RFC 6455
// §5.2), as the relay sends each message.
func serverFrame(b, p []byte) []byte {
	switch n := len(p); {
	case n < 126:
		b = append(b, finBit|opText, byte(n))
	case n <= 0xffff:
		b = append(b, finBit|opText, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, finBit|opText, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, p...)
}

// floorEvent is event message id, shaped and sized like the relay's: the
// events of an answered inbound call on the bench's line in turn
// (ringing, answered, ended), encoded from the same types.
func floorEvent(id uint64, received time.Time) []byte {
	c := call.Call{
		Line:     benchLine,
		LineName: "bench",
		ID:       base64.RawStdEncoding.EncodeToString(fmt.Appendf(nil, "%032x", id/3)) + ".", // as OVH's

		Direction: call.Inbound,
		Calling:   fmt.Sprintf("00336%08d", 12345678+id/3),
		Called:    benchLine,
		RingAt:    received,
	}
	name := ""
	switch id % 3 {
	case 1:
		name, c.State = "start_ringing", call.Ringing
	case 2:
		name, c.State, c.AnswerAt = "start_calling", call.Answered, received
	case 0:
		name, c.State, c.AnswerAt, c.EndAt = "end_calling", call.Ended, received, received
	}
	c.LastEvent = name
	b, err := json.Marshal(stream.Message{Type: stream.TypeEvent, ID: id, Event: &stream.Event{
		Name: name, Call: c, Calling: parse.Number(c.Calling, "FR"), Called: parse.Number(c.Called, "FR"), Received: received,
	}})
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return b
}
