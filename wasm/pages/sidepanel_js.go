//go:build js && wasm

package pages

import (
	"strconv"

	"honnef.co/go/js/dom/v2"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/wasm/background"
	"github.com/screenpop/screenpop/wasm/view"
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
	// "Call back" on the card and the history (click-to-call).
	callBack := callBackOnClick(problem)
	onClick(card, callBack)
	onClick(hist, callBack)

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
				callBackButton(cv, "", t("callBack")),
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

// callerCard fills the card with one call: who calls (the CRM record's
// name, company, type and owner, view.CallerOf), the number, the line or
// queue, the records to choose from, and the actions: open in CRM (what
// the pop opens: the record, the search or a new contact), the search,
// a new contact. Every action goes through the background (RequestOpen),
// which opens the CRM with no extension page as the Referer.
func callerCard(card dom.Element, cv background.CallView) {
	card.SetAttribute("data-state", string(cv.Call.State))
	k := view.CallerOf(cv)
	other := view.OtherParty(cv)
	line := view.LinePart(cv)

	dirKey := "sideInboundOn"
	if cv.Call.Direction == call.Outbound {
		dirKey = "sideOutboundOn"
	}
	lineText := k.Line
	if cv.Call.LineName != "" && line.Forms.Grouped != "" {
		lineText += " (" + line.Forms.Grouped + ")"
	}
	card.AppendChild(el("div", map[string]string{"class": "caller-state"}, nodes(testChip(cv), chip(cv), timer(cv))))
	card.AppendChild(el("h2", map[string]string{"id": "caller-name", "class": "caller-name"}, say(k.Title)))
	if k.Company != "" {
		card.AppendChild(el("p", map[string]string{"id": "caller-company", "class": "caller-company"}, k.Company))
	}
	if kind := say(k.Kind); kind != "" {
		p := el("p", map[string]string{"id": "caller-record", "class": "caller-record"}, el("span", map[string]string{"class": "chip record-kind"}, kind))
		if k.Owner != "" {
			p.AppendChild(el("span", map[string]string{"class": "owner"}, t("cardOwner", k.Owner)))
		}
		card.AppendChild(p)
	}
	if k.Named {
		card.AppendChild(el("p", map[string]string{"id": "caller-number", "class": "caller-number"}, say(k.Number)))
	}
	lineP := el("p", map[string]string{"id": "caller-line", "class": "caller-line"}, t(dirKey, lineText))
	whyNot(lineP, cv)
	card.AppendChild(lineP)
	if k.Queue {
		q := t("cardQueue", k.Line)
		if !k.Joined.IsZero() {
			q = t("cardQueueSince", k.Line, when(k.Joined))
		}
		card.AppendChild(el("p", map[string]string{"id": "caller-queue", "class": "caller-queue"}, q))
	}

	switch {
	case len(k.Records) == 1:
		card.AppendChild(el("p", map[string]string{"class": "match-one"}, t("sideOneMatch", say(k.Records[0].Kind))))
	case len(k.Records) > 1:
		key := "sideManyMatches"
		if k.Choose {
			key = "cardChoose"
		}
		card.AppendChild(el("p", map[string]string{"class": "match-count", "id": "match-count"}, t(key, strconv.Itoa(matchCount(cv)))))
		card.AppendChild(recordList(cv, k))
		if more := cv.MatchCount - len(cv.Matches); more > 0 {
			// The relay sends at most stream.MaxMatches of them.
			card.AppendChild(el("p", map[string]string{"class": "hint", "id": "match-more"}, t("cardMore", strconv.Itoa(more))))
		}
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
	card.AppendChild(cardActions(cv, k))
}

// recordList lists the records that match, each a link that opens it
// (through the background; the href is for a middle click).
func recordList(cv background.CallView, k view.Caller) dom.Element {
	list := el("ul", map[string]string{"class": "matches", "id": "matches"})
	for _, r := range k.Records {
		parts := []any{el("strong", nil, r.Name), el("span", map[string]string{"class": "module"}, say(r.Kind))}
		if r.Company != "" {
			parts = append(parts, el("span", map[string]string{"class": "company"}, r.Company))
		}
		if r.Owner != "" {
			parts = append(parts, el("span", map[string]string{"class": "owner"}, t("cardOwner", r.Owner)))
		}
		if !safeURL(r.URL) {
			list.AppendChild(el("li", nil, el("span", nil, parts...)))
			continue
		}
		a := el("a", map[string]string{"href": r.URL, "target": "_blank", "rel": "noopener", "data-action": "open", "data-as": background.OpenRecord,
			"data-record": strconv.Itoa(r.Index), "data-line": cv.Call.Line, "data-id": cv.Call.ID, "aria-label": t("cardOpenOne", r.Name)}, parts...)
		list.AppendChild(el("li", nil, a))
	}
	return list
}

// cardActions are the card's buttons: open in CRM (what the pop opens),
// the search when that is something else, a new contact when the
// number is one.
func cardActions(cv background.CallView, k view.Caller) dom.Element {
	p := el("p", map[string]string{"class": "card-buttons"})
	open := func(id, as, label string) {
		attrs := map[string]string{"type": "button", "id": id, "data-action": "open", "data-line": cv.Call.Line, "data-id": cv.Call.ID}
		if as != "" {
			attrs["data-as"] = as
		}
		p.AppendChild(el("button", attrs, label))
	}
	valid := view.OtherParty(cv).Kind == phone.Valid
	switch {
	case cv.Target == pop.TargetRecord || cv.Target == pop.TargetNew:
		open("open-crm", "", say(k.Open))
		if valid {
			open("search-crm", background.OpenSearch, t("sideSearchCRM"))
		}
	case view.CanOpen(cv):
		open("search-crm", "", t("sideSearchCRM"))
	}
	if valid && cv.Target != pop.TargetNew && len(k.Records) == 0 {
		open("new-contact", background.OpenNew, t("cardNewContact"))
	}
	if b := callBackButton(cv, "call-back", t("callBack")); b != nil {
		p.AppendChild(b)
	}
	return p
}

// callBackButton is "call back" for call cv (callBackOnClick), or nil
// when it offers none (view.CanCallBack).
func callBackButton(cv background.CallView, id, label string) dom.Element {
	if !view.CanCallBack(cv) {
		return nil
	}
	k := view.CallerOf(cv)
	attrs := map[string]string{"type": "button", "class": "callback", "data-action": "call-back", "data-line": cv.Call.Line, "data-id": cv.Call.ID,
		"data-number": say(k.Number), "aria-label": t("callBackWho", say(k.Title))}
	if id != "" {
		attrs["id"] = id
	}
	return el("button", attrs, label)
}

// matchCount is how many records share the number: the relay's count
// when it capped the list it sent.
func matchCount(cv background.CallView) int {
	return max(len(cv.Matches), cv.MatchCount)
}
