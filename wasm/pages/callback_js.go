//go:build js && wasm

package pages

import (
	"syscall/js"

	"honnef.co/go/js/dom/v2"

	"github.com/screenpop/screenpop/wasm/background"
	"github.com/screenpop/screenpop/wasm/browser"
)

// callBackOnClick handles the "call back" buttons of the popup's and the
// side panel's calls ([data-action=call-back], the call's line and id):
// the background asks the relay to call the call's other party from the
// agent's line (background.RequestDial). The outcome goes in say (the
// page's alert line): "calling back" while the agent's phone rings, or
// what went wrong and what to do. The call itself then comes from the
// relay as the line's outbound call.
func callBackOnClick(say dom.Element) func(dom.Event) {
	return func(ev dom.Event) {
		b := ev.Target().Closest("[data-action=call-back]")
		if b == nil {
			return
		}
		line, id := b.GetAttribute("data-line"), b.GetAttribute("data-id")
		b.SetAttribute("disabled", "")
		say.SetAttribute("data-kind", "busy")
		say.SetTextContent(t("dialCalling", b.GetAttribute("data-number")))
		go func() {
			defer b.RemoveAttribute("disabled")
			res, err := browser.Await(browser.API.Get("runtime").Call("sendMessage", map[string]any{"type": background.RequestDial, "line": line, "id": id}))
			number := b.GetAttribute("data-number")
			switch {
			case err != nil:
				say.SetAttribute("data-kind", "error")
				say.SetTextContent(t("dialFailed", number, err.Error()))
			case res.Type() != js.TypeObject:
				say.SetAttribute("data-kind", "error")
				say.SetTextContent(t("dialFailed", number, t("errNoAnswer")))
			case !res.Get("ok").Truthy():
				say.SetAttribute("data-kind", "error")
				say.SetTextContent(t("dialFailed", number, res.Get("error").String()))
			default:
				if n := res.Get("number"); n.Type() == js.TypeString && n.String() != "" {
					number = n.String()
				}
				say.SetAttribute("data-kind", "ok")
				say.SetTextContent(t("callBackCalling", number))
			}
		}()
	}
}
