package relay

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/ovhsim"
)

// logRecords is a slog handler that keeps the records at info and above
// as "message key=value …" lines, and counts the debug ones by message.
type logRecords struct {
	mu    sync.Mutex
	info  []string
	debug map[string]int
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	s := r.Message
	r.Attrs(func(a slog.Attr) bool {
		s += fmt.Sprintf(" %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.Level < slog.LevelInfo {
		if l.debug == nil {
			l.debug = map[string]int{}
		}
		l.debug[r.Message]++
	} else {
		l.info = append(l.info, s)
	}
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }

// matching returns the info lines that start with prefix.
func (l *logRecords) matching(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.info {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// TestActivityLog: at info, one line as each call rings and one as it is
// answered or missed, with the number of agents' clients it was sent to,
// and one as each agent connects and leaves; numbers masked.
func TestActivityLog(t *testing.T) {
	var recs logRecords
	h := newHarness(t, Config{Log: slog.New(&recs)})
	alice := h.agent(t, "alice", testLine)
	c := h.dialWS(t, 0, authMessage(alice))
	if m := c.next(t, 5*time.Second); m.Type != stream.TypeHello {
		t.Fatalf("first message %+v, want hello", m)
	}
	waitfor.Until(t, "the connection to be logged", func() bool { return len(recs.matching("agent connected")) == 1 })
	if got := recs.matching("agent connected")[0]; got != "agent connected agent=alice transport=websocket connections=1" {
		t.Errorf("logged %q", got)
	}

	for _, tt := range []struct {
		line, scenario string
		want           []string // the call's info lines, in order
		reached        uint64   // CallsReached after it
	}{
		{testLine, ovhsim.Answered, []string{
			"call ringing line=00339…10 caller=00336…82 sent_to_agents=1",
			"call answered line=00339…10 caller=00336…82 sent_to_agents=1",
		}, 1},
		{testLine, ovhsim.Missed, []string{
			"call ringing line=00339…10 caller=00336…82 sent_to_agents=1",
			"call missed line=00339…10 caller=00336…82 sent_to_agents=1",
		}, 2},
		{testLine2, ovhsim.Missed, []string{ // a line alice does not see: sent to nobody
			"call ringing line=00339…11 caller=00336…82 sent_to_agents=0",
			"call missed line=00339…11 caller=00336…82 sent_to_agents=0",
		}, 2},
	} {
		before := len(recs.matching("call "))
		if _, err := h.sim.Ring(ovhsim.Call{Line: tt.line, Calling: "0033612345682", Scenario: tt.scenario, RingFor: 50 * time.Millisecond, TalkFor: 50 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		waitfor.Until(t, "the call's lines", func() bool { return len(recs.matching("call ")) >= before+len(tt.want) })
		if got := recs.matching("call ")[before:]; !slices.Equal(got, tt.want) {
			t.Errorf("%s call on %s logged:\n%s\nwant:\n%s", tt.scenario, tt.line, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
		if n := h.relay.CallsReached(); n != tt.reached {
			t.Errorf("after the %s call on %s, CallsReached = %d, want %d", tt.scenario, tt.line, n, tt.reached)
		}
	}
	waitfor.Until(t, "the answered call's end, at debug", func() bool {
		recs.mu.Lock()
		defer recs.mu.Unlock()
		return recs.debug["call ended"] == 1
	})

	c.c.CloseNow()
	waitfor.Until(t, "the disconnection to be logged", func() bool { return len(recs.matching("agent disconnected")) == 1 })
	if got := recs.matching("agent disconnected")[0]; got != "agent disconnected agent=alice transport=websocket why=left connections=0" {
		t.Errorf("logged %q", got)
	}

	// The demo's pace does not depend on the log level.
	quiet := newHarness(t, Config{Log: slog.New(slog.DiscardHandler)})
	bob := quiet.dialWS(t, 0, authMessage(quiet.agent(t, "bob", testLine)))
	if m := bob.next(t, 5*time.Second); m.Type != stream.TypeHello {
		t.Fatalf("first message %+v, want hello", m)
	}
	quiet.ring(t, testLine, ovhsim.Missed)
	waitfor.Until(t, "a call to reach bob with nothing logged", func() bool { return quiet.relay.CallsReached() == 1 })

	// A long-poll is a client per request: at debug only.
	h.poll(t, alice, 0, 0)
	if n := len(recs.matching("agent connected")) + len(recs.matching("agent disconnected")); n != 2 {
		t.Errorf("a long-poll logged at info: %q", recs.matching("agent "))
	}
}
