package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The call log's durable queue: what the relay has to write in the CRM
// about each call (its Call record, a call-back), saved before the write
// is attempted, so that a CRM that is down, or a relay killed between
// the end of a call and the write, loses nothing: the write is retried,
// after a restart too. Two buckets, created on the first use (a file
// without them has nothing queued; no schema change):
//
//	calllog       line NUL call id → callLogRecord (JSON: the relay's payload and the queue state)
//	calllogQueue  line NUL call id → nothing: the entries with a write due
//
// The payload is the relay's (server/relay/calllog.go), kept as given.
// Every change bumps the entry's revision: a write done from an older
// revision (a note came meanwhile) leaves the entry queued.
var (
	bucketCallLog      = []byte("calllog")
	bucketCallLogQueue = []byte("calllogQueue")
)

// CallLogEntry is one call's entry in the call log.
type CallLogEntry struct {
	Line, CallID string
	Data         json.RawMessage // the relay's payload
	Rev          uint64          // bumped at each change
	Queued       bool            // a write is due
	Due          time.Time       // not before then (a retry's backoff)
	Attempts     int             // failed attempts since it was queued
	LastError    string          // the last attempt's failure ("" after a success)
	Written      time.Time       // when a write last succeeded
	Updated      time.Time       // when it last changed
}

type callLogRecord struct {
	Data      json.RawMessage `json:"data"`
	Rev       uint64          `json:"rev"`
	Due       time.Time       `json:"due,omitzero"`
	Attempts  int             `json:"attempts,omitempty"`
	LastError string          `json:"lastError,omitempty"`
	Written   time.Time       `json:"written,omitzero"`
	Updated   time.Time       `json:"updated"`
}

// Merge folds what a write learnt (the record it wrote, what it related
// it to) into an entry's current payload, which may be newer than the
// one the write started from.
type Merge func(current json.RawMessage) (json.RawMessage, error)

// ErrStaleCallLog is a write that finished on an older revision of its
// entry: the entry changed meanwhile and stays queued.
var ErrStaleCallLog = errors.New("the call log entry changed during the write; it is written again")

// UpdateCallLog changes the entry of a call in one transaction: change
// gets its payload (nil when there is none yet) and returns the new one,
// and whether a write is now due (it is queued at once; false leaves
// the entry queued or not as it was). It returns the new revision.
func (s *Store) UpdateCallLog(line, callID string, now time.Time, change func(old json.RawMessage) (json.RawMessage, bool, error)) (uint64, error) {
	if err := validLine(line); err != nil {
		return 0, err
	}
	if callID == "" {
		return 0, errors.New("call log: a call needs an id")
	}
	key := callKey(line, callID)
	var rev uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		log, queue, err := callLogBuckets(tx)
		if err != nil {
			return err
		}
		var rec callLogRecord
		if v := log.Get(key); v != nil {
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("call log entry of call %q on line %s is damaged: %w", callID, line, err)
			}
		}
		data, due, err := change(rec.Data)
		if err != nil {
			return err
		}
		rec.Data, rec.Rev, rec.Updated = data, rec.Rev+1, now.UTC()
		if due {
			rec.Due, rec.Attempts = now.UTC(), 0
			if err := queue.Put(key, nil); err != nil {
				return err
			}
		}
		rev = rec.Rev
		return putCallLog(log, key, rec)
	})
	return rev, err
}

// CallLog returns the entry of a call (false when it has none).
func (s *Store) CallLog(line, callID string) (CallLogEntry, bool, error) {
	var e CallLogEntry
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		log, queue := tx.Bucket(bucketCallLog), tx.Bucket(bucketCallLogQueue)
		if log == nil {
			return nil
		}
		key := callKey(line, callID)
		v := log.Get(key)
		if v == nil {
			return nil
		}
		var err error
		e, err = callLogEntry(key, v, queue.Get(key) != nil)
		found = err == nil
		return err
	})
	return e, found, err
}

// DueCallLogs returns up to limit queued entries due at now, and when the
// next of the others is due (zero: none queued).
func (s *Store) DueCallLogs(now time.Time, limit int) ([]CallLogEntry, time.Time, error) {
	var due []CallLogEntry
	var next time.Time
	err := s.db.View(func(tx *bolt.Tx) error {
		log, queue := tx.Bucket(bucketCallLog), tx.Bucket(bucketCallLogQueue)
		if log == nil {
			return nil
		}
		return queue.ForEach(func(k, _ []byte) error {
			v := log.Get(k)
			if v == nil {
				return nil // dropped meanwhile
			}
			e, err := callLogEntry(k, v, true)
			if err != nil {
				return err
			}
			if !e.Due.After(now) && len(due) < limit {
				due = append(due, e)
			} else if next.IsZero() || e.Due.Before(next) {
				next = e.Due
			}
			return nil
		})
	})
	return due, next, err
}

// CallLogWritten records a successful write of revision rev, merging what
// it learnt into the payload: the entry leaves the queue, unless it
// changed since (ErrStaleCallLog: it stays queued, due now; the merge is
// saved all the same).
func (s *Store) CallLogWritten(line, callID string, rev uint64, merge Merge, now time.Time) error {
	return s.settleCallLog(line, callID, rev, merge, now, func(rec *callLogRecord, queue *bolt.Bucket, key []byte) error {
		rec.Written, rec.LastError, rec.Attempts = now.UTC(), "", 0
		return queue.Delete(key)
	})
}

// CallLogFailed records a failed attempt of revision rev: the entry stays
// queued, due again at next, with the error.
func (s *Store) CallLogFailed(line, callID string, rev uint64, merge Merge, failure string, next, now time.Time) error {
	return s.settleCallLog(line, callID, rev, merge, now, func(rec *callLogRecord, _ *bolt.Bucket, _ []byte) error {
		rec.Attempts++
		rec.LastError, rec.Due = failure, next.UTC()
		return nil
	})
}

// CallLogDropped takes an entry out of the queue for good (a write that
// cannot succeed: the record was deleted in the CRM), with why.
func (s *Store) CallLogDropped(line, callID string, rev uint64, merge Merge, failure string, now time.Time) error {
	return s.settleCallLog(line, callID, rev, merge, now, func(rec *callLogRecord, queue *bolt.Bucket, key []byte) error {
		rec.LastError = failure
		return queue.Delete(key)
	})
}

// SaveCallLogData merges into the payload as a write goes (a choice it
// must not make twice, such as the planned Call it updates), leaving the
// queue as it is; even when the entry changed meanwhile (then
// ErrStaleCallLog).
func (s *Store) SaveCallLogData(line, callID string, rev uint64, merge Merge, now time.Time) error {
	return s.settleCallLog(line, callID, rev, merge, now, func(*callLogRecord, *bolt.Bucket, []byte) error { return nil })
}

func (s *Store) settleCallLog(line, callID string, rev uint64, merge Merge, now time.Time, settle func(*callLogRecord, *bolt.Bucket, []byte) error) error {
	key := callKey(line, callID)
	stale := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		log, queue, err := callLogBuckets(tx)
		if err != nil {
			return err
		}
		v := log.Get(key)
		if v == nil {
			return fmt.Errorf("call log: no entry for call %q on line %s", callID, line)
		}
		var rec callLogRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("call log entry of call %q on line %s is damaged: %w", callID, line, err)
		}
		if merge != nil {
			if rec.Data, err = merge(rec.Data); err != nil {
				return err
			}
		}
		rec.Updated = now.UTC()
		stale = rec.Rev != rev
		if !stale {
			if err := settle(&rec, queue, key); err != nil {
				return err
			}
		}
		return putCallLog(log, key, rec)
	})
	if err == nil && stale {
		return ErrStaleCallLog // after the commit: the merge is saved
	}
	return err
}

// CallLogStats is how many entries are queued, and the newest failure
// among them ("" when none failed).
func (s *Store) CallLogStats() (queued int, lastError string, err error) {
	var newest time.Time
	err = s.db.View(func(tx *bolt.Tx) error {
		log, queue := tx.Bucket(bucketCallLog), tx.Bucket(bucketCallLogQueue)
		if log == nil {
			return nil
		}
		return queue.ForEach(func(k, _ []byte) error {
			queued++
			var rec callLogRecord
			if v := log.Get(k); v != nil && json.Unmarshal(v, &rec) == nil && rec.LastError != "" && rec.Updated.After(newest) {
				newest, lastError = rec.Updated, rec.LastError
			}
			return nil
		})
	})
	return queued, lastError, err
}

// TrimCallLog forgets entries not changed for maxAge that are not queued
// (a queued write is never dropped for its age). It returns how many.
func (s *Store) TrimCallLog(maxAge time.Duration, now time.Time) (int, error) {
	if maxAge <= 0 {
		return 0, nil
	}
	cutoff := now.Add(-maxAge)
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		log, queue := tx.Bucket(bucketCallLog), tx.Bucket(bucketCallLogQueue)
		if log == nil {
			return nil
		}
		var drop [][]byte
		err := log.ForEach(func(k, v []byte) error {
			var rec callLogRecord
			if queue.Get(k) == nil && json.Unmarshal(v, &rec) == nil && rec.Updated.Before(cutoff) {
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := log.Delete(k); err != nil {
				return err
			}
		}
		n = len(drop)
		return nil
	})
	return n, err
}

func callLogBuckets(tx *bolt.Tx) (log, queue *bolt.Bucket, err error) {
	if log, err = tx.CreateBucketIfNotExists(bucketCallLog); err != nil {
		return nil, nil, err
	}
	queue, err = tx.CreateBucketIfNotExists(bucketCallLogQueue)
	return log, queue, err
}

func putCallLog(log *bolt.Bucket, key []byte, rec callLogRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return log.Put(key, v)
}

func callLogEntry(key, v []byte, queued bool) (CallLogEntry, error) {
	var rec callLogRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return CallLogEntry{}, fmt.Errorf("call log entry %q is damaged: %w", key, err)
	}
	line, id := string(key), ""
	for i, b := range key {
		if b == 0 {
			line, id = string(key[:i]), string(key[i+1:])
			break
		}
	}
	return CallLogEntry{Line: line, CallID: id, Data: rec.Data, Rev: rec.Rev, Queued: queued, Due: rec.Due,
		Attempts: rec.Attempts, LastError: rec.LastError, Written: rec.Written, Updated: rec.Updated}, nil
}
