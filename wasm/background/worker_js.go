//go:build js && wasm

package background

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"syscall/js"
	"time"

	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/wasm/browser"
)

// input is something the browser told us: bg.js registered the listeners
// synchronously (as MV3 requires) and hands every event to Go, which
// queues it for the run goroutine: all state lives on that one goroutine.
type input struct {
	kind   string   // inputSettings, inputWake, inputRequest, inputNoteClick, inputPopFailed, inputPermissions
	msg    js.Value // inputRequest: the request; its reply function
	reply  js.Value
	id     string // inputNoteClick: notification ID; inputPopFailed: call key
	button int    // inputNoteClick: -1 for the notification itself
	text   string // inputPopFailed: what went wrong
}

const (
	inputSettings    = "settings"
	inputWake        = "wake"
	inputRequest     = "request"
	inputNoteClick   = "note-click"
	inputPopFailed   = "pop-failed"
	inputPermissions = "permissions"
	inputTyping      = "typing"     // button: the tab; text: "1" typing, "0" done
	inputTabLoaded   = "tab-loaded" // button: the tab; text: its address (a CRM tab: login.go)
)

type worker struct {
	inputs   chan input
	settings settings.Settings
	state    Memory
	status   RelayStatus
	// relayError is the code of the last error the relay sent on this
	// connection (too slow, rate limited…): the reconnection then backs
	// off as after a failure.
	relayError string
	inpage     string // the CRM base the in-page script was last synced for ("-": never)
	// byAgent is set while the actions are what the agent asked for (a
	// click on a notification or on a call, a test pop): those may take
	// them to the CRM; a pop they did not ask for may not (show).
	byAgent bool
	// typing is when the agent last typed in a field of each tab (tab
	// ID → Unix ms), as the CRM pages' typing.js says; held is, for each
	// pop not brought to the front, the tab it is in (call key → tab ID).
	typing map[int]int64
	held   map[string]int
	typed  string // the CRM base typing.js was last synced for ("-": never)
	// cleanup fires when the next batch of records to forget
	// (Memory.unpopped) is due (nil: none pending).
	cleanup <-chan struct{}
	// lastMessage is when the last relay message was handled (forgetQuiet).
	lastMessage time.Time
	// resumes are the pops the CRM's login page may swallow (login.go).
	resumes Resumes
}

// Forgetting popped records goes in batches of at most forgetBatch, one
// every forgetEvery, between messages: a day read from an older version,
// or thousands of records left behind, must not turn into one removal of
// thousands of keys (and a change event as big, sent back to every
// extension page and to the worker itself) while calls ring.
const (
	forgetBatch = 64
	forgetEvery = 200 * time.Millisecond
	// forgetQuiet is how long no message must have come before a batch
	// goes: a batch is a storage operation queued ahead of the next pop's
	// own write (measured: a day of 10,000 calls forgotten while calls
	// rang made each pop 6.7× slower than a fresh agent's).
	forgetQuiet = 3 * time.Second
)

// Start wires the worker to the JavaScript bootstrap and runs it.
func Start() {
	w := &worker{inputs: make(chan input, 64), inpage: "-", typed: "-", typing: map[int]int64{}, held: map[string]int{}}
	handle := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) == 0 {
			return nil
		}
		arg := func(i int) js.Value {
			if i < len(args) {
				return args[i]
			}
			return js.Undefined()
		}
		switch args[0].String() {
		case "storage":
			if arg(2).String() == "local" && arg(1).Get(settings.StorageKey).Truthy() {
				w.post(input{kind: inputSettings})
			}
		case "alarm", "startup", "installed":
			w.post(input{kind: inputWake})
		case "message":
			w.post(input{kind: inputRequest, msg: arg(1), reply: arg(2)})
		case "notification-click":
			w.post(input{kind: inputNoteClick, id: arg(1).String(), button: -1})
		case "notification-button":
			w.post(input{kind: inputNoteClick, id: arg(1).String(), button: arg(2).Int()})
		case "permissions":
			w.post(input{kind: inputPermissions})
		case "typing":
			typing := 0
			if arg(2).Truthy() {
				typing = 1
			}
			w.post(input{kind: inputTyping, button: arg(1).Int(), text: strconv.Itoa(typing)})
		case "tab-loaded":
			w.post(input{kind: inputTabLoaded, button: arg(1).Int(), text: arg(2).String()})
		}
		return nil
	})
	js.Global().Set("screenpopHandle", handle)
	go w.run()
	if flush := js.Global().Get("screenpopFlush"); flush.Type() == js.TypeFunction {
		flush.Invoke()
	}
}

// post queues an input without ever blocking a JavaScript callback.
func (w *worker) post(in input) {
	select {
	case w.inputs <- in:
	default:
		go func() { w.inputs <- in }()
	}
}

func (w *worker) env() Env {
	return Env{Settings: w.settings, Now: time.Now(), T: browser.Message}
}

func (w *worker) setStatus(state, msg string) {
	// The badge warns while the relay cannot be reached (RelayReachable);
	// set before the status is written, so a page that reads the status
	// finds the badge that goes with it.
	if ok, known := reachableState(state); known {
		for _, a := range w.state.RelayReachable(ok, w.settings) {
			browser.SetBadge(a.Text, a.Color)
		}
	}
	w.status.State, w.status.Message, w.status.Relay, w.status.At = state, msg, w.settings.RelayURL, time.Now().UnixMilli()
	w.writeStatus()
}

func (w *worker) writeStatus() {
	browser.StorageSetJSON(map[string]string{StatusKey: saveStatus(&w.status)})
}

func warn(msg string) { js.Global().Get("console").Call("warn", "screenpop: "+msg) }

// load reads the settings, the state and the status from storage.
func (w *worker) load() {
	got, err := browser.StorageGetAllJSON() // the popped records' keys are not known in advance
	if err != nil {
		warn("cannot read the storage: " + err.Error())
	}
	w.readSettings(got[settings.StorageKey])
	if raw, ok := got[MemoryKey]; ok {
		st, err := loadMemory(raw, got[CallsKey])
		if err != nil {
			warn("the saved state is damaged: " + err.Error())
		}
		w.state = st
	}
	if err := loadPopped(&w.state, got); err != nil {
		warn(err.Error())
	}
	if raw := got[PoppingKey]; raw != "" { // an older version's
		if err := mergePopping(&w.state, raw); err != nil {
			warn("the saved pops going on are damaged: " + err.Error())
		}
		w.state.unpopped = append(w.state.unpopped, PoppingKey)
	}
	if w.otherAgent() {
		w.resetAgent() // the settings changed while the worker was stopped
	}
	w.state.Agent = w.agent()
	// What the records hold beyond the bound goes now, while connecting,
	// rather than at the first message: the one sort of a whole history.
	w.state.prune(time.Now())
	w.saveOlderPopped()
	if raw, ok := got[StatusKey]; ok {
		// Keep the last pop error across restarts.
		if saved, err := loadStatus(raw); err == nil {
			w.status.PopError, w.status.PopErrorAt = saved.PopError, saved.PopErrorAt
		}
	}
	w.state.ForgetBadge()
	w.syncInPage()
}

// agent is whom the settings connect as (Memory.Agent).
func (w *worker) agent() string { return Refusal(w.settings.RelayURL, w.settings.Secret) }

// otherAgent reports whether the state is of another relay or agent than
// the settings'. A state saved before Memory.Agent was kept is of the
// agent of the settings when its relay is theirs.
func (w *worker) otherAgent() bool {
	if w.state.Agent == "" {
		return w.state.Relay != w.settings.RelayURL
	}
	return w.state.Agent != w.agent()
}

// resetAgent forgets what belonged to the relay or agent of before
// (Memory.Reset), everywhere: the views the pages read are written again
// by the next do, the in-page card goes, and the held pops are no
// longer the agent's to go to. It returns the actions that clear the old
// calls' notifications and set the badge.
func (w *worker) resetAgent() []Action {
	acts := w.state.Reset(w.settings.RelayURL)
	w.state.Agent = w.agent()
	w.held = map[string]int{}
	browser.StartStorageRemove([]string{InPageKey})
	return acts
}

func (w *worker) readSettings(raw string) {
	s := settings.Default()
	if raw != "" {
		if err := loadSettings(raw, &s); err != nil {
			warn("the saved settings are damaged: " + err.Error())
		}
	}
	w.settings = s.Normalize()
}

// reloadSettings reads the settings again; it reports whether the
// connection must be made again (another relay or secret).
func (w *worker) reloadSettings() bool {
	old := w.settings
	got, err := browser.StorageGetJSON(settings.StorageKey)
	if err != nil {
		return false
	}
	w.readSettings(got[settings.StorageKey])
	var acts []Action
	if w.otherAgent() {
		acts = w.resetAgent()
	}
	w.do(append(acts, w.state.SettingsChanged(w.env())...))
	w.syncInPage()
	return w.settings.RelayURL != old.RelayURL || w.settings.Secret != old.Secret
}

// syncInPage keeps the CRM content script (content.js: the in-page card,
// and the call links of the CRM's phone numbers) registered for the CRM
// in every mode, where the agent let the extension in; missing access is
// only worth a warning in in-page mode, where pops need it.
func (w *worker) syncInPage() {
	base := w.settings.CRMBase
	if base == "" {
		base = w.settings.Template
	}
	if base != w.inpage {
		w.inpage = base
		if err := SyncInPage(base); err != nil && base != "" && (w.settings.Mode == settings.ModeInPage || !errors.Is(err, ErrNoHostAccess)) {
			warn(err.Error())
		}
	}
	// typing.js, in every mode, where the agent let the extension in.
	crm := w.settings.CRMBase
	if crm == "" {
		crm = w.settings.Template
	}
	if crm != w.typed {
		w.typed = crm
		if err := SyncTyping(crm); err != nil {
			warn(err.Error())
		}
	}
}

func (w *worker) run() {
	browser.EnsureAlarm("screenpop-reconnect", 0.5)
	w.load()
	failures := 0
	for {
		if errs := w.settings.Validate(pop.ValidateTemplate); len(errs) > 0 {
			w.setStatus(StatusSettings, errs[0].Error()+" — open the extension's options to fix it")
			w.idle(nil)
			continue
		}
		// A bad or revoked secret: no reconnecting with it until the
		// settings change (or the agent asks, RequestReconnect).
		if w.state.Refused != "" && w.state.Refused == Refusal(w.settings.RelayURL, w.settings.Secret) {
			w.idle(nil) // the status says to paste a new connection string
			continue
		}
		if w.state.Refused != "" {
			w.state.Refused, w.state.dirty = "", true
			w.save()
		}
		url, _ := settings.StreamURL(w.settings.RelayURL, w.state.Cursor)
		w.setStatus(StatusConnecting, browser.Message("statusConnecting", w.settings.RelayURL))
		w.relayError = ""
		opened, info, again := w.session(url)
		if w.state.Refused != "" || again {
			failures = 0
			continue
		}
		if opened && w.relayError == "" {
			failures = 0
		}
		failures++
		why := browser.Message("statusDown", w.settings.RelayURL)
		if info.Reason != "" {
			why = info.Reason + " — " + why
		}
		w.setStatus(StatusDown, why)
		w.idle(browser.After(backoff(failures)))
	}
}

// idle handles inputs until timeout fires (nil: never), an alarm wakes
// us while waiting to reconnect, or the connection must be made again.
func (w *worker) idle(timeout <-chan struct{}) {
	for {
		select {
		case <-timeout:
			return
		case <-w.cleanup:
			w.forgetSome()
		case in := <-w.inputs:
			if in.kind == inputWake && timeout != nil {
				return
			}
			if w.dispatch(in) || in.kind == inputSettings {
				return
			}
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

// session runs one connection until it closes, the relay refuses us, or
// the settings change.
func (w *worker) session(url string) (opened bool, info browser.CloseInfo, again bool) {
	sock, err := browser.Dial(url)
	if err != nil {
		return false, browser.CloseInfo{Reason: err.Error()}, false
	}
	ping, stop := browser.Every(stream.KeepAlive)
	defer stop()
	closing := false
	for {
		select {
		case <-sock.Opened:
			opened = true
			sock.Opened = nil
			// The first message authenticates (stream.ClientMessage).
			sock.Send(authMessage(w.settings.Secret))
			w.setStatus(StatusConnected, browser.Message("statusConnected", w.settings.RelayURL))
		case msg := <-sock.Messages:
			if !closing && w.handle(msg) {
				closing = true
				sock.Close()
			}
		case info = <-sock.Closed:
			for drained := false; !drained && !closing; { // what arrived before the close
				select {
				case msg := <-sock.Messages:
					if w.handle(msg) {
						closing = true
					}
				default:
					drained = true
				}
			}
			return info.Opened, info, again
		case <-ping:
			sock.Send(stream.ClientPing)
		case <-w.cleanup:
			w.forgetSome()
		case in := <-w.inputs:
			if w.dispatch(in) && !closing {
				closing, again = true, true
				sock.Close()
			}
		}
	}
}

// handle processes one relay message; it reports whether the relay
// refused us, so the connection must end and not be made again with
// these settings.
func (w *worker) handle(msg string) (refused bool) {
	acts, err := w.state.Handle([]byte(msg), w.env())
	if err != nil {
		warn(err.Error())
		return false
	}
	for _, a := range acts {
		if a.Kind != ActionRelayError {
			continue
		}
		switch a.Key {
		case stream.CodeBadSecret, stream.CodeRevoked, stream.CodeNoAuth:
			w.state.Refused, w.state.dirty = Refusal(w.settings.RelayURL, w.settings.Secret), true
			w.setStatus(StatusSettings, browser.Message("statusRefused", a.Text))
			refused = true
		default:
			w.relayError = a.Key
			warn("the relay says: " + a.Text)
		}
	}
	w.do(acts)
	return refused
}

// dispatch handles one browser input; it reports whether the connection
// must be made again.
func (w *worker) dispatch(in input) (reconnect bool) {
	switch in.kind {
	case inputSettings:
		return w.reloadSettings()
	case inputPermissions:
		w.inpage, w.typed = "-", "-"
		w.syncInPage()
	case inputTyping:
		if in.text == "1" {
			w.typing[in.button] = time.Now().UnixMilli()
		} else {
			delete(w.typing, in.button)
		}
	case inputTabLoaded:
		// The agent logged in to the CRM in a tab whose pop its login page
		// swallowed: the pop again, once (login.go). From the background,
		// so the CRM's cross-site check sees no Referer.
		if u := w.resumes.Loaded(in.button, in.text, time.Now()); u != "" {
			if _, err := browser.StartLoadTab(in.button, u).Wait(); err != nil {
				warn("cannot open the call again in the CRM tab after the login: " + err.Error())
			}
		}
	case inputNoteClick:
		acts, err := w.state.NoteClicked(in.id, in.button, w.env())
		if err != nil {
			warn(err.Error())
		}
		w.byAgent = true
		w.do(acts)
		w.byAgent = false
	case inputPopFailed:
		w.state.PopFailed(in.id, in.text)
		w.status.PopError, w.status.PopErrorAt = in.text, time.Now().UnixMilli()
		w.writeStatus()
		w.do(nil)
	case inputRequest:
		if w.asyncRequest(in) { // answered once the relay has (dial_js.go)
			return false
		}
		reconnect, err := w.request(in.msg)
		answer := map[string]any{"ok": err == nil}
		if err != nil {
			answer["error"] = err.Error()
		}
		if in.reply.Type() == js.TypeFunction {
			in.reply.Invoke(answer)
		}
		return reconnect
	}
	return false
}

var errUnknownRequest = errors.New("unknown request")

// request handles a page's runtime message (the Request… constants).
func (w *worker) request(msg js.Value) (reconnect bool, err error) {
	if msg.Type() != js.TypeObject {
		return false, errUnknownRequest
	}
	var acts []Action
	switch msg.Get("type").String() {
	case RequestPause:
		paused := msg.Get("paused").Truthy()
		if err := browser.StorageSetField(settings.StorageKey, "paused", paused); err != nil {
			return false, err
		}
		w.settings.Paused = paused // the storage change will confirm it
		acts = w.state.SettingsChanged(w.env())
	case RequestMarkSeen:
		acts = w.state.MarkSeen(w.env())
	case RequestOpen:
		// "as" and "record" (OpenAs): a match's record, a new contact, the search.
		as, record := "", 0
		if a := msg.Get("as"); a.Type() == js.TypeString {
			as = a.String()
		}
		if r := msg.Get("record"); r.Type() == js.TypeNumber {
			record = r.Int()
		}
		acts, err = w.state.OpenAs(msg.Get("line").String(), msg.Get("id").String(), as, record, w.env())
	case RequestTestPop:
		acts, err = w.state.TestPop(w.env())
	case RequestReconnect:
		w.state.Refused, w.state.dirty = "", true
		reconnect = true
	default:
		return false, errUnknownRequest
	}
	w.byAgent = true // the agent asked (a click in a page)
	w.do(acts)
	w.byAgent = false
	return reconnect, err
}

// do saves the state and the view when they changed, and executes the
// actions.
//
// At most one pop per call: the state that says a call popped must be
// saved before its CRM tab or window is asked for, or a worker stopped in
// between would pop the call again when it comes back. So the state write
// is sent first, and the pop is asked for right after it (a new tab in
// the same JavaScript turn) without waiting for the write (reportSave).
// That keeps the guarantee: extension API calls reach the
// browser process in the order they are made, on one channel, so it has
// queued the write to its storage backend before it handles the tab
// request, and a write in flight completes even if the worker is stopped
// meanwhile. Awaiting the write before asking for the tab, as this did
// before, made every pop 15 to 70 ms slower (more when the browser is
// busy, and the write grew with the call history it carried). The state
// written first is small for the same reason: the calls, which the pages
// read from the Calls view and a new worker reads back from it too, are
// written after the pop.
//
// What is written before a pop is only the bucket of the calls popping
// (PoppedBucketPrefix, at most poppedBucket calls): a day of pops, up to
// a thousand for a busy line, is never written again whole (it took
// milliseconds in front of pops, and grew with the day), and storage
// holds a key per bucket, not per call (a write costs more beside more
// keys: codec.go). The rest of the state goes after the pops, with
// the calls, not awaited either (reportSave).
func (w *worker) do(acts []Action) {
	saving := w.state.Dirty()
	var state browser.Pending
	popping := w.state.poppedRecords() // the buckets of the calls that popped
	switch {
	case len(popping) > 0:
		state = browser.StartStorageSet(nil, popping)
	case saving:
		state = browser.StartStorageSet(nil, map[string]string{MemoryKey: saveMemory(&w.state)})
	}
	// The badge goes right after the pop is asked for: the browser takes a
	// few milliseconds to draw it, which delayed the CRM tab by as much when
	// the badge went first.
	badged := false
	badge := func() {
		if badged {
			return
		}
		badged = true
		for _, a := range acts {
			if a.Kind == ActionBadge {
				browser.SetBadge(a.Text, a.Color)
			}
		}
	}
	for _, a := range acts {
		switch a.Kind {
		case ActionOpenTab:
			if w.showHeld(a.Key) {
				continue
			}
			tab := browser.StartCreateTab(a.URL, false) // shown after (show), if it may
			badge()                                     // while the browser makes the tab
			t, err := tab.Wait()
			if err != nil {
				w.popFailed(a.Key, "cannot open the CRM tab: "+err.Error())
				continue
			}
			w.resumes.Opened(t.ID, a.URL, time.Now())
			w.show(a.Key, t)
		case ActionReuseTab:
			w.reuseTab(a)
		case ActionOpenWindow:
			w.openWindow(a)
		case ActionInPage:
			t, shown, err := ShowInPage(a.URL, *a.View)
			if err != nil {
				w.popFailed(a.Key, err.Error())
			}
			if shown {
				w.show(a.Key, t)
			} else {
				w.reuseTab(a) // no CRM tab to show the card in: open one
			}
		case ActionFetch:
			go w.fetch(a.Key, a.URL)
		case ActionSidePanel:
			if err := browser.EnableSidePanel("sidepanel.html"); err != nil {
				warn("cannot set the side panel: " + err.Error())
			}
		case ActionNotify:
			titles := make([]string, len(a.Note.Buttons))
			for i, b := range a.Note.Buttons {
				titles[i] = b.Title
			}
			if err := browser.Notify(a.Note.ID, a.Note.Title, a.Note.Message, titles); err != nil {
				warn("cannot show a notification: " + err.Error())
			}
		case ActionClearNote:
			browser.ClearNotification(a.Key)
		case ActionLog:
			js.Global().Get("console").Call("log", "screenpop: "+a.Text)
		}
	}
	badge()
	if saving {
		view := w.state.View()
		text := map[string]string{PopupViewKey: w.popupHTML(&view)}
		if len(popping) > 0 {
			text[MemoryKey] = saveMemory(&w.state)
		}
		calls := browser.StartStorageSet(map[string]string{CallsKey: saveCalls(&view)}, text)
		reportSave(state, calls)
	}
	w.save() // a tab or window remembered
	w.savePopped()
}

// saveOlderPopped saves in buckets the popped calls read from an older
// version's forms (a record per call, the state's own map, the popping
// record), at load, before any pop; once that is written, the records
// per call are to be removed with the others (forgetSome).
func (w *worker) saveOlderPopped() {
	recs := w.state.poppedRecords()
	if len(recs) > 0 {
		if err := browser.StartStorageSet(nil, recs).Wait(); err != nil {
			warn("cannot save the calls that popped: " + err.Error())
			return // the older records stay, read again next time
		}
	}
	for _, k := range w.state.legacy {
		if _, ok := w.state.Popped[k]; ok { // else forgotten: already to be removed
			w.state.unpopped = append(w.state.unpopped, PoppedPrefix+k)
		}
	}
	w.state.legacy = nil
}

// savePopped schedules the removal of what storage holds of the popped
// calls forgotten (pruned) after the message, between messages.
func (w *worker) savePopped() {
	w.lastMessage = time.Now()
	if w.cleanup == nil && len(w.state.unpopped) > 0 { // else the next batch is already due
		w.cleanup = browser.After(forgetQuiet)
	}
}

// forgetSome removes a batch of the records to forget (forgetBatch), not
// awaited, and schedules the next batch.
func (w *worker) forgetSome() {
	w.cleanup = nil
	gone := w.state.unpopped
	if len(gone) == 0 {
		return
	}
	if wait := forgetQuiet - time.Since(w.lastMessage); wait > 0 {
		w.cleanup = browser.After(wait) // calls are coming in: later
		return
	}
	if len(gone) > forgetBatch {
		gone = gone[:forgetBatch]
	}
	w.state.unpopped = w.state.unpopped[len(gone):]
	if len(w.state.unpopped) == 0 {
		w.state.unpopped = nil
	} else {
		w.cleanup = browser.After(forgetEvery)
	}
	// Not awaited: a record left behind by a stopped worker is forgotten
	// again at load.
	removing := browser.StartStorageRemove(gone)
	go func() {
		if err := removing.Wait(); err != nil {
			warn("cannot forget the calls that popped a day ago: " + err.Error())
		}
	}()
}

func (w *worker) save() {
	if !w.state.Dirty() {
		return
	}
	view := w.state.View()
	reportSave(browser.StartStorageSet(map[string]string{CallsKey: saveCalls(&view)}, map[string]string{MemoryKey: saveMemory(&w.state), PopupViewKey: w.popupHTML(&view)}))
}

// reportSave warns if a write of the state fails, without waiting for it:
// the next message is handled meanwhile. Writes need no waiting to stay
// in order (the browser applies a worker's storage calls in the order
// they are made; a page reading after the worker answered it reads them
// done), and waiting made a ring that came while the last message's
// writes were still going wait behind them: under load, tens of
// milliseconds before its pop, more with a busier storage.
func reportSave(writes ...browser.Pending) {
	go func() {
		for _, p := range writes {
			if err := p.Wait(); err != nil {
				warn("cannot save the calls: " + err.Error())
				return
			}
		}
	}()
}

// storeInPageCard stores the in-page card, for ShowInPage.
func storeInPageCard(c *InPageCard) error {
	return browser.StorageSetJSON(map[string]string{InPageKey: saveInPageCard(c)})
}

func (w *worker) popFailed(k, msg string) {
	warn(msg)
	w.state.PopFailed(k, msg)
	w.status.PopError, w.status.PopErrorAt = msg, time.Now().UnixMilli()
	w.writeStatus()
}

// reuseTab loads the pop in the CRM tab of earlier pops, or opens it, and
// shows it (show). It asks for the navigation straight away rather than
// first asking whether the tab still exists: that round trip to the
// browser delayed every pop by a millisecond or more, and a closed tab is
// reported by the navigation itself. A CRM tab the agent is typing in
// (typing.js) is not navigated away from their form: the pop goes to a
// new tab, the CRM tab from then on.
func (w *worker) reuseTab(a Action) {
	if w.showHeld(a.Key) {
		return
	}
	if w.state.Tab != 0 && !w.typingIn(w.state.Tab) {
		if t, err := browser.StartLoadTab(w.state.Tab, a.URL).Wait(); err == nil {
			w.resumes.Opened(t.ID, a.URL, time.Now())
			w.show(a.Key, t)
			return
		}
	}
	t, err := browser.CreateTab(a.URL, false)
	if err != nil {
		w.popFailed(a.Key, "cannot open the CRM tab: "+err.Error())
		return
	}
	w.state.Tab, w.state.dirty = t.ID, true
	w.resumes.Opened(t.ID, a.URL, time.Now())
	w.show(a.Key, t)
}

// typingRecent is how recent the agent's last input in a field must be
// for a pop to leave them at it.
const typingRecent = 60 * time.Second

// typingIn reports whether the agent is typing in a field of tab (its
// typing.js said so less than typingRecent ago, and not that they left
// the field since).
func (w *worker) typingIn(tab int) bool {
	at, ok := w.typing[tab]
	return ok && time.Now().UnixMilli()-at < typingRecent.Milliseconds()
}

// show brings the pop of call k, loaded in tab t, to the front, unless
// the agent did not ask for it and is busy: on one of the extension's own
// pages (options, the side panel, the popup) or typing in a field of the
// tab in front. Then the pop stays where it is, updated, the badge says
// RING, and a notification (the ringing one, or one now) lets them go to
// it: its click (NoteClicked), like a click on the call in the popup,
// comes back here with byAgent and shows the tab (showHeld).
func (w *worker) show(k string, t browser.Tab) {
	if !w.byAgent {
		if f := browser.FrontNow(); f.Own || f.Tab != t.ID && w.typingIn(f.Tab) {
			w.hold(k, t.ID)
			return
		}
	}
	if _, err := browser.ShowTab(t.ID); err == nil {
		browser.FocusWindow(t.WindowID)
	}
}

// hold remembers that the pop of call k is in tab (not in front), and
// makes sure a notification tells the agent of the call.
func (w *worker) hold(k string, tab int) {
	w.held[k] = tab
	v := w.state.find(k)
	if v == nil || v.Notified {
		return
	}
	v.Notified, w.state.dirty = true, true // cleared when the call ends
	n := ringingNote(v, w.env())
	titles := make([]string, len(n.Buttons))
	for i, b := range n.Buttons {
		titles[i] = b.Title
	}
	if err := browser.Notify(n.ID, n.Title, n.Message, titles); err != nil {
		warn("cannot show a notification: " + err.Error())
	}
}

// showHeld brings the tab a held pop of call k is in to the front, when
// the agent asks for that call (byAgent); it reports whether it did.
func (w *worker) showHeld(k string) bool {
	tab, ok := w.held[k]
	if !ok || !w.byAgent {
		return false
	}
	delete(w.held, k)
	t, err := browser.ShowTab(tab)
	if err != nil {
		return false // closed since: open the call again
	}
	browser.FocusWindow(t.WindowID)
	return true
}

// openWindow loads the pop in the pop-up window of earlier pops, or opens
// it, and brings it to the front unless the agent is busy (show).
func (w *worker) openWindow(a Action) {
	if w.showHeld(a.Key) {
		return
	}
	if t, ok := browser.WindowTab(w.state.Window); ok {
		if _, err := browser.StartLoadTab(t.ID, a.URL).Wait(); err == nil {
			w.resumes.Opened(t.ID, a.URL, time.Now())
			w.show(a.Key, t)
			return
		}
	}
	front := w.byAgent
	if !front {
		f := browser.FrontNow()
		front = !f.Own && !w.typingIn(f.Tab)
	}
	id, err := browser.CreatePopupWindow(a.URL, a.Width, a.Height, front)
	if err != nil {
		w.popFailed(a.Key, "cannot open the CRM window: "+err.Error())
		return
	}
	w.state.Window, w.state.dirty = id, true
	if t, ok := browser.WindowTab(id); ok {
		w.resumes.Opened(t.ID, a.URL, time.Now())
		if !front {
			w.hold(a.Key, t.ID)
		}
	}
}

// fetch is silent mode's GET, on its own goroutine; a failure comes back
// as an input.
func (w *worker) fetch(k, url string) {
	readable := false
	if pattern, err := CRMMatchPattern(url); err == nil {
		readable = browser.HasOrigin(pattern)
	}
	status, err := browser.Get(url, readable)
	msg := ""
	switch {
	case err != nil:
		msg = browser.Message("popFetchFailed", url, err.Error())
	case readable && status >= 400:
		msg = browser.Message("popFetchStatus", url, strconv.Itoa(status))
	}
	if msg != "" {
		w.post(input{kind: inputPopFailed, id: k, text: msg})
	}
}
