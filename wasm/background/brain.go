// Package background is the extension's brain, run by the service worker
// (Chrome) or background page (Firefox): it keeps the connection to the
// relay, decides what each call should do, and does it.
//
// brain.go is the deciding part: plain functions over explicit state, with
// no browser in sight, so it is unit-tested natively. The state is saved to
// extension storage after every message, because Chrome stops the worker
// at any time and all Go memory goes with it.
package background

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
)

// StateKey is the storage key the brain's state lives under.
const StateKey = "state"

// poppedKeep bounds how long and how many popped calls are remembered:
// long enough that a replay after a restart never pops twice.
const (
	poppedKeep = 24 * time.Hour
	poppedMax  = 1000
)

// State is everything the background must remember across worker restarts.
type State struct {
	Relay   string           `json:"relay"`   // relay URL the cursor belongs to
	Cursor  uint64           `json:"cursor"`  // ID of the last event processed
	Popped  map[string]int64 `json:"popped"`  // call key → when it popped (Unix ms)
	Ringing map[string]int64 `json:"ringing"` // calls ringing now → since (Unix ms), for the badge
}

// Action is something the browser must do.
type Action struct {
	Kind  string // ActionOpenTab, ActionBadge, ActionLog
	URL   string
	Text  string // badge text or log line
	Color string
}

const (
	ActionOpenTab = "open-tab"
	ActionBadge   = "badge"
	ActionLog     = "log"
)

// Badge colours: red while ringing.
const ringColor = "#d93025"

func key(c call.Call) string { return c.Line + "|" + c.ID }

// Reset clears the state when the relay URL changes: cursors of one relay
// mean nothing to another.
func (st *State) Reset(relay string) {
	*st = State{Relay: relay}
}

func (st *State) init() {
	if st.Popped == nil {
		st.Popped = map[string]int64{}
	}
	if st.Ringing == nil {
		st.Ringing = map[string]int64{}
	}
}

// Handle processes one message from the relay and returns what to do.
func (st *State) Handle(raw []byte, s settings.Settings, rules pop.Rules, now time.Time) ([]Action, error) {
	st.init()
	var m stream.Message
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("the relay sent a message that is not valid JSON (%v); update the relay and the extension to matching versions", err)
	}
	var acts []Action
	badgeBefore := len(st.Ringing)
	switch m.Type {
	case stream.TypeHello:
		if m.Hello == nil {
			return nil, nil
		}
		// The world may have moved on while we were away: rebuild the
		// ringing set from the relay's live calls, and pop any call still
		// ringing that never popped (a ring missed while the worker slept).
		st.Ringing = map[string]int64{}
		for _, lc := range m.Hello.Live {
			if lc.Call.State == call.Ringing {
				st.Ringing[key(lc.Call)] = now.UnixMilli()
			}
			acts = append(acts, st.consider(lc.Call.LastEvent, lc.Call, lc.Calling, lc.Called, s, rules, now)...)
		}
		if st.Cursor == 0 || st.Cursor > m.Hello.Cursor {
			// First connection, or a relay that restarted: start from now.
			st.Cursor = m.Hello.Cursor
		}
		acts = append(acts, badge(len(st.Ringing)))
		return acts, nil
	case stream.TypeEvent:
		if m.Event == nil {
			return nil, nil
		}
		if m.ID <= st.Cursor && m.ID != 0 {
			return nil, nil // already processed (replayed twice)
		}
		st.Cursor = m.ID
		ev := m.Event
		k := key(ev.Call)
		if ev.Call.State == call.Ringing {
			if _, ok := st.Ringing[k]; !ok {
				st.Ringing[k] = now.UnixMilli()
			}
		} else {
			delete(st.Ringing, k)
		}
		acts = append(acts, st.consider(ev.Name, ev.Call, ev.Calling, ev.Called, s, rules, now)...)
	case stream.TypeGap:
		acts = append(acts, Action{Kind: ActionLog, Text: "relay could not replay everything since our cursor; some calls may be missing from history"})
	}
	if len(st.Ringing) != badgeBefore {
		acts = append(acts, badge(len(st.Ringing)))
	}
	st.prune(now)
	return acts, nil
}

func (st *State) consider(name string, c call.Call, calling, called phone.Number, s settings.Settings, rules pop.Rules, now time.Time) []Action {
	k := key(c)
	_, popped := st.Popped[k]
	ok, reason := rules.ShouldPop(name, c, calling, popped)
	if !ok {
		return []Action{{Kind: ActionLog, Text: fmt.Sprintf("no pop for %s (%s): %s", name, c.State, reason)}}
	}
	url, err := pop.Expand(s.Template, pop.ValuesFor(name, c, calling, called))
	if err != nil {
		return []Action{{Kind: ActionLog, Text: "cannot build the CRM URL: " + err.Error() + "; fix the template in the options"}}
	}
	st.Popped[k] = now.UnixMilli()
	return []Action{{Kind: ActionOpenTab, URL: url}}
}

func badge(ringing int) Action {
	if ringing > 0 {
		return Action{Kind: ActionBadge, Text: "RING", Color: ringColor}
	}
	return Action{Kind: ActionBadge, Text: ""}
}

func (st *State) prune(now time.Time) {
	cut := now.Add(-poppedKeep).UnixMilli()
	for k, t := range st.Popped {
		if t < cut {
			delete(st.Popped, k)
		}
	}
	if len(st.Popped) > poppedMax {
		keys := make([]string, 0, len(st.Popped))
		for k := range st.Popped {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return st.Popped[keys[i]] < st.Popped[keys[j]] })
		for _, k := range keys[:len(keys)-poppedMax] {
			delete(st.Popped, k)
		}
	}
	// A ringing call we never heard the end of (relay restarted, gap):
	// don't show RING forever.
	stale := now.Add(-15 * time.Minute).UnixMilli()
	for k, t := range st.Ringing {
		if t < stale {
			delete(st.Ringing, k)
		}
	}
}
