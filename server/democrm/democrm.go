// Package democrm is a tiny stand-in for SugarCRM 6.5 / SuiteCRM 7's
// classic search, used by the demo (`make run`) and by the end-to-end tests.
// It searches the way the real one does (see shared/docs/sugarcrm.md):
// SQL `field LIKE 'q%'` on the phone text exactly as it was typed, with `%`
// as a wildcard and no normalisation at all. A fake that searched smarter
// than the real CRM would hide exactly the bugs users complain about.
package democrm

import (
	"html/template"
	"net/http"
	"strings"
	"sync"
)

// Contact is one record with phone fields stored as typed.
type Contact struct {
	ID, Name, Account string
	Phones            []string
}

// Contacts are the demo's records, in the mixed formats real CRMs hold.
var Contacts = []Contact{
	{"c1", "Camille Martin", "Boulangerie Martin", []string{"+33612345682"}},
	{"c2", "Hugo Bernard", "Bernard & Fils", []string{"06.12.34.56.83"}},
	{"c3", "Léa Dubois", "Dubois Conseil", []string{"+33 1 23 45 67 89"}},
	{"c4", "Lucas Petit", "Petit Transport", []string{"0033123456780"}},
	{"c5", "Chloé Moreau", "Moreau Immobilier", []string{"01 23 45 67 81"}},
	{"c6", "Noah Smith", "Smith Logistics", []string{"+1 (415) 555-0184"}},
	{"c7", "Emma Lefèvre", "Lefèvre SA", []string{"+32 2 555 12 34"}},
}

// Like reports whether s matches the SQL LIKE pattern p (% any run, _ one
// character), case-insensitively as MySQL's default collation does.
func Like(s, p string) bool {
	s, p = strings.ToLower(s), strings.ToLower(p)
	// Iterative wildcard matching with backtracking to the last %.
	si, pi, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '_' || p[pi] == s[si]) && p[pi] != '%':
			si++
			pi++
		case pi < len(p) && p[pi] == '%':
			star, mark = pi, si
			pi++
		case star >= 0:
			mark++
			si, pi = mark, star+1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}

// Search returns the contacts any of whose phones match LIKE 'q%'.
func Search(contacts []Contact, q string) []Contact {
	if q == "" {
		return nil
	}
	var out []Contact
	for _, c := range contacts {
		for _, ph := range c.Phones {
			if Like(ph, q+"%") {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// Server serves the classic UnifiedSearch URL and records what it was
// asked. A URL without query_string (any other page of the CRM) shows the
// contact list, the page an agent has open between calls.
type Server struct {
	Contacts []Contact

	mu      sync.Mutex
	queries []string
}

// Queries returns the search strings received so far (requests that carry
// query_string; the contact list and favicon requests are not searches).
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

var page = template.Must(template.New("search").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Search: {{.Query}} — Demo CRM</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;color:#222}h1{font-size:1.3rem}
table{border-collapse:collapse}td,th{padding:.4rem .8rem;border-bottom:1px solid #ddd;text-align:left}
.none{color:#a33}.q{font-family:monospace;background:#eee;padding:0 .3rem}</style></head>
<body><h1>Demo CRM — global search</h1>
<p>Search <span class="q" id="query">{{.Query}}</span>: {{len .Results}} result(s). This page searches like SugarCRM 6.5: phone LIKE '<span class="q">{{.Query}}</span>%' on the raw stored text.</p>
{{if .Results}}<table id="results"><tr><th>Name</th><th>Account</th><th>Phone (as stored)</th></tr>
{{range .Results}}<tr class="contact" data-id="{{.ID}}"><td>{{.Name}}</td><td>{{.Account}}</td><td>{{index .Phones 0}}</td></tr>{{end}}</table>
{{else}}<p class="none" id="no-results">No record found.</p>{{end}}
</body></html>`))

var list = template.Must(template.New("list").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Contacts — Demo CRM</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;color:#222}h1{font-size:1.3rem}
table{border-collapse:collapse}td,th{padding:.4rem .8rem;border-bottom:1px solid #ddd;text-align:left}</style></head>
<body><h1>Demo CRM — Contacts</h1>
<p>{{len .}} contacts. Phone numbers are stored as typed, the way real CRMs hold them.</p>
<table id="contacts"><tr><th>Name</th><th>Account</th><th>Phone (as stored)</th></tr>
{{range .}}<tr class="contact" data-id="{{.ID}}"><td>{{.Name}}</td><td>{{.Account}}</td><td>{{index .Phones 0}}</td></tr>{{end}}</table>
</body></html>`))

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/favicon.ico" {
		http.NotFound(w, r)
		return
	}
	contacts := s.Contacts
	if contacts == nil {
		contacts = Contacts
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if !r.URL.Query().Has("query_string") {
		list.Execute(w, contacts)
		return
	}
	q := r.URL.Query().Get("query_string")
	s.mu.Lock()
	s.queries = append(s.queries, q)
	s.mu.Unlock()
	page.Execute(w, map[string]any{"Query": q, "Results": Search(contacts, q)})
}
