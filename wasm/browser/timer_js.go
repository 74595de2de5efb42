//go:build js && wasm

package browser

import (
	"syscall/js"
	"time"
)

// Timers on the browser's setTimeout and setInterval rather than Go's:
// time.NewTimer keeps time.Time's formatting code in the wasm (its channel
// type carries time.Time's methods), about 15 KB gzipped for nothing.

// After returns a channel closed after d.
func After(d time.Duration) <-chan struct{} {
	ch := make(chan struct{})
	var f js.Func
	f = js.FuncOf(func(js.Value, []js.Value) any {
		close(ch)
		f.Release()
		return nil
	})
	js.Global().Call("setTimeout", f, d.Milliseconds())
	return ch
}

// Every sends on the returned channel every d (dropping ticks nobody
// takes), until stop is called.
func Every(d time.Duration) (ticks <-chan struct{}, stop func()) {
	ch := make(chan struct{}, 1)
	f := js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case ch <- struct{}{}:
		default:
		}
		return nil
	})
	id := js.Global().Call("setInterval", f, d.Milliseconds())
	return ch, func() {
		js.Global().Call("clearInterval", id)
		f.Release()
	}
}
