package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/server/store"
)

var e0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// appendN logs events 1..n, event i at e0 + i seconds.
func appendN(t testing.TB, s *store.Store, n int) {
	t.Helper()
	var evs []store.LoggedEvent
	for i := 1; i <= n; i++ {
		evs = append(evs, store.LoggedEvent{ID: uint64(i), At: e0.Add(time.Duration(i) * time.Second), Data: fmt.Appendf(nil, "event %d", i)})
	}
	if err := s.AppendEvents(evs); err != nil {
		t.Fatal(err)
	}
}

func ids(evs []store.LoggedEvent) []uint64 {
	out := []uint64{}
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

func TestAppendEventOrder(t *testing.T) {
	s, _ := newStore(t)
	if err := s.AppendEvent(0, e0, nil); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("AppendEvent(0) = %v, want it refused", err)
	}
	if err := s.AppendEvent(5, e0, []byte("a")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{5, 4} {
		if err := s.AppendEvent(id, e0, nil); err == nil || !strings.Contains(err.Error(), "LastEventID()+1") {
			t.Errorf("AppendEvent(%d) after 5 = %v, want it refused", id, err)
		}
	}
	// A batch is all or nothing.
	err := s.AppendEvents([]store.LoggedEvent{{ID: 6, At: e0}, {ID: 8, At: e0}, {ID: 7, At: e0}})
	if err == nil {
		t.Error("AppendEvents accepted 8 then 7")
	}
	if evs, _, _ := s.EventsSince(0, 0); len(evs) != 1 {
		t.Errorf("after a refused batch the log holds %v, want only 5", ids(evs))
	}
	if err := s.AppendEvents(nil); err != nil {
		t.Errorf("AppendEvents(nil) = %v", err)
	}
	if err := s.AppendEvents([]store.LoggedEvent{{ID: 6, At: e0}, {ID: 9, At: e0}}); err != nil {
		t.Fatal(err)
	}
	if last, err := s.LastEventID(); last != 9 || err != nil {
		t.Errorf("LastEventID = %d, %v; want 9", last, err)
	}
}

func TestEventsSince(t *testing.T) {
	s, _ := newStore(t)
	if evs, oldest, err := s.EventsSince(0, 0); len(evs) != 0 || oldest != 0 || err != nil {
		t.Errorf("empty log: EventsSince = %v, %d, %v", evs, oldest, err)
	}
	if last, _ := s.LastEventID(); last != 0 {
		t.Errorf("empty log: LastEventID = %d", last)
	}
	appendN(t, s, 10)
	tests := []struct {
		name   string
		cursor uint64
		max    int
		want   []uint64
	}{
		{"from the start", 0, 0, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"from the start, max 3", 0, 3, []uint64{1, 2, 3}},
		{"middle", 7, 0, []uint64{8, 9, 10}},
		{"middle, max 2", 7, 2, []uint64{8, 9}},
		{"max above what is left", 8, 100, []uint64{9, 10}},
		{"up to date", 10, 0, []uint64{}},
		{"cursor from the future", 99, 0, []uint64{}},
		{"largest cursor", 1<<64 - 1, 0, []uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, oldest, err := s.EventsSince(tt.cursor, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(ids(evs)); got != fmt.Sprint(tt.want) || oldest != 1 {
				t.Errorf("EventsSince(%d, %d) = %s, oldest %d; want %v, oldest 1", tt.cursor, tt.max, got, oldest, tt.want)
			}
			for _, e := range evs {
				if string(e.Data) != fmt.Sprintf("event %d", e.ID) || !e.At.Equal(e0.Add(time.Duration(e.ID)*time.Second)) {
					t.Errorf("event %d = %q at %v", e.ID, e.Data, e.At)
				}
			}
		})
	}
}

func TestTrimEvents(t *testing.T) {
	now := e0.Add(10 * time.Second) // event i is 10-i seconds old
	tests := []struct {
		name       string
		keepMax    int
		maxAge     time.Duration
		wantOldest uint64 // 0: all gone
	}{
		{"no bounds", 0, 0, 1},
		{"keep more than held", 100, 0, 1},
		{"keep exactly what is held", 10, 0, 1},
		{"keep 3", 3, 0, 8},
		{"keep 1", 1, 0, 10},
		{"age: event 5 is exactly 5s old and stays", 0, 5 * time.Second, 5},
		{"age: 4.5s", 0, 4500 * time.Millisecond, 6},
		{"age: everything older", 0, time.Nanosecond, 10},
		{"age older than all", 0, time.Hour, 1},
		{"both: count is tighter", 2, time.Hour, 9},
		{"both: age is tighter", 8, 3 * time.Second, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			appendN(t, s, 10)
			dropped, err := s.TrimEvents(tt.keepMax, tt.maxAge, now)
			if err != nil {
				t.Fatal(err)
			}
			evs, oldest, _ := s.EventsSince(0, 0)
			if oldest != tt.wantOldest || (len(evs) > 0 && evs[0].ID != oldest) || int(10-oldest+1) != len(evs) {
				t.Errorf("after TrimEvents(%d, %v): oldest %d, events %v; want from %d", tt.keepMax, tt.maxAge, oldest, ids(evs), tt.wantOldest)
			}
			if dropped != 10-len(evs) {
				t.Errorf("TrimEvents said it dropped %d, %d are gone", dropped, 10-len(evs))
			}
		})
	}

	t.Run("everything gone, numbering goes on", func(t *testing.T) {
		s, path := newStore(t)
		appendN(t, s, 10)
		if n, err := s.TrimEvents(0, time.Second, e0.Add(time.Hour)); n != 10 || err != nil {
			t.Fatalf("TrimEvents = %d, %v; want all 10 dropped", n, err)
		}
		s.Close()
		s, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if evs, oldest, _ := s.EventsSince(3, 0); len(evs) != 0 || oldest != 0 {
			t.Errorf("EventsSince on an emptied log = %v, oldest %d", ids(evs), oldest)
		}
		if last, _ := s.LastEventID(); last != 10 {
			t.Errorf("LastEventID after trimming everything and a restart = %d, want 10", last)
		}
		if err := s.AppendEvent(3, e0, nil); err == nil {
			t.Error("an old ID was accepted after the log was emptied")
		}
	})
}

func BenchmarkAppendEvent(b *testing.B) {
	s, _ := newStore(b)
	data := []byte(strings.Repeat("x", 600)) // about one encoded stream message
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	id := uint64(0)
	for b.Loop() {
		id++
		if err := s.AppendEvent(id, e0, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendEvents100 logs 100 events per transaction: the cost of a
// burst, per event.
func BenchmarkAppendEvents100(b *testing.B) {
	s, _ := newStore(b)
	data := []byte(strings.Repeat("x", 600))
	batch := make([]store.LoggedEvent, 100)
	b.ReportAllocs()
	b.SetBytes(int64(len(data) * len(batch)))
	id := uint64(0)
	for b.Loop() {
		for i := range batch {
			id++
			batch[i] = store.LoggedEvent{ID: id, At: e0, Data: data}
		}
		if err := s.AppendEvents(batch); err != nil {
			b.Fatal(err)
		}
	}
}
