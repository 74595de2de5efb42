package call

import (
	"fmt"
	"testing"
	"time"
)

// check verifies the Book's bookkeeping: the live count, the ended list
// (every ended call exactly once, oldest first) and the limits.
func (b *Book) check() error {
	live := 0
	for k, e := range b.calls {
		if k != e.key() {
			return fmt.Errorf("call %+v filed under %+v", e.key(), k)
		}
		if e.call.Missed != e.call.missed() {
			return fmt.Errorf("call %+v: %s %s, Missed %v", k, e.call.Direction, e.call.State, e.call.Missed)
		}
		if e.call.Live() {
			live++
			if !e.done.IsZero() {
				return fmt.Errorf("live call %+v has an end time", k)
			}
		}
	}
	if live != b.live {
		return fmt.Errorf("live count %d, but %d calls are live", b.live, live)
	}
	if live > b.maxLive() {
		return fmt.Errorf("%d live calls, limit %d", live, b.maxLive())
	}
	if len(b.ended) > b.maxEnded() {
		return fmt.Errorf("%d ended calls, limit %d", len(b.ended), b.maxEnded())
	}
	if len(b.ended)+live != len(b.calls) {
		return fmt.Errorf("%d ended + %d live != %d calls", len(b.ended), live, len(b.calls))
	}
	seen := map[*entry]bool{}
	for _, e := range b.ended {
		if seen[e] || e.call.Live() || b.calls[e.key()] != e {
			return fmt.Errorf("ended list holds %+v wrongly (twice, live or not in the Book)", e.key())
		}
		seen[e] = true
	}
	return nil
}

func TestExpire(t *testing.T) {
	const ringingMax, liveMax = 10 * time.Minute, 12 * time.Hour
	b := NewBook()
	b.Apply(lineEv("start_ringing", lineA, "ring", caller, 0), at(0))
	b.Apply(lineEv("start_ringing", lineA, "dial", lineA, 0), at(0))
	b.Apply(lineEv("start_calling", lineA, "talk", caller, 0), at(0))
	b.Apply(queueEv("member-queue-start", "wait", "", 0), at(0))
	b.Apply(queueEv("agent-offering", "wait", "1001", 300), at(300)) // news: the clock restarts

	if got := b.Expire(at(599), ringingMax, liveMax); len(got) != 0 {
		t.Fatalf("expired too early: %+v", got)
	}
	got := b.Expire(at(601), ringingMax, liveMax)
	wantStates := map[string]State{"dial": Ended, "ring": Missed}
	if len(got) != len(wantStates) {
		t.Fatalf("expired %+v, want %v", got, wantStates)
	}
	for _, ch := range got {
		if ch.Call.State != wantStates[ch.Call.ID] || ch.Event != Expired || ch.Call.LastEvent != Expired ||
			!ch.Changed || ch.New || !ch.Call.EndAt.Equal(at(601)) {
			t.Errorf("expired %+v", ch)
		}
	}
	want(t, "prev", got[1].Prev, Ringing)

	got = b.Expire(at(901), ringingMax, liveMax)
	if len(got) != 1 || got[0].Call.ID != "wait" || got[0].Call.State != Abandoned || got[0].Call.OfferedTo != "" {
		t.Fatalf("queue call: %+v", got)
	}
	if got := b.Expire(at(3600*12-1), ringingMax, liveMax); len(got) != 0 {
		t.Fatalf("answered call expired too early: %+v", got)
	}
	got = b.Expire(at(3600*12+1), ringingMax, liveMax)
	if len(got) != 1 || got[0].Call.ID != "talk" || got[0].Call.State != Ended {
		t.Fatalf("answered call: %+v", got)
	}
	if err := b.check(); err != nil {
		t.Fatal(err)
	}
	// Ended long ago: forgotten.
	if b.Len() != 1 {
		t.Errorf("%d calls remembered, want only the one ended just now", b.Len())
	}
	b.Expire(at(3600*12+1).Add(DefaultKeep+time.Second), ringingMax, liveMax)
	if b.Len() != 0 {
		t.Errorf("%d calls remembered after Keep", b.Len())
	}
	// Expired calls are final.
	b = NewBook()
	b.Apply(lineEv("start_ringing", lineA, "c1", caller, 0), at(0))
	b.Expire(at(1000), ringingMax, liveMax)
	if ch := b.Apply(lineEv("start_calling", lineA, "c1", caller, 2), at(1001)); ch.Changed || ch.Call.State != Missed {
		t.Errorf("after expiry: %+v", ch)
	}
	// No maximum, no expiry.
	if got := b.Expire(at(1e6), 0, 0); len(got) != 0 {
		t.Errorf("expired with no maximum: %+v", got)
	}
}

func TestKeepForgets(t *testing.T) {
	b := NewBook()
	b.Apply(lineEv("end_calling", lineA, "c1", caller, 0), at(0))
	if ch := b.Apply(lineEv("end_calling", lineA, "c1", caller, 0), at(60)); !ch.Duplicate {
		t.Errorf("a minute later: %+v, want a duplicate", ch)
	}
	// Apply forgets too, without Expire.
	b.Apply(lineEv("end_calling", lineA, "c2", caller, 0), at(0).Add(DefaultKeep+time.Second))
	if _, ok := b.Get(Key{lineA, "c1"}); ok {
		t.Error("c1 still remembered after Keep")
	}
}

func TestBounds(t *testing.T) {
	t.Run("ended", func(t *testing.T) {
		b := &Book{MaxEnded: 3}
		for i := range 10 {
			b.Apply(lineEv("end_calling", lineA, fmt.Sprint(i), caller, float64(i)), at(float64(i)))
		}
		want(t, "calls", b.Len(), 3)
		for i := 7; i < 10; i++ {
			mustGet(t, b, lineA, fmt.Sprint(i))
		}
	})
	t.Run("live", func(t *testing.T) {
		b := &Book{MaxLive: 5}
		for i := range 10 {
			b.Apply(lineEv("start_ringing", lineA, fmt.Sprint(i), caller, float64(i)), at(float64(i)))
		}
		want(t, "calls", b.Len(), 5)
		for i := 5; i < 10; i++ {
			mustGet(t, b, lineA, fmt.Sprint(i))
		}
		if err := b.check(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("long uptime", func(t *testing.T) {
		// A day of 100 simultaneous calls, one new every second, each
		// rings 10 s and talks 90 s; one in ten is never ended by OVH.
		b := NewBook()
		maxLen := 0
		for s := 0; s < 86400; s++ {
			now := at(float64(s))
			b.Apply(lineEv("start_ringing", lineA, fmt.Sprint(s), caller, float64(s)), now)
			if j := s - 10; j >= 0 {
				b.Apply(lineEv("start_calling", lineA, fmt.Sprint(j), caller, float64(s)), now)
			}
			if j := s - 100; j >= 0 && j%10 != 0 {
				b.Apply(lineEv("end_calling", lineA, fmt.Sprint(j), caller, float64(s)), now)
			}
			if s%30 == 0 {
				b.Expire(now, 10*time.Minute, time.Hour)
			}
			maxLen = max(maxLen, b.Len())
		}
		if err := b.check(); err != nil {
			t.Fatal(err)
		}
		if limit := 100 + 3600/10 + DefaultMaxEnded; maxLen > limit {
			t.Errorf("the Book grew to %d calls, want at most %d", maxLen, limit)
		}
		t.Logf("at most %d calls held; %d at the end", maxLen, b.Len())
	})
}

func TestLive(t *testing.T) {
	b := NewBook()
	b.Apply(lineEv("start_ringing", lineA, "late", caller, 5), at(5))
	b.Apply(lineEv("start_ringing", lineA, "early", caller, 1), at(6))
	b.Apply(lineEv("end_calling", lineA, "gone", caller, 1), at(7))
	live := b.Live()
	if len(live) != 2 || live[0].ID != "early" || live[1].ID != "late" {
		t.Errorf("live = %+v, want early then late", live)
	}
	var zero Book // the zero Book works
	if len(zero.Live()) != 0 || zero.Len() != 0 {
		t.Error("zero Book not empty")
	}
	zero.Apply(lineEv("start_ringing", lineA, "c1", caller, 0), at(0))
	if len(zero.Live()) != 1 {
		t.Error("zero Book did not take a call")
	}
}
