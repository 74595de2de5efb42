package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/screenpop/screenpop/e2e/suitecrm"
	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/phone/parse"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/server/crm"
	"github.com/screenpop/screenpop/server/relay"
	"github.com/screenpop/screenpop/wasm/background"
)

// Issue #12, items 4, 6 and 7: against the real SuiteCRM 7.14.6 of
// e2e/suitecrm, through the extension in Chromium, with the relay's
// caller directory synced from it: a ring opens the caller's own record,
// a shared number lists both records and opens the search, an unknown
// number opens the new-contact form with the number in it, and the
// notification and the popup name the caller.

// crmEnv is a browser logged into the real SuiteCRM, with the extension
// connected to a relay whose directory is synced from that SuiteCRM.
type crmEnv struct {
	*popEnv
	crm *suitecrm.CRM
}

// startCRMEnv syncs a directory from the real SuiteCRM, starts a relay
// with it (the OVH emulator feeding it, as startStack does) and a
// browser logged into SuiteCRM as the admin (the session cookie of a
// real web login), the extension set to SuiteCRM 7's preset on the
// address the browser uses, a new tab per call.
func startCRMEnv(t *testing.T) *crmEnv {
	t.Helper()
	return startCRMEnvWith(t, builtExtension(t))
}

// startCRMEnvWith is startCRMEnv with the unpacked extension at ext.
func startCRMEnvWith(t *testing.T, ext string) *crmEnv {
	t.Helper()
	c := suitecrm.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)

	dir, err := directory.New("FR")
	if err != nil {
		t.Fatal(err)
	}
	// The relay's CRM user, as its crm-url, crm-user and password would
	// configure it (server/crm_config.go): the harness's admin.
	api, err := crm.NewV4Client(crm.V4Config{BaseURL: c.BaseURL, User: c.User, Password: c.Password})
	if err != nil {
		t.Fatal(err)
	}
	syncer := &crm.Syncer{Source: api, Directory: dir}
	st, err := syncer.Full(ctx)
	if err != nil {
		t.Fatalf("syncing the directory from the real SuiteCRM: %v", err)
	}
	if st.Upserts < len(c.Seeded) {
		t.Fatalf("the sync listed %d records, want the %d seeded at least", st.Upserts, len(c.Seeded))
	}

	s, _ := startStackWith(t, relay.Config{AllowAnonymous: true, CRM: &relay.CRM{
		Directory: dir,
		Search:    api,
		RecordURL: func(module, id string) string { return crm.RecordURL(crm.KindSuiteCRM7, c.BaseURL, module, id) },
	}})
	s.crm, s.fake = nil, nil // the CRM is the real SuiteCRM

	b := startBrowserWith(t, browserOptions{Ext: ext})
	e := &crmEnv{popEnv: &popEnv{t: t, b: b, s: s, page: b.tab(b.extURL("options.html"))}, crm: c}
	e.login(ctx)
	e.crmSettings(func(*settings.Settings) {})
	b.waitFor("the extension to connect to the relay", 20*time.Second, func() bool {
		st, _ := eval[string](e.page, `chrome.storage.local.get('status').then(r => r.status && r.status.relay === `+popJS(s.relay.URL)+` ? r.status.state : '')`)
		return st == background.StatusConnected
	})
	return e
}

// login gives the browser the session of a real web login to SuiteCRM
// (suitecrm.CRM.Browser), so the pops land on the CRM's pages, not on
// its login form.
func (e *crmEnv) login(ctx context.Context) {
	e.t.Helper()
	h, err := e.crm.Browser(ctx)
	if err != nil {
		e.t.Fatalf("logging in to SuiteCRM: %v", err)
	}
	base, _ := url.Parse(e.crm.BaseURL)
	cookies := h.Jar.Cookies(base)
	if len(cookies) == 0 {
		e.t.Fatal("the SuiteCRM login set no cookie")
	}
	for _, ck := range cookies {
		if _, err := chromedp.Call(e.page, network.SetCookie, network.SetCookieParams{Name: ck.Name, Value: ck.Value, URL: e.crm.BaseURL + "/"}); err != nil {
			e.t.Fatalf("giving the browser SuiteCRM's session cookie %s: %v", ck.Name, err)
		}
	}
}

// crmSettings writes the agent's settings: the relay, SuiteCRM 7's
// preset on the CRM's address, a new tab per call, notifications on, no
// cap; then edit's changes.
func (e *crmEnv) crmSettings(edit func(*settings.Settings)) {
	e.t.Helper()
	s := settings.Default()
	s.RelayURL = e.s.relay.URL
	s.Preset, s.CRMBase = pop.PresetSugar6, e.crm.BaseURL
	tm, err := pop.PresetURL(pop.PresetSugar6, e.crm.BaseURL)
	if err != nil {
		e.t.Fatal(err)
	}
	s.Template = tm
	s.Mode, s.CapPerMinute, s.Notify = settings.ModeTab, 0, true
	edit(&s)
	if _, err := eval[any](e.page, `chrome.storage.local.set({settings: `+popJS(s)+`})`); err != nil {
		e.t.Fatalf("writing the settings: %v", err)
	}
	e.settled()
}

// ovhForm is a seeded number as OVH sends a caller: 0033…, 001….
func ovhForm(t *testing.T, number string) string {
	t.Helper()
	n := parse.Number(number, "FR")
	if n.Forms.Intl00 == "" {
		t.Fatalf("the seeded number %q does not parse", number)
	}
	return n.Forms.Intl00
}

// waitTab waits for a tab on exactly u and returns its context.
func (e *crmEnv) waitTab(what, u string) context.Context {
	e.t.Helper()
	var id target.ID
	e.b.waitFor(what, 30*time.Second, func() bool {
		for _, ti := range e.b.targets() {
			if ti.Type == "page" && ti.URL == u {
				id = ti.TargetID
				return true
			}
		}
		return false
	})
	ctx, cancel := chromedp.NewContext(e.b.ctx, chromedp.WithTargetID(id))
	e.t.Cleanup(cancel)
	return ctx
}

// pageText waits until the page in ctx has loaded and its text holds want.
func (e *crmEnv) pageText(what string, ctx context.Context, want string) {
	e.t.Helper()
	var text string
	found := false
	defer func() {
		if !found {
			e.t.Logf("the page said: %.600q", strings.Join(strings.Fields(text), " "))
		}
	}()
	e.b.waitFor(what, 30*time.Second, func() bool {
		text, _ = eval[string](ctx, `document.readyState === 'complete' ? location.href + ' ' + document.body.textContent : ''`)
		found = strings.Contains(text, want)
		return found
	})
}

func TestCRMPopRecord(t *testing.T) {
	e := startCRMEnv(t)
	c := e.crm

	// Every seeded record with a number of its own opens its own
	// DetailView, whatever the format it is stored in, from OVH's 0033…
	// (the two Moreaus share theirs: below).
	shared := c.Record(t, "Hugo Moreau").Number
	for _, r := range c.Seeded {
		if parse.Number(r.Number, "FR").Forms.E164 == parse.Number(shared, "FR").Forms.E164 {
			continue
		}
		caller := ovhForm(t, r.Number)
		id := e.ring(caller)
		tab := e.waitTab("the DetailView of "+r.Name+" ("+r.Number+", rung as "+caller+")", c.RecordURL(r))
		e.pageText("the record page to show "+r.Name, tab, r.Name)
		v := e.waitView("the call of "+r.Name+" to pop its record", id, func(v background.CallView) bool { return v.Popped })
		if v.Target != pop.TargetRecord || v.URL != c.RecordURL(r) {
			t.Errorf("%s: the view's target %q URL %s, want the record %s", r.Name, v.Target, v.URL, c.RecordURL(r))
		}
		e.s.sim.EndCall(id)
	}
}

func TestCRMPopCard(t *testing.T) {
	e := startCRMEnv(t)
	c := e.crm

	// The notification and the popup name the caller, with the account:
	// "Alice Martin — Martin SA", the number on the notification's
	// second line.
	alice := c.Record(t, "Alice Martin")
	e.recordNotes()
	id := e.ring(ovhForm(t, alice.Number))
	e.waitTab("Alice Martin's DetailView", c.RecordURL(alice))
	key := line + "|" + id
	var n shownNote
	e.b.waitFor("the ringing notification naming Alice Martin — Martin SA", 20*time.Second, func() bool {
		n = e.note(key)
		return n.Title != ""
	})
	if !strings.Contains(n.Title, "Alice Martin — Martin SA") || !strings.Contains(n.Message, "01 23 45 67 89") {
		t.Errorf("notification %q / %q: want the title to name Alice Martin — Martin SA and the second line the number 01 23 45 67 89", n.Title, n.Message)
	}
	popup := e.b.tab(e.b.extURL("popup.html"))
	e.b.waitFor("the popup's live call to name Alice Martin", 20*time.Second, func() bool {
		s, _ := eval[string](popup, `(document.querySelector('#live .name') || {}).textContent || ''`)
		return s == "Alice Martin — Martin SA"
	})
	if rec, _ := eval[string](popup, `(document.querySelector('#live .record') || {}).textContent || ''`); rec != "Contact · Assigned to Administrator" {
		t.Errorf("popup row's record type %q, want Contact · Assigned to Administrator", rec)
	}
	e.s.sim.EndCall(id)

	// A number two records share (a contact and a lead): the side panel
	// lists both, and the pop opens the search (the default).
	hugo, ines := c.Record(t, "Hugo Moreau"), c.Record(t, "Inès Moreau")
	caller := ovhForm(t, hugo.Number)
	id = e.ring(caller)
	v := e.waitView("the shared number's call to pop", id, func(v background.CallView) bool { return v.Popped })
	if v.Target != pop.TargetSearch || !strings.Contains(v.URL, "action=UnifiedSearch") || len(v.Matches) != 2 {
		t.Fatalf("shared number: target %q URL %s, %d matches; want the search and two matches", v.Target, v.URL, len(v.Matches))
	}
	search := e.waitTab("the search for the shared number", v.URL)
	e.pageText("the search to find both Moreaus", search, "Moreau")
	panel := e.b.tab(e.b.extURL("sidepanel.html"))
	e.b.waitFor("the side panel to list both records", 20*time.Second, func() bool {
		s, _ := eval[string](panel, `[...document.querySelectorAll('#matches li')].map(li => li.textContent).join('|')`)
		return strings.Contains(s, hugo.Name) && strings.Contains(s, ines.Name) && strings.Count(s, "|") == 1
	})
	hrefs, _ := eval[[]string](panel, `[...document.querySelectorAll('#matches a')].map(a => a.href)`)
	for _, want := range []string{c.RecordURL(hugo), c.RecordURL(ines)} {
		if !containsString(hrefs, want) {
			t.Errorf("side panel links %q lack %s", hrefs, want)
		}
	}
	kinds, _ := eval[string](panel, `[...document.querySelectorAll('#matches .module')].map(m => m.textContent).join(',')`)
	if kinds != "Contact,Lead" && kinds != "Lead,Contact" {
		t.Errorf("record types %q, want Contact and Lead", kinds)
	}
	// Choosing one opens it, through the background (not the search
	// held behind this page).
	if _, err := eval[any](panel, `document.querySelector('#matches a[href*="`+ines.ID+`"]').click()`); err != nil {
		t.Fatal(err)
	}
	ines1 := e.waitTab("Inès Moreau's record, chosen in the side panel", c.RecordURL(ines))
	e.pageText("the record page to show Inès Moreau", ines1, ines.Name)
	e.s.sim.EndCall(id)

	// An unknown number, the agent having chosen "a new contact": the
	// new-contact form opens with the number in its phone field.
	e.crmSettings(func(s *settings.Settings) { s.NoMatch = pop.NoneNew })
	id = e.ring("0033612345699")
	form := crmURL(c, "index.php?module=Contacts&action=EditView&phone_work=06%2012%2034%2056%2099")
	tab := e.waitTab("the new-contact form for 06 12 34 56 99", form)
	e.b.waitFor("the form's phone field to hold the number", 30*time.Second, func() bool {
		s, _ := eval[string](tab, `(document.querySelector('input[name=phone_work]') || {}).value || ''`)
		return s == "06 12 34 56 99"
	})
	e.s.sim.EndCall(id)
}

func crmURL(c *suitecrm.CRM, path string) string { return c.BaseURL + "/" + path }

// shownNote is a notification the worker asked for.
type shownNote struct {
	Title   string `json:"title"`
	Message string `json:"message"`
}

// recordNotes has the worker keep what it shows: a headless browser
// shows no notification, and the API tells only their IDs. The worker
// looks chrome.notifications.create up at each call (browser.Notify), so
// wrapping it sees every notification until the worker stops.
func (e *crmEnv) recordNotes() {
	e.t.Helper()
	w, cancel := chromedp.NewContext(e.b.ctx, chromedp.WithTargetID(target.ID(e.b.workerID())), chromedp.WithDetachOnCancel())
	defer cancel()
	if _, err := eval[any](w, `(() => {
		const n = chrome.notifications, create = n.create.bind(n);
		globalThis.screenpopNotes = {};
		n.create = (id, opts, ...rest) => { globalThis.screenpopNotes[id] = {title: opts.title, message: opts.message}; return create(id, opts, ...rest); };
		return true;
	})()`); err != nil {
		e.t.Fatalf("wrapping the worker's notifications: %v", err)
	}
}

// note is what notification id said last ("" fields: none yet).
func (e *crmEnv) note(id string) shownNote {
	id64 := e.b.workerID()
	if id64 == "" {
		return shownNote{}
	}
	w, cancel := chromedp.NewContext(e.b.ctx, chromedp.WithTargetID(target.ID(id64)), chromedp.WithDetachOnCancel())
	defer cancel()
	n, _ := eval[shownNote](w, `(globalThis.screenpopNotes || {})[`+popJS(id)+`] || {title: '', message: ''}`)
	return n
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A contact made in the CRM after the relay's last sync: the ring pops
// the search at once (the relay does not hold it back), the relay's live
// lookup finds the contact and sends a follow-up card, and the extension
// names the caller in the view and the notification, points "open in
// CRM" at the record, and opens nothing more.
func TestCRMPopFollowUp(t *testing.T) {
	e := startCRMEnv(t)
	c := e.crm
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := c.SetEntry(ctx, "Contacts", map[string]string{"first_name": "Zoé", "last_name": "Nouvel", "phone_mobile": "06 12 34 56 77"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Delete(context.Background(), "Contacts", id) })
	record := c.RecordURL(suitecrm.Record{Module: "Contacts", ID: id})

	e.recordNotes()
	callID := e.ring("0033612345677")
	v := e.waitView("the follow-up card to name Zoé Nouvel", callID, func(v background.CallView) bool {
		return v.Popped && len(v.Matches) == 1 && v.Matches[0].ID == id
	})
	if v.Target != pop.TargetRecord || v.URL != record || v.CallerName != "Zoé Nouvel" {
		t.Errorf("after the follow-up: target %q URL %s name %q, want the record %s of Zoé Nouvel", v.Target, v.URL, v.CallerName, record)
	}
	e.waitTab("the search the ring popped at once", crmURL(c, "index.php?module=Home&action=UnifiedSearch&query_string=%256%251%252%253%254%255%256%257%257"))
	e.b.waitFor("the notification to name Zoé Nouvel", 20*time.Second, func() bool {
		return strings.Contains(e.note(line+"|"+callID).Title, "Zoé Nouvel")
	})
	e.settled() // every action of the follow-up is asked for
	for _, u := range e.b.pages() {
		if u == record {
			t.Errorf("the follow-up popped the record too: %q", e.b.pages())
		}
	}
	e.s.sim.EndCall(callID)
}

// The in-page card in the real SuiteCRM's own page: it names the caller
// (name, company, record type, owner), its "Open in CRM" navigates that
// page to the record; for a shared number, with "let me choose", it lists
// both records and the chosen one opens in the page.
func TestCRMPopInPage(t *testing.T) {
	e := startCRMEnvWith(t, withHostAccess(t, builtExtension(t), "http://127.0.0.1/*"))
	c := e.crm
	e.crmSettings(func(s *settings.Settings) { s.Mode, s.ManyMatches = settings.ModeInPage, pop.ManyChoose })
	crmPage := e.b.tab(crmURL(c, "index.php?module=Contacts&action=index"))
	e.pageText("the CRM's contact list", crmPage, "Alice")

	alice := c.Record(t, "Alice Martin")
	id := e.ring(ovhForm(t, alice.Number))
	card := e.b.frameWhere(e.b.extURL("card.html"), 30*time.Second, "the card to name Alice Martin", func(ctx context.Context) bool {
		s, _ := eval[string](ctx, `(document.getElementById('card-name') || {}).textContent || ''`)
		return s == "Alice Martin"
	})
	for id, want := range map[string]string{"card-company": "Martin SA", "card-record": "Contact Assigned to Administrator", "card-number": "01 23 45 67 89", "card-search": "Open in CRM"} {
		if got, _ := eval[string](card, `(document.getElementById(`+popJS(id)+`) || {}).textContent || ''`); got != want {
			t.Errorf("card #%s = %q, want %q", id, got, want)
		}
	}
	if _, err := eval[any](card, `document.getElementById('card-search').click()`); err != nil {
		t.Fatal(err)
	}
	e.b.waitFor("the CRM page to open Alice Martin's record", 30*time.Second, func() bool {
		u, _ := eval[string](crmPage, `location.href`)
		return u == c.RecordURL(alice)
	})
	e.pageText("the record page to show Alice Martin", crmPage, alice.Name)
	e.s.sim.EndCall(id)

	hugo, ines := c.Record(t, "Hugo Moreau"), c.Record(t, "Inès Moreau")
	id = e.ring(ovhForm(t, hugo.Number))
	card = e.b.frameWhere(e.b.extURL("card.html"), 30*time.Second, "the card to list both Moreaus", func(ctx context.Context) bool {
		n, _ := eval[int](ctx, `document.querySelectorAll('#card-matches a').length`)
		return n == 2
	})
	if got, _ := eval[string](card, `document.getElementById('card-matches').textContent`); !strings.Contains(got, "Hugo Moreau · Contact") || !strings.Contains(got, "Inès Moreau · Lead") {
		t.Errorf("card matches %q, want Hugo Moreau · Contact and Inès Moreau · Lead", got)
	}
	if _, err := eval[any](card, `[...document.querySelectorAll('#card-matches a')].find(a => a.textContent.startsWith('Inès')).click()`); err != nil {
		t.Fatal(err)
	}
	e.b.waitFor("the CRM page to open Inès Moreau's record", 30*time.Second, func() bool {
		u, _ := eval[string](crmPage, `location.href`)
		return u == c.RecordURL(ines)
	})
	e.pageText("the record page to show Inès Moreau", crmPage, ines.Name)
	e.s.sim.EndCall(id)
}
