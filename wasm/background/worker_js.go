//go:build js && wasm

package background

import (
	"math/rand/v2"
	"syscall/js"
	"time"

	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/wasm/browser"
)

// StatusKey is where the background publishes its connection state for the
// pages (options, popup) to show.
const StatusKey = "status"

// Status is the relay connection as the agent should understand it.
type Status struct {
	State   string `json:"state"`   // "connecting", "connected", "down", "settings"
	Message string `json:"message"` // why, and what to do
	Relay   string `json:"relay"`
	At      int64  `json:"at"` // Unix ms
}

type worker struct {
	nudge    chan struct{} // settings changed or alarm: reconnect now
	settings settings.Settings
	state    State
}

// Start wires the worker to the JavaScript bootstrap and runs it. The
// bootstrap registered the browser's listeners synchronously (as MV3
// requires) and queued what arrived before Go was ready.
func Start() {
	w := &worker{nudge: make(chan struct{}, 1)}
	handle := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) == 0 {
			return nil
		}
		switch args[0].String() {
		case "storage":
			// args[1] = changes, args[2] = area
			if len(args) > 2 && args[2].String() == "local" && args[1].Get(settings.StorageKey).Truthy() {
				w.poke()
			}
		case "alarm", "startup", "installed":
			w.poke()
		}
		return nil
	})
	js.Global().Set("screenpopHandle", handle)
	browser.CreateAlarm("screenpop-reconnect", 0.5)
	if flush := js.Global().Get("screenpopFlush"); flush.Type() == js.TypeFunction {
		flush.Invoke()
	}
	go w.run()
}

func (w *worker) poke() {
	select {
	case w.nudge <- struct{}{}:
	default:
	}
}

func (w *worker) setStatus(state, msg string) {
	browser.StorageSet(StatusKey, Status{State: state, Message: msg, Relay: w.settings.RelayURL, At: time.Now().UnixMilli()})
}

func (w *worker) loadSettings() {
	s := settings.Default()
	if _, err := browser.StorageGet(settings.StorageKey, &s); err != nil {
		w.setStatus("settings", "cannot read the settings: "+err.Error())
	}
	w.settings = s
	var st State
	browser.StorageGet(StateKey, &st)
	if st.Relay != s.RelayURL {
		st.Reset(s.RelayURL)
	}
	w.state = st
}

func (w *worker) run() {
	failures := 0
	for {
		w.loadSettings()
		if errs := w.settings.Validate(pop.ValidateTemplate); len(errs) > 0 {
			w.setStatus("settings", errs[0].Error()+" — open the extension's options to fix it")
			<-w.nudge
			continue
		}
		url, _ := settings.StreamURL(w.settings.RelayURL, w.state.Cursor)
		w.setStatus("connecting", browser.Message("statusConnecting", w.settings.RelayURL))
		opened, info := w.session(url)
		if opened {
			failures = 0
		}
		failures++
		delay := backoff(failures)
		why := browser.Message("statusDown", w.settings.RelayURL)
		if info.Reason != "" {
			why = info.Reason + " — " + why
		}
		w.setStatus("down", why)
		select {
		case <-w.nudge:
		case <-time.After(delay):
		}
	}
}

// backoff grows from 0.5 s to 30 s with jitter: a relay restart is picked
// up quickly, a relay that is gone is not hammered.
func backoff(n int) time.Duration {
	d := 500 * time.Millisecond
	for i := 1; i < n && d < 30*time.Second; i++ {
		d *= 2
	}
	if d > 30*time.Second {
		d = 30 * time.Second
	}
	return d/2 + time.Duration(rand.Float64()*float64(d/2))
}

// session runs one connection until it closes or the settings change.
func (w *worker) session(url string) (opened bool, info browser.CloseInfo) {
	sock, err := browser.Dial(url)
	if err != nil {
		return false, browser.CloseInfo{Reason: err.Error()}
	}
	ping := time.NewTicker(stream.KeepAlive)
	defer ping.Stop()
	rules := pop.DefaultRules()
	for {
		select {
		case <-sock.Opened:
			opened = true
			sock.Opened = nil
			w.setStatus("connected", browser.Message("statusConnected", w.settings.RelayURL))
		case msg := <-sock.Messages:
			w.handle(msg, rules)
		case info = <-sock.Closed:
			// Drain what arrived before the close.
			for {
				select {
				case msg := <-sock.Messages:
					w.handle(msg, rules)
					continue
				default:
				}
				break
			}
			return info.Opened, info
		case <-ping.C:
			sock.Send(stream.ClientPing)
		case <-w.nudge:
			// Settings changed or an alarm woke us: reconnect only if the
			// settings really changed.
			old := w.settings
			s := settings.Default()
			browser.StorageGet(settings.StorageKey, &s)
			if !s.Equal(old) {
				sock.Close()
				<-sock.Closed
				return opened, browser.CloseInfo{Opened: opened}
			}
		}
	}
}

func (w *worker) handle(msg string, rules pop.Rules) {
	before := w.state.Cursor
	acts, err := w.state.Handle([]byte(msg), w.settings, rules, time.Now())
	if err != nil {
		js.Global().Get("console").Call("warn", "screenpop: "+err.Error())
		return
	}
	if len(acts) == 0 && w.state.Cursor == before {
		return // a ping
	}
	// Save first: if the worker dies right after, the call must not pop
	// again when it comes back (at most once per call).
	browser.StorageSet(StateKey, w.state)
	for _, a := range acts {
		switch a.Kind {
		case ActionOpenTab:
			if err := browser.OpenTab(a.URL, true); err != nil {
				js.Global().Get("console").Call("warn", "screenpop: cannot open the CRM tab: "+err.Error())
			}
		case ActionBadge:
			browser.SetBadge(a.Text, a.Color)
		case ActionLog:
			js.Global().Get("console").Call("log", "screenpop: "+a.Text)
		}
	}
}
