// Bootstraps the Go wasm that runs the extension; all logic is in Go
// (wasm/background). Listeners are registered synchronously in the first
// turn, as Manifest V3 requires, and queued until Go is ready.
if (typeof Go === 'undefined') importScripts('wasm_exec.js'); // Chrome worker; Firefox lists it in background.scripts
const api = globalThis.browser ?? globalThis.chrome;
const queued = [];
const deliver = (...args) => globalThis.screenpopHandle ? globalThis.screenpopHandle(...args) : queued.push(args);
globalThis.screenpopFlush = () => { for (const a of queued.splice(0)) globalThis.screenpopHandle(...a); };
api.runtime.onInstalled.addListener((d) => deliver('installed', d));
api.runtime.onStartup.addListener(() => deliver('startup'));
api.alarms.onAlarm.addListener((a) => deliver('alarm', a));
api.storage.onChanged.addListener((changes, area) => deliver('storage', changes, area));
// Page requests (wasm/background/view.go, Request…): Go answers through
// sendResponse, later, so the listener returns true. Other messages are
// not ours: return false so that their own listener can answer.
const requests = new Set(['pause', 'mark-seen', 'open', 'test-pop', 'reconnect', 'dial']);
api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (msg && msg.type === 'typing' && sender.tab) { // typing.js, in a CRM page: no answer
    deliver('typing', sender.tab.id, !!msg.typing);
    return false;
  }
  if (!msg || !requests.has(msg.type)) return false;
  deliver('message', msg, sendResponse);
  return true;
});
api.notifications?.onClicked?.addListener((id) => deliver('notification-click', id));
api.notifications?.onButtonClicked?.addListener((id, button) => deliver('notification-button', id, button));
// A tab done loading, where its address is known (the CRM, once the agent
// let the extension in): the background resumes a pop the CRM's login page
// swallowed (wasm/background/login.go).
api.tabs?.onUpdated?.addListener((id, change, tab) => { if (change.status === 'complete' && tab.url) deliver('tab-loaded', id, tab.url); });
api.permissions?.onAdded?.addListener(() => deliver('permissions'));
api.permissions?.onRemoved?.addListener(() => deliver('permissions'));
const go = new Go();
WebAssembly.instantiateStreaming(fetch(api.runtime.getURL('background.wasm')), go.importObject)
  .then((r) => go.run(r.instance))
  .catch((e) => console.error('screenpop: cannot start the background wasm:', e));
