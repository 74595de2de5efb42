package crm

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
)

// The call log through REST v4_1 (see calls.go).
//
// SuiteCRM's set_entry (service/v3_1/SugarWebServiceImplv3_1.php, which
// v4_1 inherits) retrieves the record of the id it is given, sets the
// fields, and saves; SugarBean::save takes a bean with an id for an
// update unless its new_with_id is set. So an id the CRM does not hold
// yet, sent alone, is an UPDATE of no row: set_entry answers that id and
// nothing is saved. Sent with new_with_id=true (any name_value_list
// entry becomes a bean property), it is an INSERT with that id; on a
// record that exists, new_with_id would be a second INSERT of the same
// key. Hence RecordState first, then one or the other.

// v4NameValue is one entry of set_entry's name_value_list.
type v4NameValue struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

type v4SetEntryArgs struct {
	Session
	ModuleName    string        `json:"module_name"`
	NameValueList []v4NameValue `json:"name_value_list"`
}

type v4SetEntryAnswer struct {
	ID string `json:"id"`
}

type v4SetRelationshipArgs struct {
	Session
	ModuleName    string   `json:"module_name"`
	ModuleID      string   `json:"module_id"`
	LinkFieldName string   `json:"link_field_name"`
	RelatedIDs    []string `json:"related_ids"`
	NameValueList []any    `json:"name_value_list"`
	Delete        int      `json:"delete"`
}

type v4SetRelationshipAnswer struct {
	Created int `json:"created"`
	Failed  int `json:"failed"`
	Deleted int `json:"deleted"`
}

// v4Links are the Calls links of a parent that has one besides
// parent_id: the Call's contacts and leads subpanels.
var v4Links = map[string]string{"Contacts": "contacts", "Leads": "leads"}

// RecordState says whether module holds a record with id (see CallWriter).
func (c *V4Client) RecordState(ctx context.Context, module, id string) (RecordState, error) {
	table := strings.ToLower(module)
	args := &v4ListArgs{ModuleName: module, Query: fmt.Sprintf("%s.id = '%s'", table, sqlQuote(id)),
		SelectFields: []string{"id", "deleted"}, Links: []any{}, MaxResults: 1, Deleted: 1}
	var out v4List
	if err := c.Call(ctx, "get_entry_list", args, &out); err != nil {
		return 0, fmt.Errorf("%w (looking for %s %s)", err, module, id)
	}
	for _, e := range out.EntryList {
		if e.ID == id || e.get("id") == id {
			if e.get("deleted") == "1" {
				return RecordDeleted, nil
			}
			return RecordLive, nil
		}
	}
	return RecordMissing, nil
}

// PutCall writes a Call record (see CallWriter).
func (c *V4Client) PutCall(ctx context.Context, l CallLog, create bool) error {
	hours, minutes := durationParts(l.Duration)
	nv := []v4NameValue{
		{"id", l.ID},
		{"name", l.Name},
		{"direction", l.Direction},
		{"status", l.Status},
		{"date_start", l.Start.UTC().Format(v4Time)},
		{"duration_hours", strconv.Itoa(hours)},
		{"duration_minutes", strconv.Itoa(minutes)},
		{"description", l.Description},
	}
	nv = append(nv, v4Parent(l.Parent)...)
	if l.AssignedUser != "" {
		nv = append(nv, v4NameValue{"assigned_user_id", l.AssignedUser})
	}
	if err := c.setEntry(ctx, "Calls", l.ID, nv, create); err != nil {
		return err
	}
	if u := l.Unrelate; u != nil && (l.Parent == nil || *u != *l.Parent) {
		if link := v4Links[u.Module]; link != "" {
			if err := c.relate(ctx, "Calls", l.ID, link, u.ID, true); err != nil {
				return err
			}
		}
	}
	if p := l.Parent; p != nil {
		if link := v4Links[p.Module]; link != "" {
			return c.relate(ctx, "Calls", l.ID, link, p.ID, false)
		}
	}
	return nil
}

// PutTask writes a Task record (see CallWriter).
func (c *V4Client) PutTask(ctx context.Context, t TaskLog, create bool) error {
	nv := []v4NameValue{
		{"id", t.ID},
		{"name", t.Name},
		{"status", "Not Started"},
		{"priority", "High"},
		{"description", t.Description},
		{"date_start", t.Due.UTC().Format(v4Time)},
		{"date_due", t.Due.UTC().Format(v4Time)},
		{"date_due_flag", "0"},
	}
	nv = append(nv, v4Parent(t.Parent)...)
	if p := t.Parent; p != nil && p.Module == "Contacts" {
		nv = append(nv, v4NameValue{"contact_id", p.ID}) // a Task's own contact field
	}
	if t.AssignedUser != "" {
		nv = append(nv, v4NameValue{"assigned_user_id", t.AssignedUser})
	}
	return c.setEntry(ctx, "Tasks", t.ID, nv, create)
}

func v4Parent(p *directory.Ref) []v4NameValue {
	if p == nil {
		return []v4NameValue{{"parent_type", ""}, {"parent_id", ""}}
	}
	return []v4NameValue{{"parent_type", p.Module}, {"parent_id", p.ID}}
}

// setEntry creates (with new_with_id) or updates one record, and checks
// the CRM answered its id.
func (c *V4Client) setEntry(ctx context.Context, module, id string, nv []v4NameValue, create bool) error {
	if create {
		nv = append(nv, v4NameValue{"new_with_id", true})
	}
	var out v4SetEntryAnswer
	if err := c.Call(ctx, "set_entry", &v4SetEntryArgs{ModuleName: module, NameValueList: nv}, &out); err != nil {
		return fmt.Errorf("%w (writing %s %s)", err, module, id)
	}
	if out.ID != id {
		return &Error{Kind: ErrAnswer, Err: fmt.Errorf("set_entry on %s answered id %q, not the %q it was given: the CRM did not write the record with its id; check the API user can create %s", module, out.ID, id, module)}
	}
	return nil
}

// relate links (or, with remove, unlinks) a related record.
func (c *V4Client) relate(ctx context.Context, module, id, link, related string, remove bool) error {
	args := &v4SetRelationshipArgs{ModuleName: module, ModuleID: id, LinkFieldName: link, RelatedIDs: []string{related}, NameValueList: []any{}}
	if remove {
		args.Delete = 1
	}
	var out v4SetRelationshipAnswer
	if err := c.Call(ctx, "set_relationship", args, &out); err != nil {
		return fmt.Errorf("%w (relating %s %s to %s %s)", err, module, id, link, related)
	}
	if out.Failed > 0 {
		return &Error{Kind: ErrAnswer, Err: fmt.Errorf("set_relationship of %s %s to its %s %s failed: check the record still exists and the API user may edit it", module, id, link, related)}
	}
	return nil
}

// PlannedCall finds a Planned Call of parent near at (see CallWriter).
func (c *V4Client) PlannedCall(ctx context.Context, parent directory.Ref, at time.Time, window time.Duration) (string, error) {
	q := fmt.Sprintf("calls.status = 'Planned' AND calls.parent_type = '%s' AND calls.parent_id = '%s' AND calls.date_start >= '%s' AND calls.date_start <= '%s'",
		sqlQuote(parent.Module), sqlQuote(parent.ID), at.Add(-window).UTC().Format(v4Time), at.Add(window).UTC().Format(v4Time))
	args := &v4ListArgs{ModuleName: "Calls", Query: q, OrderBy: "date_start", SelectFields: []string{"id", "date_start", "status"},
		Links: []any{}, MaxResults: SearchLimit}
	var out v4List
	if err := c.Call(ctx, "get_entry_list", args, &out); err != nil {
		return "", fmt.Errorf("%w (looking for a planned call of %s %s)", err, parent.Module, parent.ID)
	}
	best, bestGap := "", time.Duration(-1)
	for _, e := range out.EntryList {
		t, err := time.Parse(v4Time, e.get("date_start"))
		if err != nil || e.get("status") != CallPlanned {
			continue
		}
		gap := t.Sub(at).Abs()
		id := e.ID
		if id == "" {
			id = e.get("id")
		}
		if id != "" && (bestGap < 0 || gap < bestGap) {
			best, bestGap = id, gap
		}
	}
	return best, nil
}

// UserID returns a CRM user's id (see CallWriter).
func (c *V4Client) UserID(ctx context.Context, name string) (string, error) {
	if name == "" {
		var id string
		if err := c.Call(ctx, "get_user_id", &Session{}, &id); err != nil {
			return "", fmt.Errorf("%w (asking the API user's id)", err)
		}
		return id, nil
	}
	args := &v4ListArgs{ModuleName: "Users", Query: fmt.Sprintf("users.user_name = '%s'", sqlQuote(name)),
		SelectFields: []string{"id", "user_name"}, Links: []any{}, MaxResults: 2}
	var out v4List
	if err := c.Call(ctx, "get_entry_list", args, &out); err != nil {
		return "", fmt.Errorf("%w (looking for the CRM user %q)", err, name)
	}
	for _, e := range out.EntryList {
		if strings.EqualFold(e.get("user_name"), name) {
			if e.ID != "" {
				return e.ID, nil
			}
			return e.get("id"), nil
		}
	}
	return "", fmt.Errorf("%w %q: give the user name (not the full name) of an active CRM user", ErrNoUser, name)
}
