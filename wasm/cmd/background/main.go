//go:build js && wasm

// Command background is the extension's service worker (Chrome) and
// background script (Firefox), compiled to WebAssembly.
package main

import "github.com/screenpop/screenpop/wasm/background"

func main() {
	background.Start()
	select {} // keep the Go runtime alive for callbacks
}
