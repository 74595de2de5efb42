package pop

import (
	"strings"

	"github.com/screenpop/screenpop/internal/stdlite"
)

// Preset is a ready-made template for one CRM: the agent gives the CRM's
// address (base), the preset knows which search finds the caller there.
type Preset struct {
	ID   string // stable: "sugar6", "sugar7", "suite8", "custom"
	Name string // shown in the settings page
	Help string // what the preset opens and why it finds the caller

	pattern string   // the template, with {base} where the CRM's address goes
	trim    []string // path suffixes dropped from a pasted base, besides /index.php
}

// Template returns the preset's template for a CRM address, without
// checking the address; PresetURL checks and tidies it.
func (p Preset) Template(base string) string {
	return strings.Replace(p.pattern, "{base}", strings.TrimRight(base, "/"), 1)
}

// Preset IDs.
const (
	PresetSugar6 = "sugar6"
	PresetSugar7 = "sugar7"
	PresetSuite8 = "suite8"
	PresetCustom = "custom"
)

var presets = [...]Preset{
	{
		ID:   PresetSugar6,
		Name: "SugarCRM 6.5 / SuiteCRM 7 (classic)",
		Help: "Opens the global search. It matches with SQL LIKE on the number exactly as it was typed into the record, " +
			"so the preset sends the caller as *OTHER_LIKE* (%6%1%2%3%4%5%6%8%2), which finds +33 6 12 34 56 82, " +
			"0612345682, 06.12.34.56.82 or 0033612345682 alike. Log into the CRM first: a logged-out search lands on the login page and loses the number.",
		pattern: "{base}/index.php?module=Home&action=UnifiedSearch&query_string=*OTHER_LIKE*",
	},
	{
		ID:   PresetSugar7,
		Name: "SugarCRM 7 and later (Sell, Serve, Enterprise)",
		Help: "Opens the search page on Contacts, Accounts and Leads. Sugar's search index keeps only the digits of phone fields " +
			"and matches runs of digits, so the preset sends the national significant number (*OTHER_NSN*, 612345682), " +
			"which is inside every format; with its leading 0 (0612345682) it would miss numbers stored as +33….",
		pattern: "{base}/#search/*OTHER_NSN*?modules=Contacts,Accounts,Leads",
	},
	{
		ID:   PresetSuite8,
		Name: "SuiteCRM 8",
		Help: "Opens SuiteCRM's classic unified search inside the SuiteCRM 8 interface (route #/home/unified-search, which shows " +
			"legacy/index.php?module=Home&action=UnifiedSearch in its classic view). That search matches with SQL LIKE on the " +
			"number as typed, so the preset sends *OTHER_LIKE*, which finds every format. (SuiteCRM 8's own search bar goes to " +
			"#/home/search, which uses the engine the administrator chose, possibly one without SQL wildcards.) Give the address of SuiteCRM 8 itself " +
			"(https://crm.example.com), not its /legacy folder.",
		pattern: "{base}/#/home/unified-search?query_string=*OTHER_LIKE*",
		trim:    suite8Trim,
	},
	{
		ID:   PresetCustom,
		Name: "Custom address",
		Help: "Write your own address with placeholders. This starts from the search address in OVH's guide, " +
			"whose *CALLING* is the number as OVH sends it (0033612345682): it finds only records stored in exactly that format.",
		pattern: "{base}/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING*",
	},
}

// Presets lists the presets, in the order the settings page offers them.
func Presets() []Preset {
	out := make([]Preset, len(presets))
	copy(out, presets[:])
	return out
}

// PresetByID returns the preset with that ID.
func PresetByID(id string) (Preset, bool) {
	for _, p := range presets {
		if p.ID == id {
			return p, true
		}
	}
	return Preset{}, false
}

// PresetURL returns preset id's template for the CRM at base. The base is
// the CRM's address, http or https; a trailing slash, and what a copy from
// the address bar adds (index.php, ?query, #fragment), are dropped.
func PresetURL(id, base string) (string, error) {
	p, ok := PresetByID(id)
	if !ok {
		ids := make([]string, len(presets))
		for i, p := range presets {
			ids[i] = p.ID
		}
		return "", &TemplateError{Code: ErrPreset, Offset: -1, Message: "unknown preset " + quote(id) + ": choose one of " + strings.Join(ids, ", ")}
	}
	b, err := normalizeBase(base, p.trim)
	if err != nil {
		return "", err
	}
	t := p.Template(b)
	if err := ValidateTemplate(t); err != nil {
		return "", err
	}
	return t, nil
}

// ErrPreset and ErrBase are the TemplateError codes of PresetURL.
const (
	ErrPreset = "preset" // unknown preset ID
	ErrBase   = "base"   // the CRM address is not usable
)

func baseErr(msg string) error {
	return &TemplateError{Code: ErrBase, Offset: -1, Message: msg}
}

// normalizeBase checks a CRM address and returns it as
// scheme://host[:port][/path], without a trailing slash.
func normalizeBase(base string, trim []string) (string, error) {
	s := stdlite.TrimSpace(base)
	if s == "" {
		return "", baseErr("enter your CRM's address, e.g. https://crm.example.com")
	}
	if !strings.Contains(s, "://") {
		return "", baseErr("the CRM address " + quote(s) + " must start with https:// (or http://), e.g. https://" + strings.TrimLeft(s, "/:"))
	}
	if strings.ContainsAny(s, "*{}") {
		return "", baseErr("the CRM address " + quote(s) + " cannot contain *, { or }: give only the address, e.g. https://crm.example.com")
	}
	// A space typed or pasted into the path is what a browser would
	// encode; anywhere else it is refused below, as an invalid host.
	u, err := stdlite.ParseURL(strings.ReplaceAll(s, " ", "%20"))
	if err != nil {
		switch e := err.(*stdlite.URLError); e.Code {
		case stdlite.ErrURLScheme:
			return "", baseErr("the CRM address must start with https:// or http://, not " + quote(e.Text+"//"))
		case stdlite.ErrURLNoHost:
			return "", baseErr("the CRM address " + quote(s) + " has no host, e.g. https://crm.example.com")
		}
		return "", baseErr("the CRM address " + quote(s) + " is not a valid address (" + err.Error() + ")")
	}
	switch u.Scheme {
	case "http", "https":
	default:
		return "", baseErr("the CRM address must start with https:// or http://, not " + quote(u.Scheme+"://"))
	}
	if u.HasUser {
		return "", baseErr("remove the user name or password (before @) from the CRM address, and log into the CRM in the browser instead")
	}
	path := strings.TrimRight(u.Path, "/")
	for _, suffix := range append([]string{"/index.php"}, trim...) {
		if strings.HasSuffix(path, suffix) {
			path = strings.TrimRight(strings.TrimSuffix(path, suffix), "/")
		}
	}
	return u.Scheme + "://" + u.HostPort() + path, nil
}
