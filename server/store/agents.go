package store

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/screenpop/screenpop/internal/phone"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// An agent's secret is what its browser extension presents to the relay:
//
//	sp_<agent id>_<random>
//
// "sp_" tells a screenpop secret apart when it is pasted in the wrong
// place (and lets secret scanners find leaked ones). The agent id is 16
// lower-case hex digits: not secret, it only says which hash to compare
// against, so Authenticate reads one record instead of scanning them all.
// The random part is 32 bytes from crypto/rand in unpadded base64url
// (43 characters). Hex ids contain no "_", so the first "_" after the
// prefix ends the id even though base64url may contain "_".
const (
	secretPrefix  = "sp_"
	agentIDLen    = 16 // hex digits: 8 random bytes
	secretRandLen = 32 // bytes
	secretLen     = len(secretPrefix) + agentIDLen + 1 + 43
)

// AllLines in an agent's lines means every line, present and future.
const AllLines = "*"

const maxNameLen = 64

// ErrBadSecret is the one answer to any secret that does not authenticate:
// empty, malformed, unknown, wrong or revoked. Telling them apart would
// help whoever guesses secrets, not the agent.
var ErrBadSecret = errors.New("this agent secret is not valid (mistyped, replaced by a newer one, or revoked); ask the relay's administrator for a new one (`screenpop-relay agent rotate <name>`)")

// ErrNoAgent matches (errors.Is) every "no agent named X" error.
var ErrNoAgent = errors.New("no such agent")

// ErrAgentExists matches (errors.Is) every "an agent named X exists" error.
var ErrAgentExists = errors.New("agent already exists")

type noAgentError struct{ name string }

func (e noAgentError) Error() string {
	return fmt.Sprintf("no agent named %q; list them with `screenpop-relay agent list`", e.name)
}

func (e noAgentError) Is(target error) bool { return target == ErrNoAgent }

type agentExistsError struct{ name string }

func (e agentExistsError) Error() string {
	return fmt.Sprintf("an agent named %q already exists; give it a new secret with `screenpop-relay agent rotate %s`, or choose another name", e.name, e.name)
}

func (e agentExistsError) Is(target error) bool { return target == ErrAgentExists }

// Agent is one person (one browser extension) allowed to use the relay.
type Agent struct {
	ID      string    // non-secret key id, part of its secret; stable across rotations
	Name    string    // unique: 1–64 letters, digits, '.', '_' or '-'
	Lines   []string  // OVH lines it may see (e.g. "0033972101010"), or just AllLines
	Created time.Time // when it was added
	Rotated time.Time // when its current secret was issued (Created until rotated)
}

// Sees reports whether the agent may see calls on line: one of its lines
// has line's phone.LineKey (0033972101010, +33972101010 and
// +33 9 72 10 10 10 are one line, as are Queue-Sales and queue-sales), or
// it sees every line.
func (a Agent) Sees(line string) bool {
	if slices.Contains(a.Lines, AllLines) {
		return true
	}
	k := phone.LineKey(line)
	return k != "" && slices.ContainsFunc(a.Lines, func(l string) bool { return phone.LineKey(l) == k })
}

// agentRecord is an Agent as stored, with the hash of its secret.
//
// SHA-256 rather than bcrypt or argon2: those slow hashes exist to make
// guessing a low-entropy password from a stolen hash expensive. A secret
// here is 256 random bits; no amount of guessing finds it from its hash,
// slow or fast. A fast hash also keeps Authenticate cheap, and it runs on
// every connection.
type agentRecord struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Lines   []string  `json:"lines"`
	Created time.Time `json:"created"`
	Rotated time.Time `json:"rotated"`
	Hash    []byte    `json:"hash"` // SHA-256 of the whole secret string
}

func (r *agentRecord) agent() Agent {
	return Agent{ID: r.ID, Name: r.Name, Lines: r.Lines, Created: r.Created, Rotated: r.Rotated}
}

// AddAgent adds an agent allowed to see lines, and returns its secret.
// The secret is not stored, only its hash: this is the one time it can be
// read.
func (s *Store) AddAgent(name string, lines []string) (secret string, err error) {
	if err := validName(name); err != nil {
		return "", err
	}
	lines, err = cleanLines(lines)
	if err != nil {
		return "", err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		names, agents := tx.Bucket(bucketAgentNames), tx.Bucket(bucketAgents)
		if names.Get([]byte(name)) != nil {
			return agentExistsError{name}
		}
		id, err := newAgentID(agents)
		if err != nil {
			return err
		}
		secret, err = newSecret(id)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		rec := agentRecord{ID: id, Name: name, Lines: lines, Created: now, Rotated: now, Hash: hashSecret(secret)}
		if err := putAgent(agents, &rec); err != nil {
			return err
		}
		return names.Put([]byte(name), []byte(id))
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// Authenticate returns the agent whose secret this is, or ErrBadSecret.
func (s *Store) Authenticate(secret string) (Agent, error) {
	id, ok := parseSecret(secret)
	if !ok {
		return Agent{}, ErrBadSecret
	}
	sum := hashSecret(secret)
	var a Agent
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketAgents).Get([]byte(id))
		if v == nil {
			// Answering faster for an unknown id only tells that the id
			// is unknown; ids are not secret.
			return ErrBadSecret
		}
		var rec agentRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("agent %s: damaged record: %w", id, err)
		}
		if subtle.ConstantTimeCompare(rec.Hash, sum) != 1 {
			return ErrBadSecret
		}
		a = rec.agent()
		return nil
	})
	if err != nil {
		return Agent{}, err
	}
	return a, nil
}

// RevokeAgent removes an agent: its secret stops working at once, and its
// "seen" marks go with it. Adding the name again starts afresh.
func (s *Store) RevokeAgent(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		names := tx.Bucket(bucketAgentNames)
		id := names.Get([]byte(name))
		if id == nil {
			return noAgentError{name}
		}
		if err := tx.Bucket(bucketAgents).Delete(id); err != nil {
			return err
		}
		if err := names.Delete([]byte(name)); err != nil {
			return err
		}
		err := tx.Bucket(bucketSeen).DeleteBucket([]byte(name))
		if errors.Is(err, bolterrors.ErrBucketNotFound) {
			err = nil
		}
		return err
	})
}

// RotateSecret gives an agent a new secret and returns it; the old one
// stops working at once. The agent keeps its id, lines and seen marks.
func (s *Store) RotateSecret(name string) (secret string, err error) {
	err = s.updateAgent(name, func(rec *agentRecord) error {
		secret, err = newSecret(rec.ID)
		if err != nil {
			return err
		}
		rec.Hash = hashSecret(secret)
		rec.Rotated = time.Now().UTC()
		return nil
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// SetLines replaces the lines an agent may see.
func (s *Store) SetLines(name string, lines []string) error {
	lines, err := cleanLines(lines)
	if err != nil {
		return err
	}
	return s.updateAgent(name, func(rec *agentRecord) error {
		rec.Lines = lines
		return nil
	})
}

// GetAgent returns the agent with that name.
func (s *Store) GetAgent(name string) (Agent, error) {
	var a Agent
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, err := getAgent(tx, name)
		if err != nil {
			return err
		}
		a = rec.agent()
		return nil
	})
	return a, err
}

// ListAgents returns every agent, by name.
func (s *Store) ListAgents() ([]Agent, error) {
	var out []Agent
	err := s.db.View(func(tx *bolt.Tx) error {
		agents := tx.Bucket(bucketAgents)
		return tx.Bucket(bucketAgentNames).ForEach(func(name, id []byte) error {
			var rec agentRecord
			if err := json.Unmarshal(agents.Get(id), &rec); err != nil {
				return fmt.Errorf("agent %q: damaged record: %w", name, err)
			}
			out = append(out, rec.agent())
			return nil
		})
	})
	return out, err
}

// updateAgent changes an agent's record in one transaction.
func (s *Store) updateAgent(name string, change func(*agentRecord) error) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		rec, err := getAgent(tx, name)
		if err != nil {
			return err
		}
		if err := change(&rec); err != nil {
			return err
		}
		return putAgent(tx.Bucket(bucketAgents), &rec)
	})
}

func getAgent(tx *bolt.Tx, name string) (agentRecord, error) {
	var rec agentRecord
	id := tx.Bucket(bucketAgentNames).Get([]byte(name))
	if id == nil {
		return rec, noAgentError{name}
	}
	if err := json.Unmarshal(tx.Bucket(bucketAgents).Get(id), &rec); err != nil {
		return rec, fmt.Errorf("agent %q: damaged record: %w", name, err)
	}
	return rec, nil
}

func putAgent(agents *bolt.Bucket, rec *agentRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return agents.Put([]byte(rec.ID), v)
}

// newAgentID picks a random id not in use.
func newAgentID(agents *bolt.Bucket) (string, error) {
	for {
		var b [agentIDLen / 2]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		id := hex.EncodeToString(b[:])
		if agents.Get([]byte(id)) == nil {
			return id, nil
		}
	}
}

func newSecret(id string) (string, error) {
	var b [secretRandLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return secretPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func hashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// parseSecret returns the agent id in a well-formed secret. It only checks
// the shape; whether the secret is right is for the hash to say.
func parseSecret(secret string) (id string, ok bool) {
	if len(secret) != secretLen || secret[:len(secretPrefix)] != secretPrefix {
		return "", false
	}
	rest := secret[len(secretPrefix):]
	id, random := rest[:agentIDLen], rest[agentIDLen:]
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	if random[0] != '_' {
		return "", false
	}
	for i := 1; i < len(random); i++ {
		if c := random[i]; !(isAlnum(c) || c == '-' || c == '_') {
			return "", false
		}
	}
	return id, true
}

func validName(name string) error {
	ok := len(name) >= 1 && len(name) <= maxNameLen
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = isAlnum(c) || c == '.' || c == '_' || c == '-'
	}
	if !ok {
		return fmt.Errorf("agent name %q: use 1 to %d letters, digits, '.', '_' or '-' (e.g. alice or front-desk.2)", name, maxNameLen)
	}
	return nil
}

// cleanLines checks an agent's lines and drops repeats: spellings of a
// line given before (phone.LineKey).
func cleanLines(lines []string) ([]string, error) {
	if len(lines) == 0 {
		return nil, errors.New("give the agent at least one line (an OVH number like 0033972101010), or * for all lines")
	}
	var out []string
	for _, l := range lines {
		if l == AllLines {
			if len(lines) > 1 {
				return nil, errors.New("* already means all lines: give either * alone or a list of lines")
			}
			return []string{AllLines}, nil
		}
		if err := validLine(l); err != nil {
			return nil, err
		}
		if k := phone.LineKey(l); !slices.ContainsFunc(out, func(o string) bool { return phone.LineKey(o) == k }) {
			out = append(out, l)
		}
	}
	return out, nil
}

// validLine accepts what OVH gives as an event's Ressource: a number such
// as 0033972101010, or a queue or account name; at most 64 letters,
// digits, '+', '.', '_' or '-'. It rejects what would break the call keys
// (NUL) or could never be a line (spaces, empty).
func validLine(line string) error {
	ok := len(line) >= 1 && len(line) <= 64
	for i := 0; ok && i < len(line); i++ {
		c := line[i]
		ok = isAlnum(c) || c == '+' || c == '.' || c == '_' || c == '-'
	}
	if !ok {
		return fmt.Errorf("line %q is not an OVH line number like 0033972101010 (or * for all lines)", line)
	}
	return nil
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
