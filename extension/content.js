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

// Call links (click-to-call), in every pop mode: every phone number of
// the CRM's pages — tel: and callto: links (SuiteCRM 7 writes its phone
// fields as tel: links), and phone fields written as plain text —
// places the call from the agent's line through the relay (the
// background's "dial" request, wasm/background/dial.go) instead of
// handing it to the system's dialer. The page says "Calling …", then
// what the relay answered; the call itself then shows in the popup and
// side panel as the line's outbound call.
(() => {
  if (globalThis.screenpopDial) return;
  globalThis.screenpopDial = true;
  const api = globalThis.browser ?? globalThis.chrome;
  const t = (key, subs) => { try { return api.i18n.getMessage(key, subs) || key; } catch (e) { return key; } };
  const links = 'a[href^="tel:" i], a[href^="callto:" i]';
  // SuiteCRM and SugarCRM 6.5 mark a field's cell with its name and type
  // (DetailView: <div field="phone_work" type="phone">, ListView: <td
  // field="phone_work" type="phone">).
  const fields = '[type="phone"], [field*="phone" i], [data-field*="phone" i]';
  const phoneLike = /^\s*\+?\(?\d[\d\s().\/-]{4,}\d\s*$/;
  const numberOf = (a) => {
    const href = a.getAttribute('href') || '';
    let n = href.slice(href.indexOf(':') + 1);
    try { n = decodeURIComponent(n); } catch (e) { /* as written */ }
    n = n.replace(/^\/\//, '').split(/[;?]/)[0].trim();
    return n || a.textContent.trim();
  };
  // Phone fields written as text become links; every call link says
  // what a click does.
  const scan = () => {
    for (const f of document.querySelectorAll(fields)) {
      if (f.querySelector('a, input, select, textarea') || f.children.length > 0) continue;
      const text = f.textContent.trim();
      if (!phoneLike.test(text)) continue;
      const a = document.createElement('a');
      a.href = 'tel:' + text.replace(/[^\d+]/g, '');
      a.textContent = text;
      a.dataset.screenpopDial = 'text';
      f.textContent = '';
      f.append(a);
    }
    for (const a of document.querySelectorAll(links)) {
      if (a.dataset.screenpopTitle) continue;
      a.dataset.screenpopTitle = '1';
      a.title = t('dialLinkTitle', [numberOf(a)]);
    }
  };
  let scanning = 0;
  new MutationObserver(() => { if (!scanning) scanning = requestAnimationFrame(() => { scanning = 0; scan(); }); })
    .observe(document.documentElement, { childList: true, subtree: true });
  scan();

  // The page's answer: a box in a corner, in its own shadow root so the
  // CRM's styles cannot reach it.
  let host = null, box = null, text = null, hide = 0;
  const say = (msg, kind) => {
    if (!host || !host.isConnected) {
      host = document.createElement('screenpop-dial');
      host.style.cssText = 'all:initial;position:fixed;z-index:2147483647;bottom:16px;right:16px;max-width:380px';
      const root = host.attachShadow({ mode: 'open' });
      root.innerHTML = '<style>#box{display:flex;gap:10px;align-items:flex-start;font:14px/1.4 system-ui,sans-serif;color:#1b1f24;background:#fff;' +
        'border-radius:10px;box-shadow:0 6px 24px #0005;padding:10px 12px;border-left:4px solid #2563eb}' +
        '#box[data-kind=error]{border-left-color:#c62828}#box[data-kind=ok]{border-left-color:#2e7d32}' +
        '#text{flex:1;white-space:pre-line}button{all:unset;cursor:pointer;font-size:18px;line-height:1;padding:0 2px;color:#555}</style>' +
        '<div id="box" role="status" aria-live="polite"><span id="text"></span><button id="close" type="button">×</button></div>';
      box = root.getElementById('box');
      text = root.getElementById('text');
      const close = root.getElementById('close');
      close.setAttribute('aria-label', t('dialClose'));
      close.addEventListener('click', () => host.remove());
      document.documentElement.append(host);
    }
    box.dataset.kind = kind;
    box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    text.textContent = msg;
    clearTimeout(hide);
    if (kind === 'ok') hide = setTimeout(() => host && host.remove(), 15000);
  };
  const dial = (number) => {
    say(t('dialCalling', [number]), 'busy');
    const failed = (why) => say(t('dialFailed', [number, why]), 'error');
    try {
      api.runtime.sendMessage({ type: 'dial', number }).then((r) => {
        if (r && r.ok) say(t('dialPlaced', [r.number || number]), 'ok');
        else failed((r && r.error) || t('dialNoAnswer'));
      }, (e) => failed(String((e && e.message) || e)));
    } catch (e) { // the extension was reloaded: this page's script is orphaned
      failed(t('dialReload'));
    }
  };
  addEventListener('click', (e) => {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return; // a modified click keeps the browser's own
    const a = e.target instanceof Element ? e.target.closest(links) : null;
    if (!a) return;
    e.preventDefault();
    e.stopPropagation();
    dial(numberOf(a));
  }, true);
})();
