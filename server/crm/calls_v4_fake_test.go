package crm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"
)

// fakeLogs is the part of fakeV4 the call log uses: Calls and Tasks
// written with set_entry as SuiteCRM's set_entry writes them (see
// calls_v4.go: an unknown id without new_with_id saves nothing and still
// answers the id; new_with_id on an existing id inserts nothing more),
// the Calls' contacts and leads links, the Users, and the queries the
// client sends about them.
type fakeLogs struct {
	records map[string]map[string]map[string]string // module → id → fields
	links   map[string]map[string]bool              // call id → "contacts:<id>" → linked
	users   map[string]string                       // user_name → id
	apiUser string                                  // get_user_id's answer
	writes  int                                     // set_entry calls
	// refuse, when set, answers set_entry instead of the CRM.
	refuse func(w http.ResponseWriter)
}

func (l *fakeLogs) init() {
	if l.records == nil {
		l.records = map[string]map[string]map[string]string{"Calls": {}, "Tasks": {}}
		l.links = map[string]map[string]bool{}
		l.users = map[string]string{"admin": "1", "sync": "seed-sync-user"}
		l.apiUser = "seed-sync-user"
	}
}

// logRecord returns a copy of a record written (nil when none).
func (f *fakeV4) logRecord(module, id string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs.init()
	r := f.logs.records[module][id]
	if r == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range r {
		out[k] = v
	}
	return out
}

func (f *fakeV4) logCount(module string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs.init()
	return len(f.logs.records[module])
}

func (f *fakeV4) linked(callID, link, id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs.init()
	return f.logs.links[callID][link+":"+id]
}

// plant stores a record as a CRM user would have made it.
func (f *fakeV4) plant(module string, fields map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs.init()
	f.logs.records[module][fields["id"]] = fields
}

var (
	fakeV4ByID    = regexp.MustCompile(`^(calls|tasks)\.id = '([^']+)'$`)
	fakeV4UserQ   = regexp.MustCompile(`^users\.user_name = '([^']+)'$`)
	fakeV4Planned = regexp.MustCompile(`^calls\.status = 'Planned' AND calls\.parent_type = '([^']+)' AND calls\.parent_id = '([^']+)' AND calls\.date_start >= '([^']+)' AND calls\.date_start <= '([^']+)'$`)
)

// serveLogs answers the call log's methods; false for another call.
// f.mu is held.
func (f *fakeV4) serveLogs(w http.ResponseWriter, method string, args map[string]any) bool {
	module, _ := args["module_name"].(string)
	if method == "get_entry_list" && module != "Calls" && module != "Tasks" && module != "Users" {
		return false
	}
	switch method {
	case "get_entry_list", "set_entry", "set_relationship", "get_user_id":
	default:
		return false
	}
	if args["session"] != f.session || f.session == "" {
		v4FaultJSON(w, "Invalid Session ID", 11, "The session ID is invalid")
		return true
	}
	l := &f.logs
	l.init()
	switch method {
	case "get_user_id":
		json.NewEncoder(w).Encode(l.apiUser)
	case "get_entry_list":
		f.listLogs(w, module, args)
	case "set_entry":
		l.writes++
		if l.refuse != nil {
			l.refuse(w)
			return true
		}
		fields, newWithID := map[string]string{}, false
		nvl, _ := args["name_value_list"].([]any)
		for _, e := range nvl {
			m, _ := e.(map[string]any)
			name, _ := m["name"].(string)
			if name == "new_with_id" {
				newWithID = m["value"] == true
				continue
			}
			fields[name] = fmt.Sprint(m["value"])
		}
		id := fields["id"]
		rs := l.records[module]
		if rs == nil {
			json.NewEncoder(w).Encode(nil)
			return true
		}
		switch old, ok := rs[id]; {
		case ok && !newWithID:
			for k, v := range fields {
				old[k] = v
			}
			old["date_modified"] = f.now.Format(v4Time)
		case !ok && newWithID:
			fields["deleted"] = "0"
			fields["date_entered"] = f.now.Format(v4Time)
			fields["date_modified"] = fields["date_entered"]
			rs[id] = fields
		}
		// !ok && !newWithID: an UPDATE of no row; ok && newWithID: a
		// duplicate INSERT the database refuses (logged, not answered).
		f.now = f.now.Add(time.Second)
		json.NewEncoder(w).Encode(map[string]any{"id": id, "entry_list": map[string]any{}})
	case "set_relationship":
		id, _ := args["module_id"].(string)
		link, _ := args["link_field_name"].(string)
		ids, _ := args["related_ids"].([]any)
		if _, ok := l.records["Calls"][id]; !ok || module != "Calls" || (link != "contacts" && link != "leads") {
			json.NewEncoder(w).Encode(map[string]int{"created": 0, "failed": len(ids), "deleted": 0})
			return true
		}
		if l.links[id] == nil {
			l.links[id] = map[string]bool{}
		}
		created, deleted := 0, 0
		for _, r := range ids {
			key := link + ":" + fmt.Sprint(r)
			if args["delete"] == float64(1) {
				delete(l.links[id], key)
				deleted++
			} else {
				l.links[id][key] = true
				created++
			}
		}
		json.NewEncoder(w).Encode(map[string]int{"created": created, "failed": 0, "deleted": deleted})
	}
	return true
}

func (f *fakeV4) listLogs(w http.ResponseWriter, module string, args map[string]any) {
	query, _ := args["query"].(string)
	l := &f.logs
	var out []map[string]string
	switch {
	case module == "Users" && fakeV4UserQ.MatchString(query):
		name := fakeV4UserQ.FindStringSubmatch(query)[1]
		if id, ok := l.users[name]; ok {
			out = append(out, map[string]string{"id": id, "user_name": name})
		}
	case fakeV4ByID.MatchString(query):
		m := fakeV4ByID.FindStringSubmatch(query)
		if r, ok := l.records[module][m[2]]; ok && (args["deleted"] == float64(1) || r["deleted"] != "1") {
			out = append(out, r)
		}
	case module == "Calls" && fakeV4Planned.MatchString(query):
		m := fakeV4Planned.FindStringSubmatch(query)
		for _, r := range l.records["Calls"] {
			if r["deleted"] != "1" && r["status"] == "Planned" && r["parent_type"] == m[1] && r["parent_id"] == m[2] &&
				r["date_start"] >= m[3] && r["date_start"] <= m[4] {
				out = append(out, r)
			}
		}
		slices.SortFunc(out, func(a, b map[string]string) int {
			if a["date_start"] < b["date_start"] {
				return -1
			}
			return 1
		})
	default:
		f.t.Errorf("fake v4_1: a %s query the client should not send: %q", module, query)
	}
	type value struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	entries := []map[string]any{}
	for _, r := range out {
		nvl := map[string]value{}
		for _, fld := range args["select_fields"].([]any) {
			name := fld.(string)
			nvl[name] = value{name, r[name]}
		}
		entries = append(entries, map[string]any{"id": r["id"], "module_name": module, "name_value_list": nvl})
	}
	json.NewEncoder(w).Encode(map[string]any{"result_count": len(entries), "total_count": fmt.Sprint(len(entries)),
		"next_offset": len(entries), "entry_list": entries, "relationship_list": []any{}})
}
