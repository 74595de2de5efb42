package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/phone/parse"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/crm"
	"github.com/screenpop/screenpop/server/ovhsim"
)

func testRecordURL(module, id string) string {
	return crm.RecordURL(crm.KindSuiteCRM7, "http://crm.test", module, id)
}

// testDirectory holds a contact, an account and a lead sharing a number,
// and 50 contacts sharing a switchboard's.
func testDirectory(t testing.TB) *directory.Directory {
	t.Helper()
	d, err := directory.New("FR")
	if err != nil {
		t.Fatal(err)
	}
	recs := []directory.Record{
		{Module: "Contacts", ID: "c-alice", Name: "Alice Martin", Company: "Martin SA", Owner: "Sally Sales",
			Phones: []directory.Phone{{Field: "phone_work", Number: "01 23 45 67 80"}, {Field: "phone_mobile", Number: "+33 6 12 34 56 82"}}},
		{Module: "Accounts", ID: "a-shared", Name: "Durand SARL", Phones: []directory.Phone{{Field: "phone_office", Number: "0033140000000"}}},
		{Module: "Leads", ID: "l-shared", Name: "Bruno Durand", Company: "Durand SARL", Phones: []directory.Phone{{Field: "phone_mobile", Number: "01.40.00.00.00"}}},
	}
	for i := range 50 {
		recs = append(recs, directory.Record{Module: "Contacts", ID: fmt.Sprintf("c-sw-%02d", i), Name: fmt.Sprintf("Staff %02d", i),
			Phones: []directory.Phone{{Field: "phone_work", Number: "+33 4 00 00 00 00"}}})
	}
	d.Apply(directory.Sync{Full: true, Upserts: recs})
	return d
}

func TestFillCard(t *testing.T) {
	dir := testDirectory(t)
	var cache parse.Cache
	tests := []struct {
		name       string
		number     string
		queueName  string
		want       string // Directory
		wantName   string
		wantIDs    []string
		wantCount  int
		wantFields []string
	}{
		{"one contact, by mobile in OVH's form", "0033612345682", "", stream.DirectoryFound, "Alice Martin", []string{"c-alice"}, 1, []string{"phone_mobile"}},
		{"one contact, by work number, national form", "0123456780", "", stream.DirectoryFound, "Alice Martin", []string{"c-alice"}, 1, []string{"phone_work"}},
		{"the directory's name wins over a queue's", "+33612345682", "ALICE M", stream.DirectoryFound, "Alice Martin", []string{"c-alice"}, 1, nil},
		{"two records share a number: no single name", "0033140000000", "", stream.DirectoryFound, "", []string{"a-shared", "l-shared"}, 2, []string{"phone_office", "phone_mobile"}},
		{"shared: a queue's name is kept", "0033140000000", "Accueil Durand", stream.DirectoryFound, "Accueil Durand", []string{"a-shared", "l-shared"}, 2, nil},
		{"50 share a number: capped, counted", "0033400000000", "", stream.DirectoryFound, "", []string{"c-sw-00", "c-sw-01", "c-sw-02", "c-sw-03", "c-sw-04", "c-sw-05", "c-sw-06", "c-sw-07", "c-sw-08", "c-sw-09"}, 50, nil},
		{"unknown number: a live lookup may follow", "0033699999999", "Queue Name", stream.DirectoryLooking, "Queue Name", nil, 0, nil},
		{"a number that contains a known one's digits is no match", "0033612345682999", "", stream.DirectoryNoNumber, "", nil, 0, nil},
		{"withheld caller", "anonymous", "", stream.DirectoryNoNumber, "", nil, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := stream.Card{OtherParty: cache.Number(tt.number, "FR"), CallerName: tt.queueName}
			FillCard(&card, dir, testRecordURL)
			if card.Directory != tt.want || card.CallerName != tt.wantName || card.MatchCount != tt.wantCount {
				t.Fatalf("card = directory %q name %q count %d, want %q %q %d", card.Directory, card.CallerName, card.MatchCount, tt.want, tt.wantName, tt.wantCount)
			}
			var ids []string
			for i, m := range card.Matches {
				ids = append(ids, m.ID)
				if want := testRecordURL(m.Module, m.ID); m.URL != want {
					t.Errorf("match %d URL = %q, want %q", i, m.URL, want)
				}
				if tt.wantFields != nil && m.Field != tt.wantFields[i] {
					t.Errorf("match %d field = %q, want %q", i, m.Field, tt.wantFields[i])
				}
			}
			if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") {
				t.Errorf("matches = %v, want %v", ids, tt.wantIDs)
			}
		})
	}
	card := stream.Card{OtherParty: cache.Number("0033612345682", "FR")}
	FillCard(&card, dir, testRecordURL)
	want := stream.Match{Name: "Alice Martin", Module: "Contacts", ID: "c-alice", URL: "http://crm.test/index.php?module=Contacts&action=DetailView&record=c-alice",
		Company: "Martin SA", Owner: "Sally Sales", Field: "phone_mobile"}
	if len(card.Matches) != 1 || card.Matches[0] != want {
		t.Errorf("match = %+v, want %+v", card.Matches, want)
	}
}

// fakeSearcher answers live lookups as told, once released.
type fakeSearcher struct {
	release chan struct{} // closed to let lookups answer (nil: at once)
	recs    []directory.Record
	err     error
	mu      sync.Mutex
	asked   []string
}

func (f *fakeSearcher) Search(ctx context.Context, n phone.Number, region string) ([]directory.Record, error) {
	f.mu.Lock()
	f.asked = append(f.asked, n.Forms.E164)
	f.mu.Unlock()
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return f.recs, f.err
}

func (f *fakeSearcher) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.asked)
}

// nextCallEvent returns the next event message, skipping hello, pings
// and upstream messages.
func (w *wsClient) nextCallEvent(t *testing.T) *stream.Event {
	t.Helper()
	for {
		m := w.nextEvent(t, 5*time.Second)
		if m.Type == stream.TypeEvent {
			return m.Event
		}
	}
}

// TestRingCarriesTheCaller: a ring of a number the directory knows
// carries the record in its first message; one it does not know goes
// out at once ("looking"), and the live lookup's answer follows as a
// follow-up event with the card, without holding the ring back.
func TestRingCarriesTheCaller(t *testing.T) {
	bruno := directory.Record{Module: "Contacts", ID: "c-new", Name: "Chloé Petit", Company: "Petit & Fils",
		Phones: []directory.Phone{{Field: "phone_mobile", Number: "06 98 76 54 32"}}}
	search := &fakeSearcher{release: make(chan struct{}), recs: []directory.Record{bruno}}
	dir := testDirectory(t)
	var learned sync.WaitGroup
	learned.Add(1)
	h := newHarness(t, Config{CRM: &CRM{Directory: dir, Search: search, RecordURL: testRecordURL, Learned: func([]directory.Record) { learned.Done() }}})
	secret := h.agent(t, "alice", "*")
	ws := h.dialWS(t, 0, authMessage(secret))
	if m := ws.nextEvent(t, 5*time.Second); m.Type != stream.TypeHello {
		t.Fatalf("first message %q, want hello", m.Type)
	}

	if _, err := h.sim.Ring(ovhsim.Call{Line: testLine, Calling: "0033612345682", Scenario: ovhsim.Ringing}); err != nil {
		t.Fatal(err)
	}
	ev := ws.nextCallEvent(t)
	if ev.Name != "start_ringing" || ev.Directory != stream.DirectoryFound || ev.CallerName != "Alice Martin" || len(ev.Matches) != 1 || ev.Matches[0].ID != "c-alice" {
		t.Fatalf("first event of a known caller = %s %q %q %+v", ev.Name, ev.Directory, ev.CallerName, ev.Matches)
	}

	// Unknown: the ring goes out while the lookup is held.
	if _, err := h.sim.Ring(ovhsim.Call{Line: testLine, Calling: "0033698765432", Scenario: ovhsim.Ringing}); err != nil {
		t.Fatal(err)
	}
	ev = ws.nextCallEvent(t)
	if ev.Name != "start_ringing" || ev.Directory != stream.DirectoryLooking || len(ev.Matches) != 0 || ev.Duplicate {
		t.Fatalf("first event of an unknown caller = %s %q %+v dup %v", ev.Name, ev.Directory, ev.Matches, ev.Duplicate)
	}
	callID := ev.Call.ID
	close(search.release)
	ev = ws.nextCallEvent(t)
	if !ev.Duplicate || ev.Call.ID != callID || ev.Name != "start_ringing" || ev.Directory != stream.DirectoryFound ||
		ev.CallerName != "Chloé Petit" || len(ev.Matches) != 1 || ev.Matches[0].ID != "c-new" || ev.Matches[0].Company != "Petit & Fils" || ev.Matches[0].Field != "phone_mobile" {
		t.Fatalf("follow-up = %+v", ev)
	}
	learned.Wait()
	if ms := dir.LookupRaw("+33698765432"); len(ms) != 1 || ms[0].ID != "c-new" {
		t.Errorf("the directory did not learn the record: %+v", ms)
	}
	// A hello now lists both calls with their cards.
	ws2 := h.dialWS(t, 0, authMessage(secret))
	m := ws2.nextEvent(t, 5*time.Second)
	if m.Type != stream.TypeHello || len(m.Hello.Live) != 2 {
		t.Fatalf("hello = %+v", m)
	}
	for _, lc := range m.Hello.Live {
		if lc.Directory != stream.DirectoryFound || len(lc.Matches) != 1 {
			t.Errorf("live call %s card = %q %+v", lc.Call.Calling, lc.Directory, lc.Matches)
		}
	}
	if n := search.count(); n != 1 {
		t.Errorf("%d live lookups, want 1 (the known caller needs none)", n)
	}
}

// TestLiveLookupUnknownAndFailing: a number the CRM does not know either
// gets a follow-up saying so, and is not asked again for a while; a
// lookup that fails sends nothing and shows in /healthz.
func TestLiveLookupUnknownAndFailing(t *testing.T) {
	search := &fakeSearcher{}
	h := newHarness(t, Config{CRM: &CRM{Directory: testDirectory(t), Search: search, RecordURL: testRecordURL, UnknownFor: time.Hour}})
	secret := h.agent(t, "alice", "*")
	ws := h.dialWS(t, 0, authMessage(secret))
	ring := func(calling string) {
		t.Helper()
		if _, err := h.sim.Ring(ovhsim.Call{Line: testLine, Calling: calling, Scenario: ovhsim.Ringing}); err != nil {
			t.Fatal(err)
		}
	}
	ring("0033655555555")
	if ev := ws.nextCallEvent(t); ev.Directory != stream.DirectoryLooking {
		t.Fatalf("first event: %q", ev.Directory)
	}
	ev := ws.nextCallEvent(t)
	if !ev.Duplicate || ev.Directory != stream.DirectoryUnknown || len(ev.Matches) != 0 {
		t.Fatalf("follow-up of a number nobody has = %q dup %v %+v", ev.Directory, ev.Duplicate, ev.Matches)
	}
	ring("0033655555555") // again: known unknown, no second lookup
	if ev := ws.nextCallEvent(t); ev.Directory != stream.DirectoryUnknown || ev.Duplicate {
		t.Fatalf("second call of the unknown number: %q dup %v", ev.Directory, ev.Duplicate)
	}
	if n := search.count(); n != 1 {
		t.Errorf("%d lookups, want 1", n)
	}

	search.mu.Lock()
	search.err = &crm.Error{Kind: crm.ErrUnreachable, Err: errors.New("cannot reach the CRM at http://crm.test: connection refused; check that it runs and that crm-url is right")}
	search.mu.Unlock()
	ring("0033644444444")
	if ev := ws.nextCallEvent(t); ev.Directory != stream.DirectoryLooking {
		t.Fatalf("ring with a failing CRM: %q", ev.Directory)
	}
	waitHealth(t, h, func(c *CRMHealth) bool { return strings.Contains(c.LookupError, "connection refused") })
}

// waitHealth waits until /healthz's crm part satisfies ok.
func waitHealth(t *testing.T, h *harness, ok func(*CRMHealth) bool) Health {
	t.Helper()
	var hz Health
	waitfor.Until(t, "healthz's crm part", func() bool {
		_, b := h.request(t, "GET", "/healthz", "", nil)
		hz = Health{}
		if err := json.Unmarshal(b, &hz); err != nil {
			t.Fatal(err)
		}
		return hz.CRM != nil && ok(hz.CRM)
	})
	return hz
}

// TestCRMHealthAndMetrics: each sync's outcome shows in /healthz and
// /metrics; a failing CRM leaves the relay healthy (pops go on).
func TestCRMHealthAndMetrics(t *testing.T) {
	dir := testDirectory(t)
	h := newHarness(t, Config{CRM: &CRM{Directory: dir, RecordURL: testRecordURL}})
	hz := waitHealth(t, h, func(c *CRMHealth) bool { return true })
	if hz.CRM.State != "starting" || hz.CRM.Records != 53 {
		t.Errorf("before any sync: %+v", hz.CRM)
	}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		st        crm.Status
		err       error
		wantState string
		wantUp    string
	}{
		{"full sync", crm.Status{At: at, Duration: 1500 * time.Millisecond, Full: true, Upserts: 53, Directory: dir.Stats(), LastSuccess: at}, nil, "ok", "screenpop_crm_sync_up 1"},
		{"wrong credentials", crm.Status{At: at.Add(time.Minute), Err: "crm: the CRM refused the API user's login: check crm-user and SCREENPOP_CRM_PASSWORD", Kind: crm.ErrCredentials, Directory: dir.Stats(), LastSuccess: at},
			&crm.Error{Kind: crm.ErrCredentials, Err: errors.New("refused")}, "failing", "screenpop_crm_sync_up 0"},
		{"recovered", crm.Status{At: at.Add(2 * time.Minute), Duration: 80 * time.Millisecond, Directory: dir.Stats(), LastSuccess: at.Add(2 * time.Minute)}, nil, "ok", "screenpop_crm_sync_up 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.relay.CRMSynced(tt.st, tt.err)
			resp, b := h.request(t, "GET", "/healthz", "", nil)
			var hz Health
			if err := json.Unmarshal(b, &hz); err != nil {
				t.Fatal(err)
			}
			if hz.CRM.State != tt.wantState || hz.CRM.Error != tt.st.Err || hz.CRM.ErrorKind != string(tt.st.Kind) || !hz.CRM.LastSync.Equal(tt.st.At) ||
				!hz.CRM.LastSuccess.Equal(tt.st.LastSuccess) || hz.CRM.Duration != tt.st.Duration.Seconds() || hz.CRM.Records != 53 {
				t.Errorf("healthz crm = %+v", hz.CRM)
			}
			if resp.StatusCode != 200 || !hz.OK {
				t.Errorf("a CRM sync failure made the relay unhealthy: %s ok=%v", resp.Status, hz.OK)
			}
			_, m := h.request(t, "GET", "/metrics", "", nil)
			for _, want := range []string{tt.wantUp, "screenpop_crm_directory_records 53", "screenpop_crm_directory_numbers 4",
				fmt.Sprintf("screenpop_crm_sync_timestamp_seconds %v", float64(tt.st.At.UnixNano())/1e9)} {
				if !strings.Contains(string(m), want+"\n") {
					t.Errorf("metrics lack %q", want)
				}
			}
		})
	}
}

// TestDirectoryStatusReachesClients: the hello's Upstream says how the
// directory syncs, and each change (not each sync) comes as an upstream
// message, for the extension's popup.
func TestDirectoryStatusReachesClients(t *testing.T) {
	h := newHarness(t, Config{CRM: &CRM{Directory: testDirectory(t), RecordURL: testRecordURL}})
	ws := h.dialWS(t, 0, authMessage(h.agent(t, "alice", "*")))
	m := ws.next(t, 5*time.Second)
	if m.Type != stream.TypeHello || m.Hello.Upstream == nil || m.Hello.Upstream.Directory == nil || m.Hello.Upstream.Directory.State != stream.SyncStarting {
		t.Fatalf("hello = %+v", m.Hello)
	}
	// waitDirectory reads upstream messages until one says state.
	waitDirectory := func(state string) *stream.DirectoryStatus {
		t.Helper()
		for {
			m := ws.next(t, 5*time.Second)
			if m.Type == stream.TypeUpstream && m.Upstream.Directory != nil && m.Upstream.Directory.State == state {
				return m.Upstream.Directory
			}
		}
	}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	refused := &crm.Error{Kind: crm.ErrCredentials, Err: errors.New("the CRM refused the login of \"sync\": check crm-user and SCREENPOP_CRM_PASSWORD")}
	h.relay.CRMSynced(crm.Status{At: at, Err: "crm: " + refused.Err.Error(), Kind: crm.ErrCredentials}, refused)
	ds := waitDirectory(stream.SyncFailing)
	if ds.Kind != "credentials" || !strings.Contains(ds.Error, "check crm-user") || !ds.Since.Equal(at) {
		t.Errorf("failing: %+v", ds)
	}
	// The same failure again: nothing new to say (Since stays).
	h.relay.CRMSynced(crm.Status{At: at.Add(time.Minute), Err: "crm: " + refused.Err.Error(), Kind: crm.ErrCredentials}, refused)
	if got := h.relay.directoryStatus(); !got.Since.Equal(at) {
		t.Errorf("a repeated failure moved Since to %v", got.Since)
	}
	h.relay.CRMSynced(crm.Status{At: at.Add(2 * time.Minute), LastSuccess: at.Add(2 * time.Minute)}, nil)
	if ds := waitDirectory(stream.SyncOK); ds.Error != "" || !ds.Since.Equal(at.Add(2*time.Minute)) {
		t.Errorf("recovered: %+v", ds)
	}
}
