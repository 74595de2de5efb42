package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ovh/go-ovh/ovh"

	"github.com/screenpop/screenpop/e2e/suitecrm"
	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/server/ovhapi"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/server/relay"
	relaystore "github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/wasm/background"
)

// Issue #13, item 4: click-to-call. In the real SuiteCRM's pages, through
// the extension in Chromium and the relay: a click on a contact's phone
// number has the relay place the call through the emulator's OVH API
// (go-ovh, a signed request, the click-to-call right checked), the page
// says so, and the outbound call the emulator then plays on the line
// shows in the extension; "call back" in the side panel's history does
// the same; a number that does not parse shows the relay's error in the
// page.

const (
	dialAppKey    = "appKeyScreenpopE2E"
	dialAppSecret = "appSecretScreenpopE2ENeverShown0"
)

// lateDialer is the relay's Dialer, set once the emulator it calls is up
// (startStackWith makes the emulator and the relay together).
type lateDialer struct{ c atomic.Pointer[ovhapi.Client] }

func (d *lateDialer) Click2Call(ctx context.Context, line, number string) error {
	return d.c.Load().Click2Call(ctx, line, number)
}

// dialEnv is the real SuiteCRM, a relay with a store whose agent "ann"
// has the emulator's line, the relay's OVH API client a go-ovh client of
// the emulator with a validated consumer key granted rules, and a browser
// logged into SuiteCRM whose extension is ann's, with access to the CRM's
// pages.
type dialEnv struct {
	*crmEnv
	relay *relay.Relay
}

func startDialEnv(t *testing.T, rules []ovh.AccessRule) *dialEnv {
	t.Helper()
	c := suitecrm.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)

	st, err := relaystore.Open(filepath.Join(t.TempDir(), "relay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dialer := &lateDialer{}
	s, r := startStackWith(t, relay.Config{Store: st, Dialer: dialer, PublicURL: "http://127.0.0.1"}) // PublicURL: only printed in connection strings
	t.Cleanup(func() { r.Close() })
	s.crm, s.fake = nil, nil // the CRM is the real SuiteCRM

	// The relay's OVH credentials, as `screenpop-relay ovh credential`
	// gets them: an application, a consumer key validated by the user.
	s.sim.AddApplication(dialAppKey, dialAppSecret)
	api := httptest.NewServer(s.sim) // the emulator's OVH API, beside its event service
	t.Cleanup(api.Close)
	goovh, err := ovh.NewClient(api.URL+"/1.0", dialAppKey, dialAppSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	client := ovhapi.New(goovh)
	_, validationURL, err := client.RequestConsumerKey(ctx, "", rules)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(validationURL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("validating the consumer key: %s", resp.Status)
	}
	dialer.c.Store(client)

	ann, err := r.AddAgent(ctx, "ann", []string{line})
	if err != nil {
		t.Fatal(err)
	}
	b := startBrowserWith(t, browserOptions{Ext: withHostAccess(t, builtExtension(t), "http://127.0.0.1/*")})
	e := &crmEnv{popEnv: &popEnv{t: t, b: b, s: s, page: b.tab(b.extURL("options.html"))}, crm: c}
	e.login(ctx)
	e.crmSettings(func(s *settings.Settings) { s.Secret = ann.Secret })
	b.waitFor("the extension to connect to the relay as ann", 20*time.Second, func() bool {
		st, _ := eval[string](e.page, `chrome.storage.local.get('status').then(r => r.status && r.status.relay === `+popJS(s.relay.URL)+` ? r.status.state : '')`)
		return st == background.StatusConnected
	})
	return &dialEnv{crmEnv: e, relay: r}
}

// outbound waits for an outbound call of the line to number in the
// extension's calls, other than those of skip, and returns it.
func (e *dialEnv) outbound(what, number string, skip ...string) background.CallView {
	e.t.Helper()
	var found background.CallView
	e.b.waitFor(what, 20*time.Second, func() bool {
		c := e.calls()
		for _, v := range append(append([]background.CallView{}, c.Live...), c.Recent...) {
			if v.Call.Direction == call.Outbound && v.Call.Line == line && v.Call.Called == number && !contains(skip, v.Call.ID) {
				found = v
				return true
			}
		}
		return false
	})
	return found
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// dialBox is what the page's click-to-call box says, and its kind (busy,
// ok, error); "" when there is none.
func dialBox(page context.Context) (text, kind string) {
	s, _ := eval[[]string](page, `(() => { const h = document.querySelector('screenpop-dial'); const b = h && h.shadowRoot && h.shadowRoot.getElementById('box');
		return b ? [b.textContent, b.dataset.kind || ''] : ['', ''] })()`)
	if len(s) == 2 {
		return strings.TrimSuffix(s[0], "×"), s[1]
	}
	return "", ""
}

// callLink waits for the content script to have made the page's phone
// field a call link, and returns its selector.
func (e *dialEnv) callLink(page context.Context, field, number string) string {
	e.t.Helper()
	sel := `[field=` + field + `] a[href^="tel:"]`
	var title string
	e.b.waitFor("the "+field+" field of the page to be a call link", 30*time.Second, func() bool {
		title, _ = eval[string](page, `(document.querySelector(`+popJS(sel+`[data-screenpop-title]`)+`) || {}).title || ''`)
		return strings.Contains(title, number)
	})
	if want := "Call " + number + " from your line"; !strings.HasPrefix(title, want) {
		e.t.Errorf("the call link's title %q, want it to start with %q", title, want)
	}
	return sel
}

func TestDialFromCRMPage(t *testing.T) {
	e := startDialEnv(t, append(ovhapi.AccessRules(), ovhapi.Click2CallAccessRule()))
	c := e.crm
	alice := c.Record(t, "Alice Martin") // phone_work +33 1 23 45 67 89
	if alice.Field != "phone_work" {
		t.Fatalf("Alice Martin's number is in %s; this test clicks phone_work", alice.Field)
	}
	page := e.b.tab(c.RecordURL(alice))
	e.pageText("Alice Martin's DetailView", page, alice.Name)
	sel := e.callLink(page, "phone_work", alice.Number)

	// A click on the number: the relay places the call, the page says so.
	calls := e.s.sim.Stats().Calls
	if _, err := eval[any](page, `document.querySelector(`+popJS(sel)+`).click()`); err != nil {
		t.Fatal(err)
	}
	var text, kind string
	e.b.waitFor("the page to say the call is placed", 20*time.Second, func() bool {
		text, kind = dialBox(page)
		return kind == "ok" || kind == "error"
	})
	if want := "Calling 01 23 45 67 89: your phone rings first"; kind != "ok" || !strings.HasPrefix(text, want) {
		t.Fatalf("the page says %q (%s), want %q…", text, kind, want)
	}
	if u, _ := eval[string](page, `location.href`); u != c.RecordURL(alice) {
		t.Errorf("the click navigated the page to %s", u)
	}

	// The emulator rings the outbound call on the line; the extension
	// shows it.
	first := e.outbound("the outbound call to Alice Martin in the extension's calls", "0033123456789")
	if got := e.s.sim.Stats().Calls; got != calls+1 {
		t.Errorf("the emulator played %d calls for one click", got-calls)
	}
	popup := e.b.tab(e.b.extURL("popup.html"))
	e.b.waitFor("the popup to list the outbound call", 15*time.Second, func() bool {
		s, _ := eval[string](popup, `[...document.querySelectorAll('li.call')].filter(li => li.querySelector('[data-dir=out]')).map(li => li.textContent).join('|')`)
		return strings.Contains(s, "01 23 45 67 89")
	})

	// "Call back" in the side panel's history: Alice calls, nobody
	// answers; the side panel shows that call, and under it the earlier
	// outbound one, to call back.
	missed, err := e.s.sim.Ring(ovhsim.Call{Line: line, Calling: "0033123456789", Scenario: ovhsim.Missed, RingFor: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.waitView("Alice Martin's missed call", missed, func(v background.CallView) bool { return v.Call.Missed })
	panel := e.b.tab(e.b.extURL("sidepanel.html"))
	button := `#history [data-action=call-back][data-id=` + popJS(first.Call.ID) + `]`
	e.b.waitFor("the side panel's history to offer to call back", 15*time.Second, func() bool {
		ok, _ := eval[bool](panel, `!!document.querySelector(`+popJS(button)+`)`)
		return ok
	})
	if _, err := eval[any](panel, `document.querySelector(`+popJS(button)+`).click()`); err != nil {
		t.Fatal(err)
	}
	e.b.waitFor("the side panel to say it calls back", 20*time.Second, func() bool {
		text, _ = eval[string](panel, `(() => { const p = document.getElementById('panel-error'); return p.dataset.kind === 'ok' ? p.textContent : '' })()`)
		return text != ""
	})
	if want := "Calling 01 23 45 67 89 back"; !strings.HasPrefix(text, want) {
		t.Errorf("the side panel says %q, want %q…", text, want)
	}
	e.outbound("the call back to Alice Martin in the extension's calls", "0033123456789", first.Call.ID)
}

// TestDialBadNumber: a phone field holding something that is not a
// number: the page shows the relay's error, no call is placed.
func TestDialBadNumber(t *testing.T) {
	e := startDialEnv(t, append(ovhapi.AccessRules(), ovhapi.Click2CallAccessRule()))
	c := e.crm
	ctx := context.Background()
	id, err := c.SetEntry(ctx, "Contacts", map[string]string{"first_name": "Nina", "last_name": "Sansnuméro", "phone_work": "+33 6 12"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Delete(context.Background(), "Contacts", id) })
	page := e.b.tab(c.RecordURL(suitecrm.Record{Module: "Contacts", ID: id}))
	e.pageText("Nina's DetailView", page, "Sansnuméro")
	sel := e.callLink(page, "phone_work", "+33 6 12")

	calls := e.s.sim.Stats().Calls
	if _, err := eval[any](page, `document.querySelector(`+popJS(sel)+`).click()`); err != nil {
		t.Fatal(err)
	}
	var text, kind string
	e.b.waitFor("the page to show the relay's error", 20*time.Second, func() bool {
		text, kind = dialBox(page)
		return kind == "ok" || kind == "error"
	})
	for _, want := range []string{"Cannot call +33 6 12:", "is not a phone number the relay can call", "+33 1 23 45 67 89"} {
		if kind != "error" || !strings.Contains(text, want) {
			t.Errorf("the page says %q (%s), want an error saying %q", text, kind, want)
		}
	}
	e.settled()
	if got := e.s.sim.Stats().Calls; got != calls {
		t.Errorf("a number that does not parse placed %d calls", got-calls)
	}
}
