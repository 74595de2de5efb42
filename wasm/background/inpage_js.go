//go:build js && wasm

package background

import (
	"errors"
	"syscall/js"
	"time"

	"github.com/screenpop/screenpop/internal/stdlite"
	"github.com/screenpop/screenpop/wasm/browser"
)

// ErrNoHostAccess means the agent has not allowed the extension into the
// CRM's pages: the options page asks for it (permissions.request of
// CRMMatchPattern), which needs a click there.
var ErrNoHostAccess = errors.New("screenpop may not show cards in the CRM's pages yet: open the extension's options and allow access to the CRM")

// SyncInPage keeps content.js registered for the CRM at crmBase, and only
// there: registered when host access to it is granted, re-registered when
// the base moves to another origin, unregistered when crmBase is empty or
// access is missing (then it returns ErrNoHostAccess). Call it at start-up
// and whenever the settings or permissions change; it does nothing when
// the registration is already right.
func SyncInPage(crmBase string) error {
	scripting := browser.API.Get("scripting")
	if !scripting.Truthy() {
		return errors.New("this browser has no scripting API: the in-page card needs Chrome 116+ or Firefox 128+")
	}
	current, err := registeredMatches(scripting)
	if err != nil {
		return errors.New("cannot read the registered content scripts: " + err.Error())
	}
	unregister := func() error {
		if current == nil {
			return nil
		}
		_, err := browser.Await(scripting.Call("unregisterContentScripts", map[string]any{"ids": []any{InPageScriptID}}))
		return err
	}
	if stdlite.TrimSpace(crmBase) == "" {
		return unregister()
	}
	pattern, err := CRMMatchPattern(crmBase)
	if err != nil {
		unregister()
		return err
	}
	if ok, err := HasHostAccess(pattern); err != nil || !ok {
		unregister()
		if err != nil {
			return err
		}
		return ErrNoHostAccess
	}
	if len(current) == 1 && current[0] == pattern {
		return nil
	}
	if err := unregister(); err != nil {
		return errors.New("cannot unregister the old CRM content script: " + err.Error())
	}
	script := map[string]any{
		"id":                    InPageScriptID,
		"matches":               []any{pattern},
		"js":                    []any{"content.js"},
		"runAt":                 "document_idle",
		"persistAcrossSessions": true,
	}
	if _, err := browser.Await(scripting.Call("registerContentScripts", []any{script})); err != nil {
		return errors.New("cannot register the CRM content script for " + pattern + ": " + err.Error())
	}
	return nil
}

// registeredMatches returns the match patterns content.js is registered
// for, or nil when it is not registered.
func registeredMatches(scripting js.Value) ([]string, error) {
	res, err := browser.Await(scripting.Call("getRegisteredContentScripts", map[string]any{"ids": []any{InPageScriptID}}))
	if err != nil {
		return nil, err
	}
	if res.Length() == 0 {
		return nil, nil
	}
	m := res.Index(0).Get("matches")
	out := []string{}
	for i := 0; m.Truthy() && i < m.Length(); i++ {
		out = append(out, m.Index(i).String())
	}
	return out, nil
}

// HasHostAccess reports whether the agent granted access to pattern.
func HasHostAccess(pattern string) (bool, error) {
	res, err := browser.Await(browser.API.Get("permissions").Call("contains", map[string]any{"origins": []any{pattern}}))
	if err != nil {
		return false, errors.New("cannot check host access to " + pattern + ": " + err.Error())
	}
	return res.Truthy(), nil
}

// ShowInPage shows the caller card for v inside a CRM tab open on url's
// origin (url is the expanded pop URL: "Search in CRM" on the card goes
// there) and returns that tab, for the caller to bring to the front if
// the agent is not busy elsewhere (worker.show). It returns shown=false, with no
// error, when no tab is open on the CRM: the caller then opens one. Without
// host access to the CRM it returns shown=false and ErrNoHostAccess.
func ShowInPage(url string, v CallView) (t browser.Tab, shown bool, err error) {
	origin, err := CRMOrigin(url)
	if err != nil {
		return t, false, err
	}
	pattern, _ := CRMMatchPattern(url)
	if ok, err := HasHostAccess(pattern); err != nil || !ok {
		if err == nil {
			err = ErrNoHostAccess
		}
		return t, false, err
	}
	tab, ok, err := crmTab(pattern, origin)
	if err != nil || !ok {
		return t, false, err
	}
	t = browser.Tab{ID: tab.Get("id").Int(), WindowID: tab.Get("windowId").Int()}
	card := InPageCard{Origin: origin, URL: url, View: v, At: time.Now().UnixMilli()}
	if err := storeInPageCard(&card); err != nil {
		return t, false, errors.New("cannot save the caller card: " + err.Error())
	}
	tabs := browser.API.Get("tabs")
	msg := map[string]any{"type": InPageMessage, "at": card.At}
	if _, err := browser.Await(tabs.Call("sendMessage", tab.Get("id"), msg)); err != nil {
		// No content script in that tab: it was open before the script was
		// registered (or the extension reloaded). Inject it and try again.
		inject := map[string]any{"target": map[string]any{"tabId": tab.Get("id")}, "files": []any{"content.js"}}
		if _, ierr := browser.Await(browser.API.Get("scripting").Call("executeScript", inject)); ierr != nil {
			return t, false, errors.New("cannot show the card in the CRM tab (" + err.Error() + "; " + ierr.Error() + ")")
		}
		if _, err := browser.Await(tabs.Call("sendMessage", tab.Get("id"), msg)); err != nil {
			return t, false, errors.New("cannot show the card in the CRM tab: " + err.Error())
		}
	}
	return t, true, nil
}

// crmTab picks the CRM tab for the card: the active tab of the focused
// window if it is on the CRM, else the CRM tab used most recently.
func crmTab(pattern, origin string) (js.Value, bool, error) {
	res, err := browser.Await(browser.API.Get("tabs").Call("query", map[string]any{"url": pattern}))
	if err != nil {
		return js.Undefined(), false, errors.New("cannot list the CRM tabs: " + err.Error())
	}
	var best js.Value
	bestScore := -1.0
	for i := 0; i < res.Length(); i++ {
		t := res.Index(i)
		if !SameOrigin(t.Get("url").String(), origin) {
			continue // the same host on another port: another site
		}
		score := 0.0
		if la := t.Get("lastAccessed"); la.Type() == js.TypeNumber {
			score = la.Float()
		}
		if t.Get("active").Truthy() {
			score += 1e15 // any active tab beats any last-access time
		}
		if score > bestScore {
			best, bestScore = t, score
		}
	}
	return best, bestScore >= 0, nil
}
