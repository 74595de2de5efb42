// Package crm reads the caller directory out of a CRM: SugarCRM 6.5 and
// SuiteCRM 7 through REST v4_1 (V4Client), Sugar 7 and later through
// REST v11 with OAuth2 (V11Client), and applies what they list to an
// internal/directory Directory (Syncer): a full sync at start, then
// incremental syncs on date_modified, deletions included.
//
// Every failure is an *Error of a known Kind (unreachable, server,
// credentials, answer, timeout) whose message says what to do; a sync
// that fails, even halfway, changes nothing: the directory keeps what it
// had, and the next sync starts from the same point.
package crm

import (
	"context"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
)

// Source lists a CRM's records.
type Source interface {
	// Changes lists the Contacts, Leads and Accounts modified at or
	// after since: live ones as Upserts, deleted ones as Deletes. With a
	// zero since, it lists every live record, as a Full sync. It returns
	// the since of the next call (the latest date_modified seen, in the
	// CRM's clock), and either every change or an error: never a part.
	Changes(ctx context.Context, since time.Time) (directory.Sync, time.Time, error)
}

// Modules are the modules synced, in order.
var Modules = []string{"Contacts", "Leads", "Accounts"}

// PhoneFields are the phone fields of each module, all synced.
var PhoneFields = map[string][]string{
	"Contacts": {"phone_work", "phone_mobile", "phone_home", "phone_other", "phone_fax"},
	"Leads":    {"phone_work", "phone_mobile", "phone_home", "phone_other", "phone_fax"},
	"Accounts": {"phone_office", "phone_alternate", "phone_fax"},
}

// PageSize is how many records one call asks for.
const PageSize = 200

// phones returns the module's non-empty phone fields of a record read
// as field → value.
func phones(module string, get func(string) string) []directory.Phone {
	var out []directory.Phone
	for _, f := range PhoneFields[module] {
		if v := get(f); v != "" {
			out = append(out, directory.Phone{Field: f, Number: v})
		}
	}
	return out
}

// personName is a contact's or lead's name as the CRM shows it: "Alice
// Martin" (first then last, the default locale format).
func personName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}
