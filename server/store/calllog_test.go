package store_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/screenpop/screenpop/server/store"
)

const clLine, clCall = "0033972101010", "call-1"

func setData(v string, due bool) func(json.RawMessage) (json.RawMessage, bool, error) {
	return func(json.RawMessage) (json.RawMessage, bool, error) { return json.RawMessage(`"` + v + `"`), due, nil }
}

func mergeTo(v string) store.Merge {
	return func(json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`"` + v + `"`), nil }
}

func dueIDs(t *testing.T, s *store.Store, now time.Time) ([]string, time.Time) {
	t.Helper()
	due, next, err := s.DueCallLogs(now, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range due {
		ids = append(ids, e.CallID)
	}
	return ids, next
}

// TestCallLogQueue: queued when due, held back after a failure until its
// retry time, out of the queue once written; a write that finished on an
// older revision leaves it queued, its merge kept; it all survives a
// reopen.
func TestCallLogQueue(t *testing.T) {
	s, path := newStore(t)
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	rev, err := s.UpdateCallLog(clLine, clCall, t0, setData("ended", true))
	if err != nil {
		t.Fatal(err)
	}
	if ids, _ := dueIDs(t, s, t0); len(ids) != 1 || ids[0] != clCall {
		t.Fatalf("due: %v, want the call", ids)
	}
	retry := t0.Add(time.Minute)
	if err := s.CallLogFailed(clLine, clCall, rev, nil, "crm: down", retry, t0); err != nil {
		t.Fatal(err)
	}
	if ids, next := dueIDs(t, s, t0.Add(time.Second)); len(ids) != 0 || !next.Equal(retry) {
		t.Errorf("after a failure: due %v, next %v; want none until %v", ids, next, retry)
	}
	if n, last, _ := s.CallLogStats(); n != 1 || last != "crm: down" {
		t.Errorf("stats: %d queued, last error %q", n, last)
	}

	// Reopened (a restart): still queued.
	s.Close()
	s, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e, ok, err := s.CallLog(clLine, clCall)
	if err != nil || !ok || !e.Queued || e.Attempts != 1 || string(e.Data) != `"ended"` {
		t.Fatalf("after a reopen: %+v, %v, %v", e, ok, err)
	}

	// A note comes during the write: the write's merge is kept, the
	// entry stays queued for the note.
	rev2, err := s.UpdateCallLog(clLine, clCall, retry, setData("noted", true))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CallLogWritten(clLine, clCall, rev, mergeTo("noted+record"), retry); !errors.Is(err, store.ErrStaleCallLog) {
		t.Errorf("a stale write: %v, want ErrStaleCallLog", err)
	}
	if e, _, _ := s.CallLog(clLine, clCall); !e.Queued || string(e.Data) != `"noted+record"` {
		t.Errorf("after a stale write: %+v", e)
	}
	if err := s.CallLogWritten(clLine, clCall, rev2, nil, retry); err != nil {
		t.Fatal(err)
	}
	if e, _, _ := s.CallLog(clLine, clCall); e.Queued || e.Written.IsZero() || e.LastError != "" {
		t.Errorf("after the write: %+v", e)
	}
	if n, _, _ := s.CallLogStats(); n != 0 {
		t.Errorf("%d queued after the write", n)
	}

	// A change that is not due (a note on a live call) queues nothing.
	if _, err := s.UpdateCallLog(clLine, "call-2", retry, setData("live", false)); err != nil {
		t.Fatal(err)
	}
	if ids, _ := dueIDs(t, s, retry.Add(time.Hour)); len(ids) != 0 {
		t.Errorf("due: %v, want none", ids)
	}

	// Trimmed when old and not queued.
	if _, err := s.UpdateCallLog(clLine, "call-3", retry, setData("pending", true)); err != nil {
		t.Fatal(err)
	}
	n, err := s.TrimCallLog(time.Hour, retry.Add(2*time.Hour))
	if err != nil || n != 2 {
		t.Errorf("trimmed %d, %v; want the two entries not queued", n, err)
	}
	if _, ok, _ := s.CallLog(clLine, "call-3"); !ok {
		t.Error("a queued entry was trimmed")
	}
}

func TestCallLogBadInput(t *testing.T) {
	s, _ := newStore(t)
	now := time.Now()
	if _, err := s.UpdateCallLog("", clCall, now, setData("x", true)); err == nil {
		t.Error("an empty line was taken")
	}
	if _, err := s.UpdateCallLog(clLine, "", now, setData("x", true)); err == nil {
		t.Error("an empty call id was taken")
	}
	if err := s.CallLogWritten(clLine, "nope", 1, nil, now); err == nil {
		t.Error("a write of no entry was taken")
	}
}
