package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/wasm/background"
)

// holdWasm, run in a page before its scripts, keeps pages.wasm from
// starting until the test calls window.__hydrate(): what the page shows
// meanwhile is what pages.js painted from the background's view.
const holdWasm = `(() => {
	const start = WebAssembly.instantiateStreaming;
	WebAssembly.instantiateStreaming = (...args) => {
		window.__held = true;
		return new Promise((ok, fail) => { window.__hydrate = () => start(...args).then(ok, fail); });
	};
})()`

// heldTab opens an extension page whose pages.wasm waits for __hydrate.
func (b *browser) heldTab(page string) context.Context {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: holdWasm}); err != nil {
		b.t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(b.extURL(page))); err != nil {
		b.t.Fatalf("opening %s: %v", page, err)
	}
	return ctx
}

// TestPopupPaint: the toolbar popup paints the current call from the view
// the background keeps ready (background.PopupViewKey) before pages.wasm
// has run, and pages.wasm then shows the same call once, where it was.
func TestPopupPaint(t *testing.T) {
	s, b, popup, conf := connectedPopup(t)

	// No view stored (a fresh install): pages.js paints nothing, and the
	// wasm renders as it always did. The background stores its view once
	// the relay's hello is handled, just after "connected": removed before
	// that, it would come back (the test was flaky so).
	b.waitFor("the background to store the popup after the hello", 10*time.Second, func() bool {
		var v string
		return stored(t, popup, background.PopupViewKey, &v)
	})
	// The background may store the view again after the removal (a later
	// message makes it dirty): a popup that read it then rightly paints.
	// So the absence is checked after the popup's read too; the key only
	// comes back, never goes, so absent then means absent when it read.
	var fresh context.Context
	for attempt := 1; ; attempt++ {
		if _, err := eval[any](popup, `chrome.storage.local.remove(`+js(background.PopupViewKey)+`)`); err != nil {
			t.Fatal(err)
		}
		fresh = b.heldTab("popup.html")
		b.waitFor("pages.js to ask for pages.wasm", 10*time.Second, func() bool {
			held, _ := eval[bool](fresh, `window.__held === true`)
			return held
		})
		// pages.js asked for the view before the wasm: once a later read is
		// answered, its answer has been handled.
		empty, err := eval[bool](fresh, `chrome.storage.local.get(null).then(() => new Promise((ok) => setTimeout(ok))).then(() => document.getElementById('app').firstChild === null)`)
		if err != nil {
			t.Fatal(err)
		}
		var v string
		if !stored(t, popup, background.PopupViewKey, &v) {
			if !empty {
				t.Errorf("with no view stored, the popup painted something before pages.wasm")
			}
			break
		}
		if attempt == 5 {
			t.Fatalf("the background stored its popup view again after each of %d removals: no popup could open with none", attempt)
		}
		t.Logf("attempt %d: the background stored its view again before the popup read it; again", attempt)
	}
	eval[any](fresh, `window.__hydrate()`)
	b.waitFor("pages.wasm to render the popup without a view", 20*time.Second, func() bool {
		return strings.Contains(textOf(fresh, "status"), "Connected to the relay")
	})

	// A call rings: the background stores the popup with it.
	const shown = "06 98 76 54 32"
	if _, err := s.sim.Ring(ovhsim.Call{Line: line, Calling: "0033698765432", Scenario: "ringing"}); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the background to store the popup with the call", 10*time.Second, func() bool {
		var v string
		return stored(t, popup, background.PopupViewKey, &v) && strings.Contains(v, shown)
	})

	// Opened now, the popup shows it before pages.wasm has run.
	held := b.heldTab("popup.html")
	b.waitFor("the pre-painted popup to show the caller", 10*time.Second, func() bool {
		name, _ := eval[string](held, `document.querySelector('#live .name')?.textContent ?? ''`)
		return name == shown
	})
	before, err := eval[map[string]any](held, `({
		wasm: document.documentElement.lang !== '' || !window.__held,
		status: document.getElementById('status').dataset.state ?? "",
		timer: document.querySelector('#live .timer')?.textContent ?? null,
		since: document.querySelector('#live .timer')?.dataset.since ?? '',
		chip: document.querySelector('#live .chip')?.textContent ?? '',
	})`)
	if err != nil {
		t.Fatal(err)
	}
	if before["wasm"] != false || before["status"] != "" {
		t.Fatalf("pages.wasm ran before the check: %v", before)
	}
	if before["chip"] != "Ringing" || before["timer"] != "" || before["since"] == "" {
		t.Errorf("pre-painted call: %v, want Ringing with its timer left to the wasm (data-since, no text)", before)
	}
	layout := `[...document.querySelectorAll('#app header, #status, #app li, #app h2, #app footer, #app .calls')].map((e) => {
		const r = e.getBoundingClientRect(); return e.tagName + ' ' + r.top.toFixed(1) + ' ' + r.height.toFixed(1) + ' ' + r.width.toFixed(1);
	}).join('; ')`
	painted, _ := eval[string](held, layout)

	// Then pages.wasm takes over: the same call, once, in the same place,
	// its timer counting.
	eval[any](held, `window.__hydrate()`)
	b.waitFor("pages.wasm to render the popup", 20*time.Second, func() bool {
		return strings.Contains(textOf(held, "status"), "Connected to the relay")
	})
	b.waitFor("the timer to show", 5*time.Second, func() bool {
		tm, _ := eval[string](held, `document.querySelector('#live .timer')?.textContent ?? ''`)
		return clockRE.MatchString(tm)
	})
	if n, _ := eval[int](held, `[...document.querySelectorAll('#app .name')].filter((e) => e.textContent === `+js(shown)+`).length`); n != 1 {
		t.Errorf("the caller is shown %d times after pages.wasm rendered, want once", n)
	}
	if n, _ := eval[int](held, `document.querySelectorAll('#live li').length`); n != 1 {
		t.Errorf("%d live calls, want 1", n)
	}
	if got, _ := eval[string](held, layout); got != painted {
		t.Errorf("the popup moved when pages.wasm rendered it:\npainted:  %s\nhydrated: %s", painted, got)
	}
	if got := textOf(held, "open-sidepanel"); got != "Open side panel" {
		t.Errorf("side panel button = %q", got)
	}

	// Another relay: the stored popup loses the old relay's calls in the
	// write that empties the Calls view.
	conf.RelayURL = "http://127.0.0.1:1"
	store(t, popup, settings.StorageKey, conf)
	b.waitFor("the calls to be forgotten", 10*time.Second, func() bool {
		var c background.Calls
		return stored(t, popup, background.CallsKey, &c) && len(c.Live) == 0
	})
	var v string
	if !stored(t, popup, background.PopupViewKey, &v) || strings.Contains(v, shown) || !strings.Contains(v, `id="empty" class="empty">`) {
		t.Errorf("after the relay changed, the stored popup is %q", v)
	}
}
