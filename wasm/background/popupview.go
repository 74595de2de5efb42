package background

import "github.com/screenpop/screenpop/wasm/view"

// PopupViewKey is the storage key of the popup as HTML (view.Page,
// rendered with no running timer's text): written with every write of the
// Calls view, in the same storage write, so that popup.html paints it
// before pages.wasm has loaded (extension/pages.js) and it never shows
// other calls than the Calls view (a new relay's empty list included).
const PopupViewKey = "popupView"

// PopupView is what the popup shows of c; paused is settings.Paused.
func PopupView(c *Calls, paused bool) view.View {
	return view.View{Live: c.Live, Recent: c.Recent, UnseenMissed: c.UnseenMissed, Paused: paused}
}
