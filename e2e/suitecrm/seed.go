package suitecrm

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/screenpop/screenpop/server/crm"
)

// Seed is one record the harness makes at install.
type Seed struct {
	Module string
	Fields map[string]string // set_entry's name_value_list
	Name   string            // its name as the record page shows it
	Field  string            // its phone field
	// AccountOf names the seeded account this contact belongs to ("" for
	// none): set as account_id once the account exists.
	AccountOf string
}

// SeedVersion changes with SeedRecords (and with what the install does
// after the installer): an install seeded by another version is
// installed afresh.
const SeedVersion = 3

// SeedRecords are the records of every fresh install: the six mixed
// formats of docs/sugarcrm.md on Contacts, an Account, a Lead, and a
// Contact and a Lead sharing one number written two ways. Alice Martin
// also has a garbage fax number, which a directory must skip and count.
var SeedRecords = []Seed{
	{Module: "Accounts", Name: "Martin SA", Field: "phone_office",
		Fields: map[string]string{"name": "Martin SA", "phone_office": "04 72 10 10 84"}},
	{Module: "Contacts", Name: "Alice Martin", Field: "phone_work", AccountOf: "Martin SA",
		Fields: map[string]string{"first_name": "Alice", "last_name": "Martin", "phone_work": "+33 1 23 45 67 89", "phone_fax": "ask reception"}},
	{Module: "Contacts", Name: "Bruno Petit", Field: "phone_mobile",
		Fields: map[string]string{"first_name": "Bruno", "last_name": "Petit", "phone_mobile": "0033123456780"}},
	{Module: "Contacts", Name: "Chloé Durand", Field: "phone_home",
		Fields: map[string]string{"first_name": "Chloé", "last_name": "Durand", "phone_home": "01 23 45 67 81"}},
	{Module: "Contacts", Name: "David Bernard", Field: "phone_mobile",
		Fields: map[string]string{"first_name": "David", "last_name": "Bernard", "phone_mobile": "+33612345682"}},
	{Module: "Contacts", Name: "Emma Leroy", Field: "phone_other",
		Fields: map[string]string{"first_name": "Emma", "last_name": "Leroy", "phone_other": "06.12.34.56.83"}},
	{Module: "Contacts", Name: "Frank Miller", Field: "phone_work",
		Fields: map[string]string{"first_name": "Frank", "last_name": "Miller", "phone_work": "+1 (415) 555-0184"}},
	{Module: "Leads", Name: "Gabriel Roux", Field: "phone_work",
		Fields: map[string]string{"first_name": "Gabriel", "last_name": "Roux", "account_name": "Roux et Fils", "phone_work": "+33 6 12 34 56 85"}},
	{Module: "Contacts", Name: "Hugo Moreau", Field: "phone_mobile",
		Fields: map[string]string{"first_name": "Hugo", "last_name": "Moreau", "phone_mobile": "06 12 34 56 86"}},
	{Module: "Leads", Name: "Inès Moreau", Field: "phone_mobile",
		Fields: map[string]string{"first_name": "Inès", "last_name": "Moreau", "phone_mobile": "+33 6 12 34 56 86"}},
}

// seed makes SeedRecords and returns them as Records.
func seed(ctx context.Context, api *crm.V4Client) ([]Record, error) {
	ids := map[string]string{}
	var out []Record
	for _, s := range SeedRecords {
		fields := map[string]string{}
		for k, v := range s.Fields {
			fields[k] = v
		}
		fields["assigned_user_id"] = "1" // the admin: the owner a directory shows
		if s.AccountOf != "" {
			fields["account_id"] = ids[s.AccountOf]
		}
		id, err := SetEntry(ctx, api, s.Module, fields)
		if err != nil {
			return nil, fmt.Errorf("seeding %s %q: %w", s.Module, s.Name, err)
		}
		ids[s.Name] = id
		out = append(out, Record{Module: s.Module, ID: id, Name: s.Name, Field: s.Field, Number: s.Fields[s.Field]})
	}
	return out, nil
}

// SetEntry creates a record (or updates the one whose "id" is in
// fields) through REST v4_1 set_entry, as the application would, and
// returns its id. Setting "deleted" to "1" deletes it.
func SetEntry(ctx context.Context, api *crm.V4Client, module string, fields map[string]string) (string, error) {
	args := &struct {
		crm.Session
		ModuleName    string            `json:"module_name"`
		NameValueList map[string]string `json:"name_value_list"`
	}{ModuleName: module, NameValueList: fields}
	var out struct {
		ID string `json:"id"`
	}
	if err := api.Call(ctx, "set_entry", args, &out); err != nil {
		return "", err
	}
	if out.ID == "" || strings.ContainsAny(out.ID, " <") {
		return "", fmt.Errorf("set_entry on %s made no record: check %s", module, "the CRM's suitecrm.log")
	}
	return out.ID, nil
}

// SetEntry creates or updates a record in the test CRM; see the
// package-level SetEntry.
func (c *CRM) SetEntry(ctx context.Context, module string, fields map[string]string) (string, error) {
	return SetEntry(ctx, c.api, module, fields)
}

// Delete deletes a record, as the UI does (it stays in the database with
// deleted=1, which an incremental sync reads).
func (c *CRM) Delete(ctx context.Context, module, id string) error {
	_, err := SetEntry(ctx, c.api, module, map[string]string{"id": id, "deleted": "1"})
	return err
}

// SetEntries creates many records of one module in one call (set_entries),
// and returns their ids: for benchmarks that need thousands.
func (c *CRM) SetEntries(ctx context.Context, module string, records []map[string]string) ([]string, error) {
	args := &struct {
		crm.Session
		ModuleName     string              `json:"module_name"`
		NameValueLists []map[string]string `json:"name_value_lists"`
	}{ModuleName: module, NameValueLists: records}
	var out struct {
		IDs []string `json:"ids"`
	}
	if err := c.api.Call(ctx, "set_entries", args, &out); err != nil {
		return nil, err
	}
	if len(out.IDs) != len(records) {
		return nil, fmt.Errorf("set_entries on %s made %d records of %d: check the CRM's suitecrm.log", module, len(out.IDs), len(records))
	}
	return out.IDs, nil
}

// Entry reads fields of one record (get_entry).
func (c *CRM) Entry(ctx context.Context, module, id string, fields ...string) (map[string]string, error) {
	args := &struct {
		crm.Session
		ModuleName   string   `json:"module_name"`
		ID           string   `json:"id"`
		SelectFields []string `json:"select_fields"`
		Links        []any    `json:"link_name_to_fields_array"`
		TrackView    bool     `json:"track_view"`
	}{ModuleName: module, ID: id, SelectFields: fields, Links: []any{}}
	var out struct {
		EntryList []struct {
			NameValueList map[string]struct {
				Value string `json:"value"`
			} `json:"name_value_list"`
		} `json:"entry_list"`
	}
	if err := c.api.Call(ctx, "get_entry", args, &out); err != nil {
		return nil, err
	}
	if len(out.EntryList) != 1 {
		return nil, fmt.Errorf("get_entry %s %s: %d records, want 1", module, id, len(out.EntryList))
	}
	m := map[string]string{}
	for k, v := range out.EntryList[0].NameValueList {
		m[k] = v.Value
	}
	return m, nil
}

// Exec runs SQL statements in the CRM's database (as MariaDB's root,
// over the install's socket), for what the API is too slow for: the
// 10,000 contacts of a benchmark take 11 minutes through set_entries
// (66 ms each) and a second this way. Rows made so skip SuiteCRM's logic
// (no audit, no relationships): tests assert on records made through the
// API.
func (c *CRM) Exec(ctx context.Context, sql string) error {
	cmd := exec.CommandContext(ctx, "mariadb", "--no-defaults", "--socket="+filepath.Join(c.Dir, "mysql/mysqld.sock"), "-uroot", dbName)
	cmd.Stdin = strings.NewReader(sql)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("SQL in the CRM's database: %v: %s", err, out)
	}
	return nil
}
