package background

import "testing"

func TestCRMMatchPattern(t *testing.T) {
	for _, tc := range []struct {
		name, crm, origin, pattern string
		bad                        bool
	}{
		{name: "demo with port", crm: "http://127.0.0.1:8080/demo-crm", origin: "http://127.0.0.1:8080", pattern: "http://127.0.0.1/*"},
		{name: "https base", crm: "https://CRM.example.com/sugar/", origin: "https://crm.example.com", pattern: "https://crm.example.com/*"},
		{name: "a search URL", crm: "https://crm.example.com/index.php?module=Home&query_string=%2B33", origin: "https://crm.example.com", pattern: "https://crm.example.com/*"},
		{name: "ipv6", crm: "http://[::1]:9000/", origin: "http://[::1]:9000", pattern: "http://[::1]/*"},
		{name: "default port", crm: "https://CRM.example.com:443/index.php", origin: "https://crm.example.com", pattern: "https://crm.example.com/*"},
		{name: "ws", crm: "ws://crm.example.com/", bad: true},
		{name: "backslash", crm: "https://crm.example.com\\@evil.example/", bad: true},
		{name: "bad port", crm: "https://crm.example.com:99999/", bad: true},
		{name: "empty", crm: "", bad: true},
		{name: "no scheme", crm: "crm.example.com", bad: true},
		{name: "javascript", crm: "javascript:alert(1)", bad: true},
		{name: "file", crm: "file:///etc/passwd", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			origin, err := CRMOrigin(tc.crm)
			pattern, perr := CRMMatchPattern(tc.crm)
			if tc.bad {
				if err == nil || perr == nil {
					t.Fatalf("CRMOrigin(%q) = %q, pattern %q: want errors", tc.crm, origin, pattern)
				}
				return
			}
			if err != nil || perr != nil {
				t.Fatalf("CRMOrigin(%q): %v, %v", tc.crm, err, perr)
			}
			if origin != tc.origin || pattern != tc.pattern {
				t.Errorf("CRMOrigin(%q) = %q, %q; want %q, %q", tc.crm, origin, pattern, tc.origin, tc.pattern)
			}
		})
	}
}

func TestSameOrigin(t *testing.T) {
	const o = "http://127.0.0.1:8080"
	for page, want := range map[string]bool{
		"http://127.0.0.1:8080/demo-crm/index.php?x=1": true,
		"http://127.0.0.1:8080":                        true,
		"http://127.0.0.1:8080/?q=a|b\\c#x#y":          true,  // as browsers write URLs
		"http://127.0.0.1:8081/demo-crm/":              false, // another port: another site
		"https://127.0.0.1:8080/":                      false,
		"chrome-extension://abc/card.html":             false,
		"":                                             false,
	} {
		if got := SameOrigin(page, o); got != want {
			t.Errorf("SameOrigin(%q, %q) = %v, want %v", page, o, got, want)
		}
	}
}
