package crm

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
)

// The call log through REST v11 (see calls.go). Sugar's POST /<module>
// takes an "id" in the record and creates the record with it (its
// ModuleApi sets new_with_id; it refuses an id that exists); PUT
// /<module>/<id> updates. Whether the record exists is asked with the
// filter API first, as with v4_1, so a retry updates the record it made.

// v11Datetime is how Sugar reads and writes datetimes: ISO 8601 with the
// offset.
const v11Datetime = time.RFC3339

// RecordState says whether module holds a record with id (see
// CallWriter). Sugar's API does not show deleted records: one deleted
// in Sugar reads as missing.
func (v *V11Client) RecordState(ctx context.Context, module, id string) (RecordState, error) {
	req := v11Filter{Filter: []any{map[string]any{"id": map[string]string{"$equals": id}}}, Fields: "id", MaxNum: 1}
	var page v11Page
	if err := v.Call(ctx, http.MethodPost, "/"+module+"/filter", req, &page); err != nil {
		return 0, fmt.Errorf("%w (looking for %s %s)", err, module, id)
	}
	for _, r := range page.Records {
		if fmt.Sprint(r["id"]) == id {
			return RecordLive, nil
		}
	}
	return RecordMissing, nil
}

// PutCall writes a Call record (see CallWriter).
func (v *V11Client) PutCall(ctx context.Context, l CallLog, create bool) error {
	hours, minutes := durationParts(l.Duration)
	rec := map[string]any{
		"name": l.Name, "direction": l.Direction, "status": l.Status,
		"date_start": l.Start.UTC().Format(v11Datetime), "duration_hours": hours, "duration_minutes": minutes,
		"description": l.Description, "parent_type": "", "parent_id": "",
	}
	if p := l.Parent; p != nil {
		rec["parent_type"], rec["parent_id"] = p.Module, p.ID
	}
	if l.AssignedUser != "" {
		rec["assigned_user_id"] = l.AssignedUser
	}
	if err := v.put(ctx, "Calls", l.ID, rec, create); err != nil {
		return err
	}
	if u := l.Unrelate; u != nil && (l.Parent == nil || *u != *l.Parent) {
		if link := v4Links[u.Module]; link != "" {
			if err := v.link(ctx, http.MethodDelete, l.ID, link, u.ID); err != nil {
				return err
			}
		}
	}
	if p := l.Parent; p != nil {
		if link := v4Links[p.Module]; link != "" {
			return v.link(ctx, http.MethodPost, l.ID, link, p.ID)
		}
	}
	return nil
}

// PutTask writes a Task record (see CallWriter).
func (v *V11Client) PutTask(ctx context.Context, t TaskLog, create bool) error {
	rec := map[string]any{
		"name": t.Name, "status": "Not Started", "priority": "High", "description": t.Description,
		"date_start": t.Due.UTC().Format(v11Datetime), "date_due": t.Due.UTC().Format(v11Datetime),
	}
	if p := t.Parent; p != nil {
		rec["parent_type"], rec["parent_id"] = p.Module, p.ID
		if p.Module == "Contacts" {
			rec["contact_id"] = p.ID
		}
	}
	if t.AssignedUser != "" {
		rec["assigned_user_id"] = t.AssignedUser
	}
	return v.put(ctx, "Tasks", t.ID, rec, create)
}

// put creates (POST with the id) or updates (PUT) one record and checks
// Sugar answered it under its id.
func (v *V11Client) put(ctx context.Context, module, id string, rec map[string]any, create bool) error {
	method, path := http.MethodPut, "/"+module+"/"+url.PathEscape(id)
	if create {
		method, path = http.MethodPost, "/"+module
		rec["id"] = id
	}
	var out map[string]any
	if err := v.Call(ctx, method, path, rec, &out); err != nil {
		return fmt.Errorf("%w (writing %s %s)", err, module, id)
	}
	if got := fmt.Sprint(out["id"]); got != id {
		return &Error{Kind: ErrAnswer, Err: fmt.Errorf("%s %s answered the record %q, not %q: this Sugar does not create records with the id given; report it", method, path, got, id)}
	}
	return nil
}

// link adds (POST) or removes (DELETE) a related record.
func (v *V11Client) link(ctx context.Context, method, id, link, related string) error {
	path := "/Calls/" + url.PathEscape(id) + "/link/" + link + "/" + url.PathEscape(related)
	var out map[string]any
	if err := v.Call(ctx, method, path, nil, &out); err != nil {
		return fmt.Errorf("%w (relating Call %s to %s %s)", err, id, link, related)
	}
	return nil
}

// PlannedCall finds a Planned Call of parent near at (see CallWriter).
func (v *V11Client) PlannedCall(ctx context.Context, parent directory.Ref, at time.Time, window time.Duration) (string, error) {
	eq := func(f, val string) any { return map[string]any{f: map[string]string{"$equals": val}} }
	req := v11Filter{Filter: []any{
		eq("status", CallPlanned), eq("parent_type", parent.Module), eq("parent_id", parent.ID),
		map[string]any{"date_start": map[string]string{"$gte": at.Add(-window).UTC().Format(v11Datetime)}},
		map[string]any{"date_start": map[string]string{"$lte": at.Add(window).UTC().Format(v11Datetime)}},
	}, Fields: "id,date_start,status", MaxNum: SearchLimit, OrderBy: "date_start:asc"}
	var page v11Page
	if err := v.Call(ctx, http.MethodPost, "/Calls/filter", req, &page); err != nil {
		return "", fmt.Errorf("%w (looking for a planned call of %s %s)", err, parent.Module, parent.ID)
	}
	best, bestGap := "", time.Duration(-1)
	for _, r := range page.Records {
		t, err := time.Parse(v11Datetime, fmt.Sprint(r["date_start"]))
		if err != nil || fmt.Sprint(r["status"]) != CallPlanned {
			continue
		}
		if gap := t.Sub(at).Abs(); bestGap < 0 || gap < bestGap {
			best, bestGap = fmt.Sprint(r["id"]), gap
		}
	}
	return best, nil
}

// UserID returns a CRM user's id (see CallWriter).
func (v *V11Client) UserID(ctx context.Context, name string) (string, error) {
	if name == "" {
		var me struct {
			CurrentUser struct {
				ID string `json:"id"`
			} `json:"current_user"`
		}
		if err := v.Call(ctx, http.MethodGet, "/me", nil, &me); err != nil {
			return "", fmt.Errorf("%w (asking the API user's id)", err)
		}
		return me.CurrentUser.ID, nil
	}
	req := v11Filter{Filter: []any{map[string]any{"user_name": map[string]string{"$equals": name}}}, Fields: "id,user_name", MaxNum: 2}
	var page v11Page
	if err := v.Call(ctx, http.MethodPost, "/Users/filter", req, &page); err != nil {
		return "", fmt.Errorf("%w (looking for the CRM user %q)", err, name)
	}
	for _, r := range page.Records {
		if strings.EqualFold(fmt.Sprint(r["user_name"]), name) {
			return fmt.Sprint(r["id"]), nil
		}
	}
	return "", fmt.Errorf("%w %q: give the user name (not the full name) of an active Sugar user", ErrNoUser, name)
}
