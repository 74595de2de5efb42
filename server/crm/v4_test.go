package crm

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func newV4(t *testing.T, url, password string) *V4Client {
	t.Helper()
	c, err := NewV4Client(V4Config{BaseURL: url, User: fakeV4User, Password: password, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seedFakeV4 puts five contacts (three pages of two), a lead and an
// account in the fake.
func seedFakeV4(f *fakeV4) {
	for i, n := range []string{"+33 1 23 45 67 89", "0033123456780", "01 23 45 67 81", "+33612345682", "06.12.34.56.83"} {
		f.put("Contacts", map[string]string{"id": fmt.Sprintf("c%d", i), "first_name": "Contact", "last_name": fmt.Sprint(i), "phone_work": n, "account_name": "Martin &amp; Fils", "assigned_user_name": "admin"}, false)
	}
	f.put("Leads", map[string]string{"id": "l1", "first_name": "Gabriel", "last_name": "Roux", "phone_mobile": "+33 6 12 34 56 85"}, false)
	f.put("Accounts", map[string]string{"id": "a1", "name": "O&#039;Brien SA", "phone_office": "04 72 10 10 84"}, false)
}

// TestV4Sync: full and incremental syncs over several pages, deletions
// and renumbering included, and v4_1's HTML-escaped text read back.
func TestV4Sync(t *testing.T) {
	f, srv := newFakeV4(t)
	seedFakeV4(f)
	f.put("Contacts", map[string]string{"id": "gone", "last_name": "Gone", "phone_work": "0699999999"}, true)
	d := newDirectory(t)
	s := &Syncer{Source: newV4(t, srv.URL, fakeV4Password), Directory: d}
	ctx := context.Background()
	st, err := s.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Full || st.Directory.Records != 7 || st.Deletes != 0 {
		t.Errorf("full sync: %+v, want 7 records and no deletes", st)
	}
	ms := d.LookupRaw("0033123456789")
	if len(ms) != 1 || ms[0].Name != "Contact 0" || ms[0].Company != "Martin & Fils" || ms[0].Owner != "admin" {
		t.Errorf("contact 0: %+v", ms)
	}
	if got := found(d, "+33472101084"); !slices.Equal(got, []string{"O'Brien SA"}) {
		t.Errorf("the account: %q", got)
	}

	f.put("Contacts", map[string]string{"id": "c1", "first_name": "Contact", "last_name": "1", "phone_work": "+33 6 12 34 56 90"}, false)
	f.put("Contacts", map[string]string{"id": "c2"}, true)
	f.put("Leads", map[string]string{"id": "l2", "first_name": "Inès", "last_name": "Moreau", "phone_mobile": "+33 6 12 34 56 90"}, false)
	st, err = s.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Two deletes: c2, and "gone", deleted after the last live record
	// the full sync read, which the incremental one reads again.
	if st.Full || st.Deletes != 2 || st.Directory.Records != 7 {
		t.Errorf("incremental sync: %+v, want 2 deletes and 7 records after", st)
	}
	tests := []struct {
		number string
		want   []string
	}{
		{"0033123456780", nil}, // c1's old number
		{"0033612345690", []string{"Contact 1", "Inès Moreau"}}, // c1's new one, shared with the new lead
		{"0033123456781", nil}, // c2 deleted
		{"0033612345682", []string{"Contact 3"}},
	}
	for _, tt := range tests {
		if got := found(d, tt.number); !slices.Equal(got, tt.want) {
			t.Errorf("%s finds %q, want %q", tt.number, got, tt.want)
		}
	}
}

// TestV4SessionDropped: a session the CRM dropped is renewed by one
// login, and the call goes on.
func TestV4SessionDropped(t *testing.T) {
	f, srv := newFakeV4(t)
	seedFakeV4(f)
	c := newV4(t, srv.URL, fakeV4Password)
	ctx := context.Background()
	if _, _, err := c.Changes(ctx, Cursor{}); err != nil {
		t.Fatal(err)
	}
	f.dropSession()
	s, _, err := c.Changes(ctx, Cursor{})
	if err != nil || len(s.Upserts) != 7 {
		t.Fatalf("after the session was dropped: %d records, %v", len(s.Upserts), err)
	}
	if logins, _ := f.counts(); logins != 2 {
		t.Errorf("%d logins, want 2 (one, then one when the session was dropped)", logins)
	}
}

// TestV4Faults: each fault of the CRM gives an error of its kind saying
// what to do, and the directory and cursor stay as they were; the next
// sync, once the CRM is back, picks up what changed meanwhile.
func TestV4Faults(t *testing.T) {
	tests := []struct {
		name     string
		password string
		at       int  // the get_entry_list call that fails (1: the first of the sync)
		all      bool // and every one after
		fault    func(http.ResponseWriter, *http.Request)
		timeout  time.Duration
		kind     ErrorKind
		want     string
	}{
		{name: "5xx", at: 1, all: true, fault: func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		}, kind: ErrServer, want: "answered 503 Service Unavailable: it is failing; read its logs"},
		{name: "HTML error page", at: 1, fault: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<!DOCTYPE html>\n<html><head><title>Database failure</title></head><body>Oops</body></html>")
		}, kind: ErrAnswer, want: "HTML page instead of JSON"},
		{name: "PHP warning before the JSON", at: 2, fault: func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, "<br />\n<b>Warning</b>:  Undefined array key in <b>SugarBean.php</b>\n{\"result_count\":0}")
		}, kind: ErrAnswer, want: "not the JSON expected"},
		{name: "interrupted halfway", at: 2, fault: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "10000")
			fmt.Fprint(w, `{"result_count":2,"entry_list":[{"id":"c2"`)
			w.(http.Flusher).Flush()
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}, kind: ErrUnreachable, want: "broke off"},
		{name: "no answer in time", at: 3, timeout: 200 * time.Millisecond, fault: func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, kind: ErrTimeout, want: "no answer from"},
		{name: "nothing answered", at: 3, fault: func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, "null")
		}, kind: ErrAnswer, want: "check the API user can read Contacts, Leads and Accounts"},
		{name: "no access", at: 1, fault: func(w http.ResponseWriter, _ *http.Request) {
			v4FaultJSON(w, "Access Denied", 40, "You do not have access")
		}, kind: ErrAnswer, want: "give the API user read access"},
		{name: "wrong credentials", password: "wrong", kind: ErrCredentials, want: "check the API user's name and password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakeV4(t)
			seedFakeV4(f)
			d := newDirectory(t)
			s := &Syncer{Source: newV4(t, srv.URL, fakeV4Password), Directory: d, Timeout: tt.timeout}
			ctx := context.Background()
			if _, err := s.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			before, cursor := d.Records(), s.Cursor()
			if tt.password != "" {
				s.Source = newV4(t, srv.URL, tt.password)
			}
			f.put("Contacts", map[string]string{"id": "c9", "last_name": "New", "phone_work": "0612345699"}, false)
			for _, full := range []bool{false, true} {
				if tt.fault != nil {
					f.failAt(tt.at, tt.all, tt.fault)
				}
				sync := s.Sync
				if full {
					sync = s.Full
				}
				st, err := sync(ctx)
				if err == nil {
					t.Fatalf("full=%v: no error", full)
				}
				if KindOf(err) != tt.kind || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("full=%v: error %q (kind %q), want kind %q saying %q", full, err, KindOf(err), tt.kind, tt.want)
				}
				if st.Err != err.Error() || st.Kind != tt.kind || st.LastSuccess.IsZero() || st.Directory.Records != 7 {
					t.Errorf("full=%v: status %+v, want the error, its kind, the last success and the 7 records kept", full, st)
				}
				if !slices.EqualFunc(d.Records(), before, recordsEqual) || !s.Cursor().Equal(cursor) {
					t.Errorf("full=%v: the failed sync changed the directory or the cursor", full)
				}
				if len(d.LookupRaw("0612345699")) != 0 {
					t.Errorf("full=%v: a record of the failed sync is in the directory", full)
				}
			}

			f.heal()
			s.Source = newV4(t, srv.URL, fakeV4Password)
			if _, err := s.Sync(ctx); err != nil {
				t.Fatalf("once the CRM is back: %v", err)
			}
			if got := found(d, "0612345699"); !slices.Equal(got, []string{"New"}) {
				t.Errorf("once the CRM is back, the record added meanwhile: %q", got)
			}
		})
	}
}

// TestV4ImportSettles: records made in one second (an import) are read
// again by each incremental sync only until the CRM's clock (its
// answers' Date) is Settle past that second; then a sync with nothing
// new reads nothing, and the next change is still read.
func TestV4ImportSettles(t *testing.T) {
	f, srv := newFakeV4(t)
	f.setStep(0)
	for i := range 5 {
		f.put("Contacts", map[string]string{"id": fmt.Sprintf("c%d", i), "last_name": fmt.Sprint(i), "phone_work": fmt.Sprintf("061234560%d", i)}, false)
	}
	s := &Syncer{Source: newV4(t, srv.URL, fakeV4Password), Directory: newDirectory(t)}
	ctx := context.Background()
	steps := []struct {
		name    string
		before  func()
		upserts int
	}{
		{"full", func() {}, 5},
		{"same second: the import is read again", func() {}, 5},
		{"the clock passes Settle: read once more, then settled", func() { f.advance(Settle + time.Second) }, 5},
		{"settled: nothing new, nothing read", func() {}, 0},
		{"a change is read", func() {
			f.setStep(time.Second)
			f.put("Contacts", map[string]string{"id": "c9", "last_name": "9", "phone_work": "0612345699"}, false)
		}, 1},
	}
	for _, st := range steps {
		st.before()
		status, err := s.Sync(ctx)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if status.Upserts != st.upserts {
			t.Errorf("%s: %d records read, want %d", st.name, status.Upserts, st.upserts)
		}
	}
	if got := found(s.Directory, "0612345699"); !slices.Equal(got, []string{"9"}) {
		t.Errorf("the change: %q", got)
	}
}
