//go:build js && wasm

package pages

import (
	"github.com/screenpop/screenpop/wasm/view"
	"strconv"
	"syscall/js"
	"time"

	"honnef.co/go/js/dom/v2"

	"github.com/screenpop/screenpop/internal/settings"
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
	var settingsNow settings.Settings // for the new-contact form (newContactURL)
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
		k := view.CallerOf(cv)
		closeBtn := el("button", map[string]string{"id": "card-close", "class": "card-close", "type": "button", "title": t("cardClose"), "aria-label": t("cardClose")}, "×")
		closeBtn.AddEventListener("click", false, func(dom.Event) { post(cur.Origin, map[string]any{"type": "close"}) })

		lineText := t("cardLine", k.Line)
		if k.Queue {
			lineText = t("cardQueue", k.Line)
			if !k.Joined.IsZero() {
				lineText = t("cardQueueSince", k.Line, when(k.Joined))
			}
		}
		head := el("header", nil,
			el("span", map[string]string{"class": "card-brand"}, "screenpop"),
			el("span", map[string]string{"id": "card-line", "class": "card-line"}, lineText),
			closeBtn)
		clk = view.CallClock(cv.Call)
		timer = el("span", map[string]string{"id": "card-timer", "class": "card-timer"}, clk.At(time.Now()))
		state := el("p", map[string]string{"id": "card-state", "class": "card-state", "data-state": string(cv.Call.State)},
			el("span", map[string]string{"class": "dot"}), t(view.StateKey(cv.Call.State))+" ", timer)

		who := el("div", map[string]string{"class": "card-who"})
		if k.Named {
			// The caller's name, company, record type and owner; the
			// number under them.
			who.AppendChild(el("p", map[string]string{"id": "card-name", "class": "card-name"}, say(k.Title)))
			if k.Company != "" {
				who.AppendChild(el("p", map[string]string{"id": "card-company", "class": "card-company"}, k.Company))
			}
			if kind := say(k.Kind); kind != "" {
				rec := el("p", map[string]string{"id": "card-record", "class": "card-record"}, el("span", map[string]string{"class": "chip"}, kind))
				if k.Owner != "" {
					rec.AppendChild(el("span", map[string]string{"class": "owner"}, " "+t("cardOwner", k.Owner)))
				}
				who.AppendChild(rec)
			}
		}
		who.AppendChild(el("p", map[string]string{"id": "card-number", "class": "card-number"}, say(k.Number)))
		if party.Forms.E164 != "" {
			who.AppendChild(el("p", map[string]string{"id": "card-e164", "class": "card-e164"}, party.Forms.E164))
		}
		for _, e := range []dom.Element{head, who, state} {
			app.AppendChild(e)
		}

		if len(k.Records) > 1 {
			// The records to choose from, each opening in this CRM page.
			list := el("ul", map[string]string{"id": "card-matches", "class": "card-matches"})
			for _, r := range k.Records {
				label := r.Name
				if kind := say(r.Kind); kind != "" {
					label += " · " + kind
				}
				if r.Company != "" {
					label += " · " + r.Company
				}
				if r.Owner != "" {
					label += " · " + t("cardOwner", r.Owner)
				}
				if !safeURL(r.URL) {
					list.AppendChild(el("li", nil, label))
					continue
				}
				list.AppendChild(el("li", nil, link(cur.Origin, r.URL, "", label)))
			}
			title := t("cardMatches", strconv.Itoa(max(len(cv.Matches), cv.MatchCount)))
			if k.Choose {
				title = t("cardChoose", strconv.Itoa(max(len(cv.Matches), cv.MatchCount)))
			}
			app.AppendChild(el("p", map[string]string{"class": "card-matches-title"}, title))
			app.AppendChild(list)
		}
		actions := el("p", map[string]string{"class": "card-actions"})
		if safeURL(cur.URL) {
			// What the pop opened: the record, a new contact or the search.
			actions.AppendChild(link(cur.Origin, cur.URL, "card-search", say(k.Open)))
		}
		if u := newContactURL(settingsNow, cv); u != "" && u != cur.URL && len(k.Records) == 0 {
			actions.AppendChild(link(cur.Origin, u, "card-new", t("cardNewContact")))
		}
		app.AppendChild(actions)
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
				// A follow-up card (the relay asked the CRM) names the
				// caller and may turn the search into the record.
				newCard := !background.SameCard(cv.Card, cur.View.Card) || cv.Target != cur.View.Target
				if cv.Call.State != cur.View.Call.State || newCard {
					cur.View.Call = cv.Call
					if newCard && background.HasCard(cv.Card) {
						cur.View.Card, cur.View.Target = cv.Card, cv.Target
						if safeURL(cv.URL) {
							cur.URL = cv.URL
						}
					}
					render()
				}
				return
			}
		}
	}
	settingsNow, _ = loadSettings()
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
