package crm

import (
	"crypto/md5"
	"encoding/hex"
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

// fakeV4 is a SuiteCRM REST v4_1 endpoint for what the real one in
// e2e/suitecrm cannot be made to do: fail on demand. It answers login
// (MD5 password, faults as v4_1 writes them) and get_entry_list with the
// queries the client sends (parsed, any other fails the test), and
// injects a fault into a chosen call.
type fakeV4 struct {
	t *testing.T

	mu      sync.Mutex
	now     time.Time
	step    time.Duration // how far the clock moves on at each put
	records map[string][]fakeV4Record
	session string
	logins  int
	calls   int // get_entry_list calls
	// fault, when set, answers get_entry_list call number faultAt (1 is
	// the first) instead of the CRM; faultAll answers every call from
	// faultAt on.
	fault    func(w http.ResponseWriter, r *http.Request)
	faultAt  int
	faultAll bool
	// logs are the Calls, Tasks and Users the call log writes and reads
	// (calls_v4_fake_test.go).
	logs fakeLogs
}

type fakeV4Record struct {
	fields   map[string]string
	modified time.Time
	deleted  bool
}

const fakeV4User, fakeV4Password = "sync", "s3cret"

func newFakeV4(t *testing.T) (*fakeV4, *httptest.Server) {
	f := &fakeV4{t: t, now: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), step: time.Second, records: map[string][]fakeV4Record{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// put adds or updates a record, stamped with the fake's clock, which
// then moves on a second.
func (f *fakeV4) put(module string, fields map[string]string, deleted bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rs := f.records[module]
	i := slices.IndexFunc(rs, func(r fakeV4Record) bool { return r.fields["id"] == fields["id"] })
	r := fakeV4Record{fields: fields, modified: f.now, deleted: deleted}
	if i >= 0 {
		rs[i] = r
	} else {
		rs = append(rs, r)
	}
	f.records[module] = rs
	f.now = f.now.Add(f.step)
}

// setStep sets how far the clock moves on at each put (0: records made
// in one second, as an import makes them).
func (f *fakeV4) setStep(d time.Duration) {
	f.mu.Lock()
	f.step = d
	f.mu.Unlock()
}

func (f *fakeV4) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// failAt makes call n (counted from now) answer with fault; all, every
// call from then on.
func (f *fakeV4) failAt(n int, all bool, fault func(http.ResponseWriter, *http.Request)) {
	f.mu.Lock()
	f.fault, f.faultAt, f.faultAll = fault, f.calls+n, all
	f.mu.Unlock()
}

func (f *fakeV4) heal() {
	f.mu.Lock()
	f.fault = nil
	f.mu.Unlock()
}

func (f *fakeV4) dropSession() {
	f.mu.Lock()
	f.session = ""
	f.mu.Unlock()
}

func (f *fakeV4) counts() (logins, calls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins, f.calls
}

func v4FaultJSON(w http.ResponseWriter, name string, number int, description string) {
	json.NewEncoder(w).Encode(map[string]any{"name": name, "number": number, "description": description})
}

func (f *fakeV4) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != V4Path || r.Method != http.MethodPost {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!DOCTYPE html><html><body>SuiteCRM login page</body></html>")
		return
	}
	if r.FormValue("input_type") != "JSON" || r.FormValue("response_type") != "JSON" {
		f.t.Errorf("fake v4_1: input_type %q response_type %q, want JSON", r.FormValue("input_type"), r.FormValue("response_type"))
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(r.FormValue("rest_data")), &args); err != nil {
		f.t.Errorf("fake v4_1: rest_data is not JSON: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Date", f.now.UTC().Format(http.TimeFormat)) // the CRM's clock
	switch r.FormValue("method") {
	case "login":
		auth, _ := args["user_auth"].(map[string]any)
		sum := md5.Sum([]byte(fakeV4Password))
		if auth["user_name"] != fakeV4User || auth["password"] != hex.EncodeToString(sum[:]) {
			v4FaultJSON(w, "Invalid Login", 10, "Login attempt failed please check the username and password")
			return
		}
		f.logins++
		f.session = fmt.Sprintf("session-%d", f.logins)
		json.NewEncoder(w).Encode(map[string]any{"id": f.session, "module_name": "Users"})
	case "get_entry_list":
		f.calls++
		if f.fault != nil && (f.calls == f.faultAt || (f.faultAll && f.calls > f.faultAt)) {
			f.fault(w, r)
			return
		}
		if args["session"] != f.session || f.session == "" {
			v4FaultJSON(w, "Invalid Session ID", 11, "The session ID is invalid")
			return
		}
		if f.serveLogs(w, "get_entry_list", args) {
			return
		}
		f.list(w, args)
	default:
		if !f.serveLogs(w, r.FormValue("method"), args) {
			f.t.Errorf("fake v4_1: unexpected method %q", r.FormValue("method"))
		}
	}
}

// The three queries the client sends: none, "at or after", "after (date, id)".
var (
	fakeV4Since = regexp.MustCompile(`^(\w+)\.date_modified >= '([^']+)'$`)
	fakeV4After = regexp.MustCompile(`^\((\w+)\.date_modified > '([^']+)' OR \((\w+)\.date_modified = '([^']+)' AND (\w+)\.id > '([^']+)'\)\)$`)
)

func (f *fakeV4) list(w http.ResponseWriter, args map[string]any) {
	module, _ := args["module_name"].(string)
	query, _ := args["query"].(string)
	max := int(args["max_results"].(float64))
	deleted := args["deleted"] == float64(1)
	table := v4Table[module]
	if table == "" {
		json.NewEncoder(w).Encode(nil)
		return
	}
	if want := "date_modified ASC, id ASC"; args["order_by"] != want {
		f.t.Errorf("fake v4_1: order_by %q, want %q", args["order_by"], want)
	}
	keep := func(fakeV4Record) bool { return true }
	switch {
	case query == "":
	case fakeV4Since.MatchString(query):
		m := fakeV4Since.FindStringSubmatch(query)
		since, _ := time.Parse(v4Time, m[2])
		keep = func(r fakeV4Record) bool { return !r.modified.Before(since) }
	case fakeV4After.MatchString(query):
		m := fakeV4After.FindStringSubmatch(query)
		after, _ := time.Parse(v4Time, m[2])
		id := m[6]
		keep = func(r fakeV4Record) bool {
			return r.modified.After(after) || (r.modified.Equal(after) && r.fields["id"] > id)
		}
	default:
		f.t.Errorf("fake v4_1: a query the client should not send: %q", query)
	}
	var match []fakeV4Record
	for _, r := range f.records[module] {
		if (deleted || !r.deleted) && keep(r) {
			match = append(match, r)
		}
	}
	slices.SortFunc(match, func(a, b fakeV4Record) int {
		if c := a.modified.Compare(b.modified); c != 0 {
			return c
		}
		return strings.Compare(a.fields["id"], b.fields["id"])
	})
	match = match[:min(max, len(match))]
	type value struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	entries := []map[string]any{}
	for _, r := range match {
		nvl := map[string]value{}
		for _, fld := range args["select_fields"].([]any) {
			name := fld.(string)
			nvl[name] = value{name, r.fields[name]}
		}
		del := "0"
		if r.deleted {
			del = "1"
		}
		nvl["deleted"] = value{"deleted", del}
		nvl["date_modified"] = value{"date_modified", r.modified.Format(v4Time)}
		entries = append(entries, map[string]any{"id": r.fields["id"], "module_name": module, "name_value_list": nvl})
	}
	json.NewEncoder(w).Encode(map[string]any{"result_count": len(entries), "total_count": fmt.Sprint(len(match)),
		"next_offset": len(entries), "entry_list": entries, "relationship_list": []any{}})
}
