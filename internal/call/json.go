//go:build !js

// The Book's JSON form is the relay's saved state: left out of the
// extension's wasm, which has no Book, and where encoding/json and fmt
// would cost about 35 KB gzipped.

package call

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// bookVersion is the version of the Book's JSON form. Bump it when the
// form changes incompatibly; UnmarshalJSON refuses newer versions rather
// than half-reading them.
const bookVersion = 1

// bookJSON is the Book's JSON form: every call with the bookkeeping the
// state machine needs (seen events, clocks), sorted by key so that the
// same state always gives the same bytes.
type bookJSON struct {
	Version  int           `json:"v"`
	Keep     time.Duration `json:"keep,omitempty"`
	MaxEnded int           `json:"maxEnded,omitempty"`
	MaxLive  int           `json:"maxLive,omitempty"`
	Calls    []entryJSON   `json:"calls"`
}

type entryJSON struct {
	Call  Call      `json:"call"`
	Seen  uint16    `json:"seen,omitempty"`
	Marks [4]uint32 `json:"marks,omitzero"`
	Mark  uint8     `json:"mark,omitempty"`
	Last  time.Time `json:"last,omitzero"`
	Since time.Time `json:"since,omitzero"`
	Done  time.Time `json:"done,omitzero"`
}

// MarshalJSON encodes the whole state of the Book.
func (b Book) MarshalJSON() ([]byte, error) {
	out := bookJSON{Version: bookVersion, Keep: b.Keep, MaxEnded: b.MaxEnded, MaxLive: b.MaxLive,
		Calls: make([]entryJSON, 0, len(b.calls))}
	for _, e := range b.calls {
		out.Calls = append(out.Calls, entryJSON{Call: e.call, Seen: e.seen, Marks: e.marks, Mark: e.mark,
			Last: e.last, Since: e.since, Done: e.done})
	}
	slices.SortFunc(out.Calls, func(x, y entryJSON) int {
		return cmp.Or(cmp.Compare(x.Call.Line, y.Call.Line), cmp.Compare(x.Call.ID, y.Call.ID))
	})
	return json.Marshal(out)
}

// UnmarshalJSON restores a Book encoded by MarshalJSON, replacing b's
// contents. Calls without an id are dropped, and the limits are enforced
// (the oldest ended calls go first).
func (b *Book) UnmarshalJSON(data []byte) error {
	var in bookJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return fmt.Errorf("call: cannot restore the saved calls: %w", err)
	}
	if in.Version > bookVersion {
		return fmt.Errorf("call: the saved calls are in format v%d, newer than this relay understands (v%d); upgrade the relay or discard the saved state", in.Version, bookVersion)
	}
	*b = Book{Keep: in.Keep, MaxEnded: in.MaxEnded, MaxLive: in.MaxLive, calls: make(map[Key]*entry, len(in.Calls))}
	for _, j := range in.Calls {
		if j.Call.ID == "" {
			continue
		}
		e := &entry{call: j.Call, seen: j.Seen, marks: j.Marks, mark: j.Mark % uint8(len(j.Marks)),
			last: j.Last, since: j.Since, done: j.Done}
		e.call.Missed = e.call.WasMissed() // saved before calls had it
		k := e.key()
		if old, ok := b.calls[k]; ok && old.call.Live() {
			b.live--
		}
		b.calls[k] = e
		if e.call.Live() {
			b.live++
		}
	}
	for _, e := range b.calls {
		if !e.call.Live() {
			b.ended = append(b.ended, e)
		}
	}
	slices.SortFunc(b.ended, func(x, y *entry) int {
		return cmp.Or(x.done.Compare(y.done), cmp.Compare(x.call.Line, y.call.Line), cmp.Compare(x.call.ID, y.call.ID))
	})
	b.trim()
	for b.live > b.maxLive() {
		b.dropStalest(nil)
	}
	return nil
}
