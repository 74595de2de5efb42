package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/screenpop/screenpop/e2e/suitecrm"
	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/internal/waitfor"
	"github.com/screenpop/screenpop/server/crm"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/server/relay"
)

// These tests run the relay, as screenpop-relay runs it (start), against
// the real SuiteCRM 7.14.6 of e2e/suitecrm and the OVH emulator, and read
// what an extension reads: the WebSocket's events. The CRM is shared by
// the run's tests and keeps what earlier runs added: each test makes
// records with numbers of its own and asserts the seeded ones and those.

// crmProxy stands between the relay and the real SuiteCRM, so that a
// test can take the CRM down or make it answer an HTML error page
// without touching the CRM other tests use.
type crmProxy struct {
	srv  *httptest.Server
	mode atomic.Value // "up", "down" (connections closed), "html" (a 502 page)
}

func newCRMProxy(t *testing.T, target string) *crmProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &crmProxy{}
	p.mode.Store("up")
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u); r.Out.Host = u.Host }}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p.mode.Load() {
		case "down":
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case "5xx":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
			return
		case "halfway":
			// Contacts are listed, then the connection breaks at Leads:
			// a sync cut halfway.
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, _ := url.ParseQuery(string(body))
			if strings.Contains(form.Get("rest_data"), `"module_name":"Leads"`) {
				panic(http.ErrAbortHandler)
			}
		case "html":
			// A captive portal, or a proxy's login page: 200, not JSON.
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<!DOCTYPE html><html><body><form>Sign in</form></body></html>")
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// crmStack is the OVH emulator and a relay syncing from a CRM.
type crmStack struct {
	sim     *ovhsim.Sim
	simSrv  *httptest.Server
	token   string
	dataDir string
	p       *relayProcess
	stop    context.CancelFunc
	ws      *client
}

func newCRMStack(t *testing.T) *crmStack {
	t.Helper()
	s := &crmStack{dataDir: t.TempDir()}
	s.sim = ovhsim.New(ovhsim.Config{HoldTime: 300 * time.Millisecond})
	s.sim.AddLine(testBA, testLine, "Accueil")
	s.simSrv = httptest.NewServer(s.sim)
	t.Cleanup(func() { s.sim.Close(); s.simSrv.Close() })
	var err error
	if s.token, err = s.sim.NewToken(testLine, "1 day"); err != nil {
		t.Fatal(err)
	}
	return s
}

// config is the relay's: anonymous agents (the test's client), the CRM
// at crmURL as user, synced every interval.
func (s *crmStack) config(crmURL, user, password string, interval time.Duration) Config {
	cfg := relayConfig(s.dataDir, s.simSrv.URL+"/", s.token)
	cfg.AllowAnonymous = true
	cfg.CRMURL, cfg.CRMUser, cfg.crmPassword, cfg.CRMSync = crmURL, user, password, interval
	return cfg
}

// start starts the relay and connects a client to it.
func (s *crmStack) start(t *testing.T, cfg Config) {
	t.Helper()
	s.p, s.stop = startRelay(t, cfg)
	s.ws = connect(t, s.p.addr, "", 0)
	if m := s.ws.next(t); m.Type != stream.TypeHello {
		t.Fatalf("first message %+v, want hello", m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.sim.WaitActivePolls(ctx, 1); err != nil {
		t.Fatalf("the relay does not poll the emulator: %v", err)
	}
}

// restart stops the relay and starts it again on the same data folder.
func (s *crmStack) restart(t *testing.T, cfg Config) {
	t.Helper()
	s.stop()
	if err := s.p.wait(); err != nil {
		t.Fatal(err)
	}
	s.start(t, cfg)
}

// health is the relay's /healthz.
func (s *crmStack) health(t *testing.T) (relay.Health, int) {
	t.Helper()
	resp, err := http.Get("http://" + s.p.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h relay.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h, resp.StatusCode
}

// waitCRM waits until /healthz's crm part satisfies ok, and returns it.
func (s *crmStack) waitCRM(t *testing.T, what string, ok func(*relay.CRMHealth) bool) *relay.CRMHealth {
	t.Helper()
	var h relay.Health
	waitfor.Until(t, what, func() bool {
		h, _ = s.health(t)
		return h.CRM != nil && ok(h.CRM)
	})
	return h.CRM
}

// ring rings calling (OVH's form) on the line and returns the call's
// first event.
func (s *crmStack) ring(t *testing.T, calling string) *stream.Event {
	t.Helper()
	id, err := s.sim.Ring(ovhsim.Call{Line: testLine, Calling: calling, Scenario: ovhsim.Ringing})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.sim.EndCall(id) })
	return s.nextOf(t, id)
}

// nextOf returns the next event of call id.
func (s *crmStack) nextOf(t *testing.T, id string) *stream.Event {
	t.Helper()
	for {
		m := s.ws.next(t)
		if m.Type == stream.TypeEvent && m.Event.Call.ID == id {
			return m.Event
		}
	}
}

// ovhForm is a number as OVH sends a caller's: 0033…, 001….
func ovhForm(t *testing.T, number string) string {
	t.Helper()
	key, ok := directory.Key(number, "FR")
	if !ok {
		t.Fatalf("%q is not a number", number)
	}
	return "00" + strings.TrimPrefix(key, "+")
}

// uniqueMobile is a French mobile number no earlier run stored.
func uniqueMobile(t *testing.T) string {
	n, err := rand.Int(rand.Reader, big.NewInt(90_000_000))
	if err != nil {
		t.Fatal(err)
	}
	d := fmt.Sprintf("07%08d", 10_000_000+n.Int64())
	return d[:2] + " " + d[2:4] + " " + d[4:6] + " " + d[6:8] + " " + d[8:]
}

func matchIDs(ev *stream.Event) []string {
	var ids []string
	for _, m := range ev.Matches {
		ids = append(ids, m.ID)
	}
	return ids
}

// TestRelayCRMRealSuiteCRM: a relay syncing from the real SuiteCRM names
// every seeded caller in the first message of the ring (the exact record,
// its page, which opens it in the CRM); the shared number lists both; a
// contact added or renumbered is picked up by the next sync; a restart
// keeps the directory, and a CRM that is down or answers an HTML page
// shows in /healthz while the pops go on, still named.
func TestRelayCRMRealSuiteCRM(t *testing.T) {
	c := suitecrm.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	proxy := newCRMProxy(t, c.BaseURL)
	base := proxy.srv.URL
	s := newCRMStack(t)
	const interval = time.Second
	cfg := s.config(base, c.User, c.Password, interval)
	s.start(t, cfg)
	ch := s.waitCRM(t, "the first full sync", func(h *relay.CRMHealth) bool { return h.State != "starting" })
	if ch.State != "ok" || !ch.Full || ch.Records < len(c.Seeded) || ch.SkippedPhones < 1 {
		t.Fatalf("after the first sync: %+v", ch)
	}
	t.Logf("full sync: %d records, %d numbers in %.3fs", ch.Records, ch.Numbers, ch.Duration)

	browser, err := c.Browser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("each seeded number names its record", func(t *testing.T) {
		for _, r := range c.Seeded {
			ev := s.ring(t, ovhForm(t, r.Number))
			want := []string{r.ID}
			if r.Name == "Hugo Moreau" || r.Name == "Inès Moreau" {
				want = []string{c.Record(t, "Hugo Moreau").ID, c.Record(t, "Inès Moreau").ID}
			}
			if ev.Name != "start_ringing" || ev.Directory != stream.DirectoryFound || !slices.Equal(matchIDs(ev), want) || ev.MatchCount != len(want) {
				t.Errorf("%s (%s, stored %q): first event %s directory %q matches %+v, want %v", ovhForm(t, r.Number), r.Name, r.Number, ev.Name, ev.Directory, ev.Matches, want)
				continue
			}
			m := ev.Matches[slices.Index(matchIDs(ev), r.ID)]
			wantURL := base + "/index.php?module=" + r.Module + "&action=DetailView&record=" + r.ID
			if m.Name != r.Name || m.Module != r.Module || m.Field != r.Field || m.Owner != "Administrator" || m.URL != wantURL {
				t.Errorf("%s: match %+v, want name, module, field %s, owner Administrator, URL %s", r.Name, m, r.Field, wantURL)
			}
			if len(want) == 1 && ev.CallerName != r.Name {
				t.Errorf("%s: caller name %q", r.Name, ev.CallerName)
			}
			if len(want) == 2 && ev.CallerName != "" {
				t.Errorf("shared number: caller name %q, want none (two people)", ev.CallerName)
			}
			switch r.Name {
			case "Alice Martin":
				if m.Company != "Martin SA" {
					t.Errorf("Alice's company = %q, want Martin SA (her account)", m.Company)
				}
			case "Gabriel Roux":
				if m.Company != "Roux et Fils" {
					t.Errorf("Gabriel's company = %q, want Roux et Fils (the lead's account name)", m.Company)
				}
			}
			// The URL opens that record in the agent's CRM session.
			page := fetchPage(t, ctx, browser, m.URL)
			if !strings.Contains(page, r.Name) || !strings.Contains(page, "record="+r.ID) && !strings.Contains(page, r.ID) {
				t.Errorf("%s: %s does not show the record (%d bytes)", r.Name, m.URL, len(page))
			}
		}
	})

	t.Run("a contact added, then renumbered, is picked up by the next sync", func(t *testing.T) {
		old, renumbered := uniqueMobile(t), uniqueMobile(t)
		id, err := c.SetEntry(ctx, "Contacts", map[string]string{"first_name": "Jules", "last_name": "Nouveau", "phone_mobile": old})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Delete(context.Background(), "Contacts", id) })
		dir := s.p.crm.dir
		added := time.Now()
		waitfor.Until(t, "the sync to add the new contact", func() bool { return len(dir.LookupRaw(old)) == 1 })
		t.Logf("added contact in the directory %v after set_entry (sync every %v)", time.Since(added).Round(time.Millisecond), interval)
		ev := s.ring(t, ovhForm(t, old))
		if ev.Directory != stream.DirectoryFound || !slices.Equal(matchIDs(ev), []string{id}) || ev.CallerName != "Jules Nouveau" {
			t.Errorf("ring of the added contact: %q %+v %q", ev.Directory, ev.Matches, ev.CallerName)
		}
		if _, err := c.SetEntry(ctx, "Contacts", map[string]string{"id": id, "phone_mobile": renumbered}); err != nil {
			t.Fatal(err)
		}
		waitfor.Until(t, "the sync to renumber the contact", func() bool {
			return len(dir.LookupRaw(renumbered)) == 1 && len(dir.LookupRaw(old)) == 0
		})
		if ev := s.ring(t, ovhForm(t, renumbered)); ev.Directory != stream.DirectoryFound || !slices.Equal(matchIDs(ev), []string{id}) {
			t.Errorf("ring of the new number: %q %+v", ev.Directory, ev.Matches)
		}
		if ev := s.ring(t, ovhForm(t, old)); ev.Directory != stream.DirectoryLooking || len(ev.Matches) != 0 {
			t.Errorf("ring of the old number: %q %+v, want no match", ev.Directory, ev.Matches)
		}
		if err := c.Delete(ctx, "Contacts", id); err != nil {
			t.Fatal(err)
		}
		waitfor.Until(t, "the sync to remove the deleted contact", func() bool { return len(dir.LookupRaw(renumbered)) == 0 })
	})

	t.Run("a restart keeps the directory; a CRM down or failing shows in health, pops go on", func(t *testing.T) {
		before := s.p.crm.dir.Stats()
		proxy.mode.Store("down")
		s.restart(t, cfg)
		if got := s.p.crm.dir.Stats(); got.Records != before.Records || got.Keys != before.Keys {
			t.Fatalf("after the restart the directory holds %+v, want %+v (what was stored)", got, before)
		}
		ch := s.waitCRM(t, "health to show the CRM down", func(h *relay.CRMHealth) bool { return h.State == "failing" })
		if ch.ErrorKind != string(crm.ErrUnreachable) || !strings.Contains(ch.Error, "check the CRM URL") || ch.Records != before.Records {
			t.Errorf("CRM down: health %+v", ch)
		}
		if h, code := s.health(t); code != http.StatusOK || !h.OK {
			t.Errorf("a CRM down made the relay unhealthy: %d %+v", code, h)
		}
		alice := c.Record(t, "Alice Martin")
		ev := s.ring(t, ovhForm(t, alice.Number))
		if ev.Directory != stream.DirectoryFound || !slices.Equal(matchIDs(ev), []string{alice.ID}) {
			t.Errorf("with the CRM down, Alice's ring: %q %+v, want her record from the stored directory", ev.Directory, ev.Matches)
		}

		proxy.mode.Store("5xx")
		ch = s.waitCRM(t, "health to show the CRM's 502 page", func(h *relay.CRMHealth) bool { return h.ErrorKind == string(crm.ErrServer) })
		if !strings.Contains(ch.Error, "502") || ch.State != "failing" {
			t.Errorf("502: health %+v", ch)
		}
		proxy.mode.Store("html")
		ch = s.waitCRM(t, "health to show an HTML page instead of JSON", func(h *relay.CRMHealth) bool { return h.ErrorKind == string(crm.ErrAnswer) })
		t.Logf("HTML instead of JSON: %s", ch.Error)
		if ev := s.ring(t, ovhForm(t, alice.Number)); ev.Directory != stream.DirectoryFound {
			t.Errorf("with the CRM answering HTML, Alice's ring: %q", ev.Directory)
		}

		// A sync cut halfway (Contacts read, Leads not) changes nothing:
		// the new contact it read is not in the directory.
		number := uniqueMobile(t)
		id, err := c.SetEntry(ctx, "Contacts", map[string]string{"first_name": "Mia", "last_name": "Coupée", "phone_mobile": number})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Delete(context.Background(), "Contacts", id) })
		proxy.mode.Store("halfway")
		ch = s.waitCRM(t, "health to show the sync cut halfway", func(h *relay.CRMHealth) bool {
			return h.State == "failing" && strings.Contains(h.Error, "Leads")
		})
		t.Logf("cut halfway: %s (%s)", ch.Error, ch.ErrorKind)
		if ms := s.p.crm.dir.LookupRaw(number); len(ms) != 0 {
			t.Errorf("a sync cut halfway applied its first module: %+v", ms)
		}

		proxy.mode.Store("up")
		waitfor.Until(t, "the next sync to bring the contact", func() bool { return len(s.p.crm.dir.LookupRaw(number)) == 1 })
		ch = s.waitCRM(t, "health to show the CRM back", func(h *relay.CRMHealth) bool { return h.State == "ok" })
		// (The previous subtest's live lookups may have
		// learned records: records are not compared.)
		if ch.Full || ch.Error != "" || ch.Records < len(c.Seeded) {
			t.Errorf("after the CRM came back: %+v, want an incremental sync from the stored cursor", ch)
		}
	})
}

// TestRelayCRMLiveLookupReal: a contact made since the last sync rings
// unknown to the directory; the pop goes out at once, and the live
// lookup in the real SuiteCRM sends a follow-up with the record.
func TestRelayCRMLiveLookupReal(t *testing.T) {
	c := suitecrm.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s := newCRMStack(t)
	s.start(t, s.config(c.BaseURL, c.User, c.Password, time.Hour)) // no second sync during the test
	s.waitCRM(t, "the first full sync", func(h *relay.CRMHealth) bool { return h.State == "ok" })
	number := uniqueMobile(t)
	id, err := c.SetEntry(ctx, "Leads", map[string]string{"first_name": "Léa", "last_name": "Tardive", "account_name": "Tard SAS", "phone_work": number})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Delete(context.Background(), "Leads", id) })

	ev := s.ring(t, ovhForm(t, number))
	if ev.Directory != stream.DirectoryLooking || ev.Duplicate {
		t.Fatalf("first event: %q dup %v, want looking (not in the directory)", ev.Directory, ev.Duplicate)
	}
	follow := s.nextOf(t, ev.Call.ID)
	if !follow.Duplicate || follow.Directory != stream.DirectoryFound || !slices.Equal(matchIDs(follow), []string{id}) ||
		follow.CallerName != "Léa Tardive" || follow.Matches[0].Company != "Tard SAS" || follow.Matches[0].Field != "phone_work" ||
		follow.Matches[0].URL != c.BaseURL+"/index.php?module=Leads&action=DetailView&record="+id {
		t.Fatalf("follow-up: %+v", follow)
	}
	// Learned: the next ring of that number is named at once.
	if ev := s.ring(t, ovhForm(t, number)); ev.Directory != stream.DirectoryFound || !slices.Equal(matchIDs(ev), []string{id}) {
		t.Errorf("second ring: %q %+v", ev.Directory, ev.Matches)
	}
	// A number nobody has: a follow-up says so.
	unknown := uniqueMobile(t)
	ev = s.ring(t, ovhForm(t, unknown))
	if follow := s.nextOf(t, ev.Call.ID); follow.Directory != stream.DirectoryUnknown || len(follow.Matches) != 0 {
		t.Errorf("follow-up of an unknown number: %q %+v", follow.Directory, follow.Matches)
	}
}

// TestRelayCRMWrongCredentials: an API user the CRM refuses shows in
// /healthz as a credentials error saying what to fix, and calls still
// reach the agents.
func TestRelayCRMWrongCredentials(t *testing.T) {
	c := suitecrm.Start(t)
	s := newCRMStack(t)
	// A user that does not exist: a wrong password of the admin would
	// lock the harness's admin out for the other tests.
	s.start(t, s.config(c.BaseURL, "screenpop-no-such-user", "wrong-password", time.Second))
	ch := s.waitCRM(t, "health to show the refused login", func(h *relay.CRMHealth) bool { return h.State == "failing" })
	if ch.ErrorKind != string(crm.ErrCredentials) || ch.Records != 0 {
		t.Errorf("wrong credentials: health %+v", ch)
	}
	t.Logf("health says: %s", ch.Error)
	if h, code := s.health(t); code != http.StatusOK || !h.OK {
		t.Errorf("a refused CRM login made the relay unhealthy: %d %+v", code, h)
	}
	ev := s.ring(t, ovhForm(t, c.Record(t, "Alice Martin").Number))
	if ev.Name != "start_ringing" || ev.Directory != stream.DirectoryLooking {
		t.Errorf("the ring with a refused CRM login: %s %q", ev.Name, ev.Directory)
	}
}

// fetchPage GETs u with the logged-in web client and returns the page.
func fetchPage(t *testing.T, ctx context.Context, h *http.Client, u string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.Do(req)
	if err != nil {
		t.Fatalf("opening %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("opening %s: %s", u, resp.Status)
	}
	if q := resp.Request.URL.Query(); q.Get("action") == "Login" {
		t.Fatalf("opening %s landed on the login page", u)
	}
	return string(b)
}
