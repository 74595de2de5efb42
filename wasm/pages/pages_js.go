//go:build js && wasm

// Package pages renders the extension's pages (options now; popup and side
// panel later) with honnef.co/go/js/dom/v2. Each page's HTML is an empty
// shell with <body data-page="…">; Go builds the rest.
package pages

import (
	"syscall/js"

	"honnef.co/go/js/dom/v2"

	"github.com/screenpop/screenpop/wasm/browser"
)

var doc = dom.GetWindow().Document()

// Start renders the page named by the body's data-page attribute.
func Start() {
	body := doc.QuerySelector("body").(dom.HTMLElement)
	switch body.Dataset()["page"] {
	case "options":
		go options(doc.GetElementByID("app"))
	case "popup":
		go popup(doc.GetElementByID("app"))
	case "sidepanel":
		go sidepanel(doc.GetElementByID("app"))
	case "card":
		go card(doc.GetElementByID("app"))
	default:
		body.SetTextContent("unknown page")
	}
}

// el creates an element with attributes and children (strings become text).
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
		}
	}
	return e
}

func t(key string, subs ...string) string { return browser.Message(key, subs...) }

// onStorageChange calls f (on a goroutine) whenever key changes in local storage.
func onStorageChange(key string, f func()) {
	browser.API.Get("storage").Get("onChanged").Call("addListener", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 1 && args[1].String() == "local" && args[0].Get(key).Truthy() {
			go f()
		}
		return nil
	}))
}
