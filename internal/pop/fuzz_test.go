package pop

import (
	"net/url"
	"strings"
	"testing"

	"github.com/screenpop/screenpop/internal/phone"
)

func fuzzValues(raw, form, event, name string) Values {
	all := func(s string) phone.Forms {
		return phone.Forms{E164: s, Intl00: s, National: s, Grouped: s, Dotted: s, Digits: s, NSN: s, Like: s}
	}
	return Values{
		Event:    event,
		Calling:  phone.Number{Raw: raw, Kind: phone.Valid, Forms: all(form)},
		Called:   phone.Number{Raw: form, Kind: phone.Valid, Forms: all(raw)},
		Dialed:   phone.Number{Raw: raw},
		Line:     form,
		LineName: name,
	}
}

// FuzzExpand: whatever the template and the caller data, Expand never
// panics, and what it returns is an http(s) address on the template's host
// in which no caller byte that needs escaping appears raw.
func FuzzExpand(f *testing.F) {
	for _, tm := range []string{
		DefaultTemplate,
		"https://crm.example.com/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING_LIKE*",
		"https://crm.example.com/#search/*CALLING_NSN*?modules=Contacts,Accounts,Leads",
		"https://crm.example.com/#/home/unified-search?query_string=*CALLING_LIKE*",
		"http://10.0.0.5:8080/crm/a/*CALLING*/b/*CALLED_E164*?x=*LINE_NAME*&e=*EVENT*#f/*DIALED*",
		"https://crm.example.com?q=*CALLING**CALLED*&l=*LINE*",
		"https://[::1]:8443/p/*CALLING_DOTTED*",
		"https://crm.example.com/*foo*/*CALLING_GROUPED*%20*",
	} {
		f.Add(tm, "0033612345682", "%6%1%2", "start_ringing", "Accueil")
	}
	f.Add("https://crm.example.com/?q=*CALLING*", "+33 6&x=1#f%/?\"<>\n", "../..", "a b", "é\x00\\")
	f.Add("https://crm.example.com/*CALLING*", "@evil.example/", "//evil.example", ":443", "#")

	f.Fuzz(func(t *testing.T, template, raw, form, event, name string) {
		out, err := Expand(template, fuzzValues(raw, form, event, name))
		if err != nil {
			return
		}
		u, err := url.Parse(out)
		if err != nil {
			t.Fatalf("Expand(%q) = %q, which does not parse: %v", template, out, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("Expand(%q) = %q: scheme %q", template, out, u.Scheme)
		}
		tu, err := url.Parse(strings.TrimSpace(template))
		if err != nil {
			t.Fatalf("template %q compiled but does not parse: %v", template, err)
		}
		if u.Host != tu.Host || u.User != nil || u.Port() != tu.Port() || u.Scheme != tu.Scheme {
			t.Fatalf("Expand(%q) = %q: scheme/host %s://%s, template's %s://%s", template, out, u.Scheme, u.Host, tu.Scheme, tu.Host)
		}
		// Every % starts an escape: a raw % from the caller would not.
		for i := 0; i < len(out); i++ {
			if out[i] == '%' && (i+2 >= len(out) || !isHex(out[i+1]) || !isHex(out[i+2])) {
				t.Fatalf("Expand(%q) = %q: bare %% at %d", template, out, i)
			}
		}
		// Values add only unreserved bytes and escapes, so any other byte
		// appears no more often than in the template's own text.
		data := raw + form + event + name
		tmpl := strings.TrimSpace(template)
		for i := 0; i < len(data); i++ {
			c := data[i]
			if !needsEscape(c, inQuery) || c == '%' {
				continue
			}
			if n, m := strings.Count(out, string(c)), strings.Count(tmpl, string(c)); n > m {
				t.Fatalf("Expand(%q) = %q: %q appears %d times, %d in the template: caller data leaked raw", template, out, c, n, m)
			}
		}
	})
}

// FuzzDecode: in the path, the query and a Sugar 7 route, what the CRM
// decodes is exactly the caller's value, and the address keeps its shape.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"0033612345682", "%6%1%2", "+33 6 12", "a/b?c#d&e=f;g", "..", ".", "é\x00\n\\", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := Values{Calling: phone.Number{Raw: s}}

		out, err := Expand("https://crm.example.com/index.php?module=Home&query_string=*CALLING*&x=1", v)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(out)
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil || len(q) != 3 || q.Get("query_string") != s || q.Get("module") != "Home" || q.Get("x") != "1" {
			t.Fatalf("query %q decodes to %q (%v)", u.RawQuery, q, err)
		}
		if php := phpParseQuery(u.RawQuery); php["query_string"] != s || len(php) != 3 {
			t.Fatalf("query %q decodes in PHP to %q", u.RawQuery, php)
		}

		out, _ = Expand("https://crm.example.com/a/*CALLING*/b", v)
		u, _ = url.Parse(out)
		segs := strings.Split(u.EscapedPath(), "/")
		if len(segs) != 4 || segs[1] != "a" || segs[3] != "b" || segs[2] == "." || segs[2] == ".." {
			t.Fatalf("path %q", u.EscapedPath())
		}
		if d, err := url.PathUnescape(segs[2]); err != nil || d != s {
			t.Fatalf("path segment %q decodes to %q (%v)", segs[2], d, err)
		}

		out, _ = Expand("https://crm.example.com/#search/*CALLING*?modules=Contacts,Accounts,Leads", v)
		u, _ = url.Parse(out)
		route, query, _ := strings.Cut(decodeURI(u.EscapedFragment()), "?")
		param, ok := strings.CutPrefix(route, "search/")
		if !ok || strings.Contains(param, "/") || query != "modules=Contacts,Accounts,Leads" {
			t.Fatalf("fragment %q", u.EscapedFragment())
		}
		if d, err := url.PathUnescape(param); err != nil || d != s {
			t.Fatalf("route parameter %q decodes to %q (%v)", param, d, err)
		}
	})
}
