//go:build js && wasm

package browser

import (
	"errors"
	"syscall/js"
)

// JSON-string storage access, for callers that keep encoding/json out of
// their wasm (the background): values go in and out as JSON text.

// StorageGetJSON reads keys from extension local storage and returns the
// JSON text of each key present; a value stored as text (StartStorageSet)
// comes back as that text.
func StorageGetJSON(keys ...string) (map[string]string, error) {
	arr := make([]any, len(keys))
	for i, k := range keys {
		arr[i] = k
	}
	res, err := Await(API.Get("storage").Get("local").Call("get", arr))
	if err != nil {
		return nil, err
	}
	return jsonTexts(res, keys), nil
}

// jsonTexts returns the JSON text of each of keys present in res, an
// object read from storage; a value stored as text comes back as it is.
func jsonTexts(res js.Value, keys []string) map[string]string {
	out := make(map[string]string, len(keys))
	stringify := js.Global().Get("JSON").Get("stringify")
	for _, k := range keys {
		switch v := res.Get(k); {
		case v.Type() == js.TypeString: // stored as text (StartStorageSet)
			out[k] = v.String()
		case !v.IsUndefined() && !v.IsNull():
			out[k] = stringify.Invoke(v).String()
		}
	}
	return out
}

// StorageGetAllJSON reads everything in extension local storage, as
// StorageGetJSON does for some keys: for records whose keys are not known
// in advance (one per call), in the same single read.
func StorageGetAllJSON() (map[string]string, error) {
	res, err := Await(API.Get("storage").Get("local").Call("get", js.Null()))
	if err != nil {
		return nil, err
	}
	names := js.Global().Get("Object").Call("keys", res)
	keys := make([]string, names.Length())
	for i := range keys {
		keys[i] = names.Index(i).String()
	}
	return jsonTexts(res, keys), nil
}

// StartStorageRemove removes keys from extension local storage.
func StartStorageRemove(keys []string) Pending {
	arr := make([]any, len(keys))
	for i, k := range keys {
		arr[i] = k
	}
	return Pending{API.Get("storage").Get("local").Call("remove", arr)}
}

// StorageSetJSON writes each key's JSON text to extension local storage,
// in one write.
func StorageSetJSON(values map[string]string) error {
	return StartStorageSet(values, nil).Wait()
}

// StartStorageSet writes to extension local storage in one write, and
// returns when the write is on its way to the browser, ahead of any
// extension call made after it; Wait on the result to learn how it went.
// json's values are JSON texts, stored as what they encode (for pages to
// read); text's are stored as strings. A string is the cheapest value to
// hand the browser: it is neither parsed here nor converted member by
// member on its way to the browser process, which matters for a write
// that a pop waits behind.
func StartStorageSet(json, text map[string]string) Pending {
	obj := js.Global().Get("Object").New()
	parse := js.Global().Get("JSON").Get("parse")
	for k, v := range json {
		obj.Set(k, parse.Invoke(v))
	}
	for k, v := range text {
		obj.Set(k, v)
	}
	return Pending{API.Get("storage").Get("local").Call("set", obj)}
}

// Pending is an extension call in flight (its promise).
type Pending struct{ promise js.Value }

// Wait waits for the call to finish. The zero Pending stands for no call:
// Wait returns nil at once.
func (p Pending) Wait() error {
	if p.promise.IsUndefined() {
		return nil
	}
	_, err := Await(p.promise)
	return err
}

// StorageSetField sets one field of the object stored under key (creating
// it), leaving its other fields as they are: for a switch like "pause"
// without decoding and re-encoding settings the page wrote.
func StorageSetField(key, field string, value any) error {
	local := API.Get("storage").Get("local")
	res, err := Await(local.Call("get", key))
	if err != nil {
		return err
	}
	obj := res.Get(key)
	if obj.Type() != js.TypeObject || obj.IsNull() {
		obj = js.Global().Get("Object").New()
	}
	obj.Set(field, value)
	set := js.Global().Get("Object").New()
	set.Set(key, obj)
	_, err = Await(local.Call("set", set))
	return err
}

// IsFirefox reports whether this is Firefox (the browser.* namespace and
// runtime.getBrowserInfo exist there only).
func IsFirefox() bool {
	return js.Global().Get("browser").Truthy() && API.Get("runtime").Get("getBrowserInfo").Truthy()
}

// Tab is an open tab.
type Tab struct {
	ID, WindowID int
	URL          string
}

func tabOf(v js.Value) Tab {
	t := Tab{ID: v.Get("id").Int(), WindowID: v.Get("windowId").Int()}
	if u := v.Get("url"); u.Type() == js.TypeString {
		t.URL = u.String()
	}
	return t
}

// CreateTab opens url in a new tab of the last focused window.
func CreateTab(url string, active bool) (Tab, error) {
	return StartCreateTab(url, active).Wait()
}

// StartCreateTab is CreateTab without the wait: the request is on its way
// to the browser when it returns.
func StartCreateTab(url string, active bool) PendingTab {
	return PendingTab{API.Get("tabs").Call("create", map[string]any{"url": url, "active": active})}
}

// PendingTab is a tab being created.
type PendingTab struct{ promise js.Value }

// Wait waits for the tab.
func (p PendingTab) Wait() (Tab, error) {
	v, err := Await(p.promise)
	if err != nil {
		return Tab{}, err
	}
	return tabOf(v), nil
}

// StartLoadTab loads url in tab id without showing it (the tab stays
// where it is, active or not): the navigation alone, first, so that it
// is on its way before anything else is asked; ShowTab brings the tab to
// the front after, if it may.
func StartLoadTab(id int, url string) PendingTab {
	return PendingTab{API.Get("tabs").Call("update", id, map[string]any{"url": url})}
}

// ShowTab makes tab id the active tab of its window (FocusWindow brings
// the window to the front).
func ShowTab(id int) (Tab, error) {
	return PendingTab{API.Get("tabs").Call("update", id, map[string]any{"active": true})}.Wait()
}

// Front is what the agent has in front of them: the active tab of the
// window they used last, and whether one of the extension's own pages is
// in front (an options or popup page open in that tab, the side panel
// open in that window, the toolbar popup open).
type Front struct {
	Tab, Window int  // 0 when unknown
	Own         bool // the extension's own page
}

// FrontNow asks the browser what is in front (Front). Chrome tells which
// pages of the extension are open where (runtime.getContexts, Chrome
// 116+); Firefox, which has no getContexts in event pages, lets the
// background see its pages, and whether one has the focus.
func FrontNow() Front {
	var f Front
	active := API.Get("tabs").Call("query", map[string]any{"active": true, "lastFocusedWindow": true})
	runtime := API.Get("runtime")
	var contexts js.Value
	if runtime.Get("getContexts").Type() == js.TypeFunction {
		contexts = runtime.Call("getContexts", map[string]any{"contextTypes": []any{"TAB", "SIDE_PANEL", "POPUP"}})
	}
	if v, err := Await(active); err == nil && v.Length() > 0 {
		t := tabOf(v.Index(0))
		f.Tab, f.Window = t.ID, t.WindowID
	}
	if !contexts.IsUndefined() {
		v, err := Await(contexts)
		for i := 0; err == nil && i < v.Length(); i++ {
			c := v.Index(i)
			switch c.Get("contextType").String() {
			case "TAB":
				f.Own = f.Own || f.Tab != 0 && intOf(c.Get("tabId")) == f.Tab
			case "SIDE_PANEL":
				f.Own = f.Own || f.Window != 0 && intOf(c.Get("windowId")) == f.Window
			case "POPUP":
				f.Own = true
			}
		}
		return f
	}
	if ext := API.Get("extension"); ext.Get("getViews").Type() == js.TypeFunction {
		views := ext.Call("getViews")
		for i := 0; i < views.Length(); i++ {
			view := views.Index(i)
			if view.Equal(js.Global()) {
				continue // the background page itself
			}
			if d := view.Get("document"); d.Truthy() && d.Call("hasFocus").Truthy() {
				f.Own = true
			}
		}
	}
	return f
}

func intOf(v js.Value) int {
	if v.Type() != js.TypeNumber {
		return 0
	}
	return v.Int()
}

// FocusWindow brings a window to the front.
func FocusWindow(id int) error {
	w := API.Get("windows")
	if !w.Truthy() {
		return nil
	}
	_, err := Await(w.Call("update", id, map[string]any{"focused": true}))
	return err
}

// WindowTab returns the first tab of window id; ok is false when the
// window is closed.
func WindowTab(id int) (t Tab, ok bool) {
	w := API.Get("windows")
	if id == 0 || !w.Truthy() {
		return Tab{}, false
	}
	v, err := Await(w.Call("get", id, map[string]any{"populate": true}))
	if err != nil || !v.Truthy() {
		return Tab{}, false
	}
	tabs := v.Get("tabs")
	if !tabs.Truthy() || tabs.Length() == 0 {
		return Tab{}, false
	}
	return tabOf(tabs.Index(0)), true
}

// CreatePopupWindow opens url in a new popup window of width × height,
// in front or not, and returns the window's ID.
func CreatePopupWindow(url string, width, height int, focused bool) (int, error) {
	w := API.Get("windows")
	if !w.Truthy() {
		return 0, errors.New("this browser cannot open windows")
	}
	v, err := Await(w.Call("create", map[string]any{"url": url, "type": "popup", "width": width, "height": height, "focused": focused}))
	if err != nil {
		return 0, err
	}
	return v.Get("id").Int(), nil
}

// Notify shows a basic notification (id replaces an earlier one of the
// same ID). Buttons are dropped on Firefox, which has none.
func Notify(id, title, message string, buttons []string) error {
	n := API.Get("notifications")
	if !n.Truthy() {
		return errors.New("notifications are not available")
	}
	opts := map[string]any{
		"type":    "basic",
		"iconUrl": API.Get("runtime").Call("getURL", "icons/icon128.png").String(),
		"title":   title,
		"message": message,
	}
	if len(buttons) > 0 && !IsFirefox() {
		bs := make([]any, 0, 2)
		for i, b := range buttons {
			if i == 2 {
				break
			}
			bs = append(bs, map[string]any{"title": b})
		}
		opts["buttons"] = bs
	}
	_, err := Await(n.Call("create", id, opts))
	return err
}

// ClearNotification removes a notification.
func ClearNotification(id string) {
	if n := API.Get("notifications"); n.Truthy() {
		Await(n.Call("clear", id))
	}
}

// HasOrigin reports whether the agent granted host access to pattern
// (e.g. https://crm.example.com/*).
func HasOrigin(pattern string) bool {
	p := API.Get("permissions")
	if !p.Truthy() {
		return false
	}
	v, err := Await(p.Call("contains", map[string]any{"origins": []any{pattern}}))
	return err == nil && v.Truthy()
}

// Get fetches url with GET (a webhook). With readable=false (no host
// access: the answer is opaque) only network failures are reported;
// otherwise an HTTP status of 400 or more is an error too. It gives up
// after 10 s.
func Get(url string, readable bool) (status int, err error) {
	opts := map[string]any{"method": "GET", "credentials": "include", "cache": "no-store", "redirect": "follow"}
	if !readable {
		opts["mode"] = "no-cors"
	}
	if as := js.Global().Get("AbortSignal"); as.Truthy() && as.Get("timeout").Truthy() {
		opts["signal"] = as.Call("timeout", 10000)
	}
	v, err := Await(js.Global().Call("fetch", url, opts))
	if err != nil {
		return 0, err
	}
	return v.Get("status").Int(), nil
}

// EnableSidePanel makes the side panel show path (Chrome; nothing on
// Firefox, whose sidebar is declared in the manifest).
func EnableSidePanel(path string) error {
	sp := API.Get("sidePanel")
	if !sp.Truthy() {
		return nil
	}
	_, err := Await(sp.Call("setOptions", map[string]any{"path": path, "enabled": true}))
	return err
}
