package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/server/store"
)

const (
	lineA = "0033972101010"
	lineB = "0033972101011"
)

var c0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func callIDs[T any](calls []T, id func(T) string) string {
	var out []string
	for _, c := range calls {
		out = append(out, id(c))
	}
	return strings.Join(out, " ")
}

func recentIDs(calls []call.Call) string {
	return callIDs(calls, func(c call.Call) string { return c.ID })
}

func missedIDs(calls []store.MissedCall) string {
	return callIDs(calls, func(c store.MissedCall) string {
		if c.Seen {
			return c.ID + "(seen)"
		}
		return c.ID
	})
}

// history saves, a minute apart from c0: a1 missed on A, b2 ended on B,
// a3 abandoned queue call on A, b4 missed on B, a5 ringing on A.
func history(t testing.TB, s *store.Store) {
	t.Helper()
	q := testCall(lineA, "a3", call.Missed, c0.Add(2*time.Minute))
	q.State, q.Queue = call.Abandoned, true
	for _, c := range []call.Call{
		testCall(lineA, "a1", call.Missed, c0),
		testCall(lineB, "b2", call.Ended, c0.Add(time.Minute)),
		q,
		testCall(lineB, "b4", call.Missed, c0.Add(3*time.Minute)),
		testCall(lineA, "a5", call.Ringing, c0.Add(4*time.Minute)),
	} {
		if err := s.PutCall(c); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecentCalls(t *testing.T) {
	s, _ := newStore(t)
	history(t, s)
	tests := []struct {
		name   string
		lines  []string
		limit  int
		before time.Time
		want   string
	}{
		{"all lines", nil, 0, time.Time{}, "a5 b4 a3 b2 a1"},
		{"*", []string{"*"}, 0, time.Time{}, "a5 b4 a3 b2 a1"},
		{"line A", []string{lineA}, 0, time.Time{}, "a5 a3 a1"},
		{"both lines", []string{lineB, lineA}, 0, time.Time{}, "a5 b4 a3 b2 a1"},
		{"a line with no calls", []string{"0033100000000"}, 0, time.Time{}, ""},
		{"no lines", []string{}, 0, time.Time{}, ""},
		{"limit", nil, 2, time.Time{}, "a5 b4"},
		{"line B, limit 1", []string{lineB}, 1, time.Time{}, "b4"},
		{"before b4 (strictly)", nil, 0, c0.Add(3 * time.Minute), "a3 b2 a1"},
		{"before, between calls", nil, 2, c0.Add(90 * time.Second), "b2 a1"},
		{"before everything", nil, 0, c0, ""},
		{"before, after everything", nil, 0, c0.Add(time.Hour), "a5 b4 a3 b2 a1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, err := s.RecentCalls(tt.lines, tt.limit, tt.before)
			if err != nil {
				t.Fatal(err)
			}
			if got := recentIDs(calls); got != tt.want {
				t.Errorf("RecentCalls(%q, %d, %v) = %q, want %q", tt.lines, tt.limit, tt.before, got, tt.want)
			}
		})
	}
}

func TestPutCallUpserts(t *testing.T) {
	s, _ := newStore(t)
	history(t, s)
	// a5 is answered, then ends: still one a5, in its place.
	c := testCall(lineA, "a5", call.Ended, c0.Add(4*time.Minute))
	if err := s.PutCall(c); err != nil {
		t.Fatal(err)
	}
	calls, _ := s.RecentCalls(nil, 0, time.Time{})
	if got := recentIDs(calls); got != "a5 b4 a3 b2 a1" || calls[0].State != call.Ended {
		t.Errorf("after updating a5: %q, a5 %s", got, calls[0].State)
	}
	// The same id on another line is another call.
	if err := s.PutCall(testCall(lineB, "a5", call.Missed, c0.Add(5*time.Minute))); err != nil {
		t.Fatal(err)
	}
	// A late start_ringing moves b4's RingAt before a1: it moves in the history.
	b4 := testCall(lineB, "b4", call.Missed, c0.Add(-time.Minute))
	if err := s.PutCall(b4); err != nil {
		t.Fatal(err)
	}
	calls, _ = s.RecentCalls(nil, 0, time.Time{})
	if got := callIDs(calls, func(c call.Call) string { return c.Line[len(c.Line)-2:] + ":" + c.ID }); got != "11:a5 10:a5 10:a3 11:b2 10:a1 11:b4" {
		t.Errorf("history = %s", got)
	}
	// A call with no time at all is filed when first saved, and stays there.
	before := time.Now()
	if err := s.PutCall(call.Call{Line: lineA, ID: "x", State: call.Answered}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCall(call.Call{Line: lineA, ID: "x", State: call.Ended}); err != nil {
		t.Fatal(err)
	}
	calls, _ = s.RecentCalls(nil, 0, time.Time{})
	if len(calls) != 7 || calls[0].ID != "x" || calls[0].State != call.Ended {
		t.Errorf("after saving x twice: %s", recentIDs(calls))
	}
	if calls, _ := s.RecentCalls(nil, 0, before); len(calls) != 6 {
		t.Errorf("x is not filed at the time it was first saved: %s", recentIDs(calls))
	}

	for _, bad := range []call.Call{{ID: "c"}, {Line: lineA}, {Line: "a\x00b", ID: "c"}, {Line: lineA, ID: "c\x00d"}} {
		if err := s.PutCall(bad); err == nil {
			t.Errorf("PutCall(%+v) accepted", bad)
		}
	}
}

func TestMissedAndSeen(t *testing.T) {
	s, _ := newStore(t)
	history(t, s)
	for _, name := range []string{"alice", "bob"} {
		if _, err := s.AddAgent(name, []string{"*"}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step, agent string, lines []string, unseenOnly bool, want string, wantCount int) {
		t.Helper()
		got, err := s.MissedCalls(agent, lines, unseenOnly, 0)
		if err != nil {
			t.Fatal(err)
		}
		if missedIDs(got) != want {
			t.Errorf("%s: MissedCalls(%s, %q, %v) = %q, want %q", step, agent, lines, unseenOnly, missedIDs(got), want)
		}
		if agent == "" {
			return
		}
		if n, err := s.UnseenMissedCount(agent, lines); n != wantCount || err != nil {
			t.Errorf("%s: UnseenMissedCount(%s, %q) = %d, %v; want %d", step, agent, lines, n, err, wantCount)
		}
	}
	check("start", "alice", nil, false, "b4 a3 a1", 3)
	check("start", "alice", []string{lineA}, true, "a3 a1", 2)
	check("start", "", nil, false, "b4 a3 a1", 0)

	if err := s.MarkSeen("alice", lineA, "a1"); err != nil {
		t.Fatal(err)
	}
	check("alice saw a1", "alice", nil, false, "b4 a3 a1(seen)", 2)
	check("alice saw a1", "alice", nil, true, "b4 a3", 2)
	check("alice saw a1", "bob", nil, true, "b4 a3 a1", 3)

	if err := s.MarkSeen("alice", lineA, "nope"); !errors.Is(err, store.ErrNoCall) {
		t.Errorf("MarkSeen of an unknown call = %v, want ErrNoCall", err)
	}
	if err := s.MarkSeen("alice", lineB, "a1"); !errors.Is(err, store.ErrNoCall) {
		t.Errorf("MarkSeen of a1 on the wrong line = %v, want ErrNoCall", err)
	}
	if _, err := s.MissedCalls("", nil, true, 0); err == nil {
		t.Error("MissedCalls(unseen by nobody) accepted")
	}

	// bob marks all seen up to a3 on line A only: b4 stays unseen, and so
	// does a call missed after the list he looked at.
	n, err := s.MarkAllSeen("bob", []string{lineA}, c0.Add(2*time.Minute))
	if n != 2 || err != nil {
		t.Errorf("MarkAllSeen = %d, %v; want 2 (a1, a3)", n, err)
	}
	check("bob saw line A", "bob", nil, false, "b4 a3(seen) a1(seen)", 1)
	if n, _ := s.MarkAllSeen("bob", []string{lineA}, c0.Add(2*time.Minute)); n != 0 {
		t.Errorf("MarkAllSeen again marked %d", n)
	}
	if n, _ := s.MarkAllSeen("bob", nil, c0.Add(3*time.Minute-time.Nanosecond)); n != 0 {
		t.Errorf("MarkAllSeen before b4 marked %d", n)
	}
	if n, _ := s.MarkAllSeen("bob", nil, c0.Add(time.Hour)); n != 1 {
		t.Errorf("MarkAllSeen on every line marked %d, want 1 (b4)", n)
	}
	check("bob saw everything", "bob", nil, true, "", 0)
	check("bob saw everything", "alice", nil, true, "b4 a3", 2)

	got, _ := s.MissedCalls("alice", nil, false, 2)
	if missedIDs(got) != "b4 a3" || !got[1].Queue || got[1].State != call.Abandoned {
		t.Errorf("MissedCalls limit 2 = %q (%+v)", missedIDs(got), got)
	}
}

func TestTrimCalls(t *testing.T) {
	now := c0.Add(10 * time.Minute) // a1 is 10 min old, a5 6 min
	tests := []struct {
		maxAge time.Duration
		want   string
	}{
		{0, "a5 b4 a3 b2 a1"},
		{time.Hour, "a5 b4 a3 b2 a1"},
		{10 * time.Minute, "a5 b4 a3 b2 a1"}, // a1 is exactly 10 min old: it stays
		{10*time.Minute - time.Nanosecond, "a5 b4 a3 b2"},
		{7 * time.Minute, "a5 b4"},
		{6 * time.Minute, "a5"},
		{time.Minute, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.maxAge), func(t *testing.T) {
			s, _ := newStore(t)
			history(t, s)
			if _, err := s.AddAgent("alice", []string{"*"}); err != nil {
				t.Fatal(err)
			}
			if n, err := s.MarkAllSeen("alice", nil, now); n != 3 || err != nil {
				t.Fatalf("MarkAllSeen = %d, %v", n, err)
			}
			n, err := s.TrimCalls(tt.maxAge, now)
			if err != nil {
				t.Fatal(err)
			}
			calls, _ := s.RecentCalls(nil, 0, time.Time{})
			if got := recentIDs(calls); got != tt.want || n != 5-len(calls) {
				t.Errorf("TrimCalls(%v) dropped %d, left %q; want %q", tt.maxAge, n, got, tt.want)
			}
		})
	}

	t.Run("seen marks go with the call", func(t *testing.T) {
		s, _ := newStore(t)
		if _, err := s.AddAgent("alice", []string{"*"}); err != nil {
			t.Fatal(err)
		}
		history(t, s)
		if err := s.MarkSeen("alice", lineA, "a1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TrimCalls(time.Minute, c0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		// The same call id comes back (OVH ids are not forever unique).
		if err := s.PutCall(testCall(lineA, "a1", call.Missed, c0.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.UnseenMissedCount("alice", nil); n != 1 {
			t.Errorf("a new a1 after trimming counts %d unseen, want 1: the old seen mark stayed", n)
		}
	})
}

func BenchmarkPutCall(b *testing.B) {
	s, _ := newStore(b)
	c := testCall(lineA, "", call.Ringing, c0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// Each call is saved twice, as it rings then ends, like the relay does.
		i++
		c.ID, c.State = fmt.Sprintf("c%d", i/2), call.Ringing
		if i%2 == 0 {
			c.State = call.Missed
		}
		c.RingAt = c0.Add(time.Duration(i/2) * time.Second)
		if err := s.PutCall(c); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPutCallsOneCommit: calls saved together are saved as one after the
// other (the same call twice: the later state wins, in its place), and
// one that cannot be saved is named in the error without losing the
// others.
func TestPutCallsOneCommit(t *testing.T) {
	s, _ := newStore(t)
	ringing := testCall(lineA, "a1", call.Ringing, c0)
	ended := testCall(lineA, "a1", call.Ended, c0)
	bad := testCall("not a line", "z9", call.Missed, c0.Add(time.Minute))
	other := testCall(lineB, "b2", call.Missed, c0.Add(2*time.Minute))
	err := s.PutCalls([]call.Call{ringing, bad, ended, other})
	if err == nil || !strings.Contains(err.Error(), "not a line") {
		t.Errorf("PutCalls = %v, want an error naming the bad line", err)
	}
	calls, _ := s.RecentCalls(nil, 0, time.Time{})
	if got := recentIDs(calls); got != "b2 a1" || calls[1].State != call.Ended {
		t.Errorf("saved %q (a1 %s), want b2 a1, a1 ended", got, calls[len(calls)-1].State)
	}
	if err := s.PutCalls(nil); err != nil {
		t.Errorf("PutCalls(nil) = %v", err)
	}
}
