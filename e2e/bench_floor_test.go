package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"
)

// The floors the extension's benches measure it against, in the same
// run: a minimal Go wasm service worker (its cold start) and a static
// page (the popup's first paint). Both live in a tiny Manifest V3
// extension built on the fly, loaded beside the real one.

// floorWorkerGo is the least a Go wasm service worker does to connect:
// read the relay from storage, open a WebSocket, send the first message
// (auth, as wasm/background does) and say "connected" in storage, where
// the bench watches for it (the real worker's status key and state).
const floorWorkerGo = `//go:build js && wasm

package main

import "syscall/js"

func main() {
	api := js.Global().Get("chrome")
	local := api.Get("storage").Get("local")
	js.Global().Set("screenpopHandle", js.FuncOf(func(js.Value, []js.Value) any { return nil }))
	js.Global().Call("screenpopFlush")
	local.Call("get", "floorRelay").Call("then", js.FuncOf(func(_ js.Value, args []js.Value) any {
		relay := args[0].Get("floorRelay")
		if relay.Type() != js.TypeString {
			return nil
		}
		ws := js.Global().Get("WebSocket").New(relay)
		ws.Set("onopen", js.FuncOf(func(js.Value, []js.Value) any {
			ws.Call("send", ` + "`" + `{"type":"auth"}` + "`" + `)
			status := map[string]any{"state": "connected", "at": js.Global().Get("Date").Call("now")}
			local.Call("set", map[string]any{"status": status})
			return nil
		}))
		return nil
	}))
	select {}
}
`

// floorBgJS has extension/bg.js's shape: wasm_exec.js, listeners
// registered in the first turn and queued until Go is ready, the wasm
// streamed from the package.
const floorBgJS = `importScripts('wasm_exec.js');
const api = globalThis.browser ?? globalThis.chrome;
const queued = [];
const deliver = (...args) => globalThis.screenpopHandle ? globalThis.screenpopHandle(...args) : queued.push(args);
globalThis.screenpopFlush = () => { for (const a of queued.splice(0)) globalThis.screenpopHandle(...a); };
api.runtime.onInstalled.addListener((d) => deliver('installed', d));
api.runtime.onStartup.addListener(() => deliver('startup'));
api.storage.onChanged.addListener((changes, area) => deliver('storage', changes, area));
api.runtime.onMessage.addListener(() => false);
const go = new Go();
WebAssembly.instantiateStreaming(fetch(api.runtime.getURL('floor.wasm')), go.importObject)
  .then((r) => go.run(r.instance))
  .catch((e) => console.error('floor: cannot start the wasm:', e));
`

const floorManifest = `{
  "manifest_version": 3,
  "name": "screenpop bench floor",
  "version": "0.0.1",
  "minimum_chrome_version": "116",
  "background": {"service_worker": "floor-bg.js"},
  "permissions": ["storage"],
  "content_security_policy": {"extension_pages": "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'"}
}`

// buildFloorExtension writes the floor extension into a temp dir: the
// minimal worker compiled as the real one is (GOOS=js GOARCH=wasm,
// -trimpath -ldflags="-s -w"), the real package's wasm_exec.js and
// style.css, and a blank page to run the bench's scripts in. The
// popup's static copy (static.html) is written there later, once the
// popup has painted a call to copy.
func buildFloorExtension(b *testing.B, mainExt string) string {
	b.Helper()
	src, dir := b.TempDir(), b.TempDir()
	write := func(d, name, text string) {
		if err := os.WriteFile(filepath.Join(d, name), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write(src, "go.mod", "module floorworker\n\ngo 1.21\n")
	write(src, "main.go", floorWorkerGo)
	cmd := exec.Command(goTool(), "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "floor.wasm"), ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building the minimal Go wasm worker: %v\n%s", err, out)
	}
	for _, f := range []string{"wasm_exec.js", "style.css"} {
		raw, err := os.ReadFile(filepath.Join(mainExt, f))
		if err != nil {
			b.Fatal(err)
		}
		write(dir, f, string(raw))
	}
	write(dir, "floor-bg.js", floorBgJS)
	write(dir, "manifest.json", floorManifest)
	write(dir, "floor.html", "<!doctype html><meta charset=utf-8><title>floor</title>")
	return dir
}

// goTool is the go command that runs this test.
func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		if p := filepath.Join(strings.TrimSpace(string(out)), "bin", "go"); fileExists(p) {
			return p
		}
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// startBenchBrowser is startBrowserWith (browser_test.go) with the floor
// extension loaded beside dist/chrome; it also returns the floor's ID.
func startBenchBrowser(b *testing.B, floorExt string) (*browser, string) {
	b.Helper()
	br := launchBrowser(b, browserOptions{Ext: builtExtension(b) + "," + floorExt})
	var floorID string
	br.waitFor("both extensions' service workers to start", 20*time.Second, func() bool {
		for _, ti := range br.targets() {
			if ti.Type != "service_worker" || !strings.HasPrefix(ti.URL, "chrome-extension://") {
				continue
			}
			id, file, _ := strings.Cut(strings.TrimPrefix(ti.URL, "chrome-extension://"), "/")
			switch file {
			case "bg.js":
				br.extID = id
			case "floor-bg.js":
				floorID = id
			}
		}
		return br.extID != "" && floorID != ""
	})
	return br, floorID
}

// stopWorkers stops every service worker (CDP ServiceWorker.stopAllWorkers
// through each page, which must have the ServiceWorker domain enabled)
// until none of the extensions ids has one running, asking again if one
// comes straight back.
func stopWorkers(b *testing.B, br *browser, pages []context.Context, ids ...string) {
	b.Helper()
	running := func() bool {
		for _, id := range ids {
			if br.workerOf(id) != "" {
				return true
			}
		}
		return false
	}
	for try := 0; try < 10; try++ {
		for _, p := range pages {
			if _, err := chromedp.Call(p, serviceworker.StopAllWorkers, cdp.Empty{}); err != nil {
				b.Fatalf("stopping the workers: %v", err)
			}
		}
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if !running() {
				return
			}
		}
	}
	b.Fatal("the service workers would not stop")
}
