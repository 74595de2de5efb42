package relay

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/crm"
)

// CRM is the relay's caller directory, synced from a CRM by the process
// (server/serve.go runs the crm.Syncer and reports each sync through
// Relay.CRMSynced): every call's card names its caller from it, and a
// number it does not know gets one live lookup, whose answer comes as a
// follow-up message (see stream.Card).
type CRM struct {
	Directory *directory.Directory
	// Search is the live lookup of a number the directory does not know
	// (nil: none; such a caller is unknown until the next sync).
	Search crm.Searcher
	// RecordURL is the page of a record, on the relay's CRM address (the
	// extension rebuilds it on the agent's own).
	RecordURL func(module, id string) string
	// LookupTimeout bounds a live lookup (default 10 s): a slow CRM
	// delays only the follow-up, never the pop.
	LookupTimeout time.Duration
	// UnknownFor is how long a number the live lookup did not find is
	// taken as unknown without asking again (default one minute, the
	// default sync interval: a record made since is found by the sync).
	UnknownFor time.Duration
	// Learned is called with the records a live lookup found, once they
	// are in the Directory (the process saves the directory).
	Learned func([]directory.Record)
}

// crmState is what the relay knows of its CRM: the last sync, the live
// lookups under way, the numbers found unknown.
type crmState struct {
	mu       sync.Mutex
	status   crm.Status
	synced   bool   // a sync has been reported
	logged   string // the sync failure last logged at its level ("" after a success)
	lookErr  string // the live lookup failure last logged at its level
	inFlight map[string]bool
	unknown  map[string]time.Time

	// dirStatus is what clients were told of the syncs (the upstream
	// message's Directory): it changes with the state or the error only,
	// not at every sync.
	dirStatus stream.DirectoryStatus

	syncErrors atomic.Uint64
	lookups    struct{ found, unknown, failed atomic.Uint64 }
}

// maxUnknown bounds the numbers remembered as unknown (each a few
// dozen bytes): past it, they are forgotten at once.
const maxUnknown = 10000

// fillCard fills an event's or live call's card from the directory
// (FillCard) and, for a live call whose number the directory does not
// know, starts the live lookup, off the ring path. r.mu is held.
func (r *Relay) fillCard(card *stream.Card, c call.Call, now time.Time) {
	cr := r.cfg.CRM
	if cr == nil || cr.Directory == nil {
		return
	}
	FillCard(card, cr.Directory, cr.RecordURL)
	if card.Directory != stream.DirectoryLooking {
		return
	}
	key, _ := directory.KeyOf(card.OtherParty)
	s := &r.crm
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, ok := s.unknown[key]; ok && now.Sub(at) < r.unknownFor() {
		card.Directory = stream.DirectoryUnknown
		return
	}
	if cr.Search == nil {
		card.Directory = stream.DirectoryUnknown
		return
	}
	if s.inFlight[key] || !c.Live() {
		return // its follow-up is coming; or an ended call, not worth a lookup
	}
	if s.inFlight == nil {
		s.inFlight = map[string]bool{}
	}
	s.inFlight[key] = true
	go r.lookUp(key, card.OtherParty)
}

func (r *Relay) unknownFor() time.Duration {
	if d := r.cfg.CRM.UnknownFor; d > 0 {
		return d
	}
	return crm.DefaultInterval
}

// lookUp asks the CRM for the records of one number, adds what it finds
// to the directory, and sends each live call of that number a follow-up
// with its card: found, or unknown. A failed lookup sends nothing (the
// cards stay "looking") and is logged once per new failure.
func (r *Relay) lookUp(key string, n phone.Number) {
	cr := r.cfg.CRM
	timeout := cr.LookupTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(r.ctx, timeout)
	recs, err := cr.Search.Search(ctx, n, r.cfg.Region)
	cancel()
	s := &r.crm
	now := time.Now()
	s.mu.Lock()
	delete(s.inFlight, key)
	if err != nil {
		s.lookups.failed.Add(1)
		again := s.lookErr == err.Error()
		s.lookErr = err.Error()
		s.mu.Unlock()
		level := slog.LevelWarn
		if again || r.ctx.Err() != nil {
			level = slog.LevelDebug
		}
		r.cfg.Log.Log(context.Background(), level, "live CRM lookup of an unknown caller failed; the pop went out without a name", "err", err, "kind", crm.KindOf(err), "calling", maskNumber(n.Forms.E164))
		return
	}
	s.lookErr = ""
	if len(recs) == 0 {
		s.lookups.unknown.Add(1)
		if len(s.unknown) >= maxUnknown {
			clear(s.unknown)
		}
		if s.unknown == nil {
			s.unknown = map[string]time.Time{}
		}
		s.unknown[key] = now
	} else {
		s.lookups.found.Add(1)
	}
	s.mu.Unlock()
	if len(recs) > 0 {
		cr.Directory.Apply(directory.Sync{Upserts: recs})
		if cr.Learned != nil {
			cr.Learned(recs)
		}
	}
	r.cfg.Log.Debug("live CRM lookup", "calling", maskNumber(n.Forms.E164), "records", len(recs))

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		return // the relay is closing: its store may be closed already
	}
	var out []*stream.Event
	for _, c := range r.book.Live() {
		se := streamEvent(&r.numbers, c.LastEvent, c, now, r.cfg.Region)
		if k, ok := directory.KeyOf(se.OtherParty); !ok || k != key {
			continue
		}
		se.Duplicate = true // a follow-up: nothing new happened to the call
		r.fillCard(&se.Card, c, now)
		out = append(out, &se)
	}
	r.publishLocked(out, now)
}

// CRMSynced records the outcome of a directory sync, for /healthz and
// /metrics, and logs it: a failure once at warn level while it stays the
// same (then at debug), and the recovery.
func (r *Relay) CRMSynced(st crm.Status, err error) {
	s := &r.crm
	s.mu.Lock()
	s.status, s.synced = st, true
	prev := s.logged
	ds := stream.DirectoryStatus{State: stream.SyncOK}
	if err != nil {
		s.logged = err.Error()
		s.syncErrors.Add(1)
		ds = stream.DirectoryStatus{State: stream.SyncFailing, Error: err.Error(), Kind: string(st.Kind)}
	} else {
		s.logged = ""
	}
	changed := ds.State != s.dirStatus.State || ds.Error != s.dirStatus.Error
	if changed {
		ds.Since = cmp.Or(st.At, time.Now())
		s.dirStatus = ds
	}
	s.mu.Unlock()
	if changed {
		r.upstreamChanged() // the clients' popups
	}
	log := r.cfg.Log
	switch {
	case err != nil:
		level := slog.LevelWarn
		if prev == err.Error() {
			level = slog.LevelDebug
		}
		log.Log(context.Background(), level, "CRM directory sync failed; pops go on, naming callers from the directory as it was", "err", err, "kind", st.Kind, "records", st.Directory.Records)
	case prev != "":
		log.Info("CRM directory sync works again", "records", st.Directory.Records, "took", st.Duration.Round(time.Millisecond))
	case st.Full:
		log.Info("CRM directory synced in full", "records", st.Directory.Records, "numbers", st.Directory.Keys, "skipped_phones", st.Directory.Skipped, "took", st.Duration.Round(time.Millisecond))
	default:
		log.Debug("CRM directory synced", "upserts", st.Upserts, "deletes", st.Deletes, "records", st.Directory.Records, "took", st.Duration.Round(time.Millisecond))
	}
}

// directoryStatus is what clients are told of the directory's syncs;
// nil when the relay has none.
func (r *Relay) directoryStatus() *stream.DirectoryStatus {
	if cr := r.cfg.CRM; cr == nil || cr.Directory == nil {
		return nil
	}
	s := &r.crm
	s.mu.Lock()
	defer s.mu.Unlock()
	ds := s.dirStatus
	if ds.State == "" {
		ds.State = stream.SyncStarting
	}
	return &ds
}

// CRMHealth is the caller directory's part of /healthz.
type CRMHealth struct {
	// State is "starting" (no sync ended yet), "ok" (the last sync
	// worked) or "failing" (it failed: Error says why and what to do;
	// the directory keeps what it had).
	State       string    `json:"state"`
	LastSync    time.Time `json:"last_sync,omitzero"` // when the last sync ended
	LastSuccess time.Time `json:"last_success,omitzero"`
	Duration    float64   `json:"duration_seconds"` // the last sync's
	Full        bool      `json:"full,omitempty"`   // the last sync listed every record
	Records     int       `json:"records"`
	Numbers     int       `json:"numbers"`
	// SkippedPhones are phone fields that hold no number (garbage typed
	// in the CRM, an extension): no ring finds them.
	SkippedPhones int    `json:"skipped_phones,omitempty"`
	Unindexed     int    `json:"unindexed,omitempty"` // records with no number at all
	Error         string `json:"error,omitempty"`
	ErrorKind     string `json:"error_kind,omitempty"`
	// LookupError is the last live lookup's failure ("" once one works).
	LookupError string `json:"lookup_error,omitempty"`
}

// crmHealth is the directory's health, nil when the relay has none.
func (r *Relay) crmHealth() *CRMHealth {
	cr := r.cfg.CRM
	if cr == nil || cr.Directory == nil {
		return nil
	}
	s := &r.crm
	s.mu.Lock()
	st, synced, lookErr := s.status, s.synced, s.lookErr
	s.mu.Unlock()
	ds := cr.Directory.Stats()
	h := &CRMHealth{State: "ok", LastSync: st.At, LastSuccess: st.LastSuccess, Duration: st.Duration.Seconds(), Full: st.Full,
		Records: ds.Records, Numbers: ds.Keys, SkippedPhones: ds.Skipped, Unindexed: ds.Unindexed,
		Error: st.Err, ErrorKind: string(st.Kind), LookupError: lookErr}
	switch {
	case !synced:
		h.State = "starting"
	case st.Err != "":
		h.State = "failing"
	}
	return h
}
