// Drives Firefox ESR with the built extension (dist/firefox) over WebDriver
// BiDi for e2e/firefox_test.go, which starts the relay, the OVH emulator and
// the fake CRM, and rings the call. Protocol on stdout, one line each:
//   ready            the extension is connected to the relay: ring now
//   popped <url>     a tab opened on the CRM (then the script exits 0)
//   card <number>    in-page mode: the caller card showed in the CRM page
//                    already open, with that number (then it exits 0)
// Anything else is a log line. Exits non-zero, saying why, on failure.
//
//   node pop.mjs <extensionDir> <crmURL> <settingsJSON>
// With settings.mode "inpage", a CRM page is open before the ring.
import puppeteer from 'puppeteer-core';

const [dir, crmURL, settingsJSON] = process.argv.slice(2);
if (!dir || !crmURL || !settingsJSON) {
  console.error('usage: node pop.mjs <extensionDir> <crmURL> <settingsJSON>');
  process.exit(2);
}
const addonID = 'screenpop@screenpop.dev'; // browser_specific_settings.gecko.id
const uuid = '7d3f4a52-8c1e-4b7a-9d2f-5e6a1b0c9d84'; // fixed, so we know the moz-extension:// host
const log = (...a) => console.log('log:', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const until = async (what, ms, cond) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
};

const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath: process.env.SCREENPOP_FIREFOX || '/usr/bin/firefox-esr',
  headless: true,
  extraPrefsFirefox: {
    'extensions.webextensions.uuids': JSON.stringify({ [addonID]: uuid }),
    // No network here: don't phone home.
    'app.update.enabled': false,
    'browser.shell.checkDefaultBrowser': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.enabled': false,
  },
});
let code = 1;
const run = async () => {
  const id = await browser.installExtension(dir);
  log('installed', id);
  // A moz-extension:// page can't be opened by goto: it is web-accessible,
  // so a data: page navigates to it.
  const page = await browser.newPage();
  await page.goto('data:text/html,<title>screenpop test</title>');
  const ext = `moz-extension://${uuid}/popup.html`;
  await page.evaluate((u) => { location.href = u; }, ext);
  // page.url() may not follow this navigation: ask the page itself.
  await until('the extension page ' + ext, 60000, () =>
    page.evaluate(() => location.protocol === 'moz-extension:' && typeof browser !== 'undefined' && !!browser.storage).catch(() => false));
  await page.evaluate((s) => browser.storage.local.set({ settings: JSON.parse(s) }), settingsJSON);
  const relay = JSON.parse(settingsJSON).relayUrl;
  await until('the extension to connect to ' + relay, 90000, () =>
    page.evaluate((relay) => browser.storage.local.get('status').then((r) => r.status && r.status.relay === relay && r.status.state === 'connected'), relay));
  const settings = JSON.parse(settingsJSON);
  if (settings.mode === 'inpage') {
    const crm = await browser.newPage();
    await crm.goto(crmURL + '/index.php?module=Contacts&action=index');
    console.log('ready');
    await until('the card in the CRM page', 60000, () => crm.evaluate(() => !!document.querySelector('screenpop-card')));
    const number = await until('the card to show the caller', 60000, async () => {
      for (const f of crm.frames()) {
        // f.url() may stay about:blank: ask the frame where it is.
        const n = await f.evaluate((card) => location.href === card && (document.getElementById('card-number') || {}).textContent || '', `moz-extension://${uuid}/card.html`).catch(() => '');
        if (n) return n;
      }
      return '';
    });
    console.log('card ' + number);
    code = 0;
    return;
  }
  console.log('ready');
  const url = await until('a tab on the CRM', 90000, async () => {
    for (const p of await browser.pages()) {
      const u = p === page ? '' : await p.evaluate(() => location.href).catch(() => '');
      if (u.startsWith(crmURL)) return u;
    }
    return '';
  });
  console.log('popped ' + url);
  code = 0;
};
try {
  await run();
} catch (e) {
  console.error('firefox: ' + (e && e.stack || e));
} finally {
  await browser.close().catch(() => {});
}
process.exit(code);
