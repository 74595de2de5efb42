package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/screenpop/screenpop/internal/call"
)

// Call history: every call the relay saw, one record per line and call id,
// rewritten on each state change, and an index by time (callTimes) so the
// newest come first without sorting. The index value is the call's state,
// so that missed-call lists and counts skip the calls that cannot have
// been missed without decoding them (mayBeMissed); the others' records
// say (call.Call.WasMissed).
//
// Lines filters: nil, or a list holding AllLines, means every line; an
// empty non-nil list means none (an agent with no line sees nothing).

// ErrNoCall matches (errors.Is) every "no such call" error.
var ErrNoCall = errors.New("no such call")

type noCallError struct{ line, id string }

func (e noCallError) Error() string {
	return fmt.Sprintf("no call %q on line %s in the history (it may have been trimmed); refresh the call list", e.id, e.line)
}

func (e noCallError) Is(target error) bool { return target == ErrNoCall }

// callRecord is a call as stored, with the time it is indexed under.
type callRecord struct {
	Call call.Call `json:"call"`
	At   time.Time `json:"at"`
}

// MissedCall is a missed (or abandoned) call and whether the agent asking
// has seen it.
type MissedCall struct {
	call.Call
	Seen bool `json:"seen"`
}

// PutCall saves a call, replacing what was saved under its line and id.
// Call it on each change of state.
func (s *Store) PutCall(c call.Call) error { return s.PutCalls([]call.Call{c}) }

// PutCalls saves calls in order, each as PutCall would, in one commit:
// one disk sync for all of them, where a call each cost one, and the
// relay's event log waits for the same disk. A call it cannot save (a
// bad line or id, a damaged record) is left out and named in the error;
// the others are saved.
func (s *Store) PutCalls(cs []call.Call) error {
	var bad []error
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, c := range cs {
			if err := putCall(tx, c); err != nil {
				if errors.Is(err, errBadCall) {
					bad = append(bad, err)
					continue
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errors.Join(bad...)
}

// errBadCall marks a call PutCalls leaves out, saving the others.
var errBadCall = errors.New("call not saved")

// putCall is PutCall within tx.
func putCall(tx *bolt.Tx, c call.Call) error {
	if err := validLine(c.Line); err != nil {
		return fmt.Errorf("%w: %w", errBadCall, err)
	}
	if c.ID == "" || strings.IndexByte(c.ID, 0) >= 0 {
		return fmt.Errorf("%w: call id %q: a call needs an id without NUL bytes", errBadCall, c.ID)
	}
	key := callKey(c.Line, c.ID)
	calls, times := tx.Bucket(bucketCalls), tx.Bucket(bucketCallTimes)
	var old callRecord
	if v := calls.Get(key); v != nil {
		if err := json.Unmarshal(v, &old); err != nil {
			return fmt.Errorf("%w: call %q on line %s: damaged record: %w", errBadCall, c.ID, c.Line, err)
		}
	}
	rec := callRecord{Call: c, At: callTime(c, old.At)}
	if !old.At.IsZero() && !old.At.Equal(rec.At) {
		// A late start_ringing moved RingAt: move the index entry.
		if err := times.Delete(timeKey(old.At, key)); err != nil {
			return err
		}
	}
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := calls.Put(key, v); err != nil {
		return err
	}
	return times.Put(timeKey(rec.At, key), []byte(c.State))
}

// callTime is when a call belongs in the history: when it started ringing,
// else when it was answered or ended (its first events were lost), else
// when it was first saved.
func callTime(c call.Call, saved time.Time) time.Time {
	for _, t := range []time.Time{c.RingAt, c.AnswerAt, c.EndAt, saved} {
		if !t.IsZero() {
			return t.UTC()
		}
	}
	return time.Now().UTC()
}

// RecentCalls returns up to limit calls on lines (limit ≤ 0: all), newest
// first, that started before before (zero: no bound). To page back, pass
// the RingAt (or AnswerAt, EndAt) of the last call of the previous page.
func (s *Store) RecentCalls(lines []string, limit int, before time.Time) ([]call.Call, error) {
	var out []call.Call
	err := s.db.View(func(tx *bolt.Tx) error {
		calls := tx.Bucket(bucketCalls)
		c := tx.Bucket(bucketCallTimes).Cursor()
		var k []byte
		if before.IsZero() {
			k, _ = c.Last()
		} else if k, _ = c.Seek(be64(unixNano(before))); k == nil {
			k, _ = c.Last() // every call started before
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Prev() {
			if !wantsLine(lines, lineOf(k)) {
				continue
			}
			rec, err := getCall(calls, k[8:])
			if err != nil {
				return err
			}
			out = append(out, rec.Call)
		}
		return nil
	})
	return out, err
}

// MissedCalls returns up to limit missed and abandoned calls on lines
// (limit ≤ 0: all), newest first, each with whether agentName has seen it.
// With unseenOnly, only those agentName has not seen. agentName may be ""
// to list missed calls for nobody in particular (then Seen is false).
func (s *Store) MissedCalls(agentName string, lines []string, unseenOnly bool, limit int) ([]MissedCall, error) {
	if agentName == "" && unseenOnly {
		return nil, errors.New("unseen by whom? give an agent name to list unseen missed calls")
	}
	var out []MissedCall
	err := s.db.View(func(tx *bolt.Tx) error {
		seen, err := seenBucket(tx, agentName)
		if err != nil {
			return err
		}
		calls := tx.Bucket(bucketCalls)
		c := tx.Bucket(bucketCallTimes).Cursor()
		for k, state := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, state = c.Prev() {
			if !mayBeMissed(state) || !wantsLine(lines, lineOf(k)) {
				continue
			}
			isSeen := seen != nil && seen.Get(k[8:]) != nil
			if unseenOnly && isSeen {
				continue
			}
			rec, err := getCall(calls, k[8:])
			if err != nil {
				return err
			}
			if rec.Call.WasMissed() {
				out = append(out, MissedCall{Call: rec.Call, Seen: isSeen})
			}
		}
		return nil
	})
	return out, err
}

// UnseenMissedCount is how many missed and abandoned calls on lines
// agentName has not seen: the number on the extension's badge.
func (s *Store) UnseenMissedCount(agentName string, lines []string) (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		seen, err := seenBucket(tx, agentName)
		if err != nil {
			return err
		}
		calls := tx.Bucket(bucketCalls)
		c := tx.Bucket(bucketCallTimes).Cursor()
		for k, state := c.First(); k != nil; k, state = c.Next() {
			if !mayBeMissed(state) || !wantsLine(lines, lineOf(k)) || seen != nil && seen.Get(k[8:]) != nil {
				continue
			}
			rec, err := getCall(calls, k[8:])
			if err != nil {
				return err
			}
			if rec.Call.WasMissed() {
				n++
			}
		}
		return nil
	})
	return n, err
}

// MarkSeen records that agentName has seen the call callID on line. Other
// agents sharing the line still see it as unseen.
func (s *Store) MarkSeen(agentName, line, callID string) error {
	key := callKey(line, callID)
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAgentNames).Get([]byte(agentName)) == nil {
			return noAgentError{agentName}
		}
		if tx.Bucket(bucketCalls).Get(key) == nil {
			return noCallError{line, callID}
		}
		seen, err := tx.Bucket(bucketSeen).CreateBucketIfNotExists([]byte(agentName))
		if err != nil {
			return err
		}
		return seen.Put(key, be64(unixNano(time.Now())))
	})
}

// MarkAllSeen records that agentName has seen every missed and abandoned
// call on lines that started at or before upTo (the newest call its list
// showed, so that a call missed meanwhile stays unseen). It returns how
// many calls it newly marked.
func (s *Store) MarkAllSeen(agentName string, lines []string, upTo time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAgentNames).Get([]byte(agentName)) == nil {
			return noAgentError{agentName}
		}
		seen, err := tx.Bucket(bucketSeen).CreateBucketIfNotExists([]byte(agentName))
		if err != nil {
			return err
		}
		now := be64(unixNano(time.Now()))
		end := unixNano(upTo)
		calls := tx.Bucket(bucketCalls)
		c := tx.Bucket(bucketCallTimes).Cursor()
		for k, state := c.First(); k != nil && binary.BigEndian.Uint64(k) <= end; k, state = c.Next() {
			if !mayBeMissed(state) || !wantsLine(lines, lineOf(k)) || seen.Get(k[8:]) != nil {
				continue
			}
			rec, err := getCall(calls, k[8:])
			if err != nil {
				return err
			}
			if !rec.Call.WasMissed() {
				continue
			}
			// Puts into another bucket: this cursor is not disturbed.
			if err := seen.Put(bytes.Clone(k[8:]), now); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// TrimCalls forgets calls that started more than maxAge before now (a call
// exactly maxAge old stays), with everyone's seen marks on them.
// maxAge ≤ 0 keeps everything. It returns how many calls it forgot.
func (s *Store) TrimCalls(maxAge time.Duration, now time.Time) (int, error) {
	if maxAge <= 0 {
		return 0, nil
	}
	cutoff := unixNano(now.Add(-maxAge))
	var drop [][]byte // index keys
	err := s.db.Update(func(tx *bolt.Tx) error {
		calls, times, seen := tx.Bucket(bucketCalls), tx.Bucket(bucketCallTimes), tx.Bucket(bucketSeen)
		c := times.Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) < cutoff; k, _ = c.Next() {
			drop = append(drop, bytes.Clone(k))
		}
		if len(drop) == 0 {
			return nil
		}
		var agents [][]byte
		if err := seen.ForEachBucket(func(name []byte) error {
			agents = append(agents, bytes.Clone(name))
			return nil
		}); err != nil {
			return err
		}
		for _, k := range drop {
			key := k[8:]
			if err := times.Delete(k); err != nil {
				return err
			}
			if err := calls.Delete(key); err != nil {
				return err
			}
			for _, a := range agents {
				if err := seen.Bucket(a).Delete(key); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(drop), nil
}

// seenBucket is agentName's seen marks: nil when it has none (or
// agentName is ""), an error when there is no such agent.
func seenBucket(tx *bolt.Tx, agentName string) (*bolt.Bucket, error) {
	if agentName == "" {
		return nil, nil
	}
	if tx.Bucket(bucketAgentNames).Get([]byte(agentName)) == nil {
		return nil, noAgentError{agentName}
	}
	return tx.Bucket(bucketSeen).Bucket([]byte(agentName)), nil
}

func getCall(calls *bolt.Bucket, key []byte) (callRecord, error) {
	var rec callRecord
	v := calls.Get(key)
	if v == nil {
		return rec, fmt.Errorf("call %q: in the time index but not saved; the data file is damaged", key)
	}
	if err := json.Unmarshal(v, &rec); err != nil {
		return rec, fmt.Errorf("call %q: damaged record: %w", key, err)
	}
	return rec, nil
}

// mayBeMissed reports whether a call indexed with state may have been
// missed: call.Call.WasMissed's rule for a call in that state whose
// direction is not known (an outbound call is never missed).
func mayBeMissed(state []byte) bool {
	c := call.Call{State: call.State(state)}
	return c.WasMissed()
}

// callKey is line NUL id: lines never hold NUL (validLine), so the first
// NUL ends the line.
func callKey(line, id string) []byte {
	k := make([]byte, 0, len(line)+1+len(id))
	return append(append(append(k, line...), 0), id...)
}

// timeKey is a call's index key: when it started, then its call key.
func timeKey(at time.Time, key []byte) []byte {
	return append(be64(unixNano(at)), key...)
}

// lineOf is the line in an index key.
func lineOf(indexKey []byte) []byte {
	key := indexKey[8:]
	if i := bytes.IndexByte(key, 0); i >= 0 {
		return key[:i]
	}
	return key
}

func wantsLine(lines []string, line []byte) bool {
	if lines == nil {
		return true
	}
	return slices.ContainsFunc(lines, func(l string) bool { return l == AllLines || l == string(line) })
}
