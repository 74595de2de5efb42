package crm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// fakeSugarLogs is the part of fakeSugar the call log uses, as Sugar's
// REST v11 serves it: POST /<module> creates a record, under the "id" the
// body gives (new_with_id) and refuses one that exists (422
// invalid_parameter "Record already exists"); PUT /<module>/<id> updates
// one (404 when there is none); POST and DELETE
// /Calls/<id>/link/<link>/<related> add and remove a related record;
// /<module>/filter and GET /me.
type fakeSugarLogs struct {
	records map[string]map[string]map[string]any // module → id → fields
	links   map[string]map[string]bool           // call id → "contacts:<id>"
	creates int
	// reject, when set, answers the next create instead of Sugar.
	reject func(w http.ResponseWriter)
}

func (l *fakeSugarLogs) init() {
	if l.records == nil {
		l.records = map[string]map[string]map[string]any{"Calls": {}, "Tasks": {},
			"Users": {"1": {"id": "1", "user_name": "admin"}, "u-sync": {"id": "u-sync", "user_name": "sync"}}}
		l.links = map[string]map[string]bool{}
	}
}

func (f *fakeSugar) logRecord(module, id string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs.init()
	return f.logs.records[module][id]
}

func (f *fakeSugar) logCount(module string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs.init()
	return len(f.logs.records[module])
}

func (f *fakeSugar) plant(module string, rec map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs.init()
	f.logs.records[module][fmt.Sprint(rec["id"])] = rec
}

// serveLogs answers the call log's requests (false for another one).
// f.mu is held; the token is checked.
func (f *fakeSugar) serveLogs(w http.ResponseWriter, r *http.Request, path string) bool {
	l := &f.logs
	l.init()
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if path == "/me" && r.Method == http.MethodGet {
		writeJSON(w, http.StatusOK, map[string]any{"current_user": map[string]any{"id": "u-sync", "user_name": f.user}})
		return true
	}
	recs, ok := l.records[parts[0]]
	if !ok {
		return false
	}
	module := parts[0]
	var body map[string]any
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil && len(parts) < 3 {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "invalid_parameter", "error_message": err.Error()})
			return true
		}
	}
	switch {
	case len(parts) == 2 && parts[1] == "filter" && r.Method == http.MethodPost:
		var filter []any
		if fl, ok := body["filter"].([]any); ok {
			filter = fl
		}
		var out []map[string]any
		for _, rec := range recs {
			match := true
			for _, c := range filter {
				m, _ := c.(map[string]any)
				match = match && f.matches(rec, m)
			}
			if match {
				out = append(out, rec)
			}
		}
		slices.SortFunc(out, func(a, b map[string]any) int {
			return strings.Compare(fmt.Sprint(a["date_start"]), fmt.Sprint(b["date_start"]))
		})
		writeJSON(w, http.StatusOK, map[string]any{"next_offset": -1, "records": out})
	case len(parts) == 1 && r.Method == http.MethodPost:
		if l.reject != nil {
			reject := l.reject
			l.reject = nil
			reject(w)
			return true
		}
		id, _ := body["id"].(string)
		if id == "" {
			f.serial++
			id = fmt.Sprintf("sugar-made-%d", f.serial)
		}
		if _, ok := recs[id]; ok {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "invalid_parameter", "error_message": "Record already exists: " + id + " in module: " + module})
			return true
		}
		body["id"] = id
		recs[id] = body
		l.creates++
		writeJSON(w, http.StatusOK, body)
	case len(parts) == 2 && r.Method == http.MethodPut:
		rec, ok := recs[parts[1]]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "error_message": "Could not find record: " + parts[1] + " in module: " + module})
			return true
		}
		for k, v := range body {
			rec[k] = v
		}
		writeJSON(w, http.StatusOK, rec)
	case len(parts) == 5 && module == "Calls" && parts[2] == "link" && (r.Method == http.MethodPost || r.Method == http.MethodDelete):
		id, link, related := parts[1], parts[3], parts[4]
		if _, ok := recs[id]; !ok || (link != "contacts" && link != "leads") {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "error_message": "Could not find record or link"})
			return true
		}
		if l.links[id] == nil {
			l.links[id] = map[string]bool{}
		}
		if r.Method == http.MethodPost {
			l.links[id][link+":"+related] = true
		} else {
			delete(l.links[id], link+":"+related)
		}
		writeJSON(w, http.StatusOK, map[string]any{"record": recs[id], "related_record": map[string]any{"id": related}})
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no_method", "error_message": "Could not find a route"})
	}
	return true
}
