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
const go = new Go();
WebAssembly.instantiateStreaming(fetch(api.runtime.getURL('background.wasm')), go.importObject)
  .then((r) => go.run(r.instance))
  .catch((e) => console.error('screenpop: cannot start the background wasm:', e));
