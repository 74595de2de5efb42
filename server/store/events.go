package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"
)

// LoggedEvent is one message of the stream's event log, as sent to clients.
type LoggedEvent struct {
	ID   uint64    // the resume cursor of this message
	At   time.Time // when the relay published it
	Data []byte    // the encoded stream.Message
}

// An event's value is its time then its bytes: 8 bytes of big-endian unix
// ns, then Data.
const eventTimeLen = 8

// AppendEvent logs one event. IDs must grow: id must be above
// LastEventID, so that a restarted relay numbers on from LastEventID()+1
// and a client's cursor keeps its meaning.
func (s *Store) AppendEvent(id uint64, at time.Time, data []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		last := lastEventID(tx)
		if err := appendEvent(eventsBucket(tx), last, id, at, data); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyLastEvent, be64(id))
	})
}

// AppendEvents logs several events in one transaction (one disk sync
// instead of one per event). IDs must grow, as for AppendEvent. Either all
// are logged or none.
func (s *Store) AppendEvents(evs []LoggedEvent) error {
	if len(evs) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, last := eventsBucket(tx), lastEventID(tx)
		for _, e := range evs {
			if err := appendEvent(b, last, e.ID, e.At, e.Data); err != nil {
				return err
			}
			last = e.ID
		}
		return tx.Bucket(bucketMeta).Put(keyLastEvent, be64(last))
	})
}

func eventsBucket(tx *bolt.Tx) *bolt.Bucket {
	b := tx.Bucket(bucketEvents)
	// Keys only ever grow: full pages instead of half-full ones on split.
	b.FillPercent = 1
	return b
}

// lastEventID is the newest ID ever logged. It is kept apart from the log
// itself so that it survives TrimEvents emptying the log: a relay
// restarted after a quiet night must not number from 1 again, or every
// client's cursor would point to events that never existed.
func lastEventID(tx *bolt.Tx) uint64 {
	if v := tx.Bucket(bucketMeta).Get(keyLastEvent); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func appendEvent(b *bolt.Bucket, last, id uint64, at time.Time, data []byte) error {
	if id == 0 {
		return fmt.Errorf("event id 0 is reserved (cursor 0 means \"nothing yet\"); number events from 1")
	}
	if id <= last {
		return fmt.Errorf("event %d is not after the last logged event %d; number new events from LastEventID()+1", id, last)
	}
	v := make([]byte, eventTimeLen, eventTimeLen+len(data))
	binary.BigEndian.PutUint64(v, unixNano(at))
	return b.Put(be64(id), append(v, data...))
}

// EventsSince returns up to max events after cursor, oldest first (max ≤ 0:
// all of them), and the oldest event ID still logged (0 when the log is
// empty), so that the caller can tell the client about a gap.
func (s *Store) EventsSince(cursor uint64, max int) (evs []LoggedEvent, oldest uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		k, _ := c.First()
		if k == nil {
			return nil
		}
		oldest = binary.BigEndian.Uint64(k)
		if cursor == math.MaxUint64 {
			return nil
		}
		for k, v := c.Seek(be64(cursor + 1)); k != nil && (max <= 0 || len(evs) < max); k, v = c.Next() {
			e, err := decodeEvent(k, v)
			if err != nil {
				return err
			}
			evs = append(evs, e)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return evs, oldest, nil
}

// decodeEvent copies an event out of bbolt's memory, which is only valid
// during the transaction.
func decodeEvent(k, v []byte) (LoggedEvent, error) {
	id := binary.BigEndian.Uint64(k)
	if len(v) < eventTimeLen {
		return LoggedEvent{}, fmt.Errorf("event %d: damaged record", id)
	}
	return LoggedEvent{
		ID:   id,
		At:   fromUnixNano(binary.BigEndian.Uint64(v)),
		Data: append([]byte(nil), v[eventTimeLen:]...),
	}, nil
}

// LastEventID returns the newest event ID ever logged (0 when none was),
// even when TrimEvents has since dropped it.
func (s *Store) LastEventID() (uint64, error) {
	var id uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		id = lastEventID(tx)
		return nil
	})
	return id, err
}

// TrimEvents drops the oldest events until at most keepMax remain and none
// is older than maxAge at now (an event exactly maxAge old stays), like the
// hub's in-memory log. keepMax ≤ 0 or maxAge ≤ 0 turns that bound off. It
// returns how many events it dropped. LastEventID is kept even when every
// event goes.
func (s *Store) TrimEvents(keepMax int, maxAge time.Duration, now time.Time) (int, error) {
	var drop [][]byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		n := b.Stats().KeyN // before any change: Stats reads the committed pages
		cutoff := unixNano(now.Add(-maxAge))
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			tooMany := keepMax > 0 && n-len(drop) > keepMax
			tooOld := maxAge > 0 && len(v) >= eventTimeLen && binary.BigEndian.Uint64(v) < cutoff
			if !tooMany && !tooOld {
				break
			}
			drop = append(drop, append([]byte(nil), k...))
		}
		// Deleting while a cursor walks on skips keys in bbolt: delete after.
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(drop), nil
}
