package background

import (
	"errors"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stdlite"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/wasm/view"
)

// What a pop opens: the caller's record, the search, or a new contact,
// as the agent's options (settings.MatchOptions) say for the records the
// relay names (stream.Card.Matches). Each is built from the agent's own
// CRM address (Settings.CRMBase, the one their browser uses; the relay's
// may be an internal one) and the preset, at most one template compiled
// per message and one expansion per event (the search and the new
// contact are templates, the record page is not).

// target returns what call v's pop and "open in CRM" open for one event,
// and its address: the search (Settings.Template) unless the options and
// the matches say otherwise, and the search too when the other address
// cannot be built (the custom preset, a match without ID). For
// TargetChoose the address is the search's, for the card's "search"
// action.
func (e *Env) target(event string, v *CallView) (target, u string, err error) {
	target = e.Settings.MatchOptions().Target(len(v.Matches), looked(v.Card))
	switch target {
	case pop.TargetRecord:
		if u = v.Matches[0].URL; u != "" && pop.SafeURL(u) {
			return target, u, nil
		}
	case pop.TargetNew:
		if e.newContact == nil && e.newContactErr == nil {
			e.newContact, e.newContactErr = e.compileNewContact()
		}
		if e.newContact != nil {
			vals := pop.ValuesFor(event, v.Call, v.Calling, v.Called)
			vals.Other = view.OtherParty(*v)
			if u, err = e.newContact.Expand(vals); err == nil {
				return target, u, nil
			}
		}
	}
	if target != pop.TargetChoose {
		target = pop.TargetSearch
	}
	u, err = e.expand(event, v)
	return target, u, err
}

// compileNewContact compiles the preset's new-contact form for the
// agent's CRM address (the one the preset's search template was made
// from); nil without error when the preset has none, or the template is
// not the preset's (custom, edited).
func (e *Env) compileNewContact() (*pop.Template, error) {
	tm := pop.NewContactIn(e.Settings.Preset, e.Settings.Template)
	if tm == "" {
		return nil, nil
	}
	return pop.Compile(tm)
}

// ownRecords sets each match's URL to the agent's own address of its
// record (from the preset and the CRM address its template was made
// from, Settings.CRMBase normalised), so that every page
// opens what the agent's browser reaches, in the agent's CRM session.
// The custom preset, or an address that does not parse, keeps the
// relay's URL where it is http(s), and drops any other.
func (e *Env) ownRecords(card *stream.Card) {
	if len(card.Matches) == 0 {
		return
	}
	if !e.recordsDone {
		e.records, e.recordsOK = pop.RecordsIn(e.Settings.Preset, e.Settings.Template)
		e.recordsDone = true
	}
	ms := make([]stream.Match, len(card.Matches))
	copy(ms, card.Matches)
	for i := range ms {
		if e.recordsOK {
			if u := e.records.URL(ms[i].Module, ms[i].ID); u != "" {
				ms[i].URL = u
				continue
			}
		}
		if !pop.SafeURL(ms[i].URL) {
			ms[i].URL = ""
		}
	}
	card.Matches = ms
}

// setURL keeps the event's address as call v's "open in CRM" target,
// with what it opens: a record or new-contact form whenever there is
// one (a follow-up card can turn the search into the record), a search
// only for a number the CRM can be searched for.
func setURL(v *CallView, target, u string, err error) {
	if err != nil || u == "" {
		return
	}
	if target == pop.TargetSearch || target == pop.TargetChoose {
		if view.OtherParty(*v).Kind != phone.Valid {
			return
		}
	}
	v.URL, v.Target = u, target
}

// looked reports whether the relay looked the caller up in its CRM
// directory and found nobody: only then is "no match" an unknown caller,
// to whom a new contact may be offered. A relay without a directory says
// nothing (""). A number the directory does not know is "looking" while
// the relay asks the CRM: the pop is not held back for that answer, so
// it opens the new contact then; should the CRM know the number after
// all, the follow-up card names the caller and open-in-CRM opens the
// record.
func looked(c stream.Card) bool {
	return c.Directory == stream.DirectoryUnknown || c.Directory == stream.DirectoryLooking
}

// HasCard reports whether a message says something of the caller: a
// name, records, or what the relay's directory found. A message without
// (an older relay's later events) keeps the card the call has.
func HasCard(c stream.Card) bool {
	return c.CallerName != "" || len(c.Matches) > 0 || c.Directory != ""
}

// choosing reports whether call v's pop lets the agent choose among its
// matches rather than open a page: in the modes that open one (a tab, the
// CRM tab, a window). The in-page card lists the matches itself; silent
// and notify modes open nothing anyway.
func choosing(v *CallView, s settings.Settings) bool {
	if v.Target != pop.TargetChoose {
		return false
	}
	switch s.Mode {
	case settings.ModeTab, settings.ModeReuseTab, settings.ModeWindow:
		return true
	}
	return false
}

// SameCard reports whether two cards name the same caller and records.
func SameCard(a, b stream.Card) bool {
	if a.CallerName != b.CallerName || len(a.Matches) != len(b.Matches) || a.Directory != b.Directory || a.MatchCount != b.MatchCount {
		return false
	}
	for i := range a.Matches {
		if a.Matches[i] != b.Matches[i] {
			return false
		}
	}
	return true
}

// Open targets a page may ask for (RequestOpen's "as"): "" is the call's
// own (what its pop opened, CallView.URL).
const (
	OpenSearch = pop.TargetSearch // the preset's search for the number
	OpenRecord = pop.TargetRecord // match number "record" of the call's card
	OpenNew    = pop.TargetNew    // a new contact with the number
)

// OpenAs opens call line/id as a page asked: one of its matches' records
// (as OpenRecord, record its index in the card), a new contact, or the
// search; "" opens the call's own URL (Open). It opens the way Open does
// (the CRM tab in reuse-tab and in-page modes, else a new tab), from the
// background, so the CRM sees no extension page as the Referer.
func (st *Memory) OpenAs(line, id, as string, record int, env Env) ([]Action, error) {
	if as == "" {
		return st.Open(line, id, env)
	}
	v := st.find(line + "|" + id)
	if v == nil {
		return nil, ErrNoCall
	}
	env.Settings = env.Settings.Normalize()
	var u string
	var err error
	switch as {
	case OpenRecord:
		if record < 0 || record >= len(v.Matches) || v.Matches[record].URL == "" {
			return nil, errors.New("this record has no address the extension can open: check the CRM address in the options")
		}
		u = v.Matches[record].URL
	case OpenNew:
		var tm *pop.Template
		if tm, err = env.compileNewContact(); err == nil && tm == nil {
			err = errors.New("the CRM preset in the options has no new-contact form: choose your CRM's preset")
		}
		if err == nil {
			vals := pop.ValuesFor(v.Call.LastEvent, v.Call, v.Calling, v.Called)
			vals.Other = view.OtherParty(*v)
			u, err = tm.Expand(vals)
		}
	case OpenSearch:
		u, err = env.expand(v.Call.LastEvent, v)
		if err == nil && view.OtherParty(*v).Kind != phone.Valid {
			err = ErrNoNumber
		}
	default:
		return nil, errors.New("unknown open target " + stdlite.Quote(as) + ": update the extension")
	}
	if err != nil {
		return nil, err
	}
	kind := ActionOpenTab
	switch env.Settings.Mode {
	case settings.ModeReuseTab, settings.ModeInPage:
		kind = ActionReuseTab
	}
	// No Key: this is not the call's pop, so a pop the worker holds in
	// a tab behind (the agent was on the extension's pages) is not what
	// opens instead (worker.showHeld).
	acts := []Action{{Kind: kind, URL: u}}
	if v.Call.Missed && !v.Seen {
		v.Seen, st.dirty = true, true
		acts = append(acts, Action{Kind: ActionClearNote, Key: key(v.Call)})
	}
	return st.withBadge(acts, env.Settings), nil
}
