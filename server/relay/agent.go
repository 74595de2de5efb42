package relay

import (
	"slices"
	"strings"

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
// are compared by their digits, so that 0033972101010 (OVH's form),
// +33972101010 and 33972101010 are one line. A call without a line is
// only for agents who see every line.
func (a Agent) Sees(line string) bool {
	ls := newLineSet(a)
	return ls.seesLine(line, lineDigits(line))
}

// SameLine reports whether a and b are the same OVH line written in two
// of the forms people and OVH use: digits only, international "00" or "+"
// prefix dropped. Lines that are not numbers (a queue's name) must match
// exactly.
func SameLine(a, b string) bool {
	if a == b {
		return true
	}
	da, db := lineDigits(a), lineDigits(b)
	return da != "" && da == db
}

// lineDigits is the international digits of a line number ("+33 9 72…"
// and "0033972…" give "33972…"), or "" when s is not only a number and
// its punctuation.
func lineDigits(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '+' || c == ' ' || c == '.' || c == '-' || c == '(' || c == ')':
		default:
			return ""
		}
	}
	d := b.String()
	if strings.HasPrefix(d, "00") {
		d = d[2:]
	}
	return d
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

func appendForms(forms []string, line string) []string {
	forms = append(forms, line)
	if d := lineDigits(line); d != "" {
		for _, f := range []string{"00" + d, "+" + d, d} {
			if !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
	}
	return forms
}
