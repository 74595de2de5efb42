package directory

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/screenpop/screenpop/internal/phone/parse"
)

func contact(id, name string, phones ...string) Record {
	r := Record{Module: "Contacts", ID: id, Name: name}
	fields := []string{"phone_work", "phone_mobile", "phone_home", "phone_other", "phone_fax"}
	for i, p := range phones {
		r.Phones = append(r.Phones, Phone{Field: fields[i], Number: p})
	}
	return r
}

func newDir(t testing.TB, records ...Record) *Directory {
	t.Helper()
	d, err := New("FR")
	if err != nil {
		t.Fatal(err)
	}
	d.Apply(Sync{Full: true, Upserts: records})
	return d
}

// names returns the names of the matches, in order.
func names(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

// TestLookupSpellings: the spellings of one number find its record, and
// nothing else does: not a number that merely contains its digits, not
// the number in another country, not its national form abroad.
func TestLookupSpellings(t *testing.T) {
	d := newDir(t,
		contact("a", "Alice Martin", "+33 1 23 45 67 89"),
		contact("b", "Bruno Petit", "", "0033123456780"),
		contact("c", "Chloé Durand", "", "", "01 23 45 67 81"),
		contact("d", "David Bernard", "", "+33612345682"),
		contact("e", "Emma Leroy", "", "", "", "06.12.34.56.83"),
		contact("f", "Frank Miller", "+1 (415) 555-0184"),
	)
	tests := []struct {
		caller string
		want   []string
	}{
		{"+33 1 23 45 67 89", []string{"Alice Martin"}},
		{"0033123456789", []string{"Alice Martin"}},
		{"01 23 45 67 89", []string{"Alice Martin"}},
		{"+33123456789", []string{"Alice Martin"}},
		{"0033123456780", []string{"Bruno Petit"}},
		{"+33 1 23 45 67 80", []string{"Bruno Petit"}},
		{"0033123456781", []string{"Chloé Durand"}},
		{"0612345682", []string{"David Bernard"}},
		{"0033612345682", []string{"David Bernard"}},
		{"0033612345683", []string{"Emma Leroy"}},
		{"0014155550184", []string{"Frank Miller"}},
		{"+14155550184", []string{"Frank Miller"}},
		// Nothing else matches.
		{"0033123456788", nil},      // one digit off
		{"00331234567890", nil},     // contains Alice's digits
		{"0034123456789", nil},      // same national digits, another country
		{"0044123456789", nil},      // idem
		{"4155550184", nil},         // the US national number, read in France
		{"anonymous", nil},          // withheld
		{"201", nil},                // an extension
		{"", nil},                   // nothing
		{"%1%2%3%4%5%6%7%8%9", nil}, // a LIKE pattern is no number
	}
	for _, tt := range tests {
		t.Run(tt.caller, func(t *testing.T) {
			got := names(d.LookupRaw(tt.caller))
			if !slices.Equal(got, tt.want) {
				t.Errorf("LookupRaw(%q) = %q, want %q", tt.caller, got, tt.want)
			}
			if got := names(d.Lookup(parse.Number(tt.caller, "FR"))); !slices.Equal(got, tt.want) {
				t.Errorf("Lookup(parse %q) = %q, want %q", tt.caller, got, tt.want)
			}
		})
	}
}

// TestMatchField: a match says which field holds the number.
func TestMatchField(t *testing.T) {
	d := newDir(t, contact("a", "Alice", "01 23 45 67 89", "06 12 34 56 82"))
	tests := []struct{ caller, field string }{
		{"0033123456789", "phone_work"},
		{"0033612345682", "phone_mobile"},
	}
	for _, tt := range tests {
		ms := d.LookupRaw(tt.caller)
		if len(ms) != 1 || ms[0].Field != tt.field {
			t.Errorf("LookupRaw(%q) = %+v, want one match in %s", tt.caller, ms, tt.field)
		}
	}
}

// TestGarbageSkippedAndCounted: garbage phone fields are skipped and
// counted; the record's good numbers still find it; a record with no
// number is kept but found by none.
func TestGarbageSkippedAndCounted(t *testing.T) {
	d := newDir(t,
		contact("a", "Alice", "+33 1 23 45 67 89", "ask reception", "", "201", strings.Repeat("9", 200)),
		contact("b", "Bob", "n/a"),
		contact("c", "Carol"),
	)
	got := d.Stats()
	want := Stats{Records: 3, Keys: 1, Skipped: 4, Unindexed: 2}
	if got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	if ms := d.LookupRaw("0033123456789"); len(ms) != 1 || ms[0].Name != "Alice" {
		t.Errorf("Alice not found by her good number: %+v", ms)
	}
	// Removing the records takes their counts away.
	got = d.Apply(Sync{Deletes: []Ref{{"Contacts", "a"}, {"Contacts", "b"}}})
	if want := (Stats{Records: 1, Keys: 0, Skipped: 0, Unindexed: 1}); got != want {
		t.Errorf("after deletes, Stats() = %+v, want %+v", got, want)
	}
}

// TestSharedNumber: every record sharing a number is listed, in a stable
// order, however many.
func TestSharedNumber(t *testing.T) {
	var rs []Record
	for i := range 50 {
		spellings := []string{"+33 6 12 34 56 86", "06 12 34 56 86", "0033612345686", "06.12.34.56.86"}
		r := contact(fmt.Sprintf("id%02d", 49-i), fmt.Sprintf("Moreau %02d", i), spellings[i%len(spellings)])
		if i%3 == 0 {
			r.Module = "Leads"
		}
		rs = append(rs, r)
	}
	d := newDir(t, rs...)
	ms := d.LookupRaw("0033612345686")
	if len(ms) != 50 {
		t.Fatalf("%d matches, want 50", len(ms))
	}
	if !slices.IsSortedFunc(ms, func(a, b Match) int {
		return strings.Compare(a.Module+"\x00"+a.Name, b.Module+"\x00"+b.Name)
	}) {
		t.Errorf("matches not ordered by module then name: %q", names(ms))
	}
}

// TestApply: full and incremental syncs, as the CRM sends them.
func TestApply(t *testing.T) {
	type lookup struct {
		caller string
		want   []string
	}
	tests := []struct {
		name    string
		syncs   []Sync
		lookups []lookup
		stats   Stats
	}{
		{
			name: "incremental upsert adds",
			syncs: []Sync{
				{Full: true, Upserts: []Record{contact("a", "Alice", "0123456789")}},
				{Upserts: []Record{contact("b", "Bob", "0612345682")}},
			},
			lookups: []lookup{{"0033123456789", []string{"Alice"}}, {"0033612345682", []string{"Bob"}}},
			stats:   Stats{Records: 2, Keys: 2},
		},
		{
			name: "renumber removes the old key",
			syncs: []Sync{
				{Full: true, Upserts: []Record{contact("a", "Alice", "0123456789")}},
				{Upserts: []Record{contact("a", "Alice", "0612345682")}},
			},
			lookups: []lookup{{"0033123456789", nil}, {"0033612345682", []string{"Alice"}}},
			stats:   Stats{Records: 1, Keys: 1},
		},
		{
			name: "rename keeps the key",
			syncs: []Sync{
				{Full: true, Upserts: []Record{contact("a", "Alice", "0123456789")}},
				{Upserts: []Record{contact("a", "Alice Martin", "+33123456789")}},
			},
			lookups: []lookup{{"0033123456789", []string{"Alice Martin"}}},
			stats:   Stats{Records: 1, Keys: 1},
		},
		{
			name: "delete",
			syncs: []Sync{
				{Full: true, Upserts: []Record{contact("a", "Alice", "0123456789"), contact("b", "Bob", "0123456789")}},
				{Deletes: []Ref{{"Contacts", "a"}, {"Contacts", "unknown"}}},
			},
			lookups: []lookup{{"0033123456789", []string{"Bob"}}},
			stats:   Stats{Records: 1, Keys: 1},
		},
		{
			name: "a shared number shrinks to one record and grows back",
			syncs: []Sync{
				{Full: true, Upserts: []Record{contact("a", "Alice", "0123456789"), contact("b", "Bob", "+33123456789"), contact("c", "Carol", "0033123456789")}},
				{Deletes: []Ref{{"Contacts", "b"}}},
				{Upserts: []Record{contact("a", "Alice", "0612345682")}},
				{Upserts: []Record{contact("d", "Dan", "01.23.45.67.89"), contact("b", "Bob", "01 23 45 67 89")}},
			},
			lookups: []lookup{{"0033123456789", []string{"Bob", "Carol", "Dan"}}, {"0033612345682", []string{"Alice"}}},
			stats:   Stats{Records: 4, Keys: 2},
		},
		{
			name: "full sync replaces everything",
			syncs: []Sync{
				{Full: true, Upserts: []Record{contact("a", "Alice", "0123456789"), contact("b", "Bob", "0612345682")}},
				{Full: true, Upserts: []Record{contact("b", "Bob", "0612345682")}},
			},
			lookups: []lookup{{"0033123456789", nil}, {"0033612345682", []string{"Bob"}}},
			stats:   Stats{Records: 1, Keys: 1},
		},
		{
			name: "same id in two modules is two records",
			syncs: []Sync{
				{Full: true, Upserts: []Record{contact("a", "Alice", "0123456789"), {Module: "Leads", ID: "a", Name: "Alice lead", Phones: []Phone{{"phone_work", "0123456789"}}}}},
			},
			lookups: []lookup{{"0033123456789", []string{"Alice", "Alice lead"}}},
			stats:   Stats{Records: 2, Keys: 1},
		},
		{
			name: "one number in two fields of a record is one match",
			syncs: []Sync{
				{Full: true, Upserts: []Record{contact("a", "Alice", "0123456789", "+33 1 23 45 67 89")}},
			},
			lookups: []lookup{{"0033123456789", []string{"Alice"}}},
			stats:   Stats{Records: 1, Keys: 1},
		},
		{
			name: "a record without module or id is dropped",
			syncs: []Sync{
				{Full: true, Upserts: []Record{{Name: "nobody", Phones: []Phone{{"phone_work", "0123456789"}}}}},
			},
			lookups: []lookup{{"0033123456789", nil}},
			stats:   Stats{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDir(t)
			var stats Stats
			for _, s := range tt.syncs {
				stats = d.Apply(s)
			}
			if stats != tt.stats {
				t.Errorf("stats = %+v, want %+v", stats, tt.stats)
			}
			for _, l := range tt.lookups {
				if got := names(d.LookupRaw(l.caller)); !slices.Equal(got, l.want) {
					t.Errorf("LookupRaw(%q) = %q, want %q", l.caller, got, l.want)
				}
			}
		})
	}
}

// TestApplyDoesNotKeepCallersSlices: the directory copies the phones it
// is given, so a sync's buffers can be reused.
func TestApplyDoesNotKeepCallersSlices(t *testing.T) {
	r := contact("a", "Alice", "0123456789")
	d := newDir(t, r)
	r.Phones[0].Number = "0612345682"
	if ms := d.LookupRaw("0033123456789"); len(ms) != 1 || ms[0].Phones[0].Number != "0123456789" {
		t.Errorf("the directory's record changed with the caller's slice: %+v", ms)
	}
}

// TestMarshalRoundTrip: a saved directory loads with the same records
// and finds the same callers.
func TestMarshalRoundTrip(t *testing.T) {
	d := newDir(t,
		contact("a", "Alice", "+33 1 23 45 67 89", "garbage"),
		Record{Module: "Accounts", ID: "x", Name: "Martin SA", Owner: "admin", Phones: []Phone{{"phone_office", "04 72 10 10 84"}}},
		Record{Module: "Leads", ID: "l", Name: "Gabriel Roux", Company: "Roux et Fils", Phones: []Phone{{"phone_work", "+33 6 12 34 56 85"}}},
	)
	data, err := d.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(data, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(d.Records(), back.Records(), recordsEqual) {
		t.Errorf("records after the round trip:\n%+v\nwant\n%+v", back.Records(), d.Records())
	}
	if back.Stats() != d.Stats() || back.Region() != "FR" {
		t.Errorf("stats %+v region %s after the round trip, want %+v FR", back.Stats(), back.Region(), d.Stats())
	}
	if ms := back.LookupRaw("0033472101084"); len(ms) != 1 || ms[0].Name != "Martin SA" || ms[0].Owner != "admin" {
		t.Errorf("Martin SA after the round trip: %+v", ms)
	}
}

func recordsEqual(a, b Record) bool {
	return a.Module == b.Module && a.ID == b.ID && a.Name == b.Name && a.Company == b.Company &&
		a.Owner == b.Owner && slices.Equal(a.Phones, b.Phones)
}

// TestBadInput: what cannot be used says what to do.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"bad region", func() error { _, err := New("France"); return err }, "region"},
		{"not JSON", func() error { _, err := Unmarshal([]byte("<html>"), ""); return err }, "next full sync rebuilds it"},
		{"other version", func() error { _, err := Unmarshal([]byte(`{"version":9,"region":"FR"}`), ""); return err }, "version 9"},
		{"saved bad region", func() error { _, err := Unmarshal([]byte(`{"version":1,"region":"ZZZ"}`), ""); return err }, "region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
