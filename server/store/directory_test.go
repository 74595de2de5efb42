package store_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/phone/parse"
	"github.com/screenpop/screenpop/server/store"
)

// TestDirectoryRestart saves a directory, reopens the file, and finds
// the same records, numbers and cursor: a restart starts from them.
func TestDirectoryRestart(t *testing.T) {
	s, path := newStore(t)
	if _, ok, err := s.Directory(); ok || err != nil {
		t.Fatalf("a new file has a directory: %v, %v", ok, err)
	}
	d, err := directory.New("FR")
	if err != nil {
		t.Fatal(err)
	}
	d.Apply(directory.Sync{Full: true, Upserts: []directory.Record{
		{Module: "Contacts", ID: "c1", Name: "Alice Martin", Company: "Martin SA", Owner: "Sally Sales", Phones: []directory.Phone{{Field: "phone_mobile", Number: "06 12 34 56 82"}}},
		{Module: "Accounts", ID: "a1", Name: "Martin SA", Phones: []directory.Phone{{Field: "phone_office", Number: "+33 1 23 45 67 89"}}},
	}})
	records, err := d.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	cursor := []byte(`{"modules":{"Contacts":{"modified":"2026-12-07T10:00:00Z","id":"c1"}}}`)
	saved := time.Date(2026, 12, 7, 10, 0, 1, 0, time.UTC)
	if err := s.PutDirectory(store.SavedDirectory{Source: "v4 http://crm", Records: records, Cursor: cursor, Saved: saved}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, ok, err := s2.Directory()
	if !ok || err != nil {
		t.Fatalf("Directory after restart: %v, %v", ok, err)
	}
	if got.Source != "v4 http://crm" || !got.Saved.Equal(saved) || !bytes.Equal(got.Cursor, cursor) {
		t.Errorf("got source %q saved %v cursor %s", got.Source, got.Saved, got.Cursor)
	}
	back, err := directory.Unmarshal(got.Records, "FR")
	if err != nil {
		t.Fatal(err)
	}
	if st := back.Stats(); st.Records != 2 || st.Keys != 2 {
		t.Errorf("stats after restart: %+v", st)
	}
	var cache parse.Cache
	ms := back.Lookup(cache.Number("0033612345682", "FR"))
	if len(ms) != 1 || ms[0].ID != "c1" || ms[0].Owner != "Sally Sales" || ms[0].Field != "phone_mobile" {
		t.Errorf("lookup after restart: %+v", ms)
	}

	if err := s2.DeleteDirectory(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s2.Directory(); ok || err != nil {
		t.Errorf("after DeleteDirectory: %v, %v", ok, err)
	}
	if err := s2.DeleteDirectory(); err != nil {
		t.Errorf("deleting no directory: %v", err)
	}
}

// TestDirectoryReplace keeps only the last save.
func TestDirectoryReplace(t *testing.T) {
	s, _ := newStore(t)
	for _, src := range []string{"first", "second"} {
		if err := s.PutDirectory(store.SavedDirectory{Source: src, Records: []byte(src), Cursor: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	got, ok, err := s.Directory()
	if !ok || err != nil || got.Source != "second" || string(got.Records) != "second" {
		t.Errorf("got %+v, %v, %v", got, ok, err)
	}
}
