package relay

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/stream"
)

// TestBadInput: every refusal is a typed error: its HTTP status, a stable
// code, and a message that says what to do.
func TestBadInput(t *testing.T) {
	h := newHarness(t, Config{AuthFailBurst: 1000})
	alice := h.agent(t, "alice", testLine)
	wrong := alice[:len(alice)-4] + "AAAA"
	big := `{"line":"` + strings.Repeat("0", 10<<10) + `","id":"x"}`
	tests := []struct {
		name         string
		method, path string
		secret       string
		body         string
		header       []string
		status       int
		code         string
	}{
		{"cursor not a number", "GET", "/v1/poll?cursor=abc", alice, "", nil, 400, stream.CodeBadCursor},
		{"negative cursor over SSE", "GET", "/v1/sse?cursor=-1", alice, "", nil, 400, stream.CodeBadCursor},
		{"bad Last-Event-ID", "GET", "/v1/sse", alice, "", []string{"Last-Event-ID", "x"}, 400, stream.CodeBadCursor},
		{"no secret", "GET", "/v1/poll", "", "", nil, 401, stream.CodeNoAuth},
		{"not a Bearer", "GET", "/v1/poll", "", "", []string{"Authorization", "Basic eDp5"}, 401, stream.CodeNoAuth},
		{"wrong secret", "GET", "/v1/poll", wrong, "", nil, 401, stream.CodeBadSecret},
		{"garbage secret", "GET", "/v1/calls", "hello", "", nil, 401, stream.CodeBadSecret},
		{"a web page's origin", "GET", "/v1/poll", alice, "", []string{"Origin", "https://evil.example"}, 403, stream.CodeBadOrigin},
		{"a web page's WebSocket", "GET", "/v1/stream", "", "", []string{"Origin", "https://evil.example"}, 403, stream.CodeBadOrigin},
		{"not a WebSocket handshake", "GET", "/v1/stream", "", "", nil, 426, stream.CodeBadRequest},
		{"a WebSocket version not 13", "GET", "/v1/stream", "", "", []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "8", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, 426, stream.CodeBadRequest},
		{"wait not a number", "GET", "/v1/poll?cursor=1&wait=soon", alice, "", nil, 400, stream.CodeBadRequest},
		{"limit out of range", "GET", "/v1/calls?limit=0", alice, "", nil, 400, stream.CodeBadRequest},
		{"before not a time", "GET", "/v1/calls?before=yesterday", alice, "", nil, 400, stream.CodeBadRequest},
		{"a line the agent does not see", "GET", "/v1/calls?line=0033972101011", alice, "", nil, 403, stream.CodeUnknownLine},
		{"missed calls of another line", "GET", "/v1/calls/missed?line=0041225550000", alice, "", nil, 403, stream.CodeUnknownLine},
		{"unseen not a bool", "GET", "/v1/calls/missed?unseen=maybe", alice, "", nil, 400, stream.CodeBadRequest},
		{"body too large", "POST", "/v1/calls/seen", alice, big, nil, 413, stream.CodeTooLarge},
		{"body not JSON", "POST", "/v1/calls/seen", alice, "{", nil, 400, stream.CodeBadRequest},
		{"no body", "POST", "/v1/calls/seen", alice, "", nil, 400, stream.CodeBadRequest},
		{"unknown field", "POST", "/v1/calls/seen", alice, `{"line":"0033972101010","callId":"x"}`, nil, 400, stream.CodeBadRequest},
		{"two JSON values", "POST", "/v1/calls/seen", alice, `{} {}`, nil, 400, stream.CodeBadRequest},
		{"neither a call nor a time", "POST", "/v1/calls/seen", alice, `{}`, nil, 400, stream.CodeBadRequest},
		{"seen on another line", "POST", "/v1/calls/seen", alice, `{"line":"0033972101011","id":"x"}`, nil, 403, stream.CodeUnknownLine},
		{"seen on an unknown call", "POST", "/v1/calls/seen", alice, `{"line":"0033972101010","id":"nope"}`, nil, 404, stream.CodeNotFound},
		{"wrong method", "DELETE", "/v1/calls", alice, "", nil, 405, stream.CodeBadRequest},
		{"GET on a POST endpoint", "GET", "/v1/calls/seen", alice, "", nil, 405, stream.CodeBadRequest},
		{"unknown endpoint", "GET", "/v2/stream", "", "", nil, 404, stream.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body *strings.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			var resp *http.Response
			var b []byte
			if body != nil {
				resp, b = h.request(t, tt.method, tt.path, tt.secret, body, tt.header...)
			} else {
				resp, b = h.request(t, tt.method, tt.path, tt.secret, nil, tt.header...)
			}
			if resp.StatusCode != tt.status || errorCode(b) != tt.code {
				t.Fatalf("%s %s: %d %s, want %d %s", tt.method, tt.path, resp.StatusCode, b, tt.status, tt.code)
			}
			if !strings.Contains(string(b), `"message":"`) || strings.Contains(string(b), alice) {
				t.Errorf("answer %s: want a message, never the secret", b)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}

	// Over WebSocket, the errors come as a message before the close (a
	// browser's WebSocket API shows no HTTP status).
	if m := h.dialWSQuery(t, "?cursor=abc", authMessage(alice)).next(t, 3*time.Second); m.Type != stream.TypeError || m.Error.Code != stream.CodeBadCursor {
		t.Errorf("WebSocket with a bad cursor got %+v", m)
	}
	// A client message over the limit closes the connection.
	big2 := h.dialWS(t, 0, authMessage(alice))
	big2.next(t, 3*time.Second)
	big2.c.Write(t.Context(), websocket.MessageText, []byte(strings.Repeat("x", maxClientMessage+1)))
	if st := big2.waitClosed(t, 3*time.Second); st != websocket.StatusMessageTooBig {
		t.Errorf("an oversized client message: close status %v, want message too big", st)
	}
}

// TestWrongSecretsAreRateLimited: after AuthFailBurst wrong secrets an
// address is refused, even with the right secret, and told when to come
// back; other addresses are not.
func TestWrongSecretsAreRateLimited(t *testing.T) {
	h := newHarness(t, Config{AuthFailBurst: 3, AuthFailEvery: time.Minute, BehindProxy: true})
	alice := h.agent(t, "alice", testLine)
	wrong := alice[:len(alice)-4] + "AAAA"
	from := func(addr string) []string { return []string{"X-Forwarded-For", "10.0.0.1, " + addr} }
	for i := 0; i < 3; i++ {
		if resp, b := h.request(t, "GET", "/v1/calls", wrong, nil, from("192.0.2.1")...); resp.StatusCode != 401 {
			t.Fatalf("wrong secret %d: %d %s", i, resp.StatusCode, b)
		}
	}
	resp, b := h.request(t, "GET", "/v1/calls", alice, nil, from("192.0.2.1")...)
	if resp.StatusCode != 429 || errorCode(b) != stream.CodeRateLimited {
		t.Fatalf("after 3 wrong secrets: %d %s, want 429 rate-limited", resp.StatusCode, b)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if resp, _ := h.request(t, "GET", "/v1/calls", alice, nil, from("192.0.2.2")...); resp.StatusCode != 200 {
		t.Errorf("another address is limited too: %d", resp.StatusCode)
	}
	if got := h.relay.metrics.rateLimited.Load(); got != 1 {
		t.Errorf("rate-limited counter = %d", got)
	}
}
