package background

import (
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/stdlite"
)

// A pop must survive the CRM's login page. A SuiteCRM 7 (or SugarCRM
// 6.5) page asked for without a session answers with its login page,
// index.php?module=Users&action=Login; after the login the agent lands
// on login_module/login_action/login_record, which keeps a record but
// not a search (measured on 7.14.6: the query is dropped, an empty
// search shows). So the background remembers, for each tab it loaded a
// pop in, the address it loaded (Resumes.Opened); when that tab shows
// the login page instead, the pop waits (Resumes.Loaded), and once the
// tab leaves the login page for another page of the same CRM, the agent
// logged in, the tab is loaded with the pop's address, once.
//
// Bounded on purpose: a pop waits at most resumeFor (an agent who comes
// back to a login page an hour later wants today's CRM home, not the
// caller of an hour ago), a newer pop in the same tab replaces the older
// one, at most resumeTabs tabs are remembered, and a resumed pop is
// forgotten as it is resumed, so a page that logs out again (the CRM
// refusing the session) never loops back.

// resumeFor is how long a pop swallowed by the login page waits for the
// agent to log in.
const resumeFor = 10 * time.Minute

// resumeTabs bounds the tabs remembered (a new tab per call, calls all
// morning while logged out): the oldest is forgotten first.
const resumeTabs = 16

// Resumes are the pops the CRM's login page may swallow, per tab. The
// zero value is ready to use. Held in memory only: a worker stopped
// while the agent logs in loses them (the pop then lands where the CRM
// takes the agent, as before).
type Resumes struct {
	tabs map[int]*resume
}

type resume struct {
	url     string    // the pop's address
	at      time.Time // when it was loaded in the tab
	atLogin bool      // the tab has shown the CRM's login page since
}

// Opened records that the background loaded url in tab (a pop, or an
// "open in CRM" a page asked for), replacing what the tab held.
func (r *Resumes) Opened(tab int, url string, now time.Time) {
	if tab <= 0 || url == "" {
		return
	}
	if r.tabs == nil {
		r.tabs = map[int]*resume{}
	}
	r.expire(now)
	if _, ok := r.tabs[tab]; !ok && len(r.tabs) >= resumeTabs {
		oldest := 0
		for id, p := range r.tabs {
			if oldest == 0 || p.at.Before(r.tabs[oldest].at) {
				oldest = id
			}
		}
		delete(r.tabs, oldest)
	}
	r.tabs[tab] = &resume{url: url, at: now}
}

// Loaded is told that tab finished loading page (its address, as the
// browser reports it); it returns the address to load in the tab now,
// the pop the login page swallowed, or "" for nothing to do.
func (r *Resumes) Loaded(tab int, page string, now time.Time) string {
	p, ok := r.tabs[tab]
	if !ok {
		return ""
	}
	if now.Sub(p.at) > resumeFor {
		delete(r.tabs, tab)
		return ""
	}
	if !strings.HasPrefix(page, "http://") && !strings.HasPrefix(page, "https://") {
		return "" // about:blank before the pop's page, an error page: no page of anyone's
	}
	origin, err := CRMOrigin(p.url)
	if err != nil || !SameOrigin(page, origin) {
		// The agent went elsewhere (or the CRM sent them to a single
		// sign-on page: its login would come back as another load of
		// the pop's address or the CRM's home, unknown here).
		if !p.atLogin {
			delete(r.tabs, tab)
		}
		return ""
	}
	if LoginPage(page) {
		p.atLogin = true
		return ""
	}
	delete(r.tabs, tab) // the pop arrived, or is resumed now: once
	if !p.atLogin || SamePage(page, p.url) {
		return "" // a record survives the login by itself
	}
	return p.url
}

// Waiting reports how many pops are remembered (for tests).
func (r *Resumes) Waiting() int { return len(r.tabs) }

func (r *Resumes) expire(now time.Time) {
	for id, p := range r.tabs {
		if now.Sub(p.at) > resumeFor {
			delete(r.tabs, id)
		}
	}
}

// LoginPage reports whether page is the login page of a SuiteCRM 7 or
// SugarCRM 6.5 (index.php?module=Users&action=Login, whatever the case
// of the values and the order of the parameters).
func LoginPage(page string) bool {
	u, err := stdlite.ParseURL(page)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	if !strings.HasSuffix(u.Path, "/index.php") && !strings.HasSuffix(u.Path, "/") && u.Path != "" {
		return false
	}
	q := query(u.RawQuery)
	return strings.EqualFold(q["module"], "Users") && strings.EqualFold(q["action"], "Login")
}

// SamePage reports whether page is the page want asks for: the same
// origin and path, and every parameter of want's query with the same
// value in page's (the CRM may add its own, and write them in another
// order). A record's DetailView after the login is its pop's page; the
// empty search the login lands on is not the search that was asked for.
func SamePage(page, want string) bool {
	p, err := stdlite.ParseURL(page)
	if err != nil {
		return false
	}
	w, err := stdlite.ParseURL(want)
	if err != nil || p.Origin() != w.Origin() || p.Path != w.Path {
		return false
	}
	pq := query(p.RawQuery)
	for k, v := range query(w.RawQuery) {
		if got, ok := pq[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// query splits a raw query into its parameters, unescaped; of a repeated
// one the last wins, as PHP reads it.
func query(raw string) map[string]string {
	q := map[string]string{}
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err1 := stdlite.PathUnescape(strings.ReplaceAll(k, "+", " "))
		v, err2 := stdlite.PathUnescape(strings.ReplaceAll(v, "+", " "))
		if err1 != nil || err2 != nil {
			continue
		}
		q[k] = v
	}
	return q
}
