package background

import (
	"testing"
	"time"
)

const (
	crm       = "http://crm.example.com"
	search    = crm + "/index.php?module=Home&action=UnifiedSearch&query_string=%251%252%253"
	record    = crm + "/index.php?module=Contacts&action=DetailView&record=abc-1"
	loginPage = crm + "/index.php?action=Login&module=Users&login_module=Home&login_action=UnifiedSearch"
	emptyHome = crm + "/index.php?module=Home&action=UnifiedSearch"
)

// step is one thing the worker is told: the background loaded url in a
// tab (open), or a tab finished loading a page (load, want what to load
// in it then); at is the time since the start.
type step struct {
	op   string // "open", "load"
	tab  int
	url  string
	at   time.Duration
	want string
}

func TestResumes(t *testing.T) {
	recordLogin := crm + "/index.php?action=Login&module=Users&login_module=Contacts&login_action=DetailView&login_record=abc-1"
	recordAfter := crm + "/index.php?module=Contacts&action=DetailView&record=abc-1"
	tests := []struct {
		name  string
		steps []step
		left  int // pops still waiting at the end
	}{
		{"logged in: the pop lands, nothing to resume", []step{
			{op: "open", tab: 1, url: search},
			{op: "load", tab: 1, url: search},
			{op: "load", tab: 1, url: emptyHome}, // the agent's own navigation after
		}, 0},
		{"login page, then logged in: the search resumes once", []step{
			{op: "open", tab: 1, url: search},
			{op: "load", tab: 1, url: loginPage},
			{op: "load", tab: 1, url: loginPage, at: time.Minute}, // a wrong password: the form again
			{op: "load", tab: 1, url: emptyHome, at: 2 * time.Minute, want: search},
			{op: "load", tab: 1, url: search, at: 2 * time.Minute},
			{op: "load", tab: 1, url: loginPage, at: 3 * time.Minute}, // logged out again: no loop
			{op: "load", tab: 1, url: emptyHome, at: 4 * time.Minute},
		}, 0},
		{"a record survives the login by itself: not loaded again", []step{
			{op: "open", tab: 1, url: record},
			{op: "load", tab: 1, url: recordLogin},
			{op: "load", tab: 1, url: recordAfter},
		}, 0},
		{"expired: the login after resumeFor lands where the CRM says", []step{
			{op: "open", tab: 1, url: search},
			{op: "load", tab: 1, url: loginPage},
			{op: "load", tab: 1, url: emptyHome, at: resumeFor + time.Second},
		}, 0},
		{"just within resumeFor: resumed", []step{
			{op: "open", tab: 1, url: search},
			{op: "load", tab: 1, url: loginPage},
			{op: "load", tab: 1, url: emptyHome, at: resumeFor, want: search},
		}, 0},
		{"a newer pop in the tab replaces the older", []step{
			{op: "open", tab: 1, url: search},
			{op: "load", tab: 1, url: loginPage},
			{op: "open", tab: 1, url: record, at: time.Minute},
			{op: "load", tab: 1, url: loginPage, at: time.Minute},
			{op: "load", tab: 1, url: emptyHome, at: 2 * time.Minute, want: record},
		}, 0},
		{"another tab's pages are ignored", []step{
			{op: "open", tab: 1, url: search},
			{op: "load", tab: 1, url: loginPage},
			{op: "load", tab: 2, url: loginPage},
			{op: "load", tab: 2, url: emptyHome}, // the agent logged in in another tab
			{op: "load", tab: 1, url: emptyHome, want: search},
		}, 0},
		{"the agent leaves the CRM before any login page: forgotten", []step{
			{op: "open", tab: 1, url: search},
			{op: "load", tab: 1, url: "https://mail.example.com/"},
			{op: "load", tab: 1, url: emptyHome},
		}, 0},
		{"a single sign-on page between: still waiting", []step{
			{op: "open", tab: 1, url: search},
			{op: "load", tab: 1, url: loginPage},
			{op: "load", tab: 1, url: "https://sso.example.com/login"},
			{op: "load", tab: 1, url: emptyHome, want: search},
		}, 0},
		{"about:blank before the pop's page is no page", []step{
			{op: "open", tab: 1, url: search},
			{op: "load", tab: 1, url: "about:blank"},
			{op: "load", tab: 1, url: loginPage},
			{op: "load", tab: 1, url: emptyHome, want: search},
		}, 0},
		{"the same host on another port is another site", []step{
			{op: "open", tab: 1, url: search},
			{op: "load", tab: 1, url: loginPage},
			{op: "load", tab: 1, url: "http://crm.example.com:8080/index.php?module=Home&action=index"},
			{op: "load", tab: 1, url: emptyHome, want: search},
		}, 0},
		{"still at the login page: waiting", []step{
			{op: "open", tab: 1, url: search},
			{op: "load", tab: 1, url: loginPage},
			{op: "open", tab: 2, url: record},
		}, 2},
	}
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Resumes
			for i, s := range tt.steps {
				now := start.Add(s.at)
				switch s.op {
				case "open":
					r.Opened(s.tab, s.url, now)
				case "load":
					if got := r.Loaded(s.tab, s.url, now); got != s.want {
						t.Errorf("step %d, tab %d loads %s: load %q, want %q", i, s.tab, s.url, got, s.want)
					}
				}
			}
			if r.Waiting() != tt.left {
				t.Errorf("%d pops waiting at the end, want %d", r.Waiting(), tt.left)
			}
		})
	}
}

// A pop in each of more tabs than resumeTabs: the oldest are forgotten.
func TestResumesBounded(t *testing.T) {
	var r Resumes
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for tab := 1; tab <= resumeTabs+4; tab++ {
		r.Opened(tab, search, start.Add(time.Duration(tab)*time.Second))
		r.Loaded(tab, loginPage, start.Add(time.Duration(tab)*time.Second))
	}
	if r.Waiting() != resumeTabs {
		t.Fatalf("%d pops waiting, want at most %d", r.Waiting(), resumeTabs)
	}
	if got := r.Loaded(1, emptyHome, start.Add(time.Minute)); got != "" {
		t.Errorf("the oldest tab's pop was kept: %q", got)
	}
	if got := r.Loaded(resumeTabs+4, emptyHome, start.Add(time.Minute)); got != search {
		t.Errorf("the newest tab's pop: %q, want %q", got, search)
	}
}

func TestLoginPage(t *testing.T) {
	for page, want := range map[string]bool{
		loginPage: true,
		crm + "/index.php?module=Users&action=Login":                     true,
		crm + "/index.php?module=users&action=login":                     true,
		crm + "/suite/index.php?action=Login&module=Users&login_module=": true,
		crm + "/?module=Users&action=Login":                              true,
		crm + "/index.php?module=Users&action=Authenticate":              false,
		crm + "/index.php?module=Users&action=DetailView&record=1":       false,
		crm + "/index.php?module=Contacts&action=Login":                  false,
		crm + "/other.php?module=Users&action=Login":                     false,
		emptyHome:                             false,
		"chrome-extension://abc/options.html": false,
		"about:blank":                         false,
		"":                                    false,
	} {
		if got := LoginPage(page); got != want {
			t.Errorf("LoginPage(%q) = %v, want %v", page, got, want)
		}
	}
}

func TestSamePage(t *testing.T) {
	for _, tt := range []struct {
		page, want string
		same       bool
	}{
		{record, record, true},
		{crm + "/index.php?record=abc-1&action=DetailView&module=Contacts&offset=1", record, true},
		{emptyHome, search, false},
		{search, search, true},
		{crm + "/index.php?module=Home&action=UnifiedSearch&query_string=%1%2%3", search, false}, // not escapes: not the same value
		{"https://crm.example.com/index.php?module=Contacts&action=DetailView&record=abc-1", record, false},
		{crm + "/index.php?module=Contacts&action=DetailView&record=abc-2", record, false},
	} {
		if got := SamePage(tt.page, tt.want); got != tt.same {
			t.Errorf("SamePage(%q, %q) = %v, want %v", tt.page, tt.want, got, tt.same)
		}
	}
}
