//go:build js && wasm

package background

import (
	"errors"
	"syscall/js"

	"github.com/screenpop/screenpop/internal/stdlite"
	"github.com/screenpop/screenpop/wasm/browser"
)

// TypingScriptID is the ID typing.js is registered under: in the CRM's
// pages, in every mode, where the agent let the extension in, it says
// when the agent types in a field (a runtime message {"type":"typing"}),
// so that a pop neither navigates their form away nor pulls them out of it
// (worker.reuseTab, worker.show).
const TypingScriptID = "screenpop-typing"

// SyncTyping keeps typing.js registered for the CRM at crmBase (its base
// URL or the URL template) while the extension has access to it, and
// unregistered otherwise. Without access it does nothing more: a pop then
// cannot know of a form in the CRM tab, and navigates it as before.
func SyncTyping(crmBase string) error {
	scripting := browser.API.Get("scripting")
	if !scripting.Truthy() || scripting.Get("registerContentScripts").Type() != js.TypeFunction {
		return nil
	}
	ids := map[string]any{"ids": []any{TypingScriptID}}
	res, err := browser.Await(scripting.Call("getRegisteredContentScripts", ids))
	if err != nil {
		return errors.New("cannot read the registered content scripts: " + err.Error())
	}
	current := ""
	if res.Length() > 0 {
		if m := res.Index(0).Get("matches"); m.Truthy() && m.Length() == 1 {
			current = m.Index(0).String()
		} else {
			current = "?"
		}
	}
	want := ""
	if stdlite.TrimSpace(crmBase) != "" {
		if pattern, err := CRMMatchPattern(crmBase); err == nil {
			if ok, _ := HasHostAccess(pattern); ok {
				want = pattern
			}
		}
	}
	if want == current {
		return nil
	}
	if current != "" {
		if _, err := browser.Await(scripting.Call("unregisterContentScripts", ids)); err != nil {
			return errors.New("cannot unregister the CRM typing script: " + err.Error())
		}
	}
	if want == "" {
		return nil
	}
	script := map[string]any{
		"id":                    TypingScriptID,
		"matches":               []any{want},
		"js":                    []any{"typing.js"},
		"allFrames":             true,
		"runAt":                 "document_idle",
		"persistAcrossSessions": true,
	}
	if _, err := browser.Await(scripting.Call("registerContentScripts", []any{script})); err != nil {
		return errors.New("cannot register the CRM typing script for " + want + ": " + err.Error())
	}
	return nil
}
