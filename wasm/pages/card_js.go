//go:build js && wasm

package pages

import (
	"github.com/screenpop/screenpop/wasm/view"
	"strconv"
	"syscall/js"
	"time"

	"honnef.co/go/js/dom/v2"

	"github.com/screenpop/screenpop/wasm/background"
)

// card renders the caller card that content.js frames inside the CRM page
// ("inpage" pop mode; see wasm/background/inpage.go). The background writes
// the card to storage before asking content.js to show it; the card then
// follows its call in the Calls view, so the state and timer stay live.
//
// The card is a cross-origin frame in the CRM page, so its links don't
// navigate anything themselves: they post {type:"navigate"} to content.js,
// which navigates the CRM page (its own navigation: Sugar's cross-site
// check sees the CRM as Referer). The href stays for middle-click and for
// the card opened on its own.
func card(app dom.Element) {
	app.SetAttribute("class", "card")
	var cur background.InPageCard
	load := func() bool {
		var c background.InPageCard
		if ok, err := storageGet(background.InPageKey, &c); err != nil || !ok {
			return false
		}
		cur = c
		return true
	}
	var timer dom.Element // the running timer's view.Text, updated every second
	var clk view.Clock
	render := func() {
		app.SetInnerHTML("")
		timer, clk = nil, view.Clock{}
		if cur.View.Call.ID == "" {
			app.AppendChild(el("p", map[string]string{"class": "card-empty"}, t("cardNoCall")))
			post(cur.Origin, map[string]any{"type": "height", "height": app.GetBoundingClientRect().Height()})
			return
		}
		cv := cur.View
		party := view.OtherParty(cv)
		home := view.LinePart(cv).Region
		closeBtn := el("button", map[string]string{"id": "card-close", "class": "card-close", "type": "button", "title": t("cardClose"), "aria-label": t("cardClose")}, "×")
		closeBtn.AddEventListener("click", false, func(dom.Event) { post(cur.Origin, map[string]any{"type": "close"}) })

		head := el("header", nil,
			el("span", map[string]string{"class": "card-brand"}, "screenpop"),
			el("span", map[string]string{"id": "card-line", "class": "card-line"}, t("cardLine", view.LineLabel(cv))),
			closeBtn)
		clk = view.CallClock(cv.Call)
		timer = el("span", map[string]string{"id": "card-timer", "class": "card-timer"}, clk.At(time.Now()))
		state := el("p", map[string]string{"id": "card-state", "class": "card-state", "data-state": string(cv.Call.State)},
			el("span", map[string]string{"class": "dot"}), t(view.StateKey(cv.Call.State))+" ", timer)

		who := el("div", map[string]string{"class": "card-who"},
			el("p", map[string]string{"id": "card-number", "class": "card-number"}, view.NumberLabel(party, home).String(t)))
		if party.Forms.E164 != "" {
			who.AppendChild(el("p", map[string]string{"id": "card-e164", "class": "card-e164"}, party.Forms.E164))
		}
		for _, e := range []dom.Element{head, who, state} {
			app.AppendChild(e)
		}

		if len(cv.Matches) > 0 {
			list := el("ul", map[string]string{"id": "card-matches", "class": "card-matches"})
			for _, m := range cv.Matches {
				label := m.Name
				if m.Module != "" {
					label += " · " + m.Module
				}
				if !safeURL(m.URL) {
					list.AppendChild(el("li", nil, label))
					continue
				}
				list.AppendChild(el("li", nil, link(cur.Origin, m.URL, "", label)))
			}
			app.AppendChild(el("p", map[string]string{"class": "card-matches-title"}, t("cardMatches", strconv.Itoa(len(cv.Matches)))))
			app.AppendChild(list)
		}
		if safeURL(cur.URL) {
			app.AppendChild(el("p", map[string]string{"class": "card-actions"}, link(cur.Origin, cur.URL, "card-search", t("cardSearch"))))
		}
		post(cur.Origin, map[string]any{"type": "height", "height": app.GetBoundingClientRect().Height()})
	}
	// follow updates the card's call from the Calls view: answered, ended…
	follow := func() {
		var calls background.Calls
		if ok, _ := storageGet(background.CallsKey, &calls); !ok {
			return
		}
		all := append(append([]background.CallView{}, calls.Live...), calls.Recent...)
		if calls.Current != nil {
			all = append([]background.CallView{*calls.Current}, all...)
		}
		for _, cv := range all {
			if cv.Call.Line == cur.View.Call.Line && cv.Call.ID == cur.View.Call.ID {
				if cv.Call.State != cur.View.Call.State || len(cv.Matches) != len(cur.View.Matches) {
					cur.View.Call = cv.Call
					if len(cv.Matches) > 0 {
						cur.View.Matches = cv.Matches
					}
					render()
				}
				return
			}
		}
	}
	load()
	render()
	follow()
	onStorageChange(background.InPageKey, func() {
		if load() {
			render()
			follow()
		}
	})
	onStorageChange(background.CallsKey, follow)
	for range time.Tick(time.Second) {
		if timer != nil && clk.Shown && !clk.Since.IsZero() {
			timer.SetTextContent(clk.At(time.Now()))
		}
	}
}

// link is an anchor to url on the CRM: a click asks content.js to navigate
// the CRM page; a URL on another origin opens in a new tab instead.
func link(origin, url, id, label string) dom.Element {
	attrs := map[string]string{"href": url, "target": "_blank", "rel": "noopener"}
	if id != "" {
		attrs["id"] = id
	}
	if background.SameOrigin(url, origin) {
		attrs["target"] = "_top"
	}
	a := el("a", attrs, label)
	if background.SameOrigin(url, origin) {
		a.AddEventListener("click", false, func(ev dom.Event) {
			if me, ok := ev.(*dom.MouseEvent); ok && (me.CtrlKey() || me.MetaKey() || me.ShiftKey() || me.Button() != 0) {
				return // the agent asked for a new tab or window
			}
			ev.PreventDefault()
			post(origin, map[string]any{"type": "navigate", "url": url})
		})
	}
	return a
}

// post sends msg to the CRM page that frames the card (content.js), and
// only to the CRM's origin.
func post(origin string, msg map[string]any) {
	win := js.Global()
	parent := win.Get("parent")
	if origin == "" || parent.Equal(win) {
		return // the card opened on its own, not in a CRM page
	}
	parent.Call("postMessage", msg, origin)
}
