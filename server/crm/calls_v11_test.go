package crm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
)

// TestV11SaveCall: the Call record through Sugar's REST v11: created
// with its id (POST /Calls), then updated (PUT /Calls/{id}): one record,
// linked to its contact, then to the lead the agent chose instead.
func TestV11SaveCall(t *testing.T) {
	f, srv := newFakeSugar(t)
	v := newV11(t, f, srv.URL, nil)
	ctx := context.Background()
	id := CallRecordID("0033972101010", "call-1")
	alice := &directory.Ref{Module: "Contacts", ID: "c-alice"}
	l := CallLog{ID: id, Name: "Inbound call from Alice Martin", Direction: CallInbound, Status: CallHeld,
		Start: time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC), Duration: 61 * time.Second, Description: "first", Parent: alice, AssignedUser: "1"}
	for _, desc := range []string{"first", "second"} {
		l.Description = desc
		if err := SaveCall(ctx, v, l); err != nil {
			t.Fatal(err)
		}
	}
	if n, creates := f.logCount("Calls"), f.logs.creates; n != 1 || creates != 1 {
		t.Fatalf("%d records, %d creates; want 1 and 1", n, creates)
	}
	r := f.logRecord("Calls", id)
	for k, want := range map[string]any{"name": "Inbound call from Alice Martin", "status": "Held", "direction": "Inbound",
		"date_start": "2026-12-07T09:30:00Z", "duration_hours": float64(0), "duration_minutes": float64(2), "description": "second",
		"parent_type": "Contacts", "parent_id": "c-alice", "assigned_user_id": "1"} {
		if r[k] != want {
			t.Errorf("%s = %v, want %v", k, r[k], want)
		}
	}
	if !f.logs.links[id]["contacts:c-alice"] {
		t.Error("the call is not linked to its contact")
	}
	l.Parent, l.Unrelate = &directory.Ref{Module: "Leads", ID: "l-bob"}, alice
	if err := SaveCall(ctx, v, l); err != nil {
		t.Fatal(err)
	}
	if f.logs.links[id]["contacts:c-alice"] || !f.logs.links[id]["leads:l-bob"] {
		t.Errorf("links after the change: %v", f.logs.links[id])
	}

	// Another relay made it between our look and our create: Sugar
	// refuses the create; the retry updates it.
	other := CallLog{ID: CallRecordID("0033972101010", "call-2"), Name: "x", Status: CallHeld, Start: l.Start}
	f.plant("Calls", map[string]any{"id": other.ID, "name": "by the other relay"})
	if err := v.PutCall(ctx, other, true); err == nil || !strings.Contains(err.Error(), "Record already exists") {
		t.Errorf("a create of an existing id: %v, want Sugar's refusal", err)
	}
	if err := SaveCall(ctx, v, other); err != nil || f.logRecord("Calls", other.ID)["name"] != "x" {
		t.Errorf("the retry: %v, %v", err, f.logRecord("Calls", other.ID))
	}

	// A required field Sugar asks for: its message, naming the field,
	// is in the error.
	f.logs.reject = func(w http.ResponseWriter) {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "missing_parameter", "error_message": "Missing parameter: call_reason_c"})
	}
	err := SaveCall(ctx, v, CallLog{ID: CallRecordID("0033972101010", "call-3"), Start: l.Start})
	if err == nil || !strings.Contains(err.Error(), "call_reason_c") {
		t.Errorf("a required field: %v, want an error naming it", err)
	}
}

func TestV11PlannedTaskUser(t *testing.T) {
	f, srv := newFakeSugar(t)
	v := newV11(t, f, srv.URL, nil)
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	for _, r := range []map[string]any{
		{"id": "near", "status": "Planned", "parent_type": "Contacts", "parent_id": "c1", "date_start": "2026-12-07T09:50:00Z"},
		{"id": "held", "status": "Held", "parent_type": "Contacts", "parent_id": "c1", "date_start": "2026-12-07T09:30:00Z"},
		{"id": "far", "status": "Planned", "parent_type": "Contacts", "parent_id": "c2", "date_start": "2026-12-07T13:00:00Z"},
	} {
		f.plant("Calls", r)
	}
	for parent, want := range map[string]string{"c1": "near", "c2": "", "c3": ""} {
		got, err := v.PlannedCall(ctx, directory.Ref{Module: "Contacts", ID: parent}, at, time.Hour)
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", parent, got, err, want)
		}
	}
	task := TaskLog{ID: CallbackID("+33612345678", "2026-12-07"), Name: "Call back", Parent: &directory.Ref{Module: "Contacts", ID: "c1"}, Due: at}
	for i, want := range []bool{true, false} {
		if created, err := SaveTask(ctx, v, task); err != nil || created != want {
			t.Fatalf("task save %d: %v, %v", i+1, created, err)
		}
	}
	if f.logCount("Tasks") != 1 || f.logRecord("Tasks", task.ID)["contact_id"] != "c1" {
		t.Errorf("tasks: %d, %v", f.logCount("Tasks"), f.logRecord("Tasks", task.ID))
	}
	if id, err := v.UserID(ctx, ""); err != nil || id != "u-sync" {
		t.Errorf("the API user: %q %v", id, err)
	}
	if id, err := v.UserID(ctx, "admin"); err != nil || id != "1" {
		t.Errorf("admin: %q %v", id, err)
	}
	if _, err := v.UserID(ctx, "nobody"); !errors.Is(err, ErrNoUser) {
		t.Errorf("nobody: %v", err)
	}
}
