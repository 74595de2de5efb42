package background

import "github.com/screenpop/screenpop/wasm/popupview"

// PopupViewKey is the storage key of the popup as HTML (popupview.Page,
// rendered with no running timer's text): written with every write of the
// Calls view, in the same storage write, so that popup.html paints it
// before pages.wasm has loaded (extension/pages.js) and it never shows
// other calls than the Calls view (a new relay's empty list included).
const PopupViewKey = "popupView"

// PopupView is what the popup shows of c; paused is settings.Paused.
func PopupView(c *Calls, paused bool) popupview.View {
	v := popupview.View{UnseenMissed: c.UnseenMissed, Paused: paused}
	v.Live = make([]popupview.Call, len(c.Live))
	for i := range c.Live {
		v.Live[i] = popupCall(&c.Live[i])
	}
	v.Recent = make([]popupview.Call, len(c.Recent))
	for i := range c.Recent {
		v.Recent[i] = popupCall(&c.Recent[i])
	}
	return v
}

func popupCall(cv *CallView) popupview.Call {
	return popupview.Call{
		Call: cv.Call, Calling: cv.Calling, Called: cv.Called, URL: cv.URL,
		Popped: cv.Popped, Seen: cv.Seen, Test: cv.Test, Card: cv.Card,
		Reason: cv.Reason, Error: cv.Error,
	}
}
