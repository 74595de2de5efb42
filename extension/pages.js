// Bootstraps the Go wasm that renders this page (wasm/pages). The popup
// first shows the popup the background keeps ready (popupView, rendered
// by wasm/view with every change of the calls), so the calls paint
// before pages.wasm has loaded; pages.wasm then renders the same and
// takes over. No view stored yet (a fresh install): it waits for the wasm.
const go = new Go();
const app = document.getElementById('app');
if (document.body.dataset.page === 'popup') {
  chrome.storage.local.get('popupView').then((v) => {
    if (typeof v.popupView === 'string' && !app.firstChild) app.innerHTML = v.popupView;
  }, () => {});
}
WebAssembly.instantiateStreaming(fetch('pages.wasm'), go.importObject)
  .then((r) => go.run(r.instance))
  .catch((e) => { app.textContent = 'screenpop: cannot start: ' + e; });
