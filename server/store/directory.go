package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The caller directory (internal/directory) and its CRM sync cursor, so
// that a restarted relay names callers at once and syncs incrementally
// rather than from nothing. One bucket, created on the first save (a
// file without it simply has no directory yet; no schema change):
//
//	directory   "meta"    → savedDirectory (JSON)
//	            "records" → the directory's saved form (its MarshalJSON)
//	            "cursor"  → the sync cursor (crm.Cursor as JSON)
//
// The store keeps the bytes as given: the directory's format is its
// package's, the cursor's the CRM client's.
var (
	bucketDirectory = []byte("directory")
	keyDirMeta      = []byte("meta")
	keyDirRecords   = []byte("records")
	keyDirCursor    = []byte("cursor")
)

// SavedDirectory is a caller directory as stored.
type SavedDirectory struct {
	// Source names the CRM it was synced from (its URL and API): a relay
	// pointed at another CRM must not name callers from the old one.
	Source  string
	Records []byte // directory.Directory.MarshalJSON
	Cursor  []byte // the sync cursor, JSON
	Saved   time.Time
}

type savedDirectory struct {
	Source string    `json:"source"`
	Saved  time.Time `json:"saved"`
}

// PutDirectory saves the caller directory, replacing the one saved
// before, in one transaction: records and cursor always agree.
func (s *Store) PutDirectory(d SavedDirectory) error {
	meta, err := json.Marshal(savedDirectory{Source: d.Source, Saved: d.Saved.UTC()})
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketDirectory)
		if err != nil {
			return err
		}
		for _, kv := range []struct{ k, v []byte }{{keyDirMeta, meta}, {keyDirRecords, d.Records}, {keyDirCursor, d.Cursor}} {
			if err := b.Put(kv.k, kv.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot save the caller directory in %s: %w", s.path, err)
	}
	return nil
}

// Directory returns the saved caller directory, and false when none was
// saved.
func (s *Store) Directory() (SavedDirectory, bool, error) {
	var d SavedDirectory
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDirectory)
		if b == nil {
			return nil
		}
		raw := b.Get(keyDirMeta)
		if raw == nil {
			return nil
		}
		var m savedDirectory
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("the saved caller directory in %s is damaged (%v): it is rebuilt by the next full sync", s.path, err)
		}
		found = true
		// bbolt's bytes live only as long as the transaction: copies.
		d = SavedDirectory{Source: m.Source, Saved: m.Saved,
			Records: append([]byte(nil), b.Get(keyDirRecords)...), Cursor: append([]byte(nil), b.Get(keyDirCursor)...)}
		return nil
	})
	return d, found, err
}

// DeleteDirectory forgets the saved caller directory (the relay's CRM
// changed, or it no longer has one).
func (s *Store) DeleteDirectory() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketDirectory) == nil {
			return nil
		}
		return tx.DeleteBucket(bucketDirectory)
	})
}
