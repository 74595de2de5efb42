// Package memhttp is an HTTP server for tests that talks over in-memory
// connections (net.Pipe) instead of sockets.
//
// It exists for testing/synctest: a goroutine waiting on a socket is not
// "durably blocked", so a bubble whose server sits on a real listener can
// never let its fake clock run. Over net.Pipe every wait is a channel
// operation inside the bubble, so a test can hold a long poll for a minute
// or back off for an hour and take no time at all.
package memhttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
)

// Server is an http.Server on an in-memory listener. Its Client is the
// only way to reach it.
type Server struct {
	URL    string       // "http://memhttp-N.test", for building request URLs; N tells servers apart
	Client *http.Client // dials the server, whatever the URL's host

	srv       http.Server
	transport *http.Transport
}

// servers numbers the servers, so that each has its own URL (a test may
// map URLs to clients).
var servers atomic.Int64

// NewServer starts serving h and stops when the test ends (t.Cleanup, which
// in a synctest bubble runs inside the bubble).
func NewServer(t testing.TB, h http.Handler) *Server {
	l := &listener{conns: make(chan net.Conn), closed: make(chan struct{})}
	s := &Server{URL: fmt.Sprintf("http://memhttp-%d.test", servers.Add(1)), srv: http.Server{Handler: h}}
	s.transport = &http.Transport{DialContext: l.dial}
	s.Client = &http.Client{Transport: s.transport}
	go s.srv.Serve(l)
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and drops every connection, so that no goroutine
// is left behind (a synctest bubble waits for them all).
func (s *Server) Close() {
	s.srv.Close()
	s.transport.CloseIdleConnections()
}

// listener hands the server one end of a net.Pipe per dial.
type listener struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func (l *listener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		return nil, errors.New("memhttp: server closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *listener) Addr() net.Addr { return addr{} }

type addr struct{}

func (addr) Network() string { return "memhttp" }
func (addr) String() string  { return "memhttp.test" }
