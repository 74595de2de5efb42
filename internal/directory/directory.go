// Package directory is the caller directory: the CRM's Contacts, Leads and
// Accounts indexed by phone number, so that a ring names its caller
// without asking the CRM.
//
// Every stored phone field is parsed once, when a sync brings it, with
// internal/phone/parse and the relay's region, to a canonical key: the
// number's E.164 form. "+33 1 23 45 67 89", "0033123456789" and
// "01 23 45 67 89" (in France) are one key; a number is never matched by
// digits it merely contains. A field that is no number (garbage typed in
// the CRM, an internal extension) is skipped and counted, never fatal.
//
// A Directory is safe for concurrent use: rings look up while syncs apply.
// It lives in the relay only (it imports phone/parse, which weighs in a
// wasm).
package directory

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/phone/parse"
)

// Record is one CRM record with the phone fields it stores.
type Record struct {
	Module  string  `json:"module"` // Contacts, Leads, Accounts (as the CRM names them)
	ID      string  `json:"id"`
	Name    string  `json:"name"`              // "Alice Martin", "Martin SA"
	Company string  `json:"company,omitempty"` // a contact's or lead's account
	Owner   string  `json:"owner,omitempty"`   // the assigned user, where the CRM has one
	Phones  []Phone `json:"phones,omitempty"`
}

// Phone is one phone field of a record, as the CRM stores it.
type Phone struct {
	Field  string `json:"field"`  // phone_work, phone_mobile, phone_office…
	Number string `json:"number"` // as typed: "+33 1 23 45 67 89", "06.12.34.56.83"
}

// Ref names a record.
type Ref struct {
	Module string `json:"module"`
	ID     string `json:"id"`
}

// Ref returns the record's reference.
func (r *Record) Ref() Ref { return Ref{r.Module, r.ID} }

// Match is a record found for a number, with the field that holds it.
type Match struct {
	Record
	Field string `json:"field"` // the phone field whose number matched
}

// Sync is one batch from the CRM.
type Sync struct {
	// Full says Upserts are every record: the directory becomes exactly
	// them (a full sync). Otherwise it is incremental: Upserts are added
	// or replace the record of the same Ref, and Deletes are removed.
	Full    bool
	Upserts []Record
	Deletes []Ref
}

// Stats describe the directory.
type Stats struct {
	Records int `json:"records"` // records held
	Keys    int `json:"keys"`    // distinct numbers
	// Skipped counts the phone fields of the records held that are not a
	// number (garbage, an extension), and Unindexed the records left
	// with no number at all (kept, but no ring finds them).
	Skipped   int `json:"skipped"`
	Unindexed int `json:"unindexed"`
}

// Directory is the index. Its zero value is not usable: New.
type Directory struct {
	region string

	mu      sync.RWMutex
	records map[Ref]*entry
	// byKey holds the record of each number, or sharedKey when several
	// records store it; shared then lists them, in compareEntries order.
	// (Most numbers have one record: a pointer per key, not a slice.)
	byKey   map[string]*entry
	shared  map[string][]*entry
	skipped int
	none    int // records with no key
}

// sharedKey marks in byKey a number several records store.
var sharedKey = &entry{}

// entry is a held record and the keys its phones gave.
type entry struct {
	rec     Record
	keys    []string // one per phone field ("" for a skipped one)
	skipped int
}

// New returns an empty directory parsing numbers written without a country
// code as numbers of region (ISO 3166-1, e.g. "FR").
func New(region string) (*Directory, error) {
	if err := parse.ValidRegion(region); err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	return &Directory{region: region, records: map[Ref]*entry{}, byKey: map[string]*entry{}, shared: map[string][]*entry{}}, nil
}

// Region is the directory's default region.
func (d *Directory) Region() string { return d.region }

// Key returns the canonical key of a number as a CRM stores it or OVH
// sends it, and false when it is not a dialable public number.
func Key(raw, region string) (string, bool) {
	return KeyOf(parse.Number(compact(raw), region))
}

// compact drops the spaces, dots, dashes and slashes of a number written
// with nothing else but digits and a leading +, which libphonenumber
// ignores anyway: "+33 6 12 34 56 82" becomes "+33612345682", the
// spelling parse reads from its own tables (a few microseconds) rather
// than through libphonenumber (tens). Anything else is returned as it
// is. FuzzKeyMatchesParse holds Key to parse.Number's own answer.
func compact(raw string) string {
	var buf [32]byte
	b := buf[:0]
	punct := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case '0' <= c && c <= '9':
			b = append(b, c)
		case c == '+' && len(b) == 0 && !punct:
			b = append(b, c)
		case c == ' ' || c == '.' || c == '-' || c == '/':
			punct = true
		default:
			return raw
		}
		if len(b) == len(buf) {
			return raw
		}
	}
	// Short digit strings parse reads as internal extensions when they
	// are written without punctuation: leave those to it as written.
	if !punct || len(b) < 8 {
		return raw
	}
	return string(b)
}

// KeyOf is the key of a number already parsed (a call's caller).
func KeyOf(n phone.Number) (string, bool) {
	if n.Kind != phone.Valid || n.Forms.E164 == "" {
		return "", false
	}
	return n.Forms.E164, true
}

// Lookup returns the records storing number n (parsed, as the relay has
// the caller of a call), in a stable order: module, name, id. Nil when
// none does.
func (d *Directory) Lookup(n phone.Number) []Match {
	key, ok := KeyOf(n)
	if !ok {
		return nil
	}
	return d.LookupKey(key)
}

// LookupRaw parses raw with the directory's region and looks it up.
func (d *Directory) LookupRaw(raw string) []Match {
	key, ok := Key(raw, d.region)
	if !ok {
		return nil
	}
	return d.LookupKey(key)
}

// LookupKey returns the records with a number of that key.
func (d *Directory) LookupKey(key string) []Match {
	d.mu.RLock()
	defer d.mu.RUnlock()
	e := d.byKey[key]
	switch e {
	case nil:
		return nil
	case sharedKey:
		es := d.shared[key]
		out := make([]Match, len(es))
		for i, e := range es {
			out[i] = e.match(key)
		}
		return out
	}
	return []Match{e.match(key)}
}

// match is the entry as a match of key.
func (e *entry) match(key string) Match {
	m := Match{Record: e.rec}
	for i, k := range e.keys {
		if k == key {
			m.Field = e.rec.Phones[i].Field
			break
		}
	}
	return m
}

// Apply applies a sync and returns the directory's stats after it. The
// numbers are parsed before the lock is taken, so rings are not held up
// by a large sync.
func (d *Directory) Apply(s Sync) Stats {
	parsed := make([]*entry, 0, len(s.Upserts))
	var cache parse.Cache
	for _, r := range s.Upserts {
		if r.Module == "" || r.ID == "" {
			continue // nothing to open: not a record
		}
		parsed = append(parsed, d.newEntry(r, &cache))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if s.Full {
		keys := 0
		for _, e := range parsed {
			keys += len(e.keys)
		}
		d.records = make(map[Ref]*entry, len(parsed))
		d.byKey = make(map[string]*entry, keys)
		d.shared = map[string][]*entry{}
		d.skipped, d.none = 0, 0
	}
	for _, ref := range s.Deletes {
		d.remove(ref)
	}
	for _, e := range parsed {
		d.remove(e.rec.Ref())
		d.add(e)
	}
	return d.statsLocked()
}

// Stats returns the directory's stats.
func (d *Directory) Stats() Stats {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.statsLocked()
}

func (d *Directory) statsLocked() Stats {
	return Stats{Records: len(d.records), Keys: len(d.byKey), Skipped: d.skipped, Unindexed: d.none}
}

// newEntry parses a record's phones to keys. A record keeps each number
// once: two fields with one number give one key (its first field).
func (d *Directory) newEntry(r Record, cache *parse.Cache) *entry {
	r.Phones = slices.Clone(r.Phones)
	e := &entry{rec: r, keys: make([]string, len(r.Phones))}
	for i, p := range r.Phones {
		if p.Number == "" {
			continue
		}
		n := cache.Number(compact(p.Number), d.region)
		key, ok := KeyOf(n)
		if !ok {
			e.skipped++
			continue
		}
		if !slices.Contains(e.keys[:i], key) {
			// A copy: parse's forms share one buffer, which the key
			// alone would keep alive (a hundred bytes a number).
			e.keys[i] = strings.Clone(key)
		}
	}
	return e
}

func (d *Directory) add(e *entry) {
	d.records[e.rec.Ref()] = e
	d.skipped += e.skipped
	indexed := false
	for _, k := range e.keys {
		if k == "" {
			continue
		}
		indexed = true
		switch old := d.byKey[k]; old {
		case nil:
			d.byKey[k] = e
		case sharedKey:
			es := d.shared[k]
			i, _ := slices.BinarySearchFunc(es, e, compareEntries)
			d.shared[k] = slices.Insert(es, i, e)
		default:
			es := []*entry{old, e}
			slices.SortFunc(es, compareEntries)
			d.byKey[k], d.shared[k] = sharedKey, es
		}
	}
	if !indexed {
		d.none++
	}
}

func (d *Directory) remove(ref Ref) {
	e, ok := d.records[ref]
	if !ok {
		return
	}
	delete(d.records, ref)
	d.skipped -= e.skipped
	indexed := false
	for _, k := range e.keys {
		if k == "" {
			continue
		}
		indexed = true
		switch d.byKey[k] {
		case e:
			delete(d.byKey, k)
		case sharedKey:
			es := slices.DeleteFunc(d.shared[k], func(x *entry) bool { return x == e })
			if len(es) == 1 {
				d.byKey[k] = es[0]
				delete(d.shared, k)
			} else {
				d.shared[k] = es
			}
		}
	}
	if !indexed {
		d.none--
	}
}

// compareEntries orders the records of one number: module, name, id.
func compareEntries(a, b *entry) int {
	if a.rec.Module != b.rec.Module {
		return cmpString(a.rec.Module, b.rec.Module)
	}
	if a.rec.Name != b.rec.Name {
		return cmpString(a.rec.Name, b.rec.Name)
	}
	return cmpString(a.rec.ID, b.rec.ID)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Records returns every record held, ordered by module then id: what to
// store, and give back to Apply (Full) after a restart.
func (d *Directory) Records() []Record {
	d.mu.RLock()
	out := make([]Record, 0, len(d.records))
	for _, e := range d.records {
		out = append(out, e.rec)
	}
	d.mu.RUnlock()
	slices.SortFunc(out, func(a, b Record) int {
		if a.Module != b.Module {
			return cmpString(a.Module, b.Module)
		}
		return cmpString(a.ID, b.ID)
	})
	return out
}

// Get returns the record of ref.
func (d *Directory) Get(ref Ref) (Record, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	e, ok := d.records[ref]
	if !ok {
		return Record{}, false
	}
	return e.rec, true
}
