//go:build js && wasm

package pages

import (
	"strconv"
	"strings"
	"syscall/js"

	"honnef.co/go/js/dom/v2"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/wasm/background"
	"github.com/screenpop/screenpop/wasm/browser"
)

// popup renders the toolbar popup: the relay's state, the calls going on
// with running timers, recent and missed calls with "open in CRM", the
// pause switch, and the way to the side panel and the settings.
func popup(app dom.Element) {
	app.SetAttribute("class", "popup")

	pause := el("button", map[string]string{"id": "pause", "type": "button", "role": "switch", "class": "switch", "aria-checked": "true"},
		el("span", map[string]string{"class": "track", "aria-hidden": "true"}, el("span", map[string]string{"class": "thumb"})),
		el("span", map[string]string{"class": "switch-label"}),
	)
	header := el("header", map[string]string{"class": "bar"},
		el("h1", nil, el("span", map[string]string{"class": "logo", "aria-hidden": "true"}), t("popupTitle")),
		pause,
	)
	relay := el("section", map[string]string{"id": "status", "class": "relay", "role": "status", "aria-live": "polite"})
	paused := el("p", map[string]string{"id": "paused-banner", "class": "banner", "hidden": ""}, t("popupPausedBanner"))
	problem := el("p", map[string]string{"id": "popup-error", "class": "error", "role": "alert"})

	liveCount := el("span", map[string]string{"class": "count"})
	live := el("ul", map[string]string{"id": "live", "class": "calls", "aria-labelledby": "live-title"})
	liveSection := el("section", map[string]string{"class": "calls-section", "hidden": ""},
		el("h2", map[string]string{"id": "live-title"}, t("popupLive"), " ", liveCount),
		live,
	)

	missedCount := el("span", map[string]string{"id": "missed-count", "class": "missed-count", "hidden": ""})
	markSeen := el("button", map[string]string{"id": "mark-seen", "type": "button", "class": "link", "hidden": ""}, t("popupMarkSeen"))
	recent := el("ul", map[string]string{"id": "recent", "class": "calls", "aria-labelledby": "recent-title"})
	empty := el("p", map[string]string{"id": "empty", "class": "empty", "hidden": ""},
		el("strong", nil, t("popupEmpty")), el("span", nil, t("popupEmptyHint")))
	recentSection := el("section", map[string]string{"class": "calls-section"},
		el("div", map[string]string{"class": "section-head"},
			el("h2", map[string]string{"id": "recent-title"}, t("popupRecent")),
			missedCount, markSeen,
		),
		recent, empty,
	)

	footer := el("footer", map[string]string{"class": "bar foot"})
	if panel := sidePanelOpener(); panel != nil {
		footer.AppendChild(panel)
	}
	options := el("button", map[string]string{"id": "open-options", "type": "button", "class": "ghost"}, t("openSettings"))
	onClick(options, func(dom.Event) { openOptions(); js.Global().Get("window").Call("close") })
	footer.AppendChild(options)

	app.AppendChild(el("div", nil, header, relay, paused, problem, liveSection, recentSection, footer))

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
	onClick(markSeen, func(dom.Event) {
		go func() {
			if err := request(background.RequestMarkSeen, nil); err != nil {
				problem.SetTextContent(t("errMarkSeen", err.Error()))
				return
			}
			problem.SetTextContent("")
		}()
	})
	// One listener for every "open in CRM" button, however often the
	// lists are redrawn.
	openCall := openCallOnClick(problem)
	onClick(live, openCall)
	onClick(recent, openCall)

	showCalls := func() {
		c := loadCalls()
		// Redrawing the lists must not lose the keyboard focus of an
		// "open in CRM" button.
		var focusID string
		if a := js.Global().Get("document").Get("activeElement"); a.Truthy() && a.Call("matches", "[data-action=open]").Bool() {
			focusID = a.Get("dataset").Get("id").String()
		}
		defer func() {
			if focusID != "" {
				if b := app.QuerySelector(`[data-action=open][data-id="` + strings.ReplaceAll(focusID, `"`, ``) + `"]`); b != nil {
					b.(dom.HTMLElement).Focus()
				}
			}
		}()
		live.SetTextContent("")
		for _, cv := range c.Live {
			live.AppendChild(callRow(cv))
		}
		liveCount.SetTextContent(strconv.Itoa(len(c.Live)))
		if len(c.Live) == 0 {
			liveSection.SetAttribute("hidden", "")
		} else {
			liveSection.RemoveAttribute("hidden")
		}
		recent.SetTextContent("")
		for _, cv := range c.Recent {
			recent.AppendChild(callRow(cv))
		}
		if len(c.Recent) == 0 && len(c.Live) == 0 {
			empty.RemoveAttribute("hidden")
		} else {
			empty.SetAttribute("hidden", "")
		}
		if c.UnseenMissed > 0 {
			missedCount.SetTextContent(t("popupMissed", strconv.Itoa(c.UnseenMissed)))
			missedCount.RemoveAttribute("hidden")
			markSeen.RemoveAttribute("hidden")
		} else {
			missedCount.SetAttribute("hidden", "")
			markSeen.SetAttribute("hidden", "")
		}
	}
	showStatus := func() {
		st, ok := loadStatus()
		relayBox(relay, st, ok)
	}

	showPause()
	showStatus()
	showCalls()
	startTimers()
	onStorageChange(settings.StorageKey, showPause)
	onStorageChange(background.StatusKey, showStatus)
	onStorageChange(background.CallsKey, showCalls)
}

// callRow is one call in the popup's lists.
func callRow(cv background.CallView) dom.Element {
	who := say(callerLabel(cv))
	attrs := map[string]string{"class": "call", "data-state": string(cv.Call.State), "data-id": cv.Call.ID}
	if missed(cv) && !cv.Seen {
		attrs["data-unseen"] = "true"
	}
	dir, arrow := "in", "↙"
	dirLabel := t("callInbound")
	if cv.Call.Direction == call.Outbound {
		dir, arrow, dirLabel = "out", "↗", t("callOutbound")
	}
	meta := lineLabel(cv)
	if w := when(cv.Call.RingAt); w != "" {
		meta += " · " + w
	}
	whoBox := el("div", map[string]string{"class": "who"},
		el("span", map[string]string{"class": "name"}, who),
		el("span", map[string]string{"class": "meta"}, meta),
	)
	whyNot(whoBox, cv)
	row := el("li", attrs,
		el("span", map[string]string{"class": "dir", "data-dir": dir, "title": dirLabel, "role": "img", "aria-label": dirLabel}, arrow),
		whoBox,
		el("div", map[string]string{"class": "state"}, nodes(testChip(cv), chip(cv), timer(cv))),
	)
	if canOpen(cv) {
		row.AppendChild(el("button", map[string]string{
			"type": "button", "class": "open", "data-action": "open", "data-line": cv.Call.Line, "data-id": cv.Call.ID,
			"title": t("openInCRM"), "aria-label": t("openCallInCRM", who),
		}, t("openShort")))
	}
	return row
}

// sidePanelOpener is the button that opens the side panel (Chrome) or the
// sidebar (Firefox), or nil when the browser has neither. Both open only
// inside a click: the call is made in the click handler itself.
func sidePanelOpener() dom.Element {
	api := browser.API
	chromePanel, firefoxBar := api.Get("sidePanel"), api.Get("sidebarAction")
	if !chromePanel.Truthy() && !firefoxBar.Truthy() {
		return nil
	}
	b := el("button", map[string]string{"id": "open-sidepanel", "type": "button"}, t("popupOpenSidePanel"))
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
	return b
}
