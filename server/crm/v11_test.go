package crm

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/phone/parse"
)

func newV11(t *testing.T, f *fakeSugar, url string, mod func(*V11Config)) *V11Client {
	t.Helper()
	c := V11Config{BaseURL: url, User: f.user, Password: f.password, PageSize: 2, Now: f.clock}
	if mod != nil {
		mod(&c)
	}
	v, err := NewV11Client(c)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func newDirectory(t *testing.T) *directory.Directory {
	t.Helper()
	d, err := directory.New("FR")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// found returns the names the directory finds for a number.
func found(d *directory.Directory, number string) []string {
	var out []string
	for _, m := range d.LookupRaw(number) {
		out = append(out, m.Name)
	}
	return out
}

// TestV11Sync: a full sync over several pages, then incremental ones
// that add, renumber and delete, through the filter API.
func TestV11Sync(t *testing.T) {
	f, srv := newFakeSugar(t)
	f.put("Contacts", map[string]any{"id": "c1", "first_name": "Alice", "last_name": "Martin", "account_name": "Martin SA", "assigned_user_name": "sally", "phone_work": "+33 1 23 45 67 89"})
	f.put("Contacts", map[string]any{"id": "c2", "first_name": "Bruno", "last_name": "Petit", "phone_mobile": "0033123456780"})
	f.put("Contacts", map[string]any{"id": "c3", "first_name": "", "last_name": "Durand", "phone_home": "01 23 45 67 81", "phone_fax": "garbage"})
	f.put("Leads", map[string]any{"id": "l1", "first_name": "Gabriel", "last_name": "Roux", "account_name": "Roux et Fils", "phone_work": "+33 6 12 34 56 85"})
	f.put("Accounts", map[string]any{"id": "a1", "name": "Martin SA", "phone_office": "04 72 10 10 84", "phone_alternate": nil})
	f.put("Contacts", map[string]any{"id": "gone", "first_name": "Old", "last_name": "Record", "phone_work": "0699999999"})
	f.del("Contacts", "gone")

	d := newDirectory(t)
	s := &Syncer{Source: newV11(t, f, srv.URL, nil), Directory: d, Now: f.clock}
	ctx := context.Background()
	st, err := s.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Full || st.Directory.Records != 5 || st.Directory.Skipped != 1 {
		t.Errorf("first sync: %+v, want a full one of 5 records, 1 skipped field", st)
	}
	ms := d.LookupRaw("0033123456789")
	if len(ms) != 1 || ms[0].Name != "Alice Martin" || ms[0].Company != "Martin SA" || ms[0].Owner != "sally" || ms[0].Module != "Contacts" || ms[0].ID != "c1" {
		t.Errorf("Alice: %+v", ms)
	}
	if got := found(d, "0033612345685"); !slices.Equal(got, []string{"Gabriel Roux"}) {
		t.Errorf("the lead: %q", got)
	}
	if got := found(d, "0033472101084"); !slices.Equal(got, []string{"Martin SA"}) {
		t.Errorf("the account: %q", got)
	}
	if got := found(d, "0033123456781"); !slices.Equal(got, []string{"Durand"}) {
		t.Errorf("a contact without first name: %q", got)
	}

	// Incremental: a new contact, a renumbered one, a deleted one.
	f.put("Contacts", map[string]any{"id": "c4", "first_name": "Hugo", "last_name": "Moreau", "phone_mobile": "06 12 34 56 86"})
	f.put("Contacts", map[string]any{"id": "c2", "phone_mobile": "06.12.34.56.83"})
	f.del("Leads", "l1")
	st, err = s.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Full || st.Directory.Records != 5 {
		t.Errorf("incremental sync: %+v, want 5 records after it", st)
	}
	tests := []struct {
		number string
		want   []string
	}{
		{"0033612345686", []string{"Hugo Moreau"}},
		{"0033612345683", []string{"Bruno Petit"}},
		{"0033123456780", nil},
		{"0033612345685", nil},
		{"0033123456789", []string{"Alice Martin"}},
	}
	for _, tt := range tests {
		if got := found(d, tt.number); !slices.Equal(got, tt.want) {
			t.Errorf("after the incremental sync, %s finds %q, want %q", tt.number, got, tt.want)
		}
	}

	// Nothing changed: the next sync re-reads at most the last second.
	if st, err = s.Sync(ctx); err != nil || st.Directory.Records != 5 || st.Upserts+st.Deletes > 3 {
		t.Errorf("a sync with nothing new: %+v, %v", st, err)
	}
}

// TestV11Tokens: one login, the access token refreshed when it expires
// (on the client's clock, or refused by the server), a fresh login when
// the refresh token is refused too.
func TestV11Tokens(t *testing.T) {
	f, srv := newFakeSugar(t)
	f.put("Contacts", map[string]any{"id": "c1", "first_name": "Alice", "last_name": "Martin", "phone_work": "0123456789"})
	v := newV11(t, f, srv.URL, nil)
	ctx := context.Background()
	steps := []struct {
		name                     string
		before                   func()
		logins, refreshs, filter int // cumulative; filter counts the calls answered
	}{
		{"first sync logs in", func() {}, 1, 0, 3},
		{"token still good", func() { f.advance(10 * time.Minute) }, 1, 0, 6},
		{"token expired on the clock: refresh", func() { f.advance(time.Hour) }, 1, 1, 9},
		{"token refused by the server: refresh and retry", f.expireTokens, 1, 2, 12},
		{"refresh refused: log in again", func() { f.expireTokens(); f.revokeRefresh() }, 2, 2, 15},
	}
	for _, st := range steps {
		st.before()
		if _, _, err := v.Changes(ctx, Cursor{}); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		logins, refreshs, calls := f.counts()
		if logins != st.logins || refreshs != st.refreshs || calls != st.filter {
			t.Errorf("%s: %d logins, %d refreshes, %d filter calls; want %d, %d, %d", st.name, logins, refreshs, calls, st.logins, st.refreshs, st.filter)
		}
	}
}

// TestV11Refusals: what Sugar refuses says what to do.
func TestV11Refusals(t *testing.T) {
	f, srv := newFakeSugar(t)
	tests := []struct {
		name string
		mod  func(*V11Config)
		kind ErrorKind
		want string
	}{
		{"wrong password", func(c *V11Config) { c.Password = "nope" }, ErrCredentials, "check the API user's name and password"},
		{"undeclared platform", func(c *V11Config) { c.Platform = "mytool" }, ErrCredentials, "Configure API Platforms"},
		{"wrong client", func(c *V11Config) { c.ClientID = "other" }, ErrCredentials, "client id and secret"},
		{"not Sugar", func(c *V11Config) { c.BaseURL += "/elsewhere" }, ErrAnswer, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newV11(t, f, srv.URL, tt.mod)
			_, _, err := v.Changes(context.Background(), Cursor{})
			if err == nil || KindOf(err) != tt.kind || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v (kind %q), want kind %q saying %q", err, KindOf(err), tt.kind, tt.want)
			}
		})
	}
}

// TestNewClientBadConfig: a configuration that cannot work is refused at
// once, saying what to write.
func TestNewClientBadConfig(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"v11 base platform", func() error {
			_, err := NewV11Client(V11Config{BaseURL: "https://crm.example.com", User: "u", Password: "p", Platform: "base"})
			return err
		}(), "platform of your own"},
		{"v11 no password", func() error {
			_, err := NewV11Client(V11Config{BaseURL: "https://crm.example.com", User: "u"})
			return err
		}(), "password are empty"},
		{"v4 page URL", func() error {
			_, err := NewV4Client(V4Config{BaseURL: "https://crm.example.com/index.php?module=Home", User: "u", Password: "p"})
			return err
		}(), "only its root"},
		{"v4 not a URL", func() error {
			_, err := NewV4Client(V4Config{BaseURL: "crm.example.com", User: "u", Password: "p"})
			return err
		}(), "not an http(s) address"},
		{"v4 no user", func() error {
			_, err := NewV4Client(V4Config{BaseURL: "https://crm.example.com"})
			return err
		}(), "password are empty"},
	}
	for _, tt := range tests {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one saying %q", tt.name, tt.err, tt.want)
		}
	}
}

func recordsEqual(a, b directory.Record) bool {
	return a.Module == b.Module && a.ID == b.ID && a.Name == b.Name && a.Company == b.Company &&
		a.Owner == b.Owner && slices.Equal(a.Phones, b.Phones)
}

// TestV11Search: the live lookup finds the records storing the number
// in any format, through $starts with the LIKE pattern, and only them:
// not a number that merely contains its digits in order.
func TestV11Search(t *testing.T) {
	f, srv := newFakeSugar(t)
	f.put("Contacts", map[string]any{"id": "c1", "first_name": "Alice", "last_name": "Martin", "phone_mobile": "06.12.34.56.82"})
	f.put("Leads", map[string]any{"id": "l1", "first_name": "Inès", "last_name": "Moreau", "phone_work": "+33 6 12 34 56 82"})
	f.put("Accounts", map[string]any{"id": "a1", "name": "Decoy SA", "phone_office": "+33 6 12 34 56 82 99"}) // contains the digits
	f.put("Contacts", map[string]any{"id": "c2", "first_name": "Other", "last_name": "Person", "phone_work": "0612345683"})
	v := newV11(t, f, srv.URL, nil)
	tests := []struct {
		caller string
		want   []string
	}{
		{"0033612345682", []string{"Contacts/c1", "Leads/l1"}},
		{"0033612345683", []string{"Contacts/c2"}},
		{"0033612345699", nil},
	}
	for _, tt := range tests {
		rs, err := v.Search(context.Background(), parse.Number(tt.caller, "FR"), "FR")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.Module+"/"+r.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Search(%s) = %q, want %q", tt.caller, got, tt.want)
		}
	}
	if _, err := v.Search(context.Background(), parse.Number("anonymous", "FR"), "FR"); err == nil {
		t.Error("searching for a withheld caller: no error")
	}
}
