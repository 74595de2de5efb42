package e2e

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/server/democrm"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/server/relay"
	relaystore "github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/wasm/background"
)

// popEnv is a browser with the extension, the stack, and an extension page
// to read the extension's storage and send it requests from.
type popEnv struct {
	t    *testing.T
	b    *browser
	s    *stack
	page context.Context // options.html, used only as an extension context
}

func startPopEnv(t *testing.T) *popEnv {
	t.Helper()
	return startPopEnvWith(t, browserOptions{})
}

func popJS(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// settings writes the extension's settings straight to storage (the
// options page's UI is tested elsewhere): the stack's relay, a template
// searching the fake CRM for *CALLING*, tab mode, no cap, notifications
// on, then edit's changes. The background picks them up without
// reconnecting.
func (e *popEnv) settings(edit func(*settings.Settings)) {
	e.t.Helper()
	s := settings.Default()
	s.RelayURL = e.s.relay.URL
	s.Template = e.s.crm.URL + "/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING*"
	s.CRMBase = e.s.crm.URL
	s.Mode, s.CapPerMinute, s.Notify = settings.ModeTab, 0, true
	edit(&s)
	if _, err := eval[any](e.page, `chrome.storage.local.set({settings: `+popJS(s)+`})`); err != nil {
		e.t.Fatalf("writing the settings: %v", err)
	}
	e.settled()
}

// settled returns once the background has handled everything sent to it
// so far, the last settings included: it handles its inputs one at a
// time, in order, so its answer to a request sent now comes after. The
// request opens a call it does not have: answered with an error, it
// changes nothing.
func (e *popEnv) settled() {
	e.t.Helper()
	msg := popJS(map[string]any{"type": background.RequestOpen, "line": line, "id": "no-such-call"})
	answer, err := eval[string](e.page, `chrome.runtime.sendMessage(`+msg+`).then(a => a && a.error || '')`)
	if err != nil || !strings.Contains(answer, background.ErrNoCall.Error()) {
		e.t.Fatalf("the background's answer to a request for no call: %q %v", answer, err)
	}
}

// ring starts a call from caller that rings until e.s.sim.EndCall.
func (e *popEnv) ring(caller string) string {
	e.t.Helper()
	id, err := e.s.sim.Ring(ovhsim.Call{Line: line, Calling: caller, Scenario: ovhsim.Ringing})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// calls reads the Calls view the background writes for the pages.
func (e *popEnv) calls() background.Calls {
	var c background.Calls
	raw, err := eval[string](e.page, `chrome.storage.local.get('calls').then(r => JSON.stringify(r.calls || {}))`)
	if err == nil {
		json.Unmarshal([]byte(raw), &c)
	}
	return c
}

// view returns the view of the call with that OVH call ID.
func (e *popEnv) view(callID string) (background.CallView, bool) {
	c := e.calls()
	all := append(append([]background.CallView{}, c.Live...), c.Recent...)
	for _, v := range all {
		if v.Call.ID == callID {
			return v, true
		}
	}
	return background.CallView{}, false
}

func (e *popEnv) waitView(what, callID string, cond func(background.CallView) bool) background.CallView {
	e.t.Helper()
	var v background.CallView
	e.b.waitFor(what, 15*time.Second, func() bool {
		var ok bool
		v, ok = e.view(callID)
		return ok && cond(v)
	})
	return v
}

func (e *popEnv) badge() string {
	s, err := eval[string](e.page, `chrome.action.getBadgeText({})`)
	if err != nil {
		e.t.Fatalf("reading the badge: %v", err)
	}
	return s
}

func (e *popEnv) waitBadge(want string) {
	e.t.Helper()
	e.b.waitFor("the badge to read "+popJS(want), 15*time.Second, func() bool { return e.badge() == want })
}

func (e *popEnv) notifications() []string {
	ids, err := eval[[]string](e.page, `chrome.notifications.getAll().then(o => Object.keys(o))`)
	if err != nil {
		e.t.Fatalf("listing the notifications: %v", err)
	}
	return ids
}

// request sends a page request to the background and checks its answer.
func (e *popEnv) request(msg map[string]any) {
	e.t.Helper()
	type answer struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	a, err := eval[answer](e.page, `chrome.runtime.sendMessage(`+popJS(msg)+`)`)
	if err != nil || !a.OK {
		e.t.Fatalf("request %v: %+v %v", msg, a, err)
	}
}

// crmTabShown reports whether the CRM tab that reuse-tab pops go to (the
// tab the background remembers) is the active tab of the focused window.
func (e *popEnv) crmTabShown() bool {
	ok, err := eval[bool](e.page, `Promise.all([chrome.tabs.query({active: true, lastFocusedWindow: true}), chrome.storage.local.get('`+background.MemoryKey+`')])
		.then(([tabs, r]) => tabs.length > 0 && !!r.`+background.MemoryKey+` && tabs[0].id === JSON.parse(r.`+background.MemoryKey+`).tab)`)
	if err != nil {
		e.t.Fatalf("asking whether the CRM tab is shown: %v", err)
	}
	return ok
}

func (e *popEnv) tabs(caller string) int { return len(e.b.crmTabs(e.s.crm.URL, caller)) }

// targetFor returns the page target showing the fake CRM's search for caller.
func (e *popEnv) targetFor(caller string) *cdpTarget {
	for _, ti := range e.b.targets() {
		if ti.Type == "page" && strings.HasPrefix(ti.URL, e.s.crm.URL) && strings.HasSuffix(ti.URL, "query_string="+caller) {
			return &cdpTarget{ID: string(ti.TargetID), URL: ti.URL}
		}
	}
	return nil
}

type cdpTarget struct{ ID, URL string }

// otherSiteTab opens another site's page (the relay's /healthz) as the
// active tab of the CRM tab's window, as an agent going back to their
// mail would, and returns its tab ID.
func (e *popEnv) otherSiteTab() int {
	e.t.Helper()
	e.settled() // the pop is over: its tab is saved
	id, err := eval[int](e.page, `chrome.storage.local.get('`+background.MemoryKey+`').then((r) => chrome.tabs.get(JSON.parse(r.`+background.MemoryKey+`).tab))
		.then((crm) => chrome.tabs.create({url: `+popJS(e.s.relay.URL+"/healthz")+`, windowId: crm.windowId, active: true})).then((t) => t.id)`)
	if err != nil {
		e.t.Fatalf("opening another site's tab beside the CRM tab: %v", err)
	}
	return id
}

func TestPopModes(t *testing.T) {
	e := startPopEnv(t)

	t.Run("tab", func(t *testing.T) {
		const caller = "0033612340001"
		id := e.ring(caller)
		e.b.waitFor("a CRM tab for "+caller, 10*time.Second, func() bool { return e.tabs(caller) == 1 })
		v := e.waitView("the call in the view", id, func(v background.CallView) bool { return v.Popped })
		if !strings.Contains(v.URL, caller) {
			t.Errorf("view URL %q", v.URL)
		}
		e.s.sim.EndCall(id)
	})

	t.Run("reuse-tab", func(t *testing.T) {
		e.settings(func(s *settings.Settings) { s.Mode = settings.ModeReuseTab })
		const first, second = "0033612340002", "0033612340003"
		a := e.ring(first)
		e.b.waitFor("a CRM tab for "+first, 10*time.Second, func() bool { return e.tabs(first) == 1 })
		tab := e.targetFor(first)
		e.s.sim.EndCall(a)
		// The agent went back to another site's tab: the pop must bring
		// the CRM tab to the front again. (Not to the options page: a pop
		// leaves the agent on the extension's own pages, TestPopNoFocusSteal.)
		// (In the CRM tab's window: headless windows all say they have the
		// focus, so only a tab of the same window can hide it.)
		e.otherSiteTab()
		e.b.waitFor("the other tab to be the active one", 5*time.Second, func() bool { return !e.crmTabShown() })
		b := e.ring(second)
		e.b.waitFor("the CRM tab to move to "+second, 10*time.Second, func() bool { return e.tabs(second) == 1 })
		e.b.waitFor("the CRM tab to be the active one", 5*time.Second, func() bool { return e.crmTabShown() })
		if n := e.tabs(first); n != 0 {
			t.Errorf("the first call's tab is still open (%d): a new tab was opened instead of reusing it", n)
		}
		if now := e.targetFor(second); now == nil || now.ID != tab.ID {
			t.Errorf("the second pop is in tab %v, want the first pop's tab %s", now, tab.ID)
		}
		e.s.sim.EndCall(b)
		// The agent closed the CRM tab: the next pop opens a new one.
		if _, err := chromedp.CallBrowser(e.b.ctx, target.CloseTarget, target.CloseTargetParams{TargetID: targetID(tab.ID)}); err != nil {
			t.Fatal(err)
		}
		e.b.waitFor("the CRM tab to close", 5*time.Second, func() bool { return e.tabs(second) == 0 })
		const third = "0033612340009"
		c := e.ring(third)
		e.b.waitFor("a new CRM tab for "+third, 10*time.Second, func() bool { return e.tabs(third) == 1 })
		e.s.sim.EndCall(c)
	})

	t.Run("window", func(t *testing.T) {
		e.settings(func(s *settings.Settings) { s.Mode, s.WindowWidth, s.WindowHeight = settings.ModeWindow, 700, 500 })
		const caller = "0033612340004"
		id := e.ring(caller)
		e.b.waitFor("a CRM page for "+caller, 10*time.Second, func() bool { return e.targetFor(caller) != nil })
		pop := e.targetFor(caller)
		popWin, err := chromedp.CallBrowser(e.b.ctx, cdpbrowser.GetWindowForTarget, cdpbrowser.GetWindowForTargetParams{TargetID: targetID(pop.ID)})
		if err != nil {
			t.Fatal(err)
		}
		pageWin, err := chromedp.CallBrowser(e.b.ctx, cdpbrowser.GetWindowForTarget, cdpbrowser.GetWindowForTargetParams{TargetID: chromedp.FromContext(e.page).Target.TargetID})
		if err != nil {
			t.Fatal(err)
		}
		if popWin.WindowID == pageWin.WindowID {
			t.Errorf("the pop opened in the agent's window %d, not in a window of its own", popWin.WindowID)
		}
		if b := popWin.Bounds; b == nil || b.Width < 600 || b.Width > 800 {
			t.Errorf("window bounds %+v, want about 700×500", b)
		}
		// The next pop reuses that window.
		e.s.sim.EndCall(id)
		const next = "0033612340005"
		id2 := e.ring(next)
		e.b.waitFor("the window to show "+next, 10*time.Second, func() bool { return e.targetFor(next) != nil })
		win2, _ := chromedp.CallBrowser(e.b.ctx, cdpbrowser.GetWindowForTarget, cdpbrowser.GetWindowForTargetParams{TargetID: targetID(e.targetFor(next).ID)})
		if win2.WindowID != popWin.WindowID {
			t.Errorf("second pop in window %d, want the pop window %d", win2.WindowID, popWin.WindowID)
		}
		e.s.sim.EndCall(id2)
	})

	t.Run("sidepanel", func(t *testing.T) {
		e.settings(func(s *settings.Settings) { s.Mode, s.Notify = settings.ModeSidePanel, false })
		const caller = "0033612340006"
		id := e.ring(caller)
		e.b.waitFor("the side panel's current call to be "+caller, 10*time.Second, func() bool {
			c := e.calls().Current
			return c != nil && c.Call.Calling == caller && c.Popped
		})
		e.b.waitFor("the notification (the panel can't open itself)", 5*time.Second, func() bool {
			return slices.Contains(e.notifications(), line+"|"+id)
		})
		if n := e.tabs(caller); n != 0 {
			t.Errorf("side panel mode opened %d tabs", n)
		}
		if b := e.badge(); b != "RING" {
			t.Errorf("badge %q", b)
		}
		e.s.sim.EndCall(id)
	})

	t.Run("silent", func(t *testing.T) {
		e.settings(func(s *settings.Settings) { s.Mode = settings.ModeSilent })
		const caller = "0033612340007"
		id := e.ring(caller)
		e.b.waitFor("the fake CRM to get the GET for "+caller, 10*time.Second, func() bool { return slices.Contains(e.s.fake.Queries(), caller) })
		v := e.waitView("the call to be popped", id, func(v background.CallView) bool { return v.Popped })
		// A tab the pop wrongly opened would be open before the next
		// call's pop: the background pops one call after the other.
		const marker = "0033612340017"
		next := e.ring(marker)
		e.b.waitFor("the fake CRM to get the GET for "+marker, 10*time.Second, func() bool { return slices.Contains(e.s.fake.Queries(), marker) })
		e.waitView("the next call to be popped", next, func(v background.CallView) bool { return v.Popped })
		e.s.sim.EndCall(next)
		if n := e.tabs(caller); n != 0 {
			t.Errorf("silent mode opened %d tabs", n)
		}
		if v.Error != "" {
			t.Errorf("the GET is reported failed: %s", v.Error)
		}
		e.s.sim.EndCall(id)
	})

	t.Run("notify", func(t *testing.T) {
		e.settings(func(s *settings.Settings) { s.Mode, s.Notify = settings.ModeNotify, false })
		const caller = "0033612340008"
		id := e.ring(caller)
		e.b.waitFor("a notification for the call", 10*time.Second, func() bool {
			return slices.Contains(e.notifications(), line+"|"+id)
		})
		e.waitView("the call to be popped", id, func(v background.CallView) bool { return v.Popped })
		if n := e.tabs(caller); n != 0 {
			t.Errorf("notify mode opened %d tabs", n)
		}
		e.s.sim.EndCall(id)
	})

	t.Run("test-pop", func(t *testing.T) {
		e.settings(func(s *settings.Settings) { s.Mode = settings.ModeTab })
		e.request(map[string]any{"type": background.RequestTestPop})
		e.b.waitFor("the test pop's tab", 10*time.Second, func() bool { return e.tabs("0033612345682") == 1 })
		if c := e.calls().Current; c == nil || !c.Test {
			t.Errorf("current after a test pop: %+v", c)
		}
	})
}

func targetID(s string) target.ID { return target.ID(s) }

func TestPopBadgeAndNotifications(t *testing.T) {
	e := startPopEnv(t)
	e.settings(func(s *settings.Settings) { s.Mode = settings.ModeNotify })
	if b := e.badge(); b != "" {
		t.Errorf("badge before any call %q", b)
	}
	const caller = "0033612340011"
	id := e.ring(caller)
	note := line + "|" + id
	e.waitBadge("RING")
	e.b.waitFor("the ringing notification", 10*time.Second, func() bool { return slices.Contains(e.notifications(), note) })

	// Missed: the badge counts it, the notification now says so (same ID).
	e.s.sim.EndCall(id)
	e.waitBadge("1")
	v := e.waitView("the missed call", id, func(v background.CallView) bool { return v.Call.Missed })
	if v.Seen || e.calls().UnseenMissed != 1 {
		t.Errorf("missed view %+v, unseen %d", v, e.calls().UnseenMissed)
	}
	if !slices.Contains(e.notifications(), note) {
		t.Error("no missed-call notification")
	}
	const other = "0033612340012"
	id2 := e.ring(other)
	e.waitBadge("RING")
	e.s.sim.EndCall(id2)
	e.waitBadge("2")

	// The agent has seen them (the popup's "mark seen"): badge and
	// notifications clear.
	e.request(map[string]any{"type": background.RequestMarkSeen})
	e.waitBadge("")
	if c := e.calls(); c.UnseenMissed != 0 {
		t.Errorf("unseen after mark seen: %d", c.UnseenMissed)
	}
	e.b.waitFor("the missed-call notifications to clear", 5*time.Second, func() bool {
		n := e.notifications()
		return !slices.Contains(n, note) && !slices.Contains(n, line+"|"+id2)
	})

	// "Open in CRM" from a page opens the call in a tab.
	e.request(map[string]any{"type": background.RequestOpen, "line": line, "id": id})
	e.b.waitFor("the CRM tab opened from the list", 10*time.Second, func() bool { return e.tabs(caller) == 1 })
}

func TestPopCapAndPause(t *testing.T) {
	e := startPopEnv(t)
	e.settings(func(s *settings.Settings) { s.CapPerMinute, s.Notify = 1, false })

	const first, second = "0033612340021", "0033612340022"
	a := e.ring(first)
	e.b.waitFor("a CRM tab for "+first, 10*time.Second, func() bool { return e.tabs(first) == 1 })
	b := e.ring(second)
	e.waitView("the second call to be capped", b, func(v background.CallView) bool { return v.Reason == "capped" })
	if n := e.tabs(second); n != 0 {
		t.Errorf("the second call in the same minute opened %d tabs", n)
	}
	e.b.waitFor("the capped call's notification (notifications are off, the cap still tells)", 5*time.Second, func() bool {
		return slices.Contains(e.notifications(), line+"|"+b)
	})
	e.s.sim.EndCall(a)
	e.s.sim.EndCall(b)

	// Pause: the popup's one-click switch.
	e.settings(func(s *settings.Settings) { s.CapPerMinute = 0 })
	e.request(map[string]any{"type": background.RequestPause, "paused": true})
	paused, _ := eval[bool](e.page, `chrome.storage.local.get('settings').then(r => r.settings.paused === true)`)
	if !paused {
		t.Error("pause not stored in the settings")
	}
	e.waitBadge("2") // the two missed calls above: counted even while paused
	e.request(map[string]any{"type": background.RequestMarkSeen})
	e.waitBadge("OFF")
	const third = "0033612340023"
	c := e.ring(third)
	e.waitView("the call to be held by the pause", c, func(v background.CallView) bool { return v.Reason == background.ReasonPaused })
	if n := e.tabs(third); n != 0 {
		t.Errorf("paused, yet %d tabs opened", n)
	}
	if b := e.badge(); b != "RING" {
		t.Errorf("badge while paused and ringing %q", b)
	}
	e.s.sim.EndCall(c)
	e.request(map[string]any{"type": background.RequestPause, "paused": false})
	const fourth = "0033612340024"
	d := e.ring(fourth)
	e.b.waitFor("a pop after unpausing", 10*time.Second, func() bool { return e.tabs(fourth) == 1 })
	e.s.sim.EndCall(d)
}

// TestPopWorkerRestart: Chrome stops the service worker while a call
// rings; that call ends, and another rings and ends, while it is down. On
// waking, both are missed calls, nothing pops, and the first call still
// has exactly its one tab.
func TestPopWorkerRestart(t *testing.T) {
	e := startPopEnv(t)
	const first, second = "0033612340031", "0033612340032"
	a := e.ring(first)
	e.b.waitFor("a CRM tab for "+first, 10*time.Second, func() bool { return e.tabs(first) == 1 })
	e.waitBadge("RING")
	// The calls are saved after the pop: wait for them, or their storage
	// change would wake the worker right after it is stopped.
	e.waitView("the first call to be saved as popped", a, func(v background.CallView) bool { return v.Popped })

	if _, err := chromedp.Call(e.page, serviceworker.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enabling the ServiceWorker domain: %v", err)
	}
	if _, err := chromedp.Call(e.page, serviceworker.StopAllWorkers, cdp.Empty{}); err != nil {
		t.Fatalf("stopping the service worker: %v", err)
	}
	e.b.waitFor("the service worker to stop", 10*time.Second, func() bool { return e.b.workerID() == "" })
	// The relay hears of each change while the worker is down: the
	// emulator has handed it the ring, then both ends (the relay is its
	// only poller).
	delivered := e.s.sim.Stats().Delivered
	b := e.ring(second)
	e.b.waitFor("the relay to get the second call's ring", 10*time.Second, func() bool { return e.s.sim.Stats().Delivered >= delivered+1 })
	e.s.sim.EndCall(b)
	e.s.sim.EndCall(a)
	e.b.waitFor("the relay to get both calls' ends", 10*time.Second, func() bool { return e.s.sim.Stats().Delivered >= delivered+3 })
	if e.b.workerID() != "" {
		t.Log("the worker woke up on its own before the calls ended")
	}

	// Any extension event wakes the worker: a page request here (the
	// alarm would, within 30 s).
	e.request(map[string]any{"type": background.RequestReconnect})
	e.waitView("the first call to be a missed call", a, func(v background.CallView) bool { return v.Call.Missed })
	e.waitView("the second call to be a missed call", b, func(v background.CallView) bool { return v.Call.Missed })
	e.waitBadge("2")
	// A pop of the second call would come before that of a call after
	// it: the background pops in order.
	const third = "0033612340033"
	c := e.ring(third)
	e.b.waitFor("a CRM tab for "+third, 10*time.Second, func() bool { return e.tabs(third) == 1 })
	e.s.sim.EndCall(c)
	if n := e.tabs(second); n != 0 {
		t.Errorf("a call that rang and ended while the worker was down popped %d tabs", n)
	}
	if n := e.tabs(first); n != 1 {
		t.Errorf("the first call has %d tabs after the restart, want its one pop", n)
	}
	if v, _ := e.view(b); v.Popped {
		t.Error("the second call is marked popped")
	}
}

// TestPopAuth: a relay that needs a secret. A wrong secret gets the
// "paste a new connection string" status and no reconnection storm; the
// right one connects and pops; revoking the agent stops it again.
func TestPopAuth(t *testing.T) {
	sim, simSrv, token := startEmulator(t)
	st, err := relaystore.Open(filepath.Join(t.TempDir(), "relay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	r, err := relay.New(relay.Config{Region: "FR", Log: log, Store: st, PublicURL: "http://127.0.0.1"}) // PublicURL: only printed in connection strings
	if err != nil {
		t.Fatal(err)
	}
	pollEmulator(t, r, simSrv, token, log)
	var dials atomic.Int32
	h := r.Handler()
	relaySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/v1/stream") {
			dials.Add(1)
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(relaySrv.Close)
	t.Cleanup(r.Shutdown)
	fake := &democrm.Server{}
	crm := httptest.NewServer(fake)
	t.Cleanup(crm.Close)
	ctx := context.Background()
	agent, err := r.AddAgent(ctx, "alice", []string{line})
	if err != nil {
		t.Fatal(err)
	}

	b := startBrowser(t)
	e := &popEnv{t: t, b: b, s: &stack{sim: sim, relay: relaySrv, crm: crm, fake: fake}, page: b.tab(b.extURL("options.html"))}
	status := func() background.RelayStatus {
		var s background.RelayStatus
		raw, _ := eval[string](e.page, `chrome.storage.local.get('status').then(r => JSON.stringify(r.status || {}))`)
		json.Unmarshal([]byte(raw), &s)
		return s
	}
	e.settings(func(s *settings.Settings) { s.Secret = "sp_" + strings.Repeat("x", 30) })
	b.waitFor("the status to ask for a new connection string", 15*time.Second, func() bool {
		s := status()
		return s.State == background.StatusSettings && strings.Contains(s.Message, "connection string")
	})
	before := dials.Load()
	// The worker answers requests only where it waits for inputs: once it
	// has answered one, it has passed its refused-secret check and waits
	// for new settings, with no timer to dial again (worker.run: idle(nil)).
	e.settled()
	if n := dials.Load() - before; n > 0 {
		t.Errorf("%d more connections with the refused secret: it must wait for new settings", n)
	}
	// Nor does a restarted worker try the refused secret again.
	if _, err := chromedp.Call(e.page, serviceworker.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(e.page, serviceworker.StopAllWorkers, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the service worker to stop", 10*time.Second, func() bool { return b.workerID() == "" })
	if _, err := eval[any](e.page, `chrome.storage.local.set({wake: Date.now()})`); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the service worker to wake", 10*time.Second, func() bool { return b.workerID() != "" })
	e.settled() // the new worker has loaded its state and is past the refused-secret check
	if n := dials.Load() - before; n > 0 {
		t.Errorf("the restarted worker tried the refused secret again (%d connections)", n)
	}

	e.settings(func(s *settings.Settings) { s.Secret = agent.Secret })
	b.waitFor("the extension to connect with the agent's secret", 15*time.Second, func() bool { return status().State == background.StatusConnected })
	const caller = "0033612340041"
	id := e.ring(caller)
	b.waitFor("a CRM tab for "+caller, 10*time.Second, func() bool { return e.tabs(caller) == 1 })
	e.s.sim.EndCall(id)

	if _, err := r.RevokeAgent(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the status to say the agent was refused", 15*time.Second, func() bool { return status().State == background.StatusSettings })
}
