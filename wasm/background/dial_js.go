//go:build js && wasm

package background

import (
	"errors"
	"syscall/js"

	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/wasm/browser"
)

// relayRequestTimeout bounds a request to the relay's agent API: the
// relay gives OVH 15 s to place a call, and Chrome stops a worker's
// fetch after 30 s.
const relayRequestTimeout = 25000 // ms

// asyncRequest answers the page requests that wait on the relay
// (RequestDial) off the run goroutine, so that calls keep popping
// meanwhile; it reports whether in was one of them. What the request
// needs from the state is read here, on the run goroutine.
func (w *worker) asyncRequest(in input) bool {
	if in.msg.Type() != js.TypeObject || in.msg.Get("type").String() != RequestDial {
		return false
	}
	str := func(k string) string {
		if v := in.msg.Get(k); v.Type() == js.TypeString {
			return v.String()
		}
		return ""
	}
	d, err := w.state.DialFor(str("line"), str("id"), str("number"))
	relay, secret := w.settings.RelayURL, w.settings.Secret
	go func() {
		var got stream.Dialed
		if err == nil {
			var body string
			body, err = postRelay(relay, secret, stream.PathDial, dialBody(d))
			got = dialed(body)
		}
		if err != nil {
			warn("click-to-call: " + err.Error())
		}
		if in.reply.Type() == js.TypeFunction {
			in.reply.Invoke(dialAnswer(got, d.Number, err))
		}
	}()
	return true
}

// postRelay POSTs a JSON body to the relay's agent API at path, as the
// agent (Bearer secret), and returns the answer's body or the relay's
// error.
func postRelay(relay, secret, path, body string) (string, error) {
	u, err := settings.APIURL(relay, path)
	if err != nil {
		return "", err
	}
	headers := map[string]any{"Content-Type": "application/json"}
	if secret != "" {
		headers["Authorization"] = "Bearer " + secret
	}
	opts := map[string]any{"method": "POST", "headers": headers, "body": body, "cache": "no-store", "credentials": "omit"}
	if as := js.Global().Get("AbortSignal"); as.Truthy() && as.Get("timeout").Truthy() {
		opts["signal"] = as.Call("timeout", relayRequestTimeout)
	}
	resp, err := browser.Await(js.Global().Call("fetch", u, opts))
	if err != nil {
		return "", errors.New(browser.Message("dialRelayDown", relay, err.Error()))
	}
	text, err := browser.Await(resp.Call("text"))
	if err != nil {
		return "", errors.New(browser.Message("dialRelayDown", relay, err.Error()))
	}
	return text.String(), relayAnswer(resp.Get("status").Int(), text.String())
}
