// The in-page caller card: registered at run time for the CRM's origin
// (wasm/background/inpage_js.go). It only makes room for the card — a closed
// shadow root holding an iframe of the extension's card.html, which Go
// renders — and follows the card's links in this CRM page, same origin only.
(() => {
  if (globalThis.screenpopCard) return; // injected twice (registered + executeScript)
  globalThis.screenpopCard = true;
  const api = globalThis.browser ?? globalThis.chrome;
  const src = api.runtime.getURL('card.html');
  const extOrigin = new URL(src).origin;
  let host = null, frame = null;
  const show = () => {
    if (host && host.isConnected) return;
    host = document.createElement('screenpop-card');
    host.style.cssText = 'all:initial;position:fixed;z-index:2147483647;top:12px;right:12px;width:360px;height:240px;max-height:calc(100vh - 24px)';
    const root = host.attachShadow({ mode: 'closed' });
    frame = document.createElement('iframe');
    frame.src = src;
    frame.title = 'screenpop';
    frame.allow = '';
    frame.style.cssText = 'display:block;border:0;width:100%;height:100%;border-radius:12px;box-shadow:0 6px 24px #0005;background:#fff;color-scheme:light';
    root.append(frame);
    document.documentElement.append(host);
  };
  api.runtime.onMessage.addListener((m, _sender, reply) => {
    if (m && m.type === 'screenpop-card') { show(); reply({ ok: true }); }
  });
  addEventListener('message', (e) => {
    if (e.origin !== extOrigin || !frame || e.source !== frame.contentWindow) return;
    const m = e.data || {};
    if (m.type === 'navigate' && typeof m.url === 'string' && new URL(m.url, location.href).origin === location.origin) location.assign(m.url);
    else if (m.type === 'close') host.remove();
    else if (m.type === 'height' && m.height > 0) host.style.height = Math.ceil(m.height) + 'px';
  });
})();
