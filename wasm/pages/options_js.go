//go:build js && wasm

package pages

import (
	"errors"
	"time"

	"honnef.co/go/js/dom/v2"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/wasm/background"
	"github.com/screenpop/screenpop/wasm/browser"
)

// sample is the number the live preview expands the template with. The
// wasm has no number parser (it stays in the relay), so its forms are
// written out here.
var sample = phone.Number{Raw: "0033612345682", Kind: phone.Valid, Region: "FR", Forms: phone.Forms{
	E164: "+33612345682", Intl00: "0033612345682", National: "0612345682", Grouped: "06 12 34 56 82",
	Dotted: "06.12.34.56.82", Digits: "33612345682", NSN: "612345682", Like: "%6%1%2%3%4%5%6%8%2",
}}

func options(app dom.Element) {
	s := settings.Default()
	if _, err := browser.StorageGet(settings.StorageKey, &s); err != nil {
		app.AppendChild(el("p", map[string]string{"class": "error"}, t("optionsReadError", err.Error())))
	}

	status := el("p", map[string]string{"id": "status", "class": "status", "role": "status"})
	relay := el("input", map[string]string{"id": "relay-url", "type": "text", "spellcheck": "false", "placeholder": "http://127.0.0.1:8080"}).(*dom.HTMLInputElement)
	relayErr := el("p", map[string]string{"id": "relay-url-error", "class": "error", "aria-live": "polite"})
	tmpl := el("input", map[string]string{"id": "template", "type": "text", "spellcheck": "false"}).(*dom.HTMLInputElement)
	tmplErr := el("p", map[string]string{"id": "template-error", "class": "error", "aria-live": "polite"})
	preview := el("code", map[string]string{"id": "preview"})
	saved := el("span", map[string]string{"id": "saved", "class": "saved", "role": "status"})
	save := el("button", map[string]string{"id": "save", "type": "submit"}, t("optionsSave"))
	relay.SetValue(s.RelayURL)
	tmpl.SetValue(s.Template)

	form := el("form", map[string]string{"id": "options", "novalidate": ""},
		el("h1", nil, t("optionsTitle")),
		status,
		el("label", map[string]string{"for": "relay-url"}, t("optionsRelayURL")),
		relay, el("p", map[string]string{"class": "hint"}, t("optionsRelayHint")), relayErr,
		el("label", map[string]string{"for": "template"}, t("optionsTemplate")),
		tmpl, el("p", map[string]string{"class": "hint"}, t("optionsTemplateHint")), tmplErr,
		el("p", map[string]string{"class": "preview"}, t("optionsPreview", sample.Raw)+" ", preview),
		el("div", map[string]string{"class": "actions"}, save, saved),
	)
	app.AppendChild(form)

	showErrors := func(errs []error) bool {
		relayErr.SetTextContent("")
		tmplErr.SetTextContent("")
		for _, err := range errs {
			var fe *settings.FieldError
			if errors.As(err, &fe) && fe.Field == "relayUrl" {
				relayErr.SetTextContent(fe.Message)
			} else if errors.As(err, &fe) {
				tmplErr.SetTextContent(fe.Message)
			} else {
				tmplErr.SetTextContent(err.Error())
			}
		}
		return len(errs) == 0
	}
	current := func() settings.Settings {
		n := s
		n.RelayURL, n.Template = relay.Value(), tmpl.Value()
		return n
	}
	updatePreview := func() {
		u, err := pop.Expand(tmpl.Value(), pop.Values{Event: "start_ringing", Calling: sample, Called: phone.Number{Raw: "0033972101010"}, Line: "0033972101010", LineName: "Accueil"})
		if err != nil {
			preview.SetTextContent("—")
			return
		}
		preview.SetTextContent(u)
	}
	updatePreview()
	tmpl.AddEventListener("input", false, func(dom.Event) {
		updatePreview()
		showErrors(current().Validate(pop.ValidateTemplate))
		saved.SetTextContent("")
	})
	relay.AddEventListener("input", false, func(dom.Event) { saved.SetTextContent("") })
	form.AddEventListener("submit", false, func(ev dom.Event) {
		ev.PreventDefault()
		n := current()
		if !showErrors(n.Validate(pop.ValidateTemplate)) {
			saved.SetTextContent(t("optionsNotSaved"))
			return
		}
		go func() {
			if err := browser.StorageSet(settings.StorageKey, n); err != nil {
				saved.SetTextContent(t("optionsSaveError", err.Error()))
				return
			}
			s = n
			saved.SetTextContent(t("optionsSaved"))
		}()
	})

	showStatus := func() {
		var st background.Status
		if ok, _ := browser.StorageGet(background.StatusKey, &st); !ok {
			status.SetTextContent(t("statusUnknown"))
			return
		}
		status.SetAttribute("data-state", st.State)
		status.SetTextContent(st.Message + " (" + time.UnixMilli(st.At).Format("15:04:05") + ")")
	}
	showStatus()
	onStorageChange(background.StatusKey, showStatus)
}
