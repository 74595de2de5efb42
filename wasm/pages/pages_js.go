//go:build js && wasm

// Package pages renders the extension's pages (options, popup, side panel,
// in-page card) with honnef.co/go/js/dom/v2. Each page's HTML is an empty
// shell with <body data-page="…">; Go builds the rest. Every string the
// agent reads comes from _locales through t (chrome.i18n).
//
// What needs no browser (labels, timers, filters, the options form) lives
// in files without the js build tag and is tested natively.
package pages

import (
	"errors"
	"github.com/screenpop/screenpop/wasm/view"
	"strconv"
	"syscall/js"
	"time"

	"honnef.co/go/js/dom/v2"

	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/wasm/background"
	"github.com/screenpop/screenpop/wasm/browser"
)

var doc = dom.GetWindow().Document()

// Start renders the page named by the body's data-page attribute.
func Start() {
	body := doc.QuerySelector("body").(dom.HTMLElement)
	if html := doc.DocumentElement(); html != nil {
		html.SetAttribute("lang", browser.API.Get("i18n").Call("getUILanguage").String())
	}
	switch body.Dataset()["page"] {
	case "options":
		setTitle("optionsTitle")
		go options(doc.GetElementByID("app"))
	case "popup":
		setTitle("popupTitle")
		go popup(doc.GetElementByID("app"))
	case "sidepanel":
		setTitle("sideTitle")
		go sidepanel(doc.GetElementByID("app"))
	case "card":
		go card(doc.GetElementByID("app"))
	default:
		body.SetTextContent("unknown page")
	}
}

func setTitle(key string) {
	js.Global().Get("document").Set("title", t(key))
}

// el creates an element with attributes and children (strings become view.Text).
func el(tag string, attrs map[string]string, children ...any) dom.Element {
	e := doc.CreateElement(tag)
	for k, v := range attrs {
		e.SetAttribute(k, v)
	}
	for _, c := range children {
		switch c := c.(type) {
		case string:
			e.AppendChild(doc.CreateTextNode(c))
		case dom.Node:
			e.AppendChild(c)
		case []dom.Node:
			for _, n := range c {
				e.AppendChild(n)
			}
		}
	}
	return e
}

func t(key string, subs ...string) string { return browser.Message(key, subs...) }

// say renders a view.Text (calls.go) in the browser's language.
func say(x view.Text) string { return x.String(t) }

// onStorageChange calls f (on a goroutine) whenever key changes in local storage.
func onStorageChange(key string, f func()) {
	browser.API.Get("storage").Get("onChanged").Call("addListener", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 1 && args[1].String() == "local" && args[0].Get(key).Truthy() {
			go f()
		}
		return nil
	}))
}

// onClick runs f synchronously inside the click (so it may call the
// user-gesture APIs: sidePanel.open, permissions.request); f starts a
// goroutine for anything that waits.
func onClick(e dom.Element, f func(dom.Event)) {
	e.AddEventListener("click", false, f)
}

// request sends the background one of the requests of view.go and waits
// for its answer. Call it on a goroutine.
func request(typ string, fields map[string]any) error {
	m := map[string]any{"type": typ}
	for k, v := range fields {
		m[k] = v
	}
	res, err := browser.Await(browser.API.Get("runtime").Call("sendMessage", m))
	if err != nil {
		return err
	}
	if res.IsUndefined() || res.IsNull() {
		return errors.New(t("errNoAnswer"))
	}
	if !res.Get("ok").Truthy() {
		if e := res.Get("error"); e.Type() == js.TypeString && e.String() != "" {
			return errors.New(e.String())
		}
		return errors.New(t("errNoAnswer"))
	}
	return nil
}

// loadCalls reads the Calls view the background keeps.
func loadCalls() background.Calls {
	var c background.Calls
	storageGet(background.CallsKey, &c)
	return c
}

// loadStatus reads the relay connection state; ok is false before the
// background ever wrote it.
func loadStatus() (st background.RelayStatus, ok bool) {
	ok, _ = storageGet(background.StatusKey, &st)
	return st, ok
}

// loadSettings reads the saved settings over the defaults.
func loadSettings() (settings.Settings, error) {
	s := settings.Default()
	_, err := storageGet(settings.StorageKey, &s)
	return s, err
}

// when writes a moment the way the browser's language does: the time for
// today, the day and time before.
func when(tm time.Time) string {
	if tm.IsZero() {
		return ""
	}
	lang := browser.API.Get("i18n").Call("getUILanguage").String()
	d := js.Global().Get("Date").New(tm.UnixMilli())
	today := js.Global().Get("Date").New().Call("toDateString").String()
	opts := map[string]any{"hour": "2-digit", "minute": "2-digit"}
	if d.Call("toDateString").String() != today {
		opts["day"], opts["month"] = "numeric", "short"
	}
	return d.Call("toLocaleString", lang, opts).String()
}

// startTimers refreshes every running timer on the page once a second:
// each is an element with data-since (Unix ms) whose view.Text is the time
// elapsed since.
func startTimers() {
	go func() {
		for range time.Tick(time.Second) {
			now := time.Now()
			for _, e := range doc.QuerySelectorAll("[data-since]") {
				ms, err := strconv.ParseInt(e.GetAttribute("data-since"), 10, 64)
				if err != nil {
					continue
				}
				e.SetTextContent(view.FormatDuration(now.Sub(time.UnixMilli(ms))))
			}
		}
	}()
}

// timer is a call's timer element: running (data-since) while the call
// goes on, fixed once it is over; nil when there is nothing to show.
func timer(cv background.CallView) dom.Element {
	c := view.CallClock(cv.Call)
	if !c.Shown {
		return nil
	}
	attrs := map[string]string{"class": "timer"}
	if !c.Since.IsZero() {
		attrs["data-since"] = strconv.FormatInt(c.Since.UnixMilli(), 10)
		attrs["role"] = "timer"
	}
	return el("span", attrs, c.At(time.Now()))
}

// chip is a call state's label.
func chip(cv background.CallView) dom.Element {
	return el("span", map[string]string{"class": "chip", "data-state": string(cv.Call.State)}, t(view.StateKey(cv.Call.State)))
}

// testChip marks the options page's test call; nil for a real call.
func testChip(cv background.CallView) dom.Element {
	if !cv.Test {
		return nil
	}
	return el("span", map[string]string{"class": "chip test"}, t("callTest"))
}

// whyNot adds to box why the call did not open the CRM, or why opening
// it failed, when either happened.
func whyNot(box dom.Element, cv background.CallView) {
	if cv.Error != "" {
		box.AppendChild(el("span", map[string]string{"class": "why error-text"}, t("callPopError", cv.Error)))
	} else if why := view.NotPopped(cv); why.Key != "" {
		box.AppendChild(el("span", map[string]string{"class": "why"}, say(why)))
	}
}

// nodes gathers optional children: a nil element is skipped.
func nodes(es ...dom.Element) []dom.Node {
	var out []dom.Node
	for _, e := range es {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// openOptions opens the options page.
func openOptions() {
	browser.API.Get("runtime").Call("openOptionsPage")
}

// relayBox renders the relay connection state: a headline, the
// background's detail, what to do, and buttons for it; while connected,
// the relay's link to OVH for the agent's lines when no call can arrive
// (up, from the Calls view).
func relayBox(box dom.Element, st background.RelayStatus, known bool, up *stream.Upstream) {
	state := ""
	if known {
		state = st.State
	}
	// The background explains bad settings in English (its logs' words);
	// the page says it in the agent's language when it can. Settings
	// without a problem were refused by the relay (a wrong or revoked
	// secret): its reason, then what to do.
	refused := false
	if state == "settings" {
		if s, err := loadSettings(); err == nil {
			if p, ok := firstProblem(s); ok {
				st.Message = say(p.Text)
			} else {
				refused = true
			}
		}
	}
	note, warn := upstreamWarning(up)
	warn = warn && state == "connected"
	// Redraw only what changed: a screen reader announces every redraw
	// of this live region, and the background rewrites the status often.
	shown := state + "\x00" + st.Message + "\x00" + st.Relay
	crmFail := state == "connected" && up != nil && up.Directory != nil && up.Directory.State == stream.SyncFailing
	if crmFail {
		shown += "\x00crm\x00" + up.Directory.Since.String() + "\x00" + up.Directory.Error
	}
	if warn {
		shown += "\x00" + up.State + "\x00" + up.Since.String() + "\x00" + up.NextTry.String() + "\x00" + up.Error
	}
	if known && box.GetAttribute("data-shown") == shown {
		return
	}
	box.SetAttribute("data-shown", shown)
	rs := relayStateFor(state)
	if warn {
		rs = relayState{Class: "warn", Headline: "upstreamHeadline"}
	}
	box.SetAttribute("data-state", rs.Class)
	box.SetTextContent("")
	head := el("div", map[string]string{"class": "relay-head"},
		el("span", map[string]string{"class": "dot", "aria-hidden": "true"}),
		el("strong", nil, t(rs.Headline)),
	)
	box.AppendChild(head)
	switch {
	case warn:
		head.AppendChild(el("span", map[string]string{"class": "relay-host"}, hostOf(st.Relay)))
		since, next := note.Since, note.NextTry
		if since.IsZero() {
			since = time.Now()
		}
		box.AppendChild(el("p", map[string]string{"class": "relay-detail", "id": "upstream-detail"}, t(note.Detail, when(since), when(next))))
		box.AppendChild(el("p", map[string]string{"class": "relay-advice", "id": "upstream-advice"}, t(note.Advice)))
		if up.Error != "" {
			box.AppendChild(el("details", map[string]string{"class": "relay-reason"},
				el("summary", nil, t("upstreamReason")),
				el("p", nil, codeText(sentence(up.Error))),
			))
		}
	case known && st.Message != "" && rs.Class != "ok":
		msg := st.Message
		if refused {
			msg = sentence(msg)
		}
		box.AppendChild(el("p", map[string]string{"class": "relay-detail"}, codeText(msg)))
		if refused {
			box.AppendChild(el("p", map[string]string{"class": "relay-advice"}, t("relayRefusedAdvice")))
		}
	case known && st.Relay != "":
		head.AppendChild(el("span", map[string]string{"class": "relay-host"}, hostOf(st.Relay)))
	}
	if crmFail {
		// The relay's CRM directory no longer syncs: pops go on (callers
		// named from the last sync, the others get the search), so this
		// is a note under the state, not a warning headline.
		d, since := up.Directory, up.Directory.Since
		if since.IsZero() {
			since = time.Now()
		}
		box.AppendChild(el("p", map[string]string{"class": "relay-detail", "id": "crm-sync-detail"}, t("crmSyncFailing", when(since))))
		box.AppendChild(el("p", map[string]string{"class": "relay-advice", "id": "crm-sync-advice"}, t("crmSyncFailingAdvice")))
		if d.Error != "" {
			box.AppendChild(el("details", map[string]string{"class": "relay-reason"},
				el("summary", nil, t("upstreamReason")),
				el("p", nil, codeText(sentence(d.Error))),
			))
		}
	}
	if rs.Advice != "" && (!known || st.Message == "") {
		box.AppendChild(el("p", map[string]string{"class": "relay-advice"}, t(rs.Advice)))
	}
	if rs.Retry || rs.Settings {
		actions := el("div", map[string]string{"class": "relay-actions"})
		if rs.Retry {
			retry := el("button", map[string]string{"type": "button", "class": "small", "id": "retry"}, t("relayRetry"))
			onClick(retry, func(dom.Event) {
				retry.(*dom.HTMLButtonElement).SetDisabled(true)
				go func() {
					request(background.RequestReconnect, nil)
					retry.(*dom.HTMLButtonElement).SetDisabled(false)
				}()
			})
			actions.AppendChild(retry)
		}
		if rs.Settings {
			open := el("button", map[string]string{"type": "button", "class": "small ghost", "id": "relay-settings"}, t("openSettings"))
			onClick(open, func(dom.Event) { openOptions() })
			actions.AppendChild(open)
		}
		box.AppendChild(actions)
	}
}

// setCodeText replaces e's content with s, its `code` spans as <code>.
func setCodeText(e dom.Element, s string) {
	e.SetTextContent("")
	for _, n := range codeText(s) {
		e.AppendChild(n)
	}
}

// codeText is text written with `code` spans (codeSpans) as nodes: the
// commands in <code>, without the backticks.
func codeText(s string) []dom.Node {
	var out []dom.Node
	for i, part := range codeSpans(s) {
		switch {
		case part == "":
		case i%2 == 1:
			out = append(out, el("code", nil, part))
		default:
			out = append(out, doc.CreateTextNode(part))
		}
	}
	return out
}

// hostOf is a relay address without its scheme, for a compact display.
func hostOf(u string) string {
	for _, p := range []string{"https://", "http://", "wss://", "ws://"} {
		if len(u) > len(p) && u[:len(p)] == p {
			return u[len(p):]
		}
	}
	return u
}

// openCallOnClick returns the click listener shared by the call lists: a
// click on any [data-action=open] button asks the background to open that
// call in the CRM, and a failure is shown in problem.
func openCallOnClick(problem dom.Element) func(dom.Event) {
	return func(ev dom.Event) {
		b := ev.Target().Closest("[data-action=open]")
		if b == nil {
			return
		}
		if b.TagName() == "A" {
			if me, ok := ev.(*dom.MouseEvent); ok && (me.CtrlKey() || me.MetaKey() || me.ShiftKey() || me.Button() != 0) {
				return // the agent asked for a new tab or window: the link's own
			}
			ev.PreventDefault()
		}
		line, id := b.GetAttribute("data-line"), b.GetAttribute("data-id")
		req := map[string]any{"line": line, "id": id}
		// A match's record, a new contact or the search (OpenAs): opened
		// by the background, so the CRM's cross-site check never sees an
		// extension page as the Referer.
		if as := b.GetAttribute("data-as"); as != "" {
			req["as"] = as
			if n, err := strconv.Atoi(b.GetAttribute("data-record")); err == nil {
				req["record"] = n
			}
		}
		go func() {
			if err := request(background.RequestOpen, req); err != nil {
				problem.SetTextContent(t("errOpen", err.Error()))
				return
			}
			problem.SetTextContent("")
		}()
	}
}
