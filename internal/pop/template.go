// Package pop decides whether a call opens the caller's CRM record, and
// builds the address to open. It runs inside the browser extension's wasm,
// so it imports only the standard library and the project's plain data
// types (phone, call, ovhevent): the caller's number forms arrive from the
// relay ready-made, nothing is parsed here.
//
// Three parts, one file each:
//   - URL templates (this file): Compile, Expand, ValidateTemplate. The
//     legacy OVH placeholders (*CALLING*, *CALLED*, *DIALED*, *EVENT*) plus
//     the caller's number forms and the line. Every value is
//     percent-encoded, so caller data can never change the scheme, host,
//     user info or port of the address, nor split its path, query or
//     fragment.
//   - Presets for SugarCRM and SuiteCRM (preset.go).
//   - Pop rules and a per-minute cap (rules.go, cap.go).
package pop

import (
	"strconv"
	"strings"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/stdlite"
)

// DefaultTemplate is the template of a fresh install: OVH's guide's
// SugarCRM search with the raw caller, on a CRM host the agent must still
// replace (IsExample reports that). Prefer a preset (PresetURL): *CALLING*
// is the number as OVH sends it (0033612345682), which a SugarCRM 6.5 search
// finds only if the record was stored in exactly that format.
const DefaultTemplate = "https://crm.example.com/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING*"

// exampleHost is DefaultTemplate's placeholder host.
const exampleHost = "crm.example.com"

// IsExample reports whether a template still points at DefaultTemplate's
// example host, i.e. the agent has not yet said where the CRM is.
func IsExample(template string) bool {
	u, err := stdlite.ParseURL(stdlite.TrimSpace(template))
	return err == nil && u.Hostname() == exampleHost // ParseURL lowers the host's case
}

// Values are what a template's placeholders expand to: one event of one
// call. Build it with ValuesFor from what the relay streams.
type Values struct {
	Event    string       // canonical event name, e.g. start_ringing (*EVENT*)
	Calling  phone.Number // the calling number: Raw for *CALLING*, Forms for *CALLING_…*
	Called   phone.Number // the called number: Raw for *CALLED*, Forms for *CALLED_…*
	Dialed   phone.Number // the dialed number: Raw for *DIALED*
	Line     string       // the watched OVH line or queue number, as OVH sent it (*LINE*)
	LineName string       // the line's name, Details.Description, e.g. "Accueil" (*LINE_NAME*)
	// Other is the other party: the calling number of an inbound call, the
	// called one of an outbound call (*OTHER*, *OTHER_…*). A preset
	// searches for it, so that an outbound pop finds the person called
	// rather than the agent's own line.
	Other phone.Number
	// Home is the region of the agent's line (the called number of an
	// inbound call, the calling one of an outbound call), e.g. "FR": a
	// number of that region is written the national way (*OTHER_HOME*).
	Home string
}

// ValuesFor fills Values from one event as the relay streams it: its
// name, the call after the event, and the parsed calling and called
// numbers. A number whose Raw is empty falls back to the call's raw field
// (orRaw, as OtherParty's).
func ValuesFor(event string, c call.Call, calling, called phone.Number) Values {
	calling, called = orRaw(calling, c.Calling), orRaw(called, c.Called)
	home := called.Region
	if c.Direction == call.Outbound {
		home = calling.Region
	}
	return Values{
		Home:     home,
		Event:    event,
		Calling:  calling,
		Called:   called,
		Dialed:   phone.Number{Raw: c.Dialed},
		Line:     c.Line,
		LineName: c.LineName,
		Other:    OtherParty(c, calling, called),
	}
}

// Placeholder documents one placeholder for the settings page.
type Placeholder struct {
	Name string // with its asterisks, e.g. "*CALLING_NSN*"
	Help string // what it becomes, with an example
}

type placeholder struct {
	Name  string // with its asterisks
	value func(*Values) string
}

// form is one of phone.Forms' spellings, as a placeholder suffix.
type form struct {
	suffix string
	get    func(*phone.Forms) string
}

var forms = [...]form{
	{"E164", func(f *phone.Forms) string { return f.E164 }},
	{"00", func(f *phone.Forms) string { return f.Intl00 }},
	{"NATIONAL", func(f *phone.Forms) string { return f.National }},
	{"GROUPED", func(f *phone.Forms) string { return f.Grouped }},
	{"DOTTED", func(f *phone.Forms) string { return f.Dotted }},
	{"DIGITS", func(f *phone.Forms) string { return f.Digits }},
	{"NSN", func(f *phone.Forms) string { return f.NSN }},
	{"LIKE", func(f *phone.Forms) string { return f.Like }},
}

// placeholders is every placeholder a template may use, in the order the
// settings page lists them. (Their help is in Placeholders, out of the
// background's wasm, which never shows it.)
var placeholders = buildPlaceholders()

func buildPlaceholders() []placeholder {
	ps := []placeholder{
		{"*CALLING*", func(v *Values) string { return v.Calling.Raw }},
		{"*CALLED*", func(v *Values) string { return v.Called.Raw }},
		{"*DIALED*", func(v *Values) string { return v.Dialed.Raw }},
		{"*EVENT*", func(v *Values) string { return v.Event }},
		{"*LINE*", func(v *Values) string { return v.Line }},
		{"*LINE_NAME*", func(v *Values) string { return v.LineName }},
		{"*OTHER*", func(v *Values) string { return v.Other.Raw }},
		{"*OTHER_HOME*", otherHome},
	}
	for _, who := range [...]struct {
		name string
		num  func(*Values) *phone.Number
	}{
		{"CALLING", func(v *Values) *phone.Number { return &v.Calling }},
		{"CALLED", func(v *Values) *phone.Number { return &v.Called }},
		{"OTHER", func(v *Values) *phone.Number { return &v.Other }},
	} {
		for _, f := range forms {
			ps = append(ps, placeholder{"*" + who.name + "_" + f.suffix + "*", func(v *Values) string {
				n := who.num(v)
				if n.Kind != phone.Valid {
					return ""
				}
				return f.get(&n.Forms)
			}})
		}
	}
	return ps
}

// Placeholders lists every placeholder, for the settings page.
func Placeholders() []Placeholder {
	help := []string{
		"the calling number as OVH sent it, e.g. 0033612345682 (OVH's dashboard)",
		"the called number as OVH sent it, e.g. 0033972101010 (OVH's dashboard)",
		"the dialed number as OVH sent it (OVH's dashboard)",
		"the event, e.g. start_ringing (OVH's dashboard)",
		"the OVH line or queue number, e.g. 0033972101010",
		"the line's name in the OVH manager, e.g. Accueil",
		"the other party as OVH sent it: the calling number of an inbound call, the called number of an outbound one",
		"the other party as the agent writes it: national, grouped, when from the line's country (06 12 34 56 82), else international (+44…); empty when it is not a valid public number",
	}
	formHelp := [len(forms)]string{
		"international with +, e.g. +33612345682",
		"international with 00, e.g. 0033612345682",
		"national, compact, e.g. 0612345682",
		"national as the country writes it, e.g. 06 12 34 56 82",
		"national with dots, e.g. 06.12.34.56.82",
		"international digits only, e.g. 33612345682",
		"national significant number, e.g. 612345682 (finds every format in Sugar 7+ search)",
		"SQL LIKE query, e.g. %6%1%2%3%4%5%6%8%2 (finds every format in SugarCRM 6.5 / SuiteCRM classic search)",
	}
	for _, who := range []string{"calling number", "called number", "other party (the caller, or the number called on an outbound call)"} {
		for _, h := range formHelp {
			help = append(help, "the "+who+", "+h+"; empty when it is not a valid public number")
		}
	}
	out := make([]Placeholder, len(placeholders))
	for i, p := range placeholders {
		out[i] = Placeholder{Name: p.Name, Help: help[i]}
	}
	return out
}

// otherHome is *OTHER_HOME*: the other party grouped the national way
// when it is from the line's country (or the line's is not known), else
// in E.164, as the extension's pages write it (view.NumberLabel).
func otherHome(v *Values) string {
	n := &v.Other
	if n.Kind != phone.Valid {
		return ""
	}
	if n.Forms.Grouped != "" && (v.Home == "" || stdlite.ToUpperASCII(v.Home) == stdlite.ToUpperASCII(n.Region)) {
		return n.Forms.Grouped
	}
	return n.Forms.E164
}

func lookup(name string) *placeholder {
	for i := range placeholders {
		if placeholders[i].Name == name {
			return &placeholders[i]
		}
	}
	return nil
}

// placeholderNames is the list shown in the unknown-placeholder message.
func placeholderNames() string {
	var b strings.Builder
	for i, p := range placeholders {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(p.Name)
	}
	return b.String()
}

// TemplateError says what is wrong with a URL template and what to do. The
// settings page shows Message; Code is stable, for tests and translations.
type TemplateError struct {
	Code    string // one of the Err* codes
	Offset  int    // byte offset in the (trimmed) template, -1 when not about one place
	Message string // what is wrong and what to do
}

func (e *TemplateError) Error() string { return e.Message }

// Template error codes.
const (
	ErrEmpty           = "empty"                  // nothing typed
	ErrUnexpandedBase  = "unexpanded-base"        // {base} left in
	ErrCharacter       = "character"              // space, control character or backslash
	ErrRelative        = "relative"               // no scheme
	ErrScheme          = "scheme"                 // not http or https (javascript:, data:, …)
	ErrNoHost          = "no-host"                // https:/path, https:///path, https://:8080
	ErrUserinfo        = "userinfo"               // user:password@
	ErrPlaceholderHost = "placeholder-in-address" // a placeholder in scheme, host or port
	ErrEscape          = "escape"                 // % not followed by two hex digits
	ErrUnknown         = "unknown-placeholder"    // *FOO*
	ErrCase            = "placeholder-case"       // *calling*
	ErrURL             = "url"                    // not a valid address (stdlite.ParseURL refuses it): a bad host or port
	ErrExpanded        = "expanded"               // the expanded address failed its final check (a bug)
)

func tmplErr(code string, off int, msg string) *TemplateError {
	return &TemplateError{Code: code, Offset: off, Message: msg}
}

// part is where a value goes in the address.
type part uint8

const (
	inPath part = iota
	inQuery
	inFragment
)

// segment is a literal piece of the template, or a placeholder.
type segment struct {
	literal string
	ph      *placeholder // nil for a literal
	in      part
}

// Template is a compiled URL template: Compile once, Expand per call.
type Template struct {
	text     string
	segments []segment
	litLen   int
	scheme   string // lower case
	host     string // host[:port], as written
}

// String returns the template's text (trimmed).
func (t *Template) String() string { return t.text }

// ValidateTemplate reports what is wrong with a template, or nil.
func ValidateTemplate(template string) error {
	_, err := Compile(template)
	return err
}

// Expand compiles template and expands it; see Template.Expand.
func Expand(template string, v Values) (string, error) {
	t, err := Compile(template)
	if err != nil {
		return "", err
	}
	return t.Expand(v)
}

// Compile checks a template and prepares it for Expand.
//
// A template is an absolute http or https address. Placeholders are
// *NAME* with NAME among Placeholders(); they may sit in the path, the
// query or the fragment, never in the scheme, host or port. Other text
// between asterisks is kept as it is, except upper-case words (*FOO*),
// which are refused as unknown placeholders so a typo is not silently
// sent to the CRM. Surrounding white space is trimmed.
func Compile(template string) (*Template, error) {
	s := stdlite.TrimSpace(template)
	if s == "" {
		return nil, tmplErr(ErrEmpty, -1, "the URL template is empty: choose a preset or enter your CRM's search address, e.g. "+DefaultTemplate)
	}
	if i := strings.Index(s, "{base}"); i >= 0 {
		return nil, tmplErr(ErrUnexpandedBase, i, "the URL template still contains {base}: replace it with your CRM's address, e.g. https://crm.example.com")
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			return nil, tmplErr(ErrCharacter, i, "the URL template contains a space at position "+pos(i)+": write it as %20")
		case c < ' ' || c == 0x7f:
			return nil, tmplErr(ErrCharacter, i, "the URL template contains a control character (line break, tab…) at position "+pos(i)+": remove it")
		case c == '\\':
			return nil, tmplErr(ErrCharacter, i, "the URL template contains a backslash at position "+pos(i)+": use / in addresses, or write %5C")
		}
	}

	colon := strings.IndexByte(s, ':')
	if colon <= 0 || stdlite.IndexAnyASCII(s[:colon], "/?#*.") >= 0 || colon+1 < len(s) && '0' <= s[colon+1] && s[colon+1] <= '9' {
		// No scheme: a path, or host:port without https://.
		return nil, tmplErr(ErrRelative, 0, "the URL template must be a full address starting with https:// (or http://), e.g. "+DefaultTemplate)
	}
	switch stdlite.ToLowerASCII(s[:colon]) {
	case "http", "https":
	default:
		return nil, tmplErr(ErrScheme, 0, "the URL template starts with "+quote(s[:colon+1])+": only https:// and http:// addresses can be opened (no javascript:, data: or file:)")
	}
	if !strings.HasPrefix(s[colon+1:], "//") {
		return nil, tmplErr(ErrNoHost, colon+1, "the URL template has no host: write it as "+stdlite.ToLowerASCII(s[:colon])+"://your-crm.example.com/…")
	}
	authStart := colon + 3
	authEnd := len(s)
	if i := stdlite.IndexAnyASCII(s[authStart:], "/?#"); i >= 0 {
		authEnd = authStart + i
	}
	auth := s[authStart:authEnd]
	if auth == "" || auth[0] == ':' {
		return nil, tmplErr(ErrNoHost, authStart, "the URL template has no host after "+quote(s[:authStart])+": write your CRM's address, e.g. https://crm.example.com/…")
	}
	if i := strings.IndexByte(auth, '@'); i >= 0 {
		return nil, tmplErr(ErrUserinfo, authStart+i, "the URL template contains a user name or password (before @): remove it and log into the CRM in the browser instead")
	}
	if i := strings.IndexByte(auth, '*'); i >= 0 {
		return nil, tmplErr(ErrPlaceholderHost, authStart+i, "the URL template has a * in its host or port: placeholders can only go in the path, query or fragment, after the CRM's address (https://crm.example.com/…)")
	}
	for i := authEnd; i < len(s); i++ {
		if s[i] == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])) {
			return nil, tmplErr(ErrEscape, i, "the URL template has a % at position "+pos(i)+" that does not start an escape like %20: write a literal % as %25")
		}
	}
	u, err := stdlite.ParseURL(s)
	if err != nil {
		if e, ok := err.(*stdlite.URLError); ok && e.Code == stdlite.ErrURLNoHost {
			return nil, tmplErr(ErrNoHost, authStart, "the URL template has no host: write your CRM's address, e.g. https://crm.example.com/…")
		}
		return nil, tmplErr(ErrURL, -1, "the URL template is not a valid address ("+err.Error()+"): check the host and port")
	}

	t := &Template{text: s, scheme: u.Scheme, host: u.HostPort()}
	// Walk the path, query and fragment; the first literal runs from 0,
	// so it carries the scheme and host, which hold no placeholder.
	in := inPath
	lit := 0 // start of the pending literal
	for i := authEnd; i < len(s); {
		switch s[i] {
		case '?':
			if in == inPath {
				in = inQuery
			}
		case '#':
			in = inFragment
		case '*':
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			if j == i+1 || j == len(s) || s[j] != '*' {
				break // a lone *: literal text
			}
			name := s[i : j+1]
			ph := lookup(name)
			if ph == nil {
				if lookup(stdlite.ToUpperASCII(name)) != nil {
					return nil, tmplErr(ErrCase, i, "the placeholder "+name+" at position "+pos(i)+" must be written in capitals: "+stdlite.ToUpperASCII(name))
				}
				if isUpperName(name[1 : len(name)-1]) {
					return nil, tmplErr(ErrUnknown, i, "unknown placeholder "+name+" at position "+pos(i)+": check its spelling; the placeholders are "+placeholderNames())
				}
				break // *text* in lower case: literal
			}
			if lit < i {
				t.segments = append(t.segments, segment{literal: s[lit:i]})
			}
			t.segments = append(t.segments, segment{ph: ph, in: in})
			i = j + 1
			lit = i
			continue
		}
		i++
	}
	if lit < len(s) {
		t.segments = append(t.segments, segment{literal: s[lit:]})
	}
	for _, sg := range t.segments {
		t.litLen += len(sg.literal)
	}
	return t, nil
}

// Expand returns the address for one event: every placeholder replaced
// by its value, percent-encoded for the part of the address it sits in.
// A form placeholder (*CALLING_NSN*, …) of a number that is not Valid
// expands to nothing. The error is non-nil only if the result failed the
// final check (same scheme and host as the template), which would be a bug.
func (t *Template) Expand(v Values) (string, error) {
	var b strings.Builder
	b.Grow(t.litLen + 48)
	for i := range t.segments {
		sg := &t.segments[i]
		if sg.ph == nil {
			b.WriteString(sg.literal)
			continue
		}
		escape(&b, sg.ph.value(&v), sg.in)
	}
	out := b.String()
	u, err := stdlite.ParseURL(out)
	if err != nil || u.Scheme != t.scheme || u.HostPort() != t.host || u.HasUser {
		return "", tmplErr(ErrExpanded, -1, "the expanded address does not have the template's scheme and host: this is a bug, please report it with the template")
	}
	return out, nil
}

// escape writes s percent-encoded. One strict rule is right in every part
// of the address: every byte but RFC 3986's unreserved characters
// (A-Z a-z 0-9 - . _ ~) is encoded, so a value can never end a path
// segment (/), start or split a query (? & = ;), start or split a fragment
// or a Sugar 7 route (# / ?), decode to a space (+ is %2B, as PHP decodes
// + to a space) or start an escape (% is %25). In the path, dots are
// encoded too, so a value cannot form a "." or ".." segment.
func escape(b *strings.Builder, s string, in part) {
	clean := true
	for i := 0; i < len(s); i++ {
		if needsEscape(s[i], in) {
			clean = false
			break
		}
	}
	if clean {
		b.WriteString(s)
		return
	}
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !needsEscape(c, in) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
}

func needsEscape(c byte, in part) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '~':
		return false
	case c == '.':
		return in == inPath
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
}

// isUpperName reports whether s looks like a placeholder name: capitals,
// digits and underscores, starting with a capital.
func isUpperName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// pos is a 1-based position for messages.
func pos(i int) string { return strconv.Itoa(i + 1) }

func quote(s string) string { return stdlite.Quote(s) }
