//go:build js && wasm

package pages

import "honnef.co/go/js/dom/v2"

// sidepanel renders the sidepanel page. (Placeholder: being built.)
func sidepanel(app dom.Element) {
	app.AppendChild(el("p", nil, "screenpop"))
}
