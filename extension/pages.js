// Bootstraps the Go wasm that renders this page (wasm/pages).
const go = new Go();
WebAssembly.instantiateStreaming(fetch('pages.wasm'), go.importObject)
  .then((r) => go.run(r.instance))
  .catch((e) => { document.getElementById('app').textContent = 'screenpop: cannot start: ' + e; });
