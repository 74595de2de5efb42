package relay

import (
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
)

// TestRateLimitSaysTheRealWait: after the burst of wrong secrets, the
// refusal gives the real time until the next try (the bucket refills one
// every AuthFailEvery, not "a minute"), says the right secret is refused
// too for that time, and lets it through once the time is up.
func TestRateLimitSaysTheRealWait(t *testing.T) {
	h := newHarness(t, Config{AuthFailBurst: 10, AuthFailEvery: 6 * time.Second})
	alice := h.agent(t, "alice", testLine)
	wrong := alice[:len(alice)-4] + "AAAA"
	const addr = "192.0.2.1"
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i := range 10 {
		if _, e := h.relay.authenticate(wrong, addr, t0); e == nil || e.Code != stream.CodeBadSecret {
			t.Fatalf("wrong secret %d: %v, want bad secret", i, e)
		}
	}
	for _, tt := range []struct {
		name     string
		secret   string
		at       time.Duration // after t0
		wantCode string        // "": let in
		wantWait time.Duration
	}{
		{"right secret at once", alice, 0, stream.CodeRateLimited, 6 * time.Second},
		{"wrong secret 2 s later", wrong, 2 * time.Second, stream.CodeRateLimited, 4 * time.Second},
		{"right secret 5.2 s later", alice, 5200 * time.Millisecond, stream.CodeRateLimited, time.Second},
		{"right secret once refilled", alice, 6 * time.Second, "", 0},
		{"a wrong one then", wrong, 6 * time.Second, stream.CodeBadSecret, 0},
		{"refused again for one refill", alice, 6 * time.Second, stream.CodeRateLimited, 6 * time.Second},
	} {
		a, e := h.relay.authenticate(tt.secret, addr, t0.Add(tt.at))
		switch {
		case tt.wantCode == "" && (e != nil || a.Name != "alice"):
			t.Errorf("%s: %v, want alice let in", tt.name, e)
		case tt.wantCode != "" && (e == nil || e.Code != tt.wantCode):
			t.Errorf("%s: %v, want %s", tt.name, e, tt.wantCode)
		case tt.wantCode == stream.CodeRateLimited:
			if e.RetryAfter != tt.wantWait {
				t.Errorf("%s: Retry-After %v, want %v", tt.name, e.RetryAfter, tt.wantWait)
			}
			for _, w := range []string{"even a right one", "refused for " + tt.wantWait.String() + " more", "one try every 6s"} {
				if !strings.Contains(e.Message, w) {
					t.Errorf("%s: %q does not say %q", tt.name, e.Message, w)
				}
			}
			if strings.Contains(e.Message, "minute") {
				t.Errorf("%s: %q", tt.name, e.Message)
			}
		}
	}
}
