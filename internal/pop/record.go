package pop

import (
	"strings"

	"github.com/screenpop/screenpop/internal/stdlite"
)

// What a pop opens when the relay names the caller's CRM records (its
// directory, synced from the CRM: stream.Card.Matches). The agent chooses,
// per case, in the options (settings.Settings OneMatch, ManyMatches,
// NoMatch); a relay without a CRM configured names no records, and then
// the search (the preset's template) opens, as it always did.

// Targets: what a pop opens.
const (
	TargetSearch = "search" // the preset's search for the number (the template)
	TargetRecord = "record" // the one matching record's own page
	TargetChoose = "choose" // nothing: the side panel or in-page card lists the matches to choose from
	TargetNew    = "new"    // a new-contact form with the number filled in
)

// Match options: the values of settings' OneMatch, ManyMatches and
// NoMatch. "" is each one's default.
const (
	OneRecord  = TargetRecord // one match: open the record (default)
	OneSearch  = TargetSearch // one match: open the search
	ManySearch = TargetSearch // several matches: open the search (default)
	ManyChoose = TargetChoose // several matches: let the agent choose in the side panel or in-page card
	NoneSearch = TargetSearch // no match: open the search (default)
	NoneNew    = TargetNew    // no match: open a new-contact form with the number
)

// MatchOptions are the agent's choices of what a pop opens.
type MatchOptions struct {
	One, Many, None string // "" is the default: OneRecord, ManySearch, NoneSearch
}

// Target says what a pop opens for a call whose caller matched n records.
// looked says the relay looked the number up in a CRM directory: a relay
// without one sends no match at all, which is not "nobody has this
// number", so it never offers a new contact. An unknown option (settings
// from a newer extension) is taken as its default.
func (o MatchOptions) Target(n int, looked bool) string {
	switch {
	case n == 1:
		if o.One == OneSearch {
			return TargetSearch
		}
		return TargetRecord
	case n > 1:
		if o.Many == ManyChoose {
			return TargetChoose
		}
		return TargetSearch
	case looked && o.None == NoneNew:
		return TargetNew
	}
	return TargetSearch
}

// Records builds the address of a CRM record's own page, for one preset
// and CRM address: RecordsFor once (it checks the address), URL per
// record.
type Records struct {
	preset string
	base   string // normalised: scheme://host[:port][/path], no trailing slash
}

// RecordsFor returns the record addresses of the CRM at base (the
// agent's own address of the CRM, as their browser reaches it) for
// preset id. The custom preset knows no record address: ok is false, and
// the relay's (stream.Match.URL, checked with SafeURL) is the one to use.
func RecordsFor(id, base string) (r Records, ok bool, err error) {
	trim, _, found := shape(id)
	if !found {
		return Records{}, false, nil
	}
	b, err := normalizeBase(base, trim)
	if err != nil {
		return Records{}, false, err
	}
	return Records{preset: id, base: b}, true, nil
}

// RecordsIn is RecordsFor for the CRM address the template of preset id
// was made from (settings' Template, as PresetURL made it, so already
// checked): ok is false when the template is not the preset's (the
// custom preset, a template edited since). The background uses it: it
// needs no address checker of its own (normalizeBase, 8 KB of its wasm
// gzipped, measured).
func RecordsIn(id, template string) (r Records, ok bool) {
	b, ok := baseIn(id, template)
	if !ok {
		return Records{}, false
	}
	return Records{preset: id, base: b}, true
}

// NewContactIn is NewContactTemplate for the CRM address the template of
// preset id was made from; "" when the template is not the preset's or
// the preset has no form.
func NewContactIn(id, template string) string {
	b, ok := baseIn(id, template)
	if !ok {
		return ""
	}
	_, pattern, _ := shape(id)
	return strings.Replace(pattern, "{base}", b, 1)
}

// baseIn is the CRM address at the start of template, when template is
// preset id's (Preset.Template of that address).
func baseIn(id, template string) (string, bool) {
	p, ok := PresetByID(id)
	if _, _, known := shape(id); !ok || !known {
		return "", false
	}
	_, suffix, _ := strings.Cut(p.pattern, "{base}")
	b, ok := strings.CutSuffix(stdlite.TrimSpace(template), suffix)
	if !ok || !SafeURL(b) || strings.ContainsAny(b, "?#*") {
		return "", false
	}
	return b, true
}

// URL is the page of record id of module (Contacts, Leads, Accounts…),
// "" when either is empty. Both are percent-encoded (as template values
// are: only RFC 3986's unreserved characters stay), so a record ID can
// never change where the address goes.
//
//	SugarCRM 6.5 / SuiteCRM 7: {base}/index.php?module=Contacts&action=DetailView&record=<id>
//	Sugar 7+:                  {base}/#Contacts/<id>
//	SuiteCRM 8:                {base}/#/contacts/record/<id>
func (r Records) URL(module, id string) string {
	if r.base == "" || stdlite.TrimSpace(module) == "" || stdlite.TrimSpace(id) == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(r.base) + len(module) + len(id) + 48)
	b.WriteString(r.base)
	switch r.preset {
	case PresetSugar7:
		b.WriteString("/#")
		escape(&b, module, inPath)
		b.WriteString("/")
		escape(&b, id, inPath)
	case PresetSuite8:
		b.WriteString("/#/")
		escape(&b, stdlite.ToLowerASCII(module), inPath)
		b.WriteString("/record/")
		escape(&b, id, inPath)
	default: // PresetSugar6
		b.WriteString("/index.php?module=")
		escape(&b, module, inQuery)
		b.WriteString("&action=DetailView&record=")
		escape(&b, id, inQuery)
	}
	return b.String()
}

// SafeURL reports whether u may be opened as it is: an absolute http or
// https address with a host and no user name, which stdlite.ParseURL
// reads (the relay's Match.URL, for the custom preset).
func SafeURL(u string) bool {
	p, err := stdlite.ParseURL(u)
	if err != nil || p.HasUser || p.Host == "" {
		return false
	}
	return p.Scheme == "http" || p.Scheme == "https"
}

// NewContactTemplate is preset id's new-contact form for the CRM at base,
// with the caller's number filled in (a template, for Compile and
// Expand); "" for the custom preset, which knows none (the search opens
// instead).
//
// The number is *OTHER_HOME*, the way the agent reads it on the card and
// would type it: 06 12 34 56 99 for a caller of the line's country, else
// +44 20…; the relay's directory reads either as the same number.
//
//	SugarCRM 6.5 / SuiteCRM 7: {base}/index.php?module=Contacts&action=EditView&phone_work=*OTHER_HOME*
//	                           (measured on SuiteCRM 7.14.6: the form opens with the field filled)
//	Sugar 7+:                  {base}/#Contacts/create (its create route takes no field from the
//	                           address: the card shows the number to copy)
//	SuiteCRM 8:                {base}/legacy/index.php?module=Contacts&action=EditView&phone_work=*OTHER_HOME*
//	                           (SuiteCRM 8 serves the classic form, SuiteCRM 7's code, under /legacy)
func NewContactTemplate(id, base string) (string, error) {
	trim, pattern, ok := shape(id)
	if !ok {
		return "", nil
	}
	b, err := normalizeBase(base, trim)
	if err != nil {
		return "", err
	}
	return strings.Replace(pattern, "{base}", b, 1), nil
}

// suite8Trim is what SuiteCRM 8's preset drops from a pasted address.
var suite8Trim = []string{"/legacy"}

// shape is what a preset's record pages and new-contact form need of it:
// the path suffixes its address drops, and the form's template; ok is
// false for the custom preset and an unknown one. A switch, not the
// presets table: the background's wasm, which builds these addresses on
// every call, would otherwise carry the presets' help texts (8 KB
// gzipped, measured).
func shape(id string) (trim []string, newContact string, ok bool) {
	switch id {
	case PresetSugar6:
		return nil, "{base}/index.php?module=Contacts&action=EditView&phone_work=*OTHER_HOME*", true
	case PresetSugar7:
		return nil, "{base}/#Contacts/create", true
	case PresetSuite8:
		return suite8Trim, "{base}/legacy/index.php?module=Contacts&action=EditView&phone_work=*OTHER_HOME*", true
	}
	return nil, "", false
}
