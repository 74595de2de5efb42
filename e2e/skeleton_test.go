// Package e2e runs the whole product: the OVH emulator, the relay polling it
// over HTTP, a fake SugarCRM, and headless Chromium with the built extension.
package e2e

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"

	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/server/democrm"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/server/relay"
	"github.com/screenpop/screenpop/server/upstream"
)

const (
	billing = "ab12345-ovh-1"
	line    = "0033972101010"
)

// stack is everything but the browser.
type stack struct {
	sim   *ovhsim.Sim
	relay *httptest.Server
	crm   *httptest.Server
	fake  *democrm.Server
	token string // the emulator's token the relay polls with
}

// startEmulator serves an OVH emulator with the test line and returns a
// token for it.
func startEmulator(t testing.TB) (*ovhsim.Sim, *httptest.Server, string) {
	t.Helper()
	sim := ovhsim.New(ovhsim.Config{HoldTime: time.Second})
	sim.AddLine(billing, line, "Accueil")
	token, err := sim.NewToken(line, "1 day")
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	return sim, simSrv, token
}

// pollEmulator has r poll the emulator at simSrv with token until the
// test ends.
func pollEmulator(t testing.TB, r *relay.Relay, simSrv *httptest.Server, token string, log *slog.Logger) {
	p := &upstream.Poller{EventsURL: simSrv.URL + "/", Token: token, Log: log, Backoff: upstream.Backoff{Min: 100 * time.Millisecond, Max: time.Second}}
	r.Watch(p)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go p.Run(ctx)
}

func startStack(t testing.TB) *stack {
	t.Helper()
	// Anonymous: the test's extension has no connection string (demo-style).
	s, _ := startStackWith(t, relay.Config{AllowAnonymous: true})
	return s
}

// startStackWith is startStack with a relay of cfg (a store, agents, a
// CRM directory…; Region FR and a log of warnings unless cfg says), and
// returns that relay too.
func startStackWith(t testing.TB, cfg relay.Config) (*stack, *relay.Relay) {
	t.Helper()
	sim, simSrv, token := startEmulator(t)
	if cfg.Region == "" {
		cfg.Region = "FR"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	r, err := relay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pollEmulator(t, r, simSrv, token, cfg.Log)
	relaySrv := httptest.NewServer(r.Handler())
	t.Cleanup(relaySrv.Close)
	t.Cleanup(r.Shutdown)

	fake := &democrm.Server{}
	crm := httptest.NewServer(fake)
	t.Cleanup(crm.Close)
	return &stack{sim: sim, relay: relaySrv, crm: crm, fake: fake, token: token}, r
}

// crmTabs returns the open tabs on the fake CRM searching for number.
func (b *browser) crmTabs(crmURL, number string) []string {
	var out []string
	for _, u := range b.pages() {
		if !strings.HasPrefix(u, crmURL) {
			continue
		}
		pu, err := url.Parse(u)
		if err == nil && pu.Query().Get("query_string") == number {
			out = append(out, u)
		}
	}
	return out
}

// configure fills the options page like an agent would, choosing a new
// tab per call (not the default, one tab that follows the calls), so that
// each call's pop stays countable.
func configure(t *testing.T, b *browser, relayURL, template string) context.Context {
	t.Helper()
	opts := b.tab(b.extURL("options.html"))
	set := func(relayURL, template string) string {
		err := chromedp.Do(opts,
			chromedp.WaitVisible(chromedp.ID("relay-url")),
			chromedp.SetValue(chromedp.ID("relay-url"), relayURL),
			chromedp.SetValue(chromedp.ID("template"), template),
			chromedp.SetValue(chromedp.ID("mode"), settings.ModeTab),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('saved').textContent = ''`),
			chromedp.Click(chromedp.ID("save")),
		)
		if err != nil {
			t.Fatalf("filling the options page: %v", err)
		}
		var saved string
		b.waitFor("the options page to answer Save", 5*time.Second, func() bool {
			saved, _ = chromedp.Run(opts, chromedp.Text(chromedp.ID("saved")))
			return saved != ""
		})
		return saved
	}

	// Bad input first: nothing is saved, each field says what to do.
	if saved := set("javascript:alert(1)", "javascript:alert(*CALLING*)"); !strings.Contains(saved, "Not saved") {
		t.Errorf("a javascript: relay and template were accepted (saved = %q)", saved)
	}
	relayErr, _ := chromedp.Run(opts, chromedp.Text(chromedp.ID("relay-url-error")))
	tmplErr, _ := chromedp.Run(opts, chromedp.Text(chromedp.ID("template-error")))
	if !strings.Contains(relayErr, "http") || tmplErr == "" {
		t.Errorf("validation messages: relay %q, template %q", relayErr, tmplErr)
	}

	// A relay that is not there: the page says so, and what to do.
	if saved := set("http://127.0.0.1:1", template); saved != "Saved." {
		t.Fatalf("settings not saved: %q", saved)
	}
	b.waitFor("the options page to say the relay is unreachable", 15*time.Second, func() bool {
		st, _ := chromedp.Run(opts, chromedp.Text(chromedp.ID("status")))
		return strings.Contains(st, "Cannot reach the relay at http://127.0.0.1:1")
	})

	if saved := set(relayURL, template); saved != "Saved." {
		t.Fatalf("valid settings not saved: %q", saved)
	}
	b.waitFor("the extension to connect to the relay", 15*time.Second, func() bool {
		state, _ := eval[string](opts, `chrome.storage.local.get('status').then(r => r.status ? r.status.state : '')`)
		return state == "connected"
	})
	return opts
}

func TestRingOpensCRMSearch(t *testing.T) {
	b := startBrowser(t)
	s := startStack(t)
	template := s.crm.URL + "/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING*"
	opts := configure(t, b, s.relay.URL, template)

	// 1. An inbound call rings: one tab opens on the CRM's search for the caller.
	const caller = "0033612345682"
	if _, err := s.sim.Ring(ovhsim.Call{Line: line, Calling: caller, Scenario: "ringing"}); err != nil {
		t.Fatal(err)
	}
	b.waitFor("a CRM tab searching for "+caller, 10*time.Second, func() bool { return len(b.crmTabs(s.crm.URL, caller)) == 1 })
	var badge string // set right after the tab is asked for, so maybe just after it shows
	b.waitFor("the badge to read RING while ringing", 2*time.Second, func() bool {
		badge, _ = eval[string](opts, `chrome.action.getBadgeText({})`)
		return badge == "RING"
	})

	// 2. The same events delivered twice: still one tab. A later call is the
	// sentinel: events are handled in order, so once its tab is open any
	// second tab for the duplicated call would be open too.
	const dup, sentinel = "0033612345683", "0033123456789"
	if _, err := s.sim.Ring(ovhsim.Call{Line: line, Calling: dup, Scenario: "missed", Duplicate: true, RingFor: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	b.waitFor("a CRM tab for "+dup, 10*time.Second, func() bool { return len(b.crmTabs(s.crm.URL, dup)) >= 1 })
	if _, err := s.sim.Ring(ovhsim.Call{Line: line, Calling: sentinel, Scenario: "ringing"}); err != nil {
		t.Fatal(err)
	}
	b.waitFor("a CRM tab for "+sentinel, 10*time.Second, func() bool { return len(b.crmTabs(s.crm.URL, sentinel)) == 1 })
	if n := len(b.crmTabs(s.crm.URL, dup)); n != 1 {
		t.Errorf("a duplicated ring opened %d tabs, want 1", n)
	}
	if n := len(b.crmTabs(s.crm.URL, caller)); n != 1 {
		t.Errorf("the first call now has %d tabs, want still 1", n)
	}

	// 3. Chrome stops the service worker; a call rings meanwhile: the worker
	// wakes (alarm), resumes from its cursor and pops it. (First the calls,
	// saved after the pop: their storage change would wake the worker.)
	b.waitFor("the sentinel call to be saved as popped", 5*time.Second, func() bool {
		ok, _ := eval[bool](opts, `chrome.storage.local.get('calls').then(r => [...r.calls.live, ...r.calls.recent].some(v => v.call.calling === '`+sentinel+`' && v.popped))`)
		return ok
	})
	if _, err := chromedp.Call(opts, serviceworker.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enabling the ServiceWorker domain: %v", err)
	}
	before := b.workerID()
	if _, err := chromedp.Call(opts, serviceworker.StopAllWorkers, cdp.Empty{}); err != nil {
		t.Fatalf("stopping the service worker: %v", err)
	}
	// Stopped: its target is gone. A storage write or alarm may wake a new
	// worker at once (CI saw the old wait for no worker time out so), which
	// is a new target: either says the old one stopped.
	// A stop asked while the worker is busy (a storage event, the
	// socket's message) was seen not to take in CI (ac836db's run): ask
	// again until its target goes.
	b.waitFor("the service worker to stop", 20*time.Second, func() bool {
		if b.workerID() != before {
			return true
		}
		chromedp.Call(opts, serviceworker.StopAllWorkers, cdp.Empty{})
		return false
	})
	const afterStop = "0033612345684"
	if _, err := s.sim.Ring(ovhsim.Call{Line: line, Calling: afterStop, Scenario: "ringing"}); err != nil {
		t.Fatal(err)
	}
	b.waitFor("a CRM tab for "+afterStop+" after the worker restarted", 70*time.Second, func() bool {
		return len(b.crmTabs(s.crm.URL, afterStop)) == 1
	})
	if b.workerID() == "" {
		t.Error("the tab opened but no service worker runs")
	}
	for _, n := range []string{caller, dup, sentinel} {
		if got := len(b.crmTabs(s.crm.URL, n)); got != 1 {
			t.Errorf("after the restart %s has %d tabs, want 1 (a replay popped it again)", n, got)
		}
	}
	if q := s.fake.Queries(); len(q) < 4 {
		t.Errorf("the fake CRM saw %d searches: %q", len(q), q)
	}
}
