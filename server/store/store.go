// Package store is the relay's embedded on-disk store: one bbolt file that
// holds the agents and their secrets, the event log behind the stream's
// resume cursor, the call history with each agent's "seen" marks, and the
// OVH event tokens.
//
// bbolt is transactional: every method below is one transaction, so a
// crash or a kill leaves the file as it was before or after the call,
// never half-written, and a restarted relay finds everything it had.
//
// The layout, one bucket per concern (keys → values):
//
//	meta        "schema"                 → big-endian uint64 schema version
//	            "lastEvent"              → big-endian uint64, newest event ID ever logged
//	agents      agent id                 → agentRecord (JSON)
//	agentNames  agent name               → agent id
//	events      big-endian event id      → big-endian unix ns + encoded message
//	calls       line NUL call id         → callRecord (JSON)
//	callTimes   big-endian unix ns, line NUL call id → call state
//	seen        agent name (a bucket)    → line NUL call id → big-endian unix ns
//	tokens      token value              → tokenRecord (JSON)
//
// Numbers in keys are big-endian so that bbolt's byte order is their
// numeric order: the event log and the call history iterate in time order
// without sorting.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// schemaVersion is the layout this code reads and writes. Bump it and add
// a step to migrations when the layout changes.
const schemaVersion = 1

// migrations[v] takes a file from schema version v to v+1, inside the same
// transaction as every other step, so a crash mid-migration leaves the file
// at its old version. Version 0 is a new, empty file.
var migrations = []func(tx *bolt.Tx) error{
	0: createBuckets,
}

// lockTimeout is how long Open waits for another process to release the
// file. bbolt locks the file (flock) for as long as it is open, so two
// relays can't share one; without a timeout the second would hang forever.
var lockTimeout = 1 * time.Second

var (
	bucketMeta       = []byte("meta")
	bucketAgents     = []byte("agents")
	bucketAgentNames = []byte("agentNames")
	bucketEvents     = []byte("events")
	bucketCalls      = []byte("calls")
	bucketCallTimes  = []byte("callTimes")
	bucketSeen       = []byte("seen")
	bucketTokens     = []byte("tokens")

	keySchema    = []byte("schema")
	keyLastEvent = []byte("lastEvent")
)

// Store is an open data file. It is safe for concurrent use: reads run in
// parallel, writes one at a time.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens the data file at path, creating it (and its layout) when it
// does not exist. The folder must exist. It fails after about a second
// when another relay holds the file.
func Open(path string) (*Store, error) {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("the folder %s does not exist; create it or choose another -data path", dir)
	case err != nil:
		return nil, fmt.Errorf("cannot use the folder %s: %v; choose another -data path", dir, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("%s is not a folder; choose another -data path", dir)
	}

	// 0600: the file holds secret hashes and OVH tokens.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("another relay is using %s; stop it or choose another -data path", path)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrChecksum):
		return nil, fmt.Errorf("%s is not a screenpop data file, or it is damaged (%v); choose another -data path", path, err)
	case err != nil:
		return nil, fmt.Errorf("cannot open the data file %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := db.Update(s.migrate); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the file and releases its lock.
func (s *Store) Close() error {
	return s.db.Close()
}

// Path is the file's path.
func (s *Store) Path() string { return s.path }

// migrate brings the file to schemaVersion.
func (s *Store) migrate(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		// A new file has no bucket at all; a file with other buckets is
		// some other program's bbolt file, which we must not touch.
		if k, _ := tx.Cursor().First(); k != nil {
			return fmt.Errorf("%s is a bbolt file of another program (it has no screenpop schema version); choose another -data path", s.path)
		}
		var err error
		if meta, err = tx.CreateBucket(bucketMeta); err != nil {
			return err
		}
	}
	var v uint64
	if b := meta.Get(keySchema); b != nil {
		if len(b) != 8 {
			return fmt.Errorf("%s has a damaged schema version; restore it from a backup or choose another -data path", s.path)
		}
		v = binary.BigEndian.Uint64(b)
	}
	if v > schemaVersion {
		return fmt.Errorf("%s was written by a newer relay (schema v%d; this relay knows up to v%d); upgrade the relay or choose another -data path", s.path, v, schemaVersion)
	}
	if v == schemaVersion {
		return nil
	}
	for ; v < schemaVersion; v++ {
		if err := migrations[v](tx); err != nil {
			return fmt.Errorf("cannot upgrade %s from schema v%d: %w", s.path, v, err)
		}
	}
	return meta.Put(keySchema, be64(schemaVersion))
}

// createBuckets is schema v1: every bucket, empty.
func createBuckets(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketAgents, bucketAgentNames, bucketEvents, bucketCalls, bucketCallTimes, bucketSeen, bucketTokens} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

// be64 is n as 8 big-endian bytes: as keys, they sort like the numbers.
func be64(n uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), n)
}

// unixNano is t as an unsigned key. Times before 1970 never occur here
// (OVH and relay clocks); they clamp to 0 rather than wrap to the far
// future.
func unixNano(t time.Time) uint64 {
	if t.Before(time.Unix(0, 0)) {
		return 0
	}
	return uint64(t.UnixNano())
}

// fromUnixNano is the inverse of unixNano.
func fromUnixNano(n uint64) time.Time {
	return time.Unix(0, int64(n)).UTC()
}
