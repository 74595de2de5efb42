package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/screenpop/screenpop/e2e/suitecrm"
	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/crm"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/server/relay"
)

// These tests log calls in the real SuiteCRM 7.14.6 of e2e/suitecrm, as
// screenpop-relay does (crm-log-calls), and read the CRM back through
// REST v4_1: one Call record per call, whatever fails in between.

// writeFaults stands between the relay and the real SuiteCRM and fails
// the CRM's writes (set_entry) on demand: the next failOnce with a 500,
// or every one while down (the connection closed).
type writeFaults struct {
	srv      *httptest.Server
	failOnce atomic.Int32
	down     atomic.Bool
	failed   atomic.Int32 // writes failed
}

func newWriteFaults(t *testing.T, target string) *writeFaults {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	f := &writeFaults{}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u); r.Out.Host = u.Host }}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		form, _ := url.ParseQuery(string(body))
		if form.Get("method") == "set_entry" {
			switch {
			case f.down.Load():
				f.failed.Add(1)
				panic(http.ErrAbortHandler)
			case f.failOnce.Load() > 0:
				f.failOnce.Add(-1)
				f.failed.Add(1)
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, "<html><body><h1>500 Internal Server Error</h1></body></html>")
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// v4Query lists records of module matching an SQL where clause, with
// fields, straight from the CRM.
func v4Query(t *testing.T, ctx context.Context, c *suitecrm.CRM, module, query string, fields ...string) []map[string]string {
	t.Helper()
	args := &struct {
		crm.Session
		ModuleName   string   `json:"module_name"`
		Query        string   `json:"query"`
		OrderBy      string   `json:"order_by"`
		Offset       int      `json:"offset"`
		SelectFields []string `json:"select_fields"`
		Links        []any    `json:"link_name_to_fields_array"`
		MaxResults   int      `json:"max_results"`
		Deleted      int      `json:"deleted"`
		Favorites    bool     `json:"favorites"`
	}{ModuleName: module, Query: query, SelectFields: append([]string{"id"}, fields...), Links: []any{}, MaxResults: 100}
	var out struct {
		EntryList []struct {
			NameValueList map[string]struct {
				Value string `json:"value"`
			} `json:"name_value_list"`
		} `json:"entry_list"`
	}
	if err := c.API().Call(ctx, "get_entry_list", args, &out); err != nil {
		t.Fatal(err)
	}
	var rs []map[string]string
	for _, e := range out.EntryList {
		m := map[string]string{}
		for k, v := range e.NameValueList {
			m[k] = v.Value
		}
		rs = append(rs, m)
	}
	return rs
}

// relatedContacts lists the contacts of a Call (its contacts
// relationship), as the Call's subpanel shows them.
func relatedContacts(t *testing.T, ctx context.Context, c *suitecrm.CRM, callID string) []string {
	t.Helper()
	args := &struct {
		crm.Session
		ModuleName    string   `json:"module_name"`
		ModuleID      string   `json:"module_id"`
		LinkFieldName string   `json:"link_field_name"`
		Query         string   `json:"related_module_query"`
		Fields        []string `json:"related_fields"`
		Links         []any    `json:"related_module_link_name_to_fields_array"`
		Deleted       int      `json:"deleted"`
		OrderBy       string   `json:"order_by"`
		Offset        int      `json:"offset"`
		Limit         int      `json:"limit"`
	}{ModuleName: "Calls", ModuleID: callID, LinkFieldName: "contacts", Fields: []string{"id"}, Links: []any{}, Limit: 20}
	var out struct {
		EntryList []struct {
			ID string `json:"id"`
		} `json:"entry_list"`
	}
	if err := c.API().Call(ctx, "get_relationships", args, &out); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range out.EntryList {
		ids = append(ids, e.ID)
	}
	return ids
}

// callsOf lists the Call records of one OVH call: the id the relay
// writes under, and any other record whose description names the call
// (a duplicate would).
func callsOf(t *testing.T, ctx context.Context, c *suitecrm.CRM, callID string) []map[string]string {
	t.Helper()
	return v4Query(t, ctx, c, "Calls", "calls.description LIKE '%(OVH call "+strings.ReplaceAll(callID, "'", "")+").%'",
		"name", "status", "direction", "date_start", "duration_hours", "duration_minutes", "description", "parent_type", "parent_id", "assigned_user_id")
}

// endedCall rings a call of scenario from calling and returns its last
// event, once it ended.
func (s *crmStack) endedCall(t *testing.T, calling, scenario string) *stream.Event {
	t.Helper()
	id, err := s.sim.Ring(ovhsim.Call{Line: testLine, Calling: calling, Scenario: scenario, RingFor: 200 * time.Millisecond, TalkFor: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for {
		ev := s.nextOf(t, id)
		if !ev.Call.Live() {
			return ev
		}
	}
}

// oneRecord waits for the call's one Call record and returns it.
func oneRecord(t *testing.T, ctx context.Context, c *suitecrm.CRM, ev *stream.Event) map[string]string {
	t.Helper()
	want := crm.CallRecordID(testLine, ev.Call.ID)
	var rs []map[string]string
	waitfor.Until(t, "the Call record of call "+ev.Call.ID+" in SuiteCRM", func() bool {
		rs = callsOf(t, ctx, c, ev.Call.ID)
		return len(rs) > 0
	})
	if len(rs) != 1 || rs[0]["id"] != want {
		t.Fatalf("call %s: records %v, want exactly one, %s", ev.Call.ID, rs, want)
	}
	return rs[0]
}

// settled waits for the relay's call log queue to be empty: every write
// (relations and call-backs too) done.
func (s *crmStack) settled(t *testing.T) {
	t.Helper()
	waitfor.Until(t, "the call log queue to empty", func() bool {
		h, _ := s.health(t)
		return h.CRMCallLog != nil && h.CRMCallLog.Queued == 0
	})
}

// TestCallLogRealSuiteCRM: against the real SuiteCRM, through the relay
// as screenpop-relay runs it: an answered and a missed call each leave
// exactly one Call record with its fields and relation; a missed call
// makes one Task, a second missed call that day no other; a CRM that
// answers 500 once, or is down while the relay restarts between the end
// of the call and the write, still gets exactly one record; the agent's
// note lands in it.
func TestCallLogRealSuiteCRM(t *testing.T) {
	c := suitecrm.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	faults := newWriteFaults(t, c.BaseURL)
	s := newCRMStack(t)
	cfg := s.config(faults.srv.URL, c.User, c.Password, time.Second)
	cfg.CRMLogCalls, cfg.CRMCallback = "all", relay.CallbackTask
	s.start(t, cfg)
	s.waitCRM(t, "the first full sync", func(h *relay.CRMHealth) bool { return h.State == "ok" })
	alice := c.Record(t, "Alice Martin")

	t.Run("set_entry of an id SuiteCRM does not hold", func(t *testing.T) {
		// Measured: without new_with_id, set_entry answers the id and
		// saves nothing (an UPDATE of no row); with it, the record is
		// made under that id.
		id := crm.CallRecordID(testLine, "measure-"+uniqueMobile(t))
		l := crm.CallLog{ID: id, Name: "screenpop measure", Direction: crm.CallInbound, Status: crm.CallHeld, Start: time.Now()}
		err := c.API().PutCall(ctx, l, false)
		st, serr := c.API().RecordState(ctx, "Calls", id)
		t.Logf("set_entry without new_with_id: err %v, then the record is %v (0 missing, 1 live)", err, st)
		if serr != nil || st != crm.RecordMissing {
			t.Errorf("set_entry of a new id without new_with_id made a record (%v, %v): the create-with-id rule in calls_v4.go is wrong", st, serr)
		}
		if err := crm.SaveCall(ctx, c.API(), l); err != nil {
			t.Fatal(err)
		}
		if st, _ := c.API().RecordState(ctx, "Calls", id); st != crm.RecordLive {
			t.Errorf("with new_with_id: %v, want the record", st)
		}
		if err := crm.SaveCall(ctx, c.API(), l); err != nil {
			t.Fatal(err)
		}
		if rs := v4Query(t, ctx, c, "Calls", "calls.id = '"+id+"'"); len(rs) != 1 {
			t.Errorf("after a second save: %d records, want 1", len(rs))
		}
		c.Delete(ctx, "Calls", id)
	})

	t.Run("an answered call", func(t *testing.T) {
		ev := s.endedCall(t, ovhForm(t, alice.Number), ovhsim.Answered)
		r := oneRecord(t, ctx, c, ev)
		s.settled(t)
		t.Cleanup(func() { c.Delete(context.Background(), "Calls", r["id"]) })
		want := map[string]string{"name": "Inbound call from Alice Martin", "status": "Held", "direction": "Inbound",
			"parent_type": "Contacts", "parent_id": alice.ID, "date_start": ev.Call.RingAt.UTC().Format("2006-01-02 15:04:05"),
			"duration_hours": "0", "duration_minutes": "1"}
		for k, v := range want {
			if r[k] != v {
				t.Errorf("%s = %q, want %q", k, r[k], v)
			}
		}
		for _, part := range []string{"Line: " + testLine, "Caller: +33", "Talked:"} {
			if !strings.Contains(r["description"], part) {
				t.Errorf("description %q lacks %q", r["description"], part)
			}
		}
		if ids := relatedContacts(t, ctx, c, r["id"]); len(ids) != 1 || ids[0] != alice.ID {
			t.Errorf("the call's contacts: %v, want Alice", ids)
		}

		// The agent's note, after the call: the same record.
		body := `{"line":"` + testLine + `","id":"` + ev.Call.ID + `","note":"Asked for the December invoice"}`
		resp, err := http.Post("http://"+s.p.addr+stream.PathCallNote, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var noted stream.CallNoted
		if json.Unmarshal(b, &noted); resp.StatusCode != http.StatusOK || !noted.Queued || noted.RecordID != r["id"] {
			t.Fatalf("note: %d %s", resp.StatusCode, b)
		}
		waitfor.Until(t, "the note in the record", func() bool {
			rs := callsOf(t, ctx, c, ev.Call.ID)
			return len(rs) == 1 && strings.Contains(rs[0]["description"], "Asked for the December invoice")
		})
		if rs := callsOf(t, ctx, c, ev.Call.ID); len(rs) != 1 || rs[0]["id"] != r["id"] || rs[0]["parent_id"] != alice.ID {
			t.Errorf("after the note: %v", rs)
		}
	})

	t.Run("a missed call and its one call-back task", func(t *testing.T) {
		number := uniqueMobile(t)
		contact, err := c.SetEntry(ctx, "Contacts", map[string]string{"first_name": "Rémi", "last_name": "Rappel", "phone_mobile": number})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Delete(context.Background(), "Contacts", contact) })
		waitfor.Until(t, "the sync to add the contact", func() bool { return len(s.p.crm.dir.LookupRaw(number)) == 1 })
		var ids []string
		for range 2 {
			ev := s.endedCall(t, ovhForm(t, number), ovhsim.Missed)
			r := oneRecord(t, ctx, c, ev)
			s.settled(t)
			ids = append(ids, r["id"])
			if r["status"] != "Not Held" || r["parent_id"] != contact || r["duration_minutes"] != "0" || !strings.Contains(r["description"], "Not answered") {
				t.Errorf("missed call's record: %v", r)
			}
		}
		t.Cleanup(func() {
			for _, id := range ids {
				c.Delete(context.Background(), "Calls", id)
			}
		})
		var tasks []map[string]string
		waitfor.Until(t, "the call-back task", func() bool {
			tasks = v4Query(t, ctx, c, "Tasks", "tasks.parent_id = '"+contact+"'", "name", "status", "contact_id", "description", "assigned_user_id")
			return len(tasks) > 0
		})
		t.Cleanup(func() {
			for _, tk := range tasks {
				c.Delete(context.Background(), "Tasks", tk["id"])
			}
		})
		key, _ := directory.Key(number, "FR")
		if len(tasks) != 1 || tasks[0]["id"] != crm.CallbackID(key, time.Now().Format(time.DateOnly)) || tasks[0]["name"] != "Call back Rémi Rappel" ||
			tasks[0]["contact_id"] != contact || tasks[0]["status"] != "Not Started" || !strings.Contains(tasks[0]["description"], "record="+contact) {
			t.Errorf("tasks: %v, want one call-back for the contact", tasks)
		}
	})

	t.Run("the CRM answers 500 once", func(t *testing.T) {
		faults.failOnce.Store(1)
		before := faults.failed.Load()
		ev := s.endedCall(t, ovhForm(t, alice.Number), ovhsim.Answered)
		r := oneRecord(t, ctx, c, ev)
		s.settled(t)
		t.Cleanup(func() { c.Delete(context.Background(), "Calls", r["id"]) })
		if ids := relatedContacts(t, ctx, c, r["id"]); len(ids) != 1 || ids[0] != alice.ID {
			t.Errorf("the call's contacts: %v, want Alice", ids)
		}
		if faults.failed.Load() != before+1 {
			t.Errorf("%d writes failed, want the one 500", faults.failed.Load()-before)
		}
		if r["status"] != "Held" || r["parent_id"] != alice.ID {
			t.Errorf("record after a 500: %v", r)
		}
	})

	t.Run("the relay restarts between the end of the call and the write", func(t *testing.T) {
		faults.down.Store(true)
		ev := s.endedCall(t, ovhForm(t, alice.Number), ovhsim.Answered)
		var h relay.Health
		waitfor.Until(t, "the write queued and failing in /healthz", func() bool {
			h, _ = s.health(t)
			return h.CRMCallLog != nil && h.CRMCallLog.Queued >= 1 && h.CRMCallLog.LastError != ""
		})
		t.Logf("CRM down: healthz crmCallLog %+v", *h.CRMCallLog)
		s.stop()
		if err := s.p.wait(); err != nil {
			t.Fatal(err)
		}
		if rs := callsOf(t, ctx, c, ev.Call.ID); len(rs) != 0 {
			t.Fatalf("written while the CRM was down: %v", rs)
		}
		faults.down.Store(false)
		s.start(t, cfg)
		r := oneRecord(t, ctx, c, ev)
		s.settled(t)
		t.Cleanup(func() { c.Delete(context.Background(), "Calls", r["id"]) })
		if rs := callsOf(t, ctx, c, ev.Call.ID); len(rs) != 1 {
			t.Errorf("%d records after the restart, want 1", len(rs))
		}
	})
}
