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
	"errors"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
)

// Source lists a CRM's records.
type Source interface {
	// Changes lists the Contacts, Leads and Accounts changed after the
	// cursor: live ones as Upserts, deleted ones as Deletes. With a zero
	// cursor, it lists every live record, as a Full sync. It returns the
	// cursor of the next call, and either every change or an error:
	// never a part.
	Changes(ctx context.Context, since Cursor) (directory.Sync, Cursor, error)
}

// Cursor is where an incremental sync starts: per module, the last
// record read. The zero Cursor asks for a full sync. The relay stores it
// with the directory (it marshals to JSON).
type Cursor struct {
	Modules map[string]Mark `json:"modules,omitempty"`
}

// IsZero reports whether the cursor asks for a full sync.
func (c Cursor) IsZero() bool { return len(c.Modules) == 0 }

// Equal reports whether two cursors are the same.
func (c Cursor) Equal(d Cursor) bool {
	if len(c.Modules) != len(d.Modules) {
		return false
	}
	for m, a := range c.Modules {
		if b, ok := d.Modules[m]; !ok || !a.Modified.Equal(b.Modified) || a.ID != b.ID {
			return false
		}
	}
	return true
}

// Mark is the last record read of a module, in (date_modified, id)
// order. The next sync reads the records after it, or, when ID is empty,
// every record modified at or after Modified: date_modified counts
// seconds, and until the CRM's clock is past that second (Settle), a
// record changed later in that second may sort before ID.
type Mark struct {
	Modified time.Time `json:"modified,omitzero"`
	ID       string    `json:"id,omitempty"`
}

// Settle is how long after a second the CRM's clock must be for no
// record to be stamped with that second any more.
const Settle = 5 * time.Second

// listFunc appends one module's changes after a mark to a sync and
// returns the module's mark after them.
type listFunc func(ctx context.Context, module string, from Mark, s *directory.Sync) (Mark, error)

// changes is Changes for any API: every module listed in turn by list,
// all or nothing.
func changes(ctx context.Context, since Cursor, list listFunc) (directory.Sync, Cursor, error) {
	s := directory.Sync{Full: since.IsZero()}
	next := Cursor{Modules: map[string]Mark{}}
	for _, m := range Modules {
		mk, err := list(ctx, m, since.Modules[m], &s)
		if err != nil {
			return directory.Sync{}, since, err
		}
		next.Modules[m] = mk
	}
	return s, next, nil
}

// checkUser refuses an empty API user or password.
func checkUser(user, password string) error {
	if user == "" || password == "" {
		return errors.New("crm: the CRM API user and password are empty: set the user the relay syncs the caller directory with")
	}
	return nil
}

// mark is the Mark after reading up to (modified, id), with the CRM's
// clock at crmNow (zero if unknown).
func mark(modified time.Time, id string, crmNow time.Time) Mark {
	if crmNow.IsZero() || crmNow.Before(modified.Add(Settle)) {
		id = ""
	}
	return Mark{Modified: modified, ID: id}
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
