package store_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/server/store"
)

// newStore opens a store in a fresh folder, closed at the end of the test.
func newStore(t testing.TB) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relay.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the path to open
		want  string
	}{
		{"missing folder", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "nope", "relay.db")
		}, "does not exist; create it or choose another -data path"},
		{"folder is a file", func(t *testing.T, dir string) string {
			write(t, filepath.Join(dir, "file"), "x")
			return filepath.Join(dir, "file", "relay.db")
		}, "is not a folder"},
		{"not a bbolt file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "relay.db")
			write(t, p, strings.Repeat("not a database\n", 1000))
			return p
		}, "is not a screenpop data file"},
		{"another program's bbolt file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "relay.db")
			rawUpdate(t, p, func(tx *bolt.Tx) error {
				_, err := tx.CreateBucket([]byte("theirs"))
				return err
			})
			return p
		}, "bbolt file of another program"},
		{"newer schema", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "relay.db")
			s, err := store.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			rawUpdate(t, p, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, 99))
			})
			return p
		}, "written by a newer relay (schema v99; this relay knows up to v1); upgrade the relay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.setup(t, t.TempDir())
			s, err := store.Open(path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded, want an error containing %q", path, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open: %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestOpenLocked(t *testing.T) {
	_, path := newStore(t)
	// In a bubble, the wait for the lock runs on the fake clock: the
	// second Open gives up after exactly its lock timeout, at no cost.
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		s2, err := store.Open(path)
		took := time.Since(start)
		if err == nil {
			s2.Close()
			t.Fatal("a second Open of the same file succeeded")
		}
		want := "another relay is using " + path + "; stop it or choose another -data path"
		if err.Error() != want {
			t.Errorf("Open: %v\nwant %s", err, want)
		}
		// bbolt retries every 50 ms until the timeout (1 s) is reached.
		if took < 900*time.Millisecond || took > 1100*time.Millisecond {
			t.Errorf("Open gave up after %v, want after its lock timeout, 1s", took)
		}
	})
}

func TestOpenAfterClose(t *testing.T) {
	s, path := newStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := store.Open(path)
	if err != nil {
		t.Fatalf("reopening a closed file: %v", err)
	}
	s2.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		t.Errorf("file mode %v: others can read the secrets' hashes and tokens", m)
	}
}

// TestRestart fills every part of the store, closes it, reopens the file
// and expects to find everything.
func TestRestart(t *testing.T) {
	s, path := newStore(t)
	secret, err := s.AddAgent("alice", []string{"0033972101010"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddAgent("bob", []string{store.AllLines}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for id := uint64(1); id <= 5; id++ {
		if err := s.AppendEvent(id, t0.Add(time.Duration(id)*time.Second), fmt.Appendf(nil, `{"id":%d}`, id)); err != nil {
			t.Fatal(err)
		}
	}
	missedCall := testCall("0033972101010", "c1", call.Missed, t0)
	endedCall := testCall("0033972101010", "c2", call.Ended, t0.Add(time.Minute))
	for _, c := range []call.Call{missedCall, endedCall} {
		if err := s.PutCall(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkSeen("alice", "0033972101010", "c1"); err != nil {
		t.Fatal(err)
	}
	tok := store.Token{Value: "1738D072-E7C8-4742-85C5-B22DA3D8BD8F", Scope: store.ScopeLine, BillingAccount: "ab12345-ovh-1",
		Line: "0033972101010", Expiration: "unlimited", Created: t0}
	if err := s.PutToken(tok); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = store.Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	a, err := s.Authenticate(secret)
	if err != nil || a.Name != "alice" || a.Lines[0] != "0033972101010" {
		t.Errorf("Authenticate after restart = %+v, %v", a, err)
	}
	if agents, err := s.ListAgents(); err != nil || len(agents) != 2 {
		t.Errorf("ListAgents after restart = %v, %v; want alice and bob", agents, err)
	}
	if last, err := s.LastEventID(); last != 5 || err != nil {
		t.Errorf("LastEventID after restart = %d, %v; want 5", last, err)
	}
	evs, oldest, err := s.EventsSince(3, 0)
	if err != nil || oldest != 1 || len(evs) != 2 || evs[0].ID != 4 || string(evs[1].Data) != `{"id":5}` || !evs[1].At.Equal(t0.Add(5*time.Second)) {
		t.Errorf("EventsSince(3) after restart = %+v, oldest %d, %v", evs, oldest, err)
	}
	calls, err := s.RecentCalls(nil, 0, time.Time{})
	if err != nil || len(calls) != 2 || calls[0].ID != "c2" || calls[1].ID != "c1" || !calls[1].RingAt.Equal(t0) {
		t.Errorf("RecentCalls after restart = %+v, %v", calls, err)
	}
	if n, err := s.UnseenMissedCount("alice", a.Lines); n != 0 || err != nil {
		t.Errorf("alice's unseen missed calls after restart = %d, %v; want 0 (she saw c1)", n, err)
	}
	if n, err := s.UnseenMissedCount("bob", nil); n != 1 || err != nil {
		t.Errorf("bob's unseen missed calls after restart = %d, %v; want 1", n, err)
	}
	toks, err := s.Tokens()
	if err != nil || len(toks) != 1 || toks[0].Value != tok.Value || !toks[0].Created.Equal(t0) || toks[0].Line != tok.Line {
		t.Errorf("Tokens after restart = %v, %v", toks, err)
	}
}

// TestConcurrent uses one store from many goroutines; run it with -race.
func TestConcurrent(t *testing.T) {
	s, _ := newStore(t)
	const agents, rounds = 4, 25
	secrets := make([]string, agents)
	for i := range secrets {
		var err error
		if secrets[i], err = s.AddAgent(fmt.Sprintf("agent-%d", i), []string{"0033972101010"}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	report := func(err error) {
		if err != nil {
			select {
			case errs <- err:
			default:
			}
		}
	}

	// One writer of events, numbering them like the hub does.
	wg.Go(func() {
		for id := uint64(1); id <= rounds*2; id++ {
			report(s.AppendEvent(id, t0, []byte("{}")))
		}
	})
	// Readers of the event log.
	for range 2 {
		wg.Go(func() {
			for range rounds {
				evs, _, err := s.EventsSince(0, 0)
				report(err)
				for i := 1; i < len(evs); i++ {
					if evs[i].ID <= evs[i-1].ID {
						report(fmt.Errorf("events out of order: %d after %d", evs[i].ID, evs[i-1].ID))
					}
				}
			}
		})
	}
	// Each agent authenticates, a call is missed, it lists and marks it.
	for i := range agents {
		wg.Go(func() {
			for r := range rounds {
				a, err := s.Authenticate(secrets[i])
				report(err)
				id := fmt.Sprintf("c%d-%d", i, r)
				report(s.PutCall(testCall("0033972101010", id, call.Missed, t0.Add(time.Duration(r)*time.Second))))
				_, err = s.MissedCalls(a.Name, a.Lines, true, 10)
				report(err)
				report(s.MarkSeen(a.Name, "0033972101010", id))
				_, err = s.UnseenMissedCount(a.Name, a.Lines)
				report(err)
			}
		})
	}
	wg.Go(func() {
		for range rounds {
			_, err := s.TrimEvents(1000, time.Hour, t0)
			report(err)
			_, err = s.RecentCalls([]string{"0033972101010"}, 5, time.Time{})
			report(err)
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, err := s.UnseenMissedCount("agent-0", nil); err != nil || n != (agents-1)*rounds {
		t.Errorf("agent-0's unseen missed calls = %d, %v; want the other agents' %d", n, err, (agents-1)*rounds)
	}
	if last, _ := s.LastEventID(); last != rounds*2 {
		t.Errorf("LastEventID = %d, want %d", last, rounds*2)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// rawUpdate changes a bbolt file behind the store's back.
func rawUpdate(t *testing.T, path string, fn func(*bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func testCall(line, id string, state call.State, ringAt time.Time) call.Call {
	c := call.Call{Line: line, ID: id, Direction: call.Inbound, State: state, Calling: "0033612345678", Called: line,
		RingAt: ringAt, LastEvent: "start_ringing"}
	switch state {
	case call.Missed:
		c.EndAt, c.LastEvent = ringAt.Add(20*time.Second), "end_ringing"
	case call.Ended:
		c.AnswerAt, c.EndAt, c.LastEvent = ringAt.Add(5*time.Second), ringAt.Add(time.Minute), "end_calling"
	}
	return c
}
