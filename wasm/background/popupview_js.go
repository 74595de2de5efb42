//go:build js && wasm

package background

import (
	"syscall/js"
	"time"

	"github.com/screenpop/screenpop/wasm/browser"
	"github.com/screenpop/screenpop/wasm/view"
)

// PopupEnv is what package view needs from the browser, the same in the
// background (which stores the popup it renders) and in the popup (which
// renders it again when pages.wasm has loaded): so both write the same
// HTML. now renders running timers; zero leaves them to the page. Make
// one per render: it keeps what it looked up for it.
func PopupEnv(now time.Time) view.Env {
	api := browser.API
	return view.Env{
		T:         browser.Message,
		When:      whenToday(),
		Now:       now,
		SidePanel: api.Get("sidePanel").Truthy() || api.Get("sidebarAction").Truthy(),
	}
}

// popupHTML is the popup of view as stored under PopupViewKey.
func (w *worker) popupHTML(calls *Calls) string {
	return view.Page(PopupView(calls, w.settings.Paused), PopupEnv(time.Time{}))
}

// whenToday returns how a moment is written in the browser's language:
// the time for today, the day and time before; as Date's toLocaleString
// writes it, with one Intl.DateTimeFormat per form for all the calls of
// a render (each toLocaleString made its own: a render of 50 calls spent
// most of its time there).
func whenToday() func(time.Time) string {
	lang := browser.API.Get("i18n").Call("getUILanguage").String()
	day := js.Global().Get("Date").New()
	day.Call("setHours", 0, 0, 0, 0)
	start := int64(day.Call("getTime").Float())
	day.Call("setDate", day.Call("getDate").Int()+1)
	end := int64(day.Call("getTime").Float())
	var today, before js.Value
	return func(tm time.Time) string {
		if tm.IsZero() {
			return ""
		}
		ms := tm.UnixMilli()
		f := &before
		opts := map[string]any{"hour": "2-digit", "minute": "2-digit", "day": "numeric", "month": "short"}
		if ms >= start && ms < end {
			f = &today
			opts = map[string]any{"hour": "2-digit", "minute": "2-digit"}
		}
		if f.IsUndefined() {
			*f = js.Global().Get("Intl").Get("DateTimeFormat").New(lang, opts)
		}
		return f.Call("format", ms).String()
	}
}
