package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/wasm/background"
)

// TestScreenshots saves PNGs of the popup, the side panel, the options and
// the in-page card, in English and French, under screenshots/ at the
// repository root ($SCREENPOP_SCREENSHOTS overrides it), with real calls
// rung through the emulator: a missed call and an answered one in the
// history, and a caller ringing now. French needs chromium-l10n.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("SCREENPOP_SCREENSHOTS")
	if dir == "" {
		dir, _ = filepath.Abs("../screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "fr"} {
		t.Run(lang, func(t *testing.T) { screenshots(t, dir, lang) })
	}
}

func screenshots(t *testing.T, dir, lang string) {
	locale := map[string]string{"en": "en-US", "fr": "fr-FR"}[lang]
	s := startStack(t)
	b := startBrowserWith(t, browserOptions{Ext: withHostAccess(t, builtExtension(t), "http://127.0.0.1/*"), Lang: locale, Width: 1280, Height: 800})
	page := b.tab(b.extURL("popup.html"))
	if ui, _ := eval[string](page, `chrome.i18n.getUILanguage()`); ui[:2] != lang {
		t.Fatalf("the browser's UI language is %q, not %s: apt-get install -y chromium-l10n", ui, lang)
	}
	b.writeSettings(page, inPageSettings(s))

	// The agent's CRM page, then the day's calls: a missed one, an answered
	// one, and a caller ringing now.
	crm := b.tab(s.crm.URL + "/index.php?module=Contacts&action=index")
	for _, c := range []ovhsim.Call{
		{Line: line, Calling: "0033123456780", Scenario: ovhsim.Missed, RingFor: 300 * time.Millisecond},
		{Line: line, Calling: "0033612345683", Scenario: ovhsim.Answered, RingFor: 300 * time.Millisecond, TalkFor: 1500 * time.Millisecond},
	} {
		if _, err := s.sim.Ring(c); err != nil {
			t.Fatal(err)
		}
	}
	// These two, by their callers: the history may hold other calls (the
	// default relay's, http://127.0.0.1:8080, which the fresh extension
	// reaches first: `make run`'s when one runs beside the tests), and the
	// ringing call must not come before both ended, or their last events
	// would replace its card.
	b.waitFor("the two calls in the history", 45*time.Second, func() bool {
		var calls background.Calls
		stored(t, page, background.CallsKey, &calls)
		ended := 0
		for _, c := range calls.Recent {
			if c.Call.Calling == "0033123456780" || c.Call.Calling == "0033612345683" {
				ended++
			}
		}
		return ended == 2 && len(calls.Live) == 0
	})
	if _, err := s.sim.Ring(ovhsim.Call{Line: line, Calling: "0033612345682", Scenario: ovhsim.Ringing}); err != nil {
		t.Fatal(err)
	}
	ringingCard := func(card context.Context) bool {
		n, _ := eval[string](card, `(document.getElementById('card-number') || {}).textContent`)
		return n == "06 12 34 56 82"
	}
	b.frameWhere(b.extURL("card.html"), 30*time.Second, "the card to show the ringing caller", ringingCard)
	// The timers show something: wait for the card's to count 3 seconds,
	// in whichever frame shows the card by then (the content script may
	// have replaced the one found above: a context on it sees nothing).
	b.frameWhere(b.extURL("card.html"), 30*time.Second, "the card's timer to reach 0:03", func(card context.Context) bool {
		v, _ := eval[string](card, `(document.getElementById('card-timer') || {}).textContent || ''`)
		return ringingCard(card) && (v >= "0:03" && len(v) == len("0:03") || len(v) > len("0:03"))
	})

	save := func(name string, ctx context.Context, width int64) {
		t.Helper()
		if width > 0 {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 600)); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(dir, name+"-"+lang+".png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", p)
	}
	save("inpage", crm, 0)
	save("popup", b.page("popup.html", "live"), 360)
	save("sidepanel", b.page("sidepanel.html", "caller"), 400)
	save("options", b.page("options.html", "save"), 1000)
}
