//go:build js && wasm

package browser

import (
	"syscall/js"
)

// Socket is a browser WebSocket seen from Go: messages and the close come
// in on channels. The browser's own WebSocket is used (not a Go library)
// because it is what keeps Chrome's extension service worker alive, and it
// keeps the wasm small.
type Socket struct {
	ws       js.Value
	Messages chan string
	Opened   chan struct{}
	Closed   chan CloseInfo // receives once
	funcs    []js.Func
}

// CloseInfo says why a socket closed.
type CloseInfo struct {
	Code   int
	Reason string
	Opened bool // whether the connection ever opened
}

// Dial starts connecting to url. It returns at once; watch Opened and Closed.
func Dial(url string) (s *Socket, err error) {
	defer func() {
		if r := recover(); r != nil {
			if je, ok := r.(js.Error); ok {
				err = je
				return
			}
			panic(r)
		}
	}()
	s = &Socket{
		Messages: make(chan string, 64),
		Opened:   make(chan struct{}),
		Closed:   make(chan CloseInfo, 1),
	}
	s.ws = js.Global().Get("WebSocket").New(url)
	opened := false
	on := func(name string, f func(ev js.Value)) {
		fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
			f(args[0])
			return nil
		})
		s.funcs = append(s.funcs, fn)
		s.ws.Set(name, fn)
	}
	on("onopen", func(js.Value) {
		opened = true
		close(s.Opened)
	})
	on("onmessage", func(ev js.Value) {
		// Never block the browser's event loop: the reader drains promptly;
		// a full buffer means the Go side is stuck, so go on queueing in a
		// goroutine rather than lose an event.
		data := ev.Get("data").String()
		select {
		case s.Messages <- data:
		default:
			go func() { s.Messages <- data }()
		}
	})
	on("onclose", func(ev js.Value) {
		s.Closed <- CloseInfo{Code: ev.Get("code").Int(), Reason: ev.Get("reason").String(), Opened: opened}
		for _, f := range s.funcs {
			f.Release()
		}
	})
	return s, nil
}

// Send sends a text frame; it is dropped if the socket is not open.
func (s *Socket) Send(text string) {
	if s.ws.Get("readyState").Int() == 1 {
		s.ws.Call("send", text)
	}
}

// Close closes the socket.
func (s *Socket) Close() { s.ws.Call("close", 1000) }
