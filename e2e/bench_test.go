package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
)

// BenchmarkExtension measures what a user feels of the extension (`make
// bench-extension`), each figure beside its floor measured in the same
// run, in the same browser, interleaved with it (these machines are
// noisy: a ratio to the floor is the budget, not an absolute time). It
// is a measurement run once (-benchtime=1x), not a timed loop, and
// prints a table:
//
//   - worker cold start → connected: from an event that wakes a stopped
//     service worker (a storage change) to "connected" to the relay
//     again; floor: the same for a minimal Go wasm service worker
//     (bench_floor_test.go) that only opens a WebSocket to the same
//     relay. Budget: p50 ≤ 1.5 × floor.
//   - ring → pop, in the default mode (reuse-tab): from the OVH emulator
//     releasing a start_ringing to Chromium saying from inside the CRM
//     tab that it starts navigating (Page.frameStartedNavigating); floor:
//     the same navigation of the same tab asked of Chromium over CDP, no
//     relay, no extension. Budget: p99 ≤ 1.2 × floor. The other pop figures (new
//     tab, the CRM getting the request) are shown beside their floors
//     without a budget.
//   - the toolbar popup shows the current call: from popup.html starting
//     to load to the frame that paints the ringing call's number; floor:
//     a static copy of that painted popup (same stylesheet, the call's
//     text baked in) loaded from the floor extension, timed the same way.
//     Budget: p50 ≤ 2 × floor.
//
// SCREENPOP_BENCH_RINGS (default 60), SCREENPOP_BENCH_STARTS (default
// 12) and SCREENPOP_BENCH_POPUPS (default 20) set the sample sizes.
func BenchmarkExtension(b *testing.B) {
	rings := envInt("SCREENPOP_BENCH_RINGS", 60)
	starts := envInt("SCREENPOP_BENCH_STARTS", 12)
	popups := envInt("SCREENPOP_BENCH_POPUPS", 20)
	t := &benchTable{title: "extension: what the agent feels, beside its floor measured in the same run"}

	dir := builtExtension(b) // $SCREENPOP_EXT, else dist/chrome
	floorDir := buildFloorExtension(b, dir)
	s := startStack(b)
	requested := crmRequests(s)
	br, floorID := startBenchBrowser(b, floorDir)
	// The bench's scripts run in a page of the extension's origin that
	// runs none of its code (its stylesheet): no page of the extension
	// is open while it pops, and none wakes its worker.
	page := br.tab(br.extURL("style.css"))
	floorPage := br.tab(fmt.Sprintf("chrome-extension://%s/floor.html", floorID))
	st := benchSettings(s, settings.ModeTab)
	br.writeSettings(page, st)
	wsURL, _ := settings.StreamURL(s.relay.URL, 0)
	if _, err := eval[bool](floorPage, `chrome.storage.local.set({floorRelay: `+js(wsURL)+`}).then(() => true)`); err != nil {
		b.Fatal(err)
	}

	// 1. Worker cold start: stop the workers, wake one with a storage
	// change (both bg.js listen to storage.onChanged), time until it says
	// connected; the minimal worker and the real one in turn.
	for _, p := range []context.Context{page, floorPage} {
		if _, err := chromedp.Call(p, serviceworker.Enable, cdp.Empty{}); err != nil {
			b.Fatal(err)
		}
	}
	coldStart := func(p context.Context) time.Duration {
		stopWorkers(b, br, []context.Context{page, floorPage}, br.extID, floorID)
		ms, err := eval[float64](p, `new Promise((resolve) => {
			const t0 = performance.now();
			chrome.storage.onChanged.addListener(function l(ch, area) {
				if (area === 'local' && ch.status && ch.status.newValue && ch.status.newValue.state === 'connected') {
					chrome.storage.onChanged.removeListener(l);
					resolve(performance.now() - t0);
				}
			});
			chrome.storage.local.set({benchPoke: Date.now()});
		})`)
		if err != nil {
			b.Fatalf("waking the worker: %v", err)
		}
		return time.Duration(ms * float64(time.Millisecond))
	}
	var cold, coldFloor []time.Duration
	for i := 0; i < starts; i++ {
		coldFloor = append(coldFloor, coldStart(floorPage))
		cold = append(cold, coldStart(page)) // last: the real worker stays up for the rings
	}
	{
		v, f := sorted(cold), sorted(coldFloor)
		r := ratio(v.p50(), f.p50())
		t.add(fmt.Sprintf("worker cold start → connected (n=%d)", len(v)),
			"p50 "+ms(v.p50())+", max "+ms(v.max()), "p50 "+ms(f.p50())+", max "+ms(f.max()),
			"p50 "+x(r)+", max "+x(ratio(v.max(), f.max())), "p50 ≤ 1.5× floor", okp(r <= 1.5))
		reportMS(b, v.p50(), "cold-p50-ms")
		reportMS(b, f.p50(), "cold-floor-p50-ms")
	}

	// 2. Ring → pop, new tab per call. Tab creations are timestamped on
	// the Go side as the CDP events arrive; the ring is timestamped right
	// before sim.Emit. Each ring follows its floor: Chromium asked over
	// CDP for the same new tab.
	created := make(chan tabEvent, 1024)
	if _, err := chromedp.CallBrowser(br.ctx, target.SetDiscoverTargets, target.SetDiscoverTargetsParams{Discover: true}); err != nil {
		b.Fatal(err)
	}
	chromedp.ListenBrowser(br.ctx, func(ev any) {
		now := time.Now()
		var ti *target.Info
		switch ev := ev.(type) {
		case *target.EventTargetCreated:
			ti = ev.TargetInfo
		case *target.EventTargetInfoChanged:
			ti = ev.TargetInfo
		}
		if ti != nil && ti.Type == "page" && !strings.Contains(ti.URL, "floor-") {
			select {
			case created <- tabEvent{ti.TargetID, ti.URL, now}:
			default:
			}
		}
	})
	// A Go agent on the same relay timestamps when the relay delivers each
	// ring: the table splits the path into relay and extension.
	delivered := relayProbe(b, s.relay.URL)
	crmSearch := s.crm.URL + "/index.php?module=Home&action=UnifiedSearch&query_string="
	var lat, navLat, reqLat, relayLat, floorNew []time.Duration
	for i := 0; i < rings; i++ {
		q := fmt.Sprintf("+floor-new-%d", i)
		t0 := time.Now()
		res, err := chromedp.CallBrowser(br.ctx, target.CreateTarget, target.CreateTargetParams{URL: crmSearch + url.QueryEscape(q)})
		if err != nil {
			b.Fatal(err)
		}
		if at, ok := requested.first(q); ok {
			floorNew = append(floorNew, at.Sub(t0))
		}
		chromedp.CallBrowser(br.ctx, target.CloseTarget, target.CloseTargetParams{TargetID: res.TargetID})
		time.Sleep(100 * time.Millisecond)

		callID := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i)
		caller := fmt.Sprintf("00336%08d", 12000000+i)
		// Drain what older tabs said.
		drain(created)
		ev := benchRing(callID, caller)
		t0 = time.Now()
		s.sim.Emit(ev)
		var first, nav time.Time
		var id target.ID
		deadline := time.After(10 * time.Second)
		for nav.IsZero() {
			select {
			case c := <-created:
				if first.IsZero() {
					first, id = c.at, c.id
				}
				if c.id == id && strings.HasPrefix(c.url, s.crm.URL) {
					nav = c.at
				}
			case <-deadline:
				b.Fatalf("ring %d: no CRM tab after 10 s", i)
			}
		}
		select {
		case d := <-delivered:
			if d.callID == callID {
				relayLat = append(relayLat, d.at.Sub(t0))
			}
		case <-time.After(5 * time.Second):
			b.Fatalf("ring %d: the probe agent got nothing", i)
		}
		lat = append(lat, first.Sub(t0))
		navLat = append(navLat, nav.Sub(t0))
		if at, ok := requested.first("+336" + caller[5:]); ok {
			reqLat = append(reqLat, at.Sub(t0))
		}
		s.sim.Emit(benchEnd(ev))
		chromedp.CallBrowser(br.ctx, target.CloseTarget, target.CloseTargetParams{TargetID: id})
		time.Sleep(150 * time.Millisecond) // let the tab close and the end settle: one ring at a time
	}

	// 3. The default mode, reuse-tab: the pop navigates the CRM tab the
	// agent already has. Once that tab exists (the first ring opens it),
	// its navigations are watched from the inside:
	// Page.frameStartedNavigating is Chromium saying the tab starts
	// navigating, before any request goes out. Each ring follows its
	// floor: that very tab navigated over CDP (Page.navigate, a
	// browser-initiated navigation to a URL, as tabs.update is), so that
	// pop and floor differ by the relay and the extension only.
	st.Mode = settings.ModeReuseTab
	br.writeSettings(page, st)
	var reuseLat, reuseReq, reuseStart, floorNav, floorStart []time.Duration
	started := make(chan tabEvent, 1024)
	var crmTab context.Context // the tab the pops reuse, once the first ring opened it
	var crmID target.ID
	for i := 0; i < rings; i++ {
		if crmTab != nil {
			q := fmt.Sprintf("+floor-nav-%d", i)
			u := crmSearch + url.QueryEscape(q)
			drain(started)
			t0 := time.Now()
			if _, err := chromedp.Call(crmTab, cdppage.Navigate, cdppage.NavigateParams{URL: u}); err != nil {
				b.Fatal(err)
			}
			deadline := time.After(5 * time.Second)
			for waiting := true; waiting; {
				select {
				case nav := <-started:
					if strings.HasSuffix(nav.url, "="+url.QueryEscape(q)) {
						floorStart = append(floorStart, nav.at.Sub(t0))
						waiting = false
					}
				case <-deadline:
					b.Fatalf("floor navigation %d: Chromium did not say the CRM tab started navigating", i)
				}
			}
			if at, ok := requested.first(q); ok {
				floorNav = append(floorNav, at.Sub(t0))
			}
			time.Sleep(100 * time.Millisecond)
		}

		callID := fmt.Sprintf("bench-reuse-%d-%d", time.Now().UnixNano(), i)
		n := 13000000 + i
		caller := fmt.Sprintf("00336%08d", n)
		want := fmt.Sprintf("336%08d", n) // in the URL as *CALLING_E164*, %2B33…
		drain(created)
		drain(started)
		ev := benchRing(callID, caller)
		t0 := time.Now()
		s.sim.Emit(ev)
		var at, start time.Time
		var tab target.ID
		deadline := time.After(10 * time.Second)
		for at.IsZero() {
			select {
			case c := <-created:
				if strings.HasPrefix(c.url, s.crm.URL) && strings.Contains(c.url, want) {
					at, tab = c.at, c.id
				}
			case c := <-started:
				if start.IsZero() && strings.Contains(c.url, want) {
					start = c.at
				}
			case <-deadline:
				b.Fatalf("reuse-tab ring %d: the CRM tab did not navigate to the caller within 10 s", i)
			}
		}
		switch {
		case crmTab == nil: // the first ring opens the tab the others reuse
			crmTab, crmID = br.tabContext(tab), tab
			watchNavigations(b, crmTab, started)
		case tab != crmID:
			// The extension could not navigate the tab (tabs.update failed)
			// and opened another: the pops and the floors go on there; this
			// ring, in a tab not watched yet, has no navigation start.
			b.Logf("reuse-tab ring %d: the pop went to a new tab %s, not the CRM tab %s; following it", i, tab, crmID)
			crmTab, crmID = br.tabContext(tab), tab
			watchNavigations(b, crmTab, started)
		default:
			reuseLat = append(reuseLat, at.Sub(t0))
			if req, ok := requested.first("+" + want); ok {
				reuseReq = append(reuseReq, req.Sub(t0))
			}
			if start.IsZero() {
				select { // the tab's own event may come after the target's
				case c := <-started:
					if strings.Contains(c.url, want) {
						start = c.at
					}
				case <-time.After(5 * time.Second):
				}
			}
			if start.IsZero() {
				b.Fatalf("reuse-tab ring %d: Chromium did not say the tab started navigating", i)
			}
			reuseStart = append(reuseStart, start.Sub(t0))
		}
		s.sim.Emit(benchEnd(ev))
		time.Sleep(150 * time.Millisecond)
	}

	// 4. The toolbar popup showing the current call: a call rings (the
	// pop goes to the CRM tab) and stays ringing while popup.html is
	// opened again and again, each time beside the static copy.
	caller, digits := "0033698765432", "698765432"
	ring := benchRing(fmt.Sprintf("bench-popup-%d", time.Now().UnixNano()), caller)
	drain(started)
	s.sim.Emit(ring)
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		b.Fatal("the popup's call did not pop")
	}
	time.Sleep(300 * time.Millisecond) // the state is saved
	_, static := paintTime(b, br, br.extURL("popup.html"), digits, true)
	if err := os.WriteFile(filepath.Join(floorDir, "static.html"), []byte(static), 0o644); err != nil {
		b.Fatal(err)
	}
	staticURL := fmt.Sprintf("chrome-extension://%s/static.html", floorID)
	var popup, popupFloor []time.Duration
	for i := 0; i < popups; i++ {
		d, _ := paintTime(b, br, staticURL, digits, false)
		popupFloor = append(popupFloor, d)
		d, _ = paintTime(b, br, br.extURL("popup.html"), digits, false)
		popup = append(popup, d)
	}
	s.sim.Emit(benchEnd(ring))

	for _, m := range []struct {
		name, floorName string
		d, floor        []time.Duration
		key             string
		budget          float64 // of the floor, at p99; 0: none
	}{
		{"ring → pop, default mode (reuse-tab): ring → the CRM tab starts navigating", "CDP navigate → the tab starts navigating", reuseStart, floorStart, "reuse-start", 1.2},
		{"reuse-tab: ring → the CRM gets the tab's request", "CDP navigate → the CRM gets the request", reuseReq, floorNav, "reuse-req", 0},
		{"reuse-tab: ring → CDP reports the tab's new URL", "", reuseLat, nil, "reuse", 0},
		{"new tab: ring → the CRM gets its request", "CDP new tab → the CRM gets its request", reqLat, floorNew, "req", 0},
		{"new tab: ring → CRM tab created", "", lat, nil, "pop", 0},
		{"new tab: ring → CRM tab has the CRM URL", "", navLat, nil, "nav", 0},
		{"ring → the relay delivers it (a Go agent)", "", relayLat, nil, "relay", 0},
	} {
		if len(m.d) == 0 {
			continue
		}
		v := sorted(m.d)
		reportMS(b, v.p50(), m.key+"-p50-ms")
		reportMS(b, v.p99(), m.key+"-p99-ms")
		if len(m.floor) == 0 {
			t.add(m.name, v.pctl(), "", "", "", nil)
			continue
		}
		f := sorted(m.floor)
		reportMS(b, f.p50(), m.key+"-floor-p50-ms")
		reportMS(b, f.p99(), m.key+"-floor-p99-ms")
		if m.budget == 0 {
			t.add(m.name, v.pctl(), m.floorName+": "+f.pctl(), pctlRatio(v, f), "", nil)
			continue
		}
		r := ratio(v.p99(), f.p99())
		t.add(m.name, v.pctl(), m.floorName+": "+f.pctl(), pctlRatio(v, f), fmt.Sprintf("p99 ≤ %.1f× floor", m.budget), okp(r <= m.budget))
	}
	{
		v, f := sorted(popup), sorted(popupFloor)
		r := ratio(v.p50(), f.p50())
		t.add("toolbar popup: popup.html opens → the current call painted", v.pctl(), "static copy, first paint: "+f.pctl(), pctlRatio(v, f), "p50 ≤ 2× floor", okp(r <= 2))
		reportMS(b, v.p50(), "popup-p50-ms")
		reportMS(b, f.p50(), "popup-floor-p50-ms")
	}
	benchRecordPop(b, t) // ring → the caller's record (bench_record_test.go), its own stack and browser
	fmt.Print(t.String())
}

// paintProbe, run in a page before its own scripts, resolves
// window.__benchPainted with performance.now() (ms since the page's
// navigation started) at the first animation frame after the page's
// text holds digits (spaces and punctuation ignored): the frame that
// paints them.
func paintProbe(digits string) string {
	return `(() => {
	let done;
	window.__benchPainted = new Promise((r) => { done = r; });
	const has = () => (document.documentElement.textContent || '').replace(/\D/g, '').includes(` + js(digits) + `);
	const obs = new MutationObserver(() => {
		if (has()) { obs.disconnect(); requestAnimationFrame(() => done(performance.now())); }
	});
	obs.observe(document, {childList: true, subtree: true, characterData: true});
})();`
}

// paintTime opens url in a new tab and returns how long after its
// navigation started digits were painted (paintProbe); with copy, also
// the page as painted, scripts removed: its static copy.
func paintTime(b *testing.B, br *browser, url, digits string, copy bool) (time.Duration, string) {
	b.Helper()
	ctx, cancel := chromedp.NewContext(br.ctx)
	defer cancel()
	tctx, stop := context.WithTimeout(ctx, 20*time.Second)
	defer stop()
	if err := chromedp.Do(ctx); err != nil { // the new tab, blank
		b.Fatal(err)
	}
	if _, err := chromedp.Call(tctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: paintProbe(digits)}); err != nil {
		b.Fatal(err)
	}
	if err := chromedp.Do(tctx, chromedp.Navigate(url)); err != nil {
		b.Fatalf("opening %s: %v", url, err)
	}
	at, err := eval[float64](tctx, `window.__benchPainted`)
	if err != nil {
		text, _ := eval[string](ctx, `document.documentElement.textContent`)
		b.Fatalf("%s: %s never painted: %v (the page says: %.300q)", url, digits, err, text)
	}
	var html string
	if copy {
		html, err = eval[string](tctx, `(() => {
			const d = document.documentElement.cloneNode(true);
			d.querySelectorAll('script').forEach((s) => s.remove());
			return '<!doctype html>\n' + d.outerHTML;
		})()`)
		if err != nil {
			b.Fatal(err)
		}
	}
	return time.Duration(at * float64(time.Millisecond)), html
}

// crmLog timestamps the first request the fake CRM gets for each searched
// number (query_string): when a pop's navigation reached the CRM.
type crmLog struct {
	mu sync.Mutex
	at map[string]time.Time
}

func crmRequests(s *stack) *crmLog {
	l := &crmLog{at: map[string]time.Time{}}
	inner := s.crm.Config.Handler
	s.crm.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		q := r.URL.Query().Get("query_string")
		l.mu.Lock()
		if _, ok := l.at[q]; !ok {
			l.at[q] = now
		}
		l.mu.Unlock()
		inner.ServeHTTP(w, r)
	})
	return l
}

// first returns when the CRM was first asked for number; the tab's
// request may still be on its way, so it waits a little.
func (l *crmLog) first(number string) (time.Time, bool) {
	for range 100 {
		l.mu.Lock()
		at, ok := l.at[number]
		l.mu.Unlock()
		if ok {
			return at, true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Time{}, false
}

// tabEvent is what Chromium said of a tab (its target ID when known, its
// URL), and when that reached us.
type tabEvent struct {
	id  target.ID
	url string
	at  time.Time
}

// watchNavigations sends on ch each navigation start of the tab of ctx as
// Chromium reports it from inside the tab (Page.frameStartedNavigating):
// the tab starting to navigate, before any request goes out. A full ch
// drops the event.
func watchNavigations(b *testing.B, ctx context.Context, ch chan<- tabEvent) {
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*cdppage.EventFrameStartedNavigating); ok {
			select {
			case ch <- tabEvent{url: e.URL, at: time.Now()}:
			default:
			}
		}
	})
	if err != nil {
		b.Fatalf("watching the tab's navigations: %v", err)
	}
}

// drain empties ch of what was said before.
func drain(ch chan tabEvent) {
	for len(ch) > 0 {
		<-ch
	}
}

// tabContext attaches to the tab with that target ID.
func (br *browser) tabContext(id target.ID) context.Context {
	ctx, cancel := chromedp.NewContext(br.ctx, chromedp.WithTargetID(id))
	br.t.Cleanup(cancel)
	return ctx
}

// benchRing is the start_ringing OVH sends for call callID from caller
// on the test line; the benches emit it themselves, to time it.
func benchRing(callID, caller string) ovhevent.Event {
	return ovhevent.Event{Event: ovhevent.StartRinging, Ressource: line, Data: ovhevent.Data{
		CallId: callID, Calling: caller, Called: line, Dialed: line, Event: ovhevent.StartRinging}}
}

// benchEnd is ring's call ending unanswered (end_ringing).
func benchEnd(ring ovhevent.Event) ovhevent.Event {
	ring.Event, ring.Data.Event = ovhevent.EndRinging, ovhevent.EndRinging
	return ring
}

// benchSettings pops in mode on the stack's fake CRM, searching for
// *CALLING_E164*, with no cap and no notification.
func benchSettings(s *stack, mode string) settings.Settings {
	st := settings.Default()
	st.RelayURL = s.relay.URL
	st.CRMBase = s.crm.URL
	st.Template = s.crm.URL + "/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING_E164*"
	st.Mode = mode
	st.CapPerMinute = 0 // no cap
	st.Notify = false
	return st
}

type delivery struct {
	callID string
	at     time.Time
}

// relayProbe connects a Go agent to the relay's stream and reports when
// each start_ringing arrives.
func relayProbe(b *testing.B, relayURL string) <-chan delivery {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	wsURL, _ := settings.StreamURL(relayURL, 0)
	c, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		b.Fatalf("probe agent: %v", err)
	}
	c.SetReadLimit(1 << 20)
	if err := c.Write(ctx, websocket.MessageText, []byte(stream.ClientPing)); err != nil { // anonymous: no auth
		b.Fatal(err)
	}
	out := make(chan delivery, 64)
	go func() {
		defer c.CloseNow()
		for {
			_, raw, err := c.Read(ctx)
			if err != nil {
				return
			}
			at := time.Now()
			var m stream.Message
			if json.Unmarshal(raw, &m) == nil && m.Event != nil && m.Event.Name == ovhevent.StartRinging {
				select {
				case out <- delivery{m.Event.Call.ID, at}:
				default:
				}
			}
		}
	}()
	return out
}

func gzipSize(b []byte) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Len()
}

func kb(n int) string { return fmt.Sprintf("%.0f KB", float64(n)/1024) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func pad(s string, n int) string { return s + strings.Repeat(" ", max(0, n-len([]rune(s)))) }

// quantile of sorted durations (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(float64(len(sorted))*q+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil && n > 0 {
		return n
	}
	return def
}
