package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/wasm/background"
)

// withHostAccess copies the unpacked extension at src and grants it host
// access to patterns at install, as if the agent had clicked "allow" when
// the options page asked (a permission prompt can't be answered headless).
func withHostAccess(t testing.TB, src string, patterns ...string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "ext")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatalf("copying the extension: %v", err)
	}
	p := filepath.Join(dst, "manifest.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	m["host_permissions"] = patterns
	raw, _ = json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// writeSettings stores s as the extension's settings from an extension
// page, as the options page does on Save, and waits for the background to
// connect to the relay with them.
func (b *browser) writeSettings(page context.Context, s settings.Settings) {
	b.t.Helper()
	raw, err := json.Marshal(s)
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := eval[any](page, `chrome.storage.local.set({settings: `+string(raw)+`})`); err != nil {
		b.t.Fatalf("writing the settings: %v", err)
	}
	b.waitFor("the extension to connect to "+s.RelayURL, 45*time.Second, func() bool {
		st, _ := eval[string](page, `chrome.storage.local.get('status').then(r => r.status && r.status.relay === `+jsString(s.RelayURL)+` ? r.status.state : '')`)
		return st == "connected"
	})
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// frame returns a context attached to the out-of-process frame (or page)
// whose URL starts with prefix, waiting for it to appear.
func (b *browser) frame(prefix string, timeout time.Duration) context.Context {
	b.t.Helper()
	return b.frameWhere(prefix, timeout, "a frame on "+prefix, func(context.Context) bool { return true })
}

// frameWhere is like frame, for the frame on prefix where cond holds: the
// card of an earlier call may still be listed while the content script
// replaces it, and a context on it would never see the new call.
func (b *browser) frameWhere(prefix string, timeout time.Duration, what string, cond func(ctx context.Context) bool) context.Context {
	b.t.Helper()
	var found context.Context
	tried := map[target.ID]context.Context{}
	b.waitFor(what, timeout, func() bool {
		for _, ti := range b.targets() {
			if ti.Type != "iframe" && ti.Type != "page" || !strings.HasPrefix(ti.URL, prefix) {
				continue
			}
			ctx, ok := tried[ti.TargetID]
			if !ok {
				var cancel context.CancelFunc
				ctx, cancel = chromedp.NewContext(b.ctx, chromedp.WithTargetID(ti.TargetID))
				b.t.Cleanup(cancel)
				tried[ti.TargetID] = ctx
			}
			if cond(ctx) {
				found = ctx
				return true
			}
		}
		return false
	})
	return found
}

// inPageSettings pops calls as a card inside the open fake CRM page.
func inPageSettings(s *stack) settings.Settings {
	st := settings.Default()
	st.RelayURL = s.relay.URL
	st.CRMBase = s.crm.URL
	st.Template = s.crm.URL + "/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING_E164*"
	st.Mode = settings.ModeInPage
	st.CapPerMinute = 0 // no cap
	return st
}

func TestInPageCard(t *testing.T) {
	s := startStack(t)
	b := startBrowserWith(t, browserOptions{Ext: withHostAccess(t, builtExtension(t), "http://127.0.0.1/*")})
	page := b.tab(b.extURL("popup.html"))
	b.writeSettings(page, inPageSettings(s))

	// The agent works in the CRM; a call rings: the card appears in that
	// page, and no other tab opens.
	home := s.crm.URL + "/index.php?module=Contacts&action=index"
	crm := b.tab(home)
	const caller, second = "0033123456780", "0033612345682"
	if _, err := s.sim.Ring(ovhsim.Call{Line: line, Calling: caller, Scenario: "ringing"}); err != nil {
		t.Fatal(err)
	}
	card := b.frame(b.extURL("card.html"), 30*time.Second)
	var text string
	b.waitFor("the card to show the caller", 20*time.Second, func() bool {
		text, _ = eval[string](card, `document.getElementById('app').innerText`)
		return strings.Contains(text, "01 23 45 67 80")
	})
	for _, want := range []string{"+33123456780", "Line: Accueil", "Search in CRM"} {
		if !strings.Contains(text, want) {
			t.Errorf("card text %q lacks %q", text, want)
		}
	}
	if state, _ := eval[string](card, `document.getElementById('card-state').dataset.state`); state != "ringing" {
		t.Errorf("card state = %q, want ringing", state)
	}
	if timer, _ := eval[string](card, `document.getElementById('card-timer').textContent`); !regexp.MustCompile(`^\d+:\d\d$`).MatchString(timer) {
		t.Errorf("card timer = %q, want m:ss", timer)
	}
	// The card lives in a closed shadow root: the CRM page's scripts can't reach it.
	if open, _ := eval[bool](crm, `(() => { const h = document.querySelector('screenpop-card'); return !h || h.shadowRoot !== null })()`); open {
		t.Error("the card's host is missing or its shadow root is open to the page")
	}
	var crmTabs []string
	for _, u := range b.pages() {
		if strings.HasPrefix(u, s.crm.URL) {
			crmTabs = append(crmTabs, u)
		}
	}
	if len(crmTabs) != 1 || crmTabs[0] != home {
		t.Errorf("CRM tabs = %q, want only the agent's page %s", crmTabs, home)
	}

	// The close button removes the card from the page.
	if _, err := eval[any](card, `document.getElementById('card-close').click()`); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the card to close", 20*time.Second, func() bool {
		n, _ := eval[int](crm, `document.querySelectorAll('screenpop-card').length`)
		return n == 0 && !b.hasFrame(b.extURL("card.html"))
	})

	// The next call shows the card again in the same page.
	if _, err := s.sim.Ring(ovhsim.Call{Line: line, Calling: second, Scenario: "ringing"}); err != nil {
		t.Fatal(err)
	}
	card = b.frame(b.extURL("card.html"), 30*time.Second)
	b.waitFor("the card to show the second caller", 20*time.Second, func() bool {
		text, _ = eval[string](card, `document.getElementById('card-number').textContent`)
		return text == "06 12 34 56 82"
	})

	// "Search in CRM" navigates the CRM page itself.
	if _, err := eval[any](card, `document.getElementById('card-search').click()`); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the CRM page to search for the caller", 20*time.Second, func() bool {
		u, _ := eval[string](crm, `location.href`)
		pu, err := url.Parse(u)
		return err == nil && pu.Query().Get("query_string") == "+33612345682" && !b.hasFrame(b.extURL("card.html"))
	})
	if found, _ := eval[string](crm, `document.querySelector('.contact td') ? document.querySelector('.contact td').textContent : ''`); found != "Camille Martin" {
		t.Errorf("the CRM search found %q, want Camille Martin", found)
	}

	// The next call finds the registered content script in the page the
	// card navigated to, and shows a fresh card there.
	if _, err := s.sim.Ring(ovhsim.Call{Line: line, Calling: caller, Scenario: "ringing"}); err != nil {
		t.Fatal(err)
	}
	card = b.frame(b.extURL("card.html"), 30*time.Second)
	b.waitFor("the card to show the third call", 20*time.Second, func() bool {
		text, _ = eval[string](card, `document.getElementById('card-number').textContent`)
		return text == "01 23 45 67 80"
	})

	// Several CRM records match (the view carries them): the card lists
	// them, each a link that opens the record in this CRM page.
	var shown background.InPageCard
	if !stored(t, page, background.InPageKey, &shown) {
		t.Fatal("no card in storage")
	}
	record := s.crm.URL + "/index.php?module=Contacts&action=DetailView&record=c4"
	shown.View.Matches = []stream.Match{
		{Name: "Lucas Petit", Module: "Contacts", URL: record},
		{Name: "Petit Transport", Module: "Accounts", URL: s.crm.URL + "/index.php?module=Accounts&action=DetailView&record=a4"},
	}
	store(t, page, background.InPageKey, shown)
	b.waitFor("the card to list two records", 20*time.Second, func() bool {
		n, _ := eval[int](card, `document.querySelectorAll('#card-matches a').length`)
		return n == 2
	})
	if _, err := eval[any](card, `document.querySelector('#card-matches a').click()`); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the CRM page to open the record", 20*time.Second, func() bool {
		u, _ := eval[string](crm, `location.href`)
		return u == record
	})

	// No CRM page open: the pop falls back to opening one.
	if _, err := chromedp.CallBrowser(b.ctx, target.CloseTarget, target.CloseTargetParams{TargetID: chromedp.FromContext(crm).Target.TargetID}); err != nil {
		t.Fatalf("closing the CRM tab: %v", err)
	}
	b.waitFor("the CRM tab to close", 20*time.Second, func() bool {
		for _, u := range b.pages() {
			if strings.HasPrefix(u, s.crm.URL) {
				return false
			}
		}
		return true
	})
	const fourth = "0033612345683"
	if _, err := s.sim.Ring(ovhsim.Call{Line: line, Calling: fourth, Scenario: "ringing"}); err != nil {
		t.Fatal(err)
	}
	b.waitFor("a CRM tab for the fourth caller", 30*time.Second, func() bool {
		for _, u := range b.pages() {
			if strings.HasPrefix(u, s.crm.URL) && strings.Contains(u, url.QueryEscape("+33612345683")) {
				return true
			}
		}
		return false
	})
}

// hasFrame reports whether a frame or page on prefix is open.
func (b *browser) hasFrame(prefix string) bool {
	for _, ti := range b.targets() {
		if (ti.Type == "iframe" || ti.Type == "page") && strings.HasPrefix(ti.URL, prefix) {
			return true
		}
	}
	return false
}
