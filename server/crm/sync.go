package crm

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
)

// DefaultInterval is how often Run syncs incrementally.
const DefaultInterval = 60 * time.Second

// DefaultSyncTimeout bounds one sync: a full sync of 100,000 records
// from a slow CRM takes minutes, an incremental one seconds.
const DefaultSyncTimeout = 10 * time.Minute

// Syncer keeps a Directory in step with a CRM. Its methods are safe for
// concurrent use; syncs run one at a time.
type Syncer struct {
	Source    Source
	Directory *directory.Directory
	// Timeout bounds each sync (DefaultSyncTimeout when zero).
	Timeout time.Duration
	// Now is the clock of the Status times (time.Now when nil).
	Now func() time.Time

	run    sync.Mutex // one sync at a time
	mu     sync.Mutex
	cursor Cursor
	status Status
}

// Status is the outcome of the last sync, for /healthz and /metrics.
type Status struct {
	At       time.Time     `json:"at"`       // when it ended
	Duration time.Duration `json:"duration"` // how long it took
	Full     bool          `json:"full"`
	Upserts  int           `json:"upserts"` // records listed
	Deletes  int           `json:"deletes"`
	// Directory is the directory after it (unchanged by a failed sync).
	Directory directory.Stats `json:"directory"`
	// Err is the failure ("" when it succeeded), what to do included, and
	// Kind its kind.
	Err  string    `json:"error,omitempty"`
	Kind ErrorKind `json:"error_kind,omitempty"`
	// LastSuccess is when a sync last succeeded (zero: never).
	LastSuccess time.Time `json:"last_success,omitzero"`
}

// Cursor is where the next incremental sync starts (zero: the next sync
// is full). The relay stores it with the directory.
func (s *Syncer) Cursor() Cursor {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor
}

// SetCursor sets the cursor, from what the relay stored with the
// directory, so that a restart syncs incrementally.
func (s *Syncer) SetCursor(c Cursor) {
	s.mu.Lock()
	s.cursor = c
	s.mu.Unlock()
}

// Status returns the last sync's outcome.
func (s *Syncer) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Full lists every record and makes the directory exactly them.
func (s *Syncer) Full(ctx context.Context) (Status, error) {
	return s.sync(ctx, true)
}

// Sync syncs incrementally from the cursor, or fully when there is none.
func (s *Syncer) Sync(ctx context.Context) (Status, error) {
	return s.sync(ctx, false)
}

func (s *Syncer) sync(ctx context.Context, full bool) (Status, error) {
	s.run.Lock()
	defer s.run.Unlock()
	now := s.Now
	if now == nil {
		now = time.Now
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultSyncTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	since := s.Cursor()
	if full {
		since = Cursor{}
	}
	start := now()
	batch, next, err := s.Source.Changes(ctx, since)
	st := Status{Full: since.IsZero(), Upserts: len(batch.Upserts), Deletes: len(batch.Deletes)}
	if err != nil {
		st.Upserts, st.Deletes = 0, 0
		st.Directory = s.Directory.Stats()
		st.Err, st.Kind = err.Error(), KindOf(err)
		if st.Kind == "" && errors.Is(err, context.DeadlineExceeded) {
			st.Kind = ErrTimeout
		}
	} else {
		st.Directory = s.Directory.Apply(batch)
	}
	st.At = now()
	st.Duration = st.At.Sub(start)

	s.mu.Lock()
	defer s.mu.Unlock()
	st.LastSuccess = s.status.LastSuccess
	if err == nil {
		st.LastSuccess = st.At
		s.cursor = next
	}
	s.status = st
	return st, err
}

// Run syncs at once (fully, unless SetCursor gave the cursor of a stored
// directory), then incrementally every interval (DefaultInterval when
// zero) until ctx ends. Each sync is reported through report (which may
// be nil); a failed one is retried at the next interval from the same
// cursor (a failed first full sync, fully again).
func (s *Syncer) Run(ctx context.Context, interval time.Duration, report func(Status, error)) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		st, err := s.Sync(ctx)
		if report != nil {
			report(st, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
