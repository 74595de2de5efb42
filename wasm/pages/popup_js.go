//go:build js && wasm

package pages

import "honnef.co/go/js/dom/v2"

// popup renders the popup page. (Placeholder: being built.)
func popup(app dom.Element) {
	app.AppendChild(el("p", nil, "screenpop"))
}
