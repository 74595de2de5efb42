package e2e

// Issue #11, item 4: switching relay or agent clears what belonged to the
// old one, everywhere: the side panel kept a "Ringing 0:14" call of the
// previous relay while the popup said "No calls yet".

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/server/relay"
	relaystore "github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/wasm/background"
)

// TestRelaySwitchClearsCalls: a call rings from relay A (badge, popup,
// side panel and a notification show it); the settings switch to relay
// B: none of them shows A's call any more, nor does the stored state the
// pages read.
func TestRelaySwitchClearsCalls(t *testing.T) {
	e := startPopEnvWith(t, browserOptions{Ext: builtExtension(t)})
	e.settings(func(s *settings.Settings) { s.Mode = settings.ModeNotify })
	other := startStack(t)
	const caller = "0033612349901"
	id := e.ring(caller)
	defer e.s.sim.EndCall(id)
	w := e.ringingEverywhere(caller, id)

	at := e.status().At
	e.settings(func(s *settings.Settings) { s.Mode, s.RelayURL = settings.ModeNotify, other.relay.URL })
	e.b.waitFor("the extension to connect to relay B", 20*time.Second, func() bool {
		st := e.status()
		return st.Relay == other.relay.URL && st.State == background.StatusConnected && st.At > at
	})
	w.goneEverywhere()

	// B's own calls show as usual.
	const next = "0033612349902"
	b, err := other.sim.Ring(ovhsim.Call{Line: line, Calling: next, Scenario: ovhsim.Ringing})
	if err != nil {
		t.Fatal(err)
	}
	defer other.sim.EndCall(b)
	e.b.waitFor("the popup to list relay B's call", 10*time.Second, func() bool { return strings.Contains(textOf(w.popup, "live"), grouped(next)) })
	e.waitBadge("RING")
}

// TestAgentSwitchClearsCalls: the same relay, another agent (a new
// connection string, for another line): the first agent's ringing call
// goes from everywhere, though the relay still has it.
func TestAgentSwitchClearsCalls(t *testing.T) {
	st, err := relaystore.Open(filepath.Join(t.TempDir(), "relay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	s, r := startStackWith(t, relay.Config{Log: log, Store: st, PublicURL: "http://127.0.0.1"})
	sim := s.sim
	ctx := context.Background()
	alice, err := r.AddAgent(ctx, "alice", []string{line})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := r.AddAgent(ctx, "bob", []string{"0033972101011"}) // another line
	if err != nil {
		t.Fatal(err)
	}

	b := startBrowserWith(t, browserOptions{Ext: builtExtension(t)})
	e := &popEnv{t: t, b: b, s: s, page: b.tab(b.extURL("options.html"))}
	e.settings(func(s *settings.Settings) { s.Mode, s.Secret = settings.ModeNotify, alice.Secret })
	b.waitFor("the extension to connect as alice", 20*time.Second, func() bool { return e.status().State == background.StatusConnected })
	const caller = "0033612349903"
	id := e.ring(caller)
	defer sim.EndCall(id)
	w := e.ringingEverywhere(caller, id)

	at := e.status().At
	e.settings(func(s *settings.Settings) { s.Mode, s.Secret = settings.ModeNotify, bob.Secret })
	b.waitFor("the extension to connect again, as bob", 20*time.Second, func() bool {
		st := e.status()
		return st.State == background.StatusConnected && st.At > at
	})
	w.goneEverywhere() // while it still rings at the relay: alice's call, not bob's
}

// status reads the background's RelayStatus.
func (e *popEnv) status() background.RelayStatus {
	var s background.RelayStatus
	raw, _ := eval[string](e.page, `chrome.storage.local.get('status').then(r => JSON.stringify(r.status || {}))`)
	json.Unmarshal([]byte(raw), &s)
	return s
}

// grouped is a French number as the pages write it: 06 12 34 99 01.
func grouped(e164_00 string) string {
	n := "0" + strings.TrimPrefix(e164_00, "0033")
	var parts []string
	for i := 0; i < len(n); i += 2 {
		parts = append(parts, n[i:min(i+2, len(n))])
	}
	return strings.Join(parts, " ")
}

// callWatch is a ringing call and the pages that show it.
type callWatch struct {
	e             *popEnv
	caller, id    string
	popup, panel  context.Context
	shown, stored string // the caller as the pages write it; the call's ID as stored
}

// ringingEverywhere waits until the call from caller (OVH call id) shows
// on the badge, in the popup's live calls, on the side panel's card and
// in a notification.
func (e *popEnv) ringingEverywhere(caller, id string) *callWatch {
	e.t.Helper()
	w := &callWatch{e: e, caller: caller, id: id, shown: grouped(caller), stored: id,
		popup: e.b.page("popup.html", "status"), panel: e.b.page("sidepanel.html", "status")}
	e.waitBadge("RING")
	e.b.waitFor("the popup to list the ringing call", 10*time.Second, func() bool { return strings.Contains(textOf(w.popup, "live"), w.shown) })
	e.b.waitFor("the side panel to show the caller", 10*time.Second, func() bool { return textOf(w.panel, "caller-name") == w.shown })
	e.b.waitFor("the call's notification", 10*time.Second, func() bool { return slices.Contains(e.notifications(), line+"|"+id) })
	if l := w.leftovers(); len(l) < 5 {
		e.t.Fatalf("before the switch the call shows only in %v: the check below would prove nothing", l)
	}
	return w
}

// leftovers lists where the call still shows: the badge, the popup, the
// side panel, the notification, and the stored views the pages read
// (the Calls view, the popup's view, the state's last pop, the in-page
// card). The records of calls that popped (PoppedPrefix) stay: they show
// nothing, and keep a call from popping twice if the agent switches back.
func (w *callWatch) leftovers() []string {
	e := w.e
	var out []string
	if e.badge() == "RING" {
		out = append(out, "badge RING")
	}
	if strings.Contains(textOf(w.popup, "live"), w.shown) || strings.Contains(textOf(w.popup, "recent"), w.shown) {
		out = append(out, "popup")
	}
	if panel, _ := eval[string](w.panel, `document.body.innerText`); strings.Contains(panel, w.shown) {
		out = append(out, "side panel")
	}
	if slices.Contains(e.notifications(), line+"|"+w.id) {
		out = append(out, "notification")
	}
	for _, k := range []string{background.CallsKey, background.PopupViewKey, background.MemoryKey, background.InPageKey} {
		raw, _ := eval[string](e.page, `chrome.storage.local.get(`+popJS(k)+`).then(r => r[`+popJS(k)+`] === undefined ? '' : JSON.stringify(r[`+popJS(k)+`]))`)
		if strings.Contains(raw, w.caller) || strings.Contains(raw, w.shown) || strings.Contains(raw, `\"id\":\"`+w.id+`\"`) || strings.Contains(raw, `"id":"`+w.id+`"`) {
			out = append(out, "storage "+k)
		}
	}
	return out
}

// goneEverywhere waits until the call shows nowhere (leftovers).
func (w *callWatch) goneEverywhere() {
	t := w.e.t
	t.Helper()
	var last []string
	defer func() {
		if t.Failed() {
			t.Logf("the old call still shows in: %v", last)
		}
	}()
	w.e.b.waitFor("the old call to go from everywhere", 15*time.Second, func() bool {
		last = w.leftovers()
		return len(last) == 0
	})
	// And it stays gone: the background has handled everything since.
	w.e.settled()
	if l := w.leftovers(); len(l) != 0 {
		t.Errorf("the old call came back in: %v", l)
	}
}
