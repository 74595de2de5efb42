package directory

import (
	"testing"

	"github.com/screenpop/screenpop/internal/phone/parse"
)

// FuzzLookup: any string, as a caller or as a stored phone field, never
// panics, and lookups are consistent: what is found stores a number of
// the caller's key; a record storing the string is found by it exactly
// when it is a number; a garbage field is counted as skipped.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"+33 1 23 45 67 89", "0033123456789", "01 23 45 67 89", "06.12.34.56.83",
		"+1 (415) 555-0184", "ask reception", "", "201", "anonymous", "+", "00", "%1%2%3", "+33 (0)1 23 45 67 89",
		"sip:0033123456789@ovh.net", "\x00", "٠١٢٣٤٥٦٧٨٩"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		d := newDir(t,
			contact("a", "Alice", "+33 1 23 45 67 89", "ask reception"),
			contact("b", "Bob", "06 12 34 56 82"),
		)
		key, isNumber := Key(raw, "FR")
		for _, m := range d.LookupRaw(raw) {
			if !isNumber {
				t.Fatalf("LookupRaw(%q) found %s, but it is no number", raw, m.Name)
			}
			ok := false
			for _, p := range m.Phones {
				if k, _ := Key(p.Number, "FR"); k == key {
					ok = ok || p.Field == m.Field
				}
			}
			if !ok {
				t.Fatalf("LookupRaw(%q) found %s by field %s, which does not store key %s", raw, m.Name, m.Field, key)
			}
		}
		if got, want := len(d.Lookup(parse.Number(raw, "FR"))), len(d.LookupRaw(raw)); got != want {
			t.Fatalf("Lookup and LookupRaw of %q disagree: %d and %d matches", raw, got, want)
		}

		before := d.Stats()
		st := d.Apply(Sync{Upserts: []Record{contact("z", "Zed", raw)}})
		found := false
		for _, m := range d.LookupRaw(raw) {
			found = found || m.ID == "z"
		}
		if found != isNumber {
			t.Fatalf("a record storing %q: found by it %v, want %v", raw, found, isNumber)
		}
		skipped := 0
		if !isNumber && raw != "" {
			skipped = 1
		}
		if st.Records != before.Records+1 || st.Skipped != before.Skipped+skipped {
			t.Fatalf("storing %q: stats %+v after %+v, want one more record and %d more skipped", raw, st, before, skipped)
		}
		if st = d.Apply(Sync{Deletes: []Ref{{"Contacts", "z"}}}); st != before {
			t.Fatalf("deleting the record storing %q: stats %+v, want %+v", raw, st, before)
		}
	})
}

// FuzzKeyMatchesParse: Key, with its shortcut for punctuated numbers,
// gives what parse.Number gives for the string as written.
func FuzzKeyMatchesParse(f *testing.F) {
	for _, s := range []string{"+33 6 12 34 56 82", "0033 6 12 34 56 82", "06.12.34.56.82", "06-12-34-56-82", "+1 415-555-0184",
		"+33 0 6 12 34 56 82", "0033 0612345682", "+ 33612345682", "00 33 612345682", "+44 20 7946 0958", "1/23", " 06 12 34 56 82 ",
		"+39 06 1234 5678", "+800 1234 5678", "+", "-", "0", "+33612345682"} {
		f.Add(s, "FR")
		f.Add(s, "US")
		f.Add(s, "IT")
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		if parse.ValidRegion(region) != nil {
			return
		}
		want, wantOK := KeyOf(parse.Number(raw, region))
		got, ok := Key(raw, region)
		if got != want || ok != wantOK {
			t.Fatalf("Key(%q, %s) = %q, %v; parse.Number gives %q, %v", raw, region, got, ok, want, wantOK)
		}
	})
}
