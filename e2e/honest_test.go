package e2e

// What the pages tell a newcomer (issue #11): whether a call can come at
// all, what host access each mode really needs, and text that reads
// right in both languages.

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/ovh/go-ovh/ovh"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/server/ovhapi"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/server/relay"
	relaystore "github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/server/upstream"
	"github.com/screenpop/screenpop/wasm/background"
)

// TestPagesUpstreamRejected: connected to a relay whose OVH token was
// rejected, the popup, the side panel and the options page no longer say
// a plain "Connected": they say no call can arrive, since when, and what
// to do; the badge warns.
func TestPagesUpstreamRejected(t *testing.T) {
	s, b, popup, _ := connectedPopup(t)
	badge := func() string {
		v, err := eval[string](popup, `chrome.action.getBadgeText({})`)
		if err != nil {
			t.Fatalf("reading the badge: %v", err)
		}
		return v
	}
	if got := badge(); got != "" {
		t.Errorf("badge while the relay polls = %q, want none", got)
	}
	if got := textOf(popup, "status"); strings.Contains(got, "no call can arrive") {
		t.Errorf("popup status while the relay polls OVH = %q", got)
	}

	s.sim.RevokeToken(s.token)
	const headline = "Connected, but no call can arrive"
	b.waitFor("the popup to say no call can arrive", 20*time.Second, func() bool {
		return strings.Contains(textOf(popup, "status"), headline)
	})
	got := textOf(popup, "status")
	for _, want := range []string{"OVH rejected the relay's event token at ", "Ask the relay's administrator for a new token", "screenpop-relay token add"} {
		if !strings.Contains(got, want) {
			t.Errorf("popup status %q lacks %q", got, want)
		}
	}
	if st, _ := eval[string](popup, `document.getElementById('status').dataset.state`); st != "warn" {
		t.Errorf("status box state = %q, want warn", st)
	}
	// The relay's own words, for its administrator, folded away.
	if reason, _ := eval[string](popup, `document.querySelector('#status details.relay-reason p')?.textContent ?? ''`); !strings.Contains(reason, "rejected") {
		t.Errorf("the relay's reason = %q", reason)
	}
	b.waitFor("the badge to warn", 10*time.Second, func() bool { return badge() == "!" })
	shot(t, popup, "popup-en-upstream-rejected")

	for _, p := range []struct{ page, ready string }{{"sidepanel.html", "status"}, {"options.html", "status"}} {
		ctx := b.page(p.page, p.ready)
		b.waitFor(p.page+" to say no call can arrive", 10*time.Second, func() bool {
			got := textOf(ctx, "status")
			return strings.Contains(got, headline) && strings.Contains(got, "Ask the relay's administrator")
		})
	}

	// A call that rings anyway (the relay had it) still reads RING.
	var calls background.Calls
	stored(t, popup, background.CallsKey, &calls)
	if calls.Upstream == nil || calls.Upstream.State != "token-rejected" || calls.Upstream.Since.IsZero() {
		t.Errorf("the Calls view's upstream = %+v", calls.Upstream)
	}
}

// TestPagesHostAccess: the options page mentions host access to the CRM
// only for a mode that uses it, and says what it changes; the same CRM
// tab that follows the calls needs none (it pops without).
func TestPagesHostAccess(t *testing.T) {
	for _, granted := range []bool{false, true} {
		ext := builtExtension(t)
		if granted {
			ext = withHostAccess(t, ext, "http://127.0.0.1/*")
		}
		b := startBrowserWith(t, browserOptions{Ext: ext})
		opts := b.page("options.html", "relay-url")
		offline(t, opts)
		// The fresh install's template: the demo CRM on http://127.0.0.1:8080.
		// reuse-tab, the default, first: the line the page drew at load.
		for _, tt := range []struct {
			mode      string
			want, not string
		}{
			{settings.ModeReuseTab, "", "access"},
			{settings.ModeTab, "", "access"},
			{settings.ModeInPage, map[bool]string{false: "needs access to them, not granted yet", true: "may open and read the pages of http://127.0.0.1"}[granted], "8080"},
			{settings.ModeSilent, map[bool]string{false: "works without access to http://127.0.0.1. With it, the extension also reads the answer", true: "may open and read the pages of http://127.0.0.1"}[granted], "needs"},
		} {
			setField(t, opts, "mode", tt.mode)
			var got string
			b.waitFor("the host access line for "+tt.mode, 5*time.Second, func() bool {
				got = textOf(opts, "host-access")
				done, _ := eval[bool](opts, `document.getElementById('host-access').dataset.granted !== undefined`)
				return done && (tt.want == "" || strings.Contains(got, tt.want))
			})
			if tt.want == "" && got != "" || tt.not != "" && strings.Contains(got, tt.not) {
				t.Errorf("granted %v, mode %s: host access line %q, want %q without %q", granted, tt.mode, got, tt.want, tt.not)
			}
		}
	}
}

// TestPagesText: no Markdown backticks on the pages (commands in <code>),
// in either language; the template's example is the recommended search;
// the reason a call did not pop is whole in the popup; no recent-calls
// heading over an empty list beside a live call; the refused-secret
// banner is two sentences, and says "below" on the options page.
func TestPagesText(t *testing.T) {
	for _, lang := range []string{"en", "fr"} {
		t.Run(lang, func(t *testing.T) { pagesText(t, lang) })
	}
}

func pagesText(t *testing.T, lang string) {
	b := pagesBrowser(t, map[string]string{"en": "", "fr": "fr-FR"}[lang])
	opts := b.page("options.html", "relay-url")
	requireUILanguage(t, opts, lang)
	noBackticks := func(ctx context.Context, page string) {
		t.Helper()
		if text, _ := eval[string](ctx, `document.body.innerText`); strings.Contains(text, "`") {
			t.Errorf("%s shows backticks: %q", page, text)
		}
	}
	noBackticks(opts, "options")
	if code, _ := eval[string](opts, `[...document.querySelectorAll('#connection-hint code')].map(c => c.textContent).join('|')`); code != "screenpop-relay agent add" {
		t.Errorf("the connection hint's code = %q, want the command in <code>", code)
	}
	if ph, _ := eval[string](opts, `document.getElementById('template').placeholder`); strings.Contains(ph, "*CALLING*") || !strings.Contains(ph, "*OTHER_LIKE*") {
		t.Errorf("template placeholder = %q, want the recommended *OTHER_LIKE* search", ph)
	}
	setField(t, opts, "connection", "https://relay.example.com/#nope")
	b.waitFor("the connection string's error", 5*time.Second, func() bool { return textOf(opts, "connection-error") != "" })
	noBackticks(opts, "options with a bad connection string")

	// The popup at its real width: a withheld caller's reason is whole.
	popup := b.page("popup.html", "status")
	offline(t, popup)
	if err := chromedp.Do(popup, chromedp.EmulateViewport(360, 600)); err != nil {
		t.Fatal(err)
	}
	calls := fakeCalls(time.Now())
	for i := range calls.Recent {
		if calls.Recent[i].Calling.Kind == phone.Withheld {
			calls.Recent[i].Reason = pop.ReasonWithheld // "Not opened: withheld number, nothing to search"
		}
	}
	reason := map[string]string{"en": "nothing to search", "fr": "rien à chercher"}[lang]
	b.showCalls(t, popup, calls, "the calls", func() bool { return strings.Contains(textOf(popup, "recent"), reason) })

	why, _ := eval[[]string](popup, `[...document.querySelectorAll('#recent .why')].filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1).map(e => e.textContent)`)
	if len(why) > 0 {
		t.Errorf("reasons cut off in the popup: %q", why)
	}
	if text := textOf(popup, "recent"); !strings.Contains(text, reason) {
		t.Errorf("recent calls %q: the withheld caller's reason is not whole", text)
	}
	noBackticks(popup, "popup")
	shot(t, popup, "popup-"+lang+"-reasons")

	// Only a live call: no recent-calls heading over nothing.
	live := calls
	live.Recent, live.UnseenMissed = []background.CallView{}, 0
	b.showCalls(t, popup, live, "only the live calls", func() bool {
		return textOf(popup, "live") != "" && textOf(popup, "recent-title") == ""
	})
	if textOf(popup, "empty") != "" {
		t.Errorf("the empty state shows beside live calls")
	}

	// The refused secret: a relay that wants one, and a wrong one.
	s := startStack(t)
	conf := settings.Default()
	conf.RelayURL, conf.Secret, conf.Mode = s.relay.URL, "sp_0000000000000000000000000000000000000000000", settings.ModeNotify
	store(t, popup, settings.StorageKey, conf)
	b.waitFor("the background to be refused", 20*time.Second, func() bool {
		var st background.RelayStatus
		return stored(t, popup, background.StatusKey, &st) && st.State == background.StatusSettings
	})
	advice := map[string][2]string{
		"en": {"Paste a new connection string in the settings.", "Paste a new connection string below, then save."},
		"fr": {"Collez une nouvelle chaîne de connexion dans les réglages.", "Collez une nouvelle chaîne de connexion ci-dessous, puis enregistrez."},
	}[lang]
	for i, ctx := range []context.Context{popup, b.page("options.html", "status")} {
		var got string
		b.waitFor("the refused banner", 10*time.Second, func() bool {
			got = textOf(ctx, "status")
			return strings.Contains(got, advice[i])
		})
		detail, _ := eval[string](ctx, `document.querySelector('#status .relay-detail')?.textContent ?? ''`)
		if !strings.HasSuffix(strings.TrimSpace(detail), ".") || strings.Contains(detail, "`") || strings.Contains(detail, "options.") || strings.Contains(detail, "Paste a new") {
			t.Errorf("refused banner's first sentence = %q: want the relay's reason alone, ended", detail)
		}
		if i == 1 && (strings.Contains(got, "in the options") || strings.Contains(got, "in the settings") || strings.Contains(got, "dans les")) {
			t.Errorf("the options page sends the agent to the options: %q", got)
		}
		noBackticks(ctx, "the refused banner")
	}
}

// TestPagesRelayUnreachable: while the extension cannot reach the relay
// (nothing listens at its address, or the relay went away) the badge
// warns as when the relay says no call can arrive, and the pages say
// what to do; connected again, the warning goes.
func TestPagesRelayUnreachable(t *testing.T) {
	b := pagesBrowser(t, "")
	popup := b.page("popup.html", "status")
	badge := func() string {
		v, err := eval[string](popup, `chrome.action.getBadgeText({})`)
		if err != nil {
			t.Fatalf("reading the badge: %v", err)
		}
		return v
	}
	down := func(what string) {
		t.Helper()
		b.waitFor("the status to say the relay is unreachable ("+what+")", 30*time.Second, func() bool {
			var st background.RelayStatus
			return stored(t, popup, background.StatusKey, &st) && st.State == background.StatusDown
		})
		// Set before the status is written (worker.setStatus).
		if got := badge(); got != "!" {
			t.Errorf("badge while the relay is unreachable (%s) = %q, want !", what, got)
		}
		for _, p := range []string{"popup.html", "sidepanel.html", "options.html"} {
			ctx := popup
			if p != "popup.html" {
				ctx = b.page(p, "status")
			}
			var got string
			b.waitFor(p+" to say what to do", 10*time.Second, func() bool {
				got = textOf(ctx, "status")
				return strings.Contains(got, "Relay unreachable") && strings.Contains(got, "Cannot reach the relay at") && strings.Contains(got, "Check the relay's address")
			})
			if has, _ := eval[bool](ctx, `!!document.getElementById('retry')`); !has {
				t.Errorf("%s: no retry button beside %q", p, got)
			}
		}
	}
	offline(t, popup) // nothing listens on port 1
	down("wrong address")

	// A relay of this test's own, to stop it.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	own, r := startStackWith(t, relay.Config{Log: log, AllowAnonymous: true})
	srv := own.relay
	conf := settings.Default()
	conf.RelayURL, conf.Mode = srv.URL, settings.ModeNotify
	store(t, popup, settings.StorageKey, conf)
	b.waitFor("the extension to connect", 20*time.Second, func() bool {
		var st background.RelayStatus
		return stored(t, popup, background.StatusKey, &st) && st.State == background.StatusConnected && st.Relay == srv.URL
	})
	b.waitFor("the badge to clear once connected", 5*time.Second, func() bool { return badge() == "" })

	srv.Close()  // no new connection
	r.Shutdown() // and the open one ends
	down("the relay went away")
}

// gatedRenewer renews tokens through the emulator's OVH API (go-ovh), each
// renewal held until release once it said so on held.
type gatedRenewer struct {
	c             *ovhapi.Client
	held, release chan struct{}
}

func (g gatedRenewer) RenewEventToken(ctx context.Context, ba, line, exp string) (string, error) {
	g.held <- struct{}{}
	<-g.release
	return g.c.RenewEventToken(ctx, ovhapi.Scope{BillingAccount: ba, Service: line}, exp)
}

func (g gatedRenewer) CreateEventToken(ctx context.Context, ba, line, exp string) (string, error) {
	g.held <- struct{}{}
	<-g.release
	return g.c.CreateEventToken(ctx, ovhapi.Scope{BillingAccount: ba, Service: line}, exp)
}

// TestPagesRoutineRenewal: the relay renews its OVH token ahead of its
// expiry, while the old one still works: the agent is told of no problem.
// The badge never says ! (every badge the worker sets is traced, in the
// worker), and the popup still says plainly "Connected".
func TestPagesRoutineRenewal(t *testing.T) {
	sim, simSrv, _ := startEmulator(t)
	sim.AddApplication("app-key", "app-secret")
	sim.AddConsumerKey("app-key", "consumer-key")
	api, err := ovh.NewClient(simSrv.URL+"/1.0", "app-key", "app-secret", "consumer-key")
	if err != nil {
		t.Fatal(err)
	}
	g := gatedRenewer{c: ovhapi.New(api), held: make(chan struct{}, 1), release: make(chan struct{})}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	r, err := relay.New(relay.Config{Region: "FR", Log: log, AllowAnonymous: true, Renewer: g, EventsURL: simSrv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(r.Shutdown)
	// A token that expires within the renewal's lead (upstream.DefaultRenewAhead):
	// renewed at the first turn of the poller.
	short, err := sim.NewToken(billing, "5 minutes")
	if err != nil {
		t.Fatal(err)
	}
	tok := relaystore.Token{Value: short, Scope: relaystore.ScopeBillingAccount, BillingAccount: billing, Expiration: "5 minutes",
		Created: time.Now().Add(-4 * time.Minute), ExpiresAt: time.Now().Add(time.Minute)}
	if err := r.Poll(tok); err != nil {
		t.Fatal(err)
	}
	<-g.held // the renewal is under way, held

	b := pagesBrowser(t, "")
	popup := b.page("popup.html", "status")
	conf := settings.Default()
	conf.RelayURL, conf.Mode = srv.URL, settings.ModeNotify
	store(t, popup, settings.StorageKey, conf)
	b.waitFor("the popup to say connected", 20*time.Second, func() bool {
		return strings.Contains(textOf(popup, "status"), "Connected to the relay")
	})
	w, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(target.ID(b.workerID())), chromedp.WithDetachOnCancel())
	defer cancel()
	if _, err := eval[bool](w, `(() => {
		globalThis.badgeTrace = [];
		const real = chrome.action.setBadgeText.bind(chrome.action);
		chrome.action.setBadgeText = (d, ...rest) => { globalThis.badgeTrace.push(d.text); return real(d, ...rest); };
		return true;
	})()`); err != nil {
		t.Fatalf("installing the badge trace in the worker: %v", err)
	}
	badge := func() string { v, _ := eval[string](popup, `chrome.action.getBadgeText({})`); return v }
	if got := badge(); got != "" {
		t.Errorf("badge while the relay renews its token ahead of expiry = %q, want none", got)
	}
	var up background.Calls
	if stored(t, popup, background.CallsKey, &up); up.Upstream != nil && up.Upstream.State != "polling" && up.Upstream.State != "starting" {
		t.Errorf("while renewing ahead the agent is told %+v", up.Upstream)
	}
	close(g.release)
	// The renewal done, calls come on the new token.
	// The emulator, as OVH, queues a call's events only for the sessions
	// a token has: a ring before the relay's first poll on the new token
	// reaches nobody (CI saw that once). So: renewed, the poller on the
	// new token (its masked name changed), and a poll of it answered
	// after that, so its session exists.
	var switched time.Time
	b.waitFor("the relay to poll the renewed token", 10*time.Second, func() bool {
		var h struct {
			Upstream []struct {
				Token       string    `json:"token"`
				Renewals    int       `json:"renewals"`
				LastSuccess time.Time `json:"lastSuccess"`
			} `json:"upstream"`
		}
		resp, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(&h)
		if len(h.Upstream) == 0 || h.Upstream[0].Renewals != 1 || h.Upstream[0].Token == upstream.Mask(short) {
			return false
		}
		if switched.IsZero() {
			switched = time.Now()
			return false
		}
		return h.Upstream[0].LastSuccess.After(switched)
	})
	if _, err := sim.Ring(ovhsim.Call{Line: line, Calling: "0033612349301", Scenario: ovhsim.Ringing}); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the call after the renewal", 10*time.Second, func() bool { return badge() == "RING" })
	set, err := eval[[]string](w, `globalThis.badgeTrace`)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(set, "!") {
		t.Errorf("the badge said ! during the routine renewal (badges set: %q)", set)
	}
	if got := textOf(popup, "status"); strings.Contains(got, "no call can arrive") {
		t.Errorf("popup status after the renewal: %q", got)
	}
}
