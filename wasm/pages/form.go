package pages

// The options form without the DOM: what the agent typed (optionsForm),
// turned into Settings or into one message per field saying what to do.

import (
	"errors"
	"github.com/screenpop/screenpop/wasm/view"
	"slices"
	"strconv"
	"strings"

	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stdlite"
	"github.com/screenpop/screenpop/wasm/background"
)

// Field IDs: the options page's input IDs, which the problems are shown under.
const (
	fieldConnection = "connection"
	fieldRelay      = "relay-url"
	fieldBase       = "crm-base"
	fieldTemplate   = "template"
	fieldWindow     = "window"
	fieldCap        = "cap"
	fieldEvents     = "events"
	fieldLines      = "lines"
)

// optionsForm is the options page's fields as typed.
type optionsForm struct {
	Connection   string // a pasted connection string, or ""
	Relay        string
	ForgetSecret bool // the agent removed the saved secret
	Preset       string
	Base         string
	Template     string
	Mode         string
	Width        string
	Height       string
	Cap          string
	Notify       bool
	Events       []string // checked, in any order
	Outbound     bool
	Withheld     bool
	Internal     bool
	Lines        string // one line number or name per line (commas work too)
	// What a pop opens for the relay's matches: a value of
	// oneMatchChoices, manyMatchChoices, noMatchChoices.
	OneMatch, ManyMatches, NoMatch string
}

// matchChoice is one option of a "what the pop opens" select.
type matchChoice struct {
	Value    string // pop.One…, pop.Many…, pop.None…
	LabelKey string
}

// The choices of what a pop opens, the default first (stored as "", so
// a saved default follows a future one).
var (
	oneMatchChoices  = []matchChoice{{Value: pop.OneRecord, LabelKey: "optionsOneRecord"}, {Value: pop.OneSearch, LabelKey: "optionsOneSearch"}}
	manyMatchChoices = []matchChoice{{Value: pop.ManySearch, LabelKey: "optionsManySearch"}, {Value: pop.ManyChoose, LabelKey: "optionsManyChoose"}}
	noMatchChoices   = []matchChoice{{Value: pop.NoneSearch, LabelKey: "optionsNoneSearch"}, {Value: pop.NoneNew, LabelKey: "optionsNoneNew"}}
)

// matchStored is what is stored for choice v among choices: "" for the
// default, and for a value that is none of them.
func matchStored(choices []matchChoice, v string) string {
	for _, c := range choices[1:] {
		if c.Value == v {
			return v
		}
	}
	return ""
}

// matchShown is the option a stored choice selects: the default's for "".
func matchShown(choices []matchChoice, stored string) string {
	if v := matchStored(choices, stored); v != "" {
		return v
	}
	return choices[0].Value
}

// problem is what is wrong with one field.
type problem struct {
	Field string
	Text  view.Text
}

// sample is the number the live preview expands the template with. The
// wasm has no number parser (it stays in the relay), so its forms are
// written out here.
var sample = phone.Number{Raw: "0033612345682", Kind: phone.Valid, Region: "FR", Forms: phone.Forms{
	E164: "+33612345682", Intl00: "0033612345682", National: "0612345682", Grouped: "06 12 34 56 82",
	Dotted: "06.12.34.56.82", Digits: "33612345682", NSN: "612345682", Like: "%6%1%2%3%4%5%6%8%2",
}}

// sampleValues is a sample inbound call on a line named Accueil.
var sampleValues = pop.Values{
	Event:   ovhevent.StartRinging,
	Calling: sample,
	Called: phone.Number{Raw: "0033972101010", Kind: phone.Valid, Region: "FR", Forms: phone.Forms{
		E164: "+33972101010", Intl00: "0033972101010", National: "0972101010", Grouped: "09 72 10 10 10",
		Dotted: "09.72.10.10.10", Digits: "33972101010", NSN: "972101010", Like: "%9%7%2%1%0%1%0%1%0",
	}},
	Line:     "0033972101010",
	LineName: "Accueil",
	Other:    sample,
}

// preview expands a template for the sample call.
func preview(template string) (string, error) {
	return pop.Expand(template, sampleValues)
}

// placeholderSample is what one placeholder becomes for the sample call.
func placeholderSample(name string) string {
	u, err := pop.Expand("https://x/"+name, sampleValues)
	if err != nil {
		return ""
	}
	v, err := stdlite.PathUnescape(strings.TrimPrefix(u, "https://x/"))
	if err != nil {
		return ""
	}
	return v
}

// presetFor says which preset a saved configuration shows as: its own,
// unless the template was edited away from what the preset makes of the
// base (then it is custom).
func presetFor(s settings.Settings) string {
	if _, ok := pop.PresetByID(s.Preset); !ok || s.Preset == pop.PresetCustom {
		return pop.PresetCustom
	}
	if t, err := pop.PresetURL(s.Preset, s.CRMBase); err != nil || t != strings.TrimSpace(s.Template) {
		return pop.PresetCustom
	}
	return s.Preset
}

// sameRelay compares relay addresses as typed, ignoring a trailing slash
// and surrounding space.
func sameRelay(a, b string) bool {
	norm := func(s string) string { return strings.TrimRight(strings.TrimSpace(s), "/") }
	return norm(a) == norm(b)
}

// settings turns the form into settings, starting from the saved ones
// (old), or says what is wrong, field by field; nothing is half-applied.
func (f optionsForm) settings(old settings.Settings) (settings.Settings, []problem) {
	s := old
	var probs []problem
	add := func(field string, t view.Text) { probs = append(probs, problem{field, t}) }

	// Where the relay is, and the agent's secret. A secret belongs to one
	// relay: typing another relay's address drops it, so it is never sent
	// anywhere else.
	s.RelayURL = strings.TrimSpace(f.Relay)
	if f.ForgetSecret || !sameRelay(s.RelayURL, old.RelayURL) {
		s.Secret = ""
	}
	if c := strings.TrimSpace(f.Connection); c != "" {
		relay, secret, err := settings.ParseConnection(c)
		if err != nil {
			add(fieldConnection, connectionProblem(c))
		} else {
			s.RelayURL, s.Secret = relay, secret
		}
	}

	// The CRM: a preset made from the base, or a template of one's own.
	// A template that is not what the preset makes is a custom one.
	s.CRMBase = strings.TrimSpace(f.Base)
	s.Template = strings.TrimSpace(f.Template)
	s.Preset = f.Preset
	if _, ok := pop.PresetByID(s.Preset); !ok {
		s.Preset = pop.PresetCustom
	}
	if s.Preset != pop.PresetCustom {
		gen, err := pop.PresetURL(s.Preset, s.CRMBase)
		switch {
		case err == nil && (s.Template == "" || s.Template == gen):
			s.Template = gen
		case err == nil:
			s.Preset = pop.PresetCustom
		default:
			add(fieldBase, baseProblem(s.CRMBase))
		}
	}

	s.Mode = f.Mode
	if !slices.Contains(settings.Modes(), s.Mode) {
		s.Mode = settings.Default().Mode
	}
	if s.Mode == settings.ModeWindow {
		w, errW := strconv.Atoi(strings.TrimSpace(f.Width))
		h, errH := strconv.Atoi(strings.TrimSpace(f.Height))
		if errW != nil || errH != nil || w < 200 || w > 4000 || h < 200 || h > 4000 {
			add(fieldWindow, view.Msg("errWindowSize"))
		} else {
			s.WindowWidth, s.WindowHeight = w, h
		}
	}
	if c, err := strconv.Atoi(strings.TrimSpace(f.Cap)); err != nil || c < 0 || c > 100 {
		add(fieldCap, view.Msg("errCap"))
	} else {
		s.CapPerMinute = c
	}
	s.Notify = f.Notify
	s.OneMatch = matchStored(oneMatchChoices, f.OneMatch)
	s.ManyMatches = matchStored(manyMatchChoices, f.ManyMatches)
	s.NoMatch = matchStored(noMatchChoices, f.NoMatch)

	// Which calls pop. Events are kept in PoppableEvents' order; the
	// default selection is stored as "default" (empty), so it follows
	// future defaults.
	var events []string
	for _, e := range pop.PoppableEvents() {
		if slices.Contains(f.Events, e) {
			events = append(events, e)
		}
	}
	if len(events) == 0 {
		add(fieldEvents, view.Msg("errNoEvents"))
	}
	if slices.Equal(events, pop.DefaultEvents()) {
		events = nil
	}
	s.Rules = pop.Rules{Events: events, Outbound: f.Outbound, Withheld: f.Withheld, Internal: f.Internal, Lines: splitLines(f.Lines)}

	// The template is checked here, not through s.Validate, which keeps
	// only its English message: its code says which message to show. A
	// preset whose base is wrong has no template to check.
	for _, err := range s.Validate(func(string) error { return nil }) {
		probs = append(probs, problemFor(err, s))
	}
	if !slices.ContainsFunc(probs, func(p problem) bool { return p.Field == fieldBase }) {
		if err := pop.ValidateTemplate(s.Template); err != nil {
			probs = append(probs, problemFor(err, s))
		}
	}
	// One message per field: the first, which is the most basic.
	var out []problem
	for _, p := range probs {
		if !slices.ContainsFunc(out, func(q problem) bool { return q.Field == p.Field }) {
			out = append(out, p)
		}
	}
	if len(out) > 0 {
		return old, out
	}
	return s.Normalize(), nil
}

// firstProblem is what is wrong with saved settings, in the agent's
// words: the first problem the options page would show, if any.
func firstProblem(s settings.Settings) (problem, bool) {
	for _, err := range s.Validate(pop.ValidateTemplate) {
		p := problemFor(err, s)
		if p.Field == fieldTemplate {
			if terr := pop.ValidateTemplate(s.Template); terr != nil {
				p = problemFor(terr, s) // the code, which Validate's wrapping lost
			}
		}
		return p, true
	}
	return problem{}, false
}

// splitLines reads the lines filter: one entry per line or comma.
func splitLines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == ';' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// problemFor turns a validation error of s into a field and a message
// the agent can read in their language. The errors' own texts are
// English, for logs; the page says the same things through messages.json.
func problemFor(err error, s settings.Settings) problem {
	var te *pop.TemplateError
	if errors.As(err, &te) {
		return problem{fieldTemplate, templateProblem(te, s.Template)}
	}
	var fe *settings.FieldError
	if errors.As(err, &fe) {
		switch fe.Field {
		case "relayUrl":
			return problem{fieldRelay, relayProblem(s.RelayURL)}
		case "rules":
			if strings.Contains(fe.Message, "line") {
				return problem{fieldLines, view.Msg("errLines")}
			}
			return problem{fieldEvents, view.Msg("errNoEvents")}
		case "template":
			return problem{fieldTemplate, view.Msg("errTemplateInvalid")}
		}
	}
	return problem{fieldTemplate, view.Msg("errUnexpected", err.Error())}
}

// relayProblem says what is wrong with a relay address, in the order
// settings.ValidateRelayURL checks; an empty view.Text when it is fine.
func relayProblem(s string) view.Text {
	s = strings.TrimSpace(s)
	if s == "" {
		return view.Msg("errRelayEmpty")
	}
	u, err := stdlite.ParseURL(s)
	if err != nil {
		switch e := err.(*stdlite.URLError); e.Code {
		case stdlite.ErrURLScheme:
			return view.Msg("errRelayScheme", e.Text)
		case stdlite.ErrURLNoHost:
			return view.Msg("errRelayNoHost")
		}
		return view.Msg("errRelayInvalid", s)
	}
	if u.HasUser {
		return view.Msg("errRelayUser")
	}
	return view.Text{}
}

// connectionProblem says what is wrong with a pasted connection string.
func connectionProblem(s string) view.Text {
	s = strings.TrimSpace(s)
	i := strings.LastIndexByte(s, '#')
	if i < 0 {
		return view.Msg("errConnectionShape")
	}
	if settings.ValidateRelayURL(strings.TrimRight(s[:i], "/")) != nil {
		return view.Msg("errConnectionRelay")
	}
	return view.Msg("errConnectionSecret")
}

// baseProblem says what is wrong with a CRM address.
func baseProblem(s string) view.Text {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return view.Msg("errBaseEmpty")
	case strings.ContainsAny(s, "*{}"):
		return view.Msg("errBaseCharacters")
	}
	u, err := stdlite.ParseURL(strings.ReplaceAll(s, " ", "%20"))
	var e *stdlite.URLError
	if err != nil {
		e = err.(*stdlite.URLError)
	}
	switch {
	case !strings.Contains(s, "://") || e != nil && e.Code == stdlite.ErrURLScheme || err == nil && u.Scheme != "http" && u.Scheme != "https":
		return view.Msg("errBaseScheme")
	case err != nil:
		return view.Msg("errBaseInvalid", s)
	case u.HasUser:
		return view.Msg("errBaseUser")
	}
	return view.Msg("errBaseInvalid", s)
}

// templateProblem translates a template error by its stable code.
func templateProblem(e *pop.TemplateError, template string) view.Text {
	s := strings.TrimSpace(template)
	at := func() string { return strconv.Itoa(e.Offset + 1) }
	switch e.Code {
	case pop.ErrEmpty:
		return view.Msg("errTemplateEmpty")
	case pop.ErrUnexpandedBase:
		return view.Msg("errTemplateBase")
	case pop.ErrCharacter:
		if e.Offset >= 0 && e.Offset < len(s) {
			switch s[e.Offset] {
			case ' ':
				return view.Msg("errTemplateSpace", at())
			case '\\':
				return view.Msg("errTemplateBackslash", at())
			}
		}
		return view.Msg("errTemplateControl", at())
	case pop.ErrRelative:
		return view.Msg("errTemplateRelative")
	case pop.ErrScheme:
		scheme := s
		if i := strings.IndexByte(s, ':'); i >= 0 {
			scheme = s[:i+1]
		}
		return view.Msg("errTemplateScheme", scheme)
	case pop.ErrNoHost:
		return view.Msg("errTemplateNoHost")
	case pop.ErrUserinfo:
		return view.Msg("errTemplateUser")
	case pop.ErrPlaceholderHost:
		return view.Msg("errTemplatePlaceholderHost")
	case pop.ErrEscape:
		return view.Msg("errTemplateEscape", at())
	case pop.ErrUnknown, pop.ErrCase:
		name := ""
		if e.Offset >= 0 && e.Offset < len(s) {
			if j := strings.IndexByte(s[e.Offset+1:], '*'); j >= 0 {
				name = s[e.Offset : e.Offset+j+2]
			}
		}
		if e.Code == pop.ErrCase {
			return view.Msg("errTemplateCase", name, strings.ToUpper(name))
		}
		return view.Msg("errTemplateUnknown", name)
	}
	return view.Msg("errTemplateInvalid")
}

// origin is the scheme://host[:port] a template opens, for the host
// access request; "" when the template is not a usable address.
func origin(template string) string {
	if pop.ValidateTemplate(template) != nil {
		return ""
	}
	u, err := stdlite.ParseURL(strings.TrimSpace(template))
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.HostPort()
}

// What a pop mode does with host access to the CRM's pages. Opening,
// navigating and focusing a tab or a window needs none, even the one CRM
// tab that follows the calls (tabs.update on a tab the extension
// opened), nor does the side panel: permissions.contains says false for
// them and they work all the same. Only the in-page card needs it (its
// content script runs only where access was granted). Silent mode's GET
// goes without it too, as an opaque request: with access, the extension
// reads the answer and reports a failing one (HTTP 4xx, 5xx).
const (
	accessUnused   = iota // the mode never uses host access
	accessOptional        // it works without, and does more with (accessOptionalKey says what)
	accessRequired        // it does not work without
)

// hostAccess is what mode does with host access to the CRM's pages.
func hostAccess(mode string) int {
	switch mode {
	case settings.ModeInPage:
		return accessRequired
	case settings.ModeSilent:
		return accessOptional
	}
	return accessUnused
}

// needsHostAccess reports whether a pop mode does not work without host
// access to the CRM's pages: saving asks for it then.
func needsHostAccess(mode string) bool { return hostAccess(mode) == accessRequired }

// accessPattern is the host access a mode would use, as the background
// checks it (background.CRMMatchPattern: scheme://host/*, every port):
// the CRM base's for the in-page card (the template's when there is no
// base), the template's otherwise; "" when neither is an address. It is
// what the options page asks for and checks, so that what it says
// matches what the background finds.
func accessPattern(mode, base, template string) string {
	src := template
	if mode == settings.ModeInPage && strings.TrimSpace(base) != "" {
		src = base
	}
	p, err := background.CRMMatchPattern(strings.TrimSpace(src))
	if err != nil {
		return ""
	}
	return p
}

// Message keys of the pop modes, events and presets. Keys can't hold a
// hyphen, so they are spelled out here.
var (
	modeKeys = map[string]string{
		settings.ModeTab:       "modeTab",
		settings.ModeReuseTab:  "modeReuseTab",
		settings.ModeWindow:    "modeWindow",
		settings.ModeSidePanel: "modeSidePanel",
		settings.ModeInPage:    "modeInPage",
		settings.ModeSilent:    "modeSilent",
		settings.ModeNotify:    "modeNotify",
	}
	eventKeys = map[string]string{
		ovhevent.StartRinging:     "eventStartRinging",
		ovhevent.MemberQueueStart: "eventMemberQueueStart",
		ovhevent.AgentOffering:    "eventAgentOffering",
		ovhevent.StartCalling:     "eventStartCalling",
		ovhevent.BridgeAgentStart: "eventBridgeAgentStart",
		ovhevent.EndRinging:       "eventEndRinging",
		ovhevent.EndCalling:       "eventEndCalling",
		ovhevent.MemberQueueEnd:   "eventMemberQueueEnd",
		ovhevent.BridgeAgentEnd:   "eventBridgeAgentEnd",
		ovhevent.BridgeAgentFail:  "eventBridgeAgentFail",
	}
	presetKeys = map[string]string{
		pop.PresetSugar6: "presetSugar6",
		pop.PresetSugar7: "presetSugar7",
		pop.PresetSuite8: "presetSuite8",
		pop.PresetCustom: "presetCustom",
	}
)

// selectedEvents is the events a rule set pops on, for the checkboxes.
func selectedEvents(r pop.Rules) []string {
	if len(r.Events) == 0 {
		return pop.DefaultEvents()
	}
	out := make([]string, 0, len(r.Events))
	for _, e := range r.Events {
		out = append(out, ovhevent.Normalize(e))
	}
	return out
}
