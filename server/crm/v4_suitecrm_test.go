package crm_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/e2e/suitecrm"
	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/phone/parse"
	"github.com/screenpop/screenpop/server/crm"
)

// These tests run the v4_1 client against the real SuiteCRM 7.14.6 of
// e2e/suitecrm. They tolerate records other tests left in it: they
// assert the seeded ones and their own.

func realSyncer(t testing.TB, c *suitecrm.CRM, pageSize int) *crm.Syncer {
	t.Helper()
	api, err := crm.NewV4Client(crm.V4Config{BaseURL: c.BaseURL, User: c.User, Password: c.Password, PageSize: pageSize})
	if err != nil {
		t.Fatal(err)
	}
	d, err := directory.New("FR")
	if err != nil {
		t.Fatal(err)
	}
	return &crm.Syncer{Source: api, Directory: d}
}

// ovh is a number as OVH sends it: 0033…, 001….
func ovh(t *testing.T, number string) string {
	t.Helper()
	key, ok := directory.Key(number, "FR")
	if !ok {
		t.Fatalf("%q is not a number", number)
	}
	return "00" + strings.TrimPrefix(key, "+")
}

// TestRealFullSync: every seeded record is found by its number in OVH's
// form, exactly, the shared number lists both, Alice's garbage fax is
// skipped; paging by 3 reads the same as by 200.
func TestRealFullSync(t *testing.T) {
	c := suitecrm.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s := realSyncer(t, c, 0)
	st, err := s.Full(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("full sync: %d records in %v", st.Directory.Records, st.Duration)
	if st.Directory.Skipped < 1 {
		t.Errorf("no skipped phone field, want at least Alice's fax: %+v", st)
	}
	d := s.Directory
	for _, r := range c.Seeded {
		ms := d.LookupRaw(ovh(t, r.Number))
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
		want := []string{r.ID}
		if r.Name == "Hugo Moreau" || r.Name == "Inès Moreau" {
			want = []string{c.Record(t, "Hugo Moreau").ID, c.Record(t, "Inès Moreau").ID}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s (%s %q) finds %v, want %v", ovh(t, r.Number), r.Name, r.Number, ms, want)
			continue
		}
		m := ms[slices.Index(ids, r.ID)]
		if m.Name != r.Name || m.Module != r.Module || m.Field != r.Field || m.Owner != "Administrator" {
			t.Errorf("%s: match %+v, want name, module, field %s and owner Administrator (the admin's full name)", r.Name, m, r.Field)
		}
	}
	if ms := d.LookupRaw("0033123456789"); len(ms) != 1 || ms[0].Company != "Martin SA" {
		t.Errorf("Alice's company: %+v, want Martin SA", ms)
	}

	paged := realSyncer(t, c, 3)
	if _, err := paged.Full(ctx); err != nil {
		t.Fatalf("paging by 3: %v", err)
	}
	if !slices.EqualFunc(paged.Directory.Records(), d.Records(), sameRecord) {
		t.Errorf("paging by 3 read %d records, by 200 %d", len(paged.Directory.Records()), len(d.Records()))
	}
}

func sameRecord(a, b directory.Record) bool {
	return a.Module == b.Module && a.ID == b.ID && a.Name == b.Name && slices.Equal(a.Phones, b.Phones)
}

// randomMobile is a French mobile number no other test uses.
func randomMobile(t *testing.T) string {
	n, err := rand.Int(rand.Reader, big.NewInt(1e7))
	if err != nil {
		t.Fatal(err)
	}
	d := fmt.Sprintf("9%07d", n.Int64())
	return fmt.Sprintf("+33 6 %s %s %s %s", d[0:2], d[2:4], d[4:6], d[6:8])
}

// TestRealIncrementalSync: a contact added, renumbered and deleted in the
// CRM is picked up by the next incremental sync each time.
func TestRealIncrementalSync(t *testing.T) {
	c := suitecrm.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s := realSyncer(t, c, 0)
	if _, err := s.Full(ctx); err != nil {
		t.Fatal(err)
	}
	first, second := randomMobile(t), randomMobile(t)
	id, err := c.SetEntry(ctx, "Contacts", map[string]string{"first_name": "Jules", "last_name": "Nouveau", "phone_mobile": first})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Delete(context.Background(), "Contacts", id) })

	steps := []struct {
		name   string
		change func() error
		finds  map[string][]string // OVH number → ids
	}{
		{"added", func() error { return nil }, map[string][]string{ovh(t, first): {id}}},
		{"renumbered", func() error {
			_, err := c.SetEntry(ctx, "Contacts", map[string]string{"id": id, "phone_mobile": second})
			return err
		}, map[string][]string{ovh(t, first): nil, ovh(t, second): {id}}},
		{"deleted", func() error { return c.Delete(ctx, "Contacts", id) }, map[string][]string{ovh(t, second): nil}},
	}
	for _, st := range steps {
		if err := st.change(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		status, err := s.Sync(ctx)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if status.Full {
			t.Errorf("%s: the sync was full, want incremental", st.name)
		}
		for number, want := range st.finds {
			var ids []string
			for _, m := range s.Directory.LookupRaw(number) {
				ids = append(ids, m.ID)
			}
			if !slices.Equal(ids, want) {
				t.Errorf("%s: %s finds %v, want %v", st.name, number, ids, want)
			}
		}
	}
}

// TestRealWrongPassword: the real CRM's refusal reads as a credentials
// error saying what to check. (A user that does not exist: a failed
// login of the admin makes SuiteCRM rewrite the admin's preferences
// without the first-login wizard's mark, and the next browser login
// lands on the wizard.)
func TestRealWrongPassword(t *testing.T) {
	c := suitecrm.Start(t)
	api, err := crm.NewV4Client(crm.V4Config{BaseURL: c.BaseURL, User: "no-such-user", Password: "not the password"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = api.Login(ctx)
	if crm.KindOf(err) != crm.ErrCredentials || !strings.Contains(err.Error(), "check the API user's name and password") {
		t.Errorf("error %v (kind %q), want a credentials error saying what to check", err, crm.KindOf(err))
	}
}

func newDirectory(t testing.TB) *directory.Directory {
	t.Helper()
	d, err := directory.New("FR")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRealSearch: the live lookup on the real SuiteCRM finds each seeded
// record by its number in OVH's form, exactly; the shared number finds
// both; an unknown number, none.
func TestRealSearch(t *testing.T) {
	c := suitecrm.Start(t)
	api, err := crm.NewV4Client(crm.V4Config{BaseURL: c.BaseURL, User: c.User, Password: c.Password})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	want := map[string][]string{}
	for _, r := range c.Seeded {
		want[ovh(t, r.Number)] = append(want[ovh(t, r.Number)], r.Module+"/"+r.ID)
	}
	want["0033612345699"] = nil
	for number, ids := range want {
		rs, err := api.Search(ctx, parse.Number(number, "FR"), "FR")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.Module+"/"+r.ID)
		}
		slices.Sort(got)
		slices.Sort(ids)
		if !slices.Equal(got, ids) {
			t.Errorf("Search(%s) = %q, want %q", number, got, ids)
		}
	}
}
