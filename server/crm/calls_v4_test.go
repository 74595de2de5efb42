package crm

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
)

// TestCallRecordID: one id per line and call, the same every time, a
// UUID SuiteCRM's id check takes.
func TestCallRecordID(t *testing.T) {
	a := CallRecordID("0033972101010", "call-1")
	if a != CallRecordID("0033972101010", "call-1") {
		t.Fatal("two ids for one call")
	}
	for _, other := range []string{CallRecordID("0033972101011", "call-1"), CallRecordID("0033972101010", "call-2"), CallRecordID("0033972101010call-", "1")} {
		if other == a {
			t.Errorf("%s: another call has the same id", other)
		}
	}
	if len(a) != 36 || a[14] != '5' {
		t.Errorf("%s is not a name-based (SHA-1, version 5) UUID", a)
	}
	if CallbackID("k", "2026-12-07") == CallbackID("k", "2026-12-08") {
		t.Error("one call-back id for two days")
	}
}

func TestDurationParts(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		h, m int
	}{{0, 0, 0}, {20 * time.Second, 0, 1}, {time.Minute, 0, 1}, {61 * time.Second, 0, 2}, {75 * time.Minute, 1, 15}} {
		if h, m := durationParts(tc.d); h != tc.h || m != tc.m {
			t.Errorf("%v: %dh%dm, want %dh%dm", tc.d, h, m, tc.h, tc.m)
		}
	}
}

// TestV4SaveCall: the first write creates the Call with its id, the
// next updates it: one record, related to its contact; an update
// without the create (what a client that skips RecordState sends) saves
// nothing, as SuiteCRM's set_entry.
func TestV4SaveCall(t *testing.T) {
	f, srv := newFakeV4(t)
	c := newV4(t, srv.URL, fakeV4Password)
	ctx := context.Background()
	id := CallRecordID("0033972101010", "call-1")
	alice := &directory.Ref{Module: "Contacts", ID: "c-alice"}
	start := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	l := CallLog{ID: id, Name: "Inbound call from Alice Martin", Direction: CallInbound, Status: CallHeld, Start: start,
		Duration: 75 * time.Minute, Description: "first", Parent: alice, AssignedUser: "1"}

	if err := c.PutCall(ctx, l, false); err == nil && f.logCount("Calls") != 0 {
		t.Fatal("the fake saved an update of a record that does not exist")
	}
	if err := SaveCall(ctx, c, l); err != nil {
		t.Fatal(err)
	}
	l.Description = "second"
	if err := SaveCall(ctx, c, l); err != nil {
		t.Fatal(err)
	}
	if n := f.logCount("Calls"); n != 1 {
		t.Fatalf("%d Call records, want 1", n)
	}
	r := f.logRecord("Calls", id)
	want := map[string]string{"name": "Inbound call from Alice Martin", "direction": "Inbound", "status": "Held",
		"date_start": "2026-12-07 09:30:00", "duration_hours": "1", "duration_minutes": "15", "description": "second",
		"parent_type": "Contacts", "parent_id": "c-alice", "assigned_user_id": "1"}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("%s = %q, want %q", k, r[k], v)
		}
	}
	if !f.linked(id, "contacts", "c-alice") {
		t.Error("the call is not in the contact's calls")
	}

	// The agent chose another record: related to it, no longer to Alice.
	l.Parent, l.Unrelate = &directory.Ref{Module: "Leads", ID: "l-bob"}, alice
	if err := SaveCall(ctx, c, l); err != nil {
		t.Fatal(err)
	}
	if f.linked(id, "contacts", "c-alice") || !f.linked(id, "leads", "l-bob") {
		t.Error("after the change, the call should be related to the lead only")
	}

	// A record a CRM user deleted stays deleted.
	f.plant("Calls", map[string]string{"id": "gone", "deleted": "1", "name": "x"})
	if err := SaveCall(ctx, c, CallLog{ID: "gone"}); !errors.Is(err, ErrRecordDeleted) {
		t.Errorf("a deleted record: %v, want ErrRecordDeleted", err)
	}
}

// TestV4PlannedCall: the planned call of that contact nearest the call,
// within the window; not a held one, another contact's or a far one.
func TestV4PlannedCall(t *testing.T) {
	f, srv := newFakeV4(t)
	c := newV4(t, srv.URL, fakeV4Password)
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	for _, r := range []map[string]string{
		{"id": "near", "status": "Planned", "parent_type": "Contacts", "parent_id": "c1", "date_start": "2026-12-07 09:00:00"},
		{"id": "nearer", "status": "Planned", "parent_type": "Contacts", "parent_id": "c1", "date_start": "2026-12-07 09:45:00"},
		{"id": "held", "status": "Held", "parent_type": "Contacts", "parent_id": "c1", "date_start": "2026-12-07 09:30:00"},
		{"id": "other", "status": "Planned", "parent_type": "Contacts", "parent_id": "c2", "date_start": "2026-12-07 09:30:00"},
		{"id": "far", "status": "Planned", "parent_type": "Contacts", "parent_id": "c3", "date_start": "2026-12-07 12:00:00"},
	} {
		r["deleted"] = "0"
		f.plant("Calls", r)
	}
	for _, tc := range []struct {
		parent string
		want   string
	}{{"c1", "nearer"}, {"c2", "other"}, {"c3", ""}, {"c4", ""}} {
		got, err := c.PlannedCall(context.Background(), directory.Ref{Module: "Contacts", ID: tc.parent}, at, time.Hour)
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.parent, got, err, tc.want)
		}
	}
}

// TestV4SaveTask: one Task per id, the second save leaves it alone.
func TestV4SaveTask(t *testing.T) {
	f, srv := newFakeV4(t)
	c := newV4(t, srv.URL, fakeV4Password)
	ctx := context.Background()
	task := TaskLog{ID: CallbackID("33612345678", "2026-12-07"), Name: "Call back Alice Martin", Parent: &directory.Ref{Module: "Contacts", ID: "c1"},
		Due: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), AssignedUser: "1"}
	for i, want := range []bool{true, false} {
		created, err := SaveTask(ctx, c, task)
		if err != nil || created != want {
			t.Fatalf("save %d: created %v, %v; want %v", i+1, created, err, want)
		}
	}
	r := f.logRecord("Tasks", task.ID)
	if f.logCount("Tasks") != 1 || r["contact_id"] != "c1" || r["parent_id"] != "c1" || r["status"] != "Not Started" || r["date_due"] != "2026-12-07 10:00:00" {
		t.Errorf("tasks %d, %v", f.logCount("Tasks"), r)
	}
}

func TestV4UserID(t *testing.T) {
	_, srv := newFakeV4(t)
	c := newV4(t, srv.URL, fakeV4Password)
	ctx := context.Background()
	if id, err := c.UserID(ctx, ""); err != nil || id != "seed-sync-user" {
		t.Errorf("the API user: %q, %v", id, err)
	}
	if id, err := c.UserID(ctx, "admin"); err != nil || id != "1" {
		t.Errorf("admin: %q, %v", id, err)
	}
	if _, err := c.UserID(ctx, "nobody"); !errors.Is(err, ErrNoUser) {
		t.Errorf("an unknown user: %v, want ErrNoUser", err)
	}
}
