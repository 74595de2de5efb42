package relay

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/screenpop/screenpop/internal/call"
)

// The state file holds what the store does not: the calls in progress
// (the call.Book, with what it needs to recognise duplicates) and the OVH
// session of each token (OVH keeps a session's events between polls, so a
// relay restarted within a minute or so gets the events of its downtime).
// It is a cache: losing it costs the state of the calls going on at the
// time, never the event log or the history, which are in the store.
//
// It is written whole to a temporary file then renamed, so that a crash
// leaves the old state or the new one, never half of one.
type savedState struct {
	Version  int               `json:"v"`
	Saved    time.Time         `json:"saved"`
	Book     json.RawMessage   `json:"book"`               // call.Book's own JSON form
	Sessions map[string]string `json:"sessions,omitempty"` // tokenKey → OVH session
}

// restored is a loaded state file.
type restored struct {
	Book     *call.Book
	Sessions map[string]string
	Saved    time.Time
}

const stateVersion = 1

// loadState reads the state file; (nil, nil) when there is none.
func loadState(path string) (*restored, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s savedState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s is damaged (%v); it is only a cache of the calls in progress: delete it", path, err)
	}
	if s.Version > stateVersion {
		return nil, fmt.Errorf("%s was written by a newer relay (v%d); delete it or upgrade the relay", path, s.Version)
	}
	book := call.NewBook()
	if len(s.Book) > 0 {
		if err := json.Unmarshal(s.Book, book); err != nil {
			return nil, fmt.Errorf("%s: %w; it is only a cache of the calls in progress: delete it", path, err)
		}
	}
	return &restored{Book: book, Sessions: s.Sessions, Saved: s.Saved}, nil
}

// writeState writes s to path atomically, readable by the relay's user only.
func writeState(path string, s *savedState) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".state-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// saveState writes the state file when it changed (or always, with force).
func (r *Relay) saveState(force bool) error {
	if r.cfg.StatePath == "" {
		return nil
	}
	r.mu.Lock()
	if !r.dirty && !force {
		r.mu.Unlock()
		return nil
	}
	book, err := json.Marshal(r.book)
	r.dirty = false
	r.mu.Unlock()
	if err != nil {
		return err
	}
	s := &savedState{Version: stateVersion, Saved: time.Now().UTC(), Book: book}
	r.pmu.Lock()
	s.Sessions = make(map[string]string, len(r.sessions))
	for k, v := range r.sessions {
		s.Sessions[k] = v
	}
	r.pmu.Unlock()
	if err := writeState(r.cfg.StatePath, s); err != nil {
		r.cfg.Log.Error("cannot save the calls in progress", "err", err)
		return err
	}
	return nil
}
