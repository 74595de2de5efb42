package stdlite

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in                       string
		scheme, user, host, port string
		path, query, fragment    string
		hasUser                  bool
	}{
		{in: "http://127.0.0.1:8080", scheme: "http", host: "127.0.0.1", port: "8080"},
		{in: "HTTPS://CRM.Example.com/Index.php?A=B#C", scheme: "https", host: "crm.example.com", path: "/Index.php", query: "A=B", fragment: "C"},
		{in: "http://[FE80::A]:80/", scheme: "http", host: "[fe80::a]", port: "80", path: "/"},
		{in: "https://SOCIÉTÉ.example/", scheme: "https", host: "sociÉtÉ.example", path: "/"},
		{in: "wss://relay.example.com/sp/", scheme: "wss", host: "relay.example.com", path: "/sp/"},
		{in: "ws://relay", scheme: "ws", host: "relay"},
		{in: "https://[::1]:8443/p/*CALLING*", scheme: "https", host: "[::1]", port: "8443", path: "/p/*CALLING*"},
		{in: "http://[2001:db8::ffff:1.2.3.4]/", scheme: "http", host: "[2001:db8::ffff:1.2.3.4]", path: "/"},
		{in: "https://u:p%40@crm", scheme: "https", user: "u:p%40", hasUser: true, host: "crm"},
		{in: "https://@crm", scheme: "https", hasUser: true, host: "crm"},
		{in: "https://crm?q", scheme: "https", host: "crm", query: "q"},
		{in: "https://crm#/home?x=1", scheme: "https", host: "crm", fragment: "/home?x=1"},
		{in: "https://crm/#search/612345682?modules=Contacts,Accounts,Leads", scheme: "https", host: "crm", path: "/", fragment: "search/612345682?modules=Contacts,Accounts,Leads"},
		{in: "https://crm/a|b[c]?q=é^`{}\\#x#y", scheme: "https", host: "crm", path: "/a|b[c]", query: "q=é^`{}\\", fragment: "x#y"},
		{in: "https://société.example/", scheme: "https", host: "société.example", path: "/"},
		{in: "https://my_crm.local~1:65535", scheme: "https", host: "my_crm.local~1", port: "65535"},
		{in: "https://crm/%41%2f%2F?%25#%7e", scheme: "https", host: "crm", path: "/%41%2f%2F", query: "%25", fragment: "%7e"},
	} {
		u, err := ParseURL(tc.in)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.in, err)
			continue
		}
		want := URL{Scheme: tc.scheme, User: tc.user, HasUser: tc.hasUser, Host: tc.host, Port: tc.port, Path: tc.path, RawQuery: tc.query, Fragment: tc.fragment}
		if *u != want {
			t.Errorf("ParseURL(%q) =\n %+v, want\n %+v", tc.in, *u, want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	for in, code := range map[string]string{
		"":                          ErrURLNoScheme,
		"crm.example.com":           ErrURLNoScheme,
		"127.0.0.1:8080":            ErrURLNoScheme,
		"/index.php":                ErrURLNoScheme,
		"://crm":                    ErrURLNoScheme,
		"1http://crm":               ErrURLNoScheme,
		"localhost:8080":            ErrURLScheme,
		"javascript:alert(1)":       ErrURLScheme,
		"javascript://crm/%0aalert": ErrURLScheme,
		"file:///etc/passwd":        ErrURLScheme,
		"ftp://x":                   ErrURLScheme,
		"data:text/html,x":          ErrURLScheme,
		"https:crm":                 ErrURLNoHost,
		"https:/crm":                ErrURLNoHost,
		"https://":                  ErrURLNoHost,
		"https:///x":                ErrURLNoHost,
		"https://:8080/":            ErrURLNoHost,
		"https://u@":                ErrURLNoHost,
		"https://?q":                ErrURLNoHost,
		"https://a@b@crm":           ErrURLUserinfo,
		"https://u\\@crm":           ErrURLUserinfo,
		"https://u%zz@crm":          ErrURLUserinfo,
		"https://crm\\evil.com/":    ErrURLHost,
		"https://crm%2eexample.com": ErrURLHost,
		"https://crm!.com":          ErrURLHost,
		"https://cr<m":              ErrURLHost,
		"https://a:b:c/":            ErrURLPort,
		"https://[::1/x":            ErrURLHost,
		"https://[::1]x/":           ErrURLHost,
		"https://[1.2.3.4]/":        ErrURLHost,
		"https://[::1%25en0]/":      ErrURLHost,
		"https://[v1.x]/":           ErrURLHost,
		"https://x[::1]/":           ErrURLHost,
		"https://\xff\xfe/":         ErrURLHost,
		"https://crm:port/":         ErrURLPort,
		"https://crm:/":             ErrURLPort,
		"https://crm:65536/":        ErrURLPort,
		"https://crm:123456/":       ErrURLPort,
		"https://[::1]:/":           ErrURLPort,
		"https://crm/a b":           ErrURLCharacter,
		"https://crm/a\nb":          ErrURLCharacter,
		"https://crm/\x7f":          ErrURLCharacter,
		"https://crm/#\t":           ErrURLCharacter,
		"https://crm/50%":           ErrURLEscape,
		"https://crm/?q=50%":        ErrURLEscape,
		"https://crm/#%g0":          ErrURLEscape,
		"https://crm/%2":            ErrURLEscape,
	} {
		u, err := ParseURL(in)
		var e *URLError
		if !errors.As(err, &e) || e.Code != code {
			t.Errorf("ParseURL(%q) = %+v, %v; want code %s", in, u, err, code)
			continue
		}
		if e.Offset < 0 || e.Offset > len(in) || e.Error() == "" {
			t.Errorf("ParseURL(%q): offset %d, message %q", in, e.Offset, e.Error())
		}
	}
	_, err := ParseURL("FTP://x")
	if e := err.(*URLError); e.Text != "FTP:" || !strings.Contains(e.Error(), `"FTP:"`) {
		t.Errorf("scheme error %+v: %v", e, e)
	}
	_, err = ParseURL("https://crm:80x/")
	if e := err.(*URLError); e.Text != ":80x" || e.Error() != `invalid port ":80x" after host` {
		t.Errorf("port error %+v: %v", e, e)
	}
}

func TestIPv6(t *testing.T) {
	for s, want := range map[string]bool{
		"::": true, "::1": true, "1::": true, "1:2:3:4:5:6:7:8": true, "1::8": true,
		"fe80::1:2:3:4:5:6": true, "::ffff:1.2.3.4": true, "::1.2.3.4": true, "1:2:3:4:5:6:1.2.3.4": true,
		"ABCD:ef01::": true,
		"":            false, ":": false, ":::": false, "1:2:3:4:5:6:7": false, "1:2:3:4:5:6:7:8:9": false,
		"1::2::3": false, "12345::": false, "1:": false, ":1": false, "1::8:": false, "g::": false,
		"1.2.3.4": false, "::1.2.3": false, "::1.2.3.256": false, "::01.2.3.4": false, "1::2:3:4:5:6:7:8": false,
		"1:2:3:4:5:6:7:1.2.3.4": false, "::1.2.3.4:1": false, "::1%en0": false,
	} {
		if got := isIPv6(s); got != want {
			t.Errorf("isIPv6(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzIPv6: what isIPv6 accepts is an IPv6 address for net/netip.
func FuzzIPv6(f *testing.F) {
	for _, s := range []string{"::", "::1", "1:2:3:4:5:6:7:8", "::ffff:1.2.3.4", "fe80::1", "1::2::3", "1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !isIPv6(s) {
			return
		}
		if a, err := netip.ParseAddr(s); err != nil || !a.Is6() {
			t.Fatalf("isIPv6(%q) but netip.ParseAddr: %v, %v", s, a, err)
		}
	})
}

func TestURLOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080/demo-crm":  "http://127.0.0.1:8080",
		"https://CRM.Example.com/sugar/":  "https://crm.example.com",
		"https://crm.example.com:443/x":   "https://crm.example.com",
		"http://crm.example.com:80":       "http://crm.example.com",
		"http://crm.example.com:443":      "http://crm.example.com:443",
		"https://crm.example.com:0443/":   "https://crm.example.com",
		"wss://relay:443":                 "wss://relay",
		"http://[::1]:9000/":              "http://[::1]:9000",
		"HTTP://u:p@[FE80::1]:08080/?x#y": "http://[fe80::1]:8080",
	} {
		u, err := ParseURL(in)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", in, err)
			continue
		}
		if got := u.Origin(); got != want {
			t.Errorf("Origin(%q) = %q, want %q", in, got, want)
		}
	}
}

// urlSeeds are addresses of every shape, good and bad, for the fuzz target.
var urlSeeds = []string{
	"http://127.0.0.1:8080", "https://crm.example.com/index.php?module=Home&action=UnifiedSearch&query_string=%256%251",
	"https://crm.example.com/#search/612345682?modules=Contacts,Accounts,Leads", "https://[::1]:8443/p/x",
	"https://u:p@crm/", "https://crm:port/", "https://[::1/x", "https://crm/a|b?é#x#y", "HTTPS://CRM/", "ws://r/v1/stream",
	"https://crm/%zz", "https://a:b:c/", "https://crm\\@evil/", "javascript:alert(1)", "https://crm/?q=%", "http://[::ffff:1.2.3.4]:0/",
	"https://xn--socit-esab.example/", "https://société.example/", "http://1.2.3.4.5/", "https://crm:/", "https://crm/a b",
}

// FuzzParseURL: what ParseURL accepts, net/url accepts too and reads the same
// way: scheme, user info, host and port, and the same path, query and
// fragment once unescaped.
func FuzzParseURL(f *testing.F) {
	for _, s := range urlSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			var e *URLError
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(s) {
				t.Fatalf("ParseURL(%q): %v", s, err)
			}
			return
		}
		n, err := url.Parse(s)
		if err != nil {
			t.Fatalf("ParseURL(%q) = %+v, but net/url: %v", s, *u, err)
		}
		if n.Scheme != u.Scheme || ToLowerASCII(n.Host) != u.HostPort() || ToLowerASCII(n.Hostname()) != u.Hostname() || n.Port() != u.Port || n.Opaque != "" {
			t.Fatalf("ParseURL(%q): %s://%s (%s, %s); net/url %s://%s (%s, %s)", s, u.Scheme, u.HostPort(), u.Hostname(), u.Port, n.Scheme, n.Host, n.Hostname(), n.Port())
		}
		if (n.User != nil) != u.HasUser || u.HasUser && n.User.String() != u.User && urlUnescape(t, u.User) != urlUnescape(t, n.User.String()) {
			t.Fatalf("ParseURL(%q): user %q (%v), net/url %v", s, u.User, u.HasUser, n.User)
		}
		if p := urlUnescape(t, u.Path); p != n.Path {
			t.Fatalf("ParseURL(%q): path %q (%q unescaped), net/url %q", s, u.Path, p, n.Path)
		}
		if u.RawQuery != n.RawQuery {
			t.Fatalf("ParseURL(%q): query %q, net/url %q", s, u.RawQuery, n.RawQuery)
		}
		if fr := urlUnescape(t, u.Fragment); fr != n.Fragment {
			t.Fatalf("ParseURL(%q): fragment %q (%q unescaped), net/url %q", s, u.Fragment, fr, n.Fragment)
		}
		if u.Host[0] != '[' {
			if _, err := netip.ParseAddr(u.Host); err == nil && strings.Contains(u.Host, ":") {
				t.Fatalf("ParseURL(%q): IPv6 host %q without brackets", s, u.Host)
			}
		}
		// Its origin parses again, to the same host.
		o, err := ParseURL(u.Origin())
		if err != nil || o.Path != "" || o.Host != u.Host || o.Scheme != u.Scheme {
			t.Fatalf("ParseURL(%q).Origin() = %q: %+v, %v", s, u.Origin(), o, err)
		}
	})
}

func urlUnescape(t *testing.T, s string) string {
	d, err := url.PathUnescape(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return d
}

// FuzzPathUnescape: PathUnescape is net/url's PathUnescape.
func FuzzPathUnescape(f *testing.F) {
	for _, s := range []string{"", "06%2012%2034", "%41%2f%2F+x", "50%", "%g0", "%2", "é%C3%A9", "%zz%41", "%%41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := PathUnescape(s)
		want, werr := url.PathUnescape(s)
		if got != want || (err == nil) != (werr == nil) {
			t.Fatalf("PathUnescape(%q) = %q, %v; net/url %q, %v", s, got, err, want, werr)
		}
		var e *URLError
		if err != nil && (!errors.As(err, &e) || e.Code != ErrURLEscape || e.Offset < 0 || e.Offset >= len(s) || s[e.Offset] != '%') {
			t.Fatalf("PathUnescape(%q): %#v", s, err)
		}
	})
}
