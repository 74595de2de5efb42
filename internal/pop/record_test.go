package pop

import (
	"net/url"
	"strings"
	"testing"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/stdlite"
)

func TestMatchOptionsTarget(t *testing.T) {
	tests := []struct {
		opts   MatchOptions
		n      int
		looked bool
		want   string
	}{
		{MatchOptions{}, 1, true, TargetRecord},
		{MatchOptions{}, 2, true, TargetSearch},
		{MatchOptions{}, 0, true, TargetSearch},
		{MatchOptions{}, 0, false, TargetSearch},
		{MatchOptions{One: OneSearch}, 1, true, TargetSearch},
		{MatchOptions{One: "from-a-newer-extension"}, 1, true, TargetRecord},
		{MatchOptions{Many: ManyChoose}, 2, true, TargetChoose},
		{MatchOptions{Many: ManyChoose}, 50, true, TargetChoose},
		{MatchOptions{Many: ManyChoose}, 1, true, TargetRecord},
		{MatchOptions{None: NoneNew}, 0, true, TargetNew},
		// A relay without a CRM sends no match: that is not "unknown
		// caller", the search stays.
		{MatchOptions{None: NoneNew}, 0, false, TargetSearch},
		{MatchOptions{None: NoneNew}, 1, true, TargetRecord},
		{MatchOptions{One: OneSearch, Many: ManyChoose, None: NoneNew}, 3, true, TargetChoose},
	}
	for _, tt := range tests {
		if got := tt.opts.Target(tt.n, tt.looked); got != tt.want {
			t.Errorf("%+v.Target(%d, %v) = %q, want %q", tt.opts, tt.n, tt.looked, got, tt.want)
		}
	}
}

func TestRecordURL(t *testing.T) {
	const id = "4b1c2f3e-0000-4000-8000-00000000abcd"
	tests := []struct {
		preset, base, module, id, want string
	}{
		{PresetSugar6, "http://127.0.0.1:8081/suitecrm/", "Contacts", id, "http://127.0.0.1:8081/suitecrm/index.php?module=Contacts&action=DetailView&record=" + id},
		{PresetSugar6, "https://crm.example.com/index.php?module=Home&action=index", "Leads", id, "https://crm.example.com/index.php?module=Leads&action=DetailView&record=" + id},
		{PresetSugar6, "https://crm.example.com", "Accounts", "a&b=c#d e+f%", "https://crm.example.com/index.php?module=Accounts&action=DetailView&record=a%26b%3Dc%23d%20e%2Bf%25"},
		{PresetSugar6, "https://crm.example.com", "Contacts&action=Delete", "1", "https://crm.example.com/index.php?module=Contacts%26action%3DDelete&action=DetailView&record=1"},
		{PresetSugar7, "https://acme.sugarondemand.com/#Home", "Contacts", id, "https://acme.sugarondemand.com/#Contacts/" + id},
		{PresetSugar7, "https://acme.sugarondemand.com", "Leads", "../x/y?z", "https://acme.sugarondemand.com/#Leads/%2E%2E%2Fx%2Fy%3Fz"},
		{PresetSuite8, "https://crm.example.com/legacy/", "Contacts", id, "https://crm.example.com/#/contacts/record/" + id},
		{PresetSuite8, "https://crm.example.com", "Accounts", id, "https://crm.example.com/#/accounts/record/" + id},
		{PresetSugar6, "https://crm.example.com", "", id, ""},
		{PresetSugar6, "https://crm.example.com", "Contacts", " ", ""},
	}
	for _, tt := range tests {
		r, ok, err := RecordsFor(tt.preset, tt.base)
		if err != nil || !ok {
			t.Errorf("RecordsFor(%s, %q) = %v, %v", tt.preset, tt.base, ok, err)
			continue
		}
		if got := r.URL(tt.module, tt.id); got != tt.want {
			t.Errorf("RecordsFor(%s, %q).URL(%q, %q)\n got %s\nwant %s", tt.preset, tt.base, tt.module, tt.id, got, tt.want)
		}
	}
	if _, ok, err := RecordsFor(PresetCustom, "https://crm.example.com"); ok || err != nil {
		t.Errorf("RecordsFor(custom) = %v, %v; want no record address, no error", ok, err)
	}
	if _, ok, err := RecordsFor("nope", "https://crm.example.com"); ok || err != nil {
		t.Errorf("RecordsFor(unknown preset) = %v, %v; want no record address, no error", ok, err)
	}
	if _, _, err := RecordsFor(PresetSugar6, "javascript://x"); err == nil {
		t.Error("RecordsFor accepted a javascript: address")
	}
	if got := (Records{}).URL("Contacts", id); got != "" {
		t.Errorf("the zero Records built %q", got)
	}
}

func TestNewContactTemplate(t *testing.T) {
	fr := phone.Number{Raw: "0033612345699", Kind: phone.Valid, Region: "FR", Forms: phone.Forms{E164: "+33612345699", Grouped: "06 12 34 56 99"}}
	uk := phone.Number{Raw: "00442079460000", Kind: phone.Valid, Region: "GB", Forms: phone.Forms{E164: "+442079460000", Grouped: "020 7946 0000"}}
	line := phone.Number{Raw: "0033972101010", Kind: phone.Valid, Region: "FR"}
	in := call.Call{Direction: call.Inbound, Line: "0033972101010"}
	tests := []struct {
		preset, base string
		caller       phone.Number
		want         string
	}{
		{PresetSugar6, "http://127.0.0.1:8081/suitecrm", fr, "http://127.0.0.1:8081/suitecrm/index.php?module=Contacts&action=EditView&phone_work=06%2012%2034%2056%2099"},
		{PresetSugar6, "http://127.0.0.1:8081/suitecrm", uk, "http://127.0.0.1:8081/suitecrm/index.php?module=Contacts&action=EditView&phone_work=%2B442079460000"},
		{PresetSugar7, "https://acme.sugarondemand.com/", fr, "https://acme.sugarondemand.com/#Contacts/create"},
		{PresetSuite8, "https://crm.example.com/legacy", fr, "https://crm.example.com/legacy/index.php?module=Contacts&action=EditView&phone_work=06%2012%2034%2056%2099"},
		{PresetSugar6, "http://127.0.0.1:8081/suitecrm", phone.Number{Raw: "anonymous", Kind: phone.Withheld}, "http://127.0.0.1:8081/suitecrm/index.php?module=Contacts&action=EditView&phone_work="},
	}
	for _, tt := range tests {
		tm, err := NewContactTemplate(tt.preset, tt.base)
		if err != nil {
			t.Errorf("NewContactTemplate(%s, %q): %v", tt.preset, tt.base, err)
			continue
		}
		got, err := Expand(tm, ValuesFor("start_ringing", in, tt.caller, line))
		if err != nil || got != tt.want {
			t.Errorf("NewContactTemplate(%s, %q) expanded for %s\n got %s %v\nwant %s", tt.preset, tt.base, tt.caller.Raw, got, err, tt.want)
		}
	}
	if tm, err := NewContactTemplate(PresetCustom, "https://crm.example.com"); tm != "" || err != nil {
		t.Errorf("NewContactTemplate(custom) = %q, %v; want none", tm, err)
	}
	if _, err := NewContactTemplate(PresetSugar6, "crm.example.com"); err == nil {
		t.Error("NewContactTemplate accepted an address without https://")
	}
}

func TestSafeURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://crm.example.com/index.php?module=Contacts&action=DetailView&record=1": true,
		"http://127.0.0.1:8081/x":      true,
		"HTTPS://CRM.example.com/":     true,
		"javascript:alert(1)":          false,
		"data:text/html,hi":            false,
		"https://user:pw@crm.example/": false,
		"ws://crm.example.com/":        false,
		"/index.php":                   false,
		"":                             false,
		"https://crm.example.com/a b":  false,
	} {
		if got := SafeURL(u); got != want {
			t.Errorf("SafeURL(%q) = %v, want %v", u, got, want)
		}
	}
}

// FuzzRecordURL: whatever the module, record ID and number, the record
// page and the new-contact form are http(s) addresses on the CRM's host,
// whose query or route carries the values encoded: they decode back to
// exactly the values given.
func FuzzRecordURL(f *testing.F) {
	f.Add("Contacts", "4b1c2f3e-0000-4000-8000-00000000abcd", "06 12 34 56 99")
	f.Add("Contacts&action=Delete", "../../x?y#z", "+33 6&x=1#f%/?\"<>\n")
	f.Add("A/B", "@evil.example/", "//evil.example")
	f.Add("é", "%zz", "\x00\\")
	bases := []struct{ preset, base, host string }{
		{PresetSugar6, "http://127.0.0.1:8081/suitecrm", "127.0.0.1:8081"},
		{PresetSugar7, "https://acme.sugarondemand.com", "acme.sugarondemand.com"},
		{PresetSuite8, "https://crm.example.com", "crm.example.com"},
	}
	f.Fuzz(func(t *testing.T, module, id, number string) {
		for _, b := range bases {
			r, ok, err := RecordsFor(b.preset, b.base)
			if err != nil || !ok {
				t.Fatalf("RecordsFor(%s): %v %v", b.preset, ok, err)
			}
			out := r.URL(module, id)
			if out == "" {
				if strings.TrimSpace(module) != "" && strings.TrimSpace(id) != "" {
					t.Fatalf("no record URL for %q %q", module, id)
				}
			} else {
				u := parsedOnHost(t, out, b.host)
				switch b.preset {
				case PresetSugar6:
					q := u.Query()
					if q.Get("module") != module || q.Get("record") != id || q.Get("action") != "DetailView" || len(q) != 3 {
						t.Fatalf("%s: query %v, want module %q record %q", out, q, module, id)
					}
				case PresetSugar7:
					parts := routeParts(t, u)
					if len(parts) != 2 || parts[0] != module || parts[1] != id {
						t.Fatalf("%s: route %q, want %q/%q", out, u.Fragment, module, id)
					}
				case PresetSuite8:
					parts := routeParts(t, u)
					if len(parts) != 4 || parts[0] != "" || parts[1] != stdlite.ToLowerASCII(module) || parts[2] != "record" || parts[3] != id {
						t.Fatalf("%s: route %q, want /%s/record/%q", out, u.Fragment, module, id)
					}
				}
			}
			tm, err := NewContactTemplate(b.preset, b.base)
			if err != nil {
				t.Fatal(err)
			}
			caller := phone.Number{Raw: number, Kind: phone.Valid, Region: "FR", Forms: phone.Forms{E164: number, Grouped: number}}
			nu, err := Expand(tm, ValuesFor("start_ringing", call.Call{}, caller, phone.Number{Region: "FR"}))
			if err != nil {
				t.Fatalf("new contact for %q: %v", number, err)
			}
			u := parsedOnHost(t, nu, b.host)
			if b.preset != PresetSugar7 && u.Query().Get("phone_work") != number {
				t.Fatalf("%s: phone_work %q, want %q", nu, u.Query().Get("phone_work"), number)
			}
		}
	})
}

func parsedOnHost(t *testing.T, s, host string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("%q does not parse: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host != host || u.User != nil {
		t.Fatalf("%q: scheme %q host %q, want http(s) on %s", s, u.Scheme, u.Host, host)
	}
	return u
}

// routeParts splits a fragment route on its raw slashes and decodes
// each part: an encoded slash stays inside its part.
func routeParts(t *testing.T, u *url.URL) []string {
	t.Helper()
	parts := strings.Split(u.EscapedFragment(), "/")
	for i, p := range parts {
		d, err := url.PathUnescape(p)
		if err != nil {
			t.Fatalf("%s: route part %q: %v", u, p, err)
		}
		parts[i] = d
	}
	return parts
}

// TestRecordsIn: from a preset's template, the same record pages and
// new-contact form as from its CRM address; none from a template that is
// not the preset's.
func TestRecordsIn(t *testing.T) {
	for _, id := range []string{PresetSugar6, PresetSugar7, PresetSuite8} {
		for _, base := range []string{"http://127.0.0.1:8081/suitecrm/", "https://crm.example.com", "https://crm.example.com/legacy", "https://crm.example.com/my%20crm/index.php?x=1#y"} {
			tm, err := PresetURL(id, base)
			if err != nil {
				t.Fatal(err)
			}
			want, _, _ := RecordsFor(id, base)
			got, ok := RecordsIn(id, tm)
			if !ok || got != want {
				t.Errorf("RecordsIn(%s, %s) = %+v %v, want %+v", id, tm, got, ok, want)
			}
			wantNew, _ := NewContactTemplate(id, base)
			if gotNew := NewContactIn(id, tm); gotNew != wantNew {
				t.Errorf("NewContactIn(%s, %s) = %s, want %s", id, tm, gotNew, wantNew)
			}
		}
	}
	for _, tt := range []struct{ id, template string }{
		{PresetSugar6, "https://crm.example.com/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING*"},
		{PresetCustom, DefaultTemplate},
		{"nope", DefaultTemplate},
		{PresetSugar7, "javascript://x/#search/*OTHER_NSN*?modules=Contacts,Accounts,Leads"},
		{PresetSugar6, "https://a.example?b/index.php?module=Home&action=UnifiedSearch&query_string=*OTHER_LIKE*"},
	} {
		if r, ok := RecordsIn(tt.id, tt.template); ok {
			t.Errorf("RecordsIn(%s, %s) = %+v, want none", tt.id, tt.template, r)
		}
		if n := NewContactIn(tt.id, tt.template); n != "" {
			t.Errorf("NewContactIn(%s, %s) = %s, want none", tt.id, tt.template, n)
		}
	}
}
