package crm

import (
	"context"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
)

// This file lists records through v4_1's get_entry_list, page by page in
// (date_modified, id) order: each page asks for the records after the
// last one read (keyset paging), so that a record changed or deleted
// while a sync runs never shifts the pages and hides another.

// v4Time is how v4_1 writes and compares date_modified: the database's
// UTC "2006-01-02 15:04:05".
const v4Time = "2006-01-02 15:04:05"

// v4Table is the database table of each module, for the SQL of queries.
var v4Table = map[string]string{"Contacts": "contacts", "Leads": "leads", "Accounts": "accounts"}

// v4Entry is one record of get_entry_list's answer.
type v4Entry struct {
	ID            string `json:"id"`
	NameValueList map[string]struct {
		Value string `json:"value"`
	} `json:"name_value_list"`
}

// get returns a field's value. v4_1 sends text HTML-escaped as the
// database holds it (O&#039;Brien, Martin &amp; Fils).
func (e v4Entry) get(field string) string {
	return strings.TrimSpace(html.UnescapeString(e.NameValueList[field].Value))
}

// v4List is get_entry_list's answer.
type v4List struct {
	ResultCount int       `json:"result_count"`
	TotalCount  any       `json:"total_count"`
	EntryList   []v4Entry `json:"entry_list"`
}

// v4ListArgs are get_entry_list's parameters, by name (PHP 8 passes the
// JSON object's keys as named arguments).
type v4ListArgs struct {
	Session
	ModuleName   string   `json:"module_name"`
	Query        string   `json:"query"`
	OrderBy      string   `json:"order_by"`
	Offset       int      `json:"offset"`
	SelectFields []string `json:"select_fields"`
	Links        []any    `json:"link_name_to_fields_array"`
	MaxResults   int      `json:"max_results"`
	Deleted      int      `json:"deleted"`
	Favorites    bool     `json:"favorites"`
}

// v4Fields are the fields read of each module, phones included.
func v4Fields(module string) []string {
	f := []string{"id", "date_modified", "deleted", "assigned_user_name"}
	if module == "Accounts" {
		f = append(f, "name")
	} else {
		f = append(f, "first_name", "last_name", "account_name")
	}
	return append(f, PhoneFields[module]...)
}

// Changes lists what changed after the cursor (see Source).
func (c *V4Client) Changes(ctx context.Context, since Cursor) (directory.Sync, Cursor, error) {
	return changes(ctx, since, c.listModule)
}

func (c *V4Client) listModule(ctx context.Context, module string, from Mark, s *directory.Sync) (Mark, error) {
	table := v4Table[module]
	lastDate, lastID := "", from.ID
	last := from.Modified
	if !from.Modified.IsZero() {
		lastDate = from.Modified.UTC().Format(v4Time)
	}
	for page := 0; ; page++ {
		args := &v4ListArgs{
			ModuleName: module, OrderBy: "date_modified ASC, id ASC", // bare field names: SugarBean.process_order_by drops others
			SelectFields: v4Fields(module), Links: []any{}, MaxResults: c.pageSize,
			Query: v4After(table, lastDate, lastID),
		}
		if !s.Full {
			args.Deleted = 1 // the deleted records too (and the others: v4_1's "1" means both)
		}
		var out v4List
		if err := c.Call(ctx, "get_entry_list", args, &out); err != nil {
			return from, fmt.Errorf("%w (listing %s, page %d)", err, module, page+1)
		}
		for _, e := range out.EntryList {
			id := e.ID
			if id == "" {
				id = e.get("id")
			}
			if id == "" {
				return from, &Error{Kind: ErrAnswer, Err: fmt.Errorf("get_entry_list on %s gave a record without an id: is this a SugarCRM 6.5 / SuiteCRM 7 REST v4_1 endpoint?", module)}
			}
			modified := e.get("date_modified")
			t, err := time.Parse(v4Time, modified)
			if err != nil {
				return from, &Error{Kind: ErrAnswer, Err: fmt.Errorf("get_entry_list on %s: record %s has date_modified %q, not %s: the API user's date format leaks into the API; report it", module, id, modified, v4Time)}
			}
			last, lastDate, lastID = t, modified, id
			if e.get("deleted") == "1" {
				s.Deletes = append(s.Deletes, directory.Ref{Module: module, ID: id})
				continue
			}
			s.Upserts = append(s.Upserts, v4Record(module, id, e))
		}
		if len(out.EntryList) < c.pageSize {
			if last.IsZero() {
				return Mark{}, nil
			}
			return mark(last, lastID, c.clock.now()), nil
		}
	}
}

// v4After is the query of the records after (date, id) in
// (date_modified, id) order: those modified at or after date when id is
// empty (the start of an incremental sync), every record when both are.
func v4After(table, date, id string) string {
	switch {
	case date == "":
		return ""
	case id == "":
		return fmt.Sprintf("%s.date_modified >= '%s'", table, date)
	}
	return fmt.Sprintf("(%[1]s.date_modified > '%[2]s' OR (%[1]s.date_modified = '%[2]s' AND %[1]s.id > '%[3]s'))", table, date, sqlQuote(id))
}

// sqlQuote escapes a value read from the CRM for a quoted SQL string
// (ids are UUIDs, but nothing read from the network goes in unescaped).
func sqlQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s)
}

func v4Record(module, id string, e v4Entry) directory.Record {
	r := directory.Record{Module: module, ID: id, Owner: e.get("assigned_user_name")}
	if module == "Accounts" {
		r.Name = e.get("name")
	} else {
		r.Name = personName(e.get("first_name"), e.get("last_name"))
		r.Company = e.get("account_name")
	}
	r.Phones = phones(module, e.get)
	return r
}
