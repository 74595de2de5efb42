//go:build js && wasm

// Command pages renders the extension's pages, compiled to WebAssembly.
package main

import "github.com/screenpop/screenpop/wasm/pages"

func main() {
	pages.Start()
	select {}
}
