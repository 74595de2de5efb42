package pop

// Fake CRMs that search the way /work/shared/docs/sugarcrm.md says the
// real ones do, to prove that each preset's URL finds the caller whatever
// format the number was stored in.
//
//   - SugarCRM 6.5 / SuiteCRM 7 classic global search: PHP decodes the query
//     string (+ is a space, %XX a byte), then SQL `field LIKE '<q>%'` on the
//     raw stored text: a prefix match where % and _ are wildcards.
//   - Sugar 7+ globalsearch: an index of phone fields as digits only,
//     matching runs of 3 to 15 digits.
//   - SuiteCRM 8: the Angular route #/home/unified-search?query_string=…
//     is turned into legacy/index.php?…&query_string=… (its classic view),
//     which is the classic search above.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

type record struct {
	Module string
	Name   string
	Phones []string // phone_work, phone_mobile, …: free text, as typed
}

// crmRecords are the doc's stored numbers, one record each; Alice is the
// caller (+33 6 12 34 56 82), stored as alice.
func crmRecords(alice string) []record {
	return []record{
		{"Contacts", "Bernard", []string{"+33 1 23 45 67 89"}},
		{"Accounts", "Claire SARL", []string{"0033123456780"}},
		{"Leads", "David", []string{"01 23 45 67 81"}},
		{"Contacts", "Alice", []string{"", alice}},
		{"Contacts", "Emma", []string{"06.12.34.56.83"}},
		{"Accounts", "Frank Inc", []string{"+1 (415) 555-0184"}},
	}
}

// storedFormats are ways people type +33 6 12 34 56 82 into a CRM.
var storedFormats = []string{
	"+33612345682",
	"0033612345682",
	"0612345682",
	"06 12 34 56 82",
	"06.12.34.56.82",
	"06-12-34-56-82",
	"+33 6 12 34 56 82",
	"+33 (0)6 12 34 56 82",
	"(+33) 6 12 34 56 82",
	"0033 6 12 34 56 82",
	"06 12 345 682",
	"+33 6 1234 5682",
	"612345682",
	"Mobile: 06 12 34 56 82",
}

// fakeSugarClassic serves index.php (and SuiteCRM 8's legacy/index.php)
// with the classic global search; it answers the names found, as JSON.
func fakeSugarClassic(t *testing.T, records []record) *httptest.Server {
	h := func(w http.ResponseWriter, r *http.Request) {
		params := phpParseQuery(r.URL.RawQuery)
		if params["module"] != "Home" || params["action"] != "UnifiedSearch" {
			http.Error(w, "not the global search", http.StatusNotFound)
			return
		}
		q := params["query_string"]
		found := []string{}
		for _, rec := range records {
			for _, p := range rec.Phones {
				if p != "" && q != "" && sqlLike(p, q+"%") {
					found = append(found, rec.Name)
					break
				}
			}
		}
		json.NewEncoder(w).Encode(found)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/index.php", h)
	mux.HandleFunc("/legacy/index.php", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// phpParseQuery decodes a query string as PHP fills $_GET (one value per key).
func phpParseQuery(raw string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		m[phpURLDecode(k)] = phpURLDecode(v)
	}
	return m
}

// phpURLDecode is PHP's urldecode: + is a space, %XX a byte, a % not
// followed by two hex digits is kept.
func phpURLDecode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// sqlLike is SQL LIKE with % (any run) and _ (one character), ignoring
// case like MySQL's default collation.
func sqlLike(s, pattern string) bool {
	s, pattern = strings.ToLower(s), strings.ToLower(pattern)
	// match[i][j]: s[i:] matches pattern[j:]
	memo := map[[2]int]bool{}
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if j == len(pattern) {
			return i == len(s)
		}
		key := [2]int{i, j}
		if v, ok := memo[key]; ok {
			return v
		}
		var ok bool
		switch pattern[j] {
		case '%':
			ok = match(i, j+1) || i < len(s) && match(i+1, j)
		case '_':
			if i < len(s) {
				_, n := utf8.DecodeRuneInString(s[i:])
				ok = match(i+n, j+1)
			}
		default:
			ok = i < len(s) && s[i] == pattern[j] && match(i+1, j+1)
		}
		memo[key] = ok
		return ok
	}
	return match(0, 0)
}

// fakeSugar7 serves GET /rest/v11/globalsearch?q=…&module_list=…: its
// index keeps phone fields as digits only and matches runs of 3–15 digits.
func fakeSugar7(t *testing.T, records []record) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rest/v11/globalsearch", func(w http.ResponseWriter, r *http.Request) {
		q := digitsOf(r.URL.Query().Get("q"))
		modules := strings.Split(r.URL.Query().Get("module_list"), ",")
		type hit struct {
			Module string `json:"_module"`
			Name   string `json:"name"`
		}
		var out struct {
			Records []hit `json:"records"`
		}
		out.Records = []hit{}
		if len(q) >= 3 && len(q) <= 15 {
			for _, rec := range records {
				if !slices.Contains(modules, rec.Module) {
					continue
				}
				for _, p := range rec.Phones {
					if d := digitsOf(p); d != "" && strings.Contains(d, q) {
						out.Records = append(out.Records, hit{rec.Module, rec.Name})
						break
					}
				}
			}
		}
		json.NewEncoder(w).Encode(out)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func digitsOf(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// classicSearch opens a classic search URL on the fake and returns the names found.
func classicSearch(t *testing.T, u string) []string {
	t.Helper()
	var names []string
	getJSON(t, u, &names)
	return names
}

// TestFakeClassicSearchIsRealistic checks the fake against the doc's measurements.
func TestFakeClassicSearchIsRealistic(t *testing.T) {
	srv := fakeSugarClassic(t, crmRecords("+33612345682"))
	search := func(q string) []string {
		return classicSearch(t, srv.URL+"/index.php?module=Home&action=UnifiedSearch&query_string="+url.QueryEscape(q))
	}
	if got := search("+33612345682"); !slices.Equal(got, []string{"Alice"}) {
		t.Errorf("+33612345682 finds %q, want only Alice", got)
	}
	for _, q := range []string{"0612345682", "0033612345682", "+33 6 12 34 56 82"} {
		if got := search(q); len(got) != 0 {
			t.Errorf("%s finds %q, want nothing (prefix match on raw text)", q, got)
		}
	}
	if got := search("%0184"); !slices.Equal(got, []string{"Frank Inc"}) {
		t.Errorf("%%0184 finds %q, want Frank Inc (%% is a wildcard)", got)
	}
	// OVH's dashboard inserts the number unencoded: its + arrives as a space.
	if got := classicSearch(t, srv.URL+"/index.php?module=Home&action=UnifiedSearch&query_string=+33612345682"); len(got) != 0 {
		t.Errorf("an unencoded + finds %q, want nothing", got)
	}
}

func TestSugar6PresetFindsEveryFormat(t *testing.T) {
	for _, stored := range storedFormats {
		t.Run(stored, func(t *testing.T) {
			srv := fakeSugarClassic(t, crmRecords(stored))
			tmpl, err := PresetURL(PresetSugar6, srv.URL+"/")
			if err != nil {
				t.Fatal(err)
			}
			u, err := Expand(tmpl, ringing)
			if err != nil {
				t.Fatal(err)
			}
			if got := classicSearch(t, u); !slices.Equal(got, []string{"Alice"}) {
				t.Errorf("%s finds %q, want only Alice", u, got)
			}
		})
	}
}

// TestLegacyTemplateFindsOneFormat shows why the presets exist: OVH's
// *CALLING* (0033612345682) finds the caller only when stored that way.
func TestLegacyTemplateFindsOneFormat(t *testing.T) {
	for _, stored := range storedFormats {
		srv := fakeSugarClassic(t, crmRecords(stored))
		tmpl, _ := PresetURL(PresetCustom, srv.URL)
		u, _ := Expand(tmpl, ringing)
		got := classicSearch(t, u)
		want := stored == "0033612345682"
		if found := slices.Equal(got, []string{"Alice"}); found != want {
			t.Errorf("legacy *CALLING* with %q stored: found %v, want %v", stored, found, want)
		}
	}
}

// TestPairGroupedLikeMissesSomeGroupings documents why Like must have a %
// before every digit: a query built on French pairs misses other groupings.
func TestPairGroupedLikeMissesSomeGroupings(t *testing.T) {
	pairs := "%6%12%34%56%82"
	perDigit := caller.Forms.Like
	for _, stored := range []string{"06 12 345 682", "0612 345 682"} {
		if sqlLike(stored, pairs+"%") {
			t.Errorf("%s unexpectedly matches %s", stored, pairs)
		}
		if !sqlLike(stored, perDigit+"%") {
			t.Errorf("%s does not match %s", stored, perDigit)
		}
	}
}

// sidecarRoute reads a Sugar 7 address the way its Backbone router does:
// the fragment is decodeURI'd (reserved escapes such as %2F stay), split
// into route and query at the first ?, and the route parameter is then
// decodeURIComponent'd.
func sidecarRoute(t *testing.T, address string) (term, modules string) {
	t.Helper()
	u, err := url.Parse(address)
	if err != nil {
		t.Fatal(err)
	}
	frag := decodeURI(u.EscapedFragment())
	route, query, _ := strings.Cut(frag, "?")
	param, ok := strings.CutPrefix(route, "search/")
	if !ok || strings.Contains(param, "/") {
		t.Fatalf("%s: fragment %q is not the search route", address, frag)
	}
	term, err = url.PathUnescape(param)
	if err != nil {
		t.Fatal(err)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	return term, q.Get("modules")
}

// decodeURI is JavaScript's decodeURI: escapes of reserved characters stay.
func decodeURI(s string) string {
	const reserved = ";/?:@&=+$,#"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			c := unhex(s[i+1])<<4 | unhex(s[i+2])
			if c < 0x80 && !strings.ContainsRune(reserved, rune(c)) && c != '%' {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestSugar7PresetFindsEveryFormat(t *testing.T) {
	base := "https://sugar.example.com"
	tmpl, err := PresetURL(PresetSugar7, base)
	if err != nil {
		t.Fatal(err)
	}
	address, err := Expand(tmpl, ringing)
	if err != nil {
		t.Fatal(err)
	}
	term, modules := sidecarRoute(t, address)
	if term != "612345682" || modules != "Contacts,Accounts,Leads" {
		t.Fatalf("%s routes to term %q modules %q", address, term, modules)
	}
	for _, stored := range storedFormats {
		srv := fakeSugar7(t, crmRecords(stored))
		var res struct {
			Records []struct {
				Name string `json:"name"`
			} `json:"records"`
		}
		getJSON(t, srv.URL+"/rest/v11/globalsearch?"+url.Values{"q": {term}, "module_list": {modules}, "limit": {"20"}}.Encode(), &res)
		if len(res.Records) != 1 || res.Records[0].Name != "Alice" {
			t.Errorf("stored %q: search %q finds %+v, want only Alice", stored, term, res.Records)
		}
	}

	// The doc's caveat, which is why the preset sends the NSN: a national
	// number with its 0 misses an international one.
	srv := fakeSugar7(t, crmRecords("+33612345682"))
	var res struct{ Records []any }
	getJSON(t, srv.URL+"/rest/v11/globalsearch?q=0612345682&module_list=Contacts", &res)
	if len(res.Records) != 0 {
		t.Errorf("0612345682 finds +33612345682 in the fake; the doc says it does not")
	}
}

// suite8Route reads a SuiteCRM 8 address the way its Angular app does:
// the hash route #/home/unified-search?query_string=… is a classic view,
// whose frame loads legacy/index.php with the route's query parameters
// (decoded by Angular's URL parser, re-encoded by HttpParams).
func suite8Route(t *testing.T, address string) string {
	t.Helper()
	u, err := url.Parse(address)
	if err != nil {
		t.Fatal(err)
	}
	path, query, _ := strings.Cut(u.EscapedFragment(), "?")
	if path != "/home/unified-search" {
		t.Fatalf("%s: route %q is not the classic unified search", address, path)
	}
	var qs string
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if angularDecodeQuery(k) == "query_string" {
			qs = angularDecodeQuery(v)
		}
	}
	legacy := "/legacy/index.php?query_string=" + angularEncode(qs) + "&module=Home&action=UnifiedSearch"
	base := u.Scheme + "://" + u.Host + u.EscapedPath()
	return strings.TrimSuffix(base, "/") + legacy
}

// angularDecodeQuery is Angular's decodeQuery: + is a space, then decodeURIComponent.
func angularDecodeQuery(s string) string {
	d, err := url.PathUnescape(strings.ReplaceAll(s, "+", "%20"))
	if err != nil {
		return s
	}
	return d
}

// angularEncode is Angular's HttpParams standardEncoding: encodeURIComponent,
// then @ : $ , ; = ? / put back.
func angularEncode(s string) string {
	const keep = "-_.!~*'()"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(keep, c) >= 0 || strings.IndexByte("@:$,;=?/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + string("0123456789ABCDEF"[c>>4]) + string("0123456789ABCDEF"[c&15]))
	}
	return b.String()
}

func TestSuite8PresetFindsEveryFormat(t *testing.T) {
	for _, stored := range storedFormats {
		srv := fakeSugarClassic(t, crmRecords(stored))
		tmpl, err := PresetURL(PresetSuite8, srv.URL+"/legacy/")
		if err != nil {
			t.Fatal(err)
		}
		address, err := Expand(tmpl, ringing)
		if err != nil {
			t.Fatal(err)
		}
		if want := srv.URL + "/#/home/unified-search?query_string=%256%251%252%253%254%255%256%258%252"; address != want {
			t.Fatalf("address %s, want %s", address, want)
		}
		if got := classicSearch(t, suite8Route(t, address)); !slices.Equal(got, []string{"Alice"}) {
			t.Errorf("stored %q: %s finds %q, want only Alice", stored, address, got)
		}
	}
}
