package relay

// lineIndex finds the clients that may see an event without asking every
// client: with agents in teams, each on its own lines, an event concerns
// a few of them, and going through all of them for every event cost more
// than the fan-out to the few (a cold cache line per client). It keeps
// each client under the phone.LineKey of each of its lines (the key
// lineSet.seesLine compares), so an event's clients are one map look-up
// away, and apart those that see every line. The caller holds the hub's
// mu.
type lineIndex struct {
	all   map[*Sub]struct{}
	byKey map[string]map[*Sub]struct{}
	gen   uint64 // each's mark, so that a client is visited once
}

func newLineIndex() lineIndex {
	return lineIndex{all: map[*Sub]struct{}{}, byKey: map[string]map[*Sub]struct{}{}}
}

// add indexes s under its lines (s.lines).
func (ix *lineIndex) add(s *Sub) {
	if s.lines.all {
		ix.all[s] = struct{}{}
		return
	}
	for _, k := range s.lines.keys {
		if k != "" {
			putSub(ix.byKey, k, s)
		}
	}
}

// remove takes s out, indexed as s.lines says; removing a client not
// indexed does nothing.
func (ix *lineIndex) remove(s *Sub) {
	if s.lines.all {
		delete(ix.all, s)
		return
	}
	for _, k := range s.lines.keys {
		deleteSub(ix.byKey, k, s)
	}
}

// each calls f once for each client that sees one of evs. f may remove
// the client it is given.
func (ix *lineIndex) each(evs []*Delivery, f func(*Sub)) {
	ix.gen++
	visit := func(set map[*Sub]struct{}) {
		for s := range set {
			if s.mark != ix.gen {
				s.mark = ix.gen
				f(s)
			}
		}
	}
	visit(ix.all)
	for _, e := range evs {
		if e.key != "" { // else only clients of every line see it
			visit(ix.byKey[e.key])
		}
	}
}

func putSub(m map[string]map[*Sub]struct{}, key string, s *Sub) {
	set := m[key]
	if set == nil {
		set = map[*Sub]struct{}{}
		m[key] = set
	}
	set[s] = struct{}{}
}

func deleteSub(m map[string]map[*Sub]struct{}, key string, s *Sub) {
	if set := m[key]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(m, key)
		}
	}
}
