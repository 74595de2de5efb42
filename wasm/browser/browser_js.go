//go:build js && wasm

// Package browser wraps the few WebExtension APIs the extension uses, for
// Chrome (chrome.*) and Firefox (browser.*), as blocking Go calls.
//
// Every call that waits must run on a goroutine of its own, never inside a
// JavaScript callback: Go's wasm runtime deadlocks if a callback blocks.
package browser

import (
	"errors"
	"syscall/js"
)

// API is the extension namespace: browser.* on Firefox, chrome.* on Chrome.
var API = func() js.Value {
	if b := js.Global().Get("browser"); b.Truthy() {
		return b
	}
	return js.Global().Get("chrome")
}()

// Await waits for a JavaScript promise.
func Await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		var v js.Value
		if len(args) > 0 {
			v = args[0]
		}
		ch <- result{v: v}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "unknown error"
		if len(args) > 0 {
			if m := args[0].Get("message"); m.Truthy() {
				msg = m.String()
			} else {
				msg = js.Global().Get("String").Invoke(args[0]).String()
			}
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	r := <-ch
	return r.v, r.err
}

// OpenTab opens url in a new tab.
func OpenTab(url string, active bool) error {
	_, err := Await(API.Get("tabs").Call("create", map[string]any{"url": url, "active": active}))
	return err
}

// SetBadge shows text (a few characters, "" clears) on the toolbar button.
func SetBadge(text, color string) {
	action := API.Get("action")
	if !action.Truthy() {
		return
	}
	action.Call("setBadgeText", map[string]any{"text": text})
	if color != "" {
		action.Call("setBadgeBackgroundColor", map[string]any{"color": color})
	}
}

// Message returns the localised UI string for key (from _locales), or key
// itself when the locale has none, so a missing string is visible, not blank.
func Message(key string, subs ...string) string {
	args := make([]any, len(subs))
	for i, s := range subs {
		args[i] = s
	}
	m := API.Get("i18n").Call("getMessage", key, args).String()
	if m == "" {
		return key
	}
	return m
}

// CreateAlarm schedules a repeating alarm (Chrome's minimum is 30 s for
// packed extensions): it wakes a stopped service worker so it reconnects.
func CreateAlarm(name string, periodMinutes float64) {
	API.Get("alarms").Call("create", name, map[string]any{"periodInMinutes": periodMinutes})
}

// EnsureAlarm creates the repeating alarm unless it exists: creating it
// again on every worker start would push its next run back each time.
// It waits, so call it from a goroutine.
func EnsureAlarm(name string, periodMinutes float64) {
	if a, err := Await(API.Get("alarms").Call("get", name)); err == nil && a.Truthy() {
		return
	}
	CreateAlarm(name, periodMinutes)
}
