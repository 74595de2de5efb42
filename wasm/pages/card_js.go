//go:build js && wasm

package pages

import "honnef.co/go/js/dom/v2"

// card renders the card page. (Placeholder: being built.)
func card(app dom.Element) {
	app.AppendChild(el("p", nil, "screenpop"))
}
