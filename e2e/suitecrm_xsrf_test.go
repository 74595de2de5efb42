package e2e

// Issue #12, item 5: nothing the extension opens is refused by the real
// SuiteCRM's cross-site check, which answers "Possible Cross Site Request
// Forgery (XSRF) Attack Detected" to a request whose Referer is another
// site, an extension page (chrome-extension://…) included: the pop
// itself, against the real SuiteCRM 7.14.6 of e2e/suitecrm.

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
	"github.com/screenpop/screenpop/internal/settings"
)

const xsrfText = "Cross Site Request Forgery"

// suiteEnv is a browser logged into the real SuiteCRM, the extension
// connected to a relay fed by the OVH emulator and set to search that
// SuiteCRM (the SuiteCRM 7 preset's search: no caller directory).
type suiteEnv struct {
	*popEnv
	crm *suitecrm.CRM
}

func startSuiteEnv(t *testing.T) *suiteEnv {
	t.Helper()
	c := suitecrm.Start(t)
	e := &suiteEnv{popEnv: startPopEnvWith(t, browserOptions{Ext: builtExtension(t)}), crm: c}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h, err := c.Browser(ctx)
	if err != nil {
		t.Fatalf("logging in to SuiteCRM: %v", err)
	}
	base, _ := url.Parse(c.BaseURL)
	cookies := h.Jar.Cookies(base)
	if len(cookies) == 0 {
		t.Fatal("the SuiteCRM login set no cookie")
	}
	for _, ck := range cookies {
		if _, err := chromedp.Call(e.page, network.SetCookie, network.SetCookieParams{Name: ck.Name, Value: ck.Value, URL: c.BaseURL + "/"}); err != nil {
			t.Fatalf("giving the browser SuiteCRM's session cookie %s: %v", ck.Name, err)
		}
	}
	return e
}

// suiteSettings points the extension at the real SuiteCRM's search.
func (e *suiteEnv) suiteSettings(edit func(*settings.Settings)) {
	e.settings(func(s *settings.Settings) {
		s.CRMBase = e.crm.BaseURL
		s.Template = e.crm.BaseURL + "/index.php?module=Home&action=UnifiedSearch&query_string=*OTHER_LIKE*"
		edit(s)
	})
}

// suiteTabs are the open tabs on SuiteCRM's search.
func (e *suiteEnv) suiteTabs() []*target.Info {
	var out []*target.Info
	for _, ti := range e.b.targets() {
		if ti.Type == "page" && strings.HasPrefix(ti.URL, e.crm.BaseURL) && strings.Contains(ti.URL, "UnifiedSearch") {
			out = append(out, ti)
		}
	}
	return out
}

// closeSuiteTabs closes every SuiteCRM tab, so the next opener's is the
// only one.
func (e *suiteEnv) closeSuiteTabs() {
	e.t.Helper()
	for _, ti := range e.suiteTabs() {
		if _, err := chromedp.CallBrowser(e.b.ctx, target.CloseTarget, target.CloseTargetParams{TargetID: ti.TargetID}); err != nil {
			e.t.Fatal(err)
		}
	}
	e.b.waitFor("the SuiteCRM tabs to close", 5*time.Second, func() bool { return len(e.suiteTabs()) == 0 })
}

// searchPage waits for the one SuiteCRM search tab to have loaded, and
// returns its text.
func (e *suiteEnv) searchPage(what string) string {
	e.t.Helper()
	var text string
	defer func() {
		if e.t.Failed() {
			e.t.Logf("open pages: %q", e.b.pages())
		}
	}()
	e.b.waitFor("the SuiteCRM page opened by "+what, 30*time.Second, func() bool {
		tabs := e.suiteTabs()
		if len(tabs) != 1 {
			return false
		}
		ctx, cancel := chromedp.NewContext(e.b.ctx, chromedp.WithTargetID(tabs[0].TargetID), chromedp.WithDetachOnCancel())
		defer cancel()
		v, err := eval[string](ctx, `document.readyState === 'complete' ? document.body.innerText : ''`)
		text = v
		return err == nil && (strings.Contains(v, xsrfText) || strings.Contains(v, "Alice Martin") || strings.Contains(v, "Search"))
	})
	return text
}

// refused fails the test when the page is SuiteCRM's cross-site refusal
// or not the results for Alice Martin.
func refused(t *testing.T, what, page string) {
	t.Helper()
	if strings.Contains(page, xsrfText) {
		t.Errorf("%s: SuiteCRM refused the page as a cross-site request: %.300q", what, page)
	} else if !strings.Contains(page, "Alice Martin") {
		t.Errorf("%s: the search results lack Alice Martin: %.300q", what, page)
	}
}

func TestSuiteCRMNoXSRF(t *testing.T) {
	e := startSuiteEnv(t)
	alice := e.crm.Record(t, "Alice Martin")
	const caller = "0033123456789" // Alice Martin's +33 1 23 45 67 89, as OVH sends it
	if !strings.Contains(alice.Number, "23 45 67 89") {
		t.Fatalf("Alice Martin's number is %q: the seed changed", alice.Number)
	}

	t.Run("pop", func(t *testing.T) {
		e.closeSuiteTabs()
		e.suiteSettings(func(s *settings.Settings) { s.Mode = settings.ModeTab })
		id := e.ring(caller)
		defer e.s.sim.EndCall(id)
		refused(t, "the pop", e.searchPage("the pop"))
	})

	// Still to prove here: the popup's "open in CRM", the side panel's
	// "Search in CRM", the notification's click and the in-page card (a
	// first try of the popup's opened no tab within 30 s; not yet
	// understood). Measured meanwhile: a plain link on an extension page
	// opened by Chromium was NOT refused (no chrome-extension Referer
	// reached SuiteCRM), while curl with that Referer is.
}
