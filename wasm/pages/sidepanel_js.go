//go:build js && wasm

package pages

import (
	"github.com/screenpop/screenpop/wasm/view"
	"strconv"

	"honnef.co/go/js/dom/v2"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/wasm/background"
)

// historyMax bounds the caller's history in the side panel.
const historyMax = 10

// sidepanel renders the side panel (Chrome) or sidebar (Firefox): the
// current caller's card — the CRM records that match when the view has
// them, to choose from, else the number's forms — the call's state and
// timer, and that caller's earlier calls. It follows storage live.
func sidepanel(app dom.Element) {
	app.SetAttribute("class", "panel")

	relay := el("section", map[string]string{"id": "status", "class": "relay compact", "role": "status", "aria-live": "polite"})
	problem := el("p", map[string]string{"id": "panel-error", "class": "error", "role": "alert"})
	card := el("section", map[string]string{"id": "caller", "class": "caller", "aria-live": "polite", "aria-labelledby": "caller-name"})
	hist := el("section", map[string]string{"id": "history", "class": "calls-section", "hidden": ""})
	empty := el("div", map[string]string{"id": "no-call", "class": "empty big", "hidden": ""},
		el("span", map[string]string{"class": "empty-icon", "aria-hidden": "true"}),
		el("strong", nil, t("sideEmpty")), el("span", nil, t("sideEmptyHint")))

	app.AppendChild(el("div", nil,
		el("header", map[string]string{"class": "bar"},
			el("h1", nil, el("span", map[string]string{"class": "logo", "aria-hidden": "true"}), t("sideTitle")),
		),
		relay, problem, empty, card, hist,
	))

	// "Search in CRM" and the history's buttons: one listener each.
	open := openCallOnClick(problem)
	onClick(card, open)
	onClick(hist, open)

	showCalls := func() {
		c := loadCalls()
		card.SetTextContent("")
		hist.SetTextContent("")
		if c.Current == nil {
			card.SetAttribute("hidden", "")
			hist.SetAttribute("hidden", "")
			empty.RemoveAttribute("hidden")
			return
		}
		empty.SetAttribute("hidden", "")
		card.RemoveAttribute("hidden")
		callerCard(card, *c.Current)

		earlier := history(c.Recent, *c.Current, historyMax)
		hist.RemoveAttribute("hidden")
		hist.AppendChild(el("h2", nil, t("sideHistory")))
		if len(earlier) == 0 {
			hist.AppendChild(el("p", map[string]string{"class": "empty"}, t("sideHistoryEmpty")))
			return
		}
		list := el("ul", map[string]string{"class": "calls history"})
		for _, cv := range earlier {
			list.AppendChild(el("li", map[string]string{"class": "call", "data-state": string(cv.Call.State)},
				el("div", map[string]string{"class": "who"},
					el("span", map[string]string{"class": "name"}, when(cv.Call.RingAt)),
					el("span", map[string]string{"class": "meta"}, view.LineLabel(cv)),
				),
				el("div", map[string]string{"class": "state"}, nodes(chip(cv), timer(cv))),
			))
		}
		hist.AppendChild(list)
	}
	showStatus := func() {
		st, ok := loadStatus()
		c := loadCalls()
		relayBox(relay, st, ok, c.Upstream)
	}
	showStatus()
	showCalls()
	startTimers()
	onStorageChange(background.StatusKey, showStatus)
	onStorageChange(background.CallsKey, showCalls)
	onStorageChange(background.CallsKey, showStatus) // the relay's link to OVH
}

// callerCard fills the card with one call.
func callerCard(card dom.Element, cv background.CallView) {
	card.SetAttribute("data-state", string(cv.Call.State))
	other := view.OtherParty(cv)
	line := view.LinePart(cv)

	dirKey := "sideInboundOn"
	if cv.Call.Direction == call.Outbound {
		dirKey = "sideOutboundOn"
	}
	lineText := view.LineLabel(cv)
	if cv.Call.LineName != "" && line.Forms.Grouped != "" {
		lineText += " (" + line.Forms.Grouped + ")"
	}
	card.AppendChild(el("div", map[string]string{"class": "caller-state"}, nodes(testChip(cv), chip(cv), timer(cv))))
	card.AppendChild(el("h2", map[string]string{"id": "caller-name", "class": "caller-name"}, say(view.CallerLabel(cv))))
	if named(cv) {
		card.AppendChild(el("p", map[string]string{"class": "caller-number"}, say(view.NumberLabel(other, line.Region))))
	}
	lineP := el("p", map[string]string{"class": "caller-line"}, t(dirKey, lineText))
	whyNot(lineP, cv)
	card.AppendChild(lineP)

	switch {
	case len(cv.Matches) == 1:
		m := cv.Matches[0]
		card.AppendChild(el("p", map[string]string{"class": "match-one"}, t("sideOneMatch", m.Module)))
		if safeURL(m.URL) {
			card.AppendChild(el("a", map[string]string{"class": "button", "href": m.URL, "target": "_blank", "rel": "noopener", "id": "open-record"}, t("sideOpenRecord")))
		}
	case len(cv.Matches) > 1:
		card.AppendChild(el("p", map[string]string{"class": "match-count"}, t("sideManyMatches", strconv.Itoa(len(cv.Matches)))))
		list := el("ul", map[string]string{"class": "matches", "id": "matches"})
		for _, m := range cv.Matches {
			name, module := el("strong", nil, m.Name), el("span", map[string]string{"class": "module"}, m.Module)
			item := el("span", nil, name, module)
			if safeURL(m.URL) {
				item = el("a", map[string]string{"href": m.URL, "target": "_blank", "rel": "noopener"}, name, module)
			}
			list.AppendChild(el("li", nil, item))
		}
		card.AppendChild(list)
	default:
		forms := numberForms(other)
		if len(forms) > 0 {
			dl := el("dl", map[string]string{"class": "forms", "id": "forms"})
			for _, f := range forms {
				dl.AppendChild(el("div", nil, el("dt", nil, t(f.LabelKey)), el("dd", nil, f.Value)))
			}
			card.AppendChild(dl)
		}
		card.AppendChild(el("p", map[string]string{"class": "hint"}, t("sideNoMatchYet")))
	}
	if view.CanOpen(cv) {
		card.AppendChild(el("button", map[string]string{"type": "button", "id": "search-crm", "data-action": "open",
			"data-line": cv.Call.Line, "data-id": cv.Call.ID}, t("sideSearchCRM")))
	}
}
