package e2e

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/wasm/background"
)

// Issue #11, item 2: a pop does not take the agent away from the
// extension's own pages or from a form they are typing in. It updates the
// CRM tab in the background, says so (badge, notification), and a click
// on the notification takes them there.

// startPopEnvWith is startPopEnv with browser options (another extension
// folder, e.g. withHostAccess).
func startPopEnvWith(t *testing.T, o browserOptions) *popEnv {
	t.Helper()
	b := startBrowserWith(t, o)
	s := startStack(t)
	e := &popEnv{t: t, b: b, s: s, page: b.tab(b.extURL("options.html"))}
	e.settings(func(*settings.Settings) {})
	b.waitFor("the extension to connect to the relay", 20*time.Second, func() bool {
		st, _ := eval[string](e.page, `chrome.storage.local.get('status').then(r => r.status && r.status.relay === `+popJS(s.relay.URL)+` ? r.status.state : '')`)
		return st == background.StatusConnected
	})
	return e
}

// crmTabID is the ID of the CRM tab the reuse-tab pops go to
// (Memory.Tab), 0 when none.
func (e *popEnv) crmTabID() int {
	e.t.Helper()
	id, err := eval[int](e.page, `chrome.storage.local.get('`+background.MemoryKey+`').then((r) => (r.`+background.MemoryKey+` && JSON.parse(r.`+background.MemoryKey+`).tab) || 0)`)
	if err != nil {
		e.t.Fatalf("reading the CRM tab: %v", err)
	}
	return id
}

// shown reports whether the CRM page searching for caller is the active
// tab of its window (its document visible); false when there is none.
func (e *popEnv) shown(caller string) bool {
	e.t.Helper()
	tab := e.targetFor(caller)
	if tab == nil {
		return false
	}
	ctx, cancel := chromedp.NewContext(e.b.ctx, chromedp.WithTargetID(target.ID(tab.ID)), chromedp.WithDetachOnCancel())
	defer cancel()
	v, err := eval[string](ctx, `document.visibilityState`)
	return err == nil && v == "visible"
}

// optionsInFront reports whether the options page (e.page) is the active
// tab of its window, and that window the one the agent used last.
func (e *popEnv) optionsInFront() bool {
	e.t.Helper()
	ok, err := eval[bool](e.page, `Promise.all([chrome.tabs.getCurrent(), chrome.tabs.query({active: true, lastFocusedWindow: true})])
		.then(([me, front]) => me.active && front.length === 1 && front[0].id === me.id)`)
	if err != nil {
		e.t.Fatalf("asking whether the options page is in front: %v", err)
	}
	return ok
}

// clickNotification is the agent clicking notification id: what
// chrome.notifications.onClicked hands the background (bg.js), from its
// own worker (a headless browser shows no notification to click).
func (e *popEnv) clickNotification(id string) {
	e.t.Helper()
	w, cancel := chromedp.NewContext(e.b.ctx, chromedp.WithTargetID(target.ID(e.b.workerID())), chromedp.WithDetachOnCancel())
	defer cancel()
	if _, err := eval[any](w, `globalThis.screenpopHandle('notification-click', `+popJS(id)+`)`); err != nil {
		e.t.Fatalf("clicking the notification: %v", err)
	}
}

func TestPopNoFocusSteal(t *testing.T) {
	e := startPopEnv(t)
	// (Window mode: TestPopNoFocusStealWindow, through the worker's own
	// calls, since headless windows all say they have the focus.)
	for i, mode := range []string{settings.ModeReuseTab, settings.ModeTab} {
		t.Run(mode, func(t *testing.T) {
			e.settings(func(s *settings.Settings) { s.Mode, s.Notify = mode, false })
			if _, err := chromedp.CallBrowser(e.b.ctx, target.ActivateTarget, target.ActivateTargetParams{TargetID: chromedp.FromContext(e.page).Target.TargetID}); err != nil {
				t.Fatal(err)
			}
			e.b.waitFor("the options page to be in front", 5*time.Second, e.optionsInFront)
			caller := "0033612349" + string(rune('0'+i)) + "01"
			a := e.ring(caller)
			e.b.waitFor("the pop of "+caller, 10*time.Second, func() bool { return e.tabs(caller) == 1 })
			e.waitBadge("RING")
			// A notification says the call rings (notifications are off:
			// this one is the pop's, held back).
			id := line + "|" + a
			e.b.waitFor("the notification of the pop held back", 5*time.Second, func() bool { return slices.Contains(e.notifications(), id) })
			e.settled()
			if !e.optionsInFront() || e.shown(caller) {
				t.Fatalf("the pop took the agent away from the options page (options in front: %v)", e.optionsInFront())
			}
			if mode == settings.ModeReuseTab {
				// The next pop goes to the same tab, in the background too.
				crm := e.crmTabID()
				e.s.sim.EndCall(a)
				next := "0033612349" + string(rune('0'+i)) + "02"
				a = e.ring(next)
				e.b.waitFor("the CRM tab to move to "+next, 10*time.Second, func() bool { return e.tabs(next) == 1 && e.tabs(caller) == 0 })
				e.settled()
				if !e.optionsInFront() || e.shown(next) || e.crmTabID() != crm {
					t.Fatalf("second pop: options in front %v, CRM tab shown %v, CRM tab %d (was %d)", e.optionsInFront(), e.shown(next), e.crmTabID(), crm)
				}
				caller, id = next, line+"|"+a
				e.b.waitFor("the notification of the second pop", 5*time.Second, func() bool { return slices.Contains(e.notifications(), id) })
			}
			// The agent clicks the notification: there it is.
			e.clickNotification(id)
			e.b.waitFor("the pop to come to the front", 10*time.Second, func() bool { return e.shown(caller) })
			e.s.sim.EndCall(a)
		})
	}
}

// TestPopNoFocusStealTyping: the agent types in a field of the CRM tab
// (the extension has access to the CRM): the next pop does not navigate
// their form away nor take them out of it. It opens in a tab of its own,
// in the background, which later pops reuse.
func TestPopNoFocusStealTyping(t *testing.T) {
	e := startPopEnvWith(t, browserOptions{Ext: withHostAccess(t, extensionDir(t), "http://127.0.0.1/*")})
	e.settings(func(s *settings.Settings) { s.Mode, s.Notify = settings.ModeReuseTab, false })
	const first, second = "0033612349101", "0033612349102"
	a := e.ring(first)
	e.b.waitFor("the pop of "+first, 10*time.Second, func() bool { return e.tabs(first) == 1 })
	e.s.sim.EndCall(a)
	e.settled() // the pop is over: its tab is saved
	crm := e.crmTabID()
	pop := target.ID(e.targetFor(first).ID)
	if _, err := chromedp.CallBrowser(e.b.ctx, target.ActivateTarget, target.ActivateTargetParams{TargetID: pop}); err != nil {
		t.Fatal(err)
	}
	e.b.waitFor("the CRM tab to be in front", 5*time.Second, func() bool { return e.shown(first) })
	// typing.js is in the page (it is registered at run time, and runs at
	// document_idle): the extension's scripts in a page share one world.
	e.b.waitFor("typing.js in the CRM page", 10*time.Second, func() bool {
		ok, _ := eval[bool](e.page, `chrome.scripting.executeScript({target: {tabId: `+popJS(crm)+`}, func: () => !!globalThis.screenpopTyping}).then((r) => r[0].result)`)
		return ok
	})
	// The agent writes a note in the CRM page (a field of the test's: the
	// fake CRM has none).
	tab := e.b.tabContext(pop)
	if _, err := eval[bool](tab, `(() => { const f = document.createElement('textarea'); f.id = 'note'; document.body.append(f); f.focus(); return true })()`); err != nil {
		t.Fatal(err)
	}
	const text = "Rappeler demain"
	if _, err := chromedp.Call(tab, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		t.Fatal(err)
	}
	// typing.js told the background before the input event returned;
	// the background handles its inputs in order.
	e.settled()
	b := e.ring(second)
	e.b.waitFor("the pop of "+second, 10*time.Second, func() bool { return e.tabs(second) == 1 })
	e.b.waitFor("the notification of the pop", 5*time.Second, func() bool { return slices.Contains(e.notifications(), line+"|"+b) })
	e.settled()
	note, _ := eval[string](tab, `document.getElementById('note') ? document.getElementById('note').value : ''`)
	if e.tabs(first) != 1 || note != text {
		t.Fatalf("the form was navigated away: %d tabs still on %s, note %q", e.tabs(first), first, note)
	}
	if !e.shown(first) || e.shown(second) {
		t.Errorf("the agent's CRM tab shown %v, the pop's %v: want the agent's in front", e.shown(first), e.shown(second))
	}
	if now := e.crmTabID(); now == crm || now == 0 {
		t.Errorf("CRM tab %d after the pop: want the pop's new tab, not the agent's form (%d)", now, crm)
	}
	e.s.sim.EndCall(b)
}

// TestPopNoFocusStealWindow: window mode holds its window back like the
// tab modes. Headless windows all say they have the focus, so what is
// checked is what the worker asks the browser for, through its own trace
// of the window and tab calls it makes (a spy on chrome.windows.create
// and update, chrome.tabs.update, installed in the worker): a pop while
// the options page is in front opens its window unfocused and brings no
// window or tab forward, and the agent's click on the notification does.
func TestPopNoFocusStealWindow(t *testing.T) {
	e := startPopEnvWith(t, browserOptions{Ext: builtExtension(t)})
	e.settings(func(s *settings.Settings) {
		s.Mode, s.Notify, s.WindowWidth, s.WindowHeight = settings.ModeWindow, false, 700, 500
	})
	w, cancel := chromedp.NewContext(e.b.ctx, chromedp.WithTargetID(target.ID(e.b.workerID())), chromedp.WithDetachOnCancel())
	defer cancel()
	if _, err := eval[bool](w, `(() => {
		globalThis.focusTrace = [];
		const spy = (api, name, what) => {
			const real = api[name].bind(api);
			api[name] = (...args) => { globalThis.focusTrace.push({call: what, args: JSON.parse(JSON.stringify(args))}); return real(...args); };
		};
		spy(chrome.windows, 'create', 'windows.create');
		spy(chrome.windows, 'update', 'windows.update');
		spy(chrome.tabs, 'update', 'tabs.update');
		return true;
	})()`); err != nil {
		t.Fatalf("installing the trace in the worker: %v", err)
	}
	type call struct {
		Call string           `json:"call"`
		Args []map[string]any `json:"args"`
	}
	trace := func() []call {
		t.Helper()
		// The arguments: [id, props] for update, [props] for create.
		raw, err := eval[string](w, `JSON.stringify(globalThis.focusTrace.splice(0).map(c => ({call: c.call, args: c.args.filter(a => typeof a === 'object')})))`)
		if err != nil {
			t.Fatalf("reading the worker's trace: %v", err)
		}
		var out []call
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	brought := func(cs []call) []call { // the calls that take the agent somewhere
		var out []call
		for _, c := range cs {
			for _, a := range c.Args {
				if a["focused"] == true || c.Call == "tabs.update" && a["active"] == true {
					out = append(out, c)
				}
			}
		}
		return out
	}
	front := func() {
		t.Helper()
		if _, err := chromedp.CallBrowser(e.b.ctx, target.ActivateTarget, target.ActivateTargetParams{TargetID: chromedp.FromContext(e.page).Target.TargetID}); err != nil {
			t.Fatal(err)
		}
		e.b.waitFor("the options page to be in front", 5*time.Second, e.optionsInFront)
	}

	front()
	const first, second = "0033612349201", "0033612349202"
	a := e.ring(first)
	e.b.waitFor("the pop window for "+first, 10*time.Second, func() bool { return e.targetFor(first) != nil })
	e.b.waitFor("the notification of the pop held back", 5*time.Second, func() bool { return slices.Contains(e.notifications(), line+"|"+a) })
	e.settled()
	cs := trace()
	var created []call
	for _, c := range cs {
		if c.Call == "windows.create" {
			created = append(created, c)
		}
	}
	if len(created) != 1 || len(created[0].Args) == 0 || created[0].Args[0]["focused"] != false {
		t.Errorf("windows.create calls %+v: want one, focused: false", created)
	}
	if b := brought(cs); len(b) > 0 {
		t.Errorf("the pop brought a window or tab forward while the agent was on the options page: %+v", b)
	}

	// The next pop goes to that window, still in the background.
	e.s.sim.EndCall(a)
	front()
	b := e.ring(second)
	e.b.waitFor("the pop window to show "+second, 10*time.Second, func() bool { return e.targetFor(second) != nil })
	e.b.waitFor("the notification of the second pop", 5*time.Second, func() bool { return slices.Contains(e.notifications(), line+"|"+b) })
	e.settled()
	if cs := trace(); len(brought(cs)) > 0 || slices.ContainsFunc(cs, func(c call) bool { return c.Call == "windows.create" }) {
		t.Errorf("second pop: %+v; want the same window, nothing brought forward", cs)
	}

	// The agent clicks the notification: now the window comes forward.
	e.clickNotification(line + "|" + b)
	e.b.waitFor("the window to be brought forward", 10*time.Second, func() bool {
		return slices.ContainsFunc(brought(trace()), func(c call) bool { return c.Call == "windows.update" })
	})
	e.s.sim.EndCall(b)
}
