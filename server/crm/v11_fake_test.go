package crm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSugar is a Sugar 7+ REST v11 as its documentation and
// docs/sugarcrm.md describe it: OAuth2 password and refresh grants per
// platform (only declared platforms), access tokens that expire on its
// clock, OAuth-Token on every call, and the filter API with $or, $and,
// $gt, $gte, $equals, order_by, max_num/offset/next_offset and deleted.
// Datetimes are written in the user's time zone (+01:00), as Sugar does.
type fakeSugar struct {
	t         *testing.T
	user      string
	password  string
	platforms []string

	mu       sync.Mutex
	now      time.Time
	records  map[string][]map[string]any // module → records
	access   map[string]fakeToken        // access token → its expiry and platform
	refresh  map[string]string           // refresh token → platform
	serial   int
	logins   int // password grants
	refreshs int // refresh grants
	calls    int // filter calls
	logs     fakeSugarLogs
}

type fakeToken struct {
	expires  time.Time
	platform string
}

// fakeZone is the API user's time zone in the fake's answers.
var fakeZone = time.FixedZone("CET", 3600)

func newFakeSugar(t *testing.T) (*fakeSugar, *httptest.Server) {
	f := &fakeSugar{t: t, user: "sync", password: "s3cret", platforms: []string{"base", "mobile", "portal", DefaultPlatform},
		now: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), records: map[string][]map[string]any{},
		access: map[string]fakeToken{}, refresh: map[string]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// clock is the fake's clock, shared with the client under test.
func (f *fakeSugar) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeSugar) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// put adds or replaces a record (by id), stamping date_modified with
// the fake's clock; the clock then moves a second on.
func (f *fakeSugar) put(module string, fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := map[string]any{"deleted": false}
	for k, v := range fields {
		rec[k] = v
	}
	rec["date_modified"] = f.now.In(fakeZone).Format(time.RFC3339)
	f.now = f.now.Add(time.Second)
	rs := f.records[module]
	i := slices.IndexFunc(rs, func(r map[string]any) bool { return r["id"] == rec["id"] })
	if i >= 0 {
		for k, v := range rs[i] {
			if _, ok := fields[k]; !ok && k != "date_modified" {
				rec[k] = v
			}
		}
		rs[i] = rec
	} else {
		rs = append(rs, rec)
	}
	f.records[module] = rs
}

func (f *fakeSugar) del(module, id string) { f.put(module, map[string]any{"id": id, "deleted": true}) }

// expireTokens makes every access token invalid on the server (a restart
// of Sugar's token store), while the client still thinks it good.
func (f *fakeSugar) expireTokens() {
	f.mu.Lock()
	f.access = map[string]fakeToken{}
	f.mu.Unlock()
}

func (f *fakeSugar) revokeRefresh() {
	f.mu.Lock()
	f.refresh = map[string]string{}
	f.mu.Unlock()
}

func (f *fakeSugar) counts() (logins, refreshs, calls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins, f.refreshs, f.calls
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeSugar) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Date", f.now.UTC().Format(http.TimeFormat)) // Sugar's clock
	path, ok := strings.CutPrefix(r.URL.Path, V11Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if path == "/oauth2/token" && r.Method == http.MethodPost {
		f.token(w, r)
		return
	}
	tok, ok := f.access[r.Header.Get("OAuth-Token")]
	if !ok || !f.now.Before(tok.expires) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_grant", "error_message": "The access token provided is invalid."})
		return
	}
	if f.serveLogs(w, r, path) {
		return // the call log's Calls, Tasks and Users (calls_v11_fake_test.go)
	}
	module, ok := strings.CutSuffix(strings.TrimPrefix(path, "/"), "/filter")
	if !ok || r.Method != http.MethodPost {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no_method", "error_message": "Could not find a route"})
		return
	}
	f.filter(w, r, module)
}

func (f *fakeSugar) token(w http.ResponseWriter, r *http.Request) {
	var in map[string]string
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_message": "The request is malformed"})
		return
	}
	if in["client_id"] != "sugar" || in["client_secret"] != "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_message": "The client credentials are invalid"})
		return
	}
	if !slices.Contains(f.platforms, in["platform"]) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_parameter", "error_message": fmt.Sprintf("The platform %s is not allowed", in["platform"])})
		return
	}
	switch in["grant_type"] {
	case "password":
		if in["username"] != f.user || in["password"] != f.password {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "need_login", "error_message": "You must specify a valid username and password."})
			return
		}
		f.logins++
	case "refresh_token":
		if p, ok := f.refresh[in["refresh_token"]]; !ok || p != in["platform"] {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_message": "Invalid refresh token"})
			return
		}
		delete(f.refresh, in["refresh_token"])
		f.refreshs++
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_message": "The grant type is not supported"})
		return
	}
	f.serial++
	access, refresh := fmt.Sprintf("access-%d", f.serial), fmt.Sprintf("refresh-%d", f.serial)
	f.access[access] = fakeToken{expires: f.now.Add(time.Hour), platform: in["platform"]}
	f.refresh[refresh] = in["platform"]
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "expires_in": 3600, "token_type": "bearer",
		"scope": nil, "refresh_token": refresh, "refresh_expires_in": 1209600, "download_token": "d-" + access})
}

func (f *fakeSugar) filter(w http.ResponseWriter, r *http.Request, module string) {
	f.calls++
	var in struct {
		Filter  []map[string]any `json:"filter"`
		Fields  string           `json:"fields"`
		MaxNum  int              `json:"max_num"`
		Offset  int              `json:"offset"`
		OrderBy string           `json:"order_by"`
		Deleted bool             `json:"deleted"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "invalid_parameter", "error_message": err.Error()})
		return
	}
	if _, ok := PhoneFields[module]; !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "error_message": "Could not find module " + module})
		return
	}
	var match []map[string]any
	for _, rec := range f.records[module] {
		if rec["deleted"] == true && !in.Deleted {
			continue
		}
		ok := true
		for _, c := range in.Filter {
			ok = ok && f.matches(rec, c)
		}
		if ok {
			match = append(match, rec)
		}
	}
	desc := false
	switch in.OrderBy {
	case "date_modified:asc,id:asc":
	case "date_modified:desc":
		desc = true
	default:
		f.t.Errorf("fake Sugar: order_by %q: the client pages in (date_modified, id) order and searches newest first", in.OrderBy)
	}
	slices.SortFunc(match, func(a, b map[string]any) int {
		c := fakeTime(a["date_modified"]).Compare(fakeTime(b["date_modified"]))
		if c == 0 {
			c = strings.Compare(a["id"].(string), b["id"].(string))
		}
		if desc {
			return -c
		}
		return c
	})
	if in.MaxNum <= 0 {
		in.MaxNum = 20
	}
	page := match[min(in.Offset, len(match)):]
	next := -1
	if len(page) > in.MaxNum {
		page, next = page[:in.MaxNum], in.Offset+in.MaxNum
	}
	fields := strings.Split(in.Fields, ",")
	out := []map[string]any{}
	for _, rec := range page {
		o := map[string]any{"_module": module}
		for _, fld := range fields {
			o[fld] = rec[fld]
		}
		out = append(out, o)
	}
	writeJSON(w, http.StatusOK, map[string]any{"next_offset": next, "records": out})
}

// matches evaluates one filter clause on a record.
func (f *fakeSugar) matches(rec map[string]any, clause map[string]any) bool {
	for k, v := range clause {
		switch k {
		case "$or", "$and":
			subs, _ := v.([]any)
			some, all := false, true
			for _, s := range subs {
				m, _ := s.(map[string]any)
				r := f.matches(rec, m)
				some, all = some || r, all && r
			}
			if (k == "$or" && !some) || (k == "$and" && !all) {
				return false
			}
		default:
			ops, _ := v.(map[string]any)
			for op, want := range ops {
				if !compare(k, rec[k], op, want) {
					return false
				}
			}
		}
	}
	return true
}

func compare(field string, got any, op string, want any) bool {
	var c int
	if field == "date_modified" {
		wt, err := time.Parse(time.RFC3339, fmt.Sprint(want))
		if err != nil {
			return false
		}
		c = fakeTime(got).Compare(wt)
	} else {
		c = strings.Compare(fmt.Sprint(got), fmt.Sprint(want))
	}
	switch op {
	case "$gt":
		return c > 0
	case "$gte":
		return c >= 0
	case "$lt":
		return c < 0
	case "$lte":
		return c <= 0
	case "$equals":
		return c == 0
	case "$starts":
		// A raw LIKE 'value%': Sugar does not escape the value's % and _.
		return like(fmt.Sprint(got), fmt.Sprint(want)+"%")
	case "$contains":
		return strings.Contains(fmt.Sprint(got), fmt.Sprint(want))
	}
	return false
}

func fakeTime(v any) time.Time {
	t, _ := time.Parse(time.RFC3339, fmt.Sprint(v))
	return t
}

// like is SQL LIKE: % any run, _ any one character.
func like(s, pattern string) bool {
	var re strings.Builder
	re.WriteString("(?s)^")
	for _, r := range pattern {
		switch r {
		case '%':
			re.WriteString(".*")
		case '_':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String()).MatchString(s)
}
