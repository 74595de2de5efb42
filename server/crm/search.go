package crm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/phone"
)

// This file is the live lookup of one number, for a caller the directory
// does not know yet (a record made since the last sync): one search per
// module with the digit-subsequence LIKE pattern, which finds the number
// whatever its stored format, then only the records whose stored number
// is the caller's, exactly (the pattern also finds numbers that merely
// contain its digits in order).

// SearchLimit is how many candidates a live lookup reads per module.
const SearchLimit = 20

// Searcher finds the records storing one number, live.
type Searcher interface {
	// Search returns the Contacts, Leads and Accounts storing n (parsed:
	// Valid, with its Forms), numbers written without a country code read
	// in region.
	Search(ctx context.Context, n phone.Number, region string) ([]directory.Record, error)
}

// errNotSearchable refuses a number with nothing to search for.
var errNotSearchable = errors.New("crm: only a valid public number can be searched for (not a withheld caller, an extension or garbage)")

// Search looks n up through get_entry_list (see Searcher).
func (c *V4Client) Search(ctx context.Context, n phone.Number, region string) ([]directory.Record, error) {
	key, ok := directory.KeyOf(n)
	if !ok || n.Forms.Like == "" {
		return nil, errNotSearchable
	}
	var out []directory.Record
	for _, module := range Modules {
		table := v4Table[module]
		var or []string
		for _, f := range PhoneFields[module] {
			or = append(or, fmt.Sprintf("%s.%s LIKE '%s%%'", table, f, sqlQuote(n.Forms.Like)))
		}
		args := &v4ListArgs{ModuleName: module, Query: strings.Join(or, " OR "), OrderBy: "date_modified DESC",
			SelectFields: v4Fields(module), Links: []any{}, MaxResults: SearchLimit}
		var list v4List
		if err := c.Call(ctx, "get_entry_list", args, &list); err != nil {
			return nil, fmt.Errorf("%w (searching %s for %s)", err, module, n.Forms.E164)
		}
		for _, e := range list.EntryList {
			id := e.ID
			if id == "" {
				id = e.get("id")
			}
			if r := v4Record(module, id, e); id != "" && stores(r, key, region) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// Search looks n up through the filter API (see Searcher). Sugar's
// filter takes $starts as a raw LIKE 'value%', % wildcards included.
func (v *V11Client) Search(ctx context.Context, n phone.Number, region string) ([]directory.Record, error) {
	key, ok := directory.KeyOf(n)
	if !ok || n.Forms.Like == "" {
		return nil, errNotSearchable
	}
	var out []directory.Record
	for _, module := range Modules {
		var or []any
		for _, f := range PhoneFields[module] {
			or = append(or, map[string]any{f: map[string]string{"$starts": n.Forms.Like}})
		}
		req := v11Filter{Filter: []any{map[string]any{"$or": or}}, Fields: v11Fields(module), MaxNum: SearchLimit, OrderBy: "date_modified:desc"}
		var page v11Page
		if err := v.Call(ctx, http.MethodPost, "/"+module+"/filter", req, &page); err != nil {
			return nil, fmt.Errorf("%w (searching %s for %s)", err, module, n.Forms.E164)
		}
		for _, rec := range page.Records {
			if r, err := v11Record(module, rec); err == nil && stores(r, key, region) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// stores reports whether one of r's numbers has key.
func stores(r directory.Record, key, region string) bool {
	for _, p := range r.Phones {
		if k, ok := directory.Key(p.Number, region); ok && k == key {
			return true
		}
	}
	return false
}
