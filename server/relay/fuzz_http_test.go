package relay

import (
	"bufio"
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
)

// FuzzAgentAPI sends raw HTTP requests (any method, target, headers and
// body: malformed JSON, oversized bodies, bad cursors, bad headers) to the
// relay's agent API over a real TCP connection, and checks what a client
// gets back: never a panic (the relay must still answer /healthz), never
// a 500, every refusal the relay writes a coded error (stream.Error with a
// code and a message), and no secret of the relay in any answer.
func FuzzAgentAPI(f *testing.F) {
	h := newHarness(f, Config{AuthFailBurst: 1 << 20, PollWait: time.Second, Log: slog.New(slog.DiscardHandler)}) // its warnings, thousands, would flood the fuzzer's output
	ns, err := h.relay.AddAgent(context.Background(), "alice", []string{testLine})
	if err != nil {
		f.Fatal(err)
	}
	secret := ns.Secret
	addr := strings.TrimPrefix(h.srv.URL, "http://")
	auth := "Authorization: Bearer " + secret + "\r\n"
	for _, seed := range []string{
		"GET /v1/poll?cursor=1&wait=0 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n",
		"GET /v1/poll?cursor=-1 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n",
		"GET /v1/calls?limit=5&before=2026-01-01T00:00:00Z HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n",
		"GET /v1/calls/missed?unseen=1 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n",
		"POST /v1/calls/seen HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 33\r\n" + auth + "\r\n{\"line\":\"0033972101010\",\"id\":\"x\"}",
		"POST /v1/calls/seen HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n" + auth + "\r\n{",
		"POST /v1/calls/seen HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + auth + "\r\n5\r\n{\"a\":\r\n0\r\n\r\n",
		"POST /v1/calls/note HTTP/1.1\r\nHost: x\r\nContent-Length: 60\r\n" + auth + "\r\n{\"line\":\"0033972101010\",\"id\":\"x\",\"note\":\"rappeler\",\"record\":{}}",
		"POST /v1/dial HTTP/1.1\r\nHost: x\r\nContent-Length: 45\r\n" + auth + "\r\n{\"line\":\"0033972101010\",\"number\":\"0612\"}",
		"GET /v1/sse?cursor=abc HTTP/1.1\r\nHost: x\r\nLast-Event-ID: x\r\n" + auth + "\r\n",
		"GET /v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: https://evil.example\r\n\r\n",
		"OPTIONS /v1/calls HTTP/1.1\r\nHost: x\r\nOrigin: chrome-extension://abc\r\nAccess-Control-Request-Method: POST\r\n\r\n",
		"GET /v1/poll HTTP/1.1\r\nHost: x\r\nAuthorization: Basic eDp5\r\n\r\n",
		"GET /v1/poll HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sp_\x00\xff\r\n\r\n",
		"DELETE /v1/calls HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v1/poll HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", // net/http cannot read it: its own 400
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			unreadable(t, addr, raw, h.srv.URL)
			return
		}
		// A long-poll with a valid secret may be held, and an SSE or
		// WebSocket stream stays open: waiting for their end is not the
		// point, their first answer is.
		streaming := req.URL.Path == stream.PathSSE || req.URL.Path == stream.PathStream || req.URL.Path == stream.PathPoll
		resp, body, err := rawRoundTrip(addr, raw, streaming)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded) && streaming:
			// held: fine, if the relay still answers others meanwhile
		case err != nil && errors.Is(err, io.ErrUnexpectedEOF), err != nil && errors.Is(err, io.EOF):
			// the server closed the connection on a request it would not read
		case err != nil:
			t.Fatalf("no answer to %q: %v", raw, err)
		default:
			checkAnswer(t, raw, resp, body, secret, h.token)
		}
		health, err := http.Get(h.srv.URL + "/healthz")
		if err != nil {
			t.Fatalf("after %q the relay no longer answers: %v", raw, err)
		}
		io.Copy(io.Discard, health.Body)
		health.Body.Close()
	})
}

// unreadable sends raw, a request net/http cannot read, to addr: the
// server must answer it with net/http's own plain-text refusal, or close
// the connection, and go on answering base's /healthz.
func unreadable(t *testing.T, addr string, raw []byte, base string) {
	t.Helper()
	resp, body, err := rawRoundTrip(addr, raw, false)
	switch {
	case err == nil:
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || !netHTTPOwn(resp.StatusCode) {
			t.Fatalf("%q cannot be read as a request, yet got %d: %q", raw, resp.StatusCode, body)
		}
	case !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
		t.Fatalf("no answer to %q: %v", raw, err)
	}
	health, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("after %q the server no longer answers: %v", raw, err)
	}
	io.Copy(io.Discard, health.Body)
	health.Body.Close()
}

// rawRoundTrip writes raw to addr and reads one answer: its head, and its
// body unless streaming (then at most what came within a moment).
func rawRoundTrip(addr string, raw []byte, streaming bool) (*http.Response, []byte, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	if tc, ok := c.(*net.TCPConn); ok {
		// Closed with a reset, not into TIME_WAIT: thousands of
		// connections a second otherwise run out of local ports, and
		// the fuzzer stalls on connect.
		tc.SetLinger(0)
	}
	// A stream's first answer is waited for a moment; any other answer
	// long enough for a loaded machine (a budget, not a measure).
	wait := 10 * time.Second
	if streaming {
		wait = time.Second
	}
	c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write(raw); err != nil {
		return nil, nil, err
	}
	if cw, ok := c.(*net.TCPConn); ok {
		cw.CloseWrite() // a body shorter than its Content-Length ends here
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, nil, err
	}
	// Not resp.Body.Close: it reads a stream to its end; closing the
	// connection is enough.
	if streaming && resp.StatusCode < 300 {
		return resp, nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if errors.Is(err, os.ErrDeadlineExceeded) && streaming {
		err = nil
	}
	return resp, body, err
}

// checkAnswer is the fuzzers' property of one answer.
func checkAnswer(t *testing.T, raw []byte, resp *http.Response, body []byte, secrets ...string) {
	t.Helper()
	json := strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json")
	if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable && (json || !netHTTPOwn(resp.StatusCode)) {
		t.Fatalf("%q: status %d, body %q", raw, resp.StatusCode, body)
	}
	for _, s := range secrets {
		if s != "" && (bytes.Contains(body, []byte(s)) || strings.Contains(strings.Join(flatten(resp.Header), "\n"), s)) {
			t.Fatalf("%q: the answer holds a secret of the relay: %q", raw, body)
		}
	}
	if resp.StatusCode < 400 {
		return
	}
	if !json {
		// net/http's own answer to a request it cannot read: plain text,
		// before the relay sees it.
		if !netHTTPOwn(resp.StatusCode) {
			t.Fatalf("%q: status %d without a coded error: %q", raw, resp.StatusCode, body)
		}
		return
	}
	var m stream.Message
	if err := stdjson.Unmarshal(body, &m); err != nil || m.Type != stream.TypeError || m.Error == nil || m.Error.Code == "" || m.Error.Message == "" {
		t.Fatalf("%q: status %d, not a coded error (%v): %q", raw, resp.StatusCode, err, body)
	}
}

// netHTTPOwn: the statuses net/http's server answers itself to a request
// it cannot read (400 "Bad Request", 431, 505, 501 for an unknown
// Transfer-Encoding).
func netHTTPOwn(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusRequestHeaderFieldsTooLarge, http.StatusHTTPVersionNotSupported, http.StatusNotImplemented:
		return true
	}
	return false
}

func flatten(h http.Header) []string {
	var out []string
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, k+": "+v)
		}
	}
	return out
}

// FuzzAdminAPI sends raw HTTP requests to the admin API: without its
// exact token every answer is the coded refusal (nothing of the relay is
// read or changed); with it, never a 500, every refusal coded, and the
// OVH token and the admin token never in an answer.
func FuzzAdminAPI(f *testing.F) {
	h := newHarness(f, Config{Log: slog.New(slog.DiscardHandler)})
	const token = "admin-token-0123456789"
	admin := httptest.NewServer(AdminHandler(h.relay, token, h.relay.Handler()))
	f.Cleanup(admin.Close)
	addr := strings.TrimPrefix(admin.URL, "http://")
	auth := "Authorization: Bearer " + token + "\r\n"
	for _, seed := range []string{
		"GET /admin/agents HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n",
		"GET /admin/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-token-012345678\r\n\r\n",
		"POST /admin/agents HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n" + auth + "\r\n{\"name\":\"bob\",\"lines\":[\"0033972101010\"]}",
		"POST /admin/agents/bob/rotate HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n",
		"PUT /admin/agents/bob/lines HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n" + auth + "\r\n{\"lines\":[]}",
		"GET /admin/tokens HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n",
		"POST /admin/tokens/remove HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\n" + auth + "\r\n{\"value\":\"x\"}",
		"POST /admin/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n" + auth + "\r\n{}",
		"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /admin/agents HTTP/1.1\r\nHost: x\r\n" + auth + "no colon here\r\n\r\n", // net/http cannot read it: its own 400
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			unreadable(t, addr, raw, admin.URL)
			return
		}
		resp, body, err := rawRoundTrip(addr, raw, false)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return
			}
			t.Fatalf("no answer to %q: %v", raw, err)
		}
		checkAnswer(t, raw, resp, body, h.token, token)
		open := req.URL.Path == "/healthz" || req.URL.Path == "/metrics"
		if got := strings.TrimSpace(req.Header.Get("Authorization")); got != "Bearer "+token && !open && resp.StatusCode < 300 { // (ServeMux's 3xx to a cleaned path carries nothing)
			t.Fatalf("%q: answered %d without the admin token: %q", raw, resp.StatusCode, body)
		}
	})
}
