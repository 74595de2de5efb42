package pop

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
)

// caller is +33 6 12 34 56 82 with the forms the relay computes.
var caller = phone.Number{
	Raw:    "0033612345682",
	Kind:   phone.Valid,
	Region: "FR",
	Forms: phone.Forms{
		E164:     "+33612345682",
		Intl00:   "0033612345682",
		National: "0612345682",
		Grouped:  "06 12 34 56 82",
		Dotted:   "06.12.34.56.82",
		Digits:   "33612345682",
		NSN:      "612345682",
		Like:     "%6%1%2%3%4%5%6%8%2",
	},
}

var line = phone.Number{
	Raw:  "0033972101010",
	Kind: phone.Valid,
	Forms: phone.Forms{
		E164: "+33972101010", Intl00: "0033972101010", National: "0972101010",
		Grouped: "09 72 10 10 10", Dotted: "09.72.10.10.10", Digits: "33972101010",
		NSN: "972101010", Like: "%9%7%2%1%0%1%0%1%0",
	},
}

var ringing = Values{
	Event:    "start_ringing",
	Calling:  caller,
	Called:   line,
	Dialed:   phone.Number{Raw: "0033972101010"},
	Line:     "0033972101010",
	LineName: "Accueil",
	Other:    caller,
}

func TestExpand(t *testing.T) {
	hostile := phone.Number{Raw: `+33 6&x=1#f%/?"<>` + "\n", Kind: phone.Valid,
		Forms: phone.Forms{NSN: "6/1?2#3&4=5+6 7%8", Like: "%6%1", Grouped: "../.."}}
	withheld := phone.Number{Raw: "anonymous", Kind: phone.Withheld, Forms: caller.Forms}
	named := ringing
	named.LineName = "Accueil & Standard/Paris"

	tests := []struct {
		name     string
		template string
		v        Values
		want     string
	}{
		{"legacy default", DefaultTemplate, ringing,
			"https://crm.example.com/index.php?module=Home&action=UnifiedSearch&query_string=0033612345682"},
		{"every occurrence replaced", "https://crm.example.com/?a=*CALLING*&b=*CALLING*&e=*EVENT*&e2=*EVENT*", ringing,
			"https://crm.example.com/?a=0033612345682&b=0033612345682&e=start_ringing&e2=start_ringing"},
		{"legacy four", "https://crm.example.com/x?calling=*CALLING*&called=*CALLED*&dialed=*DIALED*&event=*EVENT*", ringing,
			"https://crm.example.com/x?calling=0033612345682&called=0033972101010&dialed=0033972101010&event=start_ringing"},
		{"calling forms", "https://crm.example.com/?a=*CALLING_E164*&b=*CALLING_00*&c=*CALLING_NATIONAL*&d=*CALLING_GROUPED*&e=*CALLING_DOTTED*&f=*CALLING_DIGITS*&g=*CALLING_NSN*&h=*CALLING_LIKE*", ringing,
			"https://crm.example.com/?a=%2B33612345682&b=0033612345682&c=0612345682&d=06%2012%2034%2056%2082&e=06.12.34.56.82&f=33612345682&g=612345682&h=%256%251%252%253%254%255%256%258%252"},
		{"called forms and line", "https://crm.example.com/?to=*CALLED_E164*&nsn=*CALLED_NSN*&line=*LINE*&name=*LINE_NAME*", ringing,
			"https://crm.example.com/?to=%2B33972101010&nsn=972101010&line=0033972101010&name=Accueil"},
		{"line name encoded", "https://crm.example.com/?name=*LINE_NAME*", named,
			"https://crm.example.com/?name=Accueil%20%26%20Standard%2FParis"},
		{"sugar7 fragment route", "https://crm.example.com/#search/*CALLING_NSN*?modules=Contacts,Accounts,Leads", ringing,
			"https://crm.example.com/#search/612345682?modules=Contacts,Accounts,Leads"},
		{"fragment value cannot split the route", "https://crm.example.com/#search/*CALLING_NSN*?modules=Contacts", Values{Calling: hostile},
			"https://crm.example.com/#search/6%2F1%3F2%233%264%3D5%2B6%207%258?modules=Contacts"},
		{"query value cannot add parameters", "https://crm.example.com/index.php?query_string=*CALLING*&module=Home", Values{Calling: hostile},
			"https://crm.example.com/index.php?query_string=%2B33%206%26x%3D1%23f%25%2F%3F%22%3C%3E%0A&module=Home"},
		{"path segment", "https://crm.example.com/contacts/by-phone/*CALLING*/view", Values{Calling: hostile},
			"https://crm.example.com/contacts/by-phone/%2B33%206%26x%3D1%23f%25%2F%3F%22%3C%3E%0A/view"},
		{"path dots encoded", "https://crm.example.com/a/*CALLING_GROUPED*/b", Values{Calling: hostile},
			"https://crm.example.com/a/%2E%2E%2F%2E%2E/b"},
		{"path dotted form", "https://crm.example.com/p/*CALLING_DOTTED*", ringing,
			"https://crm.example.com/p/06%2E12%2E34%2E56%2E82"},
		{"query keeps dots", "https://crm.example.com/?q=*CALLING_DOTTED*", ringing,
			"https://crm.example.com/?q=06.12.34.56.82"},
		{"withheld: forms empty, raw kept", "https://crm.example.com/?raw=*CALLING*&nsn=*CALLING_NSN*&like=*CALLING_LIKE*", Values{Calling: withheld},
			"https://crm.example.com/?raw=anonymous&nsn=&like="},
		{"no placeholder", "https://crm.example.com/index.php", ringing, "https://crm.example.com/index.php"},
		{"placeholder at the very end of the address", "https://crm.example.com/*CALLING*", ringing, "https://crm.example.com/0033612345682"},
		{"query without path", "https://crm.example.com?q=*CALLING*", ringing, "https://crm.example.com?q=0033612345682"},
		{"port and upper-case scheme", "HTTPS://crm.example.com:8443/x?q=*CALLING_E164*", ringing, "HTTPS://crm.example.com:8443/x?q=%2B33612345682"},
		{"lower-case and lone asterisks stay", "https://crm.example.com/?q=*foo*&w=**&x=*", ringing, "https://crm.example.com/?q=*foo*&w=**&x=*"},
		{"adjacent placeholders", "https://crm.example.com/?q=*CALLING**CALLED*", ringing, "https://crm.example.com/?q=00336123456820033972101010"},
		{"overlap is read left to right", "https://crm.example.com/?q=*CALLING*CALLED*", ringing, "https://crm.example.com/?q=0033612345682CALLED*"},
		{"escapes in the template are kept", "https://crm.example.com/?q=*CALLING*%20x&r=%2B", ringing, "https://crm.example.com/?q=0033612345682%20x&r=%2B"},
		{"white space trimmed", "  " + DefaultTemplate + "\n", ringing,
			"https://crm.example.com/index.php?module=Home&action=UnifiedSearch&query_string=0033612345682"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.template, tt.v)
			if err != nil {
				t.Fatalf("Expand: %v", err)
			}
			if got != tt.want {
				t.Errorf("Expand\n got %s\nwant %s", got, tt.want)
			}
			u, err := url.Parse(got)
			if err != nil || u.Host != "crm.example.com" && u.Host != "crm.example.com:8443" {
				t.Errorf("result %q: host %v, err %v", got, u, err)
			}
		})
	}
}

// TestExpandDecodes checks that what a CRM decodes is exactly the value.
func TestExpandDecodes(t *testing.T) {
	raw := "+33 6&x=1#f%41/?;,\"<>é\x00\n"
	v := Values{Calling: phone.Number{Raw: raw}}

	got, _ := Expand("https://crm.example.com/index.php?module=Home&query_string=*CALLING*", v)
	u, _ := url.Parse(got)
	q := u.Query()
	if q.Get("query_string") != raw || q.Get("module") != "Home" || len(q) != 2 {
		t.Errorf("query decodes to %q", q)
	}

	got, _ = Expand("https://crm.example.com/a/*CALLING*/b", v)
	u, _ = url.Parse(got)
	segs := strings.Split(u.EscapedPath(), "/")
	if len(segs) != 4 {
		t.Fatalf("path %q has %d segments, want 4", u.EscapedPath(), len(segs))
	}
	if s, _ := url.PathUnescape(segs[2]); s != raw {
		t.Errorf("path segment decodes to %q", s)
	}

	got, _ = Expand("https://crm.example.com/#search/*CALLING*?modules=Contacts", v)
	u, _ = url.Parse(got)
	frag := u.EscapedFragment()
	route, query, _ := strings.Cut(frag, "?")
	if query != "modules=Contacts" || !strings.HasPrefix(route, "search/") || strings.Count(route, "/") != 1 {
		t.Fatalf("fragment %q split wrongly", frag)
	}
	if s, _ := url.PathUnescape(strings.TrimPrefix(route, "search/")); s != raw {
		t.Errorf("route parameter decodes to %q", s)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		template, code, mention string
	}{
		{"", ErrEmpty, "empty"},
		{"  \n", ErrEmpty, "empty"},
		{"{base}/index.php?query_string=*CALLING*", ErrUnexpandedBase, "{base}"},
		{"crm.example.com/index.php?query_string=*CALLING*", ErrRelative, "https://"},
		{"localhost:8080/index.php", ErrRelative, "https://"},
		{"/index.php?query_string=*CALLING*", ErrRelative, "https://"},
		{"index.php?a=b:c", ErrRelative, "https://"},
		{"javascript:alert(document.cookie)//*CALLING*", ErrScheme, "javascript:"},
		{"data:text/html,<b>*CALLING*</b>", ErrScheme, "data:"},
		{"data:text/html,hi", ErrScheme, "data:"},
		{"ftp://crm.example.com/*CALLING*", ErrScheme, "ftp:"},
		{"file:///etc/passwd", ErrScheme, "file:"},
		{"https:/crm.example.com/x", ErrNoHost, "no host"},
		{"https:crm.example.com", ErrNoHost, "no host"},
		{"https:///index.php", ErrNoHost, "no host"},
		{"https://:8080/index.php", ErrNoHost, "no host"},
		{"https://", ErrNoHost, "no host"},
		{"https://admin:secret@crm.example.com/", ErrUserinfo, "password"},
		{"https://*CALLING*.example.com/", ErrPlaceholderHost, "placeholders"},
		{"https://crm.example.com:*LINE*/", ErrPlaceholderHost, "placeholders"},
		{"https://crm.example.com/?q=*FOO*", ErrUnknown, "*CALLING_NSN*"},
		{"https://crm.example.com/?q=*CALLING_NUMBER*", ErrUnknown, "*CALLING_LIKE*"},
		{"https://crm.example.com/?q=*calling*", ErrCase, "*CALLING*"},
		{"https://crm.example.com/?q=*Calling_Nsn*", ErrCase, "*CALLING_NSN*"},
		{"https://crm.example.com/?q=100%", ErrEscape, "%25"},
		{"https://crm.example.com/?q=%*CALLING*", ErrEscape, "%25"},
		{"https://crm.example.com/?q=%2*CALLING*", ErrEscape, "%25"},
		{"https://crm.example.com/%zz", ErrEscape, "%25"},
		{"https://crm.example.com/a b", ErrCharacter, "%20"},
		{"https://crm.example.com/a\nb", ErrCharacter, "control"},
		{"https://crm.example.com\\@evil.example/", ErrCharacter, "backslash"},
		{"https://crm.example.com:port/", ErrURL, "port"},
		{"https://[::1/x", ErrURL, "not a valid address"},
		{"https://crm.example.com:65536/", ErrURL, "port"},
		{"https://crm.example.com:8080:1/", ErrURL, "port"},
		{"https://crm%2Eexample.com/", ErrURL, "host"},
		{"https://crm<example.com/", ErrURL, "host"},
		{"https://[1.2.3.4]/", ErrURL, "host"},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			err := ValidateTemplate(tt.template)
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("ValidateTemplate(%q) = %v, want a *TemplateError %s", tt.template, err, tt.code)
			}
			if te.Code != tt.code {
				t.Errorf("code %q, want %q (%s)", te.Code, tt.code, te.Message)
			}
			if !strings.Contains(te.Message, tt.mention) {
				t.Errorf("message %q does not mention %q", te.Message, tt.mention)
			}
			if _, err := Expand(tt.template, ringing); err == nil {
				t.Errorf("Expand accepted %q", tt.template)
			}
		})
	}
}

func TestPlaceholders(t *testing.T) {
	ps := Placeholders()
	seen := map[string]bool{}
	var q []string
	for _, p := range ps {
		if seen[p.Name] {
			t.Errorf("placeholder %s listed twice", p.Name)
		}
		seen[p.Name] = true
		if p.Help == "" || !strings.HasPrefix(p.Name, "*") || !strings.HasSuffix(p.Name, "*") {
			t.Errorf("placeholder %+v badly documented", p)
		}
		q = append(q, "p="+p.Name)
		// The help goes with its placeholder (they are listed apart).
		for _, pair := range [][2]string{{"*CALLING", "calling number"}, {"*CALLED", "called number"}, {"*OTHER", "other party"}, {"_E164*", "+33612345682"}, {"_LIKE*", "LIKE"}, {"*LINE_NAME*", "name"}, {"*EVENT*", "event"}} {
			if strings.Contains(p.Name, pair[0]) && !strings.Contains(p.Help, pair[1]) {
				t.Errorf("placeholder %s: help %q", p.Name, p.Help)
			}
		}
	}
	for _, name := range []string{"*CALLING*", "*CALLED*", "*DIALED*", "*EVENT*", "*LINE*", "*LINE_NAME*",
		"*CALLING_E164*", "*CALLING_00*", "*CALLING_NATIONAL*", "*CALLING_GROUPED*", "*CALLING_DOTTED*",
		"*CALLING_DIGITS*", "*CALLING_NSN*", "*CALLING_LIKE*", "*CALLED_NSN*", "*CALLED_LIKE*",
		"*OTHER*", "*OTHER_E164*", "*OTHER_NSN*", "*OTHER_LIKE*"} {
		if !seen[name] {
			t.Errorf("placeholder %s missing", name)
		}
	}
	// Every placeholder compiles and expands.
	got, err := Expand("https://crm.example.com/?"+strings.Join(q, "&"), ringing)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, "*") {
		t.Errorf("a placeholder was left: %s", got)
	}
}

func TestCompiledTemplateIsReusable(t *testing.T) {
	tm, err := Compile("https://crm.example.com/#search/*CALLING_NSN*?modules=Contacts,Accounts,Leads")
	if err != nil {
		t.Fatal(err)
	}
	if tm.String() != "https://crm.example.com/#search/*CALLING_NSN*?modules=Contacts,Accounts,Leads" {
		t.Errorf("String() = %q", tm.String())
	}
	a, _ := tm.Expand(ringing)
	b, _ := tm.Expand(Values{Calling: line})
	if a != "https://crm.example.com/#search/612345682?modules=Contacts,Accounts,Leads" ||
		b != "https://crm.example.com/#search/972101010?modules=Contacts,Accounts,Leads" {
		t.Errorf("got %s and %s", a, b)
	}
}

func TestValuesFor(t *testing.T) {
	c := call.Call{Line: "0033972101010", LineName: "Accueil", Calling: "0033612345682", Called: "0033972101010", Dialed: "0972101010"}
	v := ValuesFor("start_ringing", c, phone.Number{Kind: phone.Valid, Forms: caller.Forms}, phone.Number{})
	if v.Calling.Raw != "0033612345682" || v.Called.Raw != "0033972101010" || v.Dialed.Raw != "0972101010" ||
		v.Line != "0033972101010" || v.LineName != "Accueil" || v.Event != "start_ringing" || v.Calling.Forms.NSN != "612345682" {
		t.Errorf("ValuesFor = %+v", v)
	}
}

func TestIsExample(t *testing.T) {
	if !IsExample(DefaultTemplate) {
		t.Error("DefaultTemplate is not reported as the example")
	}
	if IsExample("https://crm.acme.fr/index.php?query_string=*CALLING*") {
		t.Error("a real CRM is reported as the example")
	}
}

// TestOtherPlaceholders: *OTHER_…* is the caller of an inbound call and the
// number called on an outbound one, where *CALLING_…* is the agent's own
// line.
func TestOtherPlaceholders(t *testing.T) {
	const tmpl = "https://crm.example.com/?other=*OTHER_E164*&raw=*OTHER*&calling=*CALLING_E164*"
	for _, tt := range []struct {
		name      string
		c         call.Call
		calling   phone.Number
		called    phone.Number
		wantOther string
	}{
		{"inbound", call.Call{Direction: call.Inbound, Calling: caller.Raw, Called: line.Raw}, caller, line, "other=%2B33612345682&raw=0033612345682&calling=%2B33612345682"},
		{"outbound", call.Call{Direction: call.Outbound, Calling: line.Raw, Called: caller.Raw}, line, caller, "other=%2B33612345682&raw=0033612345682&calling=%2B33972101010"},
	} {
		got, err := Expand(tmpl, ValuesFor("start_ringing", tt.c, tt.calling, tt.called))
		if err != nil {
			t.Fatal(err)
		}
		if want := "https://crm.example.com/?" + tt.wantOther; got != want {
			t.Errorf("%s: got %s, want %s", tt.name, got, want)
		}
	}
}
