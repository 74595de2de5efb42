package crm

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
)

// This file lists records through v11's filter API (POST
// /<Module>/filter), in (date_modified, id) order with keyset paging, as
// the v4_1 client does.

// v11Filter is the filter API's request.
type v11Filter struct {
	Filter  []any  `json:"filter"`
	Fields  string `json:"fields"`
	MaxNum  int    `json:"max_num"`
	Offset  int    `json:"offset"`
	OrderBy string `json:"order_by"`
	Deleted bool   `json:"deleted,omitempty"` // deleted records too
}

// v11Page is its answer.
type v11Page struct {
	NextOffset int              `json:"next_offset"`
	Records    []map[string]any `json:"records"`
}

// v11Fields are the fields read of each module.
func v11Fields(module string) string {
	f := []string{"id", "date_modified", "deleted", "assigned_user_name"}
	if module == "Accounts" {
		f = append(f, "name")
	} else {
		f = append(f, "first_name", "last_name", "account_name")
	}
	return strings.Join(append(f, PhoneFields[module]...), ",")
}

// Changes lists what changed after the cursor (see Source).
func (v *V11Client) Changes(ctx context.Context, since Cursor) (directory.Sync, Cursor, error) {
	return changes(ctx, since, v.listModule)
}

func (v *V11Client) listModule(ctx context.Context, module string, from Mark, s *directory.Sync) (Mark, error) {
	lastDate, lastID := from.Modified, from.ID
	for page := 0; ; page++ {
		req := v11Filter{Filter: v11After(lastDate, lastID), Fields: v11Fields(module), MaxNum: v.pageSize,
			OrderBy: "date_modified:asc,id:asc", Deleted: !s.Full}
		var out v11Page
		if err := v.Call(ctx, http.MethodPost, "/"+module+"/filter", req, &out); err != nil {
			return from, fmt.Errorf("%w (listing %s, page %d)", err, module, page+1)
		}
		for _, rec := range out.Records {
			r, err := v11Record(module, rec)
			if err != nil {
				return from, err
			}
			modified := v11String(rec["date_modified"])
			t, err := time.Parse(time.RFC3339, modified)
			if err != nil {
				return from, &Error{Kind: ErrAnswer, Err: fmt.Errorf("the filter API on %s: record %s has date_modified %q, not ISO 8601: report it", module, r.ID, modified)}
			}
			lastDate, lastID = t, r.ID
			if d := v11String(rec["deleted"]); d == "true" || d == "1" {
				s.Deletes = append(s.Deletes, r.Ref())
				continue
			}
			s.Upserts = append(s.Upserts, r)
		}
		if len(out.Records) < v.pageSize || out.NextOffset < 0 {
			if lastDate.IsZero() {
				return Mark{}, nil
			}
			return mark(lastDate, lastID, v.clock.now()), nil
		}
	}
}

// v11Record reads one record of the filter API's answer.
func v11Record(module string, rec map[string]any) (directory.Record, error) {
	get := func(f string) string { return v11String(rec[f]) }
	id := get("id")
	if id == "" {
		return directory.Record{}, &Error{Kind: ErrAnswer, Err: fmt.Errorf("the filter API on %s gave a record without an id: is this a Sugar 7+ REST v11 endpoint?", module)}
	}
	r := directory.Record{Module: module, ID: id, Owner: get("assigned_user_name"), Phones: phones(module, get)}
	if module == "Accounts" {
		r.Name = get("name")
	} else {
		r.Name, r.Company = personName(get("first_name"), get("last_name")), get("account_name")
	}
	return r, nil
}

// v11Date is how the filter API takes a datetime.
const v11Date = "2006-01-02T15:04:05-07:00"

// v11After is the filter of the records after (date, id) in
// (date_modified, id) order: at or after date when id is empty, every
// record when date is zero too.
func v11After(date time.Time, id string) []any {
	switch {
	case date.IsZero():
		return []any{}
	case id == "":
		return []any{map[string]any{"date_modified": map[string]string{"$gte": date.UTC().Format(v11Date)}}}
	}
	d := date.UTC().Format(v11Date)
	return []any{map[string]any{"$or": []any{
		map[string]any{"date_modified": map[string]string{"$gt": d}},
		map[string]any{"$and": []any{
			map[string]any{"date_modified": map[string]string{"$equals": d}},
			map[string]any{"id": map[string]string{"$gt": id}},
		}},
	}}}
}

// v11String is a field's value as text (Sugar sends booleans and
// numbers for some fields, null for empty ones).
func v11String(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return fmt.Sprint(x)
	}
	return ""
}
