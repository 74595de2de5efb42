package relay

// lineIndex finds the clients that may see an event without asking every
// client: with agents in teams, each on its own lines, an event concerns
// a few of them, and going through all of them for every event cost more
// than the fan-out to the few (a cold cache line per client). It keeps
// each client under its lines as written and as digits (the two ways
// lineSet.seesLine matches), and apart those that see every line. The
// caller holds the hub's mu.
type lineIndex struct {
	all      map[*Sub]struct{}
	byLine   map[string]map[*Sub]struct{}
	byDigits map[string]map[*Sub]struct{}
	gen      uint64 // each's mark, so that a client is visited once
}

func newLineIndex() lineIndex {
	return lineIndex{all: map[*Sub]struct{}{}, byLine: map[string]map[*Sub]struct{}{}, byDigits: map[string]map[*Sub]struct{}{}}
}

// add indexes s under its lines (s.lines).
func (ix *lineIndex) add(s *Sub) {
	if s.lines.all {
		ix.all[s] = struct{}{}
		return
	}
	for i, l := range s.lines.lines {
		if l != "" {
			putSub(ix.byLine, l, s)
		}
		if d := s.lines.digits[i]; d != "" {
			putSub(ix.byDigits, d, s)
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
	for i, l := range s.lines.lines {
		deleteSub(ix.byLine, l, s)
		deleteSub(ix.byDigits, s.lines.digits[i], s)
	}
}

// each calls f once for each client that may see one of evs: every
// client that does, and maybe others (f asks lineSet.sees). f may remove
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
		if e.line == "" {
			continue // only clients of every line see it
		}
		visit(ix.byLine[e.line])
		if e.digits != "" {
			visit(ix.byDigits[e.digits])
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
