// Registered at run time in the CRM's pages where the agent let the
// extension in (wasm/background/typing_js.go): tells the background when
// the agent types in a field of this page, and when they leave it, so
// that a pop neither navigates their form away nor pulls them out of it.
(() => {
  if (globalThis.screenpopTyping) return;
  globalThis.screenpopTyping = true;
  const api = globalThis.browser ?? globalThis.chrome;
  const buttons = new Set(['button', 'submit', 'reset', 'checkbox', 'radio', 'file', 'image', 'range', 'color']);
  const editable = (el) => !!el && (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' ||
    (el.tagName === 'INPUT' && !buttons.has((el.type || '').toLowerCase())));
  let told = 0; // when the background was last told "typing" (at most every 5 s)
  const tell = (typing) => {
    try { api.runtime.sendMessage({ type: 'typing', typing }).catch(() => {}); } catch (e) { /* extension reloaded */ }
  };
  addEventListener('input', (e) => {
    if (!editable(e.composedPath()[0] || e.target)) return;
    const now = Date.now();
    if (now - told < 5000) return;
    told = now;
    tell(true);
  }, true);
  // Leaving the field (not the window: switching tabs keeps it focused,
  // and the form is still there), or sending the form.
  const done = () => { if (told) { told = 0; tell(false); } };
  addEventListener('focusout', () => setTimeout(() => { if (!editable(document.activeElement)) done(); }), true);
  addEventListener('submit', done, true);
})();
