package relay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/crm"
	"github.com/screenpop/screenpop/server/ovhsim"
)

// fakeWriter is a CRM's Calls and Tasks in memory, with the semantics
// the crm package's clients give (one record per id; PutCall with
// create on an existing id is a test failure: the relay must ask
// first). It fails the next fail writes, as a CRM answering 500.
type fakeWriter struct {
	t     *testing.T
	mu    sync.Mutex
	calls map[string]crm.CallLog
	tasks map[string]crm.TaskLog
	fail  int
	down  bool // every write fails
	puts  int
}

func newFakeWriter(t *testing.T) *fakeWriter {
	return &fakeWriter{t: t, calls: map[string]crm.CallLog{}, tasks: map[string]crm.TaskLog{}}
}

var errFakeDown = &crm.Error{Kind: crm.ErrServer, Err: errors.New("the CRM at http://crm.test answered 500 Internal Server Error")}

func (f *fakeWriter) failing() error {
	if f.down {
		return errFakeDown
	}
	if f.fail > 0 {
		f.fail--
		return errFakeDown
	}
	return nil
}

func (f *fakeWriter) RecordState(_ context.Context, module, id string) (crm.RecordState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing(); err != nil {
		return 0, err
	}
	_, ok := f.calls[id]
	if module == "Tasks" {
		_, ok = f.tasks[id]
	}
	if ok {
		return crm.RecordLive, nil
	}
	return crm.RecordMissing, nil
}

func (f *fakeWriter) PutCall(_ context.Context, c crm.CallLog, create bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing(); err != nil {
		return err
	}
	f.puts++
	if _, ok := f.calls[c.ID]; ok == create {
		f.t.Errorf("PutCall %s with create %v on a record that exists: %v", c.ID, create, ok)
	}
	f.calls[c.ID] = c
	return nil
}

func (f *fakeWriter) PutTask(_ context.Context, tk crm.TaskLog, create bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing(); err != nil {
		return err
	}
	if _, ok := f.tasks[tk.ID]; ok == create {
		f.t.Errorf("PutTask %s with create %v on a record that exists: %v", tk.ID, create, ok)
	}
	f.tasks[tk.ID] = tk
	return nil
}

func (f *fakeWriter) PlannedCall(_ context.Context, parent directory.Ref, at time.Time, window time.Duration) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, c := range f.calls {
		if c.Status == crm.CallPlanned && c.Parent != nil && *c.Parent == parent && c.Start.Sub(at).Abs() <= window {
			return id, nil
		}
	}
	return "", nil
}

func (f *fakeWriter) UserID(_ context.Context, name string) (string, error) {
	switch name {
	case "":
		return "api-user", nil
	case "alice":
		return "u-alice", nil
	}
	return "", crm.ErrNoUser
}

func (f *fakeWriter) snapshot() (map[string]crm.CallLog, map[string]crm.TaskLog) {
	f.mu.Lock()
	defer f.mu.Unlock()
	calls, tasks := map[string]crm.CallLog{}, map[string]crm.TaskLog{}
	for k, v := range f.calls {
		calls[k] = v
	}
	for k, v := range f.tasks {
		tasks[k] = v
	}
	return calls, tasks
}

func (f *fakeWriter) set(change func(f *fakeWriter)) {
	f.mu.Lock()
	change(f)
	f.mu.Unlock()
}

// callRecord waits for the Call record of an OVH call on line to match ok.
func callRecord(t *testing.T, f *fakeWriter, line, callID string, ok func(crm.CallLog) bool) crm.CallLog {
	t.Helper()
	id := crm.CallRecordID(line, callID)
	var c crm.CallLog
	waitfor.Until(t, "the Call record of call "+callID, func() bool {
		calls, _ := f.snapshot()
		var found bool
		c, found = calls[id]
		return found && ok(c)
	})
	return c
}

func anyRecord(crm.CallLog) bool { return true }

func ringCall(t *testing.T, h *harness, line, calling, scenario string) string {
	t.Helper()
	id, err := h.sim.Ring(ovhsim.Call{Line: line, Calling: calling, Scenario: scenario, RingFor: 50 * time.Millisecond, TalkFor: 80 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func callLogHarness(t *testing.T, w *fakeWriter, cl CallLog, search crm.Searcher) *harness {
	t.Helper()
	cl.Writer = w
	if cl.RetryMin == 0 {
		cl.RetryMin, cl.RetryMax = 5*time.Millisecond, 20*time.Millisecond
	}
	return newHarness(t, Config{CRM: &CRM{Directory: testDirectory(t), Search: search, RecordURL: testRecordURL}, CallLog: &cl})
}

// TestCallLogAnsweredAndMissed: an answered call and a missed one each
// leave one Call record with its fields and relation; a missed call
// makes one Task, and a second missed call from the same caller that
// day no second one.
func TestCallLogAnsweredAndMissed(t *testing.T) {
	w := newFakeWriter(t)
	h := callLogHarness(t, w, CallLog{Callback: CallbackTask}, nil)
	h.agent(t, "alice", testLine)

	answered := ringCall(t, h, testLine, "0033612345682", ovhsim.Answered)
	c := callRecord(t, w, testLine, answered, anyRecord)
	alice := directory.Ref{Module: "Contacts", ID: "c-alice"}
	if c.Status != crm.CallHeld || c.Direction != crm.CallInbound || c.Parent == nil || *c.Parent != alice ||
		c.Name != "Inbound call from Alice Martin" || c.Duration <= 0 || c.AssignedUser != "u-alice" || c.Start.IsZero() {
		t.Errorf("answered call's record: %+v", c)
	}
	for _, want := range []string{"Line: " + testLine + " (Accueil)", "Caller: +33612345682", "Talked:"} {
		if !strings.Contains(c.Description, want) {
			t.Errorf("description %q lacks %q", c.Description, want)
		}
	}

	missed := ringCall(t, h, testLine, "0033612345682", ovhsim.Missed)
	c = callRecord(t, w, testLine, missed, anyRecord)
	if c.Status != crm.CallNotHeld || c.Parent == nil || *c.Parent != alice || !strings.Contains(c.Description, "Not answered") {
		t.Errorf("missed call's record: %+v", c)
	}
	waitfor.Until(t, "the call-back task", func() bool { _, tasks := w.snapshot(); return len(tasks) == 1 })
	missed2 := ringCall(t, h, testLine, "0033612345682", ovhsim.Missed)
	callRecord(t, w, testLine, missed2, anyRecord)
	calls, tasks := w.snapshot()
	if len(calls) != 3 || len(tasks) != 1 {
		t.Fatalf("%d Call records and %d Tasks, want 3 and 1", len(calls), len(tasks))
	}
	for _, tk := range tasks {
		if tk.Parent == nil || *tk.Parent != alice || tk.AssignedUser != "u-alice" || !strings.Contains(tk.Description, "index.php?module=Contacts") || tk.Name != "Call back Alice Martin" {
			t.Errorf("task: %+v", tk)
		}
	}
}

// TestCallLogRetries: a CRM that answers 500 twice, then works: the
// write is retried, one record; /healthz shows the queue and the error
// meanwhile, then none.
func TestCallLogRetries(t *testing.T) {
	w := newFakeWriter(t)
	w.down = true
	h := callLogHarness(t, w, CallLog{}, nil)
	id := ringCall(t, h, testLine, "0033612345682", ovhsim.Answered)
	var hz Health
	waitfor.Until(t, "the queued write in /healthz", func() bool {
		_, b := h.request(t, "GET", "/healthz", "", nil)
		hz = Health{}
		json.Unmarshal(b, &hz)
		return hz.CRMCallLog != nil && hz.CRMCallLog.Queued == 1 && hz.CRMCallLog.Failed >= 2
	})
	if !strings.Contains(hz.CRMCallLog.LastError, "500") {
		t.Errorf("health's last error %q does not say the CRM answered 500", hz.CRMCallLog.LastError)
	}
	_, metrics := h.request(t, "GET", "/metrics", "", nil)
	if !strings.Contains(string(metrics), "screenpop_crm_calllog_queued 1") {
		t.Errorf("metrics lack the queued write:\n%s", metrics)
	}
	w.set(func(f *fakeWriter) { f.down = false })
	callRecord(t, w, testLine, id, anyRecord)
	waitfor.Until(t, "an empty queue in /healthz", func() bool {
		_, b := h.request(t, "GET", "/healthz", "", nil)
		hz = Health{}
		json.Unmarshal(b, &hz)
		return hz.CRMCallLog != nil && hz.CRMCallLog.Queued == 0 && hz.CRMCallLog.Written == 1 && hz.CRMCallLog.LastError == ""
	})
	if calls, _ := w.snapshot(); len(calls) != 1 {
		t.Errorf("%d records, want 1", len(calls))
	}
}

// TestCallLogSurvivesRestart: the CRM is down when the call ends; the
// relay stops with the write queued; a new relay on the same data file
// writes it, once.
func TestCallLogSurvivesRestart(t *testing.T) {
	w := newFakeWriter(t)
	w.down = true
	h := callLogHarness(t, w, CallLog{}, nil)
	id := ringCall(t, h, testLine, "0033612345682", ovhsim.Answered)
	waitfor.Until(t, "the queued, failing write", func() bool {
		e, ok, _ := h.store.CallLog(testLine, id)
		return ok && e.Queued && e.Attempts > 0
	})
	h.relay.Close()
	if calls, _ := w.snapshot(); len(calls) != 0 {
		t.Fatal("a record was written while the CRM was down")
	}
	w.set(func(f *fakeWriter) { f.down = false })
	cl := CallLog{Writer: w, RetryMin: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond}
	h2 := newHarness(t, Config{Store: h.store, CRM: &CRM{Directory: testDirectory(t), RecordURL: testRecordURL}, CallLog: &cl})
	c := callRecord(t, w, testLine, id, anyRecord)
	if c.Status != crm.CallHeld {
		t.Errorf("record after the restart: %+v", c)
	}
	waitfor.Until(t, "the write done", func() bool { e, _, _ := h2.store.CallLog(testLine, id); return !e.Queued })
	if calls, _ := w.snapshot(); len(calls) != 1 {
		t.Errorf("%d records, want 1", len(calls))
	}
}

// TestCallLogSeveralMatchesAndNote: a number two records share relates
// the call to none, and says so; the agent's note and choice then
// update the same record.
func TestCallLogSeveralMatchesAndNote(t *testing.T) {
	w := newFakeWriter(t)
	h := callLogHarness(t, w, CallLog{}, nil)
	secret := h.agent(t, "bob", testLine)
	other := h.agent(t, "carol", testLine2)
	id := ringCall(t, h, testLine, "0033140000000", ovhsim.Answered)
	c := callRecord(t, w, testLine, id, anyRecord)
	if c.Parent != nil || !strings.Contains(c.Description, "Several CRM records share this number") ||
		!strings.Contains(c.Description, "Durand SARL (Accounts a-shared)") || c.Name != "Inbound call from +33140000000" {
		t.Errorf("record of a shared number: %+v", c)
	}

	body := `{"line":"` + testLine + `","id":"` + id + `","note":"Wants a quote for 3 seats","record":{"module":"Leads","id":"l-shared"}}`
	resp, b := h.request(t, "POST", stream.PathCallNote, secret, strings.NewReader(body))
	var noted stream.CallNoted
	json.Unmarshal(b, &noted)
	if resp.StatusCode != http.StatusOK || !noted.Logged || !noted.Queued || noted.RecordID != crm.CallRecordID(testLine, id) {
		t.Fatalf("note: %d %s", resp.StatusCode, b)
	}
	c = callRecord(t, w, testLine, id, func(c crm.CallLog) bool { return c.Parent != nil })
	if *c.Parent != (directory.Ref{Module: "Leads", ID: "l-shared"}) || !strings.Contains(c.Description, "Note:\nWants a quote for 3 seats") ||
		strings.Contains(c.Description, "Several") || c.Name != "Inbound call from Bruno Durand" {
		t.Errorf("record after the note: %+v", c)
	}
	// An edit of the note only: the same record, the relation kept.
	resp, b = h.request(t, "POST", stream.PathCallNote, secret, strings.NewReader(`{"line":"+33972101010","id":"`+id+`","note":"Quote sent"}`))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("edit: %d %s", resp.StatusCode, b)
	}
	c = callRecord(t, w, testLine, id, func(c crm.CallLog) bool { return strings.Contains(c.Description, "Quote sent") })
	if c.Parent == nil || c.Parent.ID != "l-shared" {
		t.Errorf("the edit lost the relation: %+v", c)
	}
	if calls, _ := w.snapshot(); len(calls) != 1 {
		t.Errorf("%d records, want 1", len(calls))
	}

	for _, tc := range []struct {
		name, secret, body string
		status             int
	}{
		{"another agent's line", other, `{"line":"` + testLine + `","id":"` + id + `","note":"x"}`, http.StatusForbidden},
		{"no call id", secret, `{"line":"` + testLine + `","note":"x"}`, http.StatusBadRequest},
		{"a record of no module", secret, `{"line":"` + testLine + `","id":"` + id + `","record":{"module":"Users","id":"1"}}`, http.StatusBadRequest},
		{"an unknown call", secret, `{"line":"` + testLine + `","id":"nope","note":"x"}`, http.StatusNotFound},
		{"an unknown field", secret, `{"line":"` + testLine + `","id":"` + id + `","notes":"x"}`, http.StatusBadRequest},
		{"no secret", "", `{"line":"` + testLine + `","id":"` + id + `","note":"x"}`, http.StatusUnauthorized},
	} {
		resp, b := h.request(t, "POST", stream.PathCallNote, tc.secret, strings.NewReader(tc.body))
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, b, tc.status)
		}
	}
}

// TestCallLogPlannedCall: a Planned Call of the caller's record near the
// call is updated to the held call rather than a second record made.
func TestCallLogPlannedCall(t *testing.T) {
	w := newFakeWriter(t)
	alice := &directory.Ref{Module: "Contacts", ID: "c-alice"}
	w.calls["planned-1"] = crm.CallLog{ID: "planned-1", Status: crm.CallPlanned, Parent: alice, Start: time.Now().Add(20 * time.Minute), Name: "Call Alice about the quote"}
	h := callLogHarness(t, w, CallLog{}, nil)
	id := ringCall(t, h, testLine, "0033612345682", ovhsim.Answered)
	waitfor.Until(t, "the planned call held", func() bool { calls, _ := w.snapshot(); return calls["planned-1"].Status == crm.CallHeld })
	calls, _ := w.snapshot()
	if len(calls) != 1 {
		t.Errorf("%d records, want the planned one only", len(calls))
	}
	if e, _, _ := h.store.CallLog(testLine, id); !strings.Contains(string(e.Data), `"recordId":"planned-1"`) {
		t.Errorf("the entry does not keep the planned call's id: %s", e.Data)
	}
}

// laterSearcher knows nothing at the first lookup (the ring) and the
// record made meanwhile afterwards (the end of the call).
type laterSearcher struct {
	mu  sync.Mutex
	n   int
	rec directory.Record
}

func (s *laterSearcher) Search(context.Context, phone.Number, string) ([]directory.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.n == 1 {
		return nil, nil
	}
	return []directory.Record{s.rec}, nil
}

// TestCallLogContactMadeDuringTheCall: the card had no match; the
// contact made during the call is found at write time and related.
func TestCallLogContactMadeDuringTheCall(t *testing.T) {
	w := newFakeWriter(t)
	s := &laterSearcher{rec: directory.Record{Module: "Contacts", ID: "c-new", Name: "Chloé Petit", Phones: []directory.Phone{{Field: "phone_mobile", Number: "06 98 76 54 32"}}}}
	h := callLogHarness(t, w, CallLog{}, s)
	id := ringCall(t, h, testLine, "0033698765432", ovhsim.Answered)
	c := callRecord(t, w, testLine, id, anyRecord)
	if c.Parent == nil || c.Parent.ID != "c-new" {
		t.Errorf("record: %+v, want it related to the new contact", c)
	}
}

// TestCallLogLines: only the lines configured are logged.
func TestCallLogLines(t *testing.T) {
	w := newFakeWriter(t)
	h := callLogHarness(t, w, CallLog{Lines: []string{"+33972101011"}}, nil)
	skipped := ringCall(t, h, testLine, "0033612345682", ovhsim.Answered)
	waitfor.Until(t, "the first call in the history", func() bool {
		calls, _ := h.store.RecentCalls(nil, 10, time.Time{})
		return len(calls) == 1 && !calls[0].Live()
	})
	logged := ringCall(t, h, testLine2, "0033612345682", ovhsim.Answered)
	callRecord(t, w, testLine2, logged, anyRecord)
	if _, ok, _ := h.store.CallLog(testLine, skipped); ok {
		t.Error("a call on a line not configured was queued")
	}
	if calls, _ := w.snapshot(); len(calls) != 1 {
		t.Errorf("%d records, want 1", len(calls))
	}
}
