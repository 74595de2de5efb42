package democrm

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLike(t *testing.T) {
	tests := []struct {
		s, p string
		want bool
	}{
		{"+33612345682", "+33612345682%", true},
		{"+33612345682", "0612345682%", false},
		{"+33612345682", "0033612345682%", false},
		{"+33612345682", "+33 6 12 34 56 82%", false},
		{"+1 (415) 555-0184", "%0184%", true},
		{"06.12.34.56.83", "%6%12%34%56%83%", true},
		{"06.12.34.56.83", "%6%12%34%56%82%", false},
		{"abc", "a_c", true},
		{"abc", "a_", false},
		{"", "%", true},
	}
	for _, tt := range tests {
		if got := Like(tt.s, tt.p); got != tt.want {
			t.Errorf("Like(%q, %q) = %v, want %v", tt.s, tt.p, got, tt.want)
		}
	}
}

func TestSearch(t *testing.T) {
	if got := Search(Contacts, "+33612345682"); len(got) != 1 || got[0].ID != "c1" {
		t.Errorf("exact E.164 search = %v", got)
	}
	if got := Search(Contacts, "0612345682"); len(got) != 0 {
		t.Errorf("national search found %v; the real CRM finds nothing", got)
	}
	if got := Search(Contacts, ""); got != nil {
		t.Errorf("empty search = %v", got)
	}
}

func TestServerContactList(t *testing.T) {
	s := &Server{}
	for _, u := range []string{"/index.php?module=Contacts&action=index", "/favicon.ico"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", u, nil))
		if u == "/favicon.ico" {
			if rec.Code != 404 {
				t.Errorf("favicon: %d", rec.Code)
			}
			continue
		}
		if !strings.Contains(rec.Body.String(), "Camille Martin") || !strings.Contains(rec.Body.String(), `id="contacts"`) {
			t.Errorf("%s does not list the contacts:\n%s", u, rec.Body)
		}
	}
	if q := s.Queries(); len(q) != 0 {
		t.Errorf("the list and favicon counted as searches: %q", q)
	}
}
