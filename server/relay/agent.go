package relay

import (
	"slices"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/server/store"
)

// Agent is who a connection or request belongs to: a named agent from
// the store, who sees only its lines, or the anonymous agent of a relay
// open to anyone (demo mode, -allow-anonymous), who sees every line.
type Agent struct {
	Name      string   // "" for the anonymous agent
	Lines     []string // as the administrator gave them; store.AllLines for every line
	Anonymous bool
}

// anonymous is the agent of a connection without a secret.
var anonymous = Agent{Anonymous: true, Lines: []string{store.AllLines}}

// Sees reports whether the agent may see events and calls on line. Lines
// are compared by their phone.LineKey, so that 0033972101010 (OVH's
// form), +33972101010, +33 9 72 10 10 10 and 33972101010 are one line,
// and Queue-Sales is queue-sales. A national number in an agent's lines
// (which `agent add` writes in OVH's form, CanonicalLine) is not matched
// with OVH's international lines: that would take a second look-up in the
// hub's index for every event. A call without a line is only for agents
// who see every line.
func (a Agent) Sees(line string) bool {
	ls := newLineSet(a)
	return ls.seesLine(phone.LineKey(line))
}

// lineForms lists the spellings of the agent's lines the store may hold
// a call under (the store compares lines exactly): OVH's 00 form, E.164
// and bare digits. nil means every line.
func (a Agent) lineForms() []string {
	if a.Anonymous || slices.Contains(a.Lines, store.AllLines) {
		return nil
	}
	forms := []string{} // not nil: an agent with no line sees nothing
	for _, l := range a.Lines {
		forms = appendForms(forms, l)
	}
	return forms
}

// appendForms appends line and, for an international number, OVH's 00
// form, E.164 and its bare digits (its key).
func appendForms(forms []string, line string) []string {
	forms = append(forms, line)
	if d := phone.LineKey(line); phone.IsNumber(line) && d != "" && d[0] != '0' {
		for _, f := range []string{"00" + d, "+" + d, d} {
			if !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
	}
	return forms
}
