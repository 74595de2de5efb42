//go:build js && wasm

package pages

import (
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"honnef.co/go/js/dom/v2"

	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/wasm/background"
	"github.com/screenpop/screenpop/wasm/browser"
	"github.com/screenpop/screenpop/wasm/view"
)

// popup renders the toolbar popup: the relay's state, the calls going on
// with running timers, recent and missed calls with "open in CRM", the
// pause switch, and the way to the side panel and the settings.
//
// Its markup is package view's, the one renderer of the popup, which the
// background also stores (background.PopupViewKey) so that pages.js has
// painted it before this runs: rendering the same string from the Calls
// view replaces what is shown by the same, and only then is it wired up.
func popup(app dom.Element) {
	app.SetAttribute("class", "popup")
	s, _ := loadSettings()
	c := loadCalls()
	app.SetInnerHTML(view.Page(background.PopupView(&c, s.Paused), background.PopupEnv(time.Now())))

	pause := app.QuerySelector("#pause")
	relay := app.QuerySelector("#status")
	paused := app.QuerySelector("#paused-banner")
	problem := app.QuerySelector("#popup-error")
	lists := app.QuerySelector("#lists")
	if panel := app.QuerySelector("#open-sidepanel"); panel != nil {
		sidePanelOpener(panel)
	}
	onClick(app.QuerySelector("#open-options"), func(dom.Event) { openOptions(); js.Global().Get("window").Call("close") })

	// The pause switch shows the saved settings; the background changes them.
	isPaused := false
	showPause := func() {
		s, _ := loadSettings()
		isPaused = s.Paused
		pause.SetAttribute("aria-checked", strconv.FormatBool(!s.Paused))
		pause.SetAttribute("data-paused", strconv.FormatBool(s.Paused))
		pause.SetAttribute("aria-label", t("popupPopsSwitch"))
		label := t("popupPopsOn")
		if s.Paused {
			label = t("popupPopsPaused")
			paused.RemoveAttribute("hidden")
		} else {
			paused.SetAttribute("hidden", "")
		}
		pause.QuerySelector(".switch-label").SetTextContent(label)
	}
	onClick(pause, func(dom.Event) {
		want := !isPaused
		pause.(*dom.HTMLButtonElement).SetDisabled(true)
		go func() {
			defer pause.(*dom.HTMLButtonElement).SetDisabled(false)
			if err := request(background.RequestPause, map[string]any{"paused": want}); err != nil {
				problem.SetTextContent(t("errPause", err.Error()))
				return
			}
			problem.SetTextContent("")
			showPause()
		}()
	})
	// One listener for the lists' buttons ("open in CRM", "mark all
	// seen"), however often the lists are redrawn.
	openCall, callBack := openCallOnClick(problem), callBackOnClick(problem)
	onClick(lists, func(ev dom.Event) {
		if ev.Target().Closest("#mark-seen") == nil {
			openCall(ev)
			callBack(ev)
			return
		}
		go func() {
			if err := request(background.RequestMarkSeen, nil); err != nil {
				problem.SetTextContent(t("errMarkSeen", err.Error()))
				return
			}
			problem.SetTextContent("")
		}()
	})

	showCalls := func() {
		c := loadCalls()
		// Redrawing the lists must not lose the keyboard focus of one of
		// their buttons.
		var focus string
		if a := js.Global().Get("document").Get("activeElement"); a.Truthy() && lists.Underlying().Call("contains", a).Bool() {
			if a.Call("matches", "[data-action=open]").Bool() {
				focus = `[data-action=open][data-id="` + strings.ReplaceAll(a.Get("dataset").Get("id").String(), `"`, ``) + `"]`
			} else if id := a.Get("id").String(); id != "" {
				focus = "#" + id
			}
		}
		lists.SetInnerHTML(view.Lists(background.PopupView(&c, isPaused), background.PopupEnv(time.Now())))
		if focus != "" {
			if b := lists.QuerySelector(focus); b != nil {
				b.(dom.HTMLElement).Focus()
			}
		}
	}
	showStatus := func() {
		st, ok := loadStatus()
		c := loadCalls()
		relayBox(relay, st, ok, c.Upstream)
	}

	showPause()
	showStatus()
	startTimers()
	onStorageChange(settings.StorageKey, showPause)
	onStorageChange(background.StatusKey, showStatus)
	onStorageChange(background.CallsKey, showCalls)
	onStorageChange(background.CallsKey, showStatus) // the relay's link to OVH
}

// sidePanelOpener makes b open the side panel (Chrome) or the sidebar
// (Firefox); view shows b only when the browser has either. Both
// open only inside a click: the call is made in the click handler itself.
func sidePanelOpener(b dom.Element) {
	api := browser.API
	chromePanel, firefoxBar := api.Get("sidePanel"), api.Get("sidebarAction")
	windowID := js.Undefined()
	if chromePanel.Truthy() {
		go func() {
			if w, err := browser.Await(api.Get("windows").Call("getCurrent")); err == nil {
				windowID = w.Get("id")
			}
		}()
	}
	onClick(b, func(dom.Event) {
		var p js.Value
		if chromePanel.Truthy() {
			if windowID.IsUndefined() {
				return // not known yet: a click a few ms after opening
			}
			p = chromePanel.Call("open", map[string]any{"windowId": windowID})
		} else {
			p = firefoxBar.Call("open")
		}
		go func() {
			if _, err := browser.Await(p); err == nil {
				js.Global().Get("window").Call("close")
			}
		}()
	})
}
