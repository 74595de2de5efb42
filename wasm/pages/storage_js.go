//go:build js && wasm

package pages

import (
	"encoding/json"
	"syscall/js"

	"github.com/screenpop/screenpop/wasm/browser"
)

// Extension storage through encoding/json, for the pages. (The background
// has its own codec: encoding/json would cost its wasm about 35 KB gzipped,
// so package browser has only JSON-view.Text storage access.)

// storageGet reads key from extension local storage into v (JSON-shaped).
// A missing key leaves v unchanged and returns false.
func storageGet(key string, v any) (bool, error) {
	res, err := browser.Await(browser.API.Get("storage").Get("local").Call("get", key))
	if err != nil {
		return false, err
	}
	val := res.Get(key)
	if val.IsUndefined() || val.IsNull() {
		return false, nil
	}
	s := js.Global().Get("JSON").Call("stringify", val).String()
	return true, json.Unmarshal([]byte(s), v)
}

// storageSet writes v under key in extension local storage.
func storageSet(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	obj := js.Global().Get("Object").New()
	obj.Set(key, js.Global().Get("JSON").Call("parse", string(b)))
	_, err = browser.Await(browser.API.Get("storage").Get("local").Call("set", obj))
	return err
}
