package crm

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
)

// scriptedSource answers Changes from a script, one answer per call, and
// records the cursors it was asked from.
type scriptedSource struct {
	mu      sync.Mutex
	answers []scripted
	asked   []Cursor
}

type scripted struct {
	sync directory.Sync
	next Cursor
	err  error
}

func (s *scriptedSource) Changes(_ context.Context, since Cursor) (directory.Sync, Cursor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, since)
	if len(s.answers) == 0 {
		return directory.Sync{}, since, nil
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	if a.err != nil {
		return directory.Sync{}, since, a.err
	}
	a.sync.Full = since.IsZero()
	return a.sync, a.next, nil
}

func cursorAt(sec int) Cursor {
	return Cursor{Modules: map[string]Mark{"Contacts": {Modified: time.Unix(int64(sec), 0).UTC(), ID: "x"}}}
}

// TestRun: a full sync at once, then one every interval from the cursor
// of the last good one; a failure is reported and retried from the same
// cursor, and keeps the directory.
func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		alice := directory.Record{Module: "Contacts", ID: "a", Name: "Alice", Phones: []directory.Phone{{Field: "phone_work", Number: "0123456789"}}}
		bob := directory.Record{Module: "Contacts", ID: "b", Name: "Bob", Phones: []directory.Phone{{Field: "phone_work", Number: "0612345682"}}}
		src := &scriptedSource{answers: []scripted{
			{sync: directory.Sync{Upserts: []directory.Record{alice}}, next: cursorAt(1)},
			{err: &Error{Kind: ErrServer, Err: errors.New("answered 503")}},
			{sync: directory.Sync{Upserts: []directory.Record{bob}}, next: cursorAt(2)},
		}}
		d := newDirectory(t)
		s := &Syncer{Source: src, Directory: d}
		var mu sync.Mutex
		var reports []Status
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			s.Run(ctx, time.Minute, func(st Status, err error) {
				mu.Lock()
				reports = append(reports, st)
				mu.Unlock()
			})
			close(done)
		}()
		synctest.Wait()
		for range 2 {
			time.Sleep(time.Minute)
			synctest.Wait()
		}
		cancel()
		<-done

		if len(reports) != 3 {
			t.Fatalf("%d syncs reported, want 3 (at once, then two intervals)", len(reports))
		}
		if !reports[0].Full || reports[0].Err != "" || reports[0].Directory.Records != 1 {
			t.Errorf("first sync: %+v, want a full one with Alice", reports[0])
		}
		if reports[1].Kind != ErrServer || reports[1].Directory.Records != 1 || !reports[1].LastSuccess.Equal(reports[0].At) {
			t.Errorf("failed sync: %+v, want kind server, Alice kept, the first sync as last success", reports[1])
		}
		if reports[2].Full || reports[2].Directory.Records != 2 || reports[2].Duration != 0 {
			t.Errorf("third sync: %+v, want an incremental one adding Bob", reports[2])
		}
		wantAsked := []Cursor{{}, cursorAt(1), cursorAt(1)}
		if !slices.EqualFunc(src.asked, wantAsked, Cursor.Equal) {
			t.Errorf("asked from %v, want %v (the failed sync retried from the same cursor)", src.asked, wantAsked)
		}
		if !s.Cursor().Equal(cursorAt(2)) || !s.Status().At.Equal(reports[2].At) {
			t.Errorf("cursor %v status %+v after the run", s.Cursor(), s.Status())
		}
	})
}
