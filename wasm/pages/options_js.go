//go:build js && wasm

package pages

import (
	"slices"
	"strconv"
	"strings"
	"syscall/js"

	"honnef.co/go/js/dom/v2"

	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/wasm/background"
	"github.com/screenpop/screenpop/wasm/browser"
)

// input reads and writes a form control's value or checked state.
type input struct{ dom.Element }

func (i input) value() string { return i.Underlying().Get("value").String() }
func (i input) set(v string)  { i.Underlying().Set("value", v) }
func (i input) checked() bool { return i.Underlying().Get("checked").Bool() }
func (i input) check(v bool)  { i.Underlying().Set("checked", v) }
func (i input) on(ev string, f func()) {
	i.AddEventListener(ev, false, func(dom.Event) { f() })
}

// field is a labelled control with its hint and its error line; the error
// line's ID is the control's ID + "-error".
func field(id, labelKey, hintKey string, control dom.Element) (wrap, errLine dom.Element) {
	errLine = el("p", map[string]string{"id": id + "-error", "class": "error", "aria-live": "polite"})
	describedBy := id + "-error"
	wrap = el("div", map[string]string{"class": "field"}, el("label", map[string]string{"for": id}, t(labelKey)), control)
	if hintKey != "" {
		wrap.AppendChild(el("p", map[string]string{"id": id + "-hint", "class": "hint"}, codeText(t(hintKey)))) // commands in <code>
		describedBy = id + "-hint " + describedBy
	}
	control.SetAttribute("aria-describedby", describedBy)
	wrap.AppendChild(errLine)
	return wrap, errLine
}

func textInput(id, placeholder string) input {
	return input{el("input", map[string]string{"id": id, "type": "text", "spellcheck": "false", "autocomplete": "off", "placeholder": placeholder})}
}

func checkbox(id, labelKey string) (dom.Element, input) {
	box := input{el("input", map[string]string{"id": id, "type": "checkbox"})}
	return el("label", map[string]string{"class": "check", "for": id}, box.Element, el("span", nil, t(labelKey))), box
}

func section(titleKey string, children ...any) dom.Element {
	return el("section", map[string]string{"class": "card"}, append([]any{el("h2", nil, t(titleKey))}, children...)...)
}

// options renders the settings page.
func options(app dom.Element) {
	app.SetAttribute("class", "options")
	s, err := loadSettings()
	readProblem := el("p", map[string]string{"class": "error", "role": "alert"})
	if err != nil {
		readProblem.SetTextContent(t("optionsReadError", err.Error()))
	}

	// Relay: a pasted connection string, or a plain address.
	connection := textInput("connection", "https://relay.example.com/#sp_…")
	connInfo := el("p", map[string]string{"id": "connection-info", "class": "info", "aria-live": "polite"})
	secretInfo := el("div", map[string]string{"id": "secret-info", "class": "secret-info"})
	relay := textInput("relay-url", "http://127.0.0.1:8080")
	connWrap, connErr := field("connection", "optionsConnection", "optionsConnectionHint", connection.Element)
	connWrap.InsertBefore(connInfo, connErr)
	relayWrap, relayErr := field("relay-url", "optionsRelayURL", "optionsRelayHint", relay.Element)
	status := el("div", map[string]string{"id": "status", "class": "relay", "role": "status", "aria-live": "polite"})

	// CRM: a preset and its base, or a template of one's own.
	preset := input{el("select", map[string]string{"id": "preset"})}
	for _, p := range pop.Presets() {
		preset.AppendChild(el("option", map[string]string{"value": p.ID}, t(presetKeys[p.ID])))
	}
	presetHelp := el("p", map[string]string{"id": "preset-help", "class": "hint"})
	base := textInput("crm-base", "https://crm.example.com")
	// The example is the recommended search (a preset's), never
	// *CALLING*, which finds only numbers stored as OVH sends them.
	example, _ := pop.PresetURL(pop.PresetSugar6, "https://crm.example.com")
	tmpl := textInput("template", example)
	tmpl.SetAttribute("class", "mono")
	previewOut := el("code", map[string]string{"id": "preview"})
	presetWrap, _ := field("preset", "optionsPreset", "", preset.Element)
	presetWrap.AppendChild(presetHelp)
	baseWrap, baseErr := field("crm-base", "optionsBase", "optionsBaseHint", base.Element)
	tmplWrap, tmplErr := field("template", "optionsTemplate", "optionsTemplateHint", tmpl.Element)
	placeholders := el("ul", map[string]string{"class": "placeholders"})
	for _, p := range pop.Placeholders() {
		placeholders.AppendChild(el("li", nil,
			el("button", map[string]string{"type": "button", "class": "ph", "data-placeholder": p.Name, "title": t("optionsInsertPlaceholder")}, p.Name),
			el("span", nil, placeholderSample(p.Name)),
		))
	}
	access := el("div", map[string]string{"id": "host-access", "class": "access", "aria-live": "polite"})

	// Pops: mode, window size, rules, cap, notifications.
	mode := input{el("select", map[string]string{"id": "mode"})}
	for _, m := range settings.Modes() {
		mode.AppendChild(el("option", map[string]string{"value": m}, t(modeKeys[m])))
	}
	modeHint := el("p", map[string]string{"id": "mode-hint", "class": "hint"})
	modeWrap, _ := field("mode", "optionsMode", "", mode.Element)
	modeWrap.AppendChild(modeHint)
	width := input{el("input", map[string]string{"id": "window-width", "type": "number", "min": "200", "max": "4000", "step": "10", "aria-label": t("optionsWindowWidth")})}
	height := input{el("input", map[string]string{"id": "window-height", "type": "number", "min": "200", "max": "4000", "step": "10", "aria-label": t("optionsWindowHeight")})}
	windowErr := el("p", map[string]string{"id": "window-error", "class": "error", "aria-live": "polite"})
	windowRow := el("div", map[string]string{"class": "field", "id": "window-size"},
		el("span", map[string]string{"class": "label"}, t("optionsWindowSize")),
		el("div", map[string]string{"class": "size"}, width.Element, el("span", map[string]string{"aria-hidden": "true"}, "×"), height.Element, el("span", nil, t("optionsPixels"))),
		windowErr,
	)
	events := map[string]input{}
	eventList := el("div", map[string]string{"class": "checks", "id": "events"})
	for _, e := range pop.PoppableEvents() {
		row, box := checkbox("event-"+e, eventKeys[e])
		box.SetAttribute("value", e)
		events[e] = box
		eventList.AppendChild(row)
	}
	eventsErr := el("p", map[string]string{"id": "events-error", "class": "error", "aria-live": "polite"})
	outboundRow, outbound := checkbox("outbound", "optionsOutbound")
	withheldRow, withheld := checkbox("withheld", "optionsWithheld")
	internalRow, internal := checkbox("internal", "optionsInternal")
	lines := input{el("textarea", map[string]string{"id": "lines", "rows": "2", "spellcheck": "false", "placeholder": "0033972101010\nAccueil"})}
	linesWrap, linesErr := field("lines", "optionsLines", "optionsLinesHint", lines.Element)
	capIn := input{el("input", map[string]string{"id": "cap", "type": "number", "min": "0", "max": "100"})}
	capWrap, capErr := field("cap", "optionsCap", "optionsCapHint", capIn.Element)
	notifyRow, notify := checkbox("notify", "optionsNotify")

	// What the pop opens when the relay's CRM directory names the caller.
	matchSelect := func(id, labelKey string, choices []matchChoice) (input, dom.Element) {
		sel := input{el("select", map[string]string{"id": id})}
		for _, c := range choices {
			sel.AppendChild(el("option", map[string]string{"value": c.Value}, t(c.LabelKey)))
		}
		wrap, _ := field(id, labelKey, "", sel.Element)
		return sel, wrap
	}
	oneMatch, oneWrap := matchSelect("one-match", "optionsOneMatch", oneMatchChoices)
	manyMatches, manyWrap := matchSelect("many-matches", "optionsManyMatches", manyMatchChoices)
	noMatch, noWrap := matchSelect("no-match", "optionsNoMatch", noMatchChoices)
	noWrap.AppendChild(el("p", map[string]string{"class": "hint"}, t("optionsNoneNewSugar7")))

	saved := el("span", map[string]string{"id": "saved", "class": "saved", "role": "status"})
	save := el("button", map[string]string{"id": "save", "type": "submit"}, t("optionsSave"))
	testPop := el("button", map[string]string{"id": "test-pop", "type": "button", "class": "ghost"}, t("optionsTestPop"))
	testResult := el("span", map[string]string{"id": "test-result", "class": "test-result", "role": "status"})

	form := el("form", map[string]string{"id": "options", "novalidate": ""},
		el("header", map[string]string{"class": "page-head"},
			el("h1", nil, el("span", map[string]string{"class": "logo", "aria-hidden": "true"}), t("optionsTitle")),
			status,
		),
		readProblem,
		section("optionsRelaySection", connWrap, secretInfo, relayWrap),
		section("optionsCRMSection", presetWrap, baseWrap, tmplWrap,
			el("div", map[string]string{"class": "preview"}, el("span", nil, t("optionsPreview", sample.Forms.Grouped)), previewOut),
			el("details", nil, el("summary", nil, t("optionsPlaceholders")), el("p", map[string]string{"class": "hint"}, t("optionsPlaceholdersHint")), placeholders),
			access,
		),
		section("optionsPopSection", modeWrap, windowRow,
			el("fieldset", map[string]string{"class": "field", "aria-describedby": "events-error"},
				el("legend", nil, t("optionsEvents")), el("p", map[string]string{"class": "hint"}, t("optionsEventsHint")), eventList, eventsErr),
			el("div", map[string]string{"class": "checks"}, outboundRow, withheldRow, internalRow),
			linesWrap, capWrap, notifyRow,
		),
		section("optionsMatchTitle", el("p", map[string]string{"class": "hint", "id": "match-hint"}, t("optionsMatchHint")),
			oneWrap, manyWrap, noWrap,
		),
		el("div", map[string]string{"class": "actions"}, save, saved, el("span", map[string]string{"class": "spacer"}), testPop, testResult),
	)
	app.AppendChild(form)

	// Fill the form from the saved settings. dirty: the agent changed
	// something since.
	forget, dirty := false, false
	fill := func() {
		relay.set(s.RelayURL)
		connection.set("")
		preset.set(presetFor(s))
		base.set(s.CRMBase)
		tmpl.set(s.Template)
		mode.set(s.Mode)
		width.set(strconv.Itoa(s.WindowWidth))
		height.set(strconv.Itoa(s.WindowHeight))
		capIn.set(strconv.Itoa(s.CapPerMinute))
		notify.check(s.Notify)
		oneMatch.set(matchShown(oneMatchChoices, s.OneMatch))
		manyMatches.set(matchShown(manyMatchChoices, s.ManyMatches))
		noMatch.set(matchShown(noMatchChoices, s.NoMatch))
		sel := selectedEvents(s.Rules)
		for e, box := range events {
			box.check(slices.Contains(sel, e))
		}
		outbound.check(s.Rules.Outbound)
		withheld.check(s.Rules.Withheld)
		internal.check(s.Rules.Internal)
		lines.set(strings.Join(s.Rules.Lines, "\n"))
		forget, dirty = false, false
	}
	read := func() optionsForm {
		f := optionsForm{
			Connection: connection.value(), Relay: relay.value(), ForgetSecret: forget,
			Preset: preset.value(), Base: base.value(), Template: tmpl.value(),
			Mode: mode.value(), Width: width.value(), Height: height.value(), Cap: capIn.value(),
			Notify: notify.checked(), Outbound: outbound.checked(), Withheld: withheld.checked(), Internal: internal.checked(),
			Lines:    lines.value(),
			OneMatch: oneMatch.value(), ManyMatches: manyMatches.value(), NoMatch: noMatch.value(),
		}
		for e, box := range events {
			if box.checked() {
				f.Events = append(f.Events, e)
			}
		}
		return f
	}

	changed := func() { dirty = true; saved.SetTextContent(""); testResult.SetTextContent("") }

	errLines := map[string]dom.Element{
		fieldConnection: connErr, fieldRelay: relayErr, fieldBase: baseErr, fieldTemplate: tmplErr,
		fieldWindow: windowErr, fieldCap: capErr, fieldEvents: eventsErr, fieldLines: linesErr,
	}
	controls := map[string]dom.Element{
		fieldConnection: connection.Element, fieldRelay: relay.Element, fieldBase: base.Element, fieldTemplate: tmpl.Element,
		fieldWindow: width.Element, fieldCap: capIn.Element, fieldEvents: eventList, fieldLines: lines.Element,
	}
	// showProblems shows each field's problem (only those of fields when
	// given) and returns the first control in error.
	showProblems := func(probs []problem, only ...string) dom.Element {
		var first dom.Element
		for f, line := range errLines {
			if len(only) > 0 && !slices.Contains(only, f) {
				continue
			}
			line.SetTextContent("")
			controls[f].RemoveAttribute("aria-invalid")
		}
		for _, p := range probs {
			if len(only) > 0 && !slices.Contains(only, p.Field) {
				continue
			}
			setCodeText(errLines[p.Field], say(p.Text))
			controls[p.Field].SetAttribute("aria-invalid", "true")
			if first == nil {
				first = controls[p.Field]
			}
		}
		return first
	}

	var showSecret func()
	showSecret = func() {
		secretInfo.SetTextContent("")
		if s.Secret == "" {
			return
		}
		if forget {
			secretInfo.AppendChild(el("p", map[string]string{"class": "info"}, t("optionsSecretForgotten")))
			return
		}
		if !sameRelay(relay.value(), s.RelayURL) {
			secretInfo.AppendChild(el("p", map[string]string{"class": "info warn"}, t("optionsSecretOtherRelay", s.RelayURL)))
			return
		}
		remove := el("button", map[string]string{"type": "button", "class": "link", "id": "forget-secret"}, t("optionsForgetSecret"))
		onClick(remove, func(dom.Event) { forget = true; changed(); showSecret() })
		secretInfo.AppendChild(el("p", map[string]string{"class": "info"},
			t("optionsSecretSaved", maskSecret(s.Secret), s.RelayURL), " ", remove))
	}
	showConnection := func() {
		c := strings.TrimSpace(connection.value())
		connInfo.SetTextContent("")
		if c == "" {
			showProblems(nil, fieldConnection)
			return
		}
		r, sec, err := settings.ParseConnection(c)
		if err != nil {
			showProblems([]problem{{fieldConnection, connectionProblem(c)}}, fieldConnection)
			return
		}
		showProblems(nil, fieldConnection)
		relay.set(r)
		showProblems(nil, fieldRelay)
		connInfo.AppendChild(el("span", nil, t("optionsConnectionParsed", r, maskSecret(sec))))
	}

	// Host access to the CRM: asked for at run time, inside a click, for
	// the pattern the background checks (accessPattern), and mentioned
	// only for the modes that use it (hostAccess).
	granted := map[string]bool{}
	var showAccess func()
	showAccess = func() {
		m := mode.value()
		p := accessPattern(m, base.value(), tmpl.value())
		access.SetTextContent("")
		access.RemoveAttribute("data-granted")
		if p == "" {
			return
		}
		ok, known := granted[p]
		if !known {
			res, err := browser.Await(browser.API.Get("permissions").Call("contains", map[string]any{"origins": []any{p}}))
			ok = err == nil && res.Truthy()
			granted[p] = ok
			if p != accessPattern(mode.value(), base.value(), tmpl.value()) || m != mode.value() {
				return // the form changed meanwhile: its own showAccess runs
			}
			access.SetTextContent("")
		}
		site := strings.TrimSuffix(p, "/*") // every port of that host
		access.SetAttribute("data-granted", strconv.FormatBool(ok))
		need := hostAccess(m)
		switch {
		case ok && need != accessUnused:
			access.AppendChild(el("p", nil, t("optionsAccessGranted", site)))
			return
		case ok, need == accessUnused:
			return // nothing the agent needs to know: the mode does not use it
		}
		key, class := "optionsAccessOptional", "small ghost"
		if need == accessRequired {
			key, class = "optionsAccessNeeded", "small"
		}
		grant := el("button", map[string]string{"type": "button", "class": class, "id": "grant-access"}, t("optionsAccessGrant"))
		onClick(grant, func(dom.Event) {
			req := browser.API.Get("permissions").Call("request", map[string]any{"origins": []any{p}})
			go func() {
				res, err := browser.Await(req)
				granted[p] = err == nil && res.Truthy()
				showAccess()
			}()
		})
		access.AppendChild(el("p", nil, t(key, site, t(modeKeys[m])), " ", grant))
	}

	showPreview := func() {
		u, err := preview(tmpl.value())
		if err != nil {
			previewOut.SetTextContent("—")
			previewOut.SetAttribute("data-invalid", "true")
		} else {
			previewOut.SetTextContent(u)
			previewOut.RemoveAttribute("data-invalid")
		}
	}
	showPresetHelp := func() {
		presetHelp.SetTextContent(t(presetKeys[preset.value()] + "Help"))
		if preset.value() == pop.PresetCustom {
			base.RemoveAttribute("required")
		}
	}
	// A preset writes the template from the base; editing the template
	// makes it custom.
	regenerate := func() {
		if preset.value() == pop.PresetCustom {
			return
		}
		if u, err := pop.PresetURL(preset.value(), base.value()); err == nil {
			tmpl.set(u)
			showProblems(nil, fieldBase, fieldTemplate)
		} else if strings.TrimSpace(base.value()) != "" {
			showProblems([]problem{{fieldBase, baseProblem(base.value())}}, fieldBase)
		}
	}
	showMode := func() {
		m := mode.value()
		modeHint.SetTextContent(t(modeKeys[m] + "Hint"))
		if m == settings.ModeWindow {
			windowRow.RemoveAttribute("hidden")
		} else {
			windowRow.SetAttribute("hidden", "")
		}
	}

	fill()
	showSecret()
	showPresetHelp()
	showMode()
	showPreview()
	go showAccess()

	connection.on("input", func() { showConnection(); showSecret(); changed() })
	relay.on("input", func() {
		if p := relayProblem(relay.value()); p.Key != "" && strings.TrimSpace(relay.value()) != "" {
			showProblems([]problem{{fieldRelay, p}}, fieldRelay)
		} else {
			showProblems(nil, fieldRelay)
		}
		showSecret()
		changed()
	})
	preset.on("change", func() { regenerate(); showPresetHelp(); showPreview(); go showAccess(); changed() })
	base.on("input", func() { regenerate(); showPreview(); go showAccess(); changed() })
	tmpl.on("input", func() {
		if preset.value() != pop.PresetCustom {
			preset.set(pop.PresetCustom)
			showPresetHelp()
		}
		if err := pop.ValidateTemplate(tmpl.value()); err != nil {
			showProblems([]problem{problemFor(err, settings.Settings{Template: tmpl.value()})}, fieldTemplate)
		} else {
			showProblems(nil, fieldTemplate)
		}
		showPreview()
		go showAccess()
		changed()
	})
	mode.on("change", func() { showMode(); go showAccess(); changed() })
	form.AddEventListener("input", false, func(dom.Event) { changed() })
	form.AddEventListener("change", false, func(dom.Event) { changed() })
	onClick(placeholders, func(ev dom.Event) {
		b := ev.Target().Closest("[data-placeholder]")
		if b == nil {
			return
		}
		ti := tmpl.Underlying()
		v, name := ti.Get("value").String(), b.GetAttribute("data-placeholder")
		start, end := ti.Get("selectionStart"), ti.Get("selectionEnd")
		i, j := len(v), len(v)
		if start.Type() == js.TypeNumber && end.Type() == js.TypeNumber {
			i, j = start.Int(), end.Int()
		}
		// selectionStart counts UTF-16 units; templates are ASCII in practice.
		if i > len(v) || j > len(v) || i > j {
			i, j = len(v), len(v)
		}
		ti.Set("value", v[:i]+name+v[j:])
		ti.Call("focus")
		ti.Call("setSelectionRange", i+len(name), i+len(name))
		ti.Call("dispatchEvent", js.Global().Get("Event").New("input", map[string]any{"bubbles": true}))
	})

	// Save: host access is asked for in the click itself (browsers allow
	// it only there); the settings are saved whatever the answer, which
	// may never come in a browser without a prompt.
	onClick(save, func(dom.Event) {
		n, probs := read().settings(s)
		if len(probs) > 0 || !needsHostAccess(n.Mode) {
			return
		}
		p := accessPattern(n.Mode, n.CRMBase, n.Template)
		if p == "" || granted[p] {
			return
		}
		req := browser.API.Get("permissions").Call("request", map[string]any{"origins": []any{p}})
		go func() {
			res, err := browser.Await(req)
			granted[p] = err == nil && res.Truthy()
			showAccess()
		}()
	})
	form.AddEventListener("submit", false, func(ev dom.Event) {
		ev.PreventDefault()
		n, probs := read().settings(s)
		if first := showProblems(probs); first != nil {
			saved.SetAttribute("data-ok", "false")
			saved.SetTextContent(t("optionsNotSaved"))
			first.(dom.HTMLElement).Focus()
			return
		}
		go func() {
			if err := storageSet(settings.StorageKey, n); err != nil {
				saved.SetAttribute("data-ok", "false")
				saved.SetTextContent(t("optionsSaveError", err.Error()))
				return
			}
			s = n
			fill()
			showSecret()
			showPresetHelp()
			showPreview()
			connInfo.SetTextContent("")
			saved.SetAttribute("data-ok", "true")
			saved.SetTextContent(t("optionsSaved"))
		}()
	})

	onClick(testPop, func(dom.Event) {
		if dirty {
			testResult.SetTextContent(t("optionsTestSaveFirst"))
			return
		}
		testResult.SetTextContent(t("optionsTestSending"))
		go func() {
			if err := request(background.RequestTestPop, nil); err != nil {
				testResult.SetTextContent(t("errTestPop", err.Error()))
				return
			}
			testResult.SetTextContent(t("optionsTestSent"))
		}()
	})

	// The background may change the settings too (the popup's pause):
	// keep what the form does not show up to date, so a save keeps it.
	onStorageChange(settings.StorageKey, func() {
		if n, err := loadSettings(); err == nil {
			s.Paused = n.Paused
		}
	})
	showStatus := func() {
		st, ok := loadStatus()
		c := loadCalls()
		relayBox(status, st, ok, c.Upstream)
		// On this page the settings are right here.
		if b := status.QuerySelector("#relay-settings"); b != nil {
			b.Remove()
		}
		if a := status.QuerySelector(".relay-advice"); a != nil && st.State == "settings" {
			advice := "relaySettingsAdviceHere"
			if a.TextContent() == t("relayRefusedAdvice") {
				advice = "relayRefusedAdviceHere"
			}
			a.SetTextContent(t(advice))
		}
	}
	showStatus()
	onStorageChange(background.StatusKey, showStatus)
	onStorageChange(background.CallsKey, showStatus) // the relay's link to OVH
}
